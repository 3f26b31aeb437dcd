"""The scenario schema (pydantic v2): every section and parameter of a scenario, with its evidence.

Every parameter is declared once, here, with its default, allowed range, unit, a one-line
description and its ``source`` (a citation or the word ``assumption``); validation, error
messages and the parameter table in ``docs/model.md`` all come from these declarations.
Citation keys: [M21] Moe et al. 2021, [B24] Butenko et al. 2024, [B22a] Butenko et al. 2022a,
[Moe25] Moe et al. 2025, [Reme19] Reme et al. 2019; see ``docs/model.md`` for full references.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, Field, create_model, model_validator

from simulation.core import levers, pressures
from simulation.core.params import ASSUMPTION, NAME_PATTERN, Schema, name_field, param

# --- people -----------------------------------------------------------------------------------


class Trait(Schema):
    """A trait drawn for each new ES from a normal distribution clipped to [low, high]."""

    mean: float
    sd: float
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.low <= self.mean <= self.high:
            raise ValueError(f"need low <= mean <= high, got low={self.low}, mean={self.mean}, high={self.high}")
        return self


class ShareTrait(Trait):
    """A trait on a 0-1 scale."""

    mean: float = Field(ge=0, le=1, description="mean of the normal distribution")
    sd: float = Field(ge=0, le=0.5, description="standard deviation before clipping")
    low: float = Field(ge=0, le=1, description="smallest value drawn (clip)")
    high: float = Field(ge=0, le=1, description="largest value drawn (clip)")


class ZScoreTrait(Trait):
    """A standardised trait (population mean 0, sd 1)."""

    mean: float = Field(ge=-3, le=3, description="mean of the normal distribution")
    sd: float = Field(ge=0, le=3, description="standard deviation before clipping")
    low: float = Field(ge=-10, le=0, description="smallest value drawn (clip)")
    high: float = Field(ge=0, le=10, description="largest value drawn (clip)")


class ThresholdTrait(Trait):
    """The quit threshold, in strain units (it must stay positive)."""

    mean: float = Field(ge=0.05, le=20, description="mean of the normal distribution")
    sd: float = Field(ge=0, le=10, description="standard deviation before clipping")
    low: float = Field(ge=0.01, le=20, description="smallest value drawn (clip)")
    high: float = Field(ge=0.05, le=50, description="largest value drawn (clip)")


class Staff(Schema):
    """Employment specialists: traits at hire, contracts, notice and recruitment."""

    quit_threshold: ThresholdTrait = param(
        ThresholdTrait(mean=2.25, sd=0.3, low=0.2, high=5.0),
        unit="strain units",
        description="the ES's stock of personal resources: a gradual quit follows when strain uses it up",
        source="mean: calibrated to B22a and B24 (posterior median, docs/validation.md); spread: assumption",
    )
    intrinsic_motivation: ShareTrait = param(
        ShareTrait(mean=0.7, sd=0.15, low=0.0, high=1.0),
        unit="0-1 scale",
        description="recovery-oriented motivation and faith in IPS",
        source="B24 (distribution: assumption)",
    )
    expected_readiness: ShareTrait = param(
        ShareTrait(mean=0.7, sd=0.15, low=0.0, high=1.0),
        unit="0-1 scale",
        description="the site readiness a new ES expects to find (systems in place, a team that knows IPS)",
        source="B24 ('betrayed expectancy' that systems would be in place; vague job adverts; distribution: "
               "assumption)",
    )
    negative_emotionality: ZScoreTrait = param(
        ZScoreTrait(mean=0.0, sd=1.0, low=-3.0, high=3.0),
        unit="z-score",
        description="negative emotionality (Big Five), standardised",
        source="B22a; B22b",
    )
    expectation_adjustment_weeks: float = param(
        52, ge=1, le=520, unit="weeks",
        description="e-folding time over which an ES's expectations adjust to the readiness they meet",
        source=ASSUMPTION,
    )
    experience_weeks: float = param(
        26, ge=1, le=520, unit="weeks",
        description="e-folding time for an ES to reach full effectiveness at finding jobs",
        source="M21 ('it just takes some time'; time scale: assumption)",
    )
    novice_effectiveness: float = param(
        0.5, ge=0, le=1, unit="multiplier",
        description="a new ES's job-finding rate relative to an experienced one",
        source=ASSUMPTION,
    )
    short_term_share: float = param(
        0.255, ge=0, le=1, unit="share of hires",
        description="share of new ES hired on short-term contracts",
        source="B24 (2 of 10 quits began with short-term contracts); 0.4.0's calibration (binomial kernel); not "
               "informed by the targets under the clustered kernel, so in effect an assumption (docs/validation.md)",
    )
    short_term_weeks_low: int = param(
        52, ge=1, le=520, unit="weeks", description="shortest short-term contract", source=ASSUMPTION
    )
    short_term_weeks_high: int = param(
        104, ge=1, le=520, unit="weeks", description="longest short-term contract", source=ASSUMPTION
    )
    renewal_probability: float = param(
        0.5, ge=0, le=1, unit="probability",
        description="chance a short-term contract is made permanent instead of ending; decided notice_weeks before "
                    "its end, when a contract not renewed is a shock that begins the ES's decision to leave",
        source="B24 (two leavers' quitting began with short-term contracts; every leaver quit voluntarily); "
               "chance: assumption",
    )
    notice_weeks: int = param(
        13, ge=0, le=52, unit="weeks",
        description="notice period worked between the decision to quit and leaving",
        source="3 months in the KS municipal agreement; 1 month minimum, Working Environment Act s.15-3",
    )
    supervisor_caseload_share: float = param(
        0.5, ge=0, le=1, unit="share of clients.caseload_cap",
        description="share of the caseload cap a dual-role supervisor carries (the rest of the post is supervision)",
        source="M21 (supervisors with a dual role as ES and supervisor); share: assumption",
    )
    supervisor_battles: float = param(
        1.5, ge=1, le=3, unit="multiplier",
        description="how much more of their site's unprepared context a dual-role supervisor feels (they shoulder "
                    "the implementation work themselves)",
        source="M21 (supervisors 'had to shoulder responsibilities for implementation and personal support which "
               "they felt belonged to health and NAV managers'); size: assumption",
    )
    vacant_supervisor_cover: float = param(
        0.5, ge=0, le=1, unit="share of the site's supervisor availability",
        description="leader support left at a site while its supervisor posts are empty (a manager or another "
                    "site's supervisor covers part)",
        source=ASSUMPTION,
    )
    recruitment_delay_weeks: float = param(
        10, ge=0, le=104, unit="weeks",
        description="mean time a vacancy stays open before the new ES starts (Poisson, at least 1)",
        source="assumption-grade: about 49 working days, US health services vacancy duration",
    )

    @model_validator(mode="after")
    def _contract_range(self) -> Self:
        if self.short_term_weeks_low > self.short_term_weeks_high:
            raise ValueError("need short_term_weeks_low <= short_term_weeks_high")
        return self


class Clients(Schema):
    """Job seekers on each ES's caseload: referrals and weekly transitions."""

    caseload_cap: int = param(
        20, ge=1, le=60, unit="clients per ES",
        description="most clients one ES takes on from referrals", source="IPS fidelity scale",
    )
    fidelity_caseload: int = param(
        20, ge=1, le=60, unit="clients per ES",
        description="the caseload the IPS fidelity scale rates highest (20 or fewer): the scale of caseload_size's "
                    "drain, and above it each client gets less time",
        source="IPS fidelity scale (caseloads of 20 or fewer rated highest; the scale as cited in M21, refs 46-48)",
    )
    time_per_client_effect: float = param(
        0.5, ge=0, le=2, unit="elasticity",
        description="how a client's chance of a job start falls above the fidelity caseload: multiplied by "
                    "(fidelity_caseload / caseload) to this power (0: no effect; 1: the ES's job starts do not grow "
                    "with more clients)",
        source="IPS fidelity scale (less time per client above 20); size: assumption",
    )
    transfer_overflow: int = param(
        5, ge=0, le=40, unit="clients per ES",
        description="extra clients above the cap a colleague takes over when an ES leaves",
        source=ASSUMPTION,
    )
    referrals_per_week: float = param(
        1.0, ge=0, le=10, unit="clients per ES per week",
        description="mean new referrals to an ES with room on the caseload (Poisson)", source=ASSUMPTION,
    )
    job_start_rate: float = param(
        0.015, ge=0, le=0.5, unit="per searching client per week",
        description="chance a searching client starts a job, for an experienced ES in an integrated team",
        source="anchored to Reme19 (36.6% in competitive work at 12 months); assumption",
    )
    integration_effect: float = param(
        0.5, ge=0, le=1, unit="multiplier",
        description="how much of the job-start rate is lost when the health team is not integrated",
        source="M21 (integration matters; size: assumption)",
    )
    setback_rate: float = param(
        0.03, ge=0, le=0.5, unit="per searching client per week",
        description="chance a searching client drops out of contact for a while",
        source="B24 (fluctuating illness; rate: assumption)",
    )
    working_setback_rate: float = param(
        0.01, ge=0, le=0.5, unit="per working client per week",
        description="chance a working client drops out of contact for a while",
        source="B24 (rate: assumption)",
    )
    job_loss_given_setback: float = param(
        0.5, ge=0, le=1, unit="probability",
        description="chance a working client's setback loses the job", source="B24 (size: assumption)",
    )
    return_rate: float = param(
        0.6, ge=0.01, le=1, unit="per client out of contact per week",
        description="chance a client out of contact comes back (mean absence about 1.7 weeks)",
        source="B24 ('one or two weeks')",
    )
    dropout_rate: float = param(
        0.01, ge=0, le=0.5, unit="per searching client per week",
        description="chance a searching client leaves the service", source=ASSUMPTION,
    )
    setback_dropout_rate: float = param(
        0.05, ge=0, le=0.5, unit="per client out of contact per week",
        description="chance a client out of contact leaves the service", source=ASSUMPTION,
    )
    support_end_rate: float = param(
        0.02, ge=0, le=0.5, unit="per working client per week",
        description="chance a working client's follow-along support ends: they leave the caseload, still in work "
                    "(followed afterwards; mean support about 50 weeks)",
        source="IPS fidelity scale: follow-along support is time-unlimited, about a year or more after steady work "
               "(figure not checked against the scale's text); rate: assumption",
    )


