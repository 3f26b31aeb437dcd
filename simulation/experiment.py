"""Running replicates of scenarios (in parallel, reproducibly) and writing a run folder atomically."""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import platform
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from simulation import charts, metrics, pressures
from simulation.model import WEEKLY_COLUMNS, IPSModel, RunRecord
from simulation.scenario import Scenario

DEFAULT_SEED = 2024
SPELL_COLUMNS = ["replicate", "site", "position", "start_week", "end_week", "outcome", "decision_week",
                 "shock", "contract", "threshold"]


def replicate_seeds(base_seed: int, replicates: int) -> list[int]:
    """One independent 64-bit seed per replicate, spawned from ``SeedSequence(base_seed)``.

    Replicate k's seed depends only on the base seed and k, so results do not depend on how
    replicates are spread over worker processes.
    """
    children = np.random.SeedSequence(base_seed).spawn(replicates)
    return [int(c.generate_state(1, dtype=np.uint64)[0]) for c in children]


def default_workers() -> int:
    """All cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def run_one(scenario: Scenario, seed: int) -> RunRecord:
    return IPSModel(scenario, seed).run()


class _InProcess(Executor):
    """An executor that runs each task at once in this process: one code path for 1 and many workers."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - handed to the caller through the future, as a pool would
            future.set_exception(exc)
        return future


def local_executor(workers: int) -> Executor:
    """A pool of ``workers`` processes, or for one worker this process itself."""
    if workers <= 1:
        return _InProcess()
    # forkserver: workers do not inherit the parent's threads (e.g. a progress bar's monitor).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["simulation.experiment", "simulation.runner"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


Batch = tuple[Scenario, Sequence[int]]
"""A scenario and the seeds of its replicates."""


