"""`ipsim compare` and `ipsim levers`: common random numbers, paired CIs, the folder contract, bad input.

Scenarios are built here from Scenario objects (a small world, short horizon) and dumped to YAML in
tmp_path; only the last test uses the bundled scenarios/ files. Runs are shared between tests
through module-scoped fixtures, because the charts make every comparison cost a few seconds.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats

from simulation.analysis import compare, metrics
from simulation.analysis.stats import paired_difference, verdict
from simulation.cli import parser
from simulation.core import levers, pressures
from simulation.core.scenario import Scenario
from simulation.execution import batches
from simulation.execution.batches import Options
from simulation.execution.seeds import replicate_seeds
from simulation.inputs.scenarios import load_scenario
from simulation.present import words
from simulation.present.charts import compare as compare_charts
from simulation.present.charts import run as run_charts
from simulation.present.charts import style
from simulation.studies import compare as compare_study
from tests.helpers import invoke

ROOT = Path(__file__).resolve().parents[2]
WEEKS = 40
REPLICATES = 4
SEED = 11
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RUN_FILES = {"summary.json", "weekly.csv", "spells.csv", "clients.csv", "charts"}
RUN_CHARTS = {"retention.png", "pressures.png", "staffing.png", "quit_reasons.png", "sites.png"}
COMPARISON_CHARTS = {"retention.png", "turnover.png", "quit_reasons.png", "pressures.png",
                     "clients_and_vacancies.png", "sites.png"}
SITE_ENTRIES = ["solo", "pair", "trio"]
"""The site entries of ``scenario``'s small world, in its order."""
PAIRED = [m for m in metrics.HEADLINE if m != "median_tenure_weeks"]
"""Headline metrics with one value per replicate, hence a paired difference."""
FOLDER = re.compile(r"^\d{8}T\d{6}Z-(.+)$")


def scenario(name: str, weeks: int = WEEKS, **levers: dict) -> Scenario:
    """A small rural world (18 positions, little readiness) whose ES have few resources (threshold 1.0, so that
    they wear down within the short horizon), with the given start-up plan sections."""
    site = {"supervisor_availability": 0.3, "team_contact": 0.4, "travel_burden": 0.8, "job_market": 0.7}
    return Scenario.model_validate({
        "name": name, "weeks": weeks, "cohort_window_weeks": weeks, "staff": {"quit_threshold": {"mean": 1.0}},
        "sites": [{"name": "solo", "count": 2, "positions": 1, **site},
                  {"name": "pair", "count": 5, "positions": 2, **site},
                  {"name": "trio", "count": 2, "positions": 3, **site}],
        "start_up_plan": levers,
    })


def full_plan() -> Scenario:
    """Every lever pulled (the scheduled ones within the short horizon)."""
    sections = {lv.name: {"enabled": True} for lv in levers.LEVERS if lv.apply is not None}
    sections.update(network_seminars={"every_weeks": 8}, fidelity_review={"week": 20})
    return scenario("plan", **sections)


LEAD = {"implementation_lead": {"enabled": True}}


def dump(folder: Path, s: Scenario) -> Path:
    path = folder / f"{s.name}.yaml"
    path.write_text(yaml.safe_dump(s.model_dump(mode="json"), sort_keys=False), encoding="utf-8")
    return path


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    out: Path

    @property
    def folder(self) -> Path:
        (folder,) = self.out.iterdir()
        return folder


def cli(out: Path, *argv: str, replicates: int = REPLICATES, workers: int = 1) -> Result:
    code, stdout, stderr = invoke([*argv, "--replicates", str(replicates), "--seed", str(SEED),
                                   "--workers", str(workers), "--out", str(out)])
    assert code == 0, stderr
    return Result(code, stdout, stderr, out)


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("scenarios")
    return {
        "base": dump(folder, scenario("base")),
        "copy": dump(folder, scenario("base-copy")),
        "lead": dump(folder, scenario("lead", **LEAD)),
        "plan": dump(folder, full_plan()),
    }


COMPARED = 16
"""Replicates of the ``compared`` fixture (the other tests' runs use REPLICATES)."""


