"""Reading a run folder for ``ipsim report``: every file the report reads, read so that it can be trusted.

What the readers here guarantee, for every file the report reads from a run, compare, levers, sweep,
calibration or patterns folder:

- it is a regular file of the folder itself: never a link (which could embed any file of the machine in a
  report that is sent on), nor a pipe or a device (which could hang the report); a scenario's subfolder and
  a charts folder are no links either;
- it is decoded (UTF-8 text, JSON, CSV, PNG) and checked against the shape ipsim writes it in: the JSON files
  against the TypedDicts below, strictly, with JSON's own types (no string is taken for a number); the CSV files
  against the columns the report reads (CSV_FILES, and comparison.csv's columns of the site entries its manifest's
  scenarios have, site_columns); a run's summary.json lists the site entries of its manifest's scenario; each chart must be a whole PNG image; the scenarios that
  manifests record must validate with this version of ipsim; a sweep's status.json is read by the sweep runner's
  own reader (``sweeps.look``), which also knows a killed sweep;
- any problem is a ReportError naming the file (or the folder), what is wrong and how to recover: never a
  traceback. Nothing here writes into the folder.

``report`` builds and renders the report from what these readers return.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, NotRequired, TypedDict

from pydantic import AfterValidator, Field, StringConstraints, TypeAdapter, ValidationError

from simulation.core.params import NAME_PATTERN
from simulation.core.scenario import Scenario
from simulation.execution import sweeps
from simulation.inputs.reading import InputError, cut, describe_errors
from simulation.inputs.specs import Design
from simulation.present import words


class ReportError(InputError):
    """A folder that cannot be reported on (not an ipsim folder, unfinished, or damaged)."""


# --- what the folder holds ----------------------------------------------------------------------
#
# The JSON files as far as the report reads them, checked with JSON's own types (no string is taken for a number),
# and the columns it reads of the CSV files.


class Interval(TypedDict):
    """A metric's mean and 95% confidence interval, as summary.json holds each."""

    mean: float | None
    ci_low: float | None
    ci_high: float | None


class _Window(Interval):
    window_weeks: int


class SiteEntry(TypedDict):
    """A site entry of a scenario, as summary.json's site_entries holds each: its sites and ES positions each."""

    sites: int
    positions: int


class RunSummary(TypedDict):
    """What the report reads of a run's summary.json."""

    replicates: int
    positions: int
    annual_turnover: Interval
    avoidable_turnover: Interval
    ordinary_turnover: Interval
    warm_up_weeks: int
    study_cohort_left_share: _Window
    retention_12m: Interval
    shock_share: Interval
    job_starts_per_position_year: Interval
    vacancy_weeks_per_position_year: Interval
    turnover_by_site: dict[str, Interval]
    site_entries: dict[str, SiteEntry]
    quit_reasons: NotRequired[dict[str, float]]
    clients_employed_12m: NotRequired[Interval]
    """Since 0.4.0 (a run folder of an older version has no client outcomes)."""
    es_changes_per_client: NotRequired[Interval]


class _Seeded(TypedDict, total=False):
    seed: int | None


class Provenance(TypedDict, total=False):
    """What any manifest.json may record of how its folder was made (Reproduce and Provenance show it)."""

    command: list[str]
    versions: dict[str, str]
    base_seed: int
    spec: _Seeded
    started_utc: str
    created_utc: str
    finished_utc: str


class RunManifest(TypedDict):
    """What the report reads of a run's manifest.json."""

    scenario_file: str
    scenario: dict[str, object]


class PatternsManifest(RunManifest):
    """What the report reads of a patterns folder's manifest.json."""

    replicate_seeds: list[int]


class _Entry(TypedDict):
    folder: Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
    """A name, never a path: the scenario's own folder is the comparison folder's subfolder of that name."""
    source: str
    lever: NotRequired[str | None]
    scenario: dict[str, object]


class _Uncertainty(TypedDict):
    draws: int
    window_readings: dict[str, float]


class CompareManifest(TypedDict):
    """What the report reads of a compare or levers folder's manifest.json."""

    scenarios: Annotated[list[_Entry], Field(min_length=1)]
    replicate_seeds: list[int]
    not_tested: NotRequired[list[str]]
    uncertainty: NotRequired[_Uncertainty]


class _Distribution(TypedDict):
    name: str
    params: dict[str, float]


