"""Shared test facts that need no fixture: the repository's paths, PNG's magic number, a small world's scenario
text, a scenario cut to a shorter horizon, the ipsim command line run in-process, and stopping started processes.

Loaded scenarios and files written for a test are fixtures in ``tests/conftest.py`` (``baseline``,
``startup_plan``, ``small_world``, ``sweep_spec``).
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from simulation.cli import main
from simulation.core.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
"""The repository: docs/, scenarios/, pyproject.toml."""
SCENARIOS = ROOT / "scenarios"
"""The bundled scenario library."""
BASELINE_FILE = SCENARIOS / "baseline.yaml"
"""The bundled (calibrated) baseline, the scenario ``ipsim run`` runs without an argument."""
STARTUP_PLAN_FILE = SCENARIOS / "startup-plan.yaml"
"""The baseline with every lever pulled, seminars every 8 weeks and a fidelity review in week 40."""

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
"""The first bytes of every PNG file."""

PAIRS_AND_SOLOS = """\
  - {name: pair, count: 3, positions: 2, supervisor_availability: 0.3, team_contact: 0.4,
      travel_burden: 0.8, job_market: 0.7}
  - {name: solo, count: 2, positions: 1, supervisor_availability: 0.2, team_contact: 0.4,
      travel_burden: 0.9, job_market: 0.6}
"""
"""A small rural world's sites: 8 positions, 3 pairs and 2 solo posts."""

PAIRS_AND_A_TRIO = """\
  - {name: pair, count: 2, positions: 2, supervisor_availability: 0.3, team_contact: 0.4,
      travel_burden: 0.8, job_market: 0.7}
  - {name: trio, count: 1, positions: 3, supervisor_availability: 0.4, team_contact: 0.5,
      travel_burden: 0.6, job_market: 0.8}
"""
"""The sweeps' small world: 7 positions, 2 pairs and a team of three."""


def small_world_yaml(weeks: int, window: int | None = None, description: str = "",
                     sites: str = PAIRS_AND_SOLOS) -> str:
    """A scenario file (YAML) extending the bundled baseline to a small world named ``tiny``, ``weeks`` long
    (a cohort window of ``window``, by default the whole horizon), whose whole site list is ``sites``: a run takes
    milliseconds, so tests can run whole folders of them. The ``small_world`` fixture writes one to a file."""
    window = weeks if window is None else window
    return f"""
extends: {BASELINE_FILE}
name: tiny
description: {description or "a small world for tests"}
weeks: {weeks}
cohort_window_weeks: {window}
replace_sites: true
sites:
{sites}"""


def with_horizon(scenario: Scenario, weeks: int, window: int | None = None) -> Scenario:
    """``scenario`` run for ``weeks`` weeks, with a cohort window of ``window`` weeks (by default its own, cut to
    the new horizon)."""
    window = min(weeks, scenario.cohort_window_weeks) if window is None else window
    return Scenario.model_validate({**scenario.model_dump(), "weeks": weeks, "cohort_window_weeks": window})


def only_folder(out: Path) -> Path:
    """The one folder a command wrote into ``out``."""
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return folder


def invoke(argv: list[str]) -> tuple[int, str, str]:
    """Run ``ipsim ARGV`` in-process: (exit status, stdout, stderr).

    An exception escaping ``main`` fails the test: the real command would print a traceback.
    """
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = int(exc.code or 0) if not isinstance(exc.code, str) else 1
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"ipsim {' '.join(argv)} raised {exc!r} (the real command would print a traceback)")
    return code, stdout.getvalue(), stderr.getvalue()


def stop(*processes: subprocess.Popen, group: bool = False, timeout: float = 20) -> None:
    """Ask each process to end (SIGTERM), wait, and kill those that do not (SIGKILL); with ``group``, their
    whole process groups (for processes started with ``start_new_session`` that start others)."""
    send = os.killpg if group else os.kill
    for process in processes:
        send(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            send(process.pid, signal.SIGKILL)
            process.wait()


def interrupt_chunk(monkeypatch: pytest.MonkeyPatch, at: int) -> Callable[[], None]:
    """Make the sweep runner's ``at``-th chunk raise KeyboardInterrupt, as Ctrl-C would then; returns the function
    that puts the real runner back (for the resume that follows)."""
    from simulation.execution import sweeps

    real, calls = sweeps.run_chunk, []

    def interrupt(*args: object) -> object:
        calls.append(1)
        if len(calls) == at:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(sweeps, "run_chunk", interrupt)
    return lambda: monkeypatch.setattr(sweeps, "run_chunk", real)
