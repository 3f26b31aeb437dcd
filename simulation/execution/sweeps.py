"""Running a sweep: chunks of runs over any ``concurrent.futures.Executor``, streamed to disk, resumable.

A sweep folder exists under its final name from the start. Each finished chunk of runs is written
atomically as its own part (results, log, and last a seal with the run count and the checksums of both),
so an interruption (Ctrl-C, SIGTERM, a killed process, a lost worker, a full disk) loses at most the
chunks in flight, and ``resume`` runs every chunk whose part is missing, unsealed, short or corrupt.
Only when every run is accounted for are the parts joined in run order into ``results.csv``, whose
row count and checksum status.json then records. Every run's seed depends only on the spec's seed,
its sample id and its replicate, and each row only on its run, so ``results.csv`` is byte-identical
whatever the backend, the number of workers, the chunking or the interruptions.

With the spec's ``common_random_numbers`` (common random numbers, CRN), replicate k of every design
point runs with the same seed, the one point 0's replicate k has without CRN (Plan.seed): the runs of
two points differ only by their parameter values, as far as the model's random streams allow, so a
response curve's steps, or any difference between points, are far less noisy for the same replicates.
Without it (the default) every run has a seed of its own, as before the option existed: the same spec
gives the same ``results.csv``. CRN makes the points' replicate means correlated, which suits comparing
points; for a sensitivity design (sobol, morris, lhs) whose estimators treat points as independent it
is a choice to make knowingly.

One process at a time runs a sweep (a lock file, held while running). A sweep whose status says
``running`` while nobody holds its lock was killed: the next command that looks at it marks it
``interrupted``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import math
import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import filelock
from pydantic import ValidationError

from simulation.core.model import run_lockstep
from simulation.core.records import RunRecord
from simulation.core.scenario import Scenario
from simulation.execution import designs, folders, limits
from simulation.execution.batches import groups, lockstep_size
from simulation.execution.pool import Bounded, ExecutionError
from simulation.execution.seeds import replicate_seed, run_seed
from simulation.inputs import specs
from simulation.inputs.reading import ScenarioError, describe_errors

MANIFEST, DESIGN, STATUS, RESULTS, LOG, PARTS, LOCK = (
    "manifest.json", "design.csv", "status.json", "results.csv", "log.csv", "parts", ".lock")
LOG_COLUMNS = ["sample_id", "replicate", "seconds", "host", "pid", "error"]
"""log.csv: how each run went (not part of the reproducible results)."""
CHUNKS_PER_SLOT = 16
"""Automatic chunking aims at this many chunks per worker: few enough that per-task overhead is
negligible, many enough to balance load and to lose little to an interruption."""
MAX_AUTO_CHUNK = 50


NEW_FIELDS = {"common_random_numbers": False, "point_values": None}
"""Spec fields added in 0.5.0 and their values when unused: Plan.digest leaves them out then, so that a sweep folder
started by 0.4.0 resumes with its finished parts kept."""


class SweepError(ExecutionError):
    """A sweep that cannot start, resume or be analysed; the message says why."""


def results_columns(sweep: specs.Sweep) -> list[str]:
    """results.csv's columns: the run's identity and seed, its parameter values, its metrics (each arm's, for a
    comparison under uncertainty), its status."""
    return ["sample_id", "replicate", "seed", *sweep.paths, *sweep.columns, "status"]


def text(value: Any) -> str:
    """A value as results.csv writes it: floats to 10 significant digits, booleans as true/false, None empty."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(folders.cell(value))


Measure = Callable[[RunRecord, Scenario], dict[str, float | None]]
"""What a sweep keeps of a run: its per-run metrics by name (analysis.metrics.replicate_metrics), passed in
by the caller so that running knows nothing of analysis; it must be picklable (a module-level function)."""


