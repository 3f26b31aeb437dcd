"""How long a study of many runs will take, estimated before it starts (``ipsim sweep --dry-run``).

The estimate times a few runs of the base scenario in this process, in lockstep as the runner runs a design
point's replicates (``core.model.run_lockstep``), and scales up: runs x seconds per run / workers. It is an
estimate, and says so: it assumes every run takes as long as the base scenario's (a design's
values can make runs shorter or longer, e.g. more sites or weeks) and that the workers share the runs perfectly
(no start-up, no contention for cores or memory).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from simulation.core.model import run_lockstep
from simulation.core.scenario import Scenario
from simulation.execution.batches import groups
from simulation.execution.seeds import replicate_seeds

TIMED_RUNS = 2
"""Runs of the base scenario timed for an estimate: enough to smooth one run's chance length, few enough to
take seconds."""


@dataclass(frozen=True)
class Estimate:
    """A study's estimated wall time, and how it was made."""

    runs: int
    workers: int
    timed_runs: int
    seconds_per_run: float
    """The mean of the timed runs of the base scenario."""
    together: int = 1
    """How many runs were timed at a time, in lockstep in one model, as the runner runs a design point's replicates."""

    @property
    def seconds(self) -> float:
        """Estimated wall time: runs x seconds per run / workers."""
        return self.runs * self.seconds_per_run / self.workers

    def describe(self) -> str:
        """One line: the estimate and how it was made."""
        how = (f", {self.together} at a time in one model as the sweep runs a design point's replicates,"
               if self.together > 1 else "")
        return (f"estimated wall time: about {duration(self.seconds)} (an estimate: {self.timed_runs} runs of the base "
                f"scenario{how} took {self.seconds_per_run:.2f} s each here; {self.runs:,} runs x that / {self.workers} "
                f"worker{'s' * (self.workers > 1)}, as if every run took as long and the workers shared them "
                f"perfectly)")


def estimate(base: Scenario, runs: int, workers: int, seed: int = 0, timed_runs: int = TIMED_RUNS,
             together: int = 1) -> Estimate:
    """Time runs of ``base`` in this process (seeds spawned from ``seed``), ``together`` at a time in lockstep as
    the runner runs them (at least ``timed_runs``, and one whole group), and scale them to ``runs`` runs on
    ``workers`` workers. Nothing is written."""
    if runs < 0 or workers < 1 or timed_runs < 1 or together < 1:
        raise ValueError(f"need runs >= 0, workers >= 1, timed_runs >= 1 and together >= 1, got {runs}, {workers}, "
                         f"{timed_runs}, {together}")
    seeds = replicate_seeds(seed, together * -(-timed_runs // together))
    started = time.perf_counter()
    for group in groups(seeds, 1, together):
        run_lockstep(base, group)
    return Estimate(runs, workers, len(seeds), (time.perf_counter() - started) / len(seeds), together)


def duration(seconds: float) -> str:
    """A duration in words a person reads at a glance: 40 s, 12 min, 3.5 h, 2.1 days."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
