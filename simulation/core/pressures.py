"""Draining, nourishing and buffering factors: what wears an employment specialist (ES) down or builds them up.

Each factor is one small function registered with :func:`drain` (a job demand), :func:`nourish` (a gain of
resources) or :func:`buffer` (a job resource that absorbs part of every demand, as in the Job Demands-Resources
model). It maps an ES (or, for factors declared ``scope="site"``, the ES's site, evaluated once a week and shared
by its ES) and the week's service-wide values (``Week``, passed in) to an *intensity*, a dimensionless number that
is 0 when the factor is absent and 1 at its typical full strength (event factors count events). The scenario gives
each factor a *weight*: strain units per week at intensity 1 for a demand or a gain, the share of demands absorbed
at intensity 1 for a buffer. The weight's default, range and source are declared here, once, next to the
mechanism, and the scenario schema (``simulation.core.scenario``), the record columns (``Factor.weekly_column``,
``Factor.share_column``), the docs table and the charts follow from this registry. Adding a factor therefore
touches this file only.

The factor list follows the qualitative evidence: Butenko et al. 2024 [B24] (draining and nourishing factors
behind ES turnover) and Moe et al. 2021 [M21] (early implementation experiences, IPSNOR). Each underlying state
(team contact, supervisor availability, each readiness part, the caseload's states, the contract) enters strain
through one factor: a state and its opposite (isolation and team support) are one factor, not two mirrored ones.
The expectation gap compares the ES's expectation with the readiness met (see unmet_expectations).

Factors work on arrays: a factor function reads a *view* whose attributes are numbers or numpy arrays (``Sites``:
one entry per site; ``Specialists``: one entry per ES, with ``site`` giving each ES's site's values) and uses numpy
operations only, so that one call evaluates the factor for every ES of the run at once (the model's fused weekly
appraisal), and the same call on one ES's view, or on the agents themselves (a Site or an EmploymentSpecialist is a
view of numbers), is the per-agent evaluation of the same declaration (tests/core/test_fused.py checks they agree).
Every weight is an ``assumption``: the papers name the factors but do not measure their sizes, so the weights are
open to sensitivity analysis and calibration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

Values = float | np.ndarray
"""A factor's input or output: a number, or an array with one entry per ES (or per site) of a view."""


class Readiness(Protocol):
    """A site's readiness parts, each 0-1 (``agents.ReadinessState``)."""

    manager_knowledge: Values
    health_team_integration: Values
    record_access: Values
    ownership_clarity: Values
    structures: Values


class Sites(Protocol):
    """What site-scope factors read: this week's site state, one entry per site of the view."""

    readiness: Readiness
    met: Values
    """The readiness its ES meet this week: the mean of its parts."""
    travel_burden: Values
    employer_network: Values
    team_contact: Values
    colleagues: Values
    """ES colleagues each of the site's ES has (the site's other ES in post, including any in notice)."""
    colleagues_lost: Values
    """ES who left the site last week."""
    leadership: Values
    """Leader support this week (``agents.leader_support_now``)."""


class Specialists(Protocol):
    """What specialist-scope factors read: this week's ES state, one entry per ES of the view."""

    site: Sites
    """Each ES's site's values (one entry per ES)."""
    caseload: Values
    clients_in_work: Values
    clients_searching: Values
    job_starts_this_week: Values
    setbacks_this_week: Values
    jobs_lost_this_week: Values
    expected: Values
    motivation: Values
    start_week: Values
    contract_end: Values
    """The window week a short-term contract ends; infinite on a permanent (or renewed) contract."""


FactorKind = Literal["drain", "nourish", "buffer"]
Scope = Literal["specialist", "site"]
WEIGHT_UNIT = "strain units per week at intensity 1"
BUFFER_UNIT = "share of every demand absorbed at intensity 1"
UNITS: dict[FactorKind, str] = {"drain": WEIGHT_UNIT, "nourish": WEIGHT_UNIT, "buffer": BUFFER_UNIT}
"""What a factor's weight means, by kind: demands and gains add strain units, a buffer absorbs a share of demands."""


