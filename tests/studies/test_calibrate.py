"""``ipsim calibrate`` on a small world: what it writes, that it is reproducible and resumable, and that bad
calibration specs are refused clearly."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from simulation.inputs import specs
from simulation.inputs.reading import ScenarioError
from simulation.inputs.scenarios import load_scenario
from tests.helpers import interrupt_chunk, invoke, only_folder

SPEC = """
base: tiny.yaml
window_weeks: 52
samples: 12
replicates: 2
seed: 5
parameters:
  - {path: staff.quit_threshold.mean, range: [0.4, 1.6]}
  - {path: shocks.work_life_conflict_per_year, range: [0.0, 0.4]}
targets:
  - {metric: cohort_left_share, successes: 18, trials: 40, source: B22a}
  - {metric: shock_share, successes: 4, trials: 10, source: B24}
"""


@pytest.fixture(scope="module")
def calibration_spec(small_world: Callable[..., Path]) -> Callable[..., Path]:
    """``calibration_spec(folder, spec=SPEC)`` writes a one-year small world (``tiny.yaml``) and the calibration spec
    ``cal.yaml`` over it into ``folder``; returns the spec's path."""

    def write(folder: Path, spec: str = SPEC) -> Path:
        small_world(folder, 52)
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


def test_calibration_writes_the_accepted_set_and_a_calibrated_scenario(calibrated: Path) -> None:
    assert calibrated.name.endswith("-calibrate-cal")
    samples = list(csv.DictReader((calibrated / "samples.csv").open()))
    posterior = list(csv.DictReader((calibrated / "posterior.csv").open()))
    assert len(samples) == 12
    accepted = [s["sample_id"] for s in samples if s["accepted"] == "true"]
    assert [p["sample_id"] for p in posterior] == accepted and accepted
    summary = json.loads((calibrated / "summary.json").read_text())
    scenario = load_scenario(calibrated / "calibrated.yaml")
    for row in summary["parameters"]:
        kept = [float(p[row["parameter"]]) for p in posterior]
        assert row["median"] == pytest.approx(float(np.median(kept)))
        assert row["q05"] <= row["median"] <= row["q95"]
    assert scenario.staff.quit_threshold.mean == pytest.approx(summary["parameters"][0]["median"], rel=5e-3)
    assert scenario.cohort_window_weeks == 52
    assert "# ABC rejection" in (calibrated / "calibrated.yaml").read_text()
    for chart in ("posterior.png", "fit.png"):
        assert (calibrated / "charts" / chart).stat().st_size > 10_000
    assert "| `staff.quit_threshold.mean` |" in (calibrated / "summary.md").read_text()


def test_draws_closer_to_the_observations_weigh_more(calibrated: Path) -> None:
    """The kernel is the binomial probability of the observed counts: it peaks where the simulated
    shares equal the observed ones, so a draw's weight falls with its distance from them."""
    samples = list(csv.DictReader((calibrated / "samples.csv").open()))
    rows = [s for s in samples if s["cohort_left_share_mean"] and s["shock_share_mean"]]
    distance = [abs(float(s["cohort_left_share_mean"]) - 0.45) + abs(float(s["shock_share_mean"]) - 0.4) for s in rows]
    weight = [float(s["weight"]) for s in rows]
    assert weight[int(np.argmin(distance))] == max(weight)


def test_calibration_does_not_depend_on_workers(calibrated: Path, tmp_path: Path,
                                                calibration_spec: Callable[..., Path]) -> None:
    code, _, err = invoke(["calibrate", str(calibration_spec(tmp_path)), "--workers", "2", "--chunk-size", "5",
                           "--out", str(tmp_path / "runs")])
    assert code == 0, err
    again = only_folder(tmp_path / "runs")
    for name in ("results.csv", "samples.csv", "posterior.csv"):
        assert (again / name).read_bytes() == (calibrated / name).read_bytes(), name


def test_an_interrupted_calibration_resumes(calibrated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            calibration_spec: Callable[..., Path]) -> None:
    restore = interrupt_chunk(monkeypatch, at=3)
    code, _, err = invoke(["calibrate", str(calibration_spec(tmp_path)), "--workers", "1", "--chunk-size", "4",
                           "--out", str(tmp_path / "runs")])
    assert code == 130 and "ipsim calibrate --resume" in err
    restore()
    folder = only_folder(tmp_path / "runs")
    code, _, err = invoke(["calibrate", "--resume", str(folder), "--workers", "1"])
    assert code == 0, err
    assert (folder / "posterior.csv").read_bytes() == (calibrated / "posterior.csv").read_bytes()


@pytest.mark.parametrize(("change", "expected"), [
    (("range: [0.4, 1.6]}", "levels: [0.4, 1.6]}"), "a free parameter is a float with a range (its prior)"),
    (("successes: 4, trials: 10", "successes: 14, trials: 10"), "successes (14) cannot exceed trials (10)"),
    (("window_weeks: 52", "window_weeks: 80"), "window_weeks (80) exceeds the base scenario's weeks (52)"),
    (("metric: shock_share", "metric: shocks"), "targets[1].metric: Input should be"),
    (("samples: 12", "samples: 12\nwindow: 3"), "window: unknown field; did you mean 'window_weeks'?"),
])
def test_bad_calibration_specs_are_refused(tmp_path: Path, change: tuple[str, str], expected: str,
                                           calibration_spec: Callable[..., Path]) -> None:
    spec = calibration_spec(tmp_path, SPEC.replace(*change))
    with pytest.raises(ScenarioError, match=None) as caught:
        specs.load_calibration(spec)
    assert expected in str(caught.value) and str(spec) in str(caught.value)
    code, _, err = invoke(["calibrate", str(spec), "--out", str(tmp_path / "runs")])
    assert code == 2 and "Traceback" not in err and not (tmp_path / "runs").exists()