class SweepParameter(TypedDict):
    """One swept parameter, as a sweep's manifest.json records its spec's."""

    path: str
    levels: NotRequired[list[bool | int | float | str] | None]
    range: NotRequired[Annotated[list[int | float], Field(min_length=2, max_length=2)] | None]
    steps: NotRequired[int | None]
    distribution: NotRequired[_Distribution | None]


def _one_way(parameter: SweepParameter) -> SweepParameter:
    """A swept parameter takes levels, a range or a distribution."""
    if not (parameter.get("levels") or parameter.get("range") or parameter.get("distribution")):
        raise ValueError("no levels, range or distribution")
    return parameter


class _Spec(TypedDict):
    name: str
    description: NotRequired[str | None]
    design: Design
    parameters: list[Annotated[SweepParameter, AfterValidator(_one_way)]]


class _Prior(TypedDict):
    path: str
    range: Annotated[list[int | float], Field(min_length=2, max_length=2)]


class _CalibrationSpec(TypedDict):
    name: str
    description: NotRequired[str | None]
    replicates: int
    generations: int
    kernel: str
    parameters: list[_Prior]


class CalibrationManifest(TypedDict):
    """What the report reads of a calibration folder's manifest.json."""

    spec: _CalibrationSpec
    base_file: str
    base_scenario: dict[str, object]


class SweepManifest(TypedDict):
    """What the report reads of a sweep folder's manifest.json."""

    spec: _Spec
    base_file: str
    base_scenario: dict[str, object]
    points: int
    replicates: int
    runs: int


@dataclass(frozen=True)
class Columns:
    """The columns of a CSV file that the report reads: text, and numbers (each cell a number or empty)."""

    text: tuple[str, ...]
    numbers: tuple[str, ...]


def _stats(names: list[str], parts: tuple[str, ...] = ("mean", "ci_low", "ci_high")) -> tuple[str, ...]:
    return tuple(f"{name}_{part}" for name in names for part in parts)


CSV_FILES = {
    "comparison.csv": Columns(("scenario",), _stats(list(words.DISPLAY), ("mean", "ci_low", "ci_high", "diff_mean"))),
    "levers.csv": Columns(("lever",), _stats(["turnover_avoided", "avoidable_turnover_avoided",
                                              "study_cohort_left_share_avoided"])),
    "sensitivity.csv": Columns(("metric", "parameter", "index"), ("value", "ci_low", "ci_high")),
}
"""The CSV files the report reads, by name: the columns every such file has (see site_columns for those that depend
on the folder)."""


def site_columns(entries: list[str]) -> tuple[str, ...]:
    """The columns comparison.csv has for the site entries of its scenarios (the entries of the scenarios that its
    manifest.json records): each entry's annual turnover with its 95% CI, and its paired difference from the first
    scenario with that difference's CI."""
    return _stats([f"turnover_{entry}" for entry in entries],
                  ("mean", "ci_low", "ci_high", "diff_mean", "diff_ci_low", "diff_ci_high"))


# --- reading the folder ------------------------------------------------------------------------

DAMAGED = "the folder is damaged or was not written by ipsim; run the command that made it again"
"""How to recover from a missing or damaged file."""
LINKED = ("is a link; a report embeds only the folder's own files (it is meant to be sent on), so replace the link "
          "with the file itself")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
"""The first and the last bytes of every whole PNG file (its signature, and its empty IEND chunk)."""
WRONG = {"missing": "missing", "dict_type": "not a JSON object", "list_type": "not a list", "string_type": "not text",
         "int_type": "not a whole number", "float_type": "not a number", "bool_type": "not true or false",
         "too_short": "too short", "string_pattern_mismatch": "not a name ipsim gives a folder"}
"""What is wrong with a JSON value, by pydantic's error type (other errors keep pydantic's words)."""