@dataclass(frozen=True)
class Week:
    """The service-wide values of one week that factors read, passed in by the model (so no factor reads the model)."""

    week: int
    """The window's week (a contract's elapsed share is read against it)."""
    fidelity_caseload: int
    """clients.fidelity_caseload: the caseload the IPS fidelity scale rates highest, the scale of caseload factors."""
    seminar: bool
    """A regional network seminar is held this week (the start-up plan's schedule)."""


@dataclass(frozen=True)
class Factor:
    """A named pressure on an ES, with the evidence behind it and its default weight."""

    name: str
    kind: FactorKind
    scope: Scope
    """'site' factors depend on the site alone: evaluated once per site and week, shared by its ES."""
    intensity: Callable[[Specialists, Week], Values] | Callable[[Sites, Week], Values]
    weight: float
    max_weight: float
    source: str
    description: str

    @property
    def weekly_column(self) -> str:
        """Its column in weekly.csv: for a demand or gain, the mean effective amount per ES who worked the week;
        for a buffer, its mean intensity (0-1)."""
        return f"{self.kind}_{self.name}"

    @property
    def share_column(self) -> str:
        """Its column in spells.csv (draining factors): its share of the ES's accumulated drain."""
        return f"drain_share_{self.name}"

    @property
    def unit(self) -> str:
        return UNITS[self.kind]

    def __post_init__(self) -> None:
        if self.kind == "buffer" and self.scope != "site":
            raise ValueError(f"{self.name}: buffering resources must be site-scope (evaluated once per site)")


DRAINS: list[Factor] = []
NOURISHERS: list[Factor] = []
BUFFERS: list[Factor] = []
ALL: list[Factor] = []
"""Every factor, draining ones first, then nourishing ones, then buffers: the order of per-factor lists throughout
the model."""


def _register(kind: FactorKind, weight: float, max_weight: float, source: str, scope: Scope):
    def wrap(fn: Callable) -> Callable:
        description = (fn.__doc__ or fn.__name__).strip().splitlines()[0]
        factor = Factor(fn.__name__, kind, scope, fn, weight, max_weight, source, description)
        if any(f.name == factor.name for f in ALL):
            raise ValueError(f"a factor named {factor.name!r} is already registered")
        {"drain": DRAINS, "nourish": NOURISHERS, "buffer": BUFFERS}[kind].append(factor)
        ALL[:] = DRAINS + NOURISHERS + BUFFERS
        return fn

    return wrap


def drain(weight: float, *, max_weight: float, source: str, scope: Scope = "specialist"):
    """Register a draining factor (a job demand) with its default weight (strain units a week at intensity 1)."""
    return _register("drain", weight, max_weight, source, scope)


def nourish(weight: float, *, max_weight: float, source: str, scope: Scope = "specialist"):
    """Register a nourishing factor (a gain of resources) with its default weight (strain units a week removed)."""
    return _register("nourish", weight, max_weight, source, scope)


def buffer(weight: float, *, max_weight: float, source: str):
    """Register a buffering job resource (Job Demands-Resources): at intensity 1 it absorbs ``weight`` of every
    demand. Site-scope: evaluated once per site and week."""
    return _register("buffer", weight, max_weight, source, "site")


# --- draining factors (job demands) --------------------------------------------------------------
# Each underlying state enters strain through one factor (tests/core/test_routes.py holds them to it).


@drain(0.05, max_weight=0.2, source="B24; M21 (weight: assumption)", scope="site")
def unprepared_context(site: Sites, now: Week) -> Values:
    """Nothing in place at start, and the ES left to build it: no desk or team belonging, managers who know little
    of IPS.

    Intensity is the share still missing of two readiness parts: structures in place and local managers' IPS
    knowledge. It includes M21's implementation work on top of client work ('pioneers of service development'):
    the work of building what is missing, which follows the same state and so is the same factor.
    """
    r = site.readiness
    return 1.0 - (r.structures + r.manager_knowledge) / 2.0


