"""Each start-up plan lever moves the factors it should, in the documented direction, and nothing else."""

from __future__ import annotations

import pytest

from simulation.core import levers, pressures
from simulation.core.model import IPSModel
from simulation.core.scenario import Scenario, effective

LEVER = {lv.name: lv for lv in levers.LEVERS}


def with_lever(base: Scenario, name: str) -> Scenario:
    data = base.model_dump()
    data["start_up_plan"][name].update(LEVER[name].in_plan)  # as the bundled start-up plan pulls it
    return Scenario.model_validate(data)


def intensities(model: IPSModel) -> dict[str, list[float]]:
    """Every factor's intensity now: per site for site-scope factors, per ES for the others."""
    out: dict[str, list[float]] = {}
    for f in pressures.ALL:
        if f.scope == "site":
            out[f.name] = [f.intensity(site, model.now) for site in model.sites]
        else:
            out[f.name] = [f.intensity(es, model.now) for es in model.slots if es is not None]
    return out


def when_it_acts(name: str) -> int:
    """The week a lever first makes a difference: at the start, or the first week its schedule acts."""
    lv = LEVER[name]
    if lv.each_week is None:
        return 0
    settings = lv.settings.model_validate({**lv.default.model_dump(), **lv.in_plan})
    return next(w for w in range(1, 1041) if lv.each_week(settings, w) != levers.WeekEvents())


@pytest.mark.parametrize("lever", levers.LEVERS, ids=lambda lv: lv.name)
def test_each_lever_moves_only_its_factors_in_the_documented_direction(lever: levers.Lever,
                                                                      baseline_at_once: Scenario) -> None:
    baseline = baseline_at_once  # every site open from the first week, so every lever acts at its first chance
    base, variant = IPSModel(baseline, 3), IPSModel(with_lever(baseline, lever.name), 3)
    week = when_it_acts(lever.name)
    for model in (base, variant):
        for _ in range(week):
            model.step()  # identical up to the week before (common random numbers), then the lever acts
    before, after = intensities(base), intensities(variant)
    structural = lever.name == "no_solo_posts"  # adds positions, so specialists differ: compare sites only
    for f in pressures.ALL:
        if structural and f.scope == "specialist":
            continue
        change = sum(after[f.name]) - sum(before[f.name])
        direction = lever.moves.get(f.name, 0)
        if direction == 0:
            assert after[f.name] == pytest.approx(before[f.name]), f"{lever.name} moved {f.name}"
        else:
            assert direction * change > 0, f"{lever.name} should move {f.name} {'up' if direction > 0 else 'down'}"


def test_every_lever_in_the_schema_is_implemented(baseline: Scenario) -> None:
    assert {lv.name for lv in levers.LEVERS} == set(type(baseline.start_up_plan).model_fields)
    assert len(levers.LEVERS) == 13


def test_permanent_contracts_remove_the_contract_expiry_shock(baseline: Scenario) -> None:
    record = IPSModel(with_lever(baseline, "permanent_contracts"), 5).run()
    assert all(s["contract"] == "permanent" for s in record.spells)
    assert not any(s["shock"] == "contract_end" for s in record.spells)


def test_no_solo_posts_gives_every_site_a_team(baseline_at_once: Scenario) -> None:
    baseline = baseline_at_once  # every site open and staffed at the start
    model = IPSModel(with_lever(baseline, "no_solo_posts"), 1)
    assert min(len(site.staff) for site in model.sites) >= 2
    assert model.settings.positions == baseline.positions + 2  # the two solo posts get a colleague


def test_the_plan_as_written_is_kept_and_only_its_effect_is_applied(baseline: Scenario) -> None:
    """The scenario keeps what the planner wrote; the model sees the world the plan makes."""
    scenario = with_lever(baseline, "manager_training")
    model = IPSModel(scenario, 1)
    assert scenario.sites[0].readiness.manager_knowledge == baseline.sites[0].readiness.manager_knowledge
    level = scenario.start_up_plan.manager_training.level
    assert all(site.readiness.manager_knowledge >= level for site in model.sites)


@pytest.mark.parametrize("lever", levers.LEVERS, ids=lambda lv: lv.name)
def test_no_lever_changes_the_ordinary_exit_hazard(lever: levers.Lever, baseline: Scenario) -> None:
    """Promotion, moving and retirement are unrelated to strain: a start-up plan cannot change them."""
    assert effective(with_lever(baseline, lever.name)).ordinary_exits == effective(baseline).ordinary_exits


def test_ordinary_exits_fall_on_the_same_positions_and_weeks_whatever_the_plan(baseline: Scenario) -> None:
    """With every other way out closed (no shocks, unreachable thresholds, permanent contracts), the base and the
    whole plan (bar no_solo_posts, which adds positions) have the very same ordinary exits: the same draws and the
    same hazard, so the plan neither raises nor lowers them."""
    data = baseline.model_dump()
    data["staff"].update(short_term_share=0.0, quit_threshold={"mean": 20.0, "sd": 0.0, "low": 20.0, "high": 20.0})
    data["shocks"].update(work_life_conflict_per_year=0.0, reorganisation_per_region_year=0.0)
    closed = Scenario.model_validate(data)
    plan = closed.model_dump()
    for lv in levers.LEVERS:
        if lv.name != "no_solo_posts":
            plan["start_up_plan"][lv.name].update(lv.in_plan)
    planned = Scenario.model_validate(plan)

    def exits(scenario: Scenario) -> list[tuple]:
        spells = IPSModel(scenario, 8).run().spells
        return sorted((s["position"], s["decision_week"], s["ordinary_reason"]) for s in spells if s["outcome"] == "quit")

    base = exits(closed)
    assert base and all(reason for *_, reason in base)  # only ordinary exits, and some of them
    assert exits(planned) == base
