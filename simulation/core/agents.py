"""The agents: IPS sites (with their organisational readiness) and employment specialists.

An ES is a Mesa agent that owns its state and its decisions; the state it feels the week with (strain, motivation,
expectation, traits, drain account, this week's effective amounts) is kept in the model's arrays at the ES's position
(``StaffArrays``) and read and written through the agent's attributes, so that the model can evaluate the week for
every ES at once: the same factor functions (``pressures``) called once on arrays over all ES (``feel_week`` over
every position, ``IPSModel._appraise``) or on one ES's view (``EmploymentSpecialist.step``), with the same numbers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation.core import pressures, records
from simulation.core import scenario as sc
from simulation.core.pressures import Values

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
    """A site's current organisational readiness, each part 0-1 (see scenario.Readiness); in a site view
    (``SiteArrays``) each part is an array, one entry per site."""

    manager_knowledge: Values
    health_team_integration: Values
    record_access: Values
    ownership_clarity: Values
    structures: Values

    def values(self) -> tuple[float, float, float, float, float]:
        """The parts in the schema's order (scenario.READINESS_PARTS)."""
        return (self.manager_knowledge, self.health_team_integration, self.record_access, self.ownership_clarity,
                self.structures)

    def mean(self) -> Values:
        """The mean of the parts (numbers, or arrays per site), summed in the schema's order."""
        return (self.manager_knowledge + self.health_team_integration + self.record_access + self.ownership_clarity
                + self.structures) / 5.0


class SiteReadiness:
    """One site's readiness parts (``ReadinessState``'s fields), read and written in the site arrays
    (``SiteArrays.parts``) at its column."""

    __slots__ = ("_column",)
    _ROWS = {part: k for k, part in enumerate(sc.READINESS_PARTS)}

    def __init__(self, parts: np.ndarray, site: int) -> None:
        object.__setattr__(self, "_column", parts[:, site])  # a view: writes go to the arrays

    def __getattr__(self, part: str) -> float:
        if part not in self._ROWS:
            raise AttributeError(part)
        return float(self._column[self._ROWS[part]])

    def __setattr__(self, part: str, value: float) -> None:
        if part not in self._ROWS:
            raise AttributeError(part)
        self._column[self._ROWS[part]] = value

    def values(self) -> tuple[float, ...]:
        """The parts in the schema's order (scenario.READINESS_PARTS)."""
        return tuple(self._column.tolist())

    def mean(self) -> float:
        """The mean of the parts, summed in the schema's order (``ReadinessState.mean``)."""
        return ReadinessState(*self.values()).mean()


def leader_support_now(availability: Values, posts: Values, filled: Values, cover: float) -> Values:
    """Leader support now (0-1): the supervisor ``availability``, of which only ``cover`` is left while every one of
    the ``posts`` (dual-role supervisor posts) is empty, in proportion while some are (``filled`` of them are
    filled); with no posts (supervised from elsewhere) the availability itself. Numbers or arrays per site."""
    return availability * (1.0 - (1.0 - cover) * (posts - filled) / (posts + (posts == 0)))  # no posts: none vacant


class Held:
    """An agent's attribute held in arrays at the agent's ``row`` (``source``: the arrays' holder, an attribute of
    the agent): an ES's in ``StaffArrays`` or the client counts at its position (the model's while the ES is in
    post, its own copy once it has left: ``EmploymentSpecialist.remove``), a Site's in ``SiteArrays``."""

    def __init__(self, source: str, field: str = "", kind: type = float) -> None:
        self.source, self.field, self.kind = source, field, kind

    def __set_name__(self, owner: type, name: str) -> None:
        self.field = self.field or name

    def __get__(self, agent: EmploymentSpecialist | Site | None, owner: type | None = None) -> float | Held:
        if agent is None:
            return self
        return self.kind(getattr(getattr(agent, self.source), self.field)[agent.row])

    def __set__(self, agent: EmploymentSpecialist | Site, value: float) -> None:
        getattr(getattr(agent, self.source), self.field)[agent.row] = value


@functools.cache
def _rows(parts: tuple[str, ...]) -> list[int]:
    """The rows of ``SiteArrays.parts`` that hold these readiness parts (found once per group of parts)."""
    return [sc.READINESS_PARTS.index(part) for part in parts]


