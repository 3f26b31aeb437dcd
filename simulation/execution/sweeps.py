"""Running a sweep: chunks of runs over any ``concurrent.futures.Executor``, streamed to disk, resumable.

A sweep folder exists under its final name from the start. Each finished chunk of runs is written
atomically as its own part file, so an interruption (Ctrl-C, a killed process, a lost worker) loses
at most the chunks in flight, and ``resume`` runs only the chunks whose part is missing. When all are
in, the parts are joined in run order into ``results.csv``. Every run's seed depends only on the
spec's seed, its sample id and its replicate, and each row only on its run, so ``results.csv`` is
byte-identical whatever the backend, the number of workers, the chunking or the interruptions.
"""

from __future__ import annotations

import csv
import fcntl
import io
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
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulation.core.model import IPSModel
from simulation.core.records import RunRecord
from simulation.core.scenario import Scenario
from simulation.execution import designs, folders
from simulation.execution.pool import Bounded, ExecutionError
from simulation.execution.seeds import run_seed
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


class SweepError(ExecutionError):
    """A sweep that cannot start, resume or be analysed; the message says why."""


def results_columns(spec: specs.SweepSpec) -> list[str]:
    """results.csv's columns: the run's identity and seed, its parameter values, its metrics, its status."""
    return ["sample_id", "replicate", "seed", *(p.path for p in spec.parameters), *spec.metrics, "status"]


