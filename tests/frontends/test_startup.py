"""What ``ipsim run`` imports and how it treats the garbage collector: only what a run needs is imported (never
``scipy.stats``, nor the sweep, sensitivity and calibration machinery), and an in-process call leaves the
collector as it found it. ``benchmarks/bench_startup.py`` measures the time this saves.

Mesa's own ``import mesa`` brings in pandas, networkx and ``scipy.spatial`` whatever a model uses (Mesa 3.5's
package imports its batch runner, discrete spaces and data collection), so those are not checked here.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import BASELINE_FILE, invoke

RUN_NEVER_IMPORTS = ("scipy.stats", "scipy.interpolate", "scipy.optimize", "SALib", "jinja2", "solara", "distributed",
                     "filelock", "simulation.analysis.sensitivity", "simulation.analysis.calibration",
                     "simulation.execution.sweeps", "simulation.execution.designs", "simulation.inputs.specs",
                     "simulation.present.report")
"""Modules (and their submodules) ``ipsim run`` must not import: scipy.stats alone costs about a second."""

PROBE = f"""
import sys
from simulation.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
never = {RUN_NEVER_IMPORTS!r}
found = sorted(m for m in sys.modules if any(m == n or m.startswith(n + '.') for n in never))
print(__import__('json').dumps({{'code': code, 'found': found}}), file=sys.stderr)
"""


def test_run_imports_only_what_a_run_needs(tmp_path: Path) -> None:
    """A fresh interpreter running ``ipsim run`` (one replicate, a short horizon, charts drawn) imports none of
    RUN_NEVER_IMPORTS."""
    argv = ["run", str(BASELINE_FILE), "--replicates", "1", "--weeks", "8", "--out", str(tmp_path / "runs")]
    result = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=tmp_path,
                            timeout=300, check=False)
    probe = json.loads(result.stderr.strip().splitlines()[-1])
    assert probe["code"] == 0, result.stderr
    assert list((tmp_path / "runs").glob("*/charts/retention.png")), "the run drew no charts"
    assert probe["found"] == [], f"ipsim run imported {', '.join(probe['found'])}"


def test_an_in_process_run_leaves_the_garbage_collector_as_it_found_it(tmp_path: Path) -> None:
    """``main(argv)`` turns the collector off while it imports and freezes what the imports made; when the command
    ends the collector is on again and nothing stays frozen, so a caller that goes on can collect everything."""
    assert gc.isenabled()
    code, _, err = invoke(["run", str(BASELINE_FILE), "--replicates", "1", "--weeks", "8",
                           "--out", str(tmp_path / "runs")])
    assert code == 0, err
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_collector_turned_off_by_the_caller_stays_off(tmp_path: Path) -> None:
    gc.disable()
    try:
        code, _, err = invoke(["run", str(BASELINE_FILE), "--replicates", "1", "--weeks", "8",
                               "--out", str(tmp_path / "runs")])
        assert code == 0, err
        assert not gc.isenabled()
    finally:
        gc.enable()