@pytest.fixture(scope="module")
def compared(files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Result:
    """base vs an identical copy vs base with an implementation lead, on one worker, with replicates enough that the
    lead's effect on the cohort's share is clear, not a chance of the realisation: -18 points with a paired
    interval's half-width of about 6 points at 16 replicates (at 4 it was -11, half-width 14)."""
    out = tmp_path_factory.mktemp("compare1")
    return cli(out, "compare", str(files["base"]), str(files["copy"]), str(files["lead"]), replicates=COMPARED)


PARTIAL = {**LEAD, "no_solo_posts": {"enabled": True}, "network_seminars": {"every_weeks": 8}}
"""A plan that pulls three levers and sets the other ten as the base does."""


@pytest.fixture(scope="module")
def levers_run(files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Result:
    """``ipsim levers`` with a plan that changes three levers only: three variants run, ten not tested."""
    partial = dump(tmp_path_factory.mktemp("partial"), scenario("partial", **PARTIAL))
    out = tmp_path_factory.mktemp("levers")
    return cli(out, "levers", str(files["base"]), "--plan", str(partial), replicates=3, workers=2)


# --- common random numbers and paired CIs ------------------------------------------------------


def test_a_scenario_against_its_copy_differs_by_exactly_zero(compared: Result) -> None:
    _, rows = read_csv(compared.folder / "comparison.csv")
    copy = next(r for r in rows if r["scenario"] == "base-copy")
    for metric in PAIRED:
        if copy[f"{metric}_mean"] == "":  # undefined in this short horizon (retention_12m)
            continue
        assert [copy[f"{metric}_diff_{p}"] for p in ("mean", "ci_low", "ci_high")] == ["0", "0", "0"], metric


def test_paired_ci_is_narrower_than_the_unpaired_ci() -> None:
    base, lead = scenario("base", weeks=52), scenario("lead", weeks=52, **LEAD)
    seeds = replicate_seeds(SEED, 6)
    records = batches.run_batches([(base, seeds), (lead, seeds)])
    for metric in ("annual_turnover", "cohort_left_share"):
        a = [metrics.replicate_metrics(r, base)[metric] for r in records[0]]
        b = [metrics.replicate_metrics(r, lead)[metric] for r in records[1]]
        paired = paired_difference(a, b)
        # the CI of a difference of two independent means (Welch)
        va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
        df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
        unpaired_width = 2 * stats.t.ppf(0.975, df) * math.sqrt(va + vb)
        assert paired["mean"] == pytest.approx(np.mean(b) - np.mean(a))
        assert paired["ci_high"] - paired["ci_low"] < unpaired_width, metric


def test_replicate_k_of_every_scenario_shares_its_seed(compared: Result) -> None:
    manifest = json.loads((compared.folder / "manifest.json").read_text())
    assert manifest["base_seed"] == SEED
    assert manifest["replicate_seeds"] == replicate_seeds(SEED, COMPARED)


# --- the comparison folder ---------------------------------------------------------------------


def test_comparison_folder_layout(compared: Result) -> None:
    (name,) = [p.name for p in compared.out.iterdir()]  # no .partial-* left behind
    match = FOLDER.match(name)
    assert match, name
    assert match.group(1) == "compare-base-vs-base-copy-vs-lead"
    folder = compared.folder
    assert {p.name for p in folder.iterdir()} == {"manifest.json", "comparison.csv", "summary.md", "charts",
                                                  "base", "base-copy", "lead"}
    for sub in ("base", "base-copy", "lead"):
        assert {p.name for p in (folder / sub).iterdir()} == RUN_FILES, sub
        assert {p.name for p in (folder / sub / "charts").iterdir()} == RUN_CHARTS, sub
    assert {p.name for p in (folder / "charts").iterdir()} == COMPARISON_CHARTS
    for png in (folder / "charts").iterdir():
        assert png.read_bytes().startswith(PNG_MAGIC), png


def test_comparison_csv_columns_and_first_row(compared: Result) -> None:
    columns, rows = read_csv(compared.folder / "comparison.csv")
    parts = ("mean", "ci_low", "ci_high", "diff_mean", "diff_ci_low", "diff_ci_high")
    assert columns == ["scenario", "positions", *(f"{m}_{p}" for m in metrics.HEADLINE for p in parts),
                       *(f"turnover_{e}_{p}" for e in SITE_ENTRIES for p in parts)]
    assert [r["scenario"] for r in rows] == ["base", "base-copy", "lead"]  # the order given
    first = rows[0]
    for metric in PAIRED:
        if first[f"{metric}_mean"] != "":
            assert [first[f"{metric}_diff_{p}"] for p in ("mean", "ci_low", "ci_high")] == ["0", "0", "0"], metric
    for row in rows:  # a pooled Kaplan-Meier median has no per-replicate values to pair
        assert row["median_tenure_weeks_diff_mean"] == row["median_tenure_weeks_diff_ci_low"] == ""


def test_comparison_levels_are_each_scenarios_summary(compared: Result) -> None:
    _, rows = read_csv(compared.folder / "comparison.csv")
    for row in rows:
        summary = json.loads((compared.folder / row["scenario"] / "summary.json").read_text())
        assert int(row["positions"]) == summary["positions"]
        for metric in metrics.HEADLINE:
            for part in ("mean", "ci_low", "ci_high"):
                value = summary[metric][part]
                assert row[f"{metric}_{part}"] == ("" if value is None else format(value, ".10g")), (metric, part)


def test_the_lever_clearly_lowers_turnover_and_the_summary_says_so(compared: Result) -> None:
    _, rows = read_csv(compared.folder / "comparison.csv")
    lead = next(r for r in rows if r["scenario"] == "lead")
    assert float(lead["annual_turnover_diff_ci_high"]) < 0
    text = (compared.folder / "summary.md").read_text()
    assert text in compared.stdout  # printed too
    assert re.search(r"[\d.]+% of the specialists in post at the start \(about \d+ per 18 positions\) leave within "
                     r"40 weeks with base against [\d.]+% \(about \d+ per 18\) with lead: [\d.]+ percentage points "
                     r"fewer \(95% CI [\d.]+ to [\d.]+\)\.", text), text
    assert re.search(r"Annual turnover is [\d.]+% with base against [\d.]+% with lead: [\d.]+ fewer leavers per 100 "
                     r"specialists a year \(95% CI [\d.]+ to [\d.]+\)\.", text), text
    assert "The same share of the specialists in post at the start leave within 40 weeks with base-copy" in text
    assert "compare the shares, not the counts" not in text  # all three have 18 positions


def test_manifest_holds_every_resolved_scenario(compared: Result, files: dict[str, Path]) -> None:
    manifest = json.loads((compared.folder / "manifest.json").read_text())
    assert manifest["kind"] == "compare"
    assert [s["folder"] for s in manifest["scenarios"]] == ["base", "base-copy", "lead"]
    assert [s["source"] for s in manifest["scenarios"]] == [str(files[k]) for k in ("base", "copy", "lead")]
    assert Scenario.model_validate(manifest["scenarios"][2]["scenario"]) == scenario("lead", **LEAD)
    assert {"ipsim", "mesa", "numpy", "python"} <= set(manifest["versions"])
    assert manifest["command"][:2] == ["ipsim", "compare"]
    assert manifest["started_utc"] <= manifest["finished_utc"]


def test_each_subfolder_holds_what_ipsim_run_writes(compared: Result, files: dict[str, Path], tmp_path: Path) -> None:
    run = cli(tmp_path, "run", str(files["lead"]), replicates=COMPARED)
    for name in ("summary.json", "weekly.csv", "spells.csv", "clients.csv"):
        assert (run.folder / name).read_bytes() == (compared.folder / "lead" / name).read_bytes(), name


def test_results_do_not_depend_on_the_number_of_workers(compared: Result, files: dict[str, Path],
                                                        tmp_path: Path) -> None:
    two = cli(tmp_path, "compare", str(files["base"]), str(files["copy"]), str(files["lead"]), replicates=COMPARED,
              workers=2)
    for name in ("comparison.csv", "lead/weekly.csv", "lead/spells.csv", "lead/clients.csv", "base/summary.json"):
        assert (two.folder / name).read_bytes() == (compared.folder / name).read_bytes(), name


# --- site by site ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def solo_free(files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Result:
    """base against base with no solo posts (each of the two solo sites gets a second position)."""
    plan = dump(tmp_path_factory.mktemp("solo-free-file"), scenario("no-solo", no_solo_posts={"enabled": True}))
    return cli(tmp_path_factory.mktemp("solo-free"), "compare", str(files["base"]), str(plan))


def test_a_plan_that_adds_positions_is_explained_site_by_site(solo_free: Result) -> None:
    """summary.md says, for the solo sites that no_solo_posts changes, their turnover with each scenario, how much of
    the change in annual turnover comes from the staff mix, and the departures a year per solo site."""
    text = (solo_free.folder / "summary.md").read_text()
    items = [line[2:] for line in text.splitlines() if line.startswith("- ")]
    assert len(items) == 2 and items[1] in solo_free.stdout
    sites = items[1]
    base, free = outcomes_of([scenario("base"), scenario("no-solo", no_solo_posts={"enabled": True})], REPLICATES)
    assert (base.summary["site_entries"]["solo"], free.summary["site_entries"]["solo"]) == (
        {"sites": 2, "positions": 1}, {"sites": 2, "positions": 2})
    diff = metrics.site_difference(base, free, "solo")
    if verdict(diff) in ("negative", "positive"):
        assert "At solo (2 sites of 1 ES with base, 2 with no-solo), annual turnover is " in sites, sites
        assert f"{words.difference_words(diff, words.TURNOVER_UNIT)}." in sites
    else:
        assert re.search(r"(no site shows a clear difference|The other sites)[^.]*\bsolo\b", sites), sites
    split = metrics.turnover_decomposition(base, free)
    assert split is not None
    mix = 100 * split["staff_mix"]["mean"]
    shown = f"{mix:+.{0 if abs(mix) >= 10 else 1}f}"
    assert re.search(r"Of the change in annual turnover \([+-][\d.]+ points\), [+-][\d.]+ points \(95% CI [^)]*\) "
                     rf"come from [a-z ]*turnover within the sites, at base's staff mix, and {re.escape(shown)} "
                     r"points \(95% CI [^)]*\) from the staff mix", sites), sites
    assert (f"Per site, solo loses about {words.departures_per_site(free, 'solo'):.1f} ES a year with no-solo (2 ES "
            f"each) against {words.departures_per_site(base, 'solo'):.1f} with base (1 each).") in sites


def test_each_site_chart_is_a_png(solo_free: Result) -> None:
    for path in (solo_free.folder / "charts" / "sites.png", solo_free.folder / "no-solo" / "charts" / "sites.png"):
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 10_000, path


# --- levers ------------------------------------------------------------------------------------


def test_each_lever_variant_changes_only_its_lever() -> None:
    base, full = compare.Entry(scenario("base"), "base.yaml"), compare.Entry(full_plan(), "plan.yaml")
    entries = compare.lever_entries(base, full)
    assert entries[0] is base
    assert [e.lever for e in entries[1:]] == [lv.name for lv in levers.LEVERS]
    for entry in entries[1:]:
        variant = entry.scenario.model_dump()
        expected = base.scenario.model_dump()
        expected["start_up_plan"][entry.lever] = full.scenario.start_up_plan.model_dump()[entry.lever]
        expected.update(name=variant["name"], description=variant["description"])
        assert variant == expected, entry.lever
        assert entry.scenario.name == entry.lever.replace("_", "-")


def test_levers_end_to_end(levers_run: Result) -> None:
    folder = levers_run.folder
    tested = ["no_solo_posts", "implementation_lead", "network_seminars"]
    assert FOLDER.match(folder.name).group(1) == "levers-base"
    names = {p.name for p in folder.iterdir()}
    assert names == {"manifest.json", "comparison.csv", "levers.csv", "summary.md", "charts", "base",
                     *(lv.replace("_", "-") for lv in tested)}  # no folder for a lever the plan leaves alone
    assert (folder / "charts" / "levers.png").read_bytes().startswith(PNG_MAGIC)

    columns, ranking = read_csv(folder / "levers.csv")
    measures = tuple(compare.AVOIDED.values())
    assert columns == ["lever", *(f"{m}_{p}" for m in measures for p in ("mean", "ci_low", "ci_high"))]
    assert sorted(r["lever"] for r in ranking) == sorted(tested)
    avoided = [float(r["turnover_avoided_mean"]) for r in ranking]
    assert avoided == sorted(avoided, reverse=True)

    _, rows = read_csv(folder / "comparison.csv")
    by_name = {r["scenario"]: r for r in rows}
    assert set(by_name) == {"base", *(lv.replace("_", "-") for lv in tested)}
    for r in ranking:  # avoided = base minus variant: the comparison's difference, sign turned round
        row = by_name[r["lever"].replace("_", "-")]
        assert float(r["turnover_avoided_mean"]) == pytest.approx(-float(row["annual_turnover_diff_mean"]))
        assert float(r["turnover_avoided_ci_low"]) == pytest.approx(-float(row["annual_turnover_diff_ci_high"]))
        assert float(r["cohort_left_share_avoided_ci_high"]) == pytest.approx(
            -float(row["cohort_left_share_diff_ci_low"]))
    assert "Levers ranked by annual turnover avoided" in levers_run.stdout
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "levers"
    untested = [lv.name for lv in levers.LEVERS if lv.name not in tested]
    assert manifest["not_tested"] == untested
    in_order = [lv.name for lv in levers.LEVERS if lv.name in tested]
    assert [s["lever"] for s in manifest["scenarios"]] == [None, *in_order]


def test_untested_levers_are_listed_but_never_ranked(levers_run: Result) -> None:
    text = (levers_run.folder / "summary.md").read_text()
    ranked = [line for line in text.splitlines() if re.match(r"^\d+\. ", line)]
    assert [line.split(":")[0].split(". ")[1] for line in ranked] == [
        r["lever"] for r in read_csv(levers_run.folder / "levers.csv")[1]]
    untested = [lv.name for lv in levers.LEVERS if lv.name not in PARTIAL]
    assert f"Set the same in the plan as in base, so not tested: {', '.join(untested)}." in text
    assert not any(lv in line for line in ranked for lv in untested)


def test_lever_entries_build_variants_only_for_levers_the_plan_changes() -> None:
    base = compare.Entry(scenario("base"), "base.yaml")
    plan = compare.Entry(scenario("partial", **PARTIAL), "partial.yaml")
    entries = compare.lever_entries(base, plan)
    assert [e.lever for e in entries] == [None, "no_solo_posts", "implementation_lead", "network_seminars"]
    assert compare.untested(entries) == [lv.name for lv in levers.LEVERS if lv.name not in PARTIAL]
    assert compare.untested([base, compare.Entry(scenario("lead", **LEAD), "lead.yaml")]) == []  # a plain compare
    with pytest.raises(compare.ComparisonError, match="no lever to test"):
        compare.lever_entries(base, compare.Entry(scenario("same"), "same.yaml"))


# --- findings compare shares, not head-counts -------------------------------------------------


def one_position(name: str = "alone", weeks: int = WEEKS) -> Scenario:
    """One solo position without a supervisor: nearly everyone leaves, so head-counts and shares disagree."""
    return Scenario.model_validate({
        "name": name, "weeks": weeks, "cohort_window_weeks": weeks,
        "sites": [{"name": "alone", "positions": 1, "supervisor_availability": 0.0, "team_contact": 0.4,
                   "travel_burden": 0.9, "job_market": 0.6}],
    })


def outcomes_of(scenarios: list[Scenario], replicates: int) -> list[metrics.Outcome]:
    """Outcomes with common random numbers, without folders or charts (fast)."""
    seeds = replicate_seeds(SEED, replicates)
    records = batches.run_batches([(s, seeds) for s in scenarios])
    return [metrics.outcome(r, s) for r, s in zip(records, scenarios, strict=True)]


@pytest.fixture(scope="module")
def sizes() -> tuple[list[compare.Entry], list[metrics.Outcome]]:
    """The 18-position base against a one-position scenario, 6 replicates."""
    scenarios = [scenario("base"), one_position()]
    return [compare.Entry(s, f"{s.name}.yaml") for s in scenarios], outcomes_of(scenarios, 6)


def test_findings_compare_shares_when_the_sizes_differ(sizes: tuple[list, list]) -> None:
    entries, (base, alone) = sizes
    text = words.findings(entries, [base, alone])
    assert (base.summary["positions"], alone.summary["positions"]) == (18, 1)
    assert "- alone has 1 position, base 18: compare the shares, not the counts. " in text
    share = words.SHARE  # the study's cohort: the ES in post when observation starts (here: at the start)
    assert share == "study_cohort_left_share"
    diff = metrics.difference(base, alone, share)  # the paired difference of the shares, replicate by replicate
    assert diff == paired_difference([r[share] for r in base.per_replicate], [r[share] for r in alone.per_replicate])
    digits = 0 if abs(100 * diff["mean"]) >= 10 else 1
    levels = [f"{100 * o.summary[share]['mean']:.{digits}f}%" for o in (base, alone)]
    per = [f"about {18 * o.summary[share]['mean']:.0f} per 18" for o in (base, alone)]
    assert (f"{levels[0]} of the specialists in post at the start ({per[0]} positions) leave within 40 weeks with "
            f"base against {levels[1]} ({per[1]}) with alone: ") in text, text
    # the shares' paired difference and CI, in percentage points (its sign is chance with one position and 6 runs)
    assert f"{words.difference_words(diff, words.POINTS)}." in text and "percentage points" in text
    assert not re.search(r"\bof 1\b|of the 18 specialists|fewer with alone", text)  # no head-count of 1 against 18


def test_findings_say_what_the_difference_means_for_clients() -> None:
    """With a window long enough to follow clients 52 weeks, each scenario's finding ends with the clients' share in
    work 12 months after referral and their ES changes, against the reference's, with the paired differences."""
    scenarios = [scenario("base", weeks=70), scenario("lead", weeks=70, **LEAD)]
    outcomes = outcomes_of(scenarios, 4)
    text = words.findings([compare.Entry(s, f"{s.name}.yaml") for s in scenarios], outcomes)
    base, lead = outcomes
    employed = metrics.difference(base, lead, "clients_employed_12m")
    changes = metrics.difference(base, lead, "es_changes_per_client")
    digits = 0 if abs(100 * employed["mean"]) >= 10 else 1
    levels = [f"{100 * o.summary['clients_employed_12m']['mean']:.{digits}f}%" for o in outcomes]
    assert (f"For clients: {levels[0]} are in work 12 months after referral with base against {levels[1]} with lead "
            f"({words.difference_words(employed, words.POINTS)}), and their specialist leaves "
            f"{100 * base.summary['es_changes_per_client']['mean']:.0f} against "
            f"{100 * lead.summary['es_changes_per_client']['mean']:.0f} times per 100 clients in their first year ("
            f"{words.difference_words(changes, '{more} ES changes per 100 clients')}).") in text, text


def test_no_client_finding_when_the_window_cannot_follow_a_client_a_year(sizes: tuple[list, list]) -> None:
    entries, outcomes = sizes  # a 40-week window
    assert outcomes[0].summary["clients_employed_12m"]["mean"] is None
    assert "For clients" not in words.findings(entries, outcomes)


def test_difference_words_scale_and_direction() -> None:
    more = {"mean": 0.53, "ci_low": 0.45, "ci_high": 0.61}
    assert words.difference_words(more, words.POINTS) == "53 percentage points more (95% CI 45 to 61)"
    fewer = {"mean": -0.034, "ci_low": -0.047, "ci_high": -0.021}
    assert words.difference_words(fewer, words.TURNOVER_UNIT) == (
        "3.4 fewer leavers per 100 specialists a year (95% CI 2.1 to 4.7)")
    unclear = {"mean": -0.012, "ci_low": -0.03, "ci_high": 0.006}
    assert words.difference_words(unclear, words.POINTS) == (
        "no clear difference (-1.2 percentage points, 95% CI -3.0 to +0.6)")
    assert words.difference_words({"mean": 0.2, "ci_low": None, "ci_high": None}, words.POINTS) == (
        "20 percentage points more")  # one replicate: no interval, said once elsewhere


def test_one_replicate_is_worded_as_one(tmp_path: Path) -> None:
    scenarios = [scenario("base"), one_position()]
    outcomes = outcomes_of(scenarios, 1)
    entries = [compare.Entry(s, f"{s.name}.yaml") for s in scenarios]
    text = words.findings(entries, outcomes)
    assert "1 replicate x 40 weeks per scenario" in text
    assert "replicates x" not in text and "1 replicates" not in text
    assert text.count("confidence interval") == 1  # said once, in the method paragraph
    item = next(line for line in text.splitlines() if line.startswith("- "))
    assert "95% CI" not in item and "one replicate" not in item
    assert not re.search(r"[+-]\d+\.\d of the", item)  # not "-14.0 of the 45 specialists"
    table = words.summary_table(outcomes[1].summary, tmp_path)
    assert table.startswith("alone: 1 replicate x 40 weeks, 1 position\n")
    assert words.plural(2, "replicate") == "2 replicates" and words.plural(1, "position") == "1 position"


def test_one_replicate_levers_wording_and_chart(tmp_path: Path) -> None:
    ranking = [{"lever": "implementation_lead", "turnover_avoided_mean": 0.05, "turnover_avoided_ci_low": None,
                "turnover_avoided_ci_high": None}]
    base = compare.Entry(scenario("base"), "base.yaml")
    entries = [base, *compare.lever_entries(base, compare.Entry(scenario("lead", **LEAD), "lead.yaml"))[1:]]
    text = words.lever_findings(entries, ranking)
    assert "1. implementation_lead: 5.0 fewer leavers per 100 specialists a year.\n" in text
    path = compare_charts.draw_levers(tmp_path / "levers.png", ranking, "base", 1, compare.untested(entries))
    assert path.read_bytes().startswith(PNG_MAGIC)


# --- charts: colours follow the factor, the quit-reasons chart names its scenarios -----------------


def test_a_factor_keeps_its_colour_whatever_its_rank() -> None:
    names = [f.name for f in pressures.DRAINS]
    rising = np.arange(1.0, len(names) + 1)[None, :]  # the last factor largest
    falling = rising[:, ::-1]  # the first factor largest
    a = style.named_factors(names, rising, style.TOP_FACTORS, "Other")
    b = style.named_factors(names, falling, style.TOP_FACTORS, "Other")
    assert a.names != b.names  # different factors are named, in a different order ...
    for segments in (a, b):  # ... but each in its own colour
        for name, colour in zip(segments.names, segments.colours, strict=True):
            assert colour == (style.OTHER if name is None else style.factor_colour(name))
    assert a.names[-1] is None and a.labels[-1] == "Other" and a.colours[-1] == style.OTHER
    for name in set(a.names) & set(b.names) - {None}:
        assert a.colours[a.names.index(name)] == b.colours[b.names.index(name)]


def test_factor_colours_are_distinct_within_a_kind_and_nourishing_is_hatched() -> None:
    for kind in (pressures.DRAINS, pressures.NOURISHERS):
        colours = [style.FACTOR_COLOURS[f.name] for f in kind if f.name in style.FACTOR_COLOURS]
        assert len(colours) == len(set(colours)) and set(colours) <= set(style.TOL_MUTED)
    coloured_drains = min(len(pressures.DRAINS), len(style.TOL_MUTED))  # the heaviest drains, if there are more
    assert len(style.FACTOR_COLOURS) == coloured_drains + len(pressures.NOURISHERS)
    assert all(style.factor_hatch(f.name) for f in pressures.NOURISHERS)
    assert not any(style.factor_hatch(f.name) for f in pressures.DRAINS)
    names = [*(f.name for f in pressures.DRAINS), "a_factor_without_a_colour"]
    values = np.zeros((1, len(names)))
    values[0, -1] = 1.0  # large, but it has no colour
    segments = style.named_factors(names, values, style.TOP_FACTORS, "Other")
    assert segments.names == [None] and segments.colours == [style.OTHER]


def test_quit_reasons_title_says_which_scenario() -> None:
    title = words.quit_reasons_title
    assert title([("base", "travel"), ("plan", "travel")]) == "Travel wears leavers down most in every scenario"
    assert title([("base", "unprepared_context"), ("plan", "job_insecurity")]) == (
        "Unprepared context wears leavers down most with base; job insecurity with plan")
    four = [("a", "travel"), ("b", "travel"), ("c", "travel"), ("d", "travel"), ("e", "role_conflict")]
    assert title(four) == "Travel wears leavers down most in 4 of 5 scenarios; role conflict with e"
    assert title([("a", "travel"), ("b", None)]) == "Travel wears leavers down most with a; nobody quit with b"
    assert words.shock_label({"mean": 0.49, "ci_low": 0.4, "ci_high": 0.6}) == "49% of voluntary quits began with a shock"


# --- bad input, errors and interruptions -------------------------------------------------------


def bad_inputs(files: dict[str, Path], tmp: Path) -> dict[str, list[str]]:
    longer = dump(tmp, scenario("longer", weeks=WEEKS + 10))
    typo = tmp / "typo.yaml"
    typo.write_text(files["base"].read_text(encoding="utf-8") + "clients: {caseload_capp: 20}\n", encoding="utf-8")
    base, lead = str(files["base"]), str(files["lead"])
    return {
        "one scenario": ["compare", base],
        "same name twice": ["compare", base, base],
        "different horizons": ["compare", base, str(longer)],
        "missing file": ["compare", base, str(tmp / "missing.yaml")],
        "bad scenario": ["compare", base, str(typo)],
        "zero replicates": ["compare", base, lead, "--replicates", "0"],
        "missing plan": ["levers", base, "--plan", str(tmp / "missing.yaml")],
        "out is a file": ["levers", base, "--plan", str(files["plan"]), "--out", str(typo)],
    }


@pytest.mark.parametrize("case", ["one scenario", "same name twice", "different horizons", "missing file",
                                  "bad scenario", "zero replicates", "missing plan", "out is a file"])
def test_bad_input_exits_2_without_traceback_or_output(case: str, files: dict[str, Path], tmp_path: Path) -> None:
    argv = bad_inputs(files, tmp_path)[case]
    out = tmp_path / "runs"
    if "--out" not in argv:
        argv = [*argv, "--out", str(out)]
    before = sorted(p.name for p in tmp_path.iterdir())
    code, _, stderr = invoke([*argv, "--workers", "1", "--replicates", "2"] if case != "zero replicates"
                             else [*argv, "--workers", "1"])
    assert code == 2, stderr
    assert "Traceback" not in stderr
    assert "error" in stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("failure", [RuntimeError("disk full"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
def test_a_failure_leaves_nothing_behind(failure: BaseException, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_: object) -> None:
        raise failure

    monkeypatch.setattr(run_charts, "draw_all", lambda *_: [])  # quicker: the failure comes after the subfolders
    monkeypatch.setattr(compare_charts, "draw_comparison", fail)
    entries = [compare.Entry(scenario("a", weeks=20), "a"), compare.Entry(scenario("b", weeks=20, **LEAD), "b")]
    with pytest.raises(type(failure)):
        compare_study.compare(entries, "compare", Options(2, SEED, 1, tmp_path, ["test"]))
    assert list(tmp_path.iterdir()) == []


def test_folder_labels_stay_short() -> None:
    assert compare_study.folder_label("compare", ["a", "b"]) == "compare-a-vs-b"
    long = [f"scenario-number-{i}" for i in range(6)]
    assert compare_study.folder_label("compare", long) == "compare-scenario-number-0-vs-scenario-number-1-and-4-more"
    assert len(compare_study.folder_label("compare", ["x" * 80, "y" * 80])) <= compare_study.MAX_LABEL
    assert compare_study.folder_label("levers", ["baseline"]) == "levers-baseline"


# --- the bundled files -------------------------------------------------------------------------


def test_levers_defaults_are_the_bundled_baseline_and_full_plan() -> None:
    args = parser().parse_args(["levers"])
    assert args.base == ROOT / "scenarios" / "baseline.yaml"
    assert args.plan == ROOT / "scenarios" / "startup-plan.yaml"
    base, full = load_scenario(args.base), load_scenario(args.plan)
    entries = compare.lever_entries(compare.Entry(base, str(args.base)), compare.Entry(full, str(args.plan)))
    assert compare.untested(entries) == [], "the full plan should pull every lever the baseline leaves alone"
    assert [e.lever for e in entries[1:]] == [lv.name for lv in levers.LEVERS]


def test_compare_the_bundled_baseline_and_startup_plan(tmp_path: Path) -> None:
    """The planner's headline comparison, end to end, from the bundled files (full horizon)."""
    baseline, startup = ROOT / "scenarios" / "baseline.yaml", ROOT / "scenarios" / "startup-plan.yaml"
    run = cli(tmp_path, "compare", str(baseline), str(startup), replicates=2, workers=2)
    assert FOLDER.match(run.folder.name).group(1) == "compare-baseline-vs-startup-plan"
    _, rows = read_csv(run.folder / "comparison.csv")
    assert [(r["scenario"], r["positions"]) for r in rows] == [("baseline", "45"), ("startup-plan", "47")]
    # no solo posts adds two positions: the finding says so, and compares shares
    assert "startup-plan has 47 positions, baseline 45: compare the shares, not the counts." in run.stdout
    # after the baseline's two-year warm-up, the study's cohort: everyone in post as observation starts
    assert re.search(r"\d+% of the specialists in post as observation starts \(about \d+ per 45 positions\) leave "
                     r"within two years with baseline against \d+% \(about \d+ per 45\) with startup-plan", run.stdout)
    assert "Each replicate first runs two years of the service's growth (a warm-up" in run.stdout