@drain(0.02, max_weight=0.2, source="IPS fidelity scale (caseloads of 20 or fewer rated highest); not named by B24 or "
                                    "M21 (weight: assumption)")
def caseload_size(es: Specialists, now: Week) -> Values:
    """The clients on the caseload, as a share of the fidelity caseload (``clients.fidelity_caseload``): 1 for a
    full caseload of 20, more above it (a higher cap, or clients taken over from a departed colleague).

    Every client takes time and attention, so the caseload drains at any size, not only above the cap; a larger
    caseload also gives each client less time, which lowers their chance of a job start
    (``clients.time_per_client_effect``).
    """
    return es.caseload / now.fidelity_caseload


@drain(0.04, max_weight=0.2, source="B24; M21 (weight: assumption)")
def role_conflict(es: Specialists, now: Week) -> Values:
    """Conflicting demands: unclear record access, unclear ownership and policy, and support needed outside 8-16.

    Mean of the missing record-access clarity, the missing ownership/policy clarity, and the share of a full
    fidelity caseload who are in work (employers and working clients call after hours).
    """
    r = es.site.readiness
    in_work = np.minimum(1.0, es.clients_in_work / now.fidelity_caseload)
    return ((1.0 - r.record_access) + (1.0 - r.ownership_clarity) + in_work) / 3.0


@drain(0.015, max_weight=0.1, source="B24 (weight per event: assumption)")
def client_setbacks(es: Specialists, now: Week) -> Values:
    """A client's illness fluctuates: they disappear for a week or two and the ES must win the employer back.

    Counts this week's setbacks that did not cost a job (a lost job is a loss of resources: resource_losses).
    Part of B24's 'difficult interactions'.
    """
    return es.setbacks_this_week - es.jobs_lost_this_week


@drain(0.03, max_weight=0.2, source="M21 (weight: assumption)", scope="site")
def travel(site: Sites, now: Week) -> Values:
    """Long drives across a rural area to clients without a licence and to scattered employers."""
    return site.travel_burden


@drain(0.04, max_weight=0.2, source="B24; met-expectations research, Wanous et al. 1992 (weight: assumption)")
def unmet_expectations(es: Specialists, now: Week) -> Values:
    """'What I thought was the dream job was a little different': what the ES expected to find, less what they meet.

    The ES's expectation of the site's readiness (drawn at hire, ``staff.expected_readiness``) less the readiness
    they actually meet (the mean of its parts this week, the site's ``met``), when positive. Expectations adjust
    toward what is met with tenure (the agent's ``expected``, e-folding time ``staff.expectation_adjustment_weeks``),
    so the gap fades. Its state is the ES's expectation:
    readiness is only what the expectation is measured against, so a prepared site leaves no gap and an ES who
    expected little meets none. This is the one factor that reads readiness parts another factor also reads, as a
    comparison; tests/core/test_routes.py checks it moves apart from them (no correlation above 0.95).
    """
    return np.maximum(es.expected - es.site.met, 0.0)


@drain(0.04, max_weight=0.2, source="Sverke, Hellgren & Naswall 2002, meta-analysis; Rubenstein et al. 2018, cited "
                                    "in B24 (weight: assumption)")
def job_insecurity(es: Specialists, now: Week) -> Values:
    """A short-term contract: insecure from its first day, more so as its end draws near.

    Intensity 1/2 at the start of the contract rising to 1 at its end (half plus half the elapsed share; the
    shape: assumption), 0 on a permanent contract or once the contract is made permanent (no end:
    ``contract_end`` infinite).
    """
    elapsed = (now.week - es.start_week) / (es.contract_end - es.start_week)
    return np.isfinite(es.contract_end) * (0.5 + 0.5 * np.minimum(1.0, np.maximum(0.0, elapsed)))


@drain(0.06, max_weight=0.3, source="Conservation of Resources: losses weigh more than gains, Hobfoll 1989; Hobfoll "
                                    "et al. 2018 (weight per loss: assumption)")
