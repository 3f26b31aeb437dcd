"""Shared test helpers: the ipsim command line run in-process, and stopping the processes a test started."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess

import pytest

from simulation.cli import main


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
