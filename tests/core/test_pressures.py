"""Each draining, nourishing and buffering factor, the factor registry, and the strain dynamics."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from simulation.core import pressures
from simulation.core.agents import ReadinessState
from simulation.core.pressures import StrainDynamics

F = {f.name: f for f in pressures.ALL}
CAP = 20
"""The fidelity caseload every test week uses (clients.fidelity_caseload)."""


def make_site(readiness: float = 0.2, colleagues: int = 2, **kw: float) -> SimpleNamespace:
    """A fake site with what site-scope factors (and specialist factors reading ``es.site``) read."""
    site = SimpleNamespace(
        readiness=ReadinessState(*(kw.pop(p, readiness) for p in (
            "manager_knowledge", "health_team_integration", "record_access", "ownership_clarity", "structures"))),
        leadership=kw.pop("leadership", 0.4),
        team_contact=kw.pop("team_contact", 0.5),
        travel_burden=kw.pop("travel_burden", 0.7),
        employer_network=kw.pop("employer_network", 0.3),
        colleagues_lost=kw.pop("colleagues_lost", 0),
        colleagues=colleagues,
    )
    site.met = site.readiness.mean()  # as a Site gives it
    assert not kw, kw
    return site


def make_es(site: SimpleNamespace | None = None, **kw: Any) -> SimpleNamespace:
    """A fake ES on a permanent contract (no end: ``contract_end`` infinite), hired in week 0, with a part-working,
    part-searching caseload."""
    values = {"caseload": 20, "clients_in_work": 5, "clients_searching": 12, "job_starts_this_week": 0,
              "setbacks_this_week": 0, "jobs_lost_this_week": 0, "expected": 0.7, "motivation": 0.7,
              "start_week": 0, "contract_end": math.inf}
    unknown = set(kw) - set(values)
    assert not unknown, unknown
    values.update(kw)
    return SimpleNamespace(site=site or make_site(), **values)


def week_values(week: int = 10, seminar: bool = False) -> pressures.Week:
    """The week's service-wide values the model passes in: a fidelity caseload of 20."""
    return pressures.Week(week=week, fidelity_caseload=CAP, seminar=seminar)


def intensity(name: str, es: SimpleNamespace, week: int = 10, seminar: bool = False) -> float:
    """A factor's intensity for an ES, evaluated on the ES's site if the factor is site-scope (as the model does);
    the fakes hold numbers, so factor functions return one number (a view of one ES)."""
    factor = F[name]
    return float(factor.intensity(es.site if factor.scope == "site" else es, week_values(week, seminar)))


def at_site(name: str, site: SimpleNamespace, seminar: bool = False) -> float:
    assert F[name].scope == "site", f"{name} is not site-scope"
    return float(F[name].intensity(site, week_values(seminar=seminar)))


# --- the registry -----------------------------------------------------------------------------

REQUIRED_DRAINS = {"unprepared_context", "caseload_size", "role_conflict", "client_setbacks", "travel",
                   "unmet_expectations", "job_insecurity", "resource_losses"}
REQUIRED_NOURISHERS = {"intrinsic_motivation", "client_job_starts", "client_progress", "employer_and_nav_support",
                       "network_seminars"}
REQUIRED_BUFFERS = {"team_support", "leader_support", "health_team_inclusion"}


def test_registry_holds_every_factor_named_by_the_evidence() -> None:
    """Every demand, gain and buffer that B24/M21 (and the CoR and JD-R literature) name is registered, as its kind."""
    assert REQUIRED_DRAINS <= {f.name for f in pressures.DRAINS}
    assert REQUIRED_NOURISHERS <= {f.name for f in pressures.NOURISHERS}
    assert {f.name for f in pressures.BUFFERS} == REQUIRED_BUFFERS
    assert all(f.kind == "drain" for f in pressures.DRAINS)
    assert all(f.kind == "nourish" for f in pressures.NOURISHERS)
    assert all(f.kind == "buffer" for f in pressures.BUFFERS)


def test_removed_factors_are_gone() -> None:
    """The rewrite folded these into other factors (one state, one factor); none may linger in the registry."""
    assert not {"implementation_workload", "absent_leadership", "professional_isolation",
                "difficult_interactions"} & set(F)


