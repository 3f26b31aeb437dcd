"""Start-up plan levers, each declared once, here: its settings, what it changes, which factors it moves.

A lever never cuts the quit rate directly. Each one changes the things the model's mechanisms
read (a site's readiness at start, its staffing, leadership, travel and team contact, the traits
and contracts of new hires, seminars, a review event), and the draining and nourishing factors
follow. One ``@lever(...)`` declaration gives:

- its **settings** (a ``Schema`` class with each field's default, range, unit and source), from
  which the scenario schema's ``start_up_plan`` section is generated (core.scenario);
- how it **changes the world** at the start (the decorated function, editing the scenario as plain
  data before validation), or for a scheduled lever what happens in the **week it acts**
  (``each_week``, returning the week's ``WeekEvents``);
- the **factors it moves** (``moves``: +1 more, -1 less), which tests/core/test_levers.py holds it to;
- how the bundled start-up plan sets it (``in_plan``, with a note), from which the lever files
  ``scenarios/levers/*.yaml`` are generated, and its **control** in the workshop app;
- the **prior** of each effect size (``priors``: a ``Prior`` per setting that says how strongly the lever acts,
  never one the planner chooses, such as a team's size or a seminar's interval), which ``--uncertainty`` draws
  from and the scenario schema shows.

Effect sizes are settings, each with its default, range and source; most are assumptions open to
sensitivity analysis. Their priors rest on the nearest published figures (../shared/domain.md, "Evidence that can
bound lever effect sizes"); where none exists the prior is wide, runs from no effect, and says so. Adding a lever touches this file only, unless it is a scheduled lever with a new kind of
event: that event then needs a field in ``WeekEvents``, its merge in ``week_events`` and what the model does
with it in ``IPSModel.step``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from simulation.core.params import Prior, Schema, param

Clock = Literal["service", "site"]
"""Which weeks a scheduled lever counts: the service's (the observation window's weeks) or each site's since it
opened."""
World = dict[str, Any]
"""A scenario as plain data (``Scenario.model_dump()``), which levers edit before validation."""


@dataclass(frozen=True)
class WeekEvents:
    """What the start-up plan's scheduled levers do in one week (the model acts on it)."""

    seminar: bool = False
    """A regional network seminar is held this week."""
    review_clarity_gain: float = 0.0
    """A fidelity review is held this week, closing this share of the ownership and knowledge gaps (0: none)."""


@dataclass(frozen=True)
class Control:
    """The lever's control in the workshop app: a checkbox on ``enabled``, or a whole-number slider on a field."""

    field: str = "enabled"
    label: str = ""
    """The slider's label (a checkbox is labelled with the lever's name)."""
    most: int | Literal["horizon"] | None = None
    """The slider's upper end when it is narrower than the schema's: a number of weeks, or the scenario's horizon."""
    said: tuple[str, str] = ("", "")
    """How the app's headline says a slider's setting: with its value (``{}``), and when it is 0."""


@dataclass(frozen=True)
class Lever:
    """A start-up plan lever, as declared with ``@lever``."""

    name: str
    settings: type[Schema]
    default: Schema
    """The settings of a plan that leaves the lever as it is (``enabled: false`` for a switch)."""
    description: str
    source: str
    moves: dict[str, int]
    """Factors the lever moves: +1 up, -1 down (at the start, or when a scheduled lever acts)."""
    doc: str
    """What it changes in the world, in words (the declaration's docstring)."""
    apply: Callable[[World, Any], None] | None
    """Edits the world at the start when the lever is on; None for a scheduled lever."""
    each_week: Callable[[Any, int], WeekEvents] | None
    """For a scheduled lever: what its settings make happen in a given week of its clock."""
    clock: Clock
    """The weeks ``each_week`` is given: the service's, or the site's since it opened (its events then act on it)."""
    in_plan: dict[str, Any]
    """How the bundled start-up plan (scenarios/startup-plan.yaml) sets it."""
    plan_note: str
    """Why the plan sets it so, for the generated lever file (e.g. which value is an assumption)."""
    control: Control = field(default_factory=Control)
    priors: dict[str, Prior] = field(default_factory=dict)
    """The prior of each effect-size setting, by field name (none for a setting the planner chooses)."""

    def is_on(self, settings: Schema) -> bool:
        """Whether these settings pull the lever (a switch is enabled; a scheduled lever differs from its default)."""
        if "enabled" in type(settings).model_fields:
            return bool(getattr(settings, "enabled"))
        return settings != self.default


