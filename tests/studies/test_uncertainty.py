"""``ipsim levers --uncertainty`` and ``ipsim compare --uncertainty``: the new columns, their consistency with the
plain comparison, collapse to the Monte Carlo interval, resume, and bad options.

The small world of test_compare (18 positions, 40 weeks) keeps each study to a few seconds; the bundled files'
run is the acceptance command with fewer draws."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from simulation.analysis.compare import Entry
from simulation.core.levers import LEVERS
from simulation.core.scenario import Scenario
from simulation.execution.batches import Options
from simulation.studies import compare as compare_study
from simulation.studies import uncertainty
from tests.helpers import invoke
from tests.studies.test_compare import LEAD, PARTIAL, SEED, dump, scenario

DRAWS, REPLICATES = 5, 3


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def number(cell: str) -> float | None:
    return float(cell) if cell else None


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("scenarios")
    return {"base": dump(folder, scenario("base")), "lead": dump(folder, scenario("lead", **LEAD)),
            "partial": dump(folder, scenario("partial", **PARTIAL))}


def run(out: Path, *argv: str) -> Path:
    code, _, stderr = invoke([*argv, "--replicates", str(REPLICATES), "--seed", str(SEED), "--workers", "2",
                              "--out", str(out)])
    assert code == 0, stderr
    (folder,) = out.iterdir()
    return folder


@pytest.fixture(scope="module")
def levers_folder(files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run(tmp_path_factory.mktemp("levers"), "levers", str(files["base"]), "--plan", str(files["partial"]),
               "--uncertainty", str(DRAWS))


def test_levers_csv_has_the_uncertainty_columns_and_rank_shares_sum_to_one(levers_folder: Path) -> None:
    rows = read_rows(levers_folder / "levers.csv")
    assert {"p_rank_first", "p_top3", "turnover_avoided_ui_low", "turnover_avoided_ui_high",
            "cohort_left_share_avoided_ui_low", "cohort_left_share_avoided_ui_high"} <= set(rows[0])
    assert sum(float(r["p_rank_first"]) for r in rows) == pytest.approx(1.0, abs=1e-9)
    assert sum(float(r["p_top3"]) for r in rows) == pytest.approx(min(3, len(rows)), abs=1e-9)


def test_every_uncertainty_interval_contains_its_point_estimate(levers_folder: Path) -> None:
    """The UI's point estimate is the mean over the draws (``_ui_mean``), as probabilistic analysis reports it; the
    plain ``_mean`` is the estimate at the assumed values, which can sit in a tail of the draws when an assumed
    effect size is above its prior's bulk (docs/model.md, section 7)."""
    for r in read_rows(levers_folder / "levers.csv"):
        for name in ("turnover_avoided", "avoidable_turnover_avoided", "study_cohort_left_share_avoided",
                     "cohort_left_share_avoided"):
            low, mean, high = (number(r[f"{name}_{p}"]) for p in ("ui_low", "ui_mean", "ui_high"))
            assert low is not None and high is not None and mean is not None
            assert low <= mean <= high, (r["lever"], name)
    for r in read_rows(levers_folder / "comparison.csv"):
        for metric in uncertainty.UI_METRICS:
            low, mean, high = (number(r[f"{metric}_diff_ui_{p}"]) for p in ("low", "mean", "high"))
            if mean is not None:
                assert low <= mean <= high, (r["scenario"], metric)
    assert all(0.0 <= float(r["p_better"]) <= 1.0 for r in read_rows(levers_folder / "comparison.csv")[1:])


def test_the_folder_holds_the_study_the_draws_and_the_plain_comparison(levers_folder: Path) -> None:
    names = {p.name for p in levers_folder.iterdir()}
    assert {"study.json", "uncertainty", "uncertainty.csv", "comparison.csv", "levers.csv", "summary.md",
            "manifest.json", "charts", "base"} <= names
    manifest = json.loads((levers_folder / "manifest.json").read_text())
    assert manifest["uncertainty"]["draws"] == DRAWS
    sweep = json.loads((levers_folder / "uncertainty" / "status.json").read_text())
    assert sweep["state"] == "complete" and sweep["runs_total"] == DRAWS * REPLICATES
    summary = (levers_folder / "summary.md").read_text()
    assert "## How sure is this?" in summary and "ranks first most often" in summary


def test_the_monte_carlo_columns_are_those_of_the_plain_comparison(levers_folder: Path, files: dict[str, Path],
                                                                   tmp_path: Path) -> None:
    plain = run(tmp_path, "levers", str(files["base"]), "--plan", str(files["partial"]))
    for ours, theirs in zip(read_rows(levers_folder / "comparison.csv"), read_rows(plain / "comparison.csv"),
                            strict=True):
        assert {k: v for k, v in ours.items() if k in theirs} == theirs


