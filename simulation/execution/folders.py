"""Run folders: unique names, atomic writes, manifests and the record files (weekly.csv, spells.csv).

A run folder is named ``<out>/<UTC timestamp>-<name>[-n]`` and never overwrites another. Folders written
in one go are built under a hidden temporary name and renamed when complete, so a failure or Ctrl-C leaves
nothing half-written; a sweep folder, which must survive interruptions, is created under its final name.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from simulation.core.records import SPELL_COLUMNS, WEEKLY_COLUMNS, RunRecord
from simulation.core.scenario import Scenario

CORE_DISTRIBUTIONS = ("ipsim", "mesa", "numpy", "scipy", "pydantic")


def versions(*more: str) -> dict[str, str]:
    """The versions of ipsim, its core libraries, any ``more`` distributions and Python (for manifests)."""

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed" if dist in more else "unknown"

    found = {dist: version(dist) for dist in CORE_DISTRIBUTIONS}
    found["python"] = platform.python_version()
    return {**found, **{dist: version(dist) for dist in more}}


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
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(SPELL_COLUMNS)
        for k, record in enumerate(records):
            for spell in sorted(record.spells, key=lambda s: (s["start_week"], s["position"])):
                row = {"replicate": k, **spell}
                out.writerow([cell(row[c]) for c in SPELL_COLUMNS])


def write_rows(path: Path, rows: Sequence[dict]) -> None:
    """A CSV file of dict rows (the first row's keys as the header), cells as ``cell`` writes them."""
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(list(rows[0]))
        for row in rows:
            out.writerow([cell(v) for v in row.values()])


def _stem(name: str, now: datetime) -> str:
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{name}"


def new_run_folder(out: Path, name: str, now: datetime) -> Path:
    """A fresh, unused folder path ``<out>/<UTC timestamp>-<name>[-n]`` (never an existing one)."""
    stem = _stem(name, now)
    candidate, n = out / stem, 1
    while candidate.exists():
        n += 1
        candidate = out / f"{stem}-{n}"
    return candidate


def make_run_folder(out: Path, name: str, now: datetime) -> Path:
    """Create and return ``<out>/<UTC timestamp>-<name>[-n]`` under its final name (for folders that must exist
    from the start, like a resumable sweep's); another process creating the same name at once gets the next n."""
    out.mkdir(parents=True, exist_ok=True)
    while True:
        folder = new_run_folder(out, name, now)
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue


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
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())  # on disk before it takes the name: a crash leaves the old file or the new
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


def run_manifest(base_seed: int, seeds: Sequence[int], workers: int, command: list[str]) -> dict:
    """The manifest entries every run folder has, whatever it holds."""
    return {
        "base_seed": base_seed,
        "replicate_seeds": list(seeds),
        "workers": workers,
        "versions": versions(),
        "command": command,
    }


def scenario_manifest(
    scenario: Scenario, scenario_file: str, base_seed: int, seeds: Sequence[int], workers: int, command: list[str]
) -> dict:
    """The manifest of a folder about one scenario (``ipsim run``, ``ipsim check-patterns``)."""
    return {
        "scenario_file": scenario_file,
        "scenario": scenario.model_dump(mode="json"),
        **run_manifest(base_seed, seeds, workers, command),
    }