# --- the strain process and shocks ------------------------------------------------------------


class Strain(Schema):
    """How weekly pressures deplete and refill an ES's personal resources (see pressures.StrainDynamics)."""

    recovery_rate: float = param(
        0.04, ge=0, le=1, unit="share of strain per week",
        description="share of the strain an ES with full resources recovers each week", source=ASSUMPTION,
    )
    exhaustion: float = param(
        0.8, ge=0, le=1, unit="share",
        description="share of recovery lost when personal resources are fully depleted (recovery slows under "
                    "sustained strain)",
        source="COR loss spirals, Hobfoll et al. 2018; exhaustion in JD-R, Bakker & Demerouti 2007 (size: "
               "assumption)",
    )
    loss_spiral: float = param(
        0.5, ge=0, le=1, unit="share",
        description="share of every gain lost when personal resources are fully depleted (it takes resources to "
                    "gain resources)",
        source="COR loss spirals, Hobfoll et al. 2018 (size: assumption)",
    )
    motivation_erosion: float = param(
        0.01, ge=0, le=0.2, unit="share of motivation per week at full depletion",
        description="how fast intrinsic motivation, an endowment at hire, erodes while resources are depleted",
        source="B24 ('the process and system overshadowed my enthusiasm and commitment'; rate: assumption)",
    )
    emotionality_effect: float = param(
        0.2, ge=0, le=1, unit="per z-score",
        description="relative increase in drain per standard deviation of negative emotionality",
        source="B22a (beta +0.58 on intention to quit; size: assumption)",
    )


