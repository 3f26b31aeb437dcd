"""The mechanisms of model v2, each on a real model: lasting wear-down, ordinary exits, contracts, losses, the
employer network and earned readiness."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from scipy import stats

from simulation.core import pressures
from simulation.core.agents import WORKED_PARTS, ReadinessState, SiteArrays
from simulation.core.model import IPSModel
from simulation.core.records import WEEKLY_COLUMNS, observed
from simulation.core.scenario import ORDINARY_REASONS, READINESS_PARTS, Scenario


def changed(base: Scenario, **sections: dict) -> Scenario:
    """``base`` with whole sections updated (``staff={"notice_weeks": 4}``)."""
    data = base.model_dump()
    for section, values in sections.items():
        data[section].update(values)
    return Scenario.model_validate(data)


NO_STRAIN_EXITS = {"quit_threshold": {"mean": 20.0, "sd": 0.0, "low": 20.0, "high": 20.0}}
"""A threshold nobody reaches in a few years: every exit is then a shock, a contract or an ordinary one."""
NO_SHOCKS = {"work_life_conflict_per_year": 0.0, "reorganisation_per_region_year": 0.0}


# --- ordinary exits ------------------------------------------------------------------------------------


def test_ordinary_exits_come_at_the_declared_hazard_and_split_by_the_declared_shares(baseline: Scenario) -> None:
    """With nothing else to leave for, 45 positions over 20 years in 5 replicates at 13.6% a year give about 600
    ordinary exits: their number is about Poisson (sd about 25, 4%), so the ES-years' rate lies within 15% of the
    hazard (more than 3 sd); the reasons' counts fit the documented shares (chi-square test at the 0.1% level, so a
    correct split fails 1 run in 1,000 seeds, and these seeds are fixed)."""
    scenario = changed(baseline, staff={**NO_STRAIN_EXITS, "short_term_share": 0.0}, shocks=NO_SHOCKS,
                       ordinary_exits={"per_year": 0.136})
    scenario = Scenario.model_validate({**scenario.model_dump(), "weeks": 1040})
    exits, es_years = [], 0.0
    for seed in range(5):
        record = IPSModel(scenario, seed).run()
        exits += [s for s in observed(record.spells) if s["outcome"] == "quit"]
        es_years += sum(row[WEEKLY_COLUMNS.index("headcount")] for row in record.weekly) / 52
    assert {s["exit_kind"] for s in exits} == {"ordinary"}
    assert len(exits) / es_years == pytest.approx(0.136, rel=0.15)
    counts = Counter(s["ordinary_reason"] for s in exits)
    shares = scenario.ordinary_exits
    expected = [len(exits) * getattr(shares, r) for r in ORDINARY_REASONS]
    assert stats.chisquare([counts[r] for r in ORDINARY_REASONS], expected).pvalue > 0.001


def test_an_ordinary_exit_is_a_decision_with_notice_whatever_the_strain(baseline: Scenario) -> None:
    scenario = changed(baseline, staff={**NO_STRAIN_EXITS, "short_term_share": 0.0, "notice_weeks": 6},
                       shocks=NO_SHOCKS, ordinary_exits={"per_year": 0.136})
    spells = IPSModel(scenario, 2).run().spells
    exits = [s for s in spells if s["outcome"] == "quit"]
    assert exits and all(s["end_week"] - s["decision_week"] == 6 and s["shock"] == "" for s in exits)


# --- contracts -----------------------------------------------------------------------------------------


def contracts(baseline: Scenario, renewal: float) -> Scenario:
    return changed(baseline, staff={**NO_STRAIN_EXITS, "short_term_share": 1.0, "renewal_probability": renewal,
                                    "short_term_weeks_low": 60, "short_term_weeks_high": 60, "notice_weeks": 13},
                   shocks=NO_SHOCKS, ordinary_exits={"per_year": 0.0})


def test_a_contract_not_renewed_begins_a_voluntary_quit_with_notice_at_its_end(baseline: Scenario) -> None:
    """B24: no involuntary quitting; two quits began with short-term contracts. The renewal is decided a notice
    period before the end; the ES then leaves, with notice, when the contract ends."""
    spells = IPSModel(contracts(baseline, renewal=0.0), 1).run().spells
    first = [s for s in spells if s["start_week"] == 0]
    assert all(s["outcome"] == "quit" and s["exit_kind"] == "shock" and s["shock"] == "contract_end" for s in first)
    assert all(s["decision_week"] == 60 - 13 and s["end_week"] == 60 for s in first)


def test_a_contract_renewed_becomes_permanent_and_its_insecurity_ends(baseline_at_once: Scenario) -> None:
    model = IPSModel(contracts(baseline_at_once, renewal=1.0), 1)
    es = model.slots[0]
    for _ in range(40):
        model.step()
    assert pressures.job_insecurity(es, model.now) > 0.5  # insecure, and more so as the end nears
    for _ in range(10):
        model.step()
    assert es.contract_end_week is None and pressures.job_insecurity(es, model.now) == 0.0
    spells = model.run().spells
    assert not any(s["outcome"] == "quit" for s in spells)
    assert all(s["contract"] == "short_term" for s in spells if s["start_week"] == 0)  # as hired


# --- losses, the employer network and earned readiness -----------------------------------------------


def test_a_colleague_leaving_is_a_loss_felt_by_the_site_the_next_week(baseline: Scenario) -> None:
    model = IPSModel(baseline, 3)
    model.step()
    site = next(s for s in model.sites if len(s.staff) >= 3)
    leaver = site.staff[0]
    model._leave(leaver)
    assert site.colleagues_lost == 0
    site.appraise()
    assert site.colleagues_lost == 1
    site.appraise()
    assert site.colleagues_lost == 0  # one week only


def sites_of(scenario: Scenario) -> SiteArrays:
    """The scenario's sites as the model holds them (one of each entry), all open from week 0."""
    specs = scenario.sites
    return SiteArrays(specs, [0] * len(specs), scenario.staff.vacant_supervisor_cover)


