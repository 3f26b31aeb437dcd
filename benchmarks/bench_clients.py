"""Job seekers as per-client arrays versus as individual Mesa agents: time per client-week.

Usage: python benchmarks/bench_clients.py

Both implementations run the same rules (``tests/core/test_clients.py`` checks they give the same
distributions) on 45 positions with full caseloads of 20 for 156 weeks. The last line is ``ratio=<x>``: how many
times faster the arrays are.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "core"))
from test_clients import PARAMS, ReferenceCaseloads

from simulation.core.clients import Caseloads

POSITIONS, WEEKS, REPEATS = 45, 156, 5


def time_arrays(seed: int) -> tuple[float, float]:
    p_job = np.full(POSITIONS, 0.015)
    cl = Caseloads(PARAMS, list(range(POSITIONS)), [PARAMS.caseload_cap] * POSITIONS, POSITIONS,
                   [np.random.default_rng(seed)])
    staffed = np.ones(POSITIONS, dtype=bool)
    start, client_weeks = time.perf_counter(), 0
    for week in range(1, WEEKS + 1):
        client_weeks += int(cl.live.size)
        cl.week(staffed, p_job, week)
    return time.perf_counter() - start, client_weeks


def time_agents(seed: int) -> tuple[float, float]:
    model = ReferenceCaseloads(PARAMS, np.full(POSITIONS, 0.015), seed)
    start, client_weeks = time.perf_counter(), 0
    for _ in range(WEEKS):
        client_weeks += len(model.agents)
        model.step()
    return time.perf_counter() - start, client_weeks


def main() -> None:
    per = {}
    for name, fn in (("arrays", time_arrays), ("agents", time_agents)):
        costs = [t / max(1, n) for t, n in (fn(seed) for seed in range(REPEATS))]
        per[name] = statistics.median(costs)
        print(f"{name:>7}: {per[name] * 1e6:7.3f} us per client-week")
    print(f"arrays are {per['agents'] / per['arrays']:.0f}x faster than agents")
    print(f"ratio={per['agents'] / per['arrays']:.1f}")


if __name__ == "__main__":
    main()