def text(value: Any) -> str:
    """A value as results.csv writes it: floats to 10 significant digits, booleans as true/false, None empty."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(folders.cell(value))


Measure = Callable[[RunRecord, Scenario], dict[str, float | None]]
"""What a sweep keeps of a run: its per-run metrics by name (analysis.metrics.replicate_metrics), passed in
by the caller so that running knows nothing of analysis; it must be picklable (a module-level function)."""


def run_chunk(base: dict[str, Any], paths: list[str], metric_names: list[str],
              runs: list[tuple[int, int, int, list[Any]]], measure: Measure) -> tuple[str, str]:
    """Run each (sample id, replicate, seed, values) and return the CSV rows for results and for the log.

    A run that raises is recorded with empty metrics and status ``failed``; its error goes to the log.
    """
    results, log = io.StringIO(), io.StringIO()
    results_out, log_out = csv.writer(results, lineterminator="\n"), csv.writer(log, lineterminator="\n")
    host, pid = socket.gethostname(), os.getpid()
    for sample, replicate, seed, values in runs:
        started = time.perf_counter()
        try:
            scenario = specs.apply(base, paths, values)
            found = measure(IPSModel(scenario, seed).run(), scenario)
            cells, error = [text(found[m]) for m in metric_names], ""
        except ValidationError as exc:
            cells, error = [""] * len(metric_names), "invalid scenario: " + "; ".join(describe_errors(exc))
        except Exception as exc:  # noqa: BLE001 - any failure of one run is recorded and the sweep goes on
            cells, error = [""] * len(metric_names), f"{type(exc).__name__}: {exc}"
        results_out.writerow([sample, replicate, seed, *(text(v) for v in values), *cells,
                              "failed" if error else "ok"])
        log_out.writerow([sample, replicate, f"{time.perf_counter() - started:.3f}", host, pid, error])
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

    def chunk_runs(self, k: int) -> list[tuple[int, int, int, list[Any]]]:
        spec = self.sweep.spec
        out = []
        for i in range(k * self.chunk_size, min((k + 1) * self.chunk_size, self.runs)):
            sample, replicate = divmod(i, spec.replicates)
            out.append((sample, replicate, run_seed(spec.seed, sample, replicate), self.points.values[sample]))
        return out


def auto_chunk_size(runs: int, slots: int) -> int:
    return max(1, min(MAX_AUTO_CHUNK, runs // (slots * CHUNKS_PER_SLOT)))


@dataclass
class Status:
    """What status.json says: state is running, interrupted or complete."""

    state: str
    runs_total: int
    runs_done: int
    runs_failed: int

    def write(self, folder: Path) -> None:
        data = {**self.__dict__, "updated_utc": datetime.now(UTC).isoformat(timespec="seconds")}
        if self.state != "complete":
            data["resume"] = f"ipsim sweep --resume {folder}"
        folders.write_text_atomically(folder / STATUS, json.dumps(data, indent=2) + "\n")

    @classmethod
    def read(cls, folder: Path) -> Status:
        data = json.loads((folder / STATUS).read_text())
        return cls(data["state"], data["runs_total"], data["runs_done"], data["runs_failed"])


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
        "results_columns": results_columns(spec),
        "versions": folders.versions("SALib", "distributed"),
        "command": command,
        "created_utc": started.isoformat(timespec="seconds"),
    }
    (folder / PARTS).mkdir()
    folders.write_text_atomically(folder / DESIGN, _design_csv(plan))
    Status("running", plan.runs, 0, 0).write(folder)
    folders.write_text_atomically(folder / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return folder


def read_manifest(folder: Path) -> dict[str, Any]:
    if not (folder / MANIFEST).is_file():
        raise SweepError(f"{folder}: not a sweep folder (no {MANIFEST})")
    manifest = json.loads((folder / MANIFEST).read_text())
    if manifest.get("kind") != "sweep":
        raise SweepError(f"{folder}: not a sweep folder (its manifest is of kind {manifest.get('kind')!r})")
    return manifest


def open_plan(folder: Path) -> Plan:
    """The plan of an existing sweep folder, rebuilt from its manifest and checked against its design.csv."""
    manifest = read_manifest(folder)
    try:
        spec = specs.SweepSpec.model_validate(manifest["spec"])
        loaded = specs.check_sweep(spec, manifest["base_scenario"], manifest["base_file"], str(folder / MANIFEST))
    except (ValidationError, ScenarioError) as exc:
        raise SweepError(f"{folder}: its manifest no longer validates with this version of ipsim: {exc}") from None
    plan = Plan(loaded, designs.design(spec), manifest["chunk_size"])
    if (folder / DESIGN).read_text() != _design_csv(plan):
        raise SweepError(f"{folder}: the design this version of ipsim draws differs from the folder's "
                               f"{DESIGN} (library versions changed?); resume with the versions in {MANIFEST}")
    return plan


def _part(folder: Path, k: int) -> Path:
    return folder / PARTS / f"{k:06d}.csv"


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold the folder's lock file while running; a finished sweep leaves none behind (an interrupted one may:
    it is harmless, since the lock is the flock on the open file, not the file itself)."""
    with open(folder / LOCK, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SweepError(f"{folder}: another ipsim process is running this sweep") from None
        yield
        if Status.read(folder).state == "complete":
            (folder / LOCK).unlink(missing_ok=True)


def execute(folder: Path, plan: Plan, executor: Executor, slots: int, measure: Measure,
            progress: Callable[[int], None] | None = None) -> Status:
    """Run every chunk whose part is missing, writing each part as it completes; then join the parts.

    At most ``2 * slots`` chunks are in flight, so memory does not grow with the sweep's size.
    On any interruption the status file says ``interrupted`` and the parts written so far stay.
    """
    with _locked(folder):
        status = Status("running", plan.runs, 0, 0)
        pending = []
        for k in range(plan.chunks):
            if _part(folder, k).exists():
                rows = _part(folder, k).read_text().splitlines()
                status.runs_done += len(rows)
                status.runs_failed += sum(row.endswith(",failed") for row in rows)
            else:
                pending.append(k)
        status.write(folder)
        if progress and status.runs_done:
            progress(status.runs_done)
        spec, paths = plan.sweep.spec, plan.sweep.paths

        def store(k: int, future: Future) -> None:
            results, log = future.result()
            folders.write_text_atomically(_part(folder, k).with_suffix(".log"), log)
            folders.write_text_atomically(_part(folder, k), results)
            n = results.count("\n")
            status.runs_done += n
            status.runs_failed += results.count(",failed\n")
            status.write(folder)
            if progress:
                progress(n)

        tasks = ((k, run_chunk, (plan.sweep.base, paths, spec.metrics, plan.chunk_runs(k), measure)) for k in pending)
        bounded = Bounded(executor, 2 * slots)
        try:
            for k, future in bounded.run(tasks):
                store(k, future)
        except BaseException:
            for k, future in bounded.salvage():
                store(k, future)  # finished before the interruption: keep it
            status.state = "interrupted"
            status.write(folder)
            raise
        _join(folder, plan)
        status.state = "complete"
        status.write(folder)
        shutil.rmtree(folder / PARTS)
        return status


def _join(folder: Path, plan: Plan) -> None:
    """results.csv and log.csv: a header, then every part in chunk order (which is run order)."""
    for name, header, suffix in ((RESULTS, results_columns(plan.sweep.spec), ".csv"), (LOG, LOG_COLUMNS, ".log")):
        tmp = folder / f".tmp-{name}"
        with tmp.open("w", newline="") as out:
            csv.writer(out, lineterminator="\n").writerow(header)
            for k in range(plan.chunks):
                with _part(folder, k).with_suffix(suffix).open() as part:
                    shutil.copyfileobj(part, out)
        os.replace(tmp, folder / name)
