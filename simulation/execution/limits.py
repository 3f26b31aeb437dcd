"""The caps on how much one command runs and writes, checked before anything is allocated or run.

A typo (``--replicates 1000000000``) or a design that multiplies out to billions of runs would otherwise end in a
MemoryError or a full disk after minutes or hours. Each cap is a clear error instead, and ``--allow-large`` (in
Python, ``allow_large=True``) lifts the soft caps for the rare huge study; the hard caps are what this version
of ipsim can hold in memory at all. README "Limits and guarantees" lists them.
"""

from __future__ import annotations

from simulation.inputs.reading import InputError

MAX_REPLICATES = 2_000
"""Replicates of one scenario (run, compare, levers, check-patterns): a scenario's records are held in memory
until written, about 0.3 MB per replicate of the baseline (two years and its two-year warm-up; its clients about 0.1 MB
of that), so 2,000 need about 0.6 GB."""
MAX_SWEEP_RUNS = 1_000_000
"""Runs of one sweep or calibration (design points x replicates): about 14 hours on one core at 50 ms a run."""
MAX_DESIGN_POINTS = 10_000_000
"""Design points of one sweep, even with --allow-large: every point's values are held in memory."""
BYTES_PER_REPLICATE_WEEK = 1_200
"""Disk a replicate's weekly.csv, spells.csv and clients.csv take per simulated week, the warm-up's too (measured on
the baseline: about 1,100 bytes, clients.csv two thirds of it)."""
BYTES_PER_SWEEP_RUN = 500
"""Disk a sweep run takes while running (its part and log rows) and once joined (results.csv, log.csv)."""
OVERRIDE = "--allow-large"


class LimitError(InputError):
    """A study larger than the caps allow; the message names the cap and how to lift it."""


def check(what: str, count: int, cap: int, allow_large: bool) -> None:
    """Refuse ``count`` of ``what`` above ``cap`` unless ``allow_large``."""
    if count > cap and not allow_large:
        raise LimitError(f"{what}: {count:,} is more than {cap:,}, the cap for one study; give {OVERRIDE} "
                         "if you really mean to run that much (it needs the memory, time and disk to match)")


def check_design(points: int, replicates: int, allow_large: bool) -> None:
    """A sweep's design points and runs: at most MAX_DESIGN_POINTS points whatever the flag, and
    MAX_SWEEP_RUNS runs unless ``allow_large``."""
    if points > MAX_DESIGN_POINTS:
        raise LimitError(f"the design has {points:,} points; this version of ipsim holds at most "
                         f"{MAX_DESIGN_POINTS:,} (use fewer samples, levels or parameters)")
    check(f"the sweep's runs ({points:,} points x {replicates:,} replicates)", points * replicates, MAX_SWEEP_RUNS,
          allow_large)
