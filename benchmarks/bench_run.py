"""Cost of a baseline run per ES-week, relative to a trivial Mesa agent step in the same process.

Usage: python benchmarks/bench_run.py [--runs 20] [--groups 5] [--runs-4500 5]

Three measurements: one replicate of the baseline at a time (``IPSModel(scenario, seed).run()``); the baseline's
replicates as ipsim runs them, ``LOCKSTEP`` in one model (``run_lockstep``, what ``ipsim run``, ``compare``,
``levers`` and sweeps do); and one replicate of the baseline scaled up to 4,500 positions.

The last line printed is ``ratio=<x> ratio_4500=<y>``: the medians of the paired ratios of the replicates as ipsim
runs them (in lockstep) at the baseline's 45 positions, and at 4,500, for tools that read it.

The trivial reference is a Mesa model with as many agents as the baseline has positions, each
agent's step adding one to a counter, stepped with ``shuffle_do`` for the same number of weeks (the fastest of
TRIVIAL_BLOCKS blocks of TRIVIAL_REPEATS horizons): the least any Mesa model pays per agent per tick. Targets: a baseline run costs no more than
8 times that per ES-week, and the baseline scaled up to 4,500 positions (each site entry repeated 100 times:
the same sites, 100 times as many of each) no more per ES-week than the baseline, against the same reference.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import mesa

from simulation.core.model import IPSModel, run_lockstep
from simulation.core.records import RunRecord
from simulation.core.scenario import Scenario
from simulation.execution.batches import LOCKSTEP
from simulation.inputs.scenarios import load_scenario

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"
TARGET_RATIO = 8.0
SCALE = 100
"""The scaled-up scenario has SCALE times the baseline's sites of each entry: 4,500 positions."""
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


def scaled(base: Scenario, factor: int) -> Scenario:
    """The baseline with ``factor`` times as many sites of each entry: each entry repeated ``factor`` times under
    numbered names (a scenario caps an entry's ``count``), everything else as it is."""
    data = base.model_dump()
    data["sites"] = [{**site, "name": f"{site['name']}-{k + 1}"} for site in data["sites"] for k in range(factor)]
    return Scenario.model_validate(data)


TRIVIAL_BLOCKS = 3
"""The reference is timed in this many blocks of TRIVIAL_REPEATS horizons and the fastest block kept (timeit's rule:
slower blocks measure other processes and the interpreter's warm-up, not the step), so a pair's ratio is not swung
by a hiccup in its reference."""


def trivial_step(positions: int, weeks: int, seed: int) -> float:
    """Seconds per agent-step of the trivial reference (``positions`` agents): the fastest of TRIVIAL_BLOCKS blocks
    of TRIVIAL_REPEATS horizons."""
    trivial = Trivial(positions, seed)
    blocks = []
    for _ in range(TRIVIAL_BLOCKS):
        start = time.perf_counter()
        trivial.run_for(weeks * TRIVIAL_REPEATS)
        blocks.append(time.perf_counter() - start)
    return min(blocks) / (positions * weeks * TRIVIAL_REPEATS)


def measure(scenario: Scenario, runs: int, reference: Scenario,
            lockstep: int = 1) -> tuple[list[float], list[float], list[float]]:
    """Each run's wall time and cost per ES-week, each paired with the trivial step of ``reference``'s size
    measured right after it (so both see the same machine load); with ``lockstep`` > 1, each of ``runs`` groups of
    that many replicates run in one model (per run: the group's time shared out)."""
    run_times, per_es_week, trivial = [], [], []
    for group in range(runs):
        seeds = list(range(group * lockstep, (group + 1) * lockstep))
        start = time.perf_counter()
        records = run_lockstep(scenario, seeds) if lockstep > 1 else [IPSModel(scenario, seeds[0]).run()]
        elapsed = time.perf_counter() - start
        run_times.append(elapsed / lockstep)
        per_es_week.append(elapsed / sum(simulated_es_weeks(record, scenario.weeks) for record in records))
        trivial.append(trivial_step(reference.positions, reference.weeks, group))
    return run_times, per_es_week, trivial


def report(label: str, scenario: Scenario, runs: int, measured: tuple[list[float], list[float], list[float]]) -> float:
    """Print one scenario's figures; return the median of its paired ratios."""
    run_times, per_es_week, trivial = measured
    # Each run is paired with a reference measured right after it, so the ratio of a pair is
    # little affected by the machine's speed drifting between pairs (seen on shared VMs).
    ratio = statistics.median(a / b for a, b in zip(per_es_week, trivial, strict=True))
    print(f"{label} ({scenario.positions} positions, {scenario.weeks} weeks), {runs} runs")
    print(f"  median wall time per run:   {statistics.median(run_times) * 1e3:8.1f} ms")
    print(f"  median cost per ES-week:    {statistics.median(per_es_week) * 1e6:8.2f} us")
    print(f"  trivial Mesa agent step:    {statistics.median(trivial) * 1e6:8.2f} us")
    print(f"  median of paired ratios:    {ratio:8.1f}x")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="replicates run one at a time")
    parser.add_argument("--groups", type=int, default=5, help=f"groups of {LOCKSTEP} replicates run in lockstep")
    parser.add_argument("--runs-4500", type=int, default=5, dest="runs_4500")
    args = parser.parse_args()
    scenario = load_scenario(BASELINE)
    large = scaled(scenario, SCALE)

    report("baseline, one replicate at a time", scenario, args.runs, measure(scenario, args.runs, scenario))
    ratio = report(f"baseline, {LOCKSTEP} replicates in lockstep (as ipsim runs them)", scenario,
                   args.groups * LOCKSTEP, measure(scenario, args.groups, scenario, LOCKSTEP))
    ratio_4500 = report("baseline scaled up, one replicate", large, args.runs_4500,
                        measure(large, args.runs_4500, scenario))
    print(f"target: ratio <= {TARGET_RATIO:.0f}x: {'met' if ratio <= TARGET_RATIO else 'NOT met'}; "
          f"ratio_4500 <= ratio: {'met' if ratio_4500 <= ratio else 'NOT met'}")
    print(f"ratio={ratio:.2f} ratio_4500={ratio_4500:.2f}")


if __name__ == "__main__":
    main()
