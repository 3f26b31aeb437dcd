"""Sweep runner: throughput on 1 and 2 workers, against mesa.batch_run, and memory as runs grow.

Usage: python benchmarks/bench_sweep.py [--quick]

Three measurements, in this one process:

1. Throughput. A grid sweep over the bundled baseline (quit threshold mean 3 levels x seminar
   interval 3 levels x 40 replicates = 360 runs of 156 weeks) through the sweep runner
   (``sweeps.execute``, automatic chunk size, a fresh sweep folder in a temporary folder) on 1 and on
   2 local workers. Target: 2 workers >= 1.8x the runs per second of 1.
2. The same runs through ``mesa.batch_run(number_processes=2, rng=[...])``, with an adapter model
   (``BatchModel``) that builds the same scenario from the grid's keyword parameters and reports the
   same per-run metrics through a ``mesa.DataCollector`` at the end of the run. batch_run shares its
   ``rng`` list across parameter combinations while the sweep keys each run's seed by (sample,
   replicate), so the seeds differ; the scenarios, the horizon and the number of runs are the same
   (the adapter is checked to give the runner's metrics for a scenario and seed). Target: the sweep
   at least as fast, with a lower peak memory.
3. Memory as runs grow: 100 and 10,000 runs of a tiny scenario (one site of 2 positions, 13 weeks,
   an LHS design over the quit threshold mean, 1 replicate) through the sweep runner on 2 workers.
   Target: peak memory within 1.2x.

Memory: the peak resident memory (RSS) of the whole process tree (this process, the forkserver
and its worker processes, batch_run's pool), sampled every 20 ms in a thread with psutil (the list
of child processes is refreshed every 0.2 s: listing them scans /proc and costs ~4 ms); RSS counts
pages shared between processes once per process. So the tree is also read as PSS (proportional set
size: each shared page split between the processes sharing it, from /proc/PID/smaps_rollup) every
0.5 s, where a page a forked worker still shares with its forkserver counts once; reading it costs
~3 ms per process, and it is off for the 1-worker sweep. And the driver alone: its peak RSS and the
tracemalloc peak of its Python allocations (what grows with the number of runs when every row is
kept in memory). tracemalloc is off for the 1-worker sweep, whose runs are in this process (it
would slow them and measure the simulation, not the driver); no worker inherits it (the sweep's
workers fork from the forkserver, batch_run's pool uses spawn).

``--quick``: 2 replicates (18 runs) and 100 vs 1,000 runs, a smoke test of the benchmark.
"""

from __future__ import annotations

import argparse
import copy
import math
import platform
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Self

import mesa
import psutil

from simulation.analysis import metrics
from simulation.core.model import IPSModel
from simulation.execution import designs, pool, sweeps
from simulation.execution.seeds import run_seed
from simulation.inputs import specs
from simulation.inputs.scenarios import load_scenario

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"
THRESHOLDS = [1.1, 1.3, 1.5]
SEMINARS = [0, 13, 26]
PATHS = ["staff.quit_threshold.mean", "start_up_plan.network_seminars.every_weeks"]
METRICS = list(specs.RUN_METRICS)
SEED = 2024
REPLICATES, QUICK_REPLICATES = 40, 2
GROWTH, QUICK_GROWTH = (100, 10_000), (100, 1_000)
TARGET_SPEEDUP, TARGET_GROWTH = 1.8, 1.2
MB = 2**20