class SiteArrays:
    """The state of every site, one entry (column) per site: the arrays the model's week updates, each Site agent
    reading its own entry (``Site.index``), as ``StaffArrays`` holds the ES's.

    The week's work on sites is arithmetic on these arrays, for every site at once (``mature``, ``review``,
    ``begin_week``); a reorganisation and a departure's lost knowledge change the sites concerned
    (``Site.reorganise``, ``Site.lose_knowledge``).
    """

    def __init__(self, specs: list[sc.SiteSpec], opens_week: list[int], cover: float) -> None:
        self.parts = np.array([[getattr(spec.readiness, part) for part in sc.READINESS_PARTS] for spec in specs],
                              dtype=float).T.reshape(len(sc.READINESS_PARTS), len(specs))
        """Each readiness part (rows, in the schema's order, scenario.READINESS_PARTS), 0-1."""
        self.employer_network = np.array([spec.employer_network for spec in specs], dtype=float)
        """Goodwill of local employers and NAV front-line staff (0-1), built by placements, fading without them."""
        self.travel_burden = np.array([spec.travel_burden for spec in specs], dtype=float)
        self.team_contact = np.array([spec.team_contact for spec in specs], dtype=float)
        self.supervisor_availability = np.array([spec.supervisor_availability for spec in specs], dtype=float)
        """How available a supervisor or lead is when the site's supervisor posts are filled (the site's setting)."""
        self.supervisor_posts = np.array([spec.supervisors for spec in specs], dtype=float)
        self.positions = np.array([spec.positions for spec in specs], dtype=float)
        self.opens_week = np.array(opens_week)
        self.cover = cover
        """staff.vacant_supervisor_cover: what is left of leader support while the supervisor posts are empty."""
        self.job_starts = np.zeros(len(specs))
        """This week's client job starts at each site."""
        self.departed = np.zeros(len(specs))
        """ES who left the site this week (felt by their colleagues next week)."""
        self.colleagues_lost = np.zeros(len(specs))
        """ES who left the site last week: a loss of resources for those still there."""

    def is_open(self, week: int) -> np.ndarray:
        """Which sites are open for work in ``week`` (from the week after their opening week; ``Site.is_open``)."""
        return self.opens_week < week

    def begin_week(self, at: slice | list[int] = slice(None)) -> None:
        """Colleagues who left last week are this week's loss (felt for one week), at the sites ``at``."""
        self.colleagues_lost[at] = self.departed[at]
        self.departed[at] = 0.0

    def leadership(self, filled: np.ndarray, at: slice | list[int] = slice(None)) -> np.ndarray:
        """Leader support now at the sites ``at`` (``leader_support_now``), ``filled``: each site's dual-role
        supervisor posts filled."""
        return leader_support_now(self.supervisor_availability[at], self.supervisor_posts[at], filled[at], self.cover)

    def review(self, clarity_gain: np.ndarray) -> None:
        """Fidelity reviews lend the ES authority: ownership and managers' knowledge gain ``clarity_gain`` (per
        site, 0 where there is none) of their gap (M21)."""
        self._close_gap(_rows(REVIEWED_PARTS), clarity_gain)

    def mature(self, dyn: sc.ReadinessDynamics, is_open: np.ndarray, staffed: np.ndarray,
               leadership: np.ndarray) -> None:
        """Readiness is earned, at the open sites: the service's work builds structures, record access and
        ownership, more so with an available lead and in proportion to the positions filled (``staffed``: the ES
        in post; an empty site builds nothing); client job starts win managers and clinicians over and build the
        employer and NAV network, which fades without them (Moe25, M21, B24). ``leadership``: leader support now
        (``leader_support_now``)."""
        lead = 1.0 - dyn.leadership_effect * (1.0 - leadership)
        self._close_gap(_rows(WORKED_PARTS), dyn.maturation_rate * (staffed / self.positions) * lead * is_open)
        self.employer_network = np.where(is_open, self.employer_network * (1.0 - dyn.network_fade),
                                         self.employer_network)
        won = np.flatnonzero(self.job_starts)
        if won.size:  # the gains of n job starts, 1 - (1 - gain)^n, in Python's floats (the per-site rule's bits)
            starts = self.job_starts[won].tolist()
            self._close_gap(_rows(PERSUADED_PARTS), [1.0 - (1.0 - dyn.success_boost) ** n for n in starts], won)
            network = self.employer_network[won]
            self.employer_network[won] = network + (1.0 - network) * [1.0 - (1.0 - dyn.network_gain) ** n
                                                                      for n in starts]

    def _close_gap(self, rows: list[int], share: Values | list[float], at: slice | np.ndarray = slice(None)) -> None:
        """Close ``share`` (per site of ``at``) of the gap to 1 of the readiness parts ``rows`` at the sites ``at``."""
        cells = np.ix_(rows, np.arange(self.parts.shape[1])[at])
        part = self.parts[cells]
        self.parts[cells] = part + (1.0 - part) * np.asarray(share)

    def scale(self, parts: tuple[str, ...], site: int, keep: float) -> None:
        """Keep ``keep`` of the readiness ``parts`` at one site."""
        self.parts[_rows(parts), site] *= keep


