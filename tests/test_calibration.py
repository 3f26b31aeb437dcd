"""Calibration sanity: the bundled baseline reproduces the two observed IPSNOR figures.

Observed: 18 of 40 ES (45%) left during the study window [Butenko et al. 2022a], the window
read as 104 weeks (an explicit scenario setting); 4 of 10 leavers' quits began with a shock
[Butenko et al. 2024]. The bands are the issue's acceptance bands. They are wide compared with
the simulation noise: over 100 replicates the standard error of the mean cohort share is about
0.01 and that of the shock share about 0.01 (45 positions, ~30 quits per replicate), so a
baseline centred near the targets sits many standard errors inside the bands, and a fixed seed
makes the check deterministic.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation import experiment, metrics
from simulation.scenario import load_scenario

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"
REPLICATES = 100


@pytest.fixture(scope="module")
def summary() -> dict:
    scenario = load_scenario(BASELINE)
    assert scenario.cohort_window_weeks == 104, "the two-year reading of the study window"
    seeds = experiment.replicate_seeds(20240709, REPLICATES)
    return metrics.summarise(experiment.run_replicates(scenario, seeds, experiment.default_workers()), scenario)


def test_cohort_left_share_over_two_years_matches_45_percent(summary: dict) -> None:
    assert summary["cohort_left_share"]["window_weeks"] == 104
    assert 0.38 <= summary["cohort_left_share"]["mean"] <= 0.52


def test_shock_share_of_quits_matches_4_in_10(summary: dict) -> None:
    assert 0.2 <= summary["shock_share"]["mean"] <= 0.6


def test_turnover_is_well_above_the_regional_public_sector(summary: dict) -> None:
    """27.1% left other public-sector jobs over the same window [B22a]; IPS ES left far more often."""
    assert summary["cohort_left_share"]["ci_low"] > 0.271