def _listed(names: list[str], most: int = 5) -> str:
    """Names for a message: ``a, b, c and 4 more``."""
    shown = ", ".join(cut(name, 40) for name in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def recovery(path: Path) -> str:
    """How to mend the folder when ``path`` is missing or damaged."""
    if path.name == "sensitivity.csv":
        return f"ipsim analyze {path.parent} writes it again"
    return DAMAGED


def _own_file(path: Path) -> None:
    """ReportError if ``path`` is a link (which could embed anything in a report that is sent on), or is there but
    no regular file (a folder, or a pipe or a device, which could hang the report)."""
    if path.is_symlink():
        raise ReportError(f"{path}: {LINKED}")
    if path.exists() and not path.is_file():
        raise ReportError(f"{path}: not a regular file (a folder, a pipe or a device); {recovery(path)}")


def _read_bytes(path: Path) -> bytes:
    """The bytes of one of the folder's own files: a regular file there (see _own_file), not empty; ReportError
    otherwise."""
    _own_file(path)
    if not path.exists():
        raise ReportError(f"{path.parent}: no {path.name}; {recovery(path)}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReportError(f"{path}: cannot be read ({exc.strerror}); {recovery(path)}") from None
    if not data:
        raise ReportError(f"{path}: is empty; {recovery(path)}")
    return data


def read_text(path: Path) -> str:
    """One of the folder's own text files (see _read_bytes), decoded as UTF-8; ReportError if it is not UTF-8."""
    try:
        return _read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReportError(f"{path}: not a UTF-8 text file (byte {exc.start}); {recovery(path)}") from None


def read_json[T](path: Path, shape: type[T]) -> T:
    """One of the folder's JSON files (see read_text), parsed and checked to have ``shape`` (see shaped)."""
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not valid JSON ({exc.msg}: line {exc.lineno}, column {exc.colno}); "
                          f"{recovery(path)}") from None
    except ValueError:  # an integer of thousands of digits, which Python does not convert
        raise ReportError(f"{path}: holds a number too long to read; {recovery(path)}") from None
    except RecursionError:
        raise ReportError(f"{path}: nested too deeply to read; {recovery(path)}") from None
    return shaped(data, shape, path)


def shaped[T](data: object, shape: type[T], path: Path) -> T:
    """``data``, read from ``path``, as ``shape`` (a TypedDict of what the report reads), checked strictly: JSON's
    own types, every key the report reads; ReportError naming the first few problems otherwise."""
    try:
        return TypeAdapter(shape).validate_python(data, strict=True)
    except ValidationError as exc:
        raise ReportError(f"{path}: not as ipsim writes it ({_problems(exc)}); {recovery(path)}") from None


def _problems(exc: ValidationError, most: int = 3) -> str:
    """The first few problems of a JSON file, each with where it is: ``scenarios[0].folder: missing``."""
    found = [f"{_where(e['loc'])}: {WRONG.get(e['type'], e['msg'].removeprefix('Value error, '))}"
             for e in exc.errors(include_url=False)]
    return "; ".join(found[:most]) + (f"; and {len(found) - most} more" if len(found) > most else "")


def _where(loc: tuple[int | str, ...]) -> str:
    """A place in a JSON file: ``scenarios[0].folder``, or ``the top level``."""
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).removeprefix(".")
    return cut(path) or "the top level"