class SiteView:
    """What site-scope factors read (``pressures.Sites``) at the sites ``at`` (every site, or one): this week's site
    state, with ``staffed`` and ``filled`` each site's ES and dual-role supervisors in post (arrays over every
    site)."""

    def __init__(self, state: SiteArrays, staffed: np.ndarray, filled: np.ndarray,
                 at: slice | list[int] = slice(None)) -> None:
        self.readiness = ReadinessState(*state.parts[:, at])
        self.met = self.readiness.mean()
        """The readiness its ES meet this week: the mean of its parts."""
        self.travel_burden = state.travel_burden[at]
        self.employer_network = state.employer_network[at]
        self.team_contact = state.team_contact[at]
        self.colleagues = np.maximum(staffed[at] - 1.0, 0.0)
        self.colleagues_lost = state.colleagues_lost[at]
        self.leadership = state.leadership(filled, at)


class Site(mesa.Agent):
    """A local IPS service from the week it opens: its positions, leadership, travel, job market and readiness.

    Its numeric state is held in the model's site arrays at its ``index`` (``SiteArrays``); the attributes below
    read it there."""

    model: IPSModel
    employer_network = Held("site_state")
    """Goodwill of local employers and NAV front-line staff (0-1), built by placements, fading without them."""
    travel_burden = Held("site_state")
    team_contact = Held("site_state")
    supervisor_availability = Held("site_state")
    colleagues_lost = Held("site_state")
    """ES who left the site last week."""

    def __init__(self, model: IPSModel, name: str, spec: sc.SiteSpec, opens_week: int, index: int) -> None:
        super().__init__(model)
        self.name = name
        self.entry = spec.name
        """The scenario's site entry it is one of (results per site are reported by entry)."""
        self.index = self.row = index
        """Its entry in the model's site arrays (``model.site_state``)."""
        self.site_state = model.site_state
        self.region = spec.region
        self.opens_week = opens_week
        self.positions = spec.positions
        self.supervisor_posts = spec.supervisors
        self.job_market = spec.job_market
        self.staff: list[EmploymentSpecialist] = []

    @property
    def is_open(self) -> bool:
        """Open for work: from the week after its opening week (its first ES start at the end of that week, or
        before the first step, and work from the next); before then it has nothing to appraise, build, lose or
        reorganise."""
        return self.model.week > self.opens_week

    @property
    def readiness(self) -> SiteReadiness:
        """Its readiness now, read and written in the site arrays."""
        return SiteReadiness(self.site_state.parts, self.index)

    @property
    def met(self) -> float:
        """The readiness its ES meet now: the mean of its parts."""
        return self.readiness.mean()

    @property
    def colleagues(self) -> int:
        """ES colleagues each of the site's ES has (the site's other ES in post)."""
        return max(0, len(self.staff) - 1)

    def appraise(self) -> None:
        """Evaluate the site-scope factors once for the week, on this site's own view; its ES share the values. The
        per-agent evaluation of what ``IPSModel._appraise`` does for every site at once."""
        if self.is_open:
            self.site_state.begin_week([self.index])
            appraise_sites(self.model, self.model.site_view([self.index]), [self.index])

    def supervisors_in_post(self) -> int:
        """The site's dual-role supervisor posts filled now."""
        return sum(1 for es in self.staff if es.supervisor)

    @property
    def leadership(self) -> float:
        """Leader support now (0-1): the supervisor availability, of which only ``staff.vacant_supervisor_cover`` is
        left while every one of the site's dual-role supervisor posts is empty (in proportion while some are), until
        the post is refilled; a site without supervisor posts is supervised from elsewhere and keeps its
        availability (M21); ``leader_support_now``."""
        return float(leader_support_now(self.supervisor_availability, self.supervisor_posts,
                                        self.supervisors_in_post(), self.site_state.cover))

    def lose_knowledge(self) -> None:
        """An ES left: part of what managers and clinicians had learnt goes with them, and colleagues lose one."""
        self.site_state.scale(KNOWLEDGE_PARTS, self.index, 1.0 - self.model.settings.readiness.departure_loss)
        self.site_state.departed[self.index] += 1

    def reorganise(self) -> None:
        """A management reorganisation unsettles ownership and routines."""
        self.site_state.scale(REORGANISED_PARTS, self.index, 1.0 - self.model.settings.readiness.reorganisation_loss)


