"""Seeds: every run's seed is spawned from ``numpy.random.SeedSequence``, keyed only by what identifies the run.

A replicate's seed depends only on the base seed and its index; a sweep run's only on the spec's seed, its
design point and its replicate (with common random numbers, only on the spec's seed and its replicate:
execution.sweeps.Plan.seed). So results do not depend on how runs are grouped, ordered or spread over
workers, processes or machines.
"""

from __future__ import annotations

import numpy as np

DEFAULT_SEED = 2024


def _first_word(sequence: np.random.SeedSequence) -> int:
    return int(sequence.generate_state(1, dtype=np.uint64)[0])


def replicate_seeds(base_seed: int, replicates: int) -> list[int]:
    """One independent 64-bit seed per replicate, spawned from ``SeedSequence(base_seed)``."""
    return [_first_word(child) for child in np.random.SeedSequence(base_seed).spawn(replicates)]


def replicate_seed(base_seed: int, replicate: int) -> int:
    """``replicate_seeds(base_seed, n)[replicate]`` for any ``n > replicate``, computed alone (the child of
    ``SeedSequence(base_seed)`` with spawn key ``(replicate,)``)."""
    return _first_word(np.random.SeedSequence(base_seed, spawn_key=(replicate,)))


def run_seed(seed: int, sample: int, replicate: int) -> int:
    """The seed of one sweep run, from ``SeedSequence(seed)`` keyed by (sample, replicate)."""
    return _first_word(np.random.SeedSequence(seed, spawn_key=(sample, replicate)))