def test_all_lists_drains_then_nourishers_then_buffers() -> None:
    """Per-factor lists throughout the model (weights, records) follow ALL's order, and the model slices it by kind."""
    assert pressures.ALL == pressures.DRAINS + pressures.NOURISHERS + pressures.BUFFERS
    order = {"drain": 0, "nourish": 1, "buffer": 2}
    kinds = [order[f.kind] for f in pressures.ALL]
    assert kinds == sorted(kinds)
    assert len({f.name for f in pressures.ALL}) == len(pressures.ALL)


def test_buffers_are_site_scope() -> None:
    """Buffers are evaluated once per site and week (the site's ``absorbed``): a specialist-scope buffer is refused."""
    assert all(f.scope == "site" for f in pressures.BUFFERS)
    with pytest.raises(ValueError, match="site-scope"):
        pressures.Factor("x", "buffer", "specialist", lambda es, now: 0.0, 0.1, 1.0, "assumption", "x")
    # Demands and gains may be either scope.
    pressures.Factor("x", "drain", "specialist", lambda es, now: 0.0, 0.1, 1.0, "assumption", "x")


@pytest.mark.parametrize("register", [pressures.drain, pressures.nourish], ids=["drain", "nourish"])
def test_registering_a_duplicate_name_raises(register) -> None:
    """A name is a factor's identity (scenario key, record column): a second 'travel', of any kind, is refused and
    leaves the registry as it was."""
    before = list(pressures.ALL), list(pressures.DRAINS), list(pressures.NOURISHERS), list(pressures.BUFFERS)

    def travel(site, now):  # same name as the registered draining factor
        """A second travel."""
        return 0.0

    with pytest.raises(ValueError, match="already registered"):
        register(0.01, max_weight=0.1, source="assumption")(travel)
    with pytest.raises(ValueError, match="already registered"):
        pressures.buffer(0.01, max_weight=0.1, source="assumption")(travel)
    assert (pressures.ALL, pressures.DRAINS, pressures.NOURISHERS, pressures.BUFFERS) == before


@pytest.mark.parametrize("factor", pressures.ALL, ids=lambda f: f.name)
def test_each_factor_is_documented_with_its_evidence(factor: pressures.Factor) -> None:
    """Each factor carries its mechanism (docstring), its evidence, and a default weight within its range."""
    assert factor.intensity.__doc__ and factor.description
    assert factor.description == factor.intensity.__doc__.strip().splitlines()[0]
    assert factor.source.strip()
    assert "assumption" in factor.source, "factor weights are not measured in the papers"
    assert 0 < factor.weight <= factor.max_weight


def test_units_and_columns_follow_the_kind() -> None:
    """A buffer's weight is a share of demands absorbed, a demand's or gain's is strain units; columns are prefixed
    by kind."""
    assert F["team_support"].unit == pressures.BUFFER_UNIT
    assert F["travel"].unit == F["client_job_starts"].unit == pressures.WEIGHT_UNIT
    assert F["team_support"].weekly_column == "buffer_team_support"
    assert F["travel"].weekly_column == "drain_travel"
    assert F["client_progress"].weekly_column == "nourish_client_progress"
    assert F["travel"].share_column == "drain_share_travel"


def test_buffers_can_never_absorb_every_demand() -> None:
    """Even at every buffer's largest weight and full intensity the absorbed share stays below 1, so buffered
    demands never turn into gains."""
    assert sum(f.max_weight for f in pressures.BUFFERS) < 1.0
    assert sum(f.weight for f in pressures.BUFFERS) < 1.0


# --- each factor: absent means 0 ----------------------------------------------------------------

ABSENT: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # name: (site overrides, ES overrides) under which the factor is absent
    "unprepared_context": ({"structures": 1.0, "manager_knowledge": 1.0}, {}),
    "caseload_size": ({}, {"caseload": 0}),
    "role_conflict": ({"record_access": 1.0, "ownership_clarity": 1.0}, {"clients_in_work": 0}),
    "client_setbacks": ({}, {"setbacks_this_week": 0, "jobs_lost_this_week": 0}),
    "travel": ({"travel_burden": 0.0}, {}),
    "unmet_expectations": ({"readiness": 1.0}, {"expected": 1.0}),
    "job_insecurity": ({}, {"contract_end": math.inf}),
    "resource_losses": ({"colleagues_lost": 0}, {"jobs_lost_this_week": 0}),
    "intrinsic_motivation": ({}, {"motivation": 0.0}),
    "client_job_starts": ({}, {"job_starts_this_week": 0}),
    "client_progress": ({}, {"clients_searching": 0}),
    "employer_and_nav_support": ({"employer_network": 0.0}, {}),
    "network_seminars": ({}, {}),  # not a seminar week
    "team_support": ({"colleagues": 0}, {}),
    "leader_support": ({"leadership": 0.0}, {}),
    "health_team_inclusion": ({"health_team_integration": 0.0}, {}),
}


