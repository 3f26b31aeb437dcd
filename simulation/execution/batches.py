"""Running replicates of scenarios, in parallel and reproducibly, and handing each scenario's records back.

Each run depends only on its scenario and seed, so the records do not depend on the number of workers, nor on how
replicates are grouped: a scenario's replicates run in groups of up to ``LOCKSTEP`` in one model, in lockstep
(``core.model.run_lockstep``, which gives each replicate the records it has run alone), a group per task.
Records come back per scenario (a *batch*) as soon as its replicates are all in, so a caller can reduce
them to metrics and let them go: only a few batches' records are held at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from simulation.core.model import run_lockstep
from simulation.core.records import RunRecord
from simulation.core.scenario import Scenario
from simulation.execution import limits
from simulation.execution.pool import Bounded, local
from simulation.execution.seeds import DEFAULT_SEED, replicate_seeds


@dataclass(frozen=True)
class Options:
    """How a study runs its replicates and where it writes: the options every ``ipsim`` command that runs
    scenarios shares (``--replicates``, ``--seed``, ``--workers``, ``--out``, ``--allow-large``), plus the command
    line to record and a progress callback (``progress(n)`` after n more runs). More replicates than
    ``limits.MAX_REPLICATES`` are a LimitError unless ``allow_large``."""

    replicates: int = 100
    seed: int = DEFAULT_SEED
    workers: int = 1
    out: Path = Path("runs")
    command: Sequence[str] = ()
    progress: Callable[[int], None] | None = None
    allow_large: bool = False

    def __post_init__(self) -> None:
        limits.check("--replicates", self.replicates, limits.MAX_REPLICATES, self.allow_large)

    @property
    def seeds(self) -> list[int]:
        """Replicate k's seed, shared by every scenario of the study (common random numbers)."""
        return replicate_seeds(self.seed, self.replicates)


Batch = tuple[Scenario, Sequence[int]]
"""A scenario and the seeds of its replicates."""


LOCKSTEP = 20
"""Replicates run in lockstep in one model, at most: a week's numpy calls are shared by this many replicates (for
the baseline about 3.5 times the runs per second of one at a time with 10, 4.6 with 20, 6.2 with 50:
benchmarks/README.md; 20 keeps a study's progress and its spread over workers in steps a person can follow)."""
LOCKSTEP_POSITIONS = 1000
"""Positions in one lockstep model, at most (whole replicates, at least one): a large scenario's week already shares
each numpy call among many positions, and copies of it in one model would only multiply the memory."""


def lockstep_size(scenario: Scenario) -> int:
    """How many of the scenario's replicates run in one model: LOCKSTEP, fewer for a large scenario."""
    return max(1, min(LOCKSTEP, LOCKSTEP_POSITIONS // scenario.positions))


def groups(seeds: Sequence[int], workers: int, size: int = LOCKSTEP) -> list[Sequence[int]]:
    """A scenario's seeds cut into consecutive groups run in lockstep: at most ``size`` each, and small enough that
    every worker gets one."""
    size = max(1, min(size, math.ceil(len(seeds) / workers)))
    return [seeds[k:k + size] for k in range(0, len(seeds), size)]


def each_batch(
    batches: Sequence[Batch],
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, list[RunRecord]]]:
    """Run every replicate of every batch on one pool of ``workers`` processes (in lockstep groups, ``groups``);
    yield (batch index, records in seed order) as each batch completes. ``progress(n)`` is called after each group
    of n runs."""
    tasks = []
    for b, (scenario, seeds) in enumerate(batches):
        first = 0
        for group in groups(seeds, workers, lockstep_size(scenario)):
            tasks.append(((b, first), run_lockstep, (scenario, group)))
            first += len(group)
    records: list[list[RunRecord | None]] = [[None] * len(seeds) for _, seeds in batches]
    missing = [len(seeds) for _, seeds in batches]
    with local(min(workers, max(1, len(tasks)))) as (executor, slots):
        for (b, first), future in Bounded(executor, 2 * slots).run(tasks):
            done_runs = future.result()
            records[b][first:first + len(done_runs)] = done_runs
            missing[b] -= len(done_runs)
            if progress:
                progress(len(done_runs))
            if missing[b] == 0:
                done, records[b] = records[b], []
                yield b, done  # type: ignore[misc]


def run_batches(
    batches: Sequence[Batch],
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[list[RunRecord]]:
    """Every batch's records, in batch order (all held at once: for a few small batches)."""
    out: list[list[RunRecord]] = [[] for _ in batches]
    for b, records in each_batch(batches, workers, progress):
        out[b] = records
    return out


def run_replicates(
    scenario: Scenario,
    seeds: Sequence[int],
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[RunRecord]:
    """Run one replicate per seed, in order; ``workers`` > 1 spreads them over processes."""
    return run_batches([(scenario, seeds)], workers, progress)[0]
