"""Run folders: unique names, atomic writes, manifests and the record files (weekly.csv, spells.csv, clients.csv).

A run folder is named ``<out>/<UTC timestamp>-<name>[-n]`` and never overwrites another. Folders written
in one go are built under a hidden temporary name and renamed when complete, so a failure or Ctrl-C leaves
nothing half-written; a sweep folder, which must survive interruptions, is created under its final name.

Every hidden temporary name (``.ipsim-partial-*`` folders, ``.ipsim-tmp-*`` files) carries its owner: the
process id and start time of the process writing it. A process killed outright (``kill -9``, a power cut) cannot
remove its temporary files, so the next command writing into the same folder removes those whose owner is no
longer running (``remove_stale``); it never touches another name, or a live process's files.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import platform
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path

import psutil

from simulation.core.clients import LEFT_SERVICE, MISSING
from simulation.core.records import CLIENT_COLUMNS, SPELL_COLUMNS, WEEKLY_COLUMNS, RunRecord
from simulation.core.scenario import Scenario
from simulation.inputs.reading import InputError

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


def write_clients(path: Path, records: Sequence[RunRecord]) -> None:
    """clients.csv: every client of every replicate, in referral order (records.CLIENT_COLUMNS)."""
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(CLIENT_COLUMNS)
        for k, record in enumerate(records):
            c = record.clients
            names = [name for name, _ in record.sites]
            entries = [entry for _, entry in record.sites]
            columns = zip(c.site.tolist(), c.referral_week.tolist(), c.first_job_week.tolist(), c.jobs.tolist(),
                          c.job_end_week.tolist(), c.left_service_week.tolist(), c.left_service.tolist(),
                          c.es_changes.tolist(), c.es_changes_12m.tolist(), c.employed_12m.tolist(),
                          c.employed_18m.tolist(), strict=True)
            for n, (site, referral, first_job, jobs, job_end, left_week, left, changes, changes_12m, at_12m,
                    at_18m) in enumerate(columns):
                out.writerow([k, n, names[site], entries[site], referral, _week(first_job), jobs, _week(job_end),
                              _week(left_week), LEFT_SERVICE[left], changes, changes_12m, _followed(at_12m),
                              _followed(at_18m)])


def _week(week: int) -> int | str:
    return "" if week == MISSING else week


def _followed(employed: int) -> int | str:
    return "" if employed < 0 else employed


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
    remove_stale(out)
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


@cache
def owner_tag() -> str:
    """``<pid>-<start time in centiseconds>``: this process, told apart from a later one given the same pid."""
    return f"{os.getpid()}-{round(psutil.Process().create_time() * 100)}"


_OWNED = re.compile(r"^\.ipsim-(?:partial|tmp)-(\d+)-(\d+)-")
"""A temporary name and its owner's pid and start time (centiseconds)."""


def _running(pid: int, started: int) -> bool:
    """Whether the process ``pid`` that started at ``started`` (centiseconds) still runs."""
    try:
        return abs(round(psutil.Process(pid).create_time() * 100) - started) <= 1
    except psutil.Error:  # no such process (or not ours to look at, which a dead owner's pid reused may be)
        return False


def remove_stale(folder: Path, name: str | None = None) -> list[Path]:
    """Remove the temporary files and folders in ``folder`` whose owner no longer runs (only those of ``name``,
    if given: in a folder that is not ipsim's own, such as a report's); return what was removed."""
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        owned = _OWNED.match(entry.name)
        if name is not None and not entry.name.endswith(f"-{name}"):
            continue
        if owned and not _running(int(owned[1]), int(owned[2])):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


def temporary_name(name: str) -> str:
    """The hidden name under which this process writes ``name`` before renaming it."""
    return f".ipsim-tmp-{owner_tag()}-{name}"


MIN_FREE_BYTES = 50_000_000
"""The free space a command needs in its destination before it starts (a baseline run folder is about 5 MB)."""


class DestinationError(OSError):
    """A destination that cannot be written (not a folder, no permission, a read-only or full disk)."""