def test_every_factor_has_an_absent_case() -> None:
    """A new factor must state here when it is absent (so the next test covers it)."""
    assert set(ABSENT) == set(F)


@pytest.mark.parametrize("name", sorted(ABSENT))
def test_intensity_is_zero_when_the_factor_is_absent(name: str) -> None:
    """Intensity 0 means the factor is absent: no strain added, removed or absorbed."""
    site_kw, es_kw = ABSENT[name]
    assert intensity(name, make_es(make_site(**site_kw), **es_kw)) == 0.0


@pytest.mark.parametrize("name", sorted(ABSENT))
def test_intensity_is_positive_in_the_default_fakes(name: str) -> None:
    """The counterpart of the absent case: with the factor present (an unprepared site, a short contract, events,
    a seminar week) it is felt, so the absent case above is not trivially 0."""
    es = make_es(make_site(colleagues_lost=1), caseload=25, setbacks_this_week=2, jobs_lost_this_week=1,
                 job_starts_this_week=1, contract_end=52)
    assert intensity(name, es, seminar=True) > 0.0


BOUNDED = [f.name for f in pressures.ALL
           if f.name not in {"client_setbacks", "client_job_starts", "resource_losses", "caseload_size"}]
"""Factors that are shares (0-1); the others count events or clients relative to the fidelity caseload."""


@pytest.mark.parametrize("name", BOUNDED)
@pytest.mark.parametrize("level", [0.0, 0.5, 1.0])
def test_bounded_factors_stay_between_0_and_1(name: str, level: float) -> None:
    """Share-like factors stay in 0-1 at any level of their inputs, including overfull caseloads and late weeks."""
    site = make_site(readiness=level, colleagues=int(level * 4), leadership=level, team_contact=level,
                     travel_burden=level, employer_network=level)
    es = make_es(site, caseload=int(40 * level), clients_in_work=int(40 * level),
                 clients_searching=int(40 * level), expected=level, motivation=level, contract_end=50)
    assert 0.0 <= intensity(name, es, week=int(100 * level), seminar=level > 0.5) <= 1.0


# --- each factor: direction and value -----------------------------------------------------------


def test_unprepared_context_falls_with_structures_and_manager_knowledge() -> None:
    """The share still missing of structures and managers' IPS knowledge: each part eases it, by half its weight."""
    assert at_site("unprepared_context", make_site(structures=0.2, manager_knowledge=0.6)) == pytest.approx(0.6)
    base = at_site("unprepared_context", make_site(structures=0.2, manager_knowledge=0.2))
    assert at_site("unprepared_context", make_site(structures=0.8, manager_knowledge=0.2)) < base
    assert at_site("unprepared_context", make_site(structures=0.2, manager_knowledge=0.8)) < base
    assert at_site("unprepared_context", make_site(readiness=0.0)) == 1.0


def test_unprepared_context_ignores_the_other_readiness_parts() -> None:
    """Record access and ownership are role_conflict's, health-team integration is health_team_inclusion's: each
    state enters strain through one factor, so they leave unprepared_context unchanged."""
    low = make_site(structures=0.3, manager_knowledge=0.3, record_access=0.0, ownership_clarity=0.0,
                    health_team_integration=0.0)
    high = make_site(structures=0.3, manager_knowledge=0.3, record_access=1.0, ownership_clarity=1.0,
                     health_team_integration=1.0)
    assert at_site("unprepared_context", low) == at_site("unprepared_context", high) == pytest.approx(0.7)


def test_role_conflict_is_the_mean_of_its_three_parts() -> None:
    """Missing record access, missing ownership clarity and the share of a full caseload in work, averaged."""
    es = make_es(make_site(record_access=0.4, ownership_clarity=0.7), clients_in_work=5)
    assert intensity("role_conflict", es) == pytest.approx((0.6 + 0.3 + 5 / CAP) / 3)
    # Each part raises it.
    base = intensity("role_conflict", make_es(make_site(record_access=0.5, ownership_clarity=0.5), clients_in_work=5))
    assert intensity("role_conflict", make_es(make_site(record_access=0.1, ownership_clarity=0.5),
                                              clients_in_work=5)) > base
    assert intensity("role_conflict", make_es(make_site(record_access=0.5, ownership_clarity=0.1),
                                              clients_in_work=5)) > base
    assert intensity("role_conflict", make_es(make_site(record_access=0.5, ownership_clarity=0.5),
                                              clients_in_work=15)) > base


