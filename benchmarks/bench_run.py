"""Cost of a baseline run per ES-week, relative to a trivial Mesa agent step in the same process.

Usage: python benchmarks/bench_run.py [--runs 20]

The last line printed is ``ratio=<x>``: the median of the paired ratios, for tools that read it.

The trivial reference is a Mesa model with as many agents as the baseline has positions, each
agent's step adding one to a counter, stepped with ``shuffle_do`` for the same number of weeks:
the least any Mesa model pays per agent per tick. Target: a baseline run costs no more than
25 times that per ES-week.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import mesa

from simulation.core.model import IPSModel
from simulation.core.records import RunRecord
from simulation.inputs.scenarios import load_scenario

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"
TARGET_RATIO = 25.0
TRIVIAL_REPEATS = 10
"""The reference runs 10 horizons per pair so that its timing is not dominated by timer noise."""


class Counter(mesa.Agent):
    def __init__(self, model: mesa.Model) -> None:
        super().__init__(model)
        self.count = 0

    def step(self) -> None:
        self.count += 1


class Trivial(mesa.Model):
    def __init__(self, n: int, seed: int) -> None:
        super().__init__(rng=seed)
        Counter.create_agents(self, n)

    def step(self) -> None:
        self.agents.shuffle_do("step")


def simulated_es_weeks(record: RunRecord, weeks: int) -> int:
    """The ES-weeks the run simulated, the warm-up's too: each spell's weeks in post (a spell open at the end runs to
    the window's last week). The window's headcount alone would leave the warm-up's work uncounted."""
    return sum(min(s["end_week"], weeks) - s["start_week"] for s in record.spells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    scenario = load_scenario(BASELINE)

    run_times, es_weeks = [], []
    trivial_costs = []
    for seed in range(args.runs):
        start = time.perf_counter()
        record = IPSModel(scenario, seed).run()
        run_times.append(time.perf_counter() - start)
        es_weeks.append(simulated_es_weeks(record, scenario.weeks))

        # Interleave the reference so both see the same machine load.
        trivial = Trivial(scenario.positions, seed)
        start = time.perf_counter()
        trivial.run_for(scenario.weeks * TRIVIAL_REPEATS)
        trivial_costs.append((time.perf_counter() - start) / (scenario.positions * scenario.weeks * TRIVIAL_REPEATS))

    per_es_week_each = [t / w for t, w in zip(run_times, es_weeks, strict=True)]
    per_es_week = statistics.median(per_es_week_each)
    trivial_step = statistics.median(trivial_costs)
    # Each run is paired with a reference measured right after it, so the ratio of a pair is
    # little affected by the machine's speed drifting between pairs (seen on shared VMs).
    ratio = statistics.median(a / b for a, b in zip(per_es_week_each, trivial_costs, strict=True))
    print(f"baseline run ({scenario.positions} positions, {scenario.weeks} weeks), {args.runs} runs")
    print(f"  median wall time per run:   {statistics.median(run_times) * 1e3:8.1f} ms")
    print(f"  median cost per ES-week:    {per_es_week * 1e6:8.2f} us")
    print(f"  trivial Mesa agent step:    {trivial_step * 1e6:8.2f} us")
    print(f"  median of paired ratios:    {ratio:8.1f}x  (target <= {TARGET_RATIO:.0f}x: "
          f"{'met' if ratio <= TARGET_RATIO else 'NOT met'})")
    print(f"ratio={ratio:.2f}")


if __name__ == "__main__":
    main()