LEVERS: list[Lever] = []


def lever(
    name: str,
    settings: type[Schema],
    *,
    description: str,
    source: str,
    moves: dict[str, int],
    in_plan: dict[str, Any],
    plan_note: str = "",
    defaults: dict[str, Any] | None = None,
    each_week: Callable[[Any, int], WeekEvents] | None = None,
    clock: Clock = "service",
    control: Control | None = None,
    priors: dict[str, Prior] | None = None,
) -> Callable[[Callable[[World, Any], None]], Callable[[World, Any], None]]:
    """Declare a lever: its settings class (with ``defaults`` overriding the class's own), the decorated
    function that changes the world at the start (its docstring says how), or ``each_week`` for a scheduled
    lever, the factors it moves, how the bundled plan sets it, its app control and its effect sizes' priors
    (each a number field of its settings)."""
    wrong = [k for k in priors or {} if settings.model_fields.get(k) is None
             or settings.model_fields[k].annotation not in (float, "float")]
    if wrong:
        raise ValueError(f"lever {name}: priors for {', '.join(wrong)}, which are not number settings of {settings.__name__}")

    def wrap(fn: Callable[[World, Any], None]) -> Callable[[World, Any], None]:
        LEVERS.append(Lever(
            name=name, settings=settings, default=settings(**(defaults or {})), description=description,
            source=source, moves=moves, doc=" ".join((fn.__doc__ or "").split()),
            apply=None if each_week else fn, each_week=each_week, clock=clock, in_plan=in_plan, plan_note=plan_note,
            control=control or Control(), priors=priors or {},
        ))
        return fn

    return wrap


def effect_priors() -> dict[str, Prior]:
    """Every lever effect size's prior, by its path in a scenario (``start_up_plan.<lever>.<setting>``)."""
    return {f"start_up_plan.{lv.name}.{name}": prior for lv in LEVERS for name, prior in lv.priors.items()}


def world_with_plan(world: World) -> World:
    """The world as the start-up plan leaves it: every lever that is on applied, in registry order."""
    plan = world["start_up_plan"]
    for lv in LEVERS:
        settings = lv.settings.model_validate(plan[lv.name])
        if lv.apply is not None and lv.is_on(settings):
            lv.apply(world, settings)
    return world


def week_events(plan: Schema, week: int, clock: Clock) -> WeekEvents:
    """What the plan's scheduled levers on ``clock`` do in its ``week``: the week's events merged over the levers."""
    seminar, gain = False, 0.0
    for lv in LEVERS:
        if lv.each_week is not None and lv.clock == clock:
            events = lv.each_week(getattr(plan, lv.name), week)
            seminar = seminar or events.seminar
            gain = max(gain, events.review_clarity_gain)
    return WeekEvents(seminar, gain)


# --- settings shared by several levers -----------------------------------------------------------------


class Switch(Schema):
    """A lever's settings: whether the plan pulls it, and (in subclasses) how strongly it acts."""

    enabled: bool = param(
        False, unit="yes/no", description="whether the start-up plan includes this lever",
        source="",  # the lever's own source, given where the plan lists it
    )


class ReadinessLevel(Switch):
    level: float = param(
        0.6, ge=0, le=1, unit="0-1 scale",
        description="the readiness part(s) the lever prepares start at least at this level",
        source="M21; B24 (level: assumption)",
    )


UNPREPARED = 0.2
"""A readiness part's level when nothing is prepared: the schema's default (core.scenario.Readiness; a test holds
the two together)."""