class TreeMemory:
    """Peak RSS of this process and all its descendants, and of this process alone, sampled in a thread;
    with ``pss``, also the peak PSS of the tree (every ``refresh`` samples)."""

    def __init__(self, every: float = 0.02, refresh: int = 10, pss: bool = True) -> None:
        self.every, self.refresh, self.pss = every, refresh, pss
        self.tree, self.driver, self.tree_pss = 0, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        children: list[psutil.Process] = []
        n = 0
        while True:
            if n % self.refresh == 0:
                children = me.children(recursive=True)
            if self.pss and n % (self.refresh * 5 // 2) == 0:
                self.tree_pss = max(self.tree_pss, sum(_pss(p.pid) for p in [me, *children]))
            n += 1
            own = me.memory_info().rss
            total = own
            for process in children:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass  # gone since the last listing
            self.tree, self.driver = max(self.tree, total), max(self.driver, own)
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _pss(pid: int) -> int:
    """A process's proportional set size in bytes (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            return next(int(line.split()[1]) * 1024 for line in rollup if line.startswith("Pss:"))
    except (OSError, StopIteration):
        return 0


def measure(work: Callable[[], int], trace: bool = True) -> dict[str, float]:
    """Wall time, runs, peak RSS (process tree; this process), tree PSS and tracemalloc peak of ``work()``.

    ``trace=False`` (runs in this process): neither tracemalloc nor PSS, which would slow them."""
    if trace:
        tracemalloc.start()
    try:
        with TreeMemory(pss=trace) as memory:
            start = time.perf_counter()
            runs = work()
            seconds = time.perf_counter() - start
        traced = tracemalloc.get_traced_memory()[1] / MB if trace else float("nan")
    finally:
        tracemalloc.stop()
    return {"runs": runs, "seconds": seconds, "tree": memory.tree / MB, "driver": memory.driver / MB, "traced": traced,
            "pss": memory.tree_pss / MB if trace else float("nan")}


def sweep_work(base: dict[str, Any], spec: dict[str, Any], workers: int) -> Callable[[], int]:
    """A sweep through the runner, as ``ipsim sweep`` runs it: validate, design, folder, execute."""
    def work() -> int:
        loaded = specs.check_sweep(specs.SweepSpec.model_validate(spec), base, str(BASELINE), "bench_sweep")
        plan = sweeps.Plan(loaded, designs.design(loaded.spec), sweeps.auto_chunk_size(loaded.spec.runs, workers))
        with tempfile.TemporaryDirectory(prefix="bench-sweep-") as out:
            folder = sweeps.create(Path(out), plan, "bench_sweep", ["bench"])
            with pool.local(workers) as (executor, slots):
                status = sweeps.execute(folder, plan, executor, slots, metrics.replicate_metrics)
        if status.runs_done != plan.runs or status.runs_failed:
            raise RuntimeError(f"sweep: {status}")
        return plan.runs
    return work


class BatchModel(IPSModel):
    """IPSModel as mesa.batch_run calls it: the grid's parameters as keywords, the seed as ``rng``."""

    BASE: ClassVar[dict[str, Any]] = load_scenario(BASELINE).model_dump(mode="json")
    """Loaded at import, so that batch_run's (spawned) pool processes have it too."""

    def __init__(self, threshold: float, seminars: int, rng: int) -> None:
        scenario = specs.apply(self.BASE, PATHS, [threshold, seminars])
        super().__init__(scenario, int(rng))
        self.final: dict[str, Any] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={m: (lambda model, name=m: model.final[name]) for m in METRICS})

    def step(self) -> None:
        super().step()
        if self.steps >= self.settings.weeks:  # the run's last week: its metrics, as the runner computes them
            self.running = False
            self.final = metrics.replicate_metrics(self.record(), self.settings)
            self.datacollector.collect(self)


def batch_run_work(seeds: list[int], weeks: int) -> Callable[[], int]:
    def work() -> int:
        rows = mesa.batch_run(BatchModel, {"threshold": THRESHOLDS, "seminars": SEMINARS}, number_processes=2,
                              rng=seeds, max_steps=weeks, data_collection_period=-1, display_progress=False)
        expected = len(THRESHOLDS) * len(SEMINARS) * len(seeds)
        if len(rows) != expected or any(row["Step"] != weeks for row in rows):
            raise RuntimeError(f"batch_run: {len(rows)} rows, expected {expected} of step {weeks}")
        return len(rows)
    return work


def adapter_matches(base: dict[str, Any]) -> bool:
    """BatchModel, stepped as batch_run steps it, gives the runner's metrics for the same scenario and seed."""
    values, seed = [THRESHOLDS[0], SEMINARS[1]], run_seed(SEED, 1, 0)
    results, _ = sweeps.run_chunk([base], PATHS, METRICS, [(1, 0, seed, values)], metrics.replicate_metrics)
    model = BatchModel(*values, rng=seed)
    while model.running and model.steps < base["weeks"]:
        model.step()
    collected = model.datacollector.model_vars  # what batch_run reads: each reporter's values
    return results.strip().split(",")[3 + len(PATHS):-1] == [sweeps.text(collected[m][-1]) for m in METRICS]


def tiny_base(base: dict[str, Any]) -> dict[str, Any]:
    """The baseline cut to one site of 2 positions and 13 weeks: a run of a few milliseconds."""
    tiny = copy.deepcopy(base)
    tiny.update(weeks=13, cohort_window_weeks=13)
    tiny["sites"] = [{**tiny["sites"][0], "count": 1, "positions": 2}]
    return tiny


