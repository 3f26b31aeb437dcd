"""Each draining and nourishing factor, the factor registry, and the strain dynamics."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from simulation.core import pressures
from simulation.core.agents import ReadinessState
from simulation.core.pressures import StrainDynamics

F = {f.name: f for f in pressures.ALL}


def make_site(readiness: float = 0.2, colleagues: int = 2, **kw: float) -> SimpleNamespace:
    site = SimpleNamespace(
        readiness=ReadinessState(*(kw.pop(p, readiness) for p in (
            "manager_knowledge", "health_team_integration", "record_access", "ownership_clarity", "structures"))),
        supervisor_availability=kw.pop("supervisor_availability", 0.4),
        team_contact=kw.pop("team_contact", 0.5),
        travel_burden=kw.pop("travel_burden", 0.7),
        seminar=kw.pop("seminar", False),
    )
    site.colleagues = lambda: colleagues
    assert not kw, kw
    return site


def make_es(site: SimpleNamespace | None = None, **kw: float) -> SimpleNamespace:
    values = {"caseload": 20, "clients_in_work": 5, "clients_in_contact": 15, "job_starts_this_week": 0,
                  "setbacks_this_week": 0, "jobs_lost_this_week": 0, "tenure": 10, "expectation_gap": 0.5, "motivation": 0.7}
    values.update(kw)
    return SimpleNamespace(site=site or make_site(), **values)


def week_values(site: SimpleNamespace) -> pressures.Week:
    """The week's service-wide values the model passes in: a caseload cap of 20, a year to adjust expectations."""
    return pressures.Week(caseload_cap=20, expectation_adjustment_weeks=52, seminar=site.seminar)


def intensity(name: str, es: SimpleNamespace) -> float:
    factor = F[name]
    return factor.intensity(es.site if factor.scope == "site" else es, week_values(es.site))


def at_site(name: str, site: SimpleNamespace) -> float:
    return F[name].intensity(site, week_values(site))


# --- the registry -----------------------------------------------------------------------------

REQUIRED_DRAINS = {"unprepared_context", "implementation_workload", "absent_leadership", "professional_isolation",
                   "role_conflict", "difficult_interactions", "client_setbacks", "travel", "unmet_expectations"}
REQUIRED_NOURISHERS = {"client_job_starts", "client_progress", "team_support", "leader_support",
                       "health_team_inclusion", "network_seminars", "intrinsic_motivation"}


def test_registry_holds_every_factor_named_by_the_evidence() -> None:
    assert REQUIRED_DRAINS <= {f.name for f in pressures.DRAINS}
    assert REQUIRED_NOURISHERS <= {f.name for f in pressures.NOURISHERS}
    assert len({f.name for f in pressures.ALL}) == len(pressures.ALL)
    assert pressures.ALL == pressures.DRAINS + pressures.NOURISHERS


@pytest.mark.parametrize("factor", pressures.ALL, ids=lambda f: f.name)
def test_each_factor_is_documented_with_its_evidence(factor: pressures.Factor) -> None:
    assert factor.intensity.__doc__ and factor.description
    assert factor.source.strip()
    assert "assumption" in factor.source, "factor weights are not measured in the papers"
    assert 0 <= factor.weight <= factor.max_weight


def test_buffering_resources_are_the_job_resources() -> None:
    assert {f.name for f in pressures.ALL if f.buffers} == {"team_support", "leader_support", "health_team_inclusion"}
    with pytest.raises(ValueError, match="site-scope"):
        pressures.Factor("x", "nourish", "specialist", lambda es: 0.0, 0.1, 1.0, "assumption", "x", buffers=True)


# --- each factor: range and direction ---------------------------------------------------------

BOUNDED = [f.name for f in pressures.ALL if f.name not in {"client_setbacks", "client_job_starts"}]


@pytest.mark.parametrize("name", BOUNDED)
@pytest.mark.parametrize("level", [0.0, 0.5, 1.0])
def test_bounded_factors_stay_between_0_and_1(name: str, level: float) -> None:
    site = make_site(readiness=level, colleagues=int(level * 4), supervisor_availability=level, team_contact=level,
                     travel_burden=level, seminar=level > 0.5)
    es = make_es(site, caseload=int(20 * level), clients_in_work=int(20 * level), clients_in_contact=int(20 * level),
                 expectation_gap=level, motivation=level, tenure=int(100 * level))
    assert 0.0 <= intensity(name, es) <= 1.0


@pytest.mark.parametrize("name", ["unprepared_context", "implementation_workload", "role_conflict",
                                  "difficult_interactions"])
def test_readiness_eases_context_drains(name: str) -> None:
    assert intensity(name, make_es(make_site(readiness=0.9))) < intensity(name, make_es(make_site(readiness=0.1)))


def test_health_team_inclusion_grows_with_integration() -> None:
    low, high = make_site(health_team_integration=0.1), make_site(health_team_integration=0.8)
    assert at_site("health_team_inclusion", high) == 0.8 > at_site("health_team_inclusion", low)


