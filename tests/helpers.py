"""Shared test helper: the ipsim command line run in-process."""

from __future__ import annotations

import contextlib
import io

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
