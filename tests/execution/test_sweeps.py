"""Running a sweep: results that do not depend on the backend, the workers, the chunking or interruptions (local
processes, a real Dask cluster on 127.0.0.1, a killed process), and failed runs recorded while the sweep completes.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from simulation.core.scenario import Scenario
from simulation.execution import sweeps
from simulation.execution.seeds import run_seed
from tests.helpers import interrupt_chunk, invoke, only_folder, stop

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


# --- running -----------------------------------------------------------------------------------


def run_cli(spec: Path, out: Path, *options: str) -> Path:
    code, _, err = invoke(["sweep", str(spec), "--out", str(out), *options])
    assert code == 0, err
    return only_folder(out)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, sweep_spec: Callable[..., Path]) -> tuple[Path, bytes]:
    """The LHS spec swept in this process, one run per task: the table every other way must reproduce."""
    tmp = tmp_path_factory.mktemp("reference")
    spec = sweep_spec(tmp, LHS_SPEC)
    folder = run_cli(spec, tmp / "runs", "--workers", "1", "--chunk-size", "1")
    return spec, (folder / "results.csv").read_bytes()


def test_a_finished_sweep_folder(reference: tuple[Path, bytes]) -> None:
    spec, results = reference
    folder = only_folder(spec.parent / "runs")
    assert json.loads((folder / "status.json").read_text())["state"] == "complete"
    assert {p.name for p in folder.iterdir()} == {"manifest.json", "design.csv", "status.json", "results.csv",
                                                  "log.csv", "sensitivity.csv", "charts"}  # no parts/, no .lock
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
    restore = interrupt_chunk(monkeypatch, at=4)
    code, _, err = invoke(["sweep", str(spec), "--out", str(tmp_path), "--workers", "1", "--chunk-size", "2"])
    assert code == 130
    folder = only_folder(tmp_path)
    assert f"resume with: ipsim sweep --resume {folder}" in err
    status = json.loads((folder / "status.json").read_text())
    assert status["state"] == "interrupted" and status["runs_done"] == 6
    assert not (folder / "results.csv").exists()
    restore()
    code, _, err = invoke(["sweep", "--resume", str(folder), "--workers", "2"])
    assert code == 0, err
    assert (folder / "results.csv").read_bytes() == results
    code, out, _ = invoke(["sweep", "--resume", str(folder)])
    assert code == 0 and "already complete" in out


def test_resume_after_the_sweep_process_is_killed(reference: tuple[Path, bytes], tmp_path: Path,
                                                  sweep_spec: Callable[..., Path]) -> None:
    _spec, results = reference
    big = sweep_spec(tmp_path, LHS_SPEC.replace("samples: 8", "samples: 60"), "big.yaml")
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
    folder = only_folder(tmp_path / "runs")
    assert json.loads((folder / "status.json").read_text())["state"] == "running"
    assert not (folder / "results.csv").exists(), "the 180-run sweep must not have finished in time"
    done_before = len(list((folder / "parts").glob("*.csv")))
    code, _, err = invoke(["sweep", "--resume", str(folder), "--workers", "2"])
    assert code == 0, err
    uninterrupted = run_cli(big, tmp_path / "again", "--workers", "2")
    assert (folder / "results.csv").read_bytes() == (uninterrupted / "results.csv").read_bytes()
    assert 5 <= done_before < 180
    # The first 8 samples of the big LHS differ from the small one's, but the seeds are keyed the same way.
    first = next(csv.DictReader((folder / "results.csv").open()))
    assert int(first["seed"]) == run_seed(7, 0, 0) == int(next(csv.DictReader(results.decode().splitlines()))["seed"])


def test_a_run_that_raises_is_recorded_and_the_sweep_completes(tmp_path: Path,
                                                               sweep_spec: Callable[..., Path]) -> None:
    # Each range is valid on its own, but a threshold mean above the trait's clip 'high' is not:
    # those combinations fail validation when the run builds its scenario.
    spec = sweep_spec(tmp_path, """
design: grid
replicates: 2
metrics: [annual_turnover]
parameters:
  - {path: staff.quit_threshold.mean, levels: [1.0, 3.0]}
  - {path: staff.quit_threshold.high, levels: [2.5, 4.0]}
""")
    code, _, err = invoke(["sweep", str(spec), "--out", str(tmp_path / "runs"), "--workers", "1"])
    assert code == 0, err
    assert "2 of 8 runs failed" in err
    folder = only_folder(tmp_path / "runs")
    rows = list(csv.DictReader((folder / "results.csv").open()))
    failed = [r for r in rows if r["status"] == "failed"]
    assert [(r["staff.quit_threshold.mean"], r["staff.quit_threshold.high"]) for r in failed] == [("3", "2.5")] * 2
    assert all(r["annual_turnover"] == "" for r in failed)
    assert all(r["annual_turnover"] != "" for r in rows if r["status"] == "ok")
    log = {(r["sample_id"], r["replicate"]): r["error"] for r in csv.DictReader((folder / "log.csv").open())}
    assert log[("2", "0")].startswith("invalid scenario: staff.quit_threshold: ")
    assert "need low <= mean <= high" in log[("2", "0")]
    assert json.loads((folder / "status.json").read_text())["runs_failed"] == 2


def test_model_errors_are_recorded_with_their_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   sweep_spec: Callable[..., Path]) -> None:
    spec = sweep_spec(tmp_path, "design: grid\nreplicates: 2\nmetrics: [annual_turnover]\nparameters:\n"
                                "  - {path: staff.notice_weeks, type: int, levels: [4, 8]}\n")
    real_run = sweeps.run_lockstep

    def fails_on_long_notice(scenario: Scenario, seeds: list[int]) -> object:
        if scenario.staff.notice_weeks == 8:
            raise RuntimeError("boom")
        return real_run(scenario, seeds)

    monkeypatch.setattr(sweeps, "run_lockstep", fails_on_long_notice)
    folder = run_cli(spec, tmp_path / "runs", "--workers", "1")
    errors = [r["error"] for r in csv.DictReader((folder / "log.csv").open())]
    assert errors == ["", "", "RuntimeError: boom", "RuntimeError: boom"]

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
