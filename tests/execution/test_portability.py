"""Portability: most planners run ipsim on Windows laptops. The package uses no Unix-only module, and the parallel
path works with ``spawn``, the start method Windows and macOS use (Linux uses ``forkserver``), giving the same bytes.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from simulation.execution import pool
from tests.helpers import ROOT, invoke, only_folder

UNIX_ONLY = {"fcntl", "termios", "tty", "pty", "pwd", "grp", "resource", "posix", "crypt", "syslog", "readline"}
"""Standard-library modules that do not exist on Windows."""


def test_the_package_imports_no_unix_only_module() -> None:
    found = []
    for path in sorted((ROOT / "simulation").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in UNIX_ONLY]
    assert found == []


@pytest.mark.parametrize(("platform", "method"), [("linux", "forkserver"), ("win32", "spawn"), ("darwin", "spawn")])
def test_the_start_method_follows_the_platform(platform: str, method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IPSIM_START_METHOD", raising=False)
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(pool.multiprocessing, "get_all_start_methods", lambda: ["spawn", "forkserver", "fork"])
    assert pool.start_method() == method


SPEC = """
design: lhs
samples: 6
replicates: 2
seed: 5
metrics: [annual_turnover, shock_share]
parameters:
  - path: staff.quit_threshold.mean
    range: [0.6, 2.0]
"""


def test_spawned_workers_give_the_same_bytes_as_one_process(tmp_path: Path, small_world: Callable[..., Path],
                                                            sweep_spec: Callable[..., Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Once with ``spawn``: workers that import everything afresh (as on Windows) run runs and sweeps alike."""
    scenario = small_world(tmp_path, 26)
    spec = sweep_spec(tmp_path, SPEC)
    monkeypatch.setenv("IPSIM_START_METHOD", "spawn")
    for workers in ("2", "1"):
        for argv in (["run", str(scenario), "--replicates", "4"], ["sweep", str(spec), "--chunk-size", "2"]):
            code, _, err = invoke([*argv, "--workers", workers, "--out", str(tmp_path / f"{argv[0]}-{workers}")])
            assert code == 0, err
    for name in ("weekly.csv", "spells.csv", "summary.json"):
        spawned, alone = (only_folder(tmp_path / f"run-{workers}") / name for workers in (2, 1))
        assert spawned.read_bytes() == alone.read_bytes()
    assert ((only_folder(tmp_path / "sweep-2") / "results.csv").read_bytes()
            == (only_folder(tmp_path / "sweep-1") / "results.csv").read_bytes())