def run_batches(
    batches: Sequence[Batch],
    finish: Callable[[Scenario, list[RunRecord]], Any] | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[Any]:
    """Run every replicate of every batch and return one result per batch, in order.

    All runs share one pool of ``workers`` processes. As soon as a batch's replicates are all in,
    ``finish(scenario, records)`` (a picklable callable) is queued in the same pool, ahead of
    runs not yet handed out, and its return value is the batch's result (without ``finish``:
    the records). Only a few runs are handed out ahead, so the records of at most a few batches
    are held at once. ``progress(1)`` is called after each run. Each run depends only on its
    scenario and seed, so results do not depend on ``workers``.
    """
    todo = [(b, k) for b, (_, seeds) in enumerate(batches) for k in range(len(seeds))]
    todo.reverse()  # popped from the end: batch order
    records: list[list[Any]] = [[None] * len(seeds) for _, seeds in batches]
    missing = [len(seeds) for _, seeds in batches]
    results: list[Any] = [None] * len(batches)
    in_flight: dict[Future, tuple[int, int | None]] = {}  # future -> (batch, replicate; None for finish)
    pool = local_executor(min(workers, len(todo)))
    try:
        while todo or in_flight:
            while todo and len(in_flight) < 2 * workers:
                b, k = todo.pop()
                scenario, seeds = batches[b]
                in_flight[pool.submit(run_one, scenario, seeds[k])] = (b, k)
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                b, k = in_flight.pop(future)
                if k is None:
                    results[b] = future.result()
                    continue
                records[b][k] = future.result()
                missing[b] -= 1
                if progress:
                    progress(1)
                if missing[b] == 0:
                    batch, records[b] = records[b], []
                    if finish is None:
                        results[b] = batch
                    else:
                        in_flight[pool.submit(finish, batches[b][0], batch)] = (b, None)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results


def run_replicates(
    scenario: Scenario,
    seeds: Sequence[int],
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[RunRecord]:
    """Run one replicate per seed, in order; ``workers`` > 1 spreads them over processes."""
    return run_batches([(scenario, seeds)], workers=workers, progress=progress)[0]


def versions() -> dict[str, str]:
    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "unknown"

    return {
        "ipsim": version("ipsim"), "mesa": version("mesa"), "numpy": version("numpy"),
        "scipy": version("scipy"), "pydantic": version("pydantic"), "python": platform.python_version(),
    }


def cell(value: object) -> object:
    """Stable text for CSV cells: floats to 10 significant digits, None as empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        return format(value, ".10g")
    return value


def write_weekly(path: Path, records: Sequence[RunRecord]) -> None:
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["replicate", *WEEKLY_COLUMNS])
        for k, record in enumerate(records):
            for row in record.weekly:
                out.writerow([k, *(cell(v) for v in row)])


def write_spells(path: Path, records: Sequence[RunRecord]) -> None:
    columns = SPELL_COLUMNS + [f"drain_share_{f.name}" for f in pressures.DRAINS]
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(columns)
        for k, record in enumerate(records):
            for spell in sorted(record.spells, key=lambda s: (s["start_week"], s["position"])):
                row = {"replicate": k, **spell}
                out.writerow([cell(row[c]) for c in columns])


def new_run_folder(out: Path, name: str, now: datetime) -> Path:
    """A fresh, unused folder path ``<out>/<UTC timestamp>-<name>[-n]`` (never an existing one)."""
    stem = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{name}"
    candidate, n = out / stem, 1
    while candidate.exists():
        n += 1
        candidate = out / f"{stem}-{n}"
    return candidate


def write_outputs(folder: Path, scenario: Scenario, records: Sequence[RunRecord]) -> metrics.Outcome:
    """Write a scenario's results into ``folder`` (summary.json, weekly.csv, spells.csv, charts/)
    and return its metrics: the run folder of ``ipsim run`` without its manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    result = metrics.outcome(records, scenario)
    (folder / "summary.json").write_text(json.dumps(result.summary, indent=2) + "\n")
    write_weekly(folder / "weekly.csv", records)
    write_spells(folder / "spells.csv", records)
    charts.draw_all(folder / "charts", records, scenario, result)
    return result


def write_manifest(folder: Path, manifest: dict, started: datetime) -> None:
    """Write manifest.json with the start time and, as it is written last, the finish time."""
    finished = datetime.now(UTC)
    manifest = {**manifest, "started_utc": started.isoformat(timespec="seconds"),
                "finished_utc": finished.isoformat(timespec="seconds")}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def write_text_atomically(path: Path, content: str) -> None:
    """Write a file whole or not at all: into a hidden temporary file beside it, then renamed over it."""
    tmp = path.with_name(f".tmp-{path.name}")
    try:
        tmp.write_text(content, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomically(out: Path, name: str, started: datetime, fill: Callable[[Path], None]) -> Path:
    """Let ``fill`` write into a hidden temporary folder, then rename it to ``<out>/<timestamp>-<name>``.

    A failure or interruption removes the temporary folder, so ``out`` never holds a
    half-written folder, and an existing folder is never overwritten.
    """
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".partial-{name}-", dir=out))
    try:
        fill(tmp)
        while True:
            final = new_run_folder(out, name, started)
            try:
                os.rename(tmp, final)
                return final
            except OSError:
                if not final.exists():
                    raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_run(
    out: Path,
    scenario: Scenario,
    records: Sequence[RunRecord],
    manifest: dict,
    started: datetime,
) -> Path:
    """Write the run folder of ``ipsim run`` atomically (see write_atomically)."""

    def fill(folder: Path) -> None:
        write_outputs(folder, scenario, records)
        write_manifest(folder, manifest, started)

    return write_atomically(out, scenario.name, started, fill)


def run_manifest(base_seed: int, seeds: Sequence[int], workers: int, command: list[str]) -> dict:
    """The manifest entries every run folder has, whatever it holds."""
    return {
        "base_seed": base_seed,
        "replicate_seeds": list(seeds),
        "workers": workers,
        "versions": versions(),
        "command": command,
    }


def manifest_for(
    scenario: Scenario, scenario_file: str, base_seed: int, seeds: Sequence[int], workers: int, command: list[str]
) -> dict:
    return {
        "scenario_file": scenario_file,
        "scenario": scenario.model_dump(mode="json"),
        **run_manifest(base_seed, seeds, workers, command),
    }