ORDINARY_REASONS = ("promotion", "moving", "retirement", "other")
"""The reasons for an ordinary exit, as spells.csv's ``ordinary_reason`` names them."""


class OrdinaryExits(Schema):
    """Leaving for reasons unrelated to strain: promotion, moving away, retirement and others. No lever changes it."""

    per_year: float = param(
        0.0515, ge=0, le=0.136, unit="exits per ES per year",
        description="weekly hazard of an ordinary exit, as a yearly rate; at most the all-cause municipal turnover",
        source="B24 (2 of 12 leavers promoted); 0.4.0's calibration (binomial kernel); not informed by the targets "
               "under the clustered kernel, so in effect an assumption (docs/validation.md); bounded by KS "
               "municipal turnover 12.2-13.6% a year",
    )
    promotion: float = param(
        0.4, ge=0, le=1, unit="share of ordinary exits", description="promoted within the service",
        source="B24 (the ordinary exits seen: 2 of 12 leavers); share: assumption",
    )
    moving: float = param(
        0.3, ge=0, le=1, unit="share of ordinary exits", description="moving away (a partner's job, family)",
        source=ASSUMPTION,
    )
    retirement: float = param(
        0.1, ge=0, le=1, unit="share of ordinary exits", description="retirement (B24's leavers were 32-58)",
        source=ASSUMPTION,
    )
    other: float = param(
        0.2, ge=0, le=1, unit="share of ordinary exits", description="study, parental or health leave, other",
        source=ASSUMPTION,
    )

    @model_validator(mode="after")
    def _shares_add_up(self) -> Self:
        total = sum(getattr(self, r) for r in ORDINARY_REASONS)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"the shares {', '.join(ORDINARY_REASONS)} must add up to 1, got {total:g}")
        return self

    def reason_edges(self) -> list[float]:
        """Cumulative shares of the reasons, in ORDINARY_REASONS order (a uniform draw below edge k is reason k)."""
        edges, total = [], 0.0
        for reason in ORDINARY_REASONS:
            total += getattr(self, reason)
            edges.append(total)
        return edges