def up_to_half_again(no_effect: float, default: float, source: str, most: float = 1.0) -> Prior:
    """The prior of an effect size that no published figure bounds: uniform from no effect to half as much again
    as the default's effect (capped at ``most``), so its mean is three quarters of the default's and it gives no
    effect as much weight as the default."""
    high = min(most, default + 0.5 * (default - no_effect))
    return Prior("uniform", {"loc": no_effect, "scale": round(high - no_effect, 6)}, source)


def readiness_prior(default: float) -> dict[str, Prior]:
    """A preparation lever's prior on the level it brings its readiness part(s) to."""
    return {"level": up_to_half_again(UNPREPARED, default, (
        "M21 and B24 give the direction (unprepared sites drain ES), no size; uniform from no preparation (0.2) to "
        "half as much again as the default's rise: assumption"))}


def _raise_readiness(world: World, parts: tuple[str, ...], level: float) -> None:
    for site in world["sites"]:
        for part in parts:
            site["readiness"][part] = max(site["readiness"][part], level)


MET = {"unmet_expectations": -1}
"""Any readiness a lever prepares narrows the gap between what new ES expect to find and what they meet."""
CONTEXT_FACTORS = {"unprepared_context": -1, **MET}
"""What preparing structures or managers' knowledge moves: less unprepared context, a smaller expectation gap."""
ON = {"enabled": True}


# --- the levers [M21, B24] -------------------------------------------------------------------------------


class JobPreview(Switch):
    gap_reduction: float = param(
        0.3, ge=0, le=1, unit="share of what new ES expect",
        description="share by which an honest job preview lowers the readiness each new ES expects to find",
        source="realistic job previews have small effects on turnover (McEvoy & Cascio 1985; Earnest et al. "
               "2011; figures not checked); size: assumption, likely larger than those effects",
    )


@lever("realistic_job_preview", JobPreview, description="candidates told honestly about the pioneer role",
       source="B24", moves={"unmet_expectations": -1}, in_plan=ON,
       priors={"gap_reduction": Prior("beta", {"a": 2, "b": 6}, (
           "small: realistic job previews lower voluntary turnover a little (Phillips 1998; Earnest, Allen & Landis "
           "2011: direction checked, effect sizes to check); met expectations correlate r = .19 with staying "
           "(Wanous et al. 1992, checked against the abstract); one trial with new nurses, 8.5% against 17.8% quit, p <= .10 (Hom et "
           "al. 1998, checked), the upper end. Mean 0.25 (below the default's 0.3), 90% 0.05-0.52: assumption "
           "on those figures"))})
def realistic_job_preview(world: World, lv: JobPreview) -> None:
    """Candidates hear about the pioneer role: every hire expects less to be in place, so meets a smaller gap (B24)."""
    trait = world["staff"]["expected_readiness"]
    keep = 1.0 - lv.gap_reduction
    trait.update(mean=trait["mean"] * keep, low=trait["low"] * keep, high=trait["high"] * keep, sd=trait["sd"] * keep)


class TeamSize(Switch):
    minimum: int = param(
        2, ge=2, le=10, unit="ES positions",
        description="smallest team: sites with fewer positions get more (no solo posts)",
        source="M21 ('I am a team-player but I do not feel I have a team'); B24",
    )


@lever("no_solo_posts", TeamSize, description="a team of ES at every site", source="M21; B24",
       moves={"team_support": +1}, in_plan=ON)
def no_solo_posts(world: World, lv: TeamSize) -> None:
    """Sites below the minimum team size get positions up to it: nobody works alone (M21, B24)."""
    for site in world["sites"]:
        site["positions"] = max(site["positions"], lv.minimum)


class ImplementationLead(Switch):
    availability: float = param(
        0.8, ge=0, le=1, unit="0-1 scale",
        description="supervisor availability at every site once a lead fights the implementation battles",
        source="B24; M21 (level: assumption)",
    )


