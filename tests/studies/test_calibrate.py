"""``ipsim calibrate`` on a small world: what it writes, that it is reproducible and resumable, and that bad
calibration specs are refused clearly."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from simulation.analysis import calibration
from simulation.inputs import specs
from simulation.inputs.reading import ScenarioError
from simulation.inputs.scenarios import load_scenario
from tests.helpers import interrupt_chunk, invoke, only_folder

SPEC = """
base: tiny.yaml
window_weeks: 52
samples: 16
population: 6
batch: 8
generations: 3
replicates: 4
seed: 5
parameters:
  - {path: staff.quit_threshold.mean, range: [1.0, 4.0]}
  - {path: shocks.work_life_conflict_per_year, range: [0.0, 1.0]}
targets:
  - {metric: study_cohort_left_share, successes: 18, trials: 40, source: B22a}
  - {metric: shock_share, successes: 4, trials: 10, source: B24}
"""
OUTPUTS = ("posterior.csv", "posterior.json", "samples.csv", "summary.json", "calibrated.yaml")
TEAMS = """\
  - {name: team, count: 3, positions: 4, supervisor_availability: 0.3, team_contact: 0.5,
      travel_burden: 0.7, job_market: 0.8}
"""
"""The calibration's small world: three teams of four, whose ES share their site's readiness and shocks, so that
their departures cluster (the beta-binomial kernel's intra-class correlation is then clearly above zero)."""


@pytest.fixture(scope="module")
def calibration_spec(small_world: Callable[..., Path]) -> Callable[..., Path]:
    """``calibration_spec(folder, spec=SPEC)`` writes a one-year small world of three teams (``tiny.yaml``) and the
    calibration spec ``cal.yaml`` over it into ``folder``; returns the spec's path."""

    def write(folder: Path, spec: str = SPEC) -> Path:
        small_world(folder, 52, sites=TEAMS)
        (folder / "cal.yaml").write_text(spec)
        return folder / "cal.yaml"

    return write


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory, calibration_spec: Callable[..., Path]) -> Path:
    tmp = tmp_path_factory.mktemp("calibrate")
    code, out, err = invoke(["calibrate", str(calibration_spec(tmp)), "--workers", "1", "--out", str(tmp / "runs")])
    assert code == 0, err
    assert "calibrated scenario:" in out
    return only_folder(tmp / "runs")


def weighted_median(values: list[float], weights: list[float]) -> float:
    return calibration.weighted_quantile(np.array(values), np.array(weights), 0.5)


def test_calibration_writes_a_weighted_posterior_with_its_provenance(calibrated: Path) -> None:
    assert calibrated.name.endswith("-calibrate-cal")
    summary = json.loads((calibrated / "summary.json").read_text())
    posterior = list(csv.DictReader((calibrated / "posterior.csv").open()))
    weights = [float(p["weight"]) for p in posterior]
    assert len(posterior) == summary["particles"] >= 6 and sum(weights) == pytest.approx(1, abs=1e-6)
    provenance = json.loads((calibrated / "posterior.json").read_text())
    assert provenance["parameters"] == ["staff.quit_threshold.mean", "shocks.work_life_conflict_per_year"]
    assert provenance["kernel"] == "beta-binomial" and provenance["generations"] == 3
    assert provenance["posterior_sha256"] == hashlib.sha256((calibrated / "posterior.csv").read_bytes()).hexdigest()
    assert set(provenance["icc"]) == {"study_cohort_left_share", "shock_share"}
    scenario = load_scenario(calibrated / "calibrated.yaml")
    for row in summary["parameters"]:
        kept = [float(p[row["parameter"]]) for p in posterior]
        assert row["median"] == pytest.approx(weighted_median(kept, weights))
        assert row["q05"] <= row["median"] <= row["q95"]
        assert row["identifiability"] in ("informed", "weakly informed", "not informed")
    assert scenario.staff.quit_threshold.mean == pytest.approx(summary["parameters"][0]["median"], rel=5e-3)
    assert scenario.cohort_window_weeks == 52
    assert "# ABC-SMC with the observations' beta-binomial error" in (calibrated / "calibrated.yaml").read_text()
    assert [g["generation"] for g in summary["generations"]] == [0, 1, 2]
    assert summary["generations"][-1]["temperature"] == 1.0
    assert len(summary["correlations"]) == 1
    for target in summary["targets"]:
        assert 0 <= target["tail_probability"] <= 1
        assert target["predicted_q05"] <= target["predicted_q95"]
    for chart in ("posterior.png", "fit.png"):
        assert (calibrated / "charts" / chart).stat().st_size > 10_000
    text = (calibrated / "summary.md").read_text()
    assert "| `staff.quit_threshold.mean` |" in text and "Posterior predictive check" in text


def test_every_proposal_is_kept_with_its_kernel_and_only_the_accepted_weigh(calibrated: Path) -> None:
    samples = list(csv.DictReader((calibrated / "samples.csv").open()))
    assert {s["generation"] for s in samples} == {"0", "1", "2"}
    assert sum(s["generation"] == "0" for s in samples) == 16
    assert all(float(s["weight"]) == 0 for s in samples if s["accepted"] == "false")
    last = [s for s in samples if s["generation"] == "2" and s["accepted"] == "true"]
    assert len(last) == len(list(csv.DictReader((calibrated / "posterior.csv").open())))


