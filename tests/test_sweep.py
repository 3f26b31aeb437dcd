"""Sweeps: spec validation, design sizes, and results that do not depend on backend, workers,
chunking or interruptions (local processes, a real Dask cluster on 127.0.0.1, a killed process)."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import invoke, stop

from simulation.execution import designs, sweeps
from simulation.execution.seeds import run_seed
from simulation.inputs import specs
from simulation.inputs.reading import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"

TINY_SCENARIO = f"""
extends: {BASELINE}
name: tiny
weeks: 26
cohort_window_weeks: 26
replace_sites: true
sites:
  - {{name: pair, count: 2, positions: 2, supervisor_availability: 0.3, team_contact: 0.4,
      travel_burden: 0.8, job_market: 0.7}}
  - {{name: trio, count: 1, positions: 3, supervisor_availability: 0.4, team_contact: 0.5,
      travel_burden: 0.6, job_market: 0.8}}
"""
"""Seven positions over half a year: a run takes milliseconds, so sweeps of dozens of runs stay fast."""


def write_spec(folder: Path, body: str, name: str = "spec.yaml") -> Path:
    (folder / "tiny.yaml").write_text(TINY_SCENARIO)
    path = folder / name
    path.write_text("base: tiny.yaml\n" + body)
    return path


LHS_SPEC = """
design: lhs
samples: 8
replicates: 3
seed: 7
metrics: [annual_turnover, cohort_left_share, shock_share]
parameters:
  - path: staff.quit_threshold.mean
    range: [0.6, 2.0]
  - path: start_up_plan.implementation_lead.enabled
    type: bool
  - path: start_up_plan.network_seminars.every_weeks
    type: int
    range: [0, 26]