class Shocks(Schema):
    """Shock events that can tip an ES into quitting (unfolding model of turnover)."""

    work_life_conflict_per_year: float = param(
        0.111, ge=0, le=2, unit="events per ES per year",
        description="rate of work-life conflicts",
        source="B24 (1 of 10 leavers); 0.4.0's calibration (binomial kernel); not informed by the targets under "
               "the clustered kernel, so in effect an assumption (docs/validation.md)",
    )
    reorganisation_per_region_year: float = param(
        0.395, ge=0, le=2, unit="events per region per year",
        description="rate of region-wide reorganisation decisions, each hitting reorganisation_reach of the "
                    "region's open sites in the same week",
        source="B24 (a managerial decision to move IPS delivery from health to NAV, a regional decision); 0.4.0's "
               "calibration (binomial kernel); not informed by the targets under the clustered kernel, so in "
               "effect an assumption (docs/validation.md)",
    )
    reorganisation_reach: float = param(
        0.25, ge=0, le=1, unit="share of the region's sites",
        description="chance each of the region's open sites is reorganised by a drawn region-wide decision",
        source="B24 (the move of IPS delivery from health to NAV concerned the sites where health delivered it; 8 of "
               "the 10 leavers were already employed by NAV); share: assumption",
    )
    strain_jump: float = param(
        0.5, ge=0, le=3, unit="share of the ES's quit threshold",
        description="strain added by a shock",
        source="unfolding model, Lee & Mitchell 1994 (size: assumption)",
    )
    direct_quit_probability: float = param(
        0.3, ge=0, le=1, unit="probability",
        description="chance a shock sends the ES straight to quitting, whatever their strain",
        source="unfolding model path 1, Lee & Mitchell 1994 (size: assumption)",
    )


# --- sites and their readiness ----------------------------------------------------------------


class Readiness(Schema):
    """A site's organisational readiness when it opens, each part 0 (absent) to 1 (fully in place)."""

    manager_knowledge: float = param(
        0.2, ge=0, le=1, unit="0-1 scale", description="local managers' knowledge of IPS",
        source="M21; B24 (level: assumption)",
    )
    health_team_integration: float = param(
        0.2, ge=0, le=1, unit="0-1 scale", description="ES integrated in and included by the health team",
        source="M21; Moe25 (level: assumption)",
    )
    record_access: float = param(
        0.2, ge=0, le=1, unit="0-1 scale", description="clarity on clinical-record access and confidentiality",
        source="M21; B24 (level: assumption)",
    )
    ownership_clarity: float = param(
        0.2, ge=0, le=1, unit="0-1 scale", description="clear local owner, operational policy and reporting",
        source="B24 (level: assumption)",
    )
    structures: float = param(
        0.2, ge=0, le=1, unit="0-1 scale", description="desk, team belonging and routines in place",
        source="B24 (level: assumption)",
    )