def test_role_conflict_caps_clients_in_work_at_a_full_caseload() -> None:
    """Working clients above the cap add no more after-hours conflict than a full caseload in work."""
    site = make_site(record_access=1.0, ownership_clarity=1.0)
    assert intensity("role_conflict", make_es(site, clients_in_work=30)) == pytest.approx(1 / 3)


def test_role_conflict_reads_only_record_access_ownership_and_working_clients() -> None:
    """Structures, managers' knowledge, health-team integration, searching clients and caseload do not move it."""
    a = make_es(make_site(record_access=0.4, ownership_clarity=0.6, structures=0.0, manager_knowledge=0.0,
                          health_team_integration=0.0), clients_in_work=5, clients_searching=0, caseload=5)
    b = make_es(make_site(record_access=0.4, ownership_clarity=0.6, structures=1.0, manager_knowledge=1.0,
                          health_team_integration=1.0), clients_in_work=5, clients_searching=15, caseload=30)
    assert intensity("role_conflict", a) == intensity("role_conflict", b)


def test_unmet_expectations_is_the_shortfall_of_readiness_below_expectation() -> None:
    """max(0, expected - mean readiness): the mean of all five parts, not any single one."""
    site = make_site(manager_knowledge=0.0, health_team_integration=0.2, record_access=0.4, ownership_clarity=0.6,
                     structures=0.8)  # mean 0.4
    assert intensity("unmet_expectations", make_es(site, expected=0.9)) == pytest.approx(0.5)
    assert intensity("unmet_expectations", make_es(site, expected=0.4)) == 0.0
    # Readiness beyond expectations is no gain: the factor is never negative.
    assert intensity("unmet_expectations", make_es(site, expected=0.1)) == 0.0


def test_unmet_expectations_are_zero_at_a_prepared_site() -> None:
    """A fully prepared site disappoints no one, however high the ES's expectations."""
    assert intensity("unmet_expectations", make_es(make_site(readiness=1.0), expected=1.0)) == 0.0
    assert intensity("unmet_expectations", make_es(make_site(readiness=0.2), expected=1.0)) == pytest.approx(0.8)


def test_job_insecurity_is_zero_on_a_permanent_contract() -> None:
    """No contract end, no insecurity, however long the ES has been in post."""
    for week in (0, 50, 500):
        assert intensity("job_insecurity", make_es(start_week=0, contract_end=math.inf), week=week) == 0.0


def test_job_insecurity_rises_from_half_to_1_over_the_contract() -> None:
    """A short-term contract is insecure from its first day (1/2) and more so as its end draws near: half plus half
    the elapsed share, 1 at (and after) its end."""
    es = make_es(start_week=10, contract_end=60)
    assert intensity("job_insecurity", es, week=10) == 0.5
    assert intensity("job_insecurity", es, week=35) == pytest.approx(0.75)
    assert intensity("job_insecurity", es, week=60) == 1.0
    assert intensity("job_insecurity", es, week=80) == 1.0
    assert intensity("job_insecurity", es, week=5) == 0.5
    values = [intensity("job_insecurity", es, week=w) for w in range(10, 61, 5)]
    assert values == sorted(values) and len(set(values)) == len(values)


def test_job_insecurity_ends_when_the_contract_is_made_permanent() -> None:
    """A renewal clears the contract's end (``contract_end`` infinite): the insecurity goes at once, however late in
    the contract."""
    es = make_es(start_week=0, contract_end=50)
    assert intensity("job_insecurity", es, week=45) == pytest.approx(0.95)
    es.contract_end = math.inf
    assert intensity("job_insecurity", es, week=45) == 0.0


def test_resource_losses_count_lost_jobs_and_lost_colleagues() -> None:
    """Each client job lost this week and each colleague who left the site last week is one loss."""
    es = make_es(make_site(colleagues_lost=1), setbacks_this_week=2, jobs_lost_this_week=2)
    assert intensity("resource_losses", es) == 3
    assert intensity("resource_losses", make_es(make_site(colleagues_lost=2))) == 2
    assert intensity("resource_losses", make_es(jobs_lost_this_week=1, setbacks_this_week=1)) == 1


