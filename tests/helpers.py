"""Shared test helpers: the ipsim command line run in-process, a small scenario, and stopping started processes."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
from pathlib import Path

import pytest

from simulation.cli import main

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"


def small_world(weeks: int, window: int | None = None, description: str = "") -> str:
    """A scenario file (YAML) extending the bundled baseline to a small rural world of 8 positions, 3 pairs and
    2 solo posts, ``weeks`` long: a run takes milliseconds, so tests can run whole folders of them."""
    window = weeks if window is None else window
    return f"""
extends: {BASELINE}
name: tiny
description: {description or "a small world for tests"}
weeks: {weeks}
cohort_window_weeks: {window}
replace_sites: true
sites:
  - {{name: pair, count: 3, positions: 2, supervisor_availability: 0.3, team_contact: 0.4,
      travel_burden: 0.8, job_market: 0.7}}
  - {{name: solo, count: 2, positions: 1, supervisor_availability: 0.2, team_contact: 0.4,
      travel_burden: 0.9, job_market: 0.6}}
"""


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
