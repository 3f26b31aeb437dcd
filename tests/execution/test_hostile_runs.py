"""Hostile and broken cases of running and of run folders: damaged sweep parts and manifests, signals, killed
processes and their debris, orphaned workers, over-large studies, and destinations that are read-only or full.

The promises held here (README "Limits and guarantees"): a bad input is exit 2 with a few ``ipsim: error:`` lines;
a failing environment is exit 1 with one line and no partial output; SIGTERM cleans up as Ctrl-C does and exits
143; a killed process's debris is removed by the next command writing there; no worker outlives its command by
more than 10 seconds; resume trusts only sealed, whole parts, so its results stay byte-identical.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from simulation.execution import folders, limits, sweeps
from tests.helpers import BASELINE_FILE, interrupt_chunk, invoke, only_folder

SPEC = """
design: lhs
samples: 4
replicates: 2
seed: 3
metrics: [annual_turnover, shock_share]
parameters:
  - path: staff.quit_threshold.mean
    range: [0.6, 2.0]
"""
"""Eight runs of the sweeps' small world, one per chunk with --chunk-size 1."""

TINY = f"""
extends: {BASELINE_FILE}
name: tiny
weeks: 10
cohort_window_weeks: 10
replace_sites: true
sites:
  - {{name: pair, positions: 2}}
"""
"""One site of two positions for ten weeks: a run takes milliseconds."""


def one_clear_error(code: int, err: str, status: int = 2) -> None:
    assert code == status, err
    assert err.startswith("ipsim: error: ") and "Traceback" not in err, err
    assert len(err) <= 2000


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory, sweep_spec: Callable[..., Path]) -> tuple[Path, bytes]:
    """The spec and the results.csv of its uninterrupted sweep, which every resume must reproduce byte for byte."""
    tmp = tmp_path_factory.mktemp("sweep")
    spec = sweep_spec(tmp, SPEC)
    code, _, err = invoke(["sweep", str(spec), "--out", str(tmp / "runs"), "--workers", "1", "--chunk-size", "1"])
    assert code == 0, err
    return spec, (only_folder(tmp / "runs") / "results.csv").read_bytes()