def resource_losses(es: Specialists, now: Week) -> Values:
    """Losing a resource: a colleague at the site left last week, or a client lost a job this week.

    Counts the losses. Its default weight per loss is above that of the matching gain (a client job start): in
    Conservation of Resources a loss weighs more than an equal gain. A reorganisation is a loss too; it is the
    shock 'reorganisation'.
    """
    return es.jobs_lost_this_week + es.site.colleagues_lost


# --- nourishing factors (gains of resources) -----------------------------------------------------------


@nourish(0.05, max_weight=0.3, source="B24 (weight: assumption)")
def intrinsic_motivation(es: Specialists, now: Week) -> Values:
    """Recovery-oriented motivation and faith in the IPS method: what is left of the ES's endowment at hire (0-1).

    An endowment, not a constant income: it erodes while personal resources are depleted
    (``strain.motivation_erosion``): 'the process and system overshadowed my enthusiasm and commitment' (B24).
    """
    return es.motivation


@nourish(0.04, max_weight=0.3, source="M21; B24 (weight per job start: assumption)")
def client_job_starts(es: Specialists, now: Week) -> Values:
    """'It is so worth it when you get a job for a person': this week's client job starts."""
    return es.job_starts_this_week


@nourish(0.02, max_weight=0.2, source="B24 (weight: assumption)")
def client_progress(es: Specialists, now: Week) -> Values:
    """Clients engaged and moving toward work: the share of the caseload searching in contact (not away after a
    setback, not yet in work).

    A share of the caseload, not of a full one, so that its size stays caseload_size's alone (one route per state).
    """
    return es.clients_searching / np.maximum(es.caseload, 1)  # an empty caseload has no one searching: 0


@nourish(0.02, max_weight=0.2, source="B24 (weight: assumption)", scope="site")
def employer_and_nav_support(site: Sites, now: Week) -> Values:
    """Helpful NAV front-line staff and open-minded employers: the site's network, built by successful placements.

    Intensity is the site's ``employer_network`` (0-1), which each client job start at the site raises and which
    fades without them (``readiness.network_gain``, ``readiness.network_fade``).
    """
    return site.employer_network


@nourish(0.15, max_weight=1.0, source="M21 (weight per seminar: assumption)", scope="site")
def network_seminars(site: Sites, now: Week) -> Values:
    """Regional network seminars where ES feel seen and part of something bigger (1 in a seminar week)."""
    return 1.0 if now.seminar else 0.0  # a week-wide value: the same for every site


# --- buffering job resources (Job Demands-Resources) --------------------------------------------------


@buffer(0.2, max_weight=0.3, source="B24; M21 (share absorbed: assumption)")
def team_support(site: Sites, now: Week) -> Values:
    """Being part of a team of ES with whom to discuss cases; its absence is B24's professional isolation.

    Intensity ``c / (1 + c)``, where ``c`` is the number of ES colleagues in post weighted by how often they
    actually meet (the site's ``team_contact``): 0 for a solo post ('I am a team-player but I do not feel I have a
    team', M21).
    """
    contact = site.team_contact * site.colleagues
    return contact / (1.0 + contact)


@buffer(0.2, max_weight=0.3, source="B24; M21 (share absorbed: assumption)")
def leader_support(site: Sites, now: Week) -> Values:
    """Available, supportive leaders who fight the battles and follow up quickly; absent leadership is its lack.

    Intensity is the site's leader support this week (``Site.leadership``, ``agents.leader_support_now``): its
    supervisor availability, less what is missing while its dual-role supervisor posts are empty
    (``staff.vacant_supervisor_cover``).
    """
    return site.leadership


@buffer(0.2, max_weight=0.3, source="B24; M21 (share absorbed: assumption)")
def health_team_inclusion(site: Sites, now: Week) -> Values:
    """Invited to clinical meetings and treated as a colleague by the health team; clinical leaders who see IPS as
    a burden (B24's difficult interactions) are its lack."""
    return site.readiness.health_team_integration


