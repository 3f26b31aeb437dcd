"""Replicates run in lockstep (one model, each replicate a block of sites and positions with its own random
streams) give each replicate the records it has run alone, to the bit; the runner's grouping of replicates changes
nothing."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.core.model import IPSModel, WeeklyUniforms, run_lockstep
from simulation.core.records import RunRecord
from simulation.core.scenario import Scenario
from simulation.execution.batches import LOCKSTEP, LOCKSTEP_POSITIONS, groups, lockstep_size, run_replicates


def assert_same(alone: RunRecord, together: RunRecord) -> None:
    assert together.seed == alone.seed
    assert together.weekly == alone.weekly
    assert together.spells == alone.spells
    assert together.sites == alone.sites
    for name in alone.clients.__dataclass_fields__:
        assert np.array_equal(getattr(together.clients, name), getattr(alone.clients, name)), name


def short(scenario: Scenario, weeks: int = 78) -> Scenario:
    return scenario.model_copy(update={"weeks": weeks, "cohort_window_weeks": min(weeks, scenario.cohort_window_weeks)})


def two_regions(base: Scenario) -> Scenario:
    """The baseline's sites split over two regions, one of them reorganised as planned in week 10, and drawn
    reorganisations frequent: region and site numbers are offset per replicate."""
    data = short(base).model_dump()
    for k, site in enumerate(data["sites"]):
        site["region"] = "nordland" if k % 2 == 0 else "troms"
    data["shocks"].update(reorganisation_per_region_year=2.0)
    data["reorganisations"] = [{"week": 10, "region": "troms", "reach": 1.0}]
    return Scenario.model_validate(data)


@pytest.mark.parametrize("which", ["baseline", "startup_plan", "two_regions"])
def test_each_replicate_in_lockstep_has_the_records_it_has_alone(request: pytest.FixtureRequest, baseline: Scenario,
                                                                which: str) -> None:
    """Warm-up, levers (a fidelity review on each site's clock, seminars), planned and drawn reorganisations, quits,
    hires and clients: every weekly row, spell and client of each replicate, whether it runs alone or beside two
    others, in any position of the group."""
    scenario = two_regions(baseline) if which == "two_regions" else short(request.getfixturevalue(which))
    seeds = [11, 0, 5]
    together = run_lockstep(scenario, seeds)
    assert [record.seed for record in together] == seeds
    for seed, record in zip(seeds, together, strict=True):
        assert_same(IPSModel(scenario, seed).run(), record)
    assert any(s["outcome"] == "quit" for s in together[1].spells)
    if which == "two_regions":
        assert any(s["shock"] == "reorganisation" for record in together for s in record.spells)


def test_a_model_of_several_replicates_gives_their_records_not_one(baseline: Scenario) -> None:
    model = IPSModel(short(baseline, 4), [1, 2])
    model.run_for(model.warm_up + 4)
    assert [record.seed for record in model.records()] == [1, 2]
    with pytest.raises(ValueError, match="records"):
        model.record()


def test_the_runner_groups_replicates_for_every_worker() -> None:
    """At most LOCKSTEP replicates a group, consecutive and in order, and at least one group per worker."""
    seeds = list(range(23))
    for workers in (1, 2, 3, 8):
        cut = groups(seeds, workers)
        assert [s for group in cut for s in group] == seeds
        assert max(len(group) for group in cut) <= LOCKSTEP
        assert len(cut) >= min(workers, len(seeds))


def test_a_large_scenario_runs_fewer_replicates_in_one_model(baseline: Scenario) -> None:
    """The baseline's 45 positions run LOCKSTEP at a time; thirty times as many sites, one replicate at a time."""
    data = baseline.model_dump()
    data["sites"] = [{**site, "name": f"{site['name']}-{k}"} for site in data["sites"] for k in range(30)]
    large = Scenario.model_validate(data)
    assert baseline.positions * LOCKSTEP <= LOCKSTEP_POSITIONS and lockstep_size(baseline) == LOCKSTEP
    assert large.positions > LOCKSTEP_POSITIONS / 2 and lockstep_size(large) == 1


def test_the_runners_records_do_not_depend_on_the_grouping(baseline: Scenario) -> None:
    """One worker runs 4 replicates in one group, two workers in two groups of two: the same records, in seed
    order."""
    scenario = short(baseline, 26)
    seeds = [4, 9, 1, 30]
    one, two = run_replicates(scenario, seeds, workers=1), run_replicates(scenario, seeds, workers=2)
    assert len(groups(seeds, 1)) == 1 and len(groups(seeds, 2)) == 2
    for a, b in zip(one, two, strict=True):
        assert_same(a, b)


def test_weekly_uniforms_drawn_in_blocks_are_the_numbers_drawn_week_by_week() -> None:
    """A generator's doubles come in sequence: a block of weeks drawn at once is the weeks drawn one by one."""
    shapes = [(3, 5), (1, 5), (2, 5)]
    blocked = WeeklyUniforms([np.random.default_rng(k) for k in range(3)], shapes)
    weekly = [np.random.default_rng(k) for k in range(3)]
    for _ in range(2 * WeeklyUniforms.BLOCK + 3):
        expected = np.concatenate([rng.random(shape) for rng, shape in zip(weekly, shapes, strict=True)])
        assert np.array_equal(blocked.week(), expected)
