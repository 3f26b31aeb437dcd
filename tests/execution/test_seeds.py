"""Seeds: a run's seed depends only on what identifies the run (the base seed, its replicate, its sample)."""

from __future__ import annotations

from simulation.execution import seeds
from simulation.execution.seeds import run_seed

SEED = 7


def test_replicate_seeds_depend_only_on_base_seed() -> None:
    assert seeds.replicate_seeds(SEED, 3) == seeds.replicate_seeds(SEED, 3)
    assert seeds.replicate_seeds(SEED, 3)[:2] == seeds.replicate_seeds(SEED, 2)
    assert seeds.replicate_seeds(SEED, 2) != seeds.replicate_seeds(SEED + 1, 2)


def test_run_seeds_depend_on_sample_and_replicate_only() -> None:
    seeds = {run_seed(1, s, r) for s in range(20) for r in range(5)}
    assert len(seeds) == 100
    assert run_seed(1, 3, 2) == run_seed(1, 3, 2) != run_seed(2, 3, 2)