class AtSites:
    """A site view read at ``index`` (each ES's site's entry, one per ES): the ``site`` of a ``SpecialistArrays``.
    Each value is gathered when a factor first reads it."""

    def __init__(self, sites: SiteView | ReadinessState, index: np.ndarray) -> None:
        self._sites, self._index = sites, index

    def __getattr__(self, name: str) -> np.ndarray | AtSites:
        """Gather an attribute of the site view at the index, once."""
        value = getattr(self._sites, name)
        value = value[self._index] if isinstance(value, np.ndarray) else AtSites(value, self._index)
        setattr(self, name, value)
        return value


CLIENT_COUNTS = {"caseload": "caseload", "clients_in_work": "in_work", "clients_searching": "searching",
                 "job_starts_this_week": "job_starts", "setbacks_this_week": "setbacks",
                 "jobs_lost_this_week": "jobs_lost"}
"""An ES's caseload attributes and the per-position arrays of the client process (``model.caseloads``) they read."""


class SpecialistArrays:
    """An ES view (``pressures.Specialists``): what specialist-scope factors read, as arrays over the positions
    ``at`` (every position, or one ES's), with ``site`` each one's site's values."""

    def __init__(self, model: IPSModel, at: slice | np.ndarray, site: AtSites) -> None:
        staff, clients = model.staff_arrays, model.caseloads
        self.site = site
        for name, field in CLIENT_COUNTS.items():
            setattr(self, name, getattr(clients, field)[at])
        self.expected = staff.expected[at]
        self.motivation = staff.motivation[at]
        self.start_week = staff.start_week[at]
        self.contract_end = staff.contract_end[at]


class StaffArrays:
    """The state of the ES in post, one entry (column) per position: the arrays the model's week updates and each
    ES agent reads and writes at its own position (an ES's attributes of the same names)."""

    def __init__(self, positions: int) -> None:
        self.strain = np.zeros(positions)
        self.threshold = np.ones(positions)
        self.motivation = np.zeros(positions)
        self.expected = np.zeros(positions)
        self.negative_emotionality = np.zeros(positions)
        self.start_week = np.zeros(positions)
        self.contract_end = np.full(positions, np.inf)
        """The window week a short-term contract ends; infinite on a permanent or renewed one."""
        self.leave_week = np.full(positions, np.inf)
        """The window week the ES leaves, once they have decided to; infinite until then (``leave_week``)."""
        self.accumulated_drain = np.zeros((len(pressures.DRAINS), positions))
        """Each draining factor's effective drain, summed over the weeks worked before deciding to leave."""
        self.felt = np.zeros((len(pressures.ALL), positions))
        """This week's effective drain of each demand and amount of each gain, and the intensity of each buffer at
        the ES's site, in pressures.ALL's order (the weekly record's means)."""

    def column(self, slot: int) -> StaffArrays:
        """A copy of one position's values (a departed ES's own)."""
        copy = StaffArrays(0)
        for name, values in vars(self).items():
            setattr(copy, name, values[..., slot:slot + 1].copy())
        return copy


