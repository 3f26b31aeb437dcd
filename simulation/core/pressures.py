"""Draining and nourishing factors: what wears an employment specialist (ES) down or builds them up.

Each factor is one small function registered with :func:`drain` or :func:`nourish`. It maps an
ES (or, for factors declared ``scope="site"``, the ES's site, evaluated once a week and shared by
its ES) and the week's service-wide values (``Week``, passed in) to an *intensity*, a dimensionless number that is 0 when the factor is absent and 1 at its
typical full strength (event factors count events). The
scenario gives each factor a *weight* in strain units per week at intensity 1; the weight's
default, range and source are declared here, once, next to the mechanism, and the scenario
schema (``simulation.core.scenario``), the record columns (``Factor.weekly_column``,
``Factor.share_column``), the docs table and the charts follow from this registry. Adding a factor
therefore touches this file only.

The factor list follows the qualitative evidence: Butenko et al. 2024 [B24] (draining and
nourishing factors behind ES turnover) and Moe et al. 2021 [M21] (early implementation
experiences, IPSNOR). Every weight is an ``assumption``: the papers name the factors but do not
measure their sizes, so the weights are open to sensitivity analysis and calibration.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from simulation.core.agents import EmploymentSpecialist, Site

FactorKind = Literal["drain", "nourish"]
Scope = Literal["specialist", "site"]
WEIGHT_UNIT = "strain units per week at intensity 1"


@dataclass(frozen=True)
class Week:
    """The service-wide values of one week that factors read, passed in by the model (so no factor reads the model)."""

    caseload_cap: int
    """clients.caseload_cap: most clients one ES takes on."""
    expectation_adjustment_weeks: float
    """staff.expectation_adjustment_weeks: how fast unmet expectations fade with tenure."""
    seminar: bool
    """A regional network seminar is held this week (the start-up plan's schedule)."""


@dataclass(frozen=True)
class Factor:
    """A named pressure on an ES, with the evidence behind it and its default weight."""

    name: str
    kind: FactorKind
    scope: Scope
    """'site' factors depend on the site alone: evaluated once per site and week, shared by its ES."""
    intensity: Callable[[EmploymentSpecialist, Week], float] | Callable[[Site, Week], float]
    weight: float
    max_weight: float
    source: str
    description: str
    buffers: bool = False
    """True for job resources that buffer demands (Job Demands-Resources model); site-scope only."""

    @property
    def weekly_column(self) -> str:
        """Its column in weekly.csv: the mean effective amount per ES who worked the week."""
        return f"{self.kind}_{self.name}"

    @property
    def share_column(self) -> str:
        """Its column in spells.csv (draining factors): its share of the ES's accumulated drain."""
        return f"drain_share_{self.name}"

    def __post_init__(self) -> None:
        if self.buffers and self.scope != "site":
            raise ValueError(f"{self.name}: buffering resources must be site-scope (evaluated once per site)")


DRAINS: list[Factor] = []
NOURISHERS: list[Factor] = []
ALL: list[Factor] = []
"""Every factor, draining ones first: the order of per-factor lists throughout the model."""


def _register(kind: FactorKind, weight: float, max_weight: float, source: str, scope: Scope, buffers: bool = False):
    def wrap(fn: Callable) -> Callable:
        description = (fn.__doc__ or fn.__name__).strip().splitlines()[0]
        factor = Factor(fn.__name__, kind, scope, fn, weight, max_weight, source, description, buffers)
        if any(f.name == factor.name for f in ALL):
            raise ValueError(f"a factor named {factor.name!r} is already registered")
        (DRAINS if kind == "drain" else NOURISHERS).append(factor)
        ALL[:] = DRAINS + NOURISHERS
        return fn

    return wrap


def drain(weight: float, *, max_weight: float, source: str, scope: Scope = "specialist"):
    """Register a draining factor (a job demand) with its default weight."""
    return _register("drain", weight, max_weight, source, scope)


def nourish(weight: float, *, max_weight: float, source: str, scope: Scope = "specialist", buffers: bool = False):
    """Register a nourishing factor (a resource) with its default weight."""
    return _register("nourish", weight, max_weight, source, scope, buffers)


# --- draining factors -------------------------------------------------------------------------


@drain(0.03, max_weight=0.2, source="B24; M21 (weight: assumption)", scope="site")
def unprepared_context(site: Site, now: Week) -> float:
    """Nothing in place at start: no desk or reporting line, managers who know little of IPS.

    Intensity is the share still missing of three readiness parts: structures in place,
    local managers' IPS knowledge, and clarity of ownership and operational policy.
    """
    r = site.readiness
    return 1.0 - (r.structures + r.manager_knowledge + r.ownership_clarity) / 3.0


@drain(0.03, max_weight=0.2, source="M21 (weight: assumption)", scope="site")
def implementation_workload(site: Site, now: Week) -> float:
    """Service development on top of client work: ES as 'pioneers' building two sectors' collaboration.

    The unfinished part of readiness is implementation work; an available supervisor who leads
    implementation takes part of it (M21), at most half (the half: assumption).
    """
    return (1.0 - site.readiness.mean()) * (1.0 - 0.5 * site.supervisor_availability)


@drain(0.03, max_weight=0.2, source="IPS fidelity scale caseload cap (weight: assumption)")
def caseload_overflow(es: EmploymentSpecialist, now: Week) -> float:
    """Clients taken over from a departed colleague above the caseload cap, as a share of the cap."""
    cap = now.caseload_cap
    return max(0, es.caseload - cap) / cap


@drain(0.02, max_weight=0.2, source="B24; M21 (weight: assumption)", scope="site")
def absent_leadership(site: Site, now: Week) -> float:
    """No one available who fights the battles against the systems or follows concerns up."""
    return 1.0 - site.supervisor_availability


@drain(0.03, max_weight=0.2, source="B24; M21 (weight: assumption)", scope="site")
def professional_isolation(site: Site, now: Week) -> float:
    """'A team-player without a team': the only ES at a site, or colleagues seated apart.

    Intensity 1 for a solo post, falling with the number of ES colleagues in post weighted by
    how often they actually meet (the site's ``team_contact``).
    """
    return 1.0 / (1.0 + site.team_contact * site.colleagues())


@drain(0.02, max_weight=0.2, source="B24; M21 (weight: assumption)")
def role_conflict(es: EmploymentSpecialist, now: Week) -> float:
    """Conflicting demands: unclear record access, unclear policy, and support needed outside 8-16.

    Mean of the missing record-access clarity, the missing ownership/policy clarity, and the
    share of a full caseload who are in work (employers and working clients call after hours).
    """
    r = es.site.readiness
    in_work = min(1.0, es.clients_in_work / now.caseload_cap)
    return ((1.0 - r.record_access) + (1.0 - r.ownership_clarity) + in_work) / 3.0


@drain(0.02, max_weight=0.2, source="B24 (weight: assumption)", scope="site")
def difficult_interactions(site: Site, now: Week) -> float:
    """Clinical leaders who see IPS as a burden and dismissive employers: the team not yet won over."""
    return 1.0 - site.readiness.health_team_integration


@drain(0.01, max_weight=0.1, source="B24 (weight per event: assumption)")
def client_setbacks(es: EmploymentSpecialist, now: Week) -> float:
    """A client disappears for a week or two, maybe losing an arranged job the ES must win back.

    Counts this week's setbacks; a lost job counts twice (the employer must be won back).
    Part of B24's 'difficult interactions', kept apart so quits can be traced to it.
    """
    return es.setbacks_this_week + es.jobs_lost_this_week


@drain(0.02, max_weight=0.2, source="M21 (weight: assumption)", scope="site")
def travel(site: Site, now: Week) -> float:
    """Long drives across a rural area to clients without a licence and to scattered employers."""
    return site.travel_burden


@drain(0.04, max_weight=0.2, source="B24; met-expectations research (weight: assumption)")
def unmet_expectations(es: EmploymentSpecialist, now: Week) -> float:
    """'What I thought was the dream job was a little different': the expectation gap.

    The ES's gap at hire, fading as expectations adjust with tenure (e-folding time from the
    scenario's ``staff.expectation_adjustment_weeks``).
    """
    return es.expectation_gap * math.exp(-es.tenure / now.expectation_adjustment_weeks)


# --- nourishing factors -----------------------------------------------------------------------


@nourish(0.06, max_weight=0.3, source="B24 (weight: assumption)")
def intrinsic_motivation(es: EmploymentSpecialist, now: Week) -> float:
    """Recovery-oriented motivation and faith in the IPS method (the ES's trait, 0-1)."""
    return es.motivation


@nourish(0.05, max_weight=0.3, source="M21; B24 (weight per job start: assumption)")
def client_job_starts(es: EmploymentSpecialist, now: Week) -> float:
    """'It is so worth it when you get a job for a person': this week's client job starts."""
    return es.job_starts_this_week


@nourish(0.03, max_weight=0.2, source="B24 (weight: assumption)")
def client_progress(es: EmploymentSpecialist, now: Week) -> float:
    """Clients engaged and moving toward work: searching or working clients as a share of the cap."""
    return min(1.0, es.clients_in_contact / now.caseload_cap)


@nourish(0.03, max_weight=0.2, source="B24 (weight: assumption)", buffers=True, scope="site")
def team_support(site: Site, now: Week) -> float:
    """Being part of a team of ES with whom to discuss cases (complement of isolation)."""
    contact = site.team_contact * site.colleagues()
    return contact / (1.0 + contact)


@nourish(0.03, max_weight=0.2, source="B24 (weight: assumption)", buffers=True, scope="site")
def leader_support(site: Site, now: Week) -> float:
    """Available, supportive leaders who follow up quickly."""
    return site.supervisor_availability


@nourish(0.03, max_weight=0.2, source="B24; M21 (weight: assumption)", buffers=True, scope="site")
def health_team_inclusion(site: Site, now: Week) -> float:
    """Invited to clinical meetings and treated as a colleague by the health team."""
    return site.readiness.health_team_integration


@nourish(0.15, max_weight=1.0, source="M21 (weight per seminar: assumption)", scope="site")
def network_seminars(site: Site, now: Week) -> float:
    """Regional network seminars where ES feel seen and part of something bigger (1 in a seminar week)."""
    return 1.0 if now.seminar else 0.0


@dataclass(frozen=True)
class StrainDynamics:
    """How a week's drain and nourishment change an ES's strain (parameters from the scenario).

    Demands are amplified by negative emotionality (B22a: beta +0.58 on intention to quit) and
    buffered by job resources (Job Demands-Resources model, Bakker & Demerouti 2007); losses
    weigh ``loss_weight`` times more than gains (Conservation of Resources, Hobfoll 1989);
    nourishment loses efficacy as strain nears the threshold (COR loss spiral, Hobfoll et al.
    2018); strain recovers by ``recovery_rate`` a week. All sizes are assumptions.
    """

    recovery_rate: float
    loss_weight: float
    buffering: float
    loss_spiral: float
    emotionality_effect: float

    def week(
        self,
        strain: float,
        threshold: float,
        negative_emotionality: float,
        resources: float,
        weighted: list[float],
        n_drains: int,
    ) -> tuple[float, list[float], list[float]]:
        """Return the new strain and the effective drain and nourishment of each factor.

        ``weighted`` holds each factor's weighted intensity, the ``n_drains`` draining ones
        first; ``resources`` is the mean intensity (0-1) of the buffering factors. Before the
        floor at zero, the new strain is the recovered strain plus the effective drains minus
        the effective nourishment.
        """
        emotionality = max(0.2, 1.0 + self.emotionality_effect * negative_emotionality)
        drain_mult = self.loss_weight * emotionality * (1.0 - self.buffering * resources)
        nourish_mult = 1.0 - self.loss_spiral * min(1.0, strain / threshold)
        eff_drains = [d * drain_mult for d in weighted[:n_drains]]
        eff_nourishers = [n * nourish_mult for n in weighted[n_drains:]]
        new = strain * (1.0 - self.recovery_rate) + sum(eff_drains) - sum(eff_nourishers)
        return max(0.0, new), eff_drains, eff_nourishers
