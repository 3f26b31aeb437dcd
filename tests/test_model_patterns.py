"""Patterns the model must show across scenarios, each a seeded statistical test.

Replicates share seeds across the scenarios compared (common random numbers), so differences
are paired where the scenarios have the same positions. Each bound is a 95% interval of the
difference that must exclude zero; with fixed seeds the tests are deterministic, and the
differences found in exploratory runs (given with each test) are several times the interval's
half-width, so the verdicts do not hinge on the seed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from simulation.analysis import metrics
from simulation.core.records import RunRecord
from simulation.core.scenario import OPEN_AT_ONCE, Scenario
from simulation.execution import batches, pool, seeds

REPLICATES = 20
SEEDS = seeds.replicate_seeds(31, REPLICATES)


def plan(base: Scenario, *levers: str, **scheduled: dict) -> Scenario:
    data = base.model_dump()
    data["name"] = "plan"
    for name in levers:
        data["start_up_plan"][name]["enabled"] = True
    for name, settings in scheduled.items():
        data["start_up_plan"][name].update(settings)
    return Scenario.model_validate(data)


def run(scenario: Scenario) -> list[RunRecord]:
    return batches.run_replicates(scenario, SEEDS, pool.default_workers())


def per_replicate(records: list[RunRecord], scenario: Scenario, key: str) -> np.ndarray:
    return np.array([metrics.replicate_metrics(r, scenario)[key] for r in records])


def paired_interval(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    d = a - b
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
    return d.mean() - half, d.mean() + half


def welch_interval(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    res = stats.ttest_ind(a, b, equal_var=False)
    ci = res.confidence_interval(0.95)
    return ci.low, ci.high


ALL_LEVERS = ("realistic_job_preview", "no_solo_posts", "implementation_lead", "structures_in_place",
              "manager_training", "anchored_agreements", "health_team_preparation", "record_access_arrangement",
              "operational_policy", "digital_meetings", "permanent_contracts")


@pytest.fixture(scope="module")
def baseline_runs(baseline: Scenario) -> list[RunRecord]:
    return run(baseline)


def test_full_start_up_plan_lowers_turnover(baseline: Scenario, baseline_runs: list[RunRecord]) -> None:
    """Every lever acts on a draining factor or a shock, so together they must cut turnover.

    Exploratory runs (30 replicates): 19.5% a year at baseline, 3.9% with the full plan.
    """
    full = plan(baseline, *ALL_LEVERS, network_seminars={"every_weeks": 8}, fidelity_review={"week": 40})
    full_runs = run(full)
    _, high = paired_interval(per_replicate(full_runs, full, "annual_turnover"),
                              per_replicate(baseline_runs, baseline, "annual_turnover"))
    assert high < 0
    _, avoidable_high = paired_interval(per_replicate(full_runs, full, "avoidable_turnover"),
                                        per_replicate(baseline_runs, baseline, "avoidable_turnover"))
    assert avoidable_high < 0
    # Ordinary exits come at the same hazard whatever the plan: their rate per ES-year stays within sampling error
    # (about 0.005 for the mean of 20 replicates; 0.02 is four times that).
    ordinary = per_replicate(full_runs, full, "ordinary_turnover") - per_replicate(baseline_runs, baseline,
                                                                                  "ordinary_turnover")
    assert abs(ordinary.mean()) < 0.02


def test_a_plan_that_keeps_specialists_raises_job_starts_per_position(baseline: Scenario,
                                                                     baseline_runs: list[RunRecord]) -> None:
    """Continuity of support: fewer vacancies and more experienced ES mean more client job starts.

    The levers chosen (job preview, implementation lead, permanent contracts) do not touch the
    job-start chance directly, so the gain comes through retention. Exploratory runs: turnover
    19.5% -> 4.8% a year, job starts 6.8 -> 7.2 per position-year (paired 95% CI +/- 0.05).
    """
    kept = plan(baseline, "realistic_job_preview", "implementation_lead", "permanent_contracts")
    kept_runs = run(kept)
    t_high = paired_interval(per_replicate(kept_runs, kept, "annual_turnover"),
                             per_replicate(baseline_runs, baseline, "annual_turnover"))[1]
    j_low = paired_interval(per_replicate(kept_runs, kept, "job_starts_per_position_year"),
                            per_replicate(baseline_runs, baseline, "job_starts_per_position_year"))[0]
    assert t_high < 0 and j_low > 0


def staffed_like_rural_pairs(base: Scenario, name: str, sites: int, positions: int) -> Scenario:
    """45 positions at sites like the baseline's rural pairs, differing only in team structure (every site open in
    week 0)."""
    data = base.model_dump()
    template = {**next(s for s in data["sites"] if s["name"] == "rural-pair"), **OPEN_AT_ONCE}
    data["name"] = name
    data["sites"] = [{**template, "name": name, "count": sites, "positions": positions}]
    return Scenario.model_validate(data)


def test_solo_posts_lose_more_specialists_than_teams_of_three(baseline: Scenario) -> None:
    """A team buffers every demand; a solo post has none ('I am a team-player but I do not feel I have a team'
    [M21]): 45 solo posts vs 15 teams of three.

    The positions are arranged differently, so the runs are not paired: Welch's interval.
    """
    solo = staffed_like_rural_pairs(baseline, "all-solo", 45, 1)
    trios = staffed_like_rural_pairs(baseline, "teams-of-three", 15, 3)
    assert solo.positions == trios.positions == 45
    low, _ = welch_interval(per_replicate(run(solo), solo, "annual_turnover"),
                            per_replicate(run(trios), trios, "annual_turnover"))
    assert low > 0
