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


def test_a_dry_run_prints_the_size_and_an_estimate_and_writes_nothing(tmp_path: Path,
                                                                      sweep_spec: Callable[..., Path]) -> None:
    spec = sweep_spec(tmp_path, "design: grid\nreplicates: 3\ncommon_random_numbers: true\nparameters:\n"
                                "  - {path: staff.quit_threshold.mean, levels: [1.2, 1.6]}\n"
                                "  - {path: start_up_plan.implementation_lead.enabled, type: bool}\n")
    absent, empty = tmp_path / "runs", tmp_path / "empty"
    empty.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    for out in (absent, empty):
        code, printed, err = invoke(["sweep", "--dry-run", str(spec), "--out", str(out), "--workers", "2"])
        assert code == 0, err
        lines = printed.splitlines()
        assert lines[0] == f"{spec}: valid: 4 design points x 3 replicates = 12 runs (grid design, common random numbers)"
        assert lines[1].startswith("estimated wall time: about ")
        assert "an estimate: 3 runs of the base scenario, 3 at a time in one model as the sweep runs a design " \
               "point's replicates, took" in lines[1] and "12 runs x that / 2 workers" in lines[1]
        assert lines[-1] == "dry run: nothing else was run and nothing was written"
    assert not absent.exists() and not list(empty.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_dry_run_refuses_a_bad_spec_as_a_sweep_does(tmp_path: Path, sweep_spec: Callable[..., Path]) -> None:
    spec = sweep_spec(tmp_path, "design: lhs\nsamples: 4\nparameters:\n  - {path: staff.nope, range: [0, 1]}\n")
    errors = []
    for dry in (["--dry-run"], []):
        code, _out, err = invoke(["sweep", *dry, str(spec), "--out", str(tmp_path / "runs"), "--workers", "1"])
        assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
        errors.append(err)
    assert errors[0] == errors[1] and "staff has no field 'nope'" in errors[0]
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(("argv", "expected"), [
    (["sweep", "--dry-run", "--resume", str(SCENARIOS)], "--dry-run checks a spec before a sweep starts; it cannot "
                                                          "go with --resume (give the spec)"),
    (["sweep", "--dry-run"], "--dry-run needs a sweep spec file"),
])
def test_dry_run_usage_errors(argv: list[str], expected: str) -> None:
    code, _, err = invoke(argv)
    assert code == 2
    assert err == f"ipsim: error: {expected}\n"