def sum_rows(rows: np.ndarray) -> Values:
    """The sum of the rows (factors) in their order, one column per ES: accumulated in sequence, so that one ES gets
    the same bits whether it is summed alone or among many (numpy's ``sum`` reorders a single column)."""
    return np.add.accumulate(rows, axis=0)[-1] if len(rows) else 0.0


FactorPlan = list[tuple[int, Callable, float]]
"""(index in ALL, intensity function, weight) of each factor of one scope, as the model evaluates them."""


def evaluate(plan: FactorPlan, view: Specialists | Sites, now: Week, out: np.ndarray) -> None:
    """Write each planned factor's intensity over ``view`` into its row of ``out`` (rows in ALL's order, one column
    per ES or site of the view; a week-wide value fills its row): one call of each factor function for the view."""
    for i, intensity, _ in plan:
        out[i] = intensity(view, now)


@dataclass(frozen=True)
class StrainDynamics:
    """How a week's demands, gains and buffers change an ES's strain: the depletion of their personal resources.

    Strain is the part of the ES's personal resources (energy, motivation, faith in the method) used up, in strain
    units; the ES's quit threshold is their whole stock, so ``strain / threshold`` is the share depleted and a
    gradual quit follows when it reaches 1 (resources exhausted). Demands are amplified by negative emotionality
    (B22a: beta +0.58 on intention to quit) and buffered by job resources: the buffers' weighted intensities are
    the share of every demand absorbed (Job Demands-Resources model, Bakker & Demerouti 2007). Gains refill
    resources, and recovery refills ``recovery_rate`` of the strain a week; both weaken as resources deplete
    (Conservation of Resources loss spirals, Hobfoll et al. 2018; exhaustion in the JD-R model): at full depletion
    gains are ``1 - loss_spiral`` and recovery ``1 - exhaustion`` of their full size, so sustained strain lasts
    even when the job gets easier. Intrinsic motivation is an endowment that erodes by
    ``motivation_erosion`` a week at full depletion. The emotionality multiplier ``1 + emotionality_effect * z``
    has a floor of 0.2 (a very calm ES still feels a fifth of the demands). All sizes are assumptions.
    """

    recovery_rate: float
    exhaustion: float
    loss_spiral: float
    motivation_erosion: float
    emotionality_effect: float

    def week(
        self,
        strain: Values,
        threshold: Values,
        negative_emotionality: Values,
        absorbed: Values,
        demands: np.ndarray,
        gains: np.ndarray,
    ) -> tuple[Values, np.ndarray, np.ndarray]:
        """Return the new strain and each demand's effective drain and each gain's effective amount.

        Pure arithmetic on arrays: ``strain``, ``threshold``, ``negative_emotionality`` and ``absorbed`` (the share
        of demands the buffers absorb this week, 0-1) hold one entry per ES (or are numbers, for one ES);
        ``demands`` and ``gains`` hold the draining and nourishing factors' weighted intensities, one row per
        factor (one column per ES). Before the floor at zero, the new strain is the strain less its recovery, plus
        the effective drains, less the effective gains (each summed over the factors in order).
        """
        depleted = np.minimum(strain / threshold, 1.0)
        multiplier = np.maximum(1.0 + self.emotionality_effect * negative_emotionality, 0.2) * (1.0 - absorbed)
        drains = demands * multiplier
        refills = gains * (1.0 - self.loss_spiral * depleted)
        recovered = strain * (1.0 - self.recovery_rate * (1.0 - self.exhaustion * depleted))
        new = recovered + sum_rows(drains) - sum_rows(refills)
        return np.maximum(new, 0.0), drains, refills

    def motivation_after(self, motivation: Values, strain: Values, threshold: Values) -> Values:
        """What is left of an ES's intrinsic motivation after a week at this strain (numbers or arrays per ES)."""
        return motivation * (1.0 - self.motivation_erosion * np.minimum(1.0, strain / threshold))
