"""The agents: IPS sites (with their organisational readiness) and employment specialists."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa

from simulation.core import pressures, records
from simulation.core import scenario as sc

if TYPE_CHECKING:
    from simulation.core.model import IPSModel

KNOWLEDGE_PARTS = ("manager_knowledge", "health_team_integration", "ownership_clarity")
"""Readiness held in people's heads: eroded when an ES leaves (lost organisational knowledge)."""
PERSUADED_PARTS = ("manager_knowledge", "health_team_integration")
"""Readiness won by success stories: clients' job starts change managers' and clinicians' minds (M21). After the
start (and the levers that prepare it) these parts grow only this way, and managers' knowledge by a fidelity review."""
WORKED_PARTS = ("record_access", "ownership_clarity", "structures")
"""Readiness built by the service's own work: ES in post and a lead who fights the battles (M21, B24)."""
REORGANISED_PARTS = ("ownership_clarity", "structures")
"""Readiness set back by a reorganisation: who owns the service, desks and routines (B24)."""
REVIEWED_PARTS = ("ownership_clarity", "manager_knowledge")
"""Readiness a fidelity review clarifies: who owns the service and what managers know of IPS (M21)."""


@dataclass
class ReadinessState:
    """A site's current organisational readiness, each part 0-1 (see scenario.Readiness)."""

    manager_knowledge: float
    health_team_integration: float
    record_access: float
    ownership_clarity: float
    structures: float

    def values(self) -> tuple[float, float, float, float, float]:
        """The parts in the schema's order (scenario.READINESS_PARTS)."""
        return (self.manager_knowledge, self.health_team_integration, self.record_access, self.ownership_clarity,
                self.structures)

    def mean(self) -> float:
        return sum(self.values()) / 5.0

    def scale(self, parts: tuple[str, ...], keep: float) -> None:
        for part in parts:
            setattr(self, part, getattr(self, part) * keep)

    def close_gap(self, parts: tuple[str, ...], share: float) -> None:
        for part in parts:
            value = getattr(self, part)
            setattr(self, part, value + (1.0 - value) * share)


