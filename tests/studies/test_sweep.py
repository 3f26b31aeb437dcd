"""``ipsim sweep`` and ``ipsim analyze``: bad specs and bad usage refused in one line, writing nothing.

What a sweep writes and that it does not depend on how it is run: tests/execution/test_sweeps.py; the specs:
tests/inputs/test_specs.py; the analysis: tests/analysis/test_sensitivity.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import SCENARIOS, invoke


def test_cli_rejects_a_bad_spec_in_one_line_and_writes_nothing(tmp_path: Path,
                                                               sweep_spec: Callable[..., Path]) -> None:
    spec = sweep_spec(tmp_path, "design: lhs\nsamples: 4\nparameters:\n  - {path: staff.nope, range: [0, 1]}\n")
    code, _out, err = invoke(["sweep", str(spec), "--out", str(tmp_path / "runs"), "--workers", "1"])
    assert code == 2
    assert err.startswith("ipsim: error: ") and "staff has no field 'nope'" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(("argv", "expected"), [
    (["sweep"], "give a sweep spec file or --resume RUN_DIR"),
    (["sweep", "--resume", "/nonexistent/folder"], "--resume /nonexistent/folder: no such folder"),
    (["sweep", "--resume", str(SCENARIOS)], "not a sweep folder (no manifest.json)"),
    (["analyze", str(SCENARIOS)], "not a sweep folder (no manifest.json)"),
])
def test_cli_usage_errors(argv: list[str], expected: str) -> None:
    code, _, err = invoke(argv)
    assert code == 2
    assert expected in err and "Traceback" not in err