def test_leadership_absent_drains_and_present_nourishes() -> None:
    none, full = make_site(supervisor_availability=0.0), make_site(supervisor_availability=1.0)
    assert at_site("absent_leadership", none) == 1.0 and at_site("absent_leadership", full) == 0.0
    assert at_site("leader_support", full) == 1.0 and at_site("leader_support", none) == 0.0
    # A supervisor who leads implementation takes part of the implementation work.
    assert at_site("implementation_workload", full) < at_site("implementation_workload", none)


def test_isolation_is_total_for_a_solo_post_and_falls_with_colleagues() -> None:
    solo, pair, trio = (make_site(colleagues=n, team_contact=0.5) for n in (0, 1, 2))
    def iso(site: SimpleNamespace) -> float:
        return at_site("professional_isolation", site)

    def team(site: SimpleNamespace) -> float:
        return at_site("team_support", site)

    assert iso(solo) == 1.0 > iso(pair) > iso(trio)
    assert team(solo) == 0.0 < team(pair) < team(trio)
    # Seated apart (rare contact) is lonelier than seated together.
    assert iso(make_site(colleagues=2, team_contact=0.1)) > iso(make_site(colleagues=2, team_contact=1.0))


def test_travel_is_the_sites_travel_burden() -> None:
    assert at_site("travel", make_site(travel_burden=0.9)) == 0.9


def test_role_conflict_rises_with_clients_in_work() -> None:
    assert intensity("role_conflict", make_es(clients_in_work=15)) > intensity("role_conflict", make_es(clients_in_work=0))


def test_client_setbacks_count_lost_jobs_twice() -> None:
    assert intensity("client_setbacks", make_es(setbacks_this_week=2, jobs_lost_this_week=0)) == 2
    assert intensity("client_setbacks", make_es(setbacks_this_week=2, jobs_lost_this_week=1)) == 3


def test_unmet_expectations_fade_with_tenure_and_scale_with_the_gap() -> None:
    new, settled = make_es(tenure=0, expectation_gap=0.6), make_es(tenure=104, expectation_gap=0.6)
    assert intensity("unmet_expectations", new) == pytest.approx(0.6)
    assert intensity("unmet_expectations", settled) < 0.2 * intensity("unmet_expectations", new)
    assert intensity("unmet_expectations", make_es(tenure=0, expectation_gap=0.0)) == 0.0


def test_caseload_overflow_only_above_the_cap() -> None:
    assert intensity("caseload_overflow", make_es(caseload=20)) == 0.0
    assert intensity("caseload_overflow", make_es(caseload=25)) == pytest.approx(0.25)


def test_client_successes_and_progress_nourish() -> None:
    assert intensity("client_job_starts", make_es(job_starts_this_week=2)) == 2
    assert intensity("client_progress", make_es(clients_in_contact=20)) == 1.0
    assert intensity("client_progress", make_es(clients_in_contact=5)) == 0.25


def test_seminars_nourish_only_in_seminar_weeks() -> None:
    assert at_site("network_seminars", make_site(seminar=True)) == 1.0
    assert at_site("network_seminars", make_site(seminar=False)) == 0.0


def test_motivation_is_the_trait() -> None:
    assert intensity("intrinsic_motivation", make_es(motivation=0.83)) == 0.83


# --- strain dynamics --------------------------------------------------------------------------

DYN = StrainDynamics(recovery_rate=0.05, loss_weight=1.5, buffering=0.5, loss_spiral=0.3, emotionality_effect=0.2)
N_DRAIN = 2


def week(strain: float = 0.0, resources: float = 0.0, drain: float = 0.1, nourish: float = 0.0,
         ne: float = 0.0, dyn: StrainDynamics = DYN) -> tuple[float, list[float], list[float]]:
    return dyn.week(strain, 1.0, ne, resources, [drain / 2, drain / 2, nourish], N_DRAIN)


def test_losses_weigh_more_than_gains() -> None:
    """Conservation of Resources: equal drain and nourishment still add strain."""
    assert week(drain=0.1, nourish=0.1)[0] > 0.0


def test_resources_buffer_demands() -> None:
    """Job Demands-Resources: the same demands drain less with full resources."""
    assert week(resources=1.0)[0] < week(resources=0.0)[0]
    assert sum(week(resources=1.0)[1]) == pytest.approx(0.5 * sum(week(resources=0.0)[1]))


def test_loss_spiral_weakens_nourishment_near_the_threshold() -> None:
    calm, strained = week(strain=0.0, drain=0.0, nourish=0.1), week(strain=1.0, drain=0.0, nourish=0.1)
    assert strained[2][0] == pytest.approx(0.7 * calm[2][0])


def test_strain_recovers_and_never_goes_negative() -> None:
    assert week(strain=0.5, drain=0.0)[0] == pytest.approx(0.5 * 0.95)
    assert week(strain=0.01, drain=0.0, nourish=1.0)[0] == 0.0


def test_negative_emotionality_amplifies_drain() -> None:
    assert week(ne=2.0)[0] > week(ne=0.0)[0] > week(ne=-2.0)[0] > 0.0


def test_effective_amounts_explain_the_change_in_strain() -> None:
    new, drains, nourishers = week(strain=0.4, resources=0.3, drain=0.2, nourish=0.05, ne=0.5)
    assert new == pytest.approx(0.4 * 0.95 + sum(drains) - sum(nourishers))