def mature(sites: SiteArrays, scenario: Scenario, staffed: float = 1.0, leadership: float = 1.0) -> None:
    """A week of ``SiteArrays.mature`` at every site: ``staffed`` of the positions filled, this leader support."""
    n = sites.positions.size
    sites.mature(scenario.readiness, np.ones(n, dtype=bool), staffed * sites.positions, np.full(n, leadership))


def test_the_employer_network_grows_with_placements_and_fades_without(baseline: Scenario) -> None:
    sites = sites_of(baseline)
    start = sites.employer_network.copy()
    sites.job_starts[:] = 0
    sites.job_starts[0] = 3
    mature(sites, baseline)
    grown = sites.employer_network.copy()
    assert grown[0] > start[0]
    assert (grown[1:] < start[1:]).all()  # no placements: it fades
    sites.job_starts[:] = 0
    mature(sites, baseline)
    assert sites.employer_network[0] < grown[0]


def test_readiness_is_earned_an_empty_site_does_not_mature(baseline: Scenario) -> None:
    """Moe25's maturing is the service's work: ES in post and a lead. Without ES, and without successes, nothing
    is built."""
    sites = sites_of(baseline)
    before = sites.parts.copy()
    mature(sites, baseline, staffed=0.0)
    assert (sites.parts == before).all()
    mature(sites, baseline, staffed=1.0)
    worked = [READINESS_PARTS.index(p) for p in WORKED_PARTS]
    unfinished = before[worked] < 1.0
    assert (sites.parts[worked] > before[worked])[unfinished].all()
    health = READINESS_PARTS.index("health_team_integration")
    assert (sites.parts[health] == before[health]).all()  # won only by successes


def test_an_available_lead_builds_readiness_faster(baseline: Scenario) -> None:
    gains = []
    for leadership in (0.0, 1.0):
        sites = sites_of(baseline)
        sites.parts[READINESS_PARTS.index("structures")] = 0.2
        mature(sites, baseline, leadership=leadership)
        gains.append(sites.parts[READINESS_PARTS.index("structures")] - 0.2)
    assert (gains[1] > gains[0]).all() and (gains[0] > 0).all()


# --- lasting wear-down -------------------------------------------------------------------------------


def test_intrinsic_motivation_erodes_while_resources_are_depleted(baseline: Scenario) -> None:
    """An endowment, not a constant income: a week of strain leaves less of it, a week without none less."""
    model = IPSModel(baseline, 5)
    for _ in range(30):
        model.step()
    before = {es: (es.motivation, es.strain) for es in model.slots if es is not None}
    model.step()
    worn = [es for es, (_, strain) in before.items() if strain > 0 and es.model is model]
    assert worn, "some ES are worn down after 30 weeks of the baseline"
    assert all(es.motivation < before[es][0] for es in worn)
    assert all(es.motivation == before[es][0] for es, (_, strain) in before.items() if strain == 0)


def test_readiness_values_come_in_the_schemas_order() -> None:
    """weekly.csv's readiness_<part> columns are filled from ReadinessState.values(), in READINESS_PARTS order."""
    state = ReadinessState(*(0.1 * (k + 1) for k in range(len(READINESS_PARTS))))
    assert state.values() == tuple(getattr(state, part) for part in READINESS_PARTS)