class Site(mesa.Agent):
    """A local IPS service from the week it opens: its positions, leadership, travel, job market and readiness."""

    model: IPSModel

    def __init__(self, model: IPSModel, name: str, spec: sc.SiteSpec, opens_week: int) -> None:
        super().__init__(model)
        self.name = name
        self.entry = spec.name
        """The scenario's site entry it is one of (results per site are reported by entry)."""
        self.region = spec.region
        self.opens_week = opens_week
        self.positions = spec.positions
        self.supervisor_posts = spec.supervisors
        self.supervisor_availability = spec.supervisor_availability
        """How available a supervisor or lead is when the site's supervisor posts are filled (the site's setting)."""
        self.team_contact = spec.team_contact
        self.travel_burden = spec.travel_burden
        self.job_market = spec.job_market
        self.employer_network = spec.employer_network
        """Goodwill of local employers and NAV front-line staff (0-1), built by placements, fading without them."""
        self.readiness = ReadinessState(**spec.readiness.model_dump())
        self.staff: list[EmploymentSpecialist] = []
        self.job_starts_this_week = 0
        self.departed = 0
        """ES who left the site this week (felt by their colleagues next week)."""
        self.colleagues_lost = 0
        """ES who left the site last week: a loss of resources for those still there."""
        self.weighted: list[float] = [0.0] * len(pressures.ALL)
        """This week's weighted amount of each site-scope factor (0 in specialist-scope places)."""
        self.met = self.readiness.mean()
        """This week's readiness as its ES meet it: the mean of its parts (read as expectations adjust)."""
        self.absorbed = 0.0
        """This week's share of demands the buffering job resources absorb (their weighted intensities summed)."""
        self.buffers: list[float] = [0.0] * len(pressures.BUFFERS)
        """This week's intensity (0-1) of each buffer, for the records."""

    @property
    def is_open(self) -> bool:
        """Open for work: from the week after its opening week (its first ES start at the end of that week, or
        before the first step, and work from the next); before then it has nothing to appraise, build, lose or
        reorganise."""
        return self.model.week > self.opens_week

    def colleagues(self) -> int:
        """ES colleagues each of the site's ES has (the site's other ES in post)."""
        return max(0, len(self.staff) - 1)

    def appraise(self) -> None:
        """Evaluate the site-scope factors once for the week; its ES share the values."""
        model = self.model
        if not self.is_open:
            return
        self.colleagues_lost, self.departed = self.departed, 0
        intensity = [0.0] * len(model.factor_weights)
        for i, fn, _ in model.site_factors:
            intensity[i] = fn(self, model.now)
        self.weighted = list(map(operator.mul, model.factor_weights, intensity))
        self.met = self.readiness.mean()
        self.absorbed = sum([self.weighted[i] for i in model.buffer_index])
        self.buffers = [intensity[i] for i in model.buffer_index]

    @property
    def leadership(self) -> float:
        """Leader support now (0-1): the supervisor availability, of which only ``staff.vacant_supervisor_cover`` is
        left while every one of the site's dual-role supervisor posts is empty (in proportion while some are), until
        the post is refilled; a site without supervisor posts is supervised from elsewhere and keeps its
        availability (M21)."""
        if not self.supervisor_posts:
            return self.supervisor_availability
        cover = self.model.settings.staff.vacant_supervisor_cover
        vacant = self.supervisor_posts - sum(1 for es in self.staff if es.supervisor)
        return self.supervisor_availability * (1.0 - (1.0 - cover) * vacant / self.supervisor_posts)

    def mature(self) -> None:
        """Readiness is earned: the service's work builds structures, record access and ownership, more so with an
        available lead and in proportion to the positions filled (an empty site builds nothing); client job starts
        win managers and clinicians over and build the employer and NAV network, which fades without them
        (Moe25, M21, B24)."""
        if not self.is_open:
            return
        dyn = self.model.settings.readiness
        staffed = len(self.staff) / self.positions
        lead = 1.0 - dyn.leadership_effect * (1.0 - self.leadership)
        self.readiness.close_gap(WORKED_PARTS, dyn.maturation_rate * staffed * lead)
        self.employer_network *= 1.0 - dyn.network_fade
        if self.job_starts_this_week:
            n = self.job_starts_this_week
            self.readiness.close_gap(PERSUADED_PARTS, 1.0 - (1.0 - dyn.success_boost) ** n)
            self.employer_network += (1.0 - self.employer_network) * (1.0 - (1.0 - dyn.network_gain) ** n)

    def lose_knowledge(self) -> None:
        """An ES left: part of what managers and clinicians had learnt goes with them, and colleagues lose one."""
        self.readiness.scale(KNOWLEDGE_PARTS, 1.0 - self.model.settings.readiness.departure_loss)
        self.departed += 1

    def fidelity_review(self, clarity_gain: float) -> None:
        """A fidelity review lends the ES authority: ownership and managers' knowledge gain clarity (M21)."""
        self.readiness.close_gap(REVIEWED_PARTS, clarity_gain)

    def reorganise(self) -> None:
        """A management reorganisation unsettles ownership and routines."""
        self.readiness.scale(REORGANISED_PARTS, 1.0 - self.model.settings.readiness.reorganisation_loss)