def test_client_setbacks_count_setbacks_that_kept_the_job() -> None:
    """A setback that cost the job is a resource loss, counted there and not again here."""
    assert intensity("client_setbacks", make_es(setbacks_this_week=3, jobs_lost_this_week=0)) == 3
    assert intensity("client_setbacks", make_es(setbacks_this_week=3, jobs_lost_this_week=1)) == 2
    assert intensity("client_setbacks", make_es(setbacks_this_week=1, jobs_lost_this_week=1)) == 0


def test_caseload_size_drains_at_any_size_in_proportion_to_the_fidelity_caseload() -> None:
    """Clients as a share of the fidelity caseload: a caseload at or below the cap drains too, and more clients
    drain more, above the fidelity caseload as below it."""
    assert intensity("caseload_size", make_es(caseload=5)) == pytest.approx(0.25)
    assert intensity("caseload_size", make_es(caseload=CAP)) == pytest.approx(1.0)
    assert intensity("caseload_size", make_es(caseload=30)) == pytest.approx(1.5)


def test_travel_is_the_sites_travel_burden() -> None:
    assert at_site("travel", make_site(travel_burden=0.9)) == 0.9


def test_team_support_is_zero_solo_and_rises_with_colleagues_and_contact() -> None:
    """c / (1 + c) with c = team contact x colleagues: a solo post has none, more colleagues or more contact help,
    with diminishing returns below 1."""
    def team(colleagues: int, contact: float) -> float:
        return at_site("team_support", make_site(colleagues=colleagues, team_contact=contact))

    assert team(0, 1.0) == 0.0
    assert team(1, 0.5) == pytest.approx(1 / 3)
    assert team(2, 0.5) == pytest.approx(0.5)
    assert 0.0 < team(1, 0.5) < team(2, 0.5) < team(4, 0.5) < 1.0
    # Seated apart (rare contact) supports less than seated together.
    assert team(2, 0.1) < team(2, 0.5) < team(2, 1.0) == pytest.approx(2 / 3)
    assert team(3, 0.0) == 0.0


def test_leader_support_is_the_sites_leadership_this_week() -> None:
    assert at_site("leader_support", make_site(leadership=0.65)) == 0.65


def test_health_team_inclusion_is_health_team_integration() -> None:
    low, high = make_site(health_team_integration=0.1), make_site(health_team_integration=0.8)
    assert at_site("health_team_inclusion", high) == 0.8 > at_site("health_team_inclusion", low) == 0.1


def test_employer_and_nav_support_is_the_sites_employer_network() -> None:
    """The network built by placements, read as is (its growth and fading live in Site.mature)."""
    assert at_site("employer_and_nav_support", make_site(employer_network=0.35)) == 0.35
    assert at_site("employer_and_nav_support", make_site(employer_network=1.0)) == 1.0


def test_client_job_starts_count_and_progress_is_a_share_of_the_caseload() -> None:
    """Job starts count events; searching clients nourish as a share of the caseload, whatever its size (its size
    is caseload_size's), and an empty caseload makes no progress."""
    assert intensity("client_job_starts", make_es(job_starts_this_week=2)) == 2
    assert intensity("client_progress", make_es(caseload=20, clients_searching=10)) == pytest.approx(0.5)
    assert intensity("client_progress", make_es(caseload=10, clients_searching=5)) == pytest.approx(0.5)
    assert intensity("client_progress", make_es(caseload=30, clients_searching=30)) == 1.0
    assert intensity("client_progress", make_es(caseload=0, clients_searching=0)) == 0.0


def test_client_progress_does_not_count_working_clients() -> None:
    """Working clients are role_conflict's (after-hours calls), not progress."""
    assert intensity("client_progress", make_es(clients_searching=5, clients_in_work=0)) == \
        intensity("client_progress", make_es(clients_searching=5, clients_in_work=15))


def test_seminars_nourish_only_in_seminar_weeks() -> None:
    assert at_site("network_seminars", make_site(), seminar=True) == 1.0
    assert at_site("network_seminars", make_site(), seminar=False) == 0.0


def test_motivation_is_what_is_left_of_the_endowment() -> None:
    assert intensity("intrinsic_motivation", make_es(motivation=0.83)) == 0.83