READINESS_PARTS = tuple(Readiness.model_fields)
"""The parts of a site's readiness, in the schema's order."""


class ReadinessDynamics(Schema):
    """How readiness is built by the service's work, won by successes, and lost with departures and
    reorganisations; and how the site's network of employers and NAV staff grows with placements."""

    maturation_rate: float = param(
        0.01, ge=0, le=0.2, unit="share of the remaining gap per week",
        description="structures, record access and ownership built by the service's work in a week with every "
                    "position filled and a fully available lead (about 16 months to close half the gap)",
        source="Moe25 (early problems largely resolved in the later wave); M21 ('it just takes some time'); "
               "rate: assumption",
    )
    leadership_effect: float = param(
        0.5, ge=0, le=1, unit="share",
        description="share of that work that needs an available lead: with none it goes this much slower",
        source="B24; M21 (leads who fight the battles against the systems; size: assumption)",
    )
    success_boost: float = param(
        0.01, ge=0, le=0.5, unit="share of the remaining gap per job start",
        description="managers' knowledge and health-team integration won by each client job start (their only "
                    "way to grow after the start, bar a fidelity review's clarity for managers)",
        source="M21 (success stories change minds; size: assumption)",
    )
    departure_loss: float = param(
        0.1, ge=0, le=1, unit="share lost per departure",
        description="knowledge, integration and ownership clarity lost when an ES leaves",
        source="Woltmann et al. 2008, cited in B24 (size: assumption)",
    )
    reorganisation_loss: float = param(
        0.3, ge=0, le=1, unit="share lost per reorganisation",
        description="ownership clarity and structures lost in a reorganisation",
        source="B24 (size: assumption)",
    )
    network_gain: float = param(
        0.03, ge=0, le=0.5, unit="share of the remaining gap per job start",
        description="employers' and NAV staff's goodwill won by each client job start at the site",
        source="B24 (open-minded employers, helpful NAV staff); M21 (success stories); size: assumption",
    )
    network_fade: float = param(
        0.005, ge=0, le=0.2, unit="share per week",
        description="share of the site's employer and NAV network that fades each week (contacts move on)",
        source=ASSUMPTION,
    )


