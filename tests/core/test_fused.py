"""The fused weekly appraisal gives the same numbers as the per-agent evaluation of the same declarations.

The model evaluates each factor function once a week on arrays over every site and every position
(``IPSModel._appraise``); ``Site.appraise`` and ``EmploymentSpecialist.step`` evaluate the same functions on one
site's or one ES's view, and the agents themselves are views of numbers. Here a model that steps each site and each
ES as agents (in Mesa's random order) runs next to the fused one, and every factor's intensity on the agents is
compared with the fused arrays: the numbers must be identical, not merely close.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.core import pressures
from simulation.core.agents import AtSites, EmploymentSpecialist, Site, SpecialistArrays
from simulation.core.model import IPSModel
from simulation.core.scenario import Scenario


class PerAgent(IPSModel):
    """The same model with the week's appraisal evaluated agent by agent: each open site on its own view, then each
    ES on its own (stepped with ``shuffle_do``)."""

    def _appraise(self, staffed: np.ndarray) -> None:
        self.agents_by_type[Site].do("appraise")
        self.agents_by_type[EmploymentSpecialist].shuffle_do("step")


def small(base: Scenario, weeks: int = 104) -> Scenario:
    return base.model_copy(update={"weeks": weeks, "cohort_window_weeks": min(weeks, base.cohort_window_weeks)})


@pytest.mark.parametrize("seed", [1, 8])
def test_fused_and_per_agent_runs_are_identical(baseline: Scenario, seed: int) -> None:
    """Same scenario and seed: the same weekly rows and spells, to the bit (warm-up included, with its quits,
    shocks, supervisors and short-term contracts)."""
    scenario = small(baseline)
    fused, agents = IPSModel(scenario, seed).run(), PerAgent(scenario, seed).run()
    assert fused.weekly == agents.weekly
    assert fused.spells == agents.spells
    assert any(s["outcome"] == "quit" for s in fused.spells)


def test_each_step_of_the_two_paths_leaves_the_same_state(baseline_at_once: Scenario) -> None:
    """Week by week, every ES's strain, motivation, expectation, drain account and this week's amounts agree."""
    scenario = small(baseline_at_once, 40)
    fused, agents = IPSModel(scenario, 4), PerAgent(scenario, 4)
    for _ in range(scenario.weeks):
        fused.step()
        agents.step()
        pairs = [(a, b) for a, b in zip(fused.slots, agents.slots, strict=True) if a is not None or b is not None]
        assert all(a is not None and b is not None for a, b in pairs)
        for a, b in pairs:
            assert (a.strain, a.motivation, a.expected, a.leave_week) == (b.strain, b.motivation, b.expected,
                                                                          b.leave_week)
            assert a.accumulated_drain == b.accumulated_drain
            assert a.drain_now == b.drain_now and a.nourish_now == b.nourish_now


def test_factor_functions_on_the_agents_equal_the_fused_arrays(baseline_at_once: Scenario) -> None:
    """Each factor function called on each agent (a Site, an EmploymentSpecialist: numbers) gives that agent's
    entry of the same function called once on the arrays over every site or position."""
    model = IPSModel(small(baseline_at_once, 30), 6)
    for _ in range(30):
        model.step()
    sites = model.site_view()
    everyone = SpecialistArrays(model, slice(None), AtSites(sites, model.site_index))
    in_post = [es for es in model.slots if es is not None]
    assert len(in_post) > 20
    for f in pressures.ALL:
        if f.scope == "site":
            fused = np.broadcast_to(f.intensity(sites, model.now), len(model.sites))
            assert [float(f.intensity(site, model.now)) for site in model.sites] == fused.tolist(), f.name
        else:
            fused = np.asarray(f.intensity(everyone, model.now))
            on_agents = [float(f.intensity(es, model.now)) for es in in_post]
            assert on_agents == fused[[es.slot for es in in_post]].tolist(), f.name


def test_a_departed_specialist_keeps_its_own_state(baseline: Scenario) -> None:
    """The arrays at a position pass to the next ES there; one who has left keeps what it had when it left."""
    model = IPSModel(small(baseline), 2)
    for _ in range(5):
        model.step()
    es = next(e for e in model.slots if e is not None)
    es.decide_to_quit(None, notice_weeks=0)
    model._depart()
    kept = (es.strain, es.motivation, es.expected, es.threshold, es.accumulated_drain, es.start_week)
    model.staff_arrays.strain[es.slot] = 99.0
    model.staff_arrays.accumulated_drain[:, es.slot] = 99.0
    assert (es.strain, es.motivation, es.expected, es.threshold, es.accumulated_drain, es.start_week) == kept


def test_the_order_in_which_agents_step_does_not_matter(baseline: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stepped agent by agent, in reverse order instead of Mesa's random one, the run is the fused run: an ES's
    week reads only this week's site and caseload state and its own."""
    import mesa.agentset

    def reversed_do(self, method, *args, **kwargs):
        for agent in reversed(list(self._agents)):
            getattr(agent, method)(*args, **kwargs)
        return self

    scenario = small(baseline, 52)
    fused = IPSModel(scenario, 9).run()
    monkeypatch.setattr(mesa.agentset._HardKeyAgentSet, "shuffle_do", reversed_do)
    backward = PerAgent(scenario, 9).run()
    assert fused.weekly == backward.weekly and fused.spells == backward.spells