def appraise_sites(model: IPSModel, sites: SiteArrays, index: slice | list[int]) -> None:
    """Evaluate the site-scope factors over a site view, once, into the model's week's site intensities
    (``model.site_intensity``, columns ``index``)."""
    intensity = np.zeros((len(pressures.ALL), len(sites.met)))
    pressures.evaluate(model.site_factors, sites, model.now, intensity)
    model.site_intensity[:, index] = intensity


def feel_week(model: IPSModel, at: slice | np.ndarray, site: AtSites, staying: np.ndarray) -> None:
    """This week's pressures at positions ``at`` (every position, or one ES's), as arrays: the site-scope
    intensities of each one's site (``appraise_sites``) with the specialist-scope factors evaluated on the ES view,
    weighted (a dual-role supervisor's ``unprepared_context`` times ``staff.supervisor_battles``), then strain,
    motivation and expectations (``pressures.StrainDynamics``) and this week's effective amounts; the effective
    drains are added to the drain accounts of the positions ``staying`` (ES not in notice)."""
    staff, dynamics, now = model.staff_arrays, model.dynamics, model.now
    intensity = model.site_intensity[:, model.site_index[at]]
    view = SpecialistArrays(model, at, site)
    pressures.evaluate(model.specialist_factors, view, now, intensity)
    weighted = intensity * model.weight_column
    weighted[model.battles_index] *= model.battles_multiplier[at]
    absorbed = pressures.sum_rows(weighted[model.buffer_rows])
    strain, threshold = staff.strain[at], staff.threshold[at]
    new, drains, gains = dynamics.week(strain, threshold, staff.negative_emotionality[at], absorbed,
                                       weighted[:model.n_drains], weighted[model.n_drains:model.gains_end])
    staff.motivation[at] = dynamics.motivation_after(view.motivation, strain, threshold)
    staff.expected[at] = view.expected + (site.met - view.expected) * model.expectation_pace
    staff.strain[at] = new  # last: ``strain`` may be a view of it
    staff.felt[:model.n_drains, at] = drains
    staff.felt[model.n_drains:model.gains_end, at] = gains
    staff.felt[model.gains_end:, at] = intensity[model.gains_end:]
    staff.accumulated_drain[:, at] += drains * staying


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

    The numeric state is held in the model's arrays at the ES's position (``StaffArrays``, and the caseload in the
    client process's counts); the attributes below read and write it there.
    """

    model: IPSModel
    strain = Held("arrays")
    threshold = Held("arrays")
    motivation = Held("arrays")
    expected = Held("arrays")
    """The site readiness the ES expects (0-1): their trait at hire, adjusting toward what they meet."""
    negative_emotionality = Held("arrays")
    start_week = Held("arrays", kind=int)
    contract_end = Held("arrays")
    """The window week a short-term contract ends, infinite on a permanent one (``contract_end_week``)."""
    # This week's caseload, as the model's client process left it (read by factor functions).
    caseload = Held("counts", CLIENT_COUNTS["caseload"], int)
    clients_in_work = Held("counts", CLIENT_COUNTS["clients_in_work"], int)
    clients_searching = Held("counts", CLIENT_COUNTS["clients_searching"], int)
    job_starts_this_week = Held("counts", CLIENT_COUNTS["job_starts_this_week"], int)
    setbacks_this_week = Held("counts", CLIENT_COUNTS["setbacks_this_week"], int)
    jobs_lost_this_week = Held("counts", CLIENT_COUNTS["jobs_lost_this_week"], int)

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
        self.arrays, self.counts, self.row = model.staff_arrays, model.caseloads, slot
        """Where the ES's numeric state is held: the model's arrays at its position while in post."""
        self.supervisor = supervisor
        self.start_week = model.week
        self.threshold = traits["quit_threshold"]
        self.motivation = traits["intrinsic_motivation"]
        self.expected = traits["expected_readiness"]
        self.negative_emotionality = traits["negative_emotionality"]
        self.contract_end_week = contract_end_week
        self.short_term = contract_end_week is not None
        """Hired on a short-term contract (stays true if it is later made permanent)."""
        self.strain = 0.0
        self.arrays.accumulated_drain[:, slot] = 0.0
        self.arrays.felt[:, slot] = 0.0
        self.pending_shock: str | None = None
        self.shock_is_decisive = False
        self.decision_week: int | None = None
        self.leave_week = None
        self.shock: str | None = None
        self.ordinary_reason: str | None = None
        site.staff.append(self)

    @property
    def contract_end_week(self) -> int | None:
        """The window week a short-term contract ends; None on a permanent contract or once it is made permanent
        (``contract_end``, as factors read it, is then infinite)."""
        end = self.contract_end
        return int(end) if end != np.inf else None

    @contract_end_week.setter
    def contract_end_week(self, week: int | None) -> None:
        self.contract_end = np.inf if week is None else week

    @property
    def accumulated_drain(self) -> list[float]:
        """Each draining factor's effective drain summed over the weeks worked before deciding to leave."""
        return self.arrays.accumulated_drain[:, self.row].tolist()

    @property
    def drain_now(self) -> list[float]:
        """This week's effective drain of each draining factor."""
        return self.arrays.felt[:len(pressures.DRAINS), self.row].tolist()

    @property
    def nourish_now(self) -> list[float]:
        """This week's effective amount of each nourishing factor."""
        return self.arrays.felt[len(pressures.DRAINS):len(pressures.DRAINS) + len(pressures.NOURISHERS),
                               self.row].tolist()

    @property
    def leave_week(self) -> int | None:
        """The window week the ES leaves (at the end of their notice); None until they decide to (held at their
        position as ``StaffArrays.leave_week``, infinite until then)."""
        week = self.arrays.leave_week[self.row]
        return int(week) if week != np.inf else None

    @leave_week.setter
    def leave_week(self, week: int | None) -> None:
        self.arrays.leave_week[self.row] = np.inf if week is None else week

    @property
    def leaving(self) -> bool:
        return self.leave_week is not None

    @property
    def exit_kind(self) -> str:
        """How the ES decided to leave: 'ordinary', 'shock' or 'gradual'; '' while they have not."""
        return records.exit_kind(self.decision_week, self.shock, self.ordinary_reason)

    def step(self) -> None:
        """Feel this week's pressures, update strain, motivation and expectations, and decide whether to quit: the
        per-agent evaluation (on this ES's own view) of what ``IPSModel._appraise`` does for every ES at once."""
        at = np.array([self.slot])
        site = self.model.site_view([self.site.index])
        feel_week(self.model, at, AtSites(site, np.zeros(1, dtype=int)), np.array([not self.leaving]))
        if not self.leaving:
            self.react()

    def react(self) -> None:
        """Decide, after the week's strain update (an ES not in notice): a pending shock adds
        ``shocks.strain_jump`` of the threshold to strain and, when decisive, begins a quit on its own; strain at the
        threshold (resources exhausted) begins one, labelled with this week's shock if one was felt."""
        settings = self.model.settings
        shock, self.pending_shock = self.pending_shock, None
        if shock is not None:
            self.strain += settings.shocks.strain_jump * self.threshold
            if self.shock_is_decisive:
                self.decide_to_quit(shock, settings.staff.notice_weeks)
                return
        if self.strain >= self.threshold:
            self.decide_to_quit(shock, settings.staff.notice_weeks)

    def decide_to_quit(self, shock: str | None, notice_weeks: int, ordinary_reason: str | None = None) -> None:
        """Hand in notice now (``shock`` names the event that began it, ``ordinary_reason`` an ordinary exit's)."""
        self.decision_week = self.model.week
        self.leave_week = self.model.week + notice_weeks
        self.shock = shock
        self.ordinary_reason = ordinary_reason

    def remove(self) -> None:
        """Leave the model, keeping as its own a copy of the state held at its position (which a successor takes)."""
        self.counts = SimpleNamespace(**{field: getattr(self.counts, field)[[self.row]]
                                         for field in CLIENT_COUNTS.values()})
        self.arrays, self.row = self.arrays.column(self.row), 0
        super().remove()

    def attribution(self) -> dict[str, float]:
        """Share of this ES's accumulated drain due to each draining factor (sums to 1)."""
        accumulated = self.accumulated_drain
        total = sum(accumulated)
        return {
            f.name: (amount / total if total > 0 else 0.0)
            for f, amount in zip(pressures.DRAINS, accumulated, strict=True)
        }