def read_csv(path: Path, numbers: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """The rows of one of the folder's CSV files (see read_text and CSV_FILES, and ``numbers``, further columns of
    numbers that the report reads of this folder's file, such as site_columns): a header naming every column the
    report reads, rows as long as the header, and numbers where numbers belong; ReportError naming the line and the
    column otherwise."""
    known = CSV_FILES[path.name]
    columns = Columns(known.text, (*known.numbers, *numbers))
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    try:
        missing = [c for c in (*columns.text, *columns.numbers) if c not in (reader.fieldnames or [])]
        if missing:
            raise ReportError(f"{path}: no column {_listed(missing)}; {recovery(path)}")
        return [_row(path, reader.line_num, row, columns) for row in reader]
    except csv.Error as exc:
        raise ReportError(f"{path}: not CSV as ipsim writes it (line {reader.line_num}: {exc}); "
                          f"{recovery(path)}") from None


def _row(path: Path, line: int, row: dict[str, str], columns: Columns) -> dict[str, str]:
    """``row``, line ``line`` of ``path``, once checked to be whole and to hold numbers in ``columns.numbers``."""
    if None in row or None in row.values():
        raise ReportError(f"{path}: line {line} has {'more' if None in row else 'fewer'} cells than the header; "
                          f"{recovery(path)}")
    for column in columns.numbers:
        if row[column] != "" and not _is_number(row[column]):
            raise ReportError(f"{path}: line {line}, column {column}: {cut(repr(row[column]), 40)} is not a number; "
                              f"{recovery(path)}")
    return row


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_lists(path: Path, what: str, found: list[str], expected: list[str]) -> None:
    """ReportError unless ``path`` lists the ``what`` that manifest.json does (a file cut short at a line's end,
    or another folder's)."""
    if found != expected:
        raise ReportError(f"{path}: lists the {what} {_listed(found) or '(none)'} where manifest.json has "
                          f"{_listed(expected)}; {recovery(path)}")


def chart_files(folder: Path) -> list[Path]:
    """The PNG files in ``folder``'s charts folder, if it has one; ReportError if that is a link (each file is
    checked as read_png reads it)."""
    charts = folder / "charts"
    if charts.is_symlink():
        raise ReportError(f"{charts}: {LINKED}")
    return list(charts.glob("*.png"))


def read_png(path: Path) -> bytes:
    """One of the folder's charts (see _read_bytes): a whole PNG image, signature to end chunk; ReportError if not."""
    data = _read_bytes(path)
    if not data.startswith(PNG_MAGIC):
        raise ReportError(f"{path}: not a PNG image; {recovery(path)}")
    if not data.endswith(PNG_END):
        raise ReportError(f"{path}: not a whole PNG image (it is cut short); {recovery(path)}")
    return data


def own_folder(folder: Path, name: str) -> Path:
    """A comparison's subfolder of one of its scenarios: there, and not a link (its charts are embedded)."""
    path = folder / name
    if path.is_symlink():
        raise ReportError(f"{path}: {LINKED}")
    if not path.is_dir():
        raise ReportError(f"{folder}: no folder {name} (the scenario's own results); {DAMAGED}")
    return path


def read_manifest(folder: Path) -> dict[str, object]:
    """The manifest.json of ``folder`` as a JSON object; ReportError if ``folder`` is no folder ipsim wrote."""
    if not folder.is_dir():
        if not folder.exists():
            raise ReportError(f"{folder}: no such folder")
        hint = f" (did you mean {folder.parent}?)" if (folder.parent / "manifest.json").is_file() else ""
        raise ReportError(f"{folder}: is a file, not a folder{hint}; give a folder that ipsim run, compare, levers, "
                          "sweep, calibrate or check-patterns wrote")
    path = folder / "manifest.json"
    if not path.exists() and not path.is_symlink():
        made = sorted(p.parent.name for p in folder.glob("*/manifest.json"))
        hint = f"it holds folders ipsim wrote: give one of them, such as {folder / made[-1]}" if made else DAMAGED
        raise ReportError(f"{folder}: no manifest.json; {hint}")
    return read_json(path, dict[str, object])


def kind_of(folder: Path, manifest: dict[str, object]) -> str:
    """What the folder holds: run, compare, levers, sweep, calibration or patterns."""
    kind = manifest.get("kind")
    if kind is None and "scenario_file" in manifest:
        return "run"
    if isinstance(kind, str) and kind in ("sweep", "calibration", "compare", "levers", "patterns"):
        return kind
    named = "it names no kind" if kind is None else f"kind {cut(repr(kind), 40)}"
    raise ReportError(f"{folder}: manifest.json is not of an ipsim run, compare, levers, sweep, calibration or "
                      f"patterns folder ({named}); the folder was not written by ipsim, or by a version this one "
                      "does not know")


def recorded_scenario(data: dict[str, object], where: str) -> Scenario:
    """A scenario as a manifest.json records it, validated by this version of ipsim; ReportError saying where
    (``where``) and its first problem otherwise."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        first, count = cut(describe_errors(exc)[0], 200), exc.error_count()
        problems = first if count == 1 else f"{count} problems, the first: {first}"
        raise ReportError(f"{where}: the scenario recorded in manifest.json does not validate with this version of "
                          f"ipsim ({problems}); report it with the version that ran it, or run the command that made "
                          "it again") from None


def check_finished(folder: Path, kind: str) -> None:
    """ReportError unless the sweep (or calibration: ``kind``) in ``folder`` is complete, saying how to finish it.

    Its status.json, once seen to be a regular file of the folder's own (see _own_file), is read by the sweep
    runner's own reader, ``sweeps.look``, which takes a sweep marked running whose lock nobody holds for the
    interrupted sweep it is; never with ``record``, which would mark it so in the folder."""
    path = folder / sweeps.STATUS
    _own_file(path)
    try:
        status = sweeps.look(folder)
    except sweeps.SweepError as exc:  # missing or damaged, in the sweep runner's words
        raise ReportError(str(exc)) from None
    if status.state != "complete":
        command = "calibrate" if kind == "calibration" else "sweep"
        raise ReportError(f"{folder}: the {kind} is not finished ({status.runs_done} of {status.runs_total} runs); "
                          f"finish it with: ipsim {command} --resume {folder}")