def verdict(met: bool | None) -> str:
    return "-" if met is None else "met" if met else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test of the benchmark")
    args = parser.parse_args()
    replicates = QUICK_REPLICATES if args.quick else REPLICATES
    growth = QUICK_GROWTH if args.quick else GROWTH

    base = BatchModel.BASE
    weeks = base["weeks"]
    grid = {"name": "bench", "base": "baseline.yaml", "design": "grid", "replicates": replicates, "seed": SEED,
            "metrics": METRICS, "parameters": [{"path": PATHS[0], "levels": THRESHOLDS},
                                               {"path": PATHS[1], "type": "int", "levels": SEMINARS}]}
    runs = len(THRESHOLDS) * len(SEMINARS) * replicates
    print(f"sweep benchmark: {pool.default_workers()} cores, Python {platform.python_version()}, "
          f"Mesa {mesa.__version__}")
    print(f"throughput: {runs} runs of {weeks} weeks (grid {len(THRESHOLDS)} x {len(SEMINARS)} x {replicates} "
          "replicates) through the sweep runner and through mesa.batch_run")
    print(f"  adapter model gives the runner's metrics for a scenario and seed: {adapter_matches(base)}")
    # batch_run and the 1-worker sweep first, before the sweep runner's forkserver exists (it lives as long as
    # this process and would count in their process tree); the forkserver is then started outside the timings.
    results: dict[str, dict[str, float]] = {}
    seeds = [run_seed(SEED, 0, k) for k in range(replicates)]
    results["mesa.batch_run, 2 processes"] = measure(batch_run_work(seeds, weeks))
    results["sweep, 1 worker"] = measure(sweep_work(base, grid, 1), trace=False)
    sweep_work(base, {**grid, "replicates": 1}, 2)()
    results["sweep, 2 workers"] = measure(sweep_work(base, grid, 2))

    tiny = tiny_base(base)
    print(f"memory as runs grow: {growth[0]:,} and {growth[1]:,} runs of a tiny scenario "
          f"(1 site, 2 positions, {tiny['weeks']} weeks; lhs, 1 replicate), sweep runner on 2 workers")
    for n in growth:
        spec = {"name": "bench", "base": "baseline.yaml", "design": "lhs", "samples": n, "replicates": 1,
                "seed": SEED, "metrics": METRICS, "parameters": [{"path": PATHS[0], "range": [1.0, 2.0]}]}
        results[f"sweep, 2 workers, {n:,} tiny runs"] = measure(sweep_work(tiny, spec, 2))

    print()
    print(f"| {'measurement':<34} | {'runs':>6} | {'wall time':>9} | {'runs/s':>7} | {'tree peak RSS':>13} "
          f"| {'tree peak PSS':>13} | {'driver peak RSS':>15} | {'driver tracemalloc peak':>23} |")
    print(f"|{'-' * 36}|{'-' * 7}:|{'-' * 10}:|{'-' * 8}:|{'-' * 14}:|{'-' * 14}:|{'-' * 16}:|{'-' * 24}:|")
    for name, m in results.items():
        traced = "n/a (runs in-process)" if math.isnan(m["traced"]) else f"{m['traced']:.2f} MB"
        pss = "n/a" if math.isnan(m["pss"]) else f"{m['pss']:.0f} MB"
        print(f"| {name:<34} | {m['runs']:>6,} | {m['seconds']:7.1f} s | {m['runs'] / m['seconds']:7.2f} "
              f"| {m['tree']:10.0f} MB | {pss:>13} | {m['driver']:12.0f} MB | {traced:>23} |")

    one, two, batch = (results[k] for k in ("sweep, 1 worker", "sweep, 2 workers", "mesa.batch_run, 2 processes"))
    small, large = (results[f"sweep, 2 workers, {n:,} tiny runs"] for n in growth)
    speedup = one["seconds"] / two["seconds"]
    versus = batch["seconds"] / two["seconds"]
    growth_tree = large["tree"] / small["tree"]
    print()
    print(f"| {'target':<58} | {'measured':<42} | result  |")
    print(f"|{'-' * 60}|{'-' * 44}|---------|")
    checks = [
        (f"2 workers >= {TARGET_SPEEDUP}x the throughput of 1", f"{speedup:.2f}x", speedup >= TARGET_SPEEDUP),
        ("sweep (2 workers) at least as fast as batch_run (2)", f"{versus:.2f}x batch_run's runs/s", versus >= 1.0),
        ("sweep's peak tree RSS lower than batch_run's", f"{two['tree']:.0f} vs {batch['tree']:.0f} MB",
         two["tree"] < batch["tree"]),
        ("  (tree peak PSS: shared pages counted once)", f"{two['pss']:.0f} vs {batch['pss']:.0f} MB", None),
        ("  (driver tracemalloc peak, for information)", f"{two['traced']:.2f} vs {batch['traced']:.2f} MB", None),
        (f"peak tree RSS, {growth[1]:,} vs {growth[0]:,} runs, within {TARGET_GROWTH}x",
         f"{large['tree']:.0f} / {small['tree']:.0f} MB = {growth_tree:.2f}x", growth_tree <= TARGET_GROWTH),
        (f"  (tree peak PSS, {growth[1]:,} vs {growth[0]:,} runs)",
         f"{large['pss']:.0f} / {small['pss']:.0f} MB = {large['pss'] / small['pss']:.2f}x", None),
        (f"  (driver peak RSS, {growth[1]:,} vs {growth[0]:,} runs)",
         f"{large['driver']:.0f} / {small['driver']:.0f} MB = {large['driver'] / small['driver']:.2f}x", None),
        (f"  (driver tracemalloc peak, {growth[1]:,} vs {growth[0]:,} runs)",
         f"{large['traced']:.2f} / {small['traced']:.2f} MB = {large['traced'] / small['traced']:.1f}x", None),
    ]
    for target, measured, met in checks:
        print(f"| {target:<58} | {measured:<42} | {verdict(met):<7} |")
    print("\nbatch_run's seeds differ from the sweep's (its rng list is shared by every parameter combination);"
          " the scenarios, horizon and number of runs are the same.")


if __name__ == "__main__":
    main()