"""


# --- spec validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "expected"), [
    ("design: lhs\nsamples: 4\nparameters:\n  - path: staff.quit_treshold.mean\n    range: [1, 2]\n",
     "parameters[0].path (staff.quit_treshold.mean): staff has no field 'quit_treshold'; did you mean 'quit_threshold'?"),
    ("design: lhs\nsamples: 4\nparameters:\n  - path: staff.quit_threshold\n    range: [1, 2]\n",
     "'staff.quit_threshold' is a section, not a value"),
    ("design: lhs\nsamples: 4\nparameters:\n  - path: sites.team_contact\n    range: [0, 1]\n",
     "'sites' is a list: give an index, sites[0], or sites[*]"),
    ("design: lhs\nsamples: 4\nparameters:\n  - path: sites[5].team_contact\n    range: [0, 1]\n",
     "'sites' has 2 entries in the base scenario (indices 0-1)"),
    ("design: lhs\nsamples: 4\nparameters:\n  - path: staff.quit_threshold.mean\n    range: [1, 40]\n",
     "the value 40.0 is not allowed: staff.quit_threshold.mean: Input should be less than or equal to 20"),
    (("design: lhs\nsamples: 4\nparameters:\n  - path: start_up_plan.implementation_lead.enabled\n"
     "    range: [0, 1]\n"), "the field holds bool values; type float does not fit (use bool or categorical)"),
    (("design: sobol\nsamples: 6\nparameters:\n  - {path: weeks, type: int, range: [20, 26]}\n"
     "  - {path: staff.notice_weeks, type: int, range: [1, 4]}\n"), "samples to be a power of 2"),
    ("design: grid\nsamples: 4\nparameters:\n  - {path: weeks, type: int, range: [20, 26]}\n",
     "a grid design runs every combination of levels: leave samples out"),
    ("design: grid\nparameters:\n  - {path: staff.quit_threshold.mean, range: [1, 2]}\n",
     "parameters[0] (staff.quit_threshold.mean): a float range in a grid design needs steps"),
    ("design: lhs\nsamples: 4\nparameters:\n  - {path: weeks, type: int, range: [20, 26], colour: red}\n",
     "parameters[0].colour: unknown field; allowed: distribution, levels, path, range, steps, type"),
    (("design: lhs\nsamples: 4\nparameters:\n  - path: staff.quit_threshold.mean\n"
     "    distribution: {name: nrom, params: {loc: 1, scale: 0.1}}\n"),
     "'nrom' is not a continuous scipy.stats distribution; did you mean 'norm'?"),
    (("design: lhs\nsamples: 4\nparameters:\n  - {path: weeks, type: int, range: [20, 26]}\n"
     "  - {path: weeks, type: int, range: [10, 26]}\n"), "each path may be varied once; repeated: weeks"),
    ("design: lhs\nsamples: 4\nparameters:\n  - {path: weeks, type: int, levels: [20, 2.5]}\n",
     "levels of a int parameter must be int values, got 2.5"),
    ("design: lhs\nsamples: 4\nmetrics: [turnover]\nparameters:\n  - {path: weeks, type: int, range: [20, 26]}\n",
     "metrics[0]: Input should be 'annual_turnover'"),
    (("design: morris\nparameters:\n  - {path: weeks, type: int, range: [20, 26]}\n"
     "  - {path: staff.notice_weeks, type: int, range: [1, 4]}\n"), "a morris design needs samples"),
])
def test_spec_errors_name_the_file_and_the_field(tmp_path: Path, body: str, expected: str) -> None:
    spec = write_spec(tmp_path, body)
    with pytest.raises(ScenarioError) as caught:
        specs.load_sweep(spec)
    assert str(spec) in str(caught.value)
    assert expected in str(caught.value)


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml")), ids=lambda p: p.name)
def test_bundled_sweep_specs_are_valid(path: Path) -> None:
    assert specs.load_sweep(path).spec.runs > 0


def test_missing_base_is_an_error(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("base: nowhere.yaml\ndesign: lhs\nsamples: 2\nparameters:\n  - {path: weeks, type: int, range: [1, 2]}\n")
    with pytest.raises(ScenarioError, match="base: no such scenario file 'nowhere.yaml'"):
        specs.load_sweep(spec)


def test_cli_rejects_a_bad_spec_in_one_line_and_writes_nothing(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "design: lhs\nsamples: 4\nparameters:\n  - {path: staff.nope, range: [0, 1]}\n")
    code, _out, err = invoke(["sweep", str(spec), "--out", str(tmp_path / "runs"), "--workers", "1"])
    assert code == 2
    assert err.startswith("ipsim: error: ") and "staff has no field 'nope'" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert not (tmp_path / "runs").exists()


# --- designs -----------------------------------------------------------------------------------


def spec_of(design: str, parameters: int, **fields: object) -> specs.SweepSpec:
    paths = ["staff.quit_threshold.mean", "staff.intrinsic_motivation.mean", "strain.recovery_rate",
             "shocks.strain_jump"][:parameters]
    return specs.SweepSpec.model_validate({
        "name": "s", "base": "b.yaml", "design": design, "replicates": 3,
        "parameters": [{"path": p, "range": [0.1, 0.9]} if design != "grid" else {"path": p, "levels": [0.2, 0.5, 0.8]}
                       for p in paths], **fields})


@pytest.mark.parametrize(("spec", "points"), [
    (spec_of("grid", 3), 3 ** 3),
    (spec_of("lhs", 3, samples=20), 20),
    (spec_of("sobol", 3, samples=16), 16 * (3 + 2)),
    (spec_of("sobol", 3, samples=16, second_order=True), 16 * (2 * 3 + 2)),
    (spec_of("morris", 4, samples=5), 5 * (4 + 1)),
], ids=["grid", "lhs", "sobol", "sobol-second-order", "morris"])
def test_each_design_gives_the_expected_number_of_runs(spec: specs.SweepSpec, points: int) -> None:
    design = designs.design(spec)
    assert len(design.values) == spec.points == points
    assert spec.runs == points * 3
    assert design.values == designs.design(spec).values, "a design must be deterministic in its seed"
    assert all(0.1 <= v <= 0.9 for row in design.values for v in row)


def test_lhs_puts_one_point_in_each_stratum_of_every_parameter() -> None:
    design = designs.design(spec_of("lhs", 3, samples=10))
    for column in design.unit.T:
        assert sorted(np.floor(column * 10).astype(int)) == list(range(10))


def test_unit_coordinates_map_to_every_type_of_value() -> None:
    whole = specs.Parameter(path="weeks", type="int", range=(3, 5))
    assert [whole.from_unit(u) for u in (0, 0.34, 0.67, 1)] == [3, 4, 5, 5]
    flag = specs.Parameter(path="x", type="bool")
    assert flag.levels == [False, True] and [flag.from_unit(u) for u in (0.2, 0.8)] == [False, True]
    normal = specs.Parameter(path="x", distribution={"name": "norm", "params": {"loc": 1.0, "scale": 0.1}})
    assert normal.from_unit(0.5) == pytest.approx(1.0)
    assert normal.from_unit(0.0) == pytest.approx(1.0 - 2.5758 * 0.1, abs=1e-4), "clipped at the 0.5% quantile"


def test_paths_with_star_set_every_site(tmp_path: Path) -> None:
    loaded = specs.load_sweep(write_spec(tmp_path, "design: lhs\nsamples: 2\nparameters:\n"
                                                   "  - {path: 'sites[*].team_contact', range: [0.1, 0.3]}\n"))
    scenario = specs.apply(loaded.base, loaded.paths, [0.25])
    assert [s.team_contact for s in scenario.sites] == [0.25, 0.25]


def test_run_seeds_depend_on_sample_and_replicate_only() -> None:
    seeds = {run_seed(1, s, r) for s in range(20) for r in range(5)}
    assert len(seeds) == 100
    assert run_seed(1, 3, 2) == run_seed(1, 3, 2) != run_seed(2, 3, 2)


# --- running -----------------------------------------------------------------------------------


def sweep_folder(out: Path) -> Path:
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return folder


def run_cli(spec: Path, out: Path, *options: str) -> Path:
    code, _, err = invoke(["sweep", str(spec), "--out", str(out), *options])
    assert code == 0, err
    return sweep_folder(out)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """The LHS spec swept in this process, one run per task: the table every other way must reproduce."""
    tmp = tmp_path_factory.mktemp("reference")
    spec = write_spec(tmp, LHS_SPEC)
    folder = run_cli(spec, tmp / "runs", "--workers", "1", "--chunk-size", "1")
    return spec, (folder / "results.csv").read_bytes()


def test_a_finished_sweep_folder(reference: tuple[Path, bytes]) -> None:
    spec, results = reference
    folder = sweep_folder(spec.parent / "runs")
    assert json.loads((folder / "status.json").read_text())["state"] == "complete"
    assert not (folder / "parts").exists()
    rows = list(csv.DictReader(results.decode().splitlines()))
    assert len(rows) == 8 * 3
    assert [(int(r["sample_id"]), int(r["replicate"])) for r in rows] == [(s, k) for s in range(8) for k in range(3)]
    assert list(rows[0]) == ["sample_id", "replicate", "seed", "staff.quit_threshold.mean",
                             "start_up_plan.implementation_lead.enabled", "start_up_plan.network_seminars.every_weeks",
                             "annual_turnover", "cohort_left_share", "shock_share", "status"]
    assert {r["status"] for r in rows} == {"ok"}
    assert {r["start_up_plan.implementation_lead.enabled"] for r in rows} == {"true", "false"}
    log = list(csv.DictReader((folder / "log.csv").open()))
    assert len(log) == 24 and all(r["error"] == "" for r in log)
    assert (folder / "sensitivity.csv").exists()


def test_two_worker_processes_and_other_chunks_give_the_same_table(reference: tuple[Path, bytes],
                                                                   tmp_path: Path) -> None:
    spec, results = reference
    folder = run_cli(spec, tmp_path, "--workers", "2", "--chunk-size", "5")
    assert (folder / "results.csv").read_bytes() == results


def test_interrupted_sweep_resumes_to_the_same_table(reference: tuple[Path, bytes], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    spec, results = reference
    real, calls = sweeps.run_chunk, []

    def interrupt_on_fourth(*args: object) -> object:
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(sweeps, "run_chunk", interrupt_on_fourth)
    code, _, err = invoke(["sweep", str(spec), "--out", str(tmp_path), "--workers", "1", "--chunk-size", "2"])
    assert code == 130
    folder = sweep_folder(tmp_path)
    assert f"resume with: ipsim sweep --resume {folder}" in err
    status = json.loads((folder / "status.json").read_text())
    assert status["state"] == "interrupted" and status["runs_done"] == 6
    assert not (folder / "results.csv").exists()
    monkeypatch.setattr(sweeps, "run_chunk", real)
    code, _, err = invoke(["sweep", "--resume", str(folder), "--workers", "2"])
    assert code == 0, err
    assert (folder / "results.csv").read_bytes() == results
    code, out, _ = invoke(["sweep", "--resume", str(folder)])
    assert code == 0 and "already complete" in out


def test_resume_after_the_sweep_process_is_killed(reference: tuple[Path, bytes], tmp_path: Path) -> None:
    _spec, results = reference
    big = write_spec(tmp_path, LHS_SPEC.replace("samples: 8", "samples: 150"), "big.yaml")
    command = [sys.executable, "-m", "simulation", "sweep", str(big), "--out", str(tmp_path / "runs"),
               "--workers", "1", "--chunk-size", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            parts = list((tmp_path / "runs").glob("*/parts/*.csv"))
            if len(parts) >= 5:
                break
            assert process.poll() is None, "the sweep ended before it could be killed"
            time.sleep(0.05)
        else:
            pytest.fail("no chunk finished within 120 s")
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    folder = sweep_folder(tmp_path / "runs")
    assert json.loads((folder / "status.json").read_text())["state"] == "running"
    assert not (folder / "results.csv").exists(), "the 450-run sweep must not have finished in time"
    done_before = len(list((folder / "parts").glob("*.csv")))
    code, _, err = invoke(["sweep", "--resume", str(folder), "--workers", "2"])
    assert code == 0, err
    uninterrupted = run_cli(big, tmp_path / "again", "--workers", "2")
    assert (folder / "results.csv").read_bytes() == (uninterrupted / "results.csv").read_bytes()
    assert 5 <= done_before < 450
    # The first 8 samples of the big LHS differ from the small one's, but the seeds are keyed the same way.
    first = next(csv.DictReader((folder / "results.csv").open()))
    assert int(first["seed"]) == run_seed(7, 0, 0) == int(next(csv.DictReader(results.decode().splitlines()))["seed"])


def test_a_run_that_raises_is_recorded_and_the_sweep_completes(tmp_path: Path) -> None:
    # Each range is valid on its own, but a threshold mean above the trait's clip 'high' is not:
    # those combinations fail validation when the run builds its scenario.
    spec = write_spec(tmp_path, """