@lever("implementation_lead", ImplementationLead,
       description="a supervisor or project lead who leads implementation", source="B24; M21",
       moves={"leader_support": +1}, in_plan=ON,
       priors={"availability": Prior("uniform", {"loc": 0.3, "scale": 0.6}, (
           "leader support correlates about -.10 to -.25 with turnover, upper bounds of an effect (Griffeth, Hom & "
           "Gaertner 2000; Rubenstein et al. 2018: to check); leader-member exchange was not significantly related "
           "to actual turnover (Gerstner & Day 1997, checked against the abstract): uniform 0.3-0.9, from little more than a site's own "
           "supervisor to more than the default's 0.8: assumption"))})
def implementation_lead(world: World, lv: ImplementationLead) -> None:
    """A lead who fights the battles against the systems is available at every site (B24); the service's work
    then builds readiness faster too (``readiness.leadership_effect``)."""
    for site in world["sites"]:
        site["supervisor_availability"] = max(site["supervisor_availability"], lv.availability)


@lever("structures_in_place", ReadinessLevel, defaults={"level": 0.8},
       description="desk, team belonging and reporting routine in place before start (structures)",
       source="B24", moves=CONTEXT_FACTORS, in_plan=ON,
       priors=readiness_prior(0.8))
def structures_in_place(world: World, lv: ReadinessLevel) -> None:
    """Desk, team belonging and a reporting routine are ready before the ES starts (B24); who owns the service is
    the operational policy's part."""
    _raise_readiness(world, ("structures",), lv.level)


@lever("manager_training", ReadinessLevel, defaults={"level": 0.6},
       description="IPS training for local managers (manager_knowledge)", source="M21; B24",
       moves=CONTEXT_FACTORS, in_plan=ON,
       priors=readiness_prior(0.6))
def manager_training(world: World, lv: ReadinessLevel) -> None:
    """Local managers are trained in IPS before start (M21, B24)."""
    _raise_readiness(world, ("manager_knowledge",), lv.level)


@lever("anchored_agreements", ReadinessLevel, defaults={"level": 0.5},
       description="agreements reach local managers, not only the top (manager_knowledge, ownership_clarity)",
       source="B24", moves={**CONTEXT_FACTORS, "role_conflict": -1}, in_plan=ON,
       priors=readiness_prior(0.5))
def anchored_agreements(world: World, lv: ReadinessLevel) -> None:
    """Agreements reach local managers, not only the top: they know the service and who owns it (B24)."""
    _raise_readiness(world, ("manager_knowledge", "ownership_clarity"), lv.level)


@lever("health_team_preparation", ReadinessLevel, defaults={"level": 0.6},
       description="clinicians informed and ES invited to clinical meetings (health_team_integration)",
       source="M21; B24",
       moves={"health_team_inclusion": +1, **MET}, in_plan=ON,
       priors=readiness_prior(0.6))
def health_team_preparation(world: World, lv: ReadinessLevel) -> None:
    """Clinicians know an ES is coming and invite them to clinical meetings (M21, B24).

    Health-team integration also raises clients' chance of a job start (``clients.integration_effect``).
    """
    _raise_readiness(world, ("health_team_integration",), lv.level)


@lever("record_access_arrangement", ReadinessLevel, defaults={"level": 0.8},
       description="record-access and confidentiality arrangement (record_access)", source="M21; B24",
       moves={"role_conflict": -1, **MET}, in_plan=ON,
       priors=readiness_prior(0.8))
def record_access_arrangement(world: World, lv: ReadinessLevel) -> None:
    """Record access and confidentiality are settled: risk information is not missed (M21, B24)."""
    _raise_readiness(world, ("record_access",), lv.level)


@lever("operational_policy", ReadinessLevel, defaults={"level": 0.7},
       description="clear responsibilities and reporting (ownership_clarity)", source="B24",
       moves={"role_conflict": -1, **MET}, in_plan=ON,
       priors=readiness_prior(0.7))
def operational_policy(world: World, lv: ReadinessLevel) -> None:
    """Responsibilities and reporting lines are written down (B24)."""
    _raise_readiness(world, ("ownership_clarity",), lv.level)


class NetworkSeminars(Schema):
    every_weeks: int = param(
        26, ge=0, le=104, unit="weeks", description="weeks between regional network seminars (0: none)",
        source="M21 (seminars held; frequency: assumption)",
    )