@pytest.fixture
def interrupted(sweep: tuple[Path, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A sweep folder interrupted at its sixth chunk: five sealed parts (0-4), three runs missing."""
    spec, _ = sweep
    restore = interrupt_chunk(monkeypatch, at=6)
    code, _, err = invoke(["sweep", str(spec), "--out", str(tmp_path), "--workers", "1", "--chunk-size", "1"])
    assert code == 130, err
    restore()
    folder = only_folder(tmp_path)
    assert sorted(p.name for p in (folder / "parts").iterdir()) == [
        f"{k:06d}{suffix}" for k in range(5) for suffix in (".csv", ".json", ".log")]
    yield folder


# --- resume verifies what it joins ---------------------------------------------------------------------------

DAMAGES: dict[str, Callable[[Path], None]] = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    "empty": lambda p: p.write_bytes(b""),
    "garbage": lambda p: p.write_bytes(os.urandom(200)),
    "a row too many": lambda p: p.write_text(p.read_text() + p.read_text().splitlines()[0] + "\n"),
    "one cell changed": lambda p: p.write_text(p.read_text().replace(",ok", ",failed", 1)),
    "missing": lambda p: p.unlink(),
}


PART_CASES = [(damage, which) for damage in DAMAGES for which in (".csv", ".log", ".json")
              if damage != "one cell changed" or which == ".csv"]  # only results rows have a status cell


@pytest.mark.parametrize(("damage", "which"), PART_CASES)
def test_resume_runs_a_damaged_part_again_and_the_results_stay_byte_identical(
        damage: str, which: str, interrupted: Path, sweep: tuple[Path, bytes]) -> None:
    DAMAGES[damage](interrupted / "parts" / f"000002{which}")
    code, _, err = invoke(["sweep", "--resume", str(interrupted), "--workers", "1"])
    assert code == 0, err
    assert "1 damaged or unfinished part file were run again" in err
    assert (interrupted / "results.csv").read_bytes() == sweep[1]
    status = json.loads((interrupted / "status.json").read_text())
    assert (status["state"], status["runs_done"], status["results_rows"]) == ("complete", 8, 8)


def test_a_part_without_its_seal_is_never_joined(interrupted: Path, sweep: tuple[Path, bytes]) -> None:
    """The seal is written last: a process killed between a part's rows and its seal leaves an unsealed part."""
    for k in range(5):
        (interrupted / "parts" / f"{k:06d}.json").unlink()
    code, _, err = invoke(["sweep", "--resume", str(interrupted), "--workers", "2"])
    assert code == 0, err
    assert "5 damaged or unfinished part files were run again" in err
    assert (interrupted / "results.csv").read_bytes() == sweep[1]


def test_results_changed_after_the_sweep_are_not_analysed(sweep: tuple[Path, bytes], tmp_path: Path) -> None:
    code, _, err = invoke(["sweep", str(sweep[0]), "--out", str(tmp_path), "--workers", "1"])
    assert code == 0, err
    folder = only_folder(tmp_path)
    results = folder / "results.csv"
    results.write_text(results.read_text()[:-40])
    code, _, err = invoke(["analyze", str(folder)])
    one_clear_error(code, err)
    assert "results.csv is not the file this sweep wrote" in err


MANIFEST_DAMAGES: dict[str, Callable[[Path], None]] = {
    "missing": lambda p: p.unlink(),
    "empty": lambda p: p.write_text(""),
    "truncated": lambda p: p.write_text(p.read_text()[:100]),
    "garbage": lambda p: p.write_bytes(os.urandom(300)),
    "nested too deeply": lambda p: p.write_text("[" * 100_000 + "]" * 100_000),
    "a list": lambda p: p.write_text("[1, 2]"),
    "a key missing": lambda p: p.write_text(json.dumps({k: v for k, v in json.loads(p.read_text()).items()
                                                        if k != "chunk_size"})),
    "a key of the wrong type": lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "chunk_size": "1"})),
    "runs that do not match": lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "runs": 7})),
    "a spec that no longer validates": lambda p: p.write_text(json.dumps(
        {**json.loads(p.read_text()), "spec": {**json.loads(p.read_text())["spec"], "design": "magic"}})),
    "another kind": lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "kind": "x" * 10_000})),
}


@pytest.mark.parametrize("damage", MANIFEST_DAMAGES)
def test_a_damaged_manifest_is_one_clear_error_for_resume_and_analyze(damage: str, interrupted: Path) -> None:
    MANIFEST_DAMAGES[damage](interrupted / "manifest.json")
    before = sorted(p.name for p in interrupted.rglob("*"))
    for argv in (["sweep", "--resume", str(interrupted)], ["analyze", str(interrupted)],
                 ["calibrate", "--resume", str(interrupted)]):
        code, _, err = invoke(argv)
        one_clear_error(code, err)
        assert str(interrupted) in err
    assert sorted(p.name for p in interrupted.rglob("*")) == before


@pytest.mark.parametrize("damage", ["missing", "empty", "garbage", "a list", "unknown state"])
def test_a_damaged_status_is_rebuilt_by_resume(damage: str, interrupted: Path, sweep: tuple[Path, bytes]) -> None:
    status = interrupted / "status.json"
    {"missing": status.unlink, "empty": lambda: status.write_text(""),
     "garbage": lambda: status.write_bytes(os.urandom(100)), "a list": lambda: status.write_text("[]"),
     "unknown state": lambda: status.write_text(status.read_text().replace("interrupted", "exploded"))}[damage]()
    code, _, err = invoke(["analyze", str(interrupted)])
    one_clear_error(code, err)
    assert "status.json" in err and "--resume rebuilds it" in err
    code, _, err = invoke(["sweep", "--resume", str(interrupted), "--workers", "1"])
    assert code == 0, err
    assert (interrupted / "results.csv").read_bytes() == sweep[1]


def test_a_second_resume_while_one_runs_says_so_and_changes_nothing(interrupted: Path) -> None:
    import filelock

    before = {p.name: p.read_bytes() for p in (interrupted / "parts").iterdir()}
    with filelock.FileLock(interrupted / sweeps.LOCK, timeout=0):
        code, _, err = invoke(["sweep", "--resume", str(interrupted), "--workers", "1"])
    one_clear_error(code, err)
    assert "another ipsim process is running this sweep now" in err and "resume with" not in err
    assert {p.name: p.read_bytes() for p in (interrupted / "parts").iterdir()} == before


