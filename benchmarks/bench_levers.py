"""Throughput of the ``ipsim levers`` workload on 1 and 2 worker processes, and the speed-up.

Usage: python benchmarks/bench_levers.py [--replicates 10] [--full] [--base FILE] [--plan FILE]

The workload is what ``ipsim levers`` runs: the base and, for each of the 13 levers, the base with
that lever taken from the plan, every one with the same replicate seeds, all through
``execution.batches.run_batches`` (one pool for every run). Only the runs are timed, not the output
files and charts. Both worker counts run exactly the same runs, and their records are checked
to be identical. ``--full`` is the planner's full workload: 14 scenarios x 100 replicates.
Target: close to 2x on 2 cores.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from simulation.analysis import compare
from simulation.execution import pool
from simulation.execution.batches import run_batches
from simulation.execution.seeds import DEFAULT_SEED, replicate_seeds
from simulation.inputs.scenarios import load_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
FULL_REPLICATES = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=10, help="replicates per scenario (default 10)")
    parser.add_argument("--full", action="store_true", help=f"{FULL_REPLICATES} replicates per scenario")
    parser.add_argument("--base", type=Path, default=SCENARIOS / "baseline.yaml")
    parser.add_argument("--plan", type=Path, default=SCENARIOS / "startup-plan.yaml")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    replicates = FULL_REPLICATES if args.full else args.replicates

    base = compare.Entry(load_scenario(args.base), str(args.base))
    entries = compare.lever_entries(base, compare.Entry(load_scenario(args.plan), str(args.plan)))
    seeds = replicate_seeds(args.seed, replicates)
    work = [(e.scenario, seeds) for e in entries]
    runs = len(work) * replicates
    print(f"levers workload: {len(work)} scenarios x {replicates} replicates = {runs} runs of "
          f"{base.scenario.weeks} weeks ({pool.default_workers()} cores available)")

    run_batches(work[:1], workers=2)  # start the forkserver outside the timings
    throughput, results = {}, {}
    for workers in (1, 2):
        start = time.perf_counter()
        results[workers] = run_batches(work, workers=workers)
        elapsed = time.perf_counter() - start
        throughput[workers] = runs / elapsed
        print(f"  {workers} worker{'s' if workers > 1 else ' '}: {elapsed:7.1f} s, {throughput[workers]:6.2f} runs/s")
    same = all(a.weekly == b.weekly and a.spells == b.spells
               for batch_1, batch_2 in zip(results[1], results[2], strict=True)
               for a, b in zip(batch_1, batch_2, strict=True))
    print(f"  speed-up on 2 workers: {throughput[2] / throughput[1]:.2f}x (target close to 2x); "
          f"records identical: {same}")


if __name__ == "__main__":
    main()
