"""Running replicates of a scenario (in parallel, reproducibly) and writing a run folder atomically."""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import platform
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

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


def run_replicates(
    scenario: Scenario,
    seeds: Sequence[int],
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[RunRecord]:
    """Run one replicate per seed, in order; ``workers`` > 1 spreads them over processes."""
    if workers <= 1 or len(seeds) <= 1:
        records = []
        for seed in seeds:
            records.append(run_one(scenario, seed))
            if progress:
                progress(1)
        return records
    # forkserver: workers do not inherit the parent's threads (e.g. a progress bar's monitor).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["simulation.model"])
    with ProcessPoolExecutor(max_workers=min(workers, len(seeds)), mp_context=context) as pool:
        records = []
        for record in pool.map(run_one, [scenario] * len(seeds), seeds, chunksize=1):
            records.append(record)
            if progress:
                progress(1)
        return records


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


def _fmt(value: object) -> object:
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
                out.writerow([k, *(_fmt(v) for v in row)])


def write_spells(path: Path, records: Sequence[RunRecord]) -> None:
    columns = SPELL_COLUMNS + [f"drain_share_{f.name}" for f in pressures.DRAINS]
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(columns)
        for k, record in enumerate(records):
            for spell in sorted(record.spells, key=lambda s: (s["start_week"], s["position"])):
                row = {"replicate": k, **spell}
                out.writerow([_fmt(row[c]) for c in columns])


def new_run_folder(out: Path, name: str, now: datetime) -> Path:
    """A fresh, unused folder path ``<out>/<UTC timestamp>-<name>[-n]`` (never an existing one)."""
    stem = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{name}"
    candidate, n = out / stem, 1
    while candidate.exists():
        n += 1
        candidate = out / f"{stem}-{n}"
    return candidate


def write_run(
    out: Path,
    scenario: Scenario,
    records: Sequence[RunRecord],
    manifest: dict,
    started: datetime,
) -> Path:
    """Write the run folder under a hidden temporary name, then rename it into place.

    A failure or interruption removes the temporary folder, so ``out`` never holds a
    half-written run, and an existing run folder is never overwritten.
    """
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".partial-{scenario.name}-", dir=out))
    try:
        summary = metrics.summarise(records, scenario)
        finished = datetime.now(UTC)
        manifest = {**manifest, "started_utc": started.isoformat(timespec="seconds"),
                    "finished_utc": finished.isoformat(timespec="seconds")}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        write_weekly(tmp / "weekly.csv", records)
        write_spells(tmp / "spells.csv", records)
        charts.draw_all(tmp / "charts", records, scenario, summary)
        while True:
            final = new_run_folder(out, scenario.name, started)
            try:
                os.rename(tmp, final)
                return final
            except OSError:
                if not final.exists():
                    raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def manifest_for(
    scenario: Scenario, scenario_file: str, base_seed: int, seeds: Sequence[int], workers: int, command: list[str]
) -> dict:
    return {
        "scenario_file": scenario_file,
        "scenario": scenario.model_dump(mode="json"),
        "base_seed": base_seed,
        "replicate_seeds": list(seeds),
        "workers": workers,
        "versions": versions(),
        "command": command,
    }