# --- strain dynamics --------------------------------------------------------------------------

DYN = StrainDynamics(recovery_rate=0.1, exhaustion=0.5, loss_spiral=0.4, motivation_erosion=0.02,
                     emotionality_effect=0.2)


def week(strain: float = 0.0, threshold: float = 1.0, ne: float = 0.0, absorbed: float = 0.0,
         demands: tuple[float, ...] = (0.05, 0.05), gains: tuple[float, ...] = (),
         dyn: StrainDynamics = DYN) -> tuple[float, list[float], list[float]]:
    """One ES's week: numbers in, the new strain and each factor's effective amount out (one row per factor)."""
    new, drains, refills = dyn.week(strain, threshold, ne, absorbed, np.array(demands), np.array(gains))
    return float(new), drains.tolist(), refills.tolist()


def test_buffers_absorb_their_share_of_every_demand() -> None:
    """Job Demands-Resources: with 30% absorbed, each demand drains 70% of what it drains unbuffered."""
    free, buffered = week(absorbed=0.0, demands=(0.04, 0.1)), week(absorbed=0.3, demands=(0.04, 0.1))
    assert free[1] == pytest.approx([0.04, 0.1])
    assert buffered[1] == pytest.approx([0.028, 0.07])
    assert buffered[0] == pytest.approx(0.098)
    assert buffered[0] < free[0]
    assert week(absorbed=1.0)[1] == [0.0, 0.0]


def test_buffers_do_not_touch_gains() -> None:
    """Buffers absorb demands only; a gain is the same whatever the site's buffers."""
    assert week(absorbed=0.0, gains=(0.05,))[2] == week(absorbed=0.5, gains=(0.05,))[2] == pytest.approx([0.05])


def test_negative_emotionality_amplifies_drain() -> None:
    """B22a: each SD of negative emotionality adds ``emotionality_effect`` of every demand."""
    assert week(ne=1.0)[1] == pytest.approx([0.06, 0.06])
    assert week(ne=-1.0)[1] == pytest.approx([0.04, 0.04])
    assert week(ne=2.0)[0] > week(ne=0.0)[0] > week(ne=-2.0)[0] > 0.0


def test_negative_emotionality_never_turns_demands_into_gains() -> None:
    """Even very low negative emotionality keeps a floor of 0.2 of each demand."""
    assert week(ne=-10.0)[1] == pytest.approx([0.01, 0.01])


def test_emotionality_and_buffers_multiply() -> None:
    """Emotionality scales the demand, buffers absorb a share of what is left."""
    assert week(ne=1.0, absorbed=0.5)[1] == pytest.approx([0.03, 0.03])


def test_recovery_at_full_resources_is_the_recovery_rate() -> None:
    """With no demands or gains and hardly any depletion, strain falls by about ``recovery_rate``."""
    new, drains, gains = week(strain=0.01, threshold=1000.0, demands=())
    assert new == pytest.approx(0.01 * 0.9, rel=1e-4)
    assert drains == [] and gains == []


def test_recovery_slows_with_depletion() -> None:
    """Exhaustion: from the same strain, a more depleted ES (lower threshold) recovers a smaller share."""
    def share_recovered(threshold: float) -> float:
        return 1.0 - week(strain=0.5, threshold=threshold, demands=())[0] / 0.5

    assert share_recovered(5.0) == pytest.approx(0.1 * (1 - 0.5 * 0.1))
    assert share_recovered(1.0) == pytest.approx(0.1 * (1 - 0.5 * 0.5))
    assert share_recovered(0.5) == pytest.approx(0.1 * (1 - 0.5))
    assert share_recovered(0.5) < share_recovered(1.0) < share_recovered(5.0)
    # Depletion is capped at 1: beyond the threshold the share recovered stays at its floor.
    assert share_recovered(0.25) == pytest.approx(share_recovered(0.5))


def test_without_exhaustion_recovery_does_not_depend_on_depletion() -> None:
    """exhaustion=0 switches the slowing off: every ES recovers ``recovery_rate`` of their strain."""
    dyn = StrainDynamics(recovery_rate=0.1, exhaustion=0.0, loss_spiral=0.4, motivation_erosion=0.02,
                         emotionality_effect=0.2)
    assert week(strain=0.5, threshold=0.5, demands=(), dyn=dyn)[0] == pytest.approx(0.45)
    assert week(strain=0.5, threshold=5.0, demands=(), dyn=dyn)[0] == pytest.approx(0.45)