def _seminar_week(lv: NetworkSeminars, week: int) -> WeekEvents:
    return WeekEvents(seminar=lv.every_weeks > 0 and week % lv.every_weeks == 0)


@lever("network_seminars", NetworkSeminars, description="regional network seminars", source="M21",
       moves={"network_seminars": +1}, in_plan={"every_weeks": 8}, each_week=_seminar_week,
       plan_note="about every two months (assumption; the baseline has 26)",
       control=Control("every_weeks", "Network seminar every N weeks (0: none)", most=52,
                       said=("network seminar every {} weeks", "no network seminars")))
def network_seminars(world: World, lv: NetworkSeminars) -> None:
    """More frequent regional seminars (``every_weeks``); the model holds them on schedule (M21)."""


class DigitalMeetings(Switch):
    travel_reduction: float = param(
        0.3, ge=0, le=1, unit="share of the travel burden",
        description="share of driving replaced by digital meetings", source="M21 (suggested; size: assumption)",
    )
    contact_gain: float = param(
        0.3, ge=0, le=1, unit="0-1 scale",
        description="added contact between a site's ES (capped at 1)", source="M21 (size: assumption)",
    )


@lever("digital_meetings", DigitalMeetings, description="digital meetings in rural areas", source="M21",
       moves={"travel": -1, "team_support": +1}, in_plan=ON,
       priors={name: up_to_half_again(0.0, 0.3, "M21 suggests it, with no size; uniform from none to 0.45: "
                                                "assumption") for name in ("travel_reduction", "contact_gain")})
def digital_meetings(world: World, lv: DigitalMeetings) -> None:
    """Digital meetings replace part of the driving and bring a site's ES together more often (M21)."""
    for site in world["sites"]:
        site["travel_burden"] *= 1.0 - lv.travel_reduction
        site["team_contact"] = min(1.0, site["team_contact"] + lv.contact_gain)


class FidelityReview(Schema):
    week: int = param(
        0, ge=0, le=1040, unit="weeks", description="week of each site's first fidelity review, counted from the "
                                                     "site's opening (0: none)",
        source="M21 (a review within the first year was hoped to lend ES authority)",
    )
    clarity_gain: float = param(
        0.5, ge=0, le=1, unit="share of the remaining gap",
        description="share of the missing ownership clarity and managers' knowledge the review closes",
        source="M21 (size: assumption)",
    )


def _review_week(lv: FidelityReview, week: int) -> WeekEvents:
    return WeekEvents(review_clarity_gain=lv.clarity_gain if lv.week and lv.week == week else 0.0)


@lever("fidelity_review", FidelityReview, description="a fidelity review that lends authority and clarity",
       source="M21", moves={"unprepared_context": -1, "role_conflict": -1, **MET},
       in_plan={"week": 40}, each_week=_review_week, clock="site",
       priors={"clarity_gain": up_to_half_again(0.0, 0.5, (
           "supportive fidelity monitoring went with better staff retention (Aarons et al. 2009, checked against the abstract: direction "
           "only, no figure); uniform from none to 0.75: assumption"))},
       plan_note="within each site's first year (week 40: assumption)",
       control=Control("week", "Fidelity review in week (0: none)", most="horizon",
                       said=("fidelity review in week {}", "no fidelity review")))
def fidelity_review(world: World, lv: FidelityReview) -> None:
    """A review ``week`` weeks after each site opens lends it authority and clarity; the model holds it then (M21)."""


@lever("permanent_contracts", Switch,
       description="every ES on a permanent contract (no job insecurity, no contract that is not renewed)",
       source="B24; Sverke et al. 2002", moves={"job_insecurity": -1}, in_plan=ON)
def permanent_contracts(world: World, lv: Switch) -> None:
    """Every ES is hired permanently: no job insecurity as a contract's end nears, and no contract left unrenewed,
    the shock that began two of B24's ten quits."""
    world["staff"]["short_term_share"] = 0.0