class SiteSpec(Schema):
    """A local IPS service (or ``count`` identical ones), from the week it opens."""

    name: str = name_field("short name (a letter or digit first, then letters, digits, _ . -)")
    count: int = param(1, ge=1, le=100, unit="sites", description="number of identical sites", source=ASSUMPTION)
    positions: int = param(
        2, ge=1, le=50, unit="ES positions", description="full-time ES positions at the site",
        source="M21 (teams of 2-3 typical, some solo)",
    )
    supervisors: int = param(
        0, ge=0, le=50, unit="ES positions",
        description="how many of the positions are dual-role supervisors (an ES who also supervises: a smaller "
                    "caseload, the site's leader support); 0: supervised from elsewhere",
        source="M21 (11 of 45 positions were supervisors with a dual role)",
    )
    opens_week: int = param(
        0, ge=-520, le=1039, unit="weeks",
        description="week the site opens, on the observation window's clock (negative: before the window, in the "
                    "warm-up); its first ES start that week",
        source="M21 (the service grew from 4 to 14 sites in two years)",
    )
    opens_every_weeks: int = param(
        0, ge=0, le=520, unit="weeks", description="weeks between the openings of this entry's sites (count > 1)",
        source=ASSUMPTION,
    )
    later_positions: list[int] = Field(
        [], max_length=49,
        description="weeks after the site opens at which its later positions open, one number per position "
                    "(the team grows); the other positions open with the site",
        json_schema_extra={"unit": "weeks", "source": "M21 (turnover and expansion of teams); weeks: assumption"},
    )
    supervisor_availability: float = param(
        0.4, ge=0, le=1, unit="0-1 scale",
        description="how available a supervisor or lead is (0: none; dual-role supervisors are partly)",
        source="M21 (11 of 45 positions supervisors with a dual role; level: assumption)",
    )
    team_contact: float = param(
        0.5, ge=0, le=1, unit="0-1 scale",
        description="how often the site's ES actually meet (1: seated together)",
        source="M21 (usually seated in different health teams; level: assumption)",
    )
    travel_burden: float = param(
        0.7, ge=0, le=1, unit="0-1 scale", description="driving burden (1: remote rural, 0: compact town)",
        source="M21 (4.1 people per km2, an hour's drive across; level: assumption)",
    )
    job_market: float = param(
        0.8, ge=0.1, le=2, unit="multiplier", description="local job market relative to a typical town",
        source="M21 (fewer jobs in rural areas; size: assumption)",
    )
    employer_network: float = param(
        0.2, ge=0, le=1, unit="0-1 scale",
        description="goodwill of local employers and NAV front-line staff toward the service when the site opens",
        source="B24 (level: assumption)",
    )
    region: str = Field(
        "region", pattern=NAME_PATTERN,
        description="the region whose decisions (a reorganisation) the site shares with the region's other sites",
        json_schema_extra={"unit": "name", "source": "B24 (the move from health to NAV was a regional decision)"},
    )
    readiness: Readiness = param(
        Readiness(), unit="0-1 scale", description="organisational readiness when the site opens", source="M21; B24",
    )

    @model_validator(mode="after")
    def _positions_fit(self) -> Self:
        if self.supervisors > self.positions - len(self.later_positions):
            raise ValueError(f"supervisors ({self.supervisors}) must not exceed the positions that open with the site "
                             f"({self.positions - len(self.later_positions)}: positions less later_positions)")
        if len(self.later_positions) >= self.positions:
            raise ValueError(f"later_positions lists {len(self.later_positions)} positions; at most positions - 1 "
                             f"({self.positions - 1}) can open after the site, which opens with at least one")
        if any(w < 0 for w in self.later_positions):
            raise ValueError("later_positions are weeks after the site opens: each must be 0 or more")
        return self

    def opening_weeks(self) -> list[list[int]]:
        """For each of the entry's sites, the window week each position opens (the later ones last, in the order
        given; no_solo_posts' added positions open with the site)."""
        weeks = []
        for k in range(self.count):
            opens = self.opens_week + k * self.opens_every_weeks
            later = [opens + w for w in self.later_positions]
            weeks.append([opens] * (self.positions - len(later)) + later)
        return weeks


class ScheduledReorganisation(Schema):
    """A reorganisation decided for a region in a given week (e.g. IPS delivery moved from health to NAV, B24)."""

    week: int = param(
        1, ge=-520, le=1040, unit="weeks", description="window week the reorganisation happens", source=ASSUMPTION,
    )
    region: str = Field(
        "", description="the region it hits (a site's region); empty: every region", pattern=r"^$|" + NAME_PATTERN,
        json_schema_extra={"unit": "name", "source": "B24 (a regional decision)"},
    )
    reach: float = param(
        1.0, ge=0, le=1, unit="share of the region's sites",
        description="chance each of the region's open sites is reorganised (1: every one)",
        source=ASSUMPTION,
    )


# --- the start-up plan: levers a planner can pull [M21, B24] -----------------------------------

def _lever_field(lv: levers.Lever) -> Any:
    """A lever's section of the start-up plan; its JSON Schema also shows the priors of its effect sizes."""
    info = param(lv.default, unit="-", description=lv.description, source=lv.source)
    if lv.priors:
        info.json_schema_extra["priors"] = {name: prior.as_json() for name, prior in lv.priors.items()}
    return info


StartUpPlan = create_model(
    "StartUpPlan",
    __base__=Schema,
    __doc__="Every lever of the start-up plan [M21, B24] (declared in simulation.core.levers); all off in a plan "
            "that changes nothing.",
    **{lv.name: (lv.settings, _lever_field(lv)) for lv in levers.LEVERS},
)