def test_with_every_prior_collapsed_the_uncertainty_interval_is_the_monte_carlo_interval(
        files: dict[str, Path], tmp_path: Path) -> None:
    from simulation.inputs.scenarios import load_scenario

    entries = [Entry(load_scenario(files["base"]), "base"), Entry(load_scenario(files["lead"]), "lead")]
    study = uncertainty.Study("compare", entries, Options(REPLICATES, SEED, 2, tmp_path),
                              uncertainty.Uncertainty(3, collapsed=True))
    folder = compare_study.start_uncertain(study)
    result = _finish_locally(study, folder)
    for row in result.rows:
        for metric in uncertainty.UI_METRICS:
            for ui, ci in (("ui_low", "ci_low"), ("ui_high", "ci_high")):
                expected = row[f"{metric}_diff_{ci}"]
                found = row[f"{metric}_diff_{ui}"]
                assert (found is None) == (expected is None), metric
                if expected is not None:
                    # equal but for the draws' metrics read back from results.csv, which keeps 10 significant digits
                    assert found == pytest.approx(expected, rel=1e-7, abs=1e-12), (row["scenario"], metric, ui)


def _finish_locally(study: uncertainty.Study, folder: Path) -> compare_study.ComparisonResult:
    from simulation.execution import pool
    from simulation.studies import sweep as sweep_study

    with pool.local(2) as (executor, slots):
        result = compare_study.finish_uncertain(
            study, folder, lambda where, plan: sweep_study.execute(where, plan, executor, slots))
    assert not isinstance(result, int)
    return result


def test_an_unfinished_study_resumes_to_the_same_files(files: dict[str, Path], levers_folder: Path,
                                                       tmp_path: Path) -> None:
    """Start the levers study and stop before any draw runs; ``--resume`` finishes it with the same results."""
    from simulation.analysis import compare
    from simulation.inputs.scenarios import load_scenario

    base = Entry(load_scenario(files["base"]), str(files["base"]))
    plan = Entry(load_scenario(files["partial"]), str(files["partial"]))
    study = uncertainty.Study("levers", compare.lever_entries(base, plan), Options(REPLICATES, SEED, 2, tmp_path),
                              uncertainty.Uncertainty(DRAWS))
    folder = compare_study.start_uncertain(study)
    code, _, stderr = invoke(["levers", "--resume", str(folder), "--workers", "2"])
    assert code == 0, stderr
    for name in ("comparison.csv", "levers.csv", "uncertainty.csv"):
        assert (folder / name).read_bytes() == (levers_folder / name).read_bytes(), name
    assert (folder / "uncertainty" / "results.csv").read_bytes() == \
        (levers_folder / "uncertainty" / "results.csv").read_bytes()
    code, _, stderr = invoke(["levers", "--resume", str(folder)])
    assert code == 2 and "already complete" in stderr


