"""The shipped calibrated baselines reproduce the observed IPSNOR figures (the issue's acceptance bands).

Observed: 18 of 40 ES (45%) left during the study window [Butenko et al. 2022a], a window read as
104 weeks (scenarios/baseline.yaml) or 52 weeks (scenarios/baseline-52w.yaml); 4 of 10 leavers'
quits began with a shock [Butenko et al. 2024]. Both scenarios come from ``ipsim calibrate``
(docs/validation.md). The acceptance band for the mean cohort share over 200 replicates is
0.40-0.50. With 200 replicates the standard error of that mean is about 0.005 (replicate
standard deviation about 0.07 with 45 positions), so a scenario whose true mean is near the
calibrated value sits several standard errors inside the band, and the fixed seed makes the
check deterministic.
"""

from __future__ import annotations

import pytest

from simulation.analysis import metrics
from simulation.core.scenario import Scenario
from simulation.execution import batches, pool
from simulation.execution.seeds import replicate_seeds
from simulation.inputs.scenarios import load_scenario
from tests.helpers import SCENARIOS

REPLICATES = 200


def summary(scenario: Scenario) -> dict:
    seeds = replicate_seeds(20240709, REPLICATES)
    return metrics.outcome(batches.run_replicates(scenario, seeds, pool.default_workers()), scenario).summary


@pytest.fixture(scope="module")
def two_years(baseline: Scenario) -> dict:
    return summary(baseline)


@pytest.fixture(scope="module")
def one_year() -> dict:
    return summary(load_scenario(SCENARIOS / "baseline-52w.yaml"))


def test_two_year_window_matches_45_percent(two_years: dict) -> None:
    assert two_years["cohort_left_share"]["window_weeks"] == 104
    assert 0.40 <= two_years["cohort_left_share"]["mean"] <= 0.50


def test_one_year_window_matches_45_percent(one_year: dict) -> None:
    assert one_year["cohort_left_share"]["window_weeks"] == 52
    assert 0.40 <= one_year["cohort_left_share"]["mean"] <= 0.50


@pytest.mark.parametrize("fixture", ["two_years", "one_year"])
def test_shock_share_of_quits_matches_4_in_10(fixture: str, request: pytest.FixtureRequest) -> None:
    """The exact 95% interval of 4 of 10 is 0.12-0.74: the calibrated share must sit well inside it."""
    assert 0.2 <= request.getfixturevalue(fixture)["shock_share"]["mean"] <= 0.6