def test_loss_spiral_weakens_gains_with_depletion() -> None:
    """Conservation of Resources: a gain keeps ``1 - loss_spiral x depleted`` of its size, capped at full depletion."""
    gains = (0.1, 0.02)
    calm = week(strain=0.0, demands=(), gains=gains)[2]
    half = week(strain=0.5, threshold=1.0, demands=(), gains=gains)[2]
    full = week(strain=1.0, threshold=1.0, demands=(), gains=gains)[2]
    beyond = week(strain=3.0, threshold=1.0, demands=(), gains=gains)[2]
    assert calm == pytest.approx([0.1, 0.02])
    assert half == pytest.approx([0.1 * 0.8, 0.02 * 0.8])
    assert full == pytest.approx([0.1 * 0.6, 0.02 * 0.6])
    assert beyond == pytest.approx(full)


def test_depletion_does_not_change_demands() -> None:
    """Demands drain the same at any depletion: only recovery and gains weaken."""
    assert week(strain=0.0)[1] == week(strain=0.9)[1] == pytest.approx([0.05, 0.05])


def test_strain_never_goes_negative() -> None:
    """Gains larger than the strain leave it at 0, not below."""
    assert week(strain=0.01, demands=(), gains=(1.0,))[0] == 0.0
    assert week(strain=0.0, demands=(0.01,), gains=(0.5,))[0] == 0.0


def test_effective_amounts_explain_the_change_in_strain() -> None:
    """Above the floor, new strain = old - recovery + sum of effective drains - sum of effective gains, exactly."""
    strain, threshold = 0.6, 1.2
    new, drains, gains = week(strain=strain, threshold=threshold, ne=0.5, absorbed=0.3,
                              demands=(0.05, 0.02, 0.03), gains=(0.01, 0.02))
    recovered = strain * 0.1 * (1 - 0.5 * strain / threshold)
    assert new > 0.0
    assert new == pytest.approx(strain - recovered + sum(drains) - sum(gains), abs=1e-12)
    assert len(drains) == 3 and len(gains) == 2
    assert sum(drains) == pytest.approx(0.1 * 1.1 * 0.7)
    assert sum(gains) == pytest.approx(0.03 * (1 - 0.4 * 0.5))


def test_motivation_erodes_in_proportion_to_depletion() -> None:
    """Intrinsic motivation loses ``motivation_erosion x depleted`` of itself a week; none at zero strain, and no
    more than the full rate beyond the threshold."""
    assert DYN.motivation_after(0.7, strain=0.0, threshold=1.0) == 0.7
    half = DYN.motivation_after(0.7, strain=0.5, threshold=1.0)
    full = DYN.motivation_after(0.7, strain=1.0, threshold=1.0)
    assert half == pytest.approx(0.7 * (1 - 0.02 * 0.5))
    assert full == pytest.approx(0.7 * (1 - 0.02))
    assert 0.7 - full == pytest.approx(2 * (0.7 - half))
    assert DYN.motivation_after(0.7, strain=5.0, threshold=1.0) == pytest.approx(full)
    # The same strain depletes a less resilient ES more.
    assert DYN.motivation_after(0.7, strain=0.5, threshold=0.5) < DYN.motivation_after(0.7, strain=0.5, threshold=2.0)


def test_the_strain_update_works_on_arrays_of_specialists() -> None:
    """The same arithmetic for many ES at once (one column each, one row per factor) gives, column by column, the
    numbers each ES gets alone."""
    rng = np.random.default_rng(5)
    strain, threshold, ne, absorbed = rng.random(6), 0.5 + rng.random(6), rng.normal(size=6), 0.3 * rng.random(6)
    demands, gains = 0.1 * rng.random((8, 6)), 0.1 * rng.random((5, 6))
    new, drains, refills = DYN.week(strain, threshold, ne, absorbed, demands, gains)
    motivation = DYN.motivation_after(rng.random(6), strain, threshold)
    for k in range(6):
        alone = DYN.week(strain[k], threshold[k], ne[k], absorbed[k], demands[:, k], gains[:, k])
        assert alone[0] == new[k]
        assert alone[1].tolist() == drains[:, k].tolist() and alone[2].tolist() == refills[:, k].tolist()
    assert motivation.shape == (6,)