def run_chunk(bases: list[dict[str, Any]], paths: list[str], metric_names: list[str],
              runs: list[tuple[int, int, int, list[Any]]], measure: Measure) -> tuple[str, str]:
    """Run each (sample id, replicate, seed, values) on every scenario of ``bases`` (the sweep's base, or each arm
    of a comparison under uncertainty, with the same values and seed) and return the CSV rows for results and for
    the log; a row holds each base's metrics in turn.

    Consecutive runs of one sample (its replicates) run in lockstep, ``batches.lockstep_size`` at a time
    (``core.model.run_lockstep``: the same records as run one by one), each logged with the sample's time shared
    out. A sample whose runs raise is recorded run by run with empty metrics and status ``failed``; its error goes
    to the log.
    """
    results, log = io.StringIO(), io.StringIO()
    results_out, log_out = csv.writer(results, lineterminator="\n"), csv.writer(log, lineterminator="\n")
    host, pid = socket.gethostname(), os.getpid()
    for _, same_sample in itertools.groupby(runs, key=lambda run: run[0]):
        group = list(same_sample)
        sample, values = group[0][0], group[0][3]
        started = time.perf_counter()
        cells: list[list[str]] = [[] for _ in group]
        try:
            for base in bases:
                scenario = specs.apply(base, paths, values)
                parts = groups([run[2] for run in group], 1, lockstep_size(scenario))
                found = [measure(record, scenario) for part in parts for record in run_lockstep(scenario, part)]
                for row, f in zip(cells, found, strict=True):
                    row += [text(f[m]) for m in metric_names]
            error = ""
        except ValidationError as exc:
            error = "invalid scenario: " + "; ".join(describe_errors(exc))
        except Exception as exc:  # noqa: BLE001 - any failure of one run is recorded and the sweep goes on
            error = f"{type(exc).__name__}: {exc}"
        if error:
            cells = [[""] * (len(metric_names) * len(bases))] * len(group)
        seconds = (time.perf_counter() - started) / len(group)
        for (_, replicate, seed, _), row in zip(group, cells, strict=True):
            results_out.writerow([sample, replicate, seed, *(text(v) for v in values), *row,
                                  "failed" if error else "ok"])
            log_out.writerow([sample, replicate, f"{seconds:.3f}", host, pid, error])
    return results.getvalue(), log.getvalue()


@dataclass(frozen=True)
class Plan:
    """A sweep cut into chunks of consecutive runs (in sample-id, replicate order)."""

    sweep: specs.Sweep
    points: designs.Points
    chunk_size: int

    @property
    def runs(self) -> int:
        return len(self.points.values) * self.sweep.spec.replicates

    @property
    def chunks(self) -> int:
        return math.ceil(self.runs / self.chunk_size)

    @cached_property
    def digest(self) -> str:
        """What the runs depend on (the spec, the base scenario, the chunking), hashed: a part sealed under another
        plan (a manifest edited since) is never joined."""
        spec = self.sweep.spec
        # the fields that came with 0.5.0 are left out while unset, so a part sealed before they existed still joins
        unset = {name for name, off in NEW_FIELDS.items() if getattr(spec, name) == off}
        dumped = spec.model_dump(mode="json", exclude=unset or None)
        what: dict[str, Any] = {"spec": dumped, "base": self.sweep.base, "chunk_size": self.chunk_size}
        if self.sweep.arms:
            what["arms"] = [list(arm) for arm in self.sweep.arms]
        return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode("utf-8")).hexdigest()

    def chunk_range(self, k: int) -> range:
        """The run indices of chunk k (in sample-id, replicate order)."""
        return range(k * self.chunk_size, min((k + 1) * self.chunk_size, self.runs))

    def seed(self, sample: int, replicate: int) -> int:
        """The seed of a run, the only place a sweep chooses one. By default ``run_seed(spec.seed, sample, replicate)``:
        every run has its own, as before the option existed, so a spec's results.csv is unchanged by it. With the
        spec's ``common_random_numbers``, ``run_seed(spec.seed, 0, replicate)``: replicate k of every design point
        has the same seed (the one point 0's replicate k has without them), so the difference between two points'
        replicate k comes from their values rather than their seeds, as far as the model's random streams keep in
        step. A comparison under uncertainty (a sweep with arms) seeds replicate k as ``ipsim compare`` does,
        ``replicate_seeds(spec.seed, ...)[k]``, whatever the point: every arm and every parameter draw shares
        replicate k's seed, and a draw at the point values gives the plain comparison's runs. Either way a seed depends
        only on the spec and the run, never on chunking, workers or backend."""
        spec = self.sweep.spec
        if self.sweep.arms:
            return replicate_seed(spec.seed, replicate)
        return run_seed(spec.seed, 0 if spec.common_random_numbers else sample, replicate)

    def chunk_runs(self, k: int) -> list[tuple[int, int, int, list[Any]]]:
        """Chunk k's runs: (sample id, replicate, seed, values)."""
        out = []
        for i in self.chunk_range(k):
            sample, replicate = divmod(i, self.sweep.spec.replicates)
            out.append((sample, replicate, self.seed(sample, replicate), self.points.values[sample]))
        return out