def test_discover_takes_the_comparison_folder_for_its_draws(levers_folder: Path) -> None:
    """``ipsim discover`` on the folder of a comparison under uncertainty asks its question of the draws: here, when
    the implementation lead avoids less turnover than it does in half the draws."""
    rows = read_rows(levers_folder / "uncertainty" / "results.csv")
    by_draw: dict[str, list[float]] = {}
    for r in rows:
        by_draw.setdefault(r["sample_id"], []).append(
            float(r["base/annual_turnover"]) - float(r["implementation-lead/annual_turnover"]))
    means = sorted(sum(v) / len(v) for v in by_draw.values())
    middle = (means[len(means) // 2 - 1] + means[len(means) // 2]) / 2
    code, stdout, stderr = invoke(["discover", str(levers_folder), "--metric", "base/annual_turnover", "--minus",
                                   "implementation-lead/annual_turnover", "--below", f"{middle:.6f}"])
    assert code == 0, stderr
    (found,) = (levers_folder / "uncertainty").glob("*-discovery-*")
    assert (found / "boxes.csv").is_file() and "box" in stdout


def test_a_study_stopped_after_its_draws_resumes_without_running_them_again(levers_folder: Path,
                                                                            tmp_path: Path) -> None:
    """Killed while publishing (after its draws, before its manifest, with a temporary folder of its own left): the
    resume publishes the comparison, leaves the draws' log as it was and removes what the dead process left."""
    folder = tmp_path / levers_folder.name
    shutil.copytree(levers_folder, folder, ignore=shutil.ignore_patterns("*-discovery-*"))
    for name in ("manifest.json", "comparison.csv", "levers.csv", "uncertainty.csv", "summary.md"):
        (folder / name).unlink()
    dead = folder / ".ipsim-partial-999999999-1-results-x"  # the owner tag of a process that no longer runs
    dead.mkdir()
    log = (folder / "uncertainty" / "log.csv").read_bytes()
    code, _, stderr = invoke(["levers", "--resume", str(folder), "--workers", "2"])
    assert code == 0, stderr
    assert (folder / "uncertainty" / "log.csv").read_bytes() == log
    assert (folder / "levers.csv").read_bytes() == (levers_folder / "levers.csv").read_bytes()
    assert not dead.exists()


def test_the_window_readings_mix_their_posteriors(files: dict[str, Path], tmp_path: Path) -> None:
    folder = run(tmp_path, "compare", str(files["base"]), str(files["lead"]), "--uncertainty", "4",
                 "--window-readings", "104,52")
    readings = {r["reading"] for r in read_rows(folder / "uncertainty.csv")}
    assert readings == {"104w", "52w", "all"}
    assert "104 weeks (weight 0.5) and 52 weeks (weight 0.5)" in (folder / "summary.md").read_text()


@pytest.mark.parametrize(("argv", "says"), [
    (["--uncertainty", "3", "--window-readings", "30"], "no calibration posterior for 30 weeks"),
    (["--uncertainty", "3", "--window-readings", "104:x"], "give weeks with an optional weight"),
    (["--window-readings", "104"], "--window-readings goes with --uncertainty"),
    (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler goes with --uncertainty"),
])
def test_bad_uncertainty_options_are_refused_before_anything_runs(files: dict[str, Path], tmp_path: Path,
                                                                   argv: list[str], says: str) -> None:
    code, _, stderr = invoke(["compare", str(files["base"]), str(files["lead"]), *argv, "--out", str(tmp_path)])
    assert code == 2 and says in stderr and "Traceback" not in stderr
    assert not any(tmp_path.iterdir())


def test_scenarios_with_different_thresholds_are_refused_and_leave_nothing(files: dict[str, Path],
                                                                           tmp_path: Path) -> None:
    data = scenario("other-threshold").model_dump(mode="json")
    data["staff"]["quit_threshold"]["mean"] = 1.5
    other = dump(tmp_path, Scenario.model_validate(data))
    out = tmp_path / "runs"
    code, _, stderr = invoke(["compare", str(files["base"]), str(other), "--uncertainty", "3", "--out", str(out)])
    assert code == 2 and "differ (1.0, 1.5)" in stderr and "Traceback" not in stderr
    assert not out.exists() or not any(out.iterdir())


def test_resume_refuses_other_settings_and_other_folders(files: dict[str, Path], tmp_path: Path) -> None:
    code, _, stderr = invoke(["compare", "--resume", str(tmp_path), "--uncertainty", "3"])
    assert code == 2 and "leave out uncertainty" in stderr
    code, _, stderr = invoke(["compare", "--resume", str(tmp_path)])
    assert code == 2 and "not a comparison under uncertainty" in stderr


def test_every_pulled_lever_with_a_prior_is_drawn(files: dict[str, Path]) -> None:
    from simulation.inputs.scenarios import load_scenario

    entries = [Entry(load_scenario(files["base"]), "base"), Entry(load_scenario(files["partial"]), "partial")]
    priors, point, notes = uncertainty.drawn(entries)
    pulled = {lv.name for lv in LEVERS if lv.is_on(getattr(entries[1].scenario.start_up_plan, lv.name))}
    expected = {f"start_up_plan.{lv.name}.{k}" for lv in LEVERS if lv.name in pulled for k in lv.priors}
    assert set(priors) == expected and set(point) == expected | {"staff.quit_threshold.mean"}
    assert notes == []


def test_the_bundled_levers_plan_their_draws(tmp_path: Path) -> None:
    """The acceptance command's study on the bundled files, planned but not run (its run is in docs/validation.md,
    section 5.2): every lever's effect-size prior is drawn, and every drawn value is a valid setting in every arm."""
    from simulation.analysis import compare
    from simulation.inputs.scenarios import load_scenario

    root = Path(__file__).resolve().parents[2] / "scenarios"
    base = Entry(load_scenario(root / "baseline.yaml"), "baseline.yaml")
    plan_entry = Entry(load_scenario(root / "startup-plan.yaml"), "startup-plan.yaml")
    entries = compare.lever_entries(base, plan_entry)
    sweep_plan, draws, notes = uncertainty.plan(entries, Options(4, SEED, 2, tmp_path), uncertainty.Uncertainty(20))
    assert len(entries) == 14 and sweep_plan.runs == 20 * 4 and notes == []
    assert set(draws.paths) == {"staff.quit_threshold.mean", *(f"start_up_plan.{lv.name}.{k}" for lv in LEVERS
                                                                 for k in lv.priors)}
    assert [arm for arm, _ in sweep_plan.sweep.arms] == [e.scenario.name for e in entries]