PressureWeights = create_model(
    "PressureWeights",
    __base__=Schema,
    __doc__="Weight of each draining, nourishing and buffering factor (declared in simulation.core.pressures).",
    **{
        f.name: (
            float,
            param(f.weight, ge=0, le=f.max_weight, unit=f.unit, description=f.description, source=f.source),
        )
        for f in pressures.ALL
    },
)


MAX_SITE_ENTRIES = 1_000
"""The most entries a scenario's sites list may have (each may stand for up to 100 identical sites)."""
MAX_POSITIONS = 10_000
"""The most ES positions a scenario may have in all: a run holds every position's state, and the largest
programme studied had 45 positions (Moe et al. 2021); a region-wide rollout of hundreds fits well within it."""


class Scenario(Schema):
    """A whole simulated setting: the sites, their people and the start-up conditions."""

    name: str = name_field("short name used in output folder names (a letter or digit first, then letters, digits, "
                           "_ . -; at most 80 characters)")
    description: str = Field("", description="what the scenario represents")
    weeks: int = param(156, ge=1, le=1040, unit="weeks", description="simulated horizon", source=ASSUMPTION)
    cohort_window_weeks: int = param(
        104, ge=1, le=1040, unit="weeks",
        description="window of the cohort metrics: study_cohort_left_share (the ES in post at the window's start "
                    "gone by its end) and cohort_left_share (the run's first ES gone within it)",
        source="B22a (window not reported; two years is the default reading)",
    )
    reorganisations: list[ScheduledReorganisation] = Field(
        [], max_length=100, description="reorganisations decided for a region in a given week (besides those drawn)",
        json_schema_extra={"unit": "-", "source": "B24 (IPS delivery moved from health to NAV)"},
    )
    sites: list[SiteSpec] = Field(min_length=1, max_length=MAX_SITE_ENTRIES, description="the local IPS services")
    staff: Staff = param(Staff(), unit="-", description="employment specialists", source="see fields")
    clients: Clients = param(Clients(), unit="-", description="job seekers", source="see fields")
    strain: Strain = param(Strain(), unit="-", description="strain dynamics", source="see fields")
    shocks: Shocks = param(Shocks(), unit="-", description="shock events", source="see fields")
    ordinary_exits: OrdinaryExits = param(
        OrdinaryExits(), unit="-", description="exits unrelated to strain", source="see fields"
    )
    readiness: ReadinessDynamics = param(
        ReadinessDynamics(), unit="-", description="readiness dynamics", source="see fields"
    )
    start_up_plan: StartUpPlan = param(  # type: ignore[valid-type]
        StartUpPlan(), unit="-", description="the start-up plan's levers", source="see fields"
    )
    pressures: PressureWeights = param(  # type: ignore[valid-type]
        PressureWeights(), unit="-", description="factor weights", source="see fields"
    )

    @model_validator(mode="after")
    def _window_within_horizon(self) -> Self:
        if self.cohort_window_weeks > self.weeks:
            raise ValueError(f"cohort_window_weeks ({self.cohort_window_weeks}) must not exceed weeks ({self.weeks})")
        names = [s.name for s in self.sites]
        if len(set(names)) != len(names):
            raise ValueError("site names must be unique")
        regions = {s.region for s in self.sites}
        for k, r in enumerate(self.reorganisations):
            if r.region and r.region not in regions:
                raise ValueError(f"reorganisations[{k}].region '{r.region}' is no site's region; the sites' regions "
                                 f"are {', '.join(sorted(regions))}")
        for spec in self.sites:
            last = max(max(w) for w in spec.opening_weeks())
            if last >= self.weeks:
                raise ValueError(f"site '{spec.name}' has a position opening in week {last}, after the horizon "
                                 f"(weeks: {self.weeks})")
        if self.positions > MAX_POSITIONS:
            raise ValueError(f"the sites have {self.positions:,} positions in all; a scenario may have at most "
                             f"{MAX_POSITIONS:,} (the Northern Norway programme had 45)")
        return self

    @property
    def positions(self) -> int:
        return sum(s.positions * s.count for s in self.sites)

    @property
    def warm_up_weeks(self) -> int:
        """Weeks the model runs before the observation window opens: from the first site's opening (0 when no site
        opens before the window)."""
        return max(0, -min(spec.opens_week for spec in self.sites))


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file, for editors: the models' schema plus what the loader adds.

    The loader reads ``extends`` and ``replace_sites`` (which needs ``sites`` in the same file) and
    fills in a left-out ``name``; a file that extends another may leave out what it inherits (e.g. ``sites``).
    """
    schema = Scenario.model_json_schema()
    schema["properties"] = {
        "extends": {"type": "string", "minLength": 1,
                    "description": "scenario file this one overrides, relative to this file's folder"},
        "replace_sites": {"type": "boolean",
                          "description": "true: this file's sites replace the inherited list instead of merging "
                                         "into it by site name"},
        **schema["properties"],
    }
    for trait in Trait.__subclasses__():  # a partial trait keeps the field's defaults for the rest (Schema)
        schema["$defs"][trait.__name__].pop("required", None)
    required = [field for field in schema.pop("required") if field != "name"]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema,
            "dependentRequired": {"replace_sites": ["sites"]},
            "if": {"required": ["extends"]}, "else": {"required": required}}


REMOVED: dict[str, tuple[str, str]] = {
    "strain.loss_weight": (
        "0.2.0", "losses of resources weigh more through the factor pressures.resource_losses (a colleague leaves, a "
                 "client loses a job) and the reorganisation shock"),
    "strain.buffering": (
        "0.2.0", "each buffer has its own weight: pressures.team_support, pressures.leader_support, "
                 "pressures.health_team_inclusion"),
    "staff.expectation_gap": (
        "0.2.0", "staff.expected_readiness, the readiness a new ES expects to find (the gap is what they expect less "
                 "what they meet)"),
    "shocks.reorganisation_per_site_year": (
        "0.3.0", "a reorganisation is a region's decision: shocks.reorganisation_per_region_year and "
                 "shocks.reorganisation_reach (the share of the region's sites it hits), or one scheduled under "
                 "reorganisations"),
    "pressures.caseload_overflow": (
        "0.3.0", "the caseload drains at any size, as pressures.caseload_size (clients as a share of "
                 "clients.fidelity_caseload)"),
    "pressures.implementation_workload": ("0.2.0", "it is part of pressures.unprepared_context"),
    "pressures.absent_leadership": ("0.2.0", "leadership is one factor, the buffer pressures.leader_support"),
    "pressures.professional_isolation": ("0.2.0", "team contact is one factor, the buffer pressures.team_support"),
    "pressures.difficult_interactions": (
        "0.2.0", "the health team's part is the buffer pressures.health_team_inclusion, fluctuating clients "
                 "pressures.client_setbacks"),
}
"""Fields of earlier versions that are gone, by dotted path: the version that removed each and what replaces it
(CHANGELOG.md). A file that still sets one is told so by name (``removed``)."""


def removed(path: str) -> str | None:
    """What to tell a file that sets the removed field at dotted ``path``; None if the field was never removed."""
    if path not in REMOVED:
        return None
    version, instead = REMOVED[path]
    return f"removed in ipsim {version} (see CHANGELOG.md): {instead}"


# --- documentation ----------------------------------------------------------------------------


def bounds(model: type[BaseModel], name: str) -> tuple[Any, Any]:
    """The (ge, le) range the schema declares for a field; None where it declares no bound."""
    metadata = model.model_fields[name].metadata
    return (next((m.ge for m in metadata if getattr(m, "ge", None) is not None), None),
            next((m.le for m in metadata if getattr(m, "le", None) is not None), None))


OPEN_AT_ONCE: dict[str, Any] = {"opens_week": 0, "opens_every_weeks": 0, "later_positions": []}
"""A site entry's opening fields for every site and position opening in week 0 (no warm-up)."""


def opened_at_once(scenario: Scenario) -> Scenario:
    """``scenario`` with every site and position opening in week 0, with no warm-up: the same service started from
    nothing at once, every ES new when the window opens."""
    world = scenario.model_dump()
    for site in world["sites"]:
        site.update(OPEN_AT_ONCE)
    return Scenario.model_validate(world)


def effective(scenario: Scenario) -> Scenario:
    """The world as the start-up plan leaves it: every lever that is on applied (core.levers), in registry order."""
    return Scenario.model_validate(levers.world_with_plan(scenario.model_dump()))