def check_destination(out: Path, need: int = MIN_FREE_BYTES, run_folder: bool = False) -> None:
    """Make sure ``out`` is, or can become, a folder this process can write, with ``need`` bytes free, before any run
    starts; an InputError if it is not a folder, a DestinationError if it cannot be written. Creates nothing: an
    existing ``out`` is probed with a temporary file (and its stale temporary files are removed), a missing one
    through the nearest folder above it that exists. A new
    run folder goes only into a folder of run folders, never inside a run folder, unless ``run_folder``: ``out`` is
    the run folder being finished (a sweep resumed)."""
    try:
        existing = out
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise InputError(f"--out {out}: {existing} exists and is not a folder; give a folder or a new path")
        run = None if run_folder else inside_run_folder(existing)
        if run is not None:
            raise InputError(f"--out {out}: is inside the run folder {run}; give a folder of run folders, such as "
                             f"{run.parent}")
        if existing == out:
            remove_stale(out)
            probe = out / temporary_name("probe")
            try:
                with probe.open("wb") as handle:
                    handle.write(b"ipsim")
                    os.fsync(handle.fileno())
            finally:
                probe.unlink(missing_ok=True)
        elif not os.access(existing, os.W_OK | os.X_OK):
            raise DestinationError(errno.EACCES, f"{out}: cannot create it in {existing} (no permission, or a "
                                                 "read-only disk)")
        free = shutil.disk_usage(existing).free
    except (DestinationError, InputError):
        raise
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise InputError(f"--out {str(out)[:200]}: a name too long for the file system") from None
        raise DestinationError(exc.errno, f"{out}: cannot write there ({exc.strerror})") from None
    if free < need:
        raise DestinationError(errno.ENOSPC, f"{out}: only {free / 1e6:.0f} MB free; ipsim needs at least "
                                             f"{need / 1e6:.0f} MB there (free some space or choose another --out)")


def write_text_atomically(path: Path, content: str) -> None:
    """Write a file whole or not at all: into a hidden temporary file beside it, then renamed over it."""
    tmp = path.with_name(temporary_name(path.name))
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())  # on disk before it takes the name: a crash leaves the old file or the new
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def inside_run_folder(path: Path) -> Path | None:
    """The ipsim run folder (one holding a manifest.json that records ipsim's version, as every manifest ipsim
    writes does) that ``path`` is in or under, two levels up at most."""
    for folder in (path, path.parent, path.parent.parent):
        manifest = folder / "manifest.json"
        try:
            if manifest.is_file() and manifest.stat().st_size < 10_000_000 and b'"ipsim":' in manifest.read_bytes():
                return folder
        except OSError:
            continue
    return None


def write_file(out: Path, content: str, example: str, earlier: Callable[[bytes], bool],
               allowed: Path | None = None) -> None:
    """Write one file a user named (``--out`` of ``report`` and ``schema``) atomically; an InputError says why not,
    before anything is written. It replaces only a regular file that ``earlier`` (given its first 4 kB) takes for
    an earlier output of the same command, so never a folder, a link, a device or a pipe (as root, replacing
    /dev/full would be easy), a scenario file or a run's own files; and it writes inside a run folder only at
    ``allowed``. ``example`` is a file name the error suggests for a folder. What a killed writer of the same
    file left beside it goes first."""
    run = inside_run_folder(out.parent)
    if run is not None and (allowed is None or out.resolve() != allowed.resolve()):
        raise InputError(f"--out {out}: is inside the run folder {run}; write it elsewhere")
    if out.is_symlink():
        raise InputError(f"--out {out}: is a link; give the path of a regular file or a new one")
    if out.is_dir():
        raise InputError(f"--out {out}: is a folder; give a file name such as {out / example}")
    if out.exists() and not out.is_file():
        raise InputError(f"--out {out}: is not a regular file (a device or a pipe); give a file name")
    if out.is_file():
        with out.open("rb") as handle:
            if not earlier(handle.read(4096)):
                raise InputError(f"--out {out}: exists and is not an earlier {example}; ipsim replaces only its own "
                                 "output, so give a new file name")
    if not out.parent.is_dir():
        raise InputError(f"--out {out}: no such folder {out.parent}")
    remove_stale(out.parent, out.name)
    write_text_atomically(out, content)


def write_atomically(out: Path, name: str, started: datetime, fill: Callable[[Path], None]) -> Path:
    """Let ``fill`` write into a hidden temporary folder, then rename it to ``<out>/<timestamp>-<name>``.

    A failure or interruption removes the temporary folder, so ``out`` never holds a
    half-written folder, and an existing folder is never overwritten.
    """
    out.mkdir(parents=True, exist_ok=True)
    remove_stale(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".ipsim-partial-{owner_tag()}-{name}-", dir=out))
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