def test_each_batch_is_a_finished_sweep_folder(calibrated: Path) -> None:
    batches = sorted(p.name for p in (calibrated / "batches").iterdir())
    assert batches[0] == "g00-r00" and {b[:4] for b in batches[1:]} == {"g01-", "g02-"}
    for name in batches:
        rows = list(csv.DictReader((calibrated / "batches" / name / "results.csv").open()))
        assert rows and {"study_cohort_size", "voluntary_quits"} <= set(rows[0])


def test_the_overdispersed_kernel_gives_a_wider_posterior_than_the_binomial_on_the_same_runs(calibrated: Path) -> None:
    """Generation 0's prior draws weighed by each kernel (importance weights, no acceptance noise): the beta-binomial,
    with the intra-class correlation the runs themselves show, spreads the weight wider than the binomial does."""
    spec = specs.CalibrationSpec.model_validate(json.loads((calibrated / "manifest.json").read_text())["spec"])
    counts = calibration.read_counts(calibrated / "batches" / "g00-r00" / "results.csv", spec.targets, 16, 4)
    wide = calibration.kernel(spec, counts)
    narrow = calibration.kernel(spec.model_copy(update={"kernel": "binomial"}), counts)
    assert max(wide.icc) > 0 and max(narrow.icc) == 0
    theta = np.array([[float(r["staff.quit_threshold.mean"]), float(r["shocks.work_life_conflict_per_year"])]
                      for r in csv.DictReader((calibrated / "batches" / "g00-r00" / "results.csv").open())
                      if r["replicate"] == "0"])

    def spread(kernel: calibration.CountKernel) -> float:
        w = np.exp(kernel.log_pdf(counts) - kernel.log_max)
        w /= w.sum()
        mean = (theta[:, 0] * w).sum()
        return float(np.sqrt(((theta[:, 0] - mean) ** 2 * w).sum()))

    assert spread(wide) > spread(narrow)


def test_the_posterior_does_not_depend_on_workers_chunking_or_interruptions(
        calibrated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calibration_spec: Callable[..., Path]) -> None:
    """Run in chunks of 4 (the fixture: automatic chunks), interrupted in generation 1's first batch, then resumed on
    2 workers (the fixture: 1): the finished batches are read, the interrupted one and the rest are run by worker
    processes, and the posterior is the fixture's to the byte."""
    restore = interrupt_chunk(monkeypatch, at=18)  # generation 0 is 16 chunks of 4 runs
    code, _, err = invoke(["calibrate", str(calibration_spec(tmp_path)), "--workers", "1", "--chunk-size", "4",
                           "--out", str(tmp_path / "runs")])
    assert code == 130 and "ipsim calibrate --resume" in err
    restore()
    folder = only_folder(tmp_path / "runs")
    assert (folder / "batches" / "g01-r00").is_dir() and not any((folder / name).exists() for name in OUTPUTS)
    code, _, err = invoke(["calibrate", "--resume", str(folder), "--workers", "2"])
    assert code == 0, err
    for name in ("posterior.csv", "samples.csv"):
        assert (folder / name).read_bytes() == (calibrated / name).read_bytes(), name


def test_a_dry_run_says_how_many_runs_and_writes_nothing(tmp_path: Path, calibration_spec: Callable[..., Path]) -> None:
    """16 prior draws x 4 replicates, then at least one round of 8 x 4 in each of 2 generations: 128 runs at least;
    at most 50 rounds each: 64 + 2 x 50 x 32 = 3,264."""
    code, out, err = invoke(["calibrate", str(calibration_spec(tmp_path)), "--dry-run", "--workers", "1",
                             "--out", str(tmp_path / "runs")])
    assert code == 0, err
    assert "At least 128 runs (one round a generation), at most 3,264." in out and "estimated wall time" in out
    assert "nothing was written" in out and not (tmp_path / "runs").exists()
    code, _, err = invoke(["calibrate", "--resume", str(tmp_path), "--dry-run"])
    assert code == 2 and "cannot go with --resume" in err


@pytest.mark.parametrize(("change", "expected"), [
    (("range: [1.0, 4.0]}", "levels: [1.0, 4.0]}"), "a free parameter is a float with a range (its prior)"),
    (("successes: 4, trials: 10", "successes: 14, trials: 10"), "successes (14) cannot exceed trials (10)"),
    (("window_weeks: 52", "window_weeks: 80"), "window_weeks (80) exceeds the base scenario's weeks (52)"),
    (("metric: shock_share", "metric: shocks"), "targets[1].metric: Input should be"),
    (("samples: 16", "samples: 16\nwindow: 3"), "window: unknown field; did you mean 'window_weeks'?"),
    (("seed: 5", "seed: 5\nkernel: poisson"), "kernel: Input should be 'beta-binomial' or 'binomial'"),
])
def test_bad_calibration_specs_are_refused(tmp_path: Path, change: tuple[str, str], expected: str,
                                           calibration_spec: Callable[..., Path]) -> None:
    spec = calibration_spec(tmp_path, SPEC.replace(*change))
    with pytest.raises(ScenarioError, match=None) as caught:
        specs.load_calibration(spec)
    assert expected in str(caught.value) and str(spec) in str(caught.value)
    code, _, err = invoke(["calibrate", str(spec), "--out", str(tmp_path / "runs")])
    assert code == 2 and "Traceback" not in err and not (tmp_path / "runs").exists()