def auto_chunk_size(runs: int, slots: int) -> int:
    return max(1, min(MAX_AUTO_CHUNK, runs // (slots * CHUNKS_PER_SLOT)))


STATES = ("running", "interrupted", "complete")


@dataclass
class Status:
    """What status.json says: state is running, interrupted or complete; a complete sweep's results.csv has
    ``results_rows`` runs and the SHA-256 ``results_sha256``. status.json is a summary of the folder, never
    its only record: resume rebuilds it from the parts."""

    state: str
    runs_total: int
    runs_done: int
    runs_failed: int
    results_rows: int | None = None
    results_sha256: str | None = None
    parts_redone: int = 0
    """Damaged or unsealed parts found by this resume and run again."""

    def write(self, folder: Path, command: str = "sweep") -> None:
        data = {**self.__dict__, "updated_utc": datetime.now(UTC).isoformat(timespec="seconds")}
        if self.state != "complete":
            data["resume"] = f"ipsim {command} --resume {folder}"
        folders.write_text_atomically(folder / STATUS, json.dumps(data, indent=2) + "\n")

    @classmethod
    def read(cls, folder: Path) -> Status:
        """The folder's status.json; SweepError naming what is wrong with it and how to recover."""
        try:
            data = json.loads((folder / STATUS).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SweepError(f"{folder}: cannot read {STATUS}: it is missing; {REBUILD}") from None
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise SweepError(f"{folder}: cannot read {STATUS}: it is damaged ({_short(exc)}); {REBUILD}") from None
        problem = _status_problem(data)
        if problem:
            raise SweepError(f"{folder}: cannot read {STATUS}: it is damaged ({problem}); {REBUILD}")
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})


REBUILD = "--resume rebuilds it from the finished runs"
_COUNTS = ("runs_total", "runs_done", "runs_failed")


def _status_problem(data: object) -> str:
    """What is wrong with status.json's content, or nothing."""
    if not isinstance(data, dict):
        return "not a JSON object"
    missing = [name for name in ("state", *_COUNTS) if name not in data]
    if missing:
        return f"no {', '.join(missing)}"
    if data["state"] not in STATES:
        return f"state {str(data['state'])[:40]!r} is none of {', '.join(STATES)}"
    bad = [name for name in _COUNTS if type(data[name]) is not int or data[name] < 0]
    if bad:
        return f"{', '.join(bad)} not a count"
    extra = {"results_rows": int, "results_sha256": str, "parts_redone": int}
    wrong = [name for name, kind in extra.items() if data.get(name) is not None and type(data[name]) is not kind]
    return f"{', '.join(wrong)} of the wrong type" if wrong else ""


def _short(exc: BaseException) -> str:
    return str(exc)[:120] or type(exc).__name__


BUSY = ("{folder}: another ipsim process is running this sweep now; wait for it to finish (or stop it), then "
        "resume if it did not complete")


def busy(folder: Path) -> bool:
    """Whether another process holds the sweep's lock, that is, runs it now (a running sweep has a lock file, so
    without one nothing is created to find out)."""
    if not (folder / LOCK).exists():
        return False
    try:
        with filelock.FileLock(folder / LOCK, timeout=0):
            return False
    except filelock.Timeout:
        return True


def look(folder: Path, command: str = "sweep", record: bool = False) -> Status:
    """The sweep's status as it really is: a sweep marked ``running`` whose lock nobody holds was killed, so it is
    ``interrupted`` (and, with ``record``, marked so in status.json, by a command that may write into the folder)."""
    status = Status.read(folder)
    if status.state == "running" and not busy(folder):
        status.state = "interrupted"
        if record:
            status.write(folder, command)
    return status


def command_of(manifest: dict[str, Any]) -> str:
    """The command that made a sweep folder, ``sweep`` or ``calibrate`` (for the advice on how to resume it)."""
    command = manifest.get("command")
    return command[1] if isinstance(command, list) and command[1:2] in (["sweep"], ["calibrate"]) else "sweep"


def finished(folder: Path, record: bool = False) -> Plan:
    """The plan of a complete sweep folder whose results.csv is whole (its rows and checksum as status.json
    recorded them); SweepError saying how to finish or redo it otherwise. ``record``: mark a killed sweep
    ``interrupted`` in status.json (see ``look``)."""
    plan = open_plan(folder)
    command = command_of(read_manifest(folder))
    status = look(folder, command, record)
    if status.state != "complete":
        raise SweepError(f"{folder} is not complete ({status.runs_done} of {status.runs_total} runs, "
                         f"{status.state}); finish it with: ipsim {command} --resume {folder}")
    try:
        found = file_digest(folder / RESULTS)
    except OSError as exc:
        raise SweepError(f"{folder}: marked complete but cannot read {RESULTS} ({exc.strerror})") from None
    if status.results_sha256 is not None and found != (status.results_rows, status.results_sha256):
        raise SweepError(f"{folder}: {RESULTS} is not the file this sweep wrote (changed or damaged since); "
                         f"run the sweep again into a new folder")
    return plan


def _design_csv(plan: Plan) -> str:
    rows = io.StringIO()
    out = csv.writer(rows, lineterminator="\n")
    out.writerow(["sample_id", *plan.sweep.paths])
    for sample, values in enumerate(plan.points.values):
        out.writerow([sample, *(text(v) for v in values)])
    return rows.getvalue()


def create(out: Path, plan: Plan, spec_file: str, command: list[str], label: str = "sweep") -> Path:
    """Make the sweep folder ``<out>/<UTC timestamp>-<label>-<name>[-n]`` with its manifest, design and status."""
    started = datetime.now(UTC)
    folder = folders.make_run_folder(out, f"{label}-{plan.sweep.spec.name}", started)
    create_at(folder, plan, spec_file, command, started)
    return folder


def create_at(folder: Path, plan: Plan, spec_file: str, command: list[str], started: datetime | None = None) -> None:
    """Make ``folder`` (made if missing) a sweep folder: its design, status and, written last, its manifest (a folder
    without one was never started). ``create`` names the folder; a calibration names its batches itself."""
    started = started or datetime.now(UTC)
    folder.mkdir(exist_ok=True)
    spec = plan.sweep.spec
    manifest = {
        "kind": "sweep",
        "spec_file": spec_file,
        "spec": spec.model_dump(mode="json"),
        "base_file": plan.sweep.base_file,
        "base_scenario": plan.sweep.base,
        "design": spec.design,
        "points": len(plan.points.values),
        "replicates": spec.replicates,
        "runs": plan.runs,
        "chunk_size": plan.chunk_size,
        **({"arms": [{"name": name, "scenario": scenario} for name, scenario in plan.sweep.arms]}
           if plan.sweep.arms else {}),
        "results_columns": results_columns(plan.sweep),
        "versions": folders.versions("SALib", "distributed"),
        "command": command,
        "created_utc": started.isoformat(timespec="seconds"),
    }
    (folder / PARTS).mkdir(exist_ok=True)
    folders.write_text_atomically(folder / DESIGN, _design_csv(plan))
    Status("running", plan.runs, 0, 0).write(folder)
    folders.write_text_atomically(folder / MANIFEST, json.dumps(manifest, indent=2) + "\n")


MANIFEST_FIELDS = {"kind": str, "spec": dict, "base_file": str, "base_scenario": dict, "runs": int,
                   "chunk_size": int, "spec_file": str}
"""What a sweep folder's manifest.json must hold for the folder to be resumed or analysed, and of which type."""


def read_manifest(folder: Path, kind_of_folder: str = "sweep",
                  fields: dict[str, type] = MANIFEST_FIELDS) -> dict[str, Any]:
    """A sweep folder's manifest.json (or another kind's, such as a calibration's, with the ``fields`` it must hold);
    SweepError if there is none, or it is damaged or of another kind."""
    if not folder.is_dir():
        raise SweepError(f"{folder}: no such folder")
    redo = "it cannot be resumed or analysed: run its spec again into a new folder"
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SweepError(f"{folder}: not a {kind_of_folder} folder (no {MANIFEST})") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise SweepError(f"{folder}: {MANIFEST} is damaged ({_short(exc)}); {redo}") from None
    if not isinstance(manifest, dict):
        raise SweepError(f"{folder}: {MANIFEST} is damaged (not a JSON object); {redo}")
    if manifest.get("kind") != kind_of_folder:
        raise SweepError(f"{folder}: not a {kind_of_folder} folder (its manifest is of kind "
                         f"{str(manifest.get('kind'))[:40]!r})")
    for name, kind in fields.items():
        if type(manifest.get(name)) is not kind:
            raise SweepError(f"{folder}: {MANIFEST} is damaged ({name!r} is missing or not a{'n' * (kind is int)} "
                             f"{kind.__name__}); {redo}")
    return manifest


def arms(folder: Path, manifest: dict[str, Any]) -> tuple[tuple[str, dict[str, Any]], ...]:
    """A comparison under uncertainty's arms as its manifest lists them (none for a plain sweep); SweepError if the
    list is damaged."""
    listed = manifest.get("arms", [])
    if not isinstance(listed, list) or not all(
            isinstance(a, dict) and isinstance(a.get("name"), str) and isinstance(a.get("scenario"), dict)
            for a in listed):
        raise SweepError(f"{folder}: {MANIFEST} is damaged ('arms' is not a list of names and scenarios); it cannot "
                         "be resumed or analysed: run the comparison again into a new folder")
    return tuple((a["name"], a["scenario"]) for a in listed)


def open_plan(folder: Path) -> Plan:
    """The plan of an existing sweep folder, rebuilt from its manifest and checked against its design.csv."""
    manifest = read_manifest(folder)
    try:
        spec = specs.SweepSpec.model_validate(manifest["spec"])
        loaded = specs.check_sweep(spec, manifest["base_scenario"], manifest["base_file"], str(folder / MANIFEST),
                                   arms(folder, manifest))
    except (ValidationError, ScenarioError) as exc:
        raise SweepError(f"{folder}: its manifest no longer validates with this version of ipsim: "
                         f"{_short(exc)}") from None
    try:
        limits.check_design(spec.points, spec.replicates, allow_large=True)  # a manifest edited to billions
    except limits.LimitError as exc:
        raise SweepError(f"{folder}: {MANIFEST} is damaged ({exc})") from None
    plan = Plan(loaded, designs.design(spec), manifest["chunk_size"])
    if plan.runs != manifest["runs"] or manifest["chunk_size"] < 1:
        raise SweepError(f"{folder}: {MANIFEST} is damaged (its runs or chunk_size do not match its spec)")
    try:
        design = (folder / DESIGN).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SweepError(f"{folder}: cannot read {DESIGN} ({_short(exc)}); run the spec again into a new folder")\
            from None
    if design != _design_csv(plan):
        raise SweepError(f"{folder}: the design this version of ipsim draws differs from the folder's "
                         f"{DESIGN} (library versions changed, or the file was edited); resume with the "
                         f"versions in {MANIFEST}")
    return plan


def _part(folder: Path, k: int, suffix: str = ".csv") -> Path:
    return folder / PARTS / f"{k:06d}{suffix}"


PART_FILES = (".csv", ".log", ".json")
"""A chunk's part: its results rows, its log rows, and its seal (written last)."""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _store_part(folder: Path, plan: Plan, k: int, results: str, log: str) -> None:
    """Write chunk k's rows, then its seal: a part without a valid seal is never trusted."""
    folders.write_text_atomically(_part(folder, k, ".log"), log)
    folders.write_text_atomically(_part(folder, k), results)
    seal = {"runs": len(plan.chunk_range(k)), "plan_sha256": plan.digest, "results_sha256": _digest(results),
            "log_sha256": _digest(log)}
    folders.write_text_atomically(_part(folder, k, ".json"), json.dumps(seal) + "\n")


def _read_part(folder: Path, plan: Plan, k: int) -> tuple[str, str] | None:
    """Chunk k's results and log rows if its part is whole: sealed under this plan, with the chunk's run count, and
    both files matching their checksums; None if it is missing, short, corrupt, unsealed or of another plan (it is
    then run again)."""
    try:
        seal = json.loads(_part(folder, k, ".json").read_text(encoding="utf-8"))
        results = _part(folder, k).read_text(encoding="utf-8")
        log = _part(folder, k, ".log").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    whole = (isinstance(seal, dict) and seal.get("runs") == len(plan.chunk_range(k))
             and seal.get("plan_sha256") == plan.digest
             and seal.get("results_sha256") == _digest(results) and seal.get("log_sha256") == _digest(log))
    return (results, log) if whole else None


@contextmanager
def locked(folder: Path, message: str = BUSY, finished: str = RESULTS) -> Iterator[None]:
    """Hold the folder's lock while running (a file lock, which the system releases if the process dies); a
    second process gets a SweepError at once (``message``, formatted with the folder). A folder whose ``finished``
    file exists when the lock is released (a sweep's results.csv) is left without a lock file."""
    lock = filelock.FileLock(folder / LOCK, timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise SweepError(message.format(folder=folder)) from None
    try:
        yield
    finally:
        lock.release()
        if (folder / finished).exists():
            (folder / LOCK).unlink(missing_ok=True)


def execute(folder: Path, plan: Plan, executor: Executor, slots: int, measure: Measure,
            progress: Callable[[int], None] | None = None, command: str = "sweep") -> Status:
    """Run every chunk whose part is missing or damaged, writing each part as it completes; then join the parts.

    At most ``2 * slots`` chunks are in flight, so memory does not grow with the sweep's size.
    On any interruption the status file says ``interrupted`` and the parts written so far stay.
    ``Status.parts_redone`` counts the damaged parts found and run again.
    """
    with locked(folder):
        folders.remove_stale(folder)
        (folder / PARTS).mkdir(exist_ok=True)
        folders.remove_stale(folder / PARTS)
        status = Status("running", plan.runs, 0, 0)
        pending, redone = [], 0
        for k in range(plan.chunks):
            part = _read_part(folder, plan, k)
            if part is None:
                redone += any(_part(folder, k, suffix).exists() for suffix in PART_FILES)
                for suffix in PART_FILES:
                    _part(folder, k, suffix).unlink(missing_ok=True)
                pending.append(k)
            else:
                status.runs_done += part[0].count("\n")
                status.runs_failed += part[0].count(",failed\n")
        status.parts_redone = redone
        status.write(folder, command)
        if progress and status.runs_done:
            progress(status.runs_done)
        spec, paths = plan.sweep.spec, plan.sweep.paths

        def store(k: int, future: Future) -> None:
            results, log = future.result()
            _store_part(folder, plan, k, results, log)
            n = results.count("\n")
            status.runs_done += n
            status.runs_failed += results.count(",failed\n")
            status.write(folder, command)
            if progress:
                progress(n)

        tasks = ((k, run_chunk, (plan.sweep.bases, paths, spec.metrics, plan.chunk_runs(k), measure)) for k in pending)
        bounded = Bounded(executor, 2 * slots)
        try:
            for k, future in bounded.run(tasks):
                store(k, future)
            _join(folder, plan, status)
        except BaseException:
            for k, future in bounded.salvage():
                store(k, future)  # finished before the interruption: keep it
            status.state = "interrupted"
            status.write(folder, command)
            raise
        status.state = "complete"
        status.write(folder, command)
        shutil.rmtree(folder / PARTS)
        return status


def _join(folder: Path, plan: Plan, status: Status) -> None:
    """results.csv and log.csv: a header, then every part in chunk order (which is run order), each checked
    against its seal once more, streamed (one part in memory at a time) and renamed into place only when whole;
    results.csv's row count and checksum go into ``status``."""
    targets = [folder / RESULTS, folder / LOG]
    temporary = [path.with_name(folders.temporary_name(path.name)) for path in targets]
    digest, rows = hashlib.sha256(), 0
    try:
        with temporary[0].open("w", encoding="utf-8", newline="") as results, \
                temporary[1].open("w", encoding="utf-8", newline="") as log:
            for handle, header in ((results, results_columns(plan.sweep)), (log, LOG_COLUMNS)):
                csv.writer(handle, lineterminator="\n").writerow(header)
            digest.update(_header(results_columns(plan.sweep)).encode("utf-8"))
            for k in range(plan.chunks):
                part = _read_part(folder, plan, k)
                if part is None:
                    raise SweepError(f"{folder}: part {k} was damaged while the sweep ran; resume to run it again")
                results.write(part[0])
                log.write(part[1])
                digest.update(part[0].encode("utf-8"))
                rows += part[0].count("\n")
            for handle in (results, log):
                handle.flush()
                os.fsync(handle.fileno())
        for tmp, path in zip(temporary, targets, strict=True):
            os.replace(tmp, path)
    finally:
        for tmp in temporary:
            tmp.unlink(missing_ok=True)
    status.results_rows, status.results_sha256 = rows, digest.hexdigest()


def _header(columns: list[str]) -> str:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerow(columns)
    return text.getvalue()


def file_digest(path: Path) -> tuple[int, str]:
    """A file's line count (after its header) and SHA-256, read in blocks."""
    digest, lines = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            lines += block.count(b"\n")
    return lines - 1, digest.hexdigest()
