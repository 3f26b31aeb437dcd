"""The generated docs: the parameter table (every scenario parameter with its default, range, unit, description and
source, printed by ``ipsim params``), and the files generated from the declarations (docs/model.md's tables,
scenarios/schema.json, the one-lever scenarios) being current: a change to a factor, lever or parameter that is
not regenerated with ``python -m simulation.inputs.docs`` fails here."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from simulation.core import pressures
from simulation.inputs import docs
from simulation.inputs.docs import parameter_rows
from tests.helpers import invoke

FREE_TEXT = {"name", "description", "sites[].name"}
"""The parameters that are free text, which need no unit, source or range."""


CITATION = re.compile(
    r"\b(M21|B24|B22a|B22b|Moe25|Reme19)\b"  # the citation keys of docs/model.md
    r"|\b(19|20)\d\d\b"  # an author-year reference, e.g. Hobfoll 1989
    r"|IPS fidelity scale|KS municipal agreement|Working Environment Act"  # named documents
)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_parameter_rows_cover_the_schema() -> None:
    rows = parameter_rows()
    paths = [r["parameter"] for r in rows]
    assert len(paths) == len(set(paths)), "parameter paths must be unique"
    assert FREE_TEXT <= set(paths)
    for expected in ["weeks", "cohort_window_weeks", "clients.caseload_cap", "sites[].positions",
                     "sites[].readiness.manager_knowledge", "staff.quit_threshold.mean", "strain.recovery_rate"]:
        assert expected in paths
    for factor in pressures.ALL:
        assert f"pressures.{factor.name}" in paths


def test_every_parameter_has_unit_description_source_and_range() -> None:
    problems = []
    for row in parameter_rows():
        if row["parameter"] in FREE_TEXT:
            continue
        name, source = row["parameter"], row["source"].strip()
        if not row["unit"].strip():
            problems.append(f"{name}: no unit")
        if not row["description"].strip():
            problems.append(f"{name}: no description")
        if not (CITATION.search(source) or "assumption" in source.lower()):
            problems.append(f"{name}: source {source!r} is neither a citation nor an assumption")
        if _is_number(row["default"]) and not row["range"].strip():
            problems.append(f"{name}: numeric parameter without a range")
    assert not problems, "\n".join(problems)


def test_numeric_defaults_lie_within_their_range() -> None:
    for row in parameter_rows():
        if not _is_number(row["default"]) or not row["range"]:
            continue
        low, _, high = row["range"].partition(" to ")
        value = float(row["default"])
        assert math.isfinite(value)
        if low:
            assert float(low) <= value, row
        if high:
            assert value <= float(high), row


def _table_cells(line: str) -> list[str]:
    assert line.startswith("|") and line.endswith("|"), line
    return [cell.strip() for cell in line[1:-1].split("|")]


def test_params_command_prints_the_parameter_rows() -> None:
    code, out, _err = invoke(["params"])
    assert code == 0
    lines = [line for line in out.splitlines() if line.strip()]
    assert _table_cells(lines[0]) == ["parameter", "default", "range", "unit", "description", "source"]
    assert set(lines[1].replace("|", "").strip()) <= set("-: ")
    rows = parameter_rows()
    body = [_table_cells(line) for line in lines[2:]]
    assert len(body) == len(rows)
    for cells, row in zip(body, rows, strict=True):
        assert cells[0].strip("`") == row["parameter"]
        expected = [row[k].replace("|", "/").strip() for k in ("default", "range", "unit", "description", "source")]
        assert cells[1:] == expected


# --- the generated files are current ----------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(docs.generated()), ids=lambda p: str(p.relative_to(docs.ROOT)))
def test_generated_file_is_current(path: Path) -> None:
    assert path.is_file(), f"{path} is missing: run `python -m simulation.inputs.docs`"
    assert path.read_text(encoding="utf-8") == docs.generated()[path], (
        f"{path.relative_to(docs.ROOT)} is out of date: run `python -m simulation.inputs.docs`")


def test_every_bundled_lever_file_is_generated() -> None:
    bundled = set(docs.LEVER_FILES.glob("*.yaml"))
    assert bundled == {p for p in docs.generated() if p.parent == docs.LEVER_FILES}, "a lever file without a lever"