design: grid
replicates: 2
metrics: [annual_turnover]
parameters:
  - {path: staff.quit_threshold.mean, levels: [1.0, 2.0]}
  - {path: staff.quit_threshold.high, levels: [1.5, 3.0]}
""")
    code, _, err = invoke(["sweep", str(spec), "--out", str(tmp_path / "runs"), "--workers", "1"])
    assert code == 0, err
    assert "2 of 8 runs failed" in err
    folder = sweep_folder(tmp_path / "runs")
    rows = list(csv.DictReader((folder / "results.csv").open()))
    failed = [r for r in rows if r["status"] == "failed"]
    assert [(r["staff.quit_threshold.mean"], r["staff.quit_threshold.high"]) for r in failed] == [("2", "1.5")] * 2
    assert all(r["annual_turnover"] == "" for r in failed)
    assert all(r["annual_turnover"] != "" for r in rows if r["status"] == "ok")
    log = {(r["sample_id"], r["replicate"]): r["error"] for r in csv.DictReader((folder / "log.csv").open())}
    assert log[("2", "0")].startswith("invalid scenario: staff.quit_threshold: ")
    assert "need low <= mean <= high" in log[("2", "0")]
    assert json.loads((folder / "status.json").read_text())["runs_failed"] == 2


def test_model_errors_are_recorded_with_their_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = write_spec(tmp_path, "design: grid\nreplicates: 2\nmetrics: [annual_turnover]\nparameters:\n"
                                "  - {path: staff.notice_weeks, type: int, levels: [4, 8]}\n")
    real_run = sweeps.IPSModel.run

    def fails_on_long_notice(model: sweeps.IPSModel) -> object:
        if model.settings.staff.notice_weeks == 8:
            raise RuntimeError("boom")
        return real_run(model)

    monkeypatch.setattr(sweeps.IPSModel, "run", fails_on_long_notice)
    folder = run_cli(spec, tmp_path / "runs", "--workers", "1")
    errors = [r["error"] for r in csv.DictReader((folder / "log.csv").open())]
    assert errors == ["", "", "RuntimeError: boom", "RuntimeError: boom"]


@pytest.mark.parametrize(("argv", "expected"), [
    (["sweep"], "give a sweep spec file or --resume RUN_DIR"),
    (["sweep", "--resume", "/nonexistent/folder"], "--resume /nonexistent/folder: no such folder"),
    (["sweep", "--resume", str(ROOT / "scenarios")], "not a sweep folder (no manifest.json)"),
    (["analyze", str(ROOT / "scenarios")], "not a sweep folder (no manifest.json)"),
])
def test_cli_usage_errors(argv: list[str], expected: str) -> None:
    code, _, err = invoke(argv)
    assert code == 2
    assert expected in err and "Traceback" not in err


# --- a real Dask cluster on this machine --------------------------------------------------------


def test_a_dask_cluster_gives_the_same_table(reference: tuple[Path, bytes], tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    spec, results = reference
    scheduler_file = tmp_path / "scheduler.json"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    started: list[subprocess.Popen] = []
    logs = (tmp_path / "dask.log").open("w")
    try:
        started.append(subprocess.Popen(
            [*dask, "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file)],
            stdout=logs, stderr=logs, cwd=tmp_path))
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for _ in range(2):
            started.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file", str(scheduler_file),
                 "--host", "127.0.0.1", "--no-dashboard", "--no-nanny", "--nthreads", "1",
                 "--local-directory", str(tmp_path)],
                stdout=logs, stderr=logs, cwd=tmp_path))
        folder = run_cli(spec, tmp_path / "runs", "--scheduler", address, "--chunk-size", "3")
        assert (folder / "results.csv").read_bytes() == results
        hosts = {r["pid"] for r in csv.DictReader((folder / "log.csv").open())}
        assert str(os.getpid()) not in hosts, "runs must have been done by the workers, not this process"
    finally:
        stop(*reversed(started))
        logs.close()