class EmploymentSpecialist(mesa.Agent):
    """An ES whose personal resources the week's demands deplete and its gains refill, and who may quit.

    Strain, the depleted part of the ES's resources, accumulates week by week (pressures.StrainDynamics); the ES
    decides to quit when it reaches their personal threshold (their whole stock: resources exhausted), or when a
    shock tips them (unfolding model), then works a notice period. A dual-role supervisor carries a smaller
    caseload, provides the site's leader support, and feels more of the site's unprepared context (they shoulder
    the implementation work, M21). Intrinsic motivation erodes while resources are
    depleted, and expectations adjust toward the readiness the ES meets. An ordinary exit (promotion, moving,
    retirement) ends a spell whatever the strain. Every week's effective drain is added to a per-factor account,
    so that a quit carries the share of the accumulated drain due to each draining factor.
    """

    model: IPSModel

    def __init__(
        self,
        model: IPSModel,
        site: Site,
        slot: int,
        traits: dict[str, float],
        contract_end_week: int | None,
        supervisor: bool = False,
    ) -> None:
        super().__init__(model)
        self.site = site
        self.slot = slot
        self.supervisor = supervisor
        self.start_week = model.week
        self.threshold = traits["quit_threshold"]
        self.motivation = traits["intrinsic_motivation"]
        self.expected = traits["expected_readiness"]
        """The site readiness the ES expects (0-1): their trait at hire, adjusting toward what they meet."""
        self.negative_emotionality = traits["negative_emotionality"]
        self.contract_end_week = contract_end_week
        self.short_term = contract_end_week is not None
        """Hired on a short-term contract (stays true if it is later made permanent)."""
        self.strain = 0.0
        self.accumulated_drain = [0.0] * len(pressures.DRAINS)
        self.drain_now = [0.0] * len(pressures.DRAINS)
        self.nourish_now = [0.0] * len(pressures.NOURISHERS)
        # This week's caseload, as the model's client process left it (read by factor functions).
        self.caseload = self.clients_in_work = self.clients_searching = 0
        self.job_starts_this_week = self.setbacks_this_week = self.jobs_lost_this_week = 0
        self.pending_shock: str | None = None
        self.shock_is_decisive = False
        self.decision_week: int | None = None
        self.leave_week: int | None = None
        self.shock: str | None = None
        self.ordinary_reason: str | None = None
        site.staff.append(self)

    @property
    def leaving(self) -> bool:
        return self.leave_week is not None

    @property
    def exit_kind(self) -> str:
        """How the ES decided to leave: 'ordinary', 'shock' or 'gradual'; '' while they have not."""
        return records.exit_kind(self.decision_week, self.shock, self.ordinary_reason)

    def step(self) -> None:
        """Feel this week's pressures, update strain, motivation and expectations, and decide whether to quit."""
        model = self.model
        weighted, now = self.site.weighted.copy(), model.now
        for i, intensity, weight in model.specialist_factors:
            weighted[i] = weight * intensity(self, now)
        if self.supervisor:
            weighted[model.battles_index] *= model.settings.staff.supervisor_battles
        dynamics, n = model.dynamics, model.n_drains
        strain = self.strain
        self.strain, self.drain_now, self.nourish_now = dynamics.week(
            strain, self.threshold, self.negative_emotionality, self.site.absorbed, weighted[:n],
            weighted[n:model.gains_end],
        )
        self.motivation = dynamics.motivation_after(self.motivation, strain, self.threshold)
        self.expected += (self.site.met - self.expected) * model.expectation_pace
        if self.leave_week is not None:
            return
        self.accumulated_drain = list(map(operator.add, self.accumulated_drain, self.drain_now))
        shock, self.pending_shock = self.pending_shock, None
        if shock is not None:
            self.strain += model.settings.shocks.strain_jump * self.threshold
            if self.shock_is_decisive:
                self.decide_to_quit(shock, model.settings.staff.notice_weeks)
                return
        if self.strain >= self.threshold:
            self.decide_to_quit(shock, model.settings.staff.notice_weeks)

    def decide_to_quit(self, shock: str | None, notice_weeks: int, ordinary_reason: str | None = None) -> None:
        """Hand in notice now (``shock`` names the event that began it, ``ordinary_reason`` an ordinary exit's)."""
        self.decision_week = self.model.week
        self.leave_week = self.model.week + notice_weeks
        self.shock = shock
        self.ordinary_reason = ordinary_reason

    def attribution(self) -> dict[str, float]:
        """Share of this ES's accumulated drain due to each draining factor (sums to 1)."""
        total = sum(self.accumulated_drain)
        return {
            f.name: (amount / total if total > 0 else 0.0)
            for f, amount in zip(pressures.DRAINS, self.accumulated_drain, strict=True)
        }