# --- signals and killed processes ----------------------------------------------------------------------------


def start(argv: list[str], cwd: Path) -> subprocess.Popen:
    """``ipsim ARGV`` in a process of its own, its output captured through pipes (as a script would)."""
    return subprocess.Popen([sys.executable, "-m", "simulation", *argv], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(condition: Callable[[], bool], process: subprocess.Popen, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the command ended before {what}: {process.communicate()}"
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.05)


def workers_of(process: subprocess.Popen) -> list[psutil.Process]:
    return psutil.Process(process.pid).children(recursive=True)


def gone_within(processes: list[psutil.Process], seconds: float) -> list[psutil.Process]:
    """Those of ``processes`` still running after ``seconds``."""
    _, alive = psutil.wait_procs(processes, timeout=seconds)
    return [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]


@pytest.fixture
def long_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "long.yaml"
    path.write_text(f"extends: {BASELINE_FILE}\nname: long\nweeks: 1040\ncohort_window_weeks: 104\n")
    return path


def test_sigterm_stops_a_run_like_ctrl_c_and_leaves_nothing(long_scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs"
    process = start(["run", str(long_scenario), "--replicates", "400", "--workers", "2", "--out", str(out)], tmp_path)
    wait_for(lambda: len(workers_of(process)) >= 2, process, "worker processes started")
    time.sleep(1)
    workers = workers_of(process)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 143, stderr
    assert stderr.strip().splitlines()[-1] == "ipsim: terminated; nothing was written"
    assert "Traceback" not in stderr
    assert not out.exists() or list(out.iterdir()) == []
    assert gone_within(workers, 10) == []


def test_sigterm_keeps_a_sweeps_finished_runs_and_marks_it_interrupted(
        sweep_spec: Callable[..., Path], tmp_path: Path) -> None:
    spec = sweep_spec(tmp_path, SPEC.replace("samples: 4", "samples: 200"), "big.yaml")
    process = start(["sweep", str(spec), "--out", str(tmp_path / "runs"), "--workers", "2", "--chunk-size", "1"],
                    tmp_path)
    wait_for(lambda: len(list((tmp_path / "runs").glob("*/parts/*.json"))) >= 3, process, "three sealed parts")
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 143, stderr
    folder = only_folder(tmp_path / "runs")
    assert f"ipsim: terminated; finished runs are kept: resume with: ipsim sweep --resume {folder}" in stderr
    assert json.loads((folder / "status.json").read_text())["state"] == "interrupted"


def test_a_killed_sweep_is_marked_interrupted_when_next_looked_at_and_its_workers_are_gone(
        sweep_spec: Callable[..., Path], tmp_path: Path) -> None:
    spec = sweep_spec(tmp_path, SPEC.replace("samples: 4", "samples: 200"), "big.yaml")
    process = start(["sweep", str(spec), "--out", str(tmp_path / "runs"), "--workers", "2", "--chunk-size", "1"],
                    tmp_path)
    wait_for(lambda: len(list((tmp_path / "runs").glob("*/parts/*.json"))) >= 3, process, "three sealed parts")
    workers = workers_of(process)
    assert workers, "the sweep runs on worker processes"
    process.kill()
    started = time.monotonic()
    process.communicate(timeout=10)  # the pipes close: no orphan holds them
    assert time.monotonic() - started < 10
    assert gone_within(workers, 10) == []
    folder = only_folder(tmp_path / "runs")
    assert json.loads((folder / "status.json").read_text())["state"] == "running"
    assert sweeps.look(folder).state == "interrupted"
    code, _, err = invoke(["analyze", str(folder)])
    one_clear_error(code, err)
    assert "interrupted" in err and f"ipsim sweep --resume {folder}" in err
    assert json.loads((folder / "status.json").read_text())["state"] == "interrupted"  # marked when looked at


def dead_owner() -> str:
    """The owner tag of a process that has ended (started and waited for here)."""
    process = psutil.Popen([sys.executable, "-c", "pass"])
    tag = f"{process.pid}-{round(process.create_time() * 100)}"
    process.wait()
    return tag


def test_the_next_command_removes_what_a_killed_one_left_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    stale_folder = out / f".ipsim-partial-{dead_owner()}-tiny-abc123"
    stale_file = out / f".ipsim-tmp-{dead_owner()}-report.html"
    live = out / f".ipsim-partial-{folders.owner_tag()}-tiny-live"  # this process: still running
    kept = [out / ".partial-tiny-old", out / "notes.txt", out / ".ipsim-partial-x-y-z"]
    for folder in (stale_folder, live, kept[0]):
        (folder / "charts").mkdir(parents=True)
    for path in (stale_file, kept[1], kept[2]):
        path.write_text("x")
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY)
    code, _, err = invoke(["run", str(scenario), "--replicates", "2", "--workers", "1", "--out", str(out)])
    assert code == 0, err
    left = {p.name for p in out.iterdir()}
    assert stale_folder.name not in left and stale_file.name not in left
    assert {live.name, *(p.name for p in kept)} <= left


def test_an_interrupted_report_leaves_nothing_and_a_killed_ones_debris_goes_next_time(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY)
    code, _, err = invoke(["run", str(scenario), "--replicates", "2", "--workers", "1", "--out", str(tmp_path)])
    assert code == 0, err
    folder = only_folder(tmp_path)
    debris = folder / f".ipsim-tmp-{dead_owner()}-report.html"
    debris.write_text("<html>half")
    code, _, err = invoke(["report", str(folder)])
    assert code == 0, err
    assert not debris.exists() and (folder / "report.html").is_file()


# --- bounded runs --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "compare", "levers", "check-patterns"])
def test_too_many_replicates_is_refused_at_once_unless_allowed(command: str, tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY)
    files = [str(scenario)] * (2 if command == "compare" else 1)
    started = time.monotonic()
    code, _, err = invoke([command, *files, "--replicates", "1000000000", "--out", str(tmp_path / "runs")])
    one_clear_error(code, err)
    assert f"more than {limits.MAX_REPLICATES:,}" in err and "--allow-large" in err
    assert time.monotonic() - started < 5 and not (tmp_path / "runs").exists()


@pytest.mark.parametrize("design", [
    "design: lhs\nsamples: 1000000\nreplicates: 100\n",
    "design: sobol\nsamples: 524288\nsecond_order: true\nreplicates: 1\n",
    "design: grid\nreplicates: 10\n",
])
def test_a_design_of_too_many_runs_is_refused_before_it_is_drawn(design: str, tmp_path: Path,
                                                                 sweep_spec: Callable[..., Path]) -> None:
    parameters = "".join(f"  - path: {p}\n    range: [0, 1000000000000]\n    type: int\n" for p in (
        "start_up_plan.network_seminars.every_weeks", "staff.notice_weeks", "sites[*].positions",
        "sites[*].count", "staff.short_term_weeks_low", "staff.short_term_weeks_high"))
    spec = sweep_spec(tmp_path, f"{design}metrics: [annual_turnover]\nparameters:\n{parameters}")
    started = time.monotonic()
    for argv in (["sweep", str(spec)], ["sweep", str(spec), "--allow-large"]):
        code, _, err = invoke([*argv, "--out", str(tmp_path / "runs")])
        one_clear_error(code, err)
    assert time.monotonic() - started < 10 and not (tmp_path / "runs").exists()


# --- destinations that cannot take the output ----------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """``small_disk(size="1m", read_only=False)`` mounts a tmpfs of that size and returns its folder (as root,
    where mounting works; skipped otherwise); unmounted afterwards."""
    mounted: list[Path] = []

    def mount(size: str = "1m", read_only: bool = False) -> Path:
        if os.geteuid() != 0 or not shutil.which("mount"):
            pytest.skip("mounting a small tmpfs needs root")
        where = tmp_path / f"disk{len(mounted)}"
        where.mkdir()
        options = f"size={size}" + (",ro" if read_only else "")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_read_only_destination_is_one_line_before_anything_runs(command: str, small_disk: Callable[..., Path],
                                                                   tmp_path: Path,
                                                                   sweep_spec: Callable[..., Path]) -> None:
    disk = small_disk(read_only=True)
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY)
    argv = ["run", str(scenario), "--replicates", "2"] if command == "run" else [
        "sweep", str(sweep_spec(tmp_path, SPEC))]
    for out in (disk, disk / "new" / "runs"):
        started = time.monotonic()
        code, _, err = invoke([*argv, "--out", str(out), "--workers", "1"])
        one_clear_error(code, err, status=1)
        assert err.count("\n") == 1 and str(disk) in err
        assert time.monotonic() - started < 5
    assert list(disk.iterdir()) == []


def test_a_disk_too_small_from_the_start_is_refused_before_anything_runs(small_disk: Callable[..., Path],
                                                                          tmp_path: Path) -> None:
    disk = small_disk("1m")
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY)
    code, _, err = invoke(["run", str(scenario), "--replicates", "2", "--workers", "1", "--out", str(disk)])
    one_clear_error(code, err, status=1)
    assert "MB free" in err and list(disk.iterdir()) == []


@pytest.mark.parametrize("command", ["run", "compare", "check-patterns"])
def test_a_disk_that_fills_anyway_is_one_line_and_no_partial_folder(
        command: str, small_disk: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    disk = small_disk("64k")  # smaller than any of these folders: its charts alone take more
    monkeypatch.setattr(folders, "MIN_FREE_BYTES", 0)  # let it start: the estimate would refuse the disk at once
    monkeypatch.setattr(limits, "BYTES_PER_REPLICATE_WEEK", 0)
    scenario = tmp_path / "long.yaml"
    scenario.write_text(TINY.replace("weeks: 10\n", "weeks: 300\n"))
    files = [str(scenario), str(scenario).replace("long", "long2")] if command == "compare" else [str(scenario)]
    if command == "compare":
        Path(files[1]).write_text(TINY.replace("weeks: 10\n", "weeks: 300\n").replace("name: tiny", "name: other"))
    code, _, err = invoke([command, *files, "--replicates", "20", "--workers", "1", "--out", str(disk)])
    one_clear_error(code, err, status=1)
    assert "No space left on device" in err and err.count("\n") == 1
    assert list(disk.iterdir()) == []


def test_a_sweep_that_fills_the_disk_keeps_its_sealed_parts_and_says_how_to_carry_on(
        small_disk: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        sweep_spec: Callable[..., Path], sweep: tuple[Path, bytes]) -> None:
    disk = small_disk("200k")
    monkeypatch.setattr(folders, "MIN_FREE_BYTES", 0)  # let it start: the estimate would refuse the disk at once
    monkeypatch.setattr(limits, "BYTES_PER_SWEEP_RUN", 0)
    spec = sweep_spec(tmp_path, SPEC.replace("samples: 4", "samples: 2000"))
    code, _, err = invoke(["sweep", str(spec), "--out", str(disk), "--workers", "1", "--chunk-size", "1"])
    lines = err.splitlines()
    assert code == 1 and lines[-1].startswith("ipsim: error: ") and "Traceback" not in err, err
    folder = only_folder(disk)
    assert "No space left on device" in err and f"ipsim sweep --resume {folder}" in err
    assert not (folder / "results.csv").exists()
    assert not [p for p in folder.rglob("*") if p.name.startswith(".ipsim-tmp-")]


def test_parts_sealed_under_another_plan_are_run_again(interrupted: Path) -> None:
    """A manifest edited by hand so that it still validates (one replicate instead of two) describes other runs:
    the parts sealed under the old plan are not joined, and results.csv holds exactly the edited plan's runs."""
    path = interrupted / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest |= {"replicates": 1, "runs": 4, "spec": {**manifest["spec"], "replicates": 1}}
    path.write_text(json.dumps(manifest))
    code, _, err = invoke(["sweep", "--resume", str(interrupted), "--workers", "1"])
    assert code == 0, err
    rows = (interrupted / "results.csv").read_text().splitlines()[1:]
    assert [tuple(map(int, row.split(",")[:2])) for row in rows] == [(s, 0) for s in range(4)]
