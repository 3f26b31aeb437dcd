"""The IPS service model: sites, employment specialists, their clients and vacancies, week by week."""

from __future__ import annotations

import math
from collections.abc import Callable

import mesa
import numpy as np

from simulation.core import levers, pressures
from simulation.core.agents import (
    AtSites,
    EmploymentSpecialist,
    Site,
    SiteArrays,
    StaffArrays,
    appraise_sites,
    feel_week,
)
from simulation.core.clients import Caseloads
from simulation.core.records import RunRecord
from simulation.core.scenario import ORDINARY_REASONS, Scenario, effective

TRAITS = ("quit_threshold", "intrinsic_motivation", "expected_readiness", "negative_emotionality")


class IPSModel(mesa.Model):
    """One replicate of a scenario: 1 step = 1 week.

    Randomness: every draw comes from generators spawned from ``numpy.random.SeedSequence(seed)``,
    one per purpose (clients via ``model.rng``; reorganisations; each site's positions' shocks, renewals and
    ordinary exits; recruitment; each position's hires' traits, spawned per site and then per position), so a
    scenario change that alters one purpose's draws leaves the others' streams untouched, and one that adds positions
    at a site leaves the other sites' traits and shocks as they were (common random numbers across scenarios, as
    far as the structure allows; the clients' stream is shared, so any change in caseloads moves it).

    Time: the model's one clock is Mesa's ``steps``. A scenario whose sites open before the observation window
    (``opens_week`` < 0) runs a warm-up of ``scenario.warm_up_weeks`` steps first, so that when the window opens
    (``week`` 0) the service has ES of mixed tenure; weekly rows are recorded for the window's weeks 1..``weeks``.

    Weekly order: the start-up plan's scheduled levers act (a seminar on the service's clock, a fidelity review on
    each site's, counted from its opening); shocks (a region's reorganisation hitting its open sites in the same
    week), contract renewals and ordinary exits are drawn; clients move and are referred; each open site evaluates
    its site-scope pressures and buffers; every ES feels the week's pressures and may decide to quit (all at once, on
    arrays: ``_appraise``; stepped one by one in any order the result is the same, because an ES's week reads only
    this week's site and caseload state and its own);
    open sites' readiness and employer network are built by the week's work and successes; positions opening this
    week get their first ES, vacancies count down and are filled; ES at the end of their notice leave; the week is
    recorded.
    """

    def __init__(self, scenario: Scenario, seed: int) -> None:
        main, traits, shocks, recruitment = np.random.SeedSequence(seed).spawn(4)
        super().__init__(rng=np.random.default_rng(main))
        scenario = effective(scenario)
        self.settings = scenario
        """The scenario with its start-up plan applied (simulation.core.levers)."""
        self.seed = seed
        self.warm_up = scenario.warm_up_weeks
        """Weeks run before the observation window opens (the window's week 0 is step ``warm_up``)."""
        self.now = self._week_values(seminar=False)
        """This week's service-wide values, passed to every factor (core.pressures.Week)."""
        self.dynamics = pressures.StrainDynamics(**scenario.strain.model_dump())
        self.factor_weights = [getattr(scenario.pressures, f.name) for f in pressures.ALL]
        self.weight_column = np.array(self.factor_weights)[:, None]
        """The factors' weights as a column, to weigh a week's intensities (one row per factor, one column per ES)."""
        self.n_drains = len(pressures.DRAINS)
        self.gains_end = self.n_drains + len(pressures.NOURISHERS)
        """Where the gains end in pressures.ALL's order: demands, then gains, then buffers."""
        self.expectation_pace = 1.0 - math.exp(-1.0 / scenario.staff.expectation_adjustment_weeks)
        """Share of the gap between expected and met readiness an ES's expectations close each week."""
        self.specialist_factors = self._factor_plan("specialist")
        """(index, intensity function, weight) of each factor an ES evaluates for itself."""
        self.site_factors = self._factor_plan("site")
        """(index, intensity function, weight) of each factor a site evaluates for all its ES."""
        self.reason_edges = scenario.ordinary_exits.reason_edges()
        self.buffer_rows = slice(self.gains_end, None)
        """The buffers' rows in pressures.ALL's order (they come last)."""
        self.battles_index = [f.name for f in pressures.ALL].index("unprepared_context")
        """The factor a dual-role supervisor feels more of (staff.supervisor_battles): the implementation work."""

        self.sites: list[Site] = []
        self.site_of_slot: list[int] = []
        self.open_week: list[int] = []
        """The window week each position opens (its first ES starts that week)."""
        supervisor: list[bool] = []
        for spec in scenario.sites:
            for k, weeks in enumerate(spec.opening_weeks()):
                name = spec.name if spec.count == 1 else f"{spec.name}-{k + 1}"
                self.site_of_slot += [len(self.sites)] * spec.positions
                self.open_week += weeks
                supervisor += [j < spec.supervisors for j in range(spec.positions)]
                self.sites.append(Site(self, name, spec, weeks[0]))
        self.is_supervisor = np.array(supervisor)
        """Whether each position is a dual-role supervisor's (a site's first ``supervisors`` positions)."""
        self.battles_multiplier = np.where(self.is_supervisor, scenario.staff.supervisor_battles, 1.0)
        """How much of the unprepared context each position's ES feels (staff.supervisor_battles for a supervisor)."""
        self.site_intensity = np.zeros((len(pressures.ALL), len(self.sites)))
        """This week's intensity of each site-scope factor at each site (rows in pressures.ALL's order; 0 in the
        specialist-scope rows), from the sites' appraisal."""
        self.regions = sorted({site.region for site in self.sites})
        self.region_of_site = [self.regions.index(site.region) for site in self.sites]
        n_slots = len(self.site_of_slot)
        self.slots: list[EmploymentSpecialist | None] = [None] * n_slots
        self.vacancy_left: list[int] = [0] * n_slots
        # Streams per site, then per position within it: a plan that adds positions at one site (no_solo_posts)
        # leaves every other site's hires and shocks drawn as they were (common random numbers where they apply).
        positions_at = [self.site_of_slot.count(i) for i in range(len(self.sites))]
        self.trait_rngs = [np.random.default_rng(child) for site_seq, n in zip(traits.spawn(len(self.sites)),
                                                                               positions_at, strict=True)
                           for child in site_seq.spawn(n)]
        service_shocks, site_shocks = shocks.spawn(2)
        self.shock_rng = np.random.default_rng(service_shocks)
        """The region- and site-level uniforms of reorganisations."""
        self.position_shock_rngs = [(np.random.default_rng(seq), n)
                                    for seq, n in zip(site_shocks.spawn(len(self.sites)), positions_at, strict=True)]
        """Per site, the generator of its positions' weekly uniforms (shocks, renewals, ordinary exits) and their
        number."""
        self.recruitment_rng = np.random.default_rng(recruitment)
        self.site_index = np.array(self.site_of_slot)
        self.job_market = np.array([self.sites[i].job_market for i in self.site_of_slot])
        self.hire_week = np.zeros(n_slots)
        self.staff_arrays = StaffArrays(n_slots)
        """The numeric state of the ES in post, by position (read and written through each ES's attributes)."""
        self.open_weeks = np.array(self.open_week)
        self.review_gains: dict[int, float] = {}
        """The start-up plan's fidelity-review clarity gain by a site's age in weeks (levers.week_events), as met."""
        cap = scenario.clients.caseload_cap
        caps = [max(1, round(cap * scenario.staff.supervisor_caseload_share)) if sup else cap for sup in supervisor]
        self.caseloads = Caseloads(scenario.clients, self.site_of_slot, caps, len(self.sites), self.rng)
        self.weekly: list[list[float]] = []
        self.spells: list[dict] = []
        self.departures_this_week = 0
        self.hires_this_week = 0
        for slot in range(n_slots):
            if self.open_week[slot] <= self.week:
                self._hire(slot)

    def _factor_plan(self, scope: str) -> list[tuple[int, Callable, float]]:
        return [(i, f.intensity, self.factor_weights[i]) for i, f in enumerate(pressures.ALL) if f.scope == scope]

    # --- the week ---------------------------------------------------------------------------

    @property
    def week(self) -> int:
        """The observation window's week, derived from Mesa's step counter ``steps`` (the model's one clock): negative
        in the warm-up, 0 when the window opens (after ``warm_up`` steps), 1 in the window's first week."""
        return self.steps - self.warm_up

    def _week_values(self, seminar: bool) -> pressures.Week:
        return pressures.Week(self.week, self.settings.clients.fidelity_caseload, seminar)

    def step(self) -> None:
        plan, week = self.settings.start_up_plan, self.week
        self.now = self._week_values(levers.week_events(plan, week, "service").seminar)
        gains = self.review_gains
        for site in self.sites:
            if site.is_open:
                age = week - site.opens_week
                gain = gains.get(age)
                if gain is None:
                    gain = gains[age] = levers.week_events(plan, age, "site").review_clarity_gain
                if gain:
                    site.fidelity_review(gain)
        self.departures_this_week = self.hires_this_week = 0
        self._draw_shocks()
        self._serve_clients()
        stepped = np.array([es is not None for es in self.slots])
        self._appraise(stepped)
        self.agents_by_type[Site].do("mature")
        self._recruit()
        self._depart()
        if self.week >= 1:
            self._record(stepped)

    def _appraise(self, staffed: np.ndarray) -> None:
        """The week's appraisal, fused: the site-scope factors evaluated once on a view of every site, then the
        specialist-scope factors and the strain dynamics once on a view of every position (``agents.feel_week``;
        a vacant position's values are computed and not used), then each ES not in notice who has a shock pending or
        whose strain reached their threshold decides (``EmploymentSpecialist.react``). The same declarations, on one
        site's or one ES's view, are ``Site.appraise`` and ``EmploymentSpecialist.step``, which give the same numbers
        (tests/core/test_fused.py). ``staffed``: the positions with an ES in post."""
        for site in self.sites:
            if site.is_open:
                site.begin_week()
        filled = np.bincount(self.site_index, weights=staffed & self.is_supervisor, minlength=len(self.sites))
        sites = SiteArrays(self.sites, filled)
        appraise_sites(self, sites, slice(None))
        staying = [es for es in self.slots if es is not None and es.leave_week is None]
        working = np.zeros(len(self.slots), dtype=bool)
        working[[es.slot for es in staying]] = True
        feel_week(self, slice(None), AtSites(sites, self.site_index), working)
        state = self.staff_arrays
        exhausted = ((state.strain >= state.threshold) & working).tolist()
        for es in staying:
            if es.pending_shock is not None or exhausted[es.slot]:
                es.react()

    def _draw_shocks(self) -> None:
        """Draw this week's shocks and ordinary exits for every position and site (drawn whether or not they apply).

        Drawing a fixed number of numbers per position keeps these streams aligned across scenarios with the same
        positions (common random numbers); the ordinary exits' numbers, in particular, are the same whatever the
        start-up plan, as their hazard is.

        A short-term contract's renewal is decided ``notice_weeks`` before its end (at once if it is shorter): a
        contract renewed becomes permanent; one not renewed is a shock that begins the ES's decision to leave, and
        they leave when it ends, with notice (B24: every leaver quit voluntarily, two of them beginning with
        short-term contracts). An ordinary exit (promotion, moving, retirement, other) is a decision to leave,
        with notice, whatever the ES's strain.
        """
        sh, staff, exits = self.settings.shocks, self.settings.staff, self.settings.ordinary_exits
        p_conflict = 1.0 - math.exp(-sh.work_life_conflict_per_year / 52.0)
        p_reorg = 1.0 - math.exp(-sh.reorganisation_per_region_year / 52.0)
        p_ordinary = 1.0 - math.exp(-exits.per_year / 52.0)
        u = np.vstack([rng.random((n, 5)) for rng, n in self.position_shock_rngs])
        u_region = self.shock_rng.random(len(self.regions))
        u_site = self.shock_rng.random(len(self.sites))
        decisive = (u[:, 1] < sh.direct_quit_probability).tolist()
        renewed = (u[:, 2] < staff.renewal_probability).tolist()
        ordinary = np.flatnonzero(u[:, 3] < p_ordinary)
        reasons = np.searchsorted(self.reason_edges, u[ordinary, 4], side="right").tolist()
        hit = [(self.slots[i], "work_life_conflict") for i in np.flatnonzero(u[:, 0] < p_conflict).tolist()]
        week = self.week
        for site in self._reorganised(u_region < p_reorg, u_site):
            site.reorganise()
            hit += [(es, "reorganisation") for es in site.staff]
        state = self.staff_arrays  # the short-term contracts that end, or are decided on, this week:
        decided = np.maximum(state.start_week + 1, state.contract_end - staff.notice_weeks)
        for slot in np.flatnonzero((state.contract_end == week) | (decided == week)).tolist():
            es = self.slots[slot]
            if es is None:
                continue
            if es.contract_end_week == week and es.leaving:
                es.leave_week = min(es.leave_week, week)  # the contract ends before the notice does
            elif week == max(es.start_week + 1, es.contract_end_week - staff.notice_weeks) and not es.leaving:
                if renewed[es.slot]:
                    es.contract_end_week = None
                else:
                    es.decide_to_quit("contract_end", notice_weeks=es.contract_end_week - week)
        for slot, reason in zip(ordinary.tolist(), reasons, strict=True):
            es = self.slots[slot]
            if es is not None and not es.leaving:
                es.decide_to_quit(None, staff.notice_weeks, ORDINARY_REASONS[min(reason, len(ORDINARY_REASONS) - 1)])
        for es, kind in hit:  # at most one shock per ES and week: a reorganisation overrides
            if es is not None and not es.leaving:
                es.pending_shock, es.shock_is_decisive = kind, decisive[es.slot]

    def _reorganised(self, drawn: np.ndarray, u_site: np.ndarray) -> list[Site]:
        """The open sites a region-wide reorganisation hits this week, drawn (``drawn``: per region) or scheduled:
        each of its region's open sites with chance ``reach`` (one uniform number per site and week, shared)."""
        reach = [self.settings.shocks.reorganisation_reach if drawn[r] else 0.0 for r in range(len(self.regions))]
        for planned in self.settings.reorganisations:
            if planned.week == self.week:
                for r, region in enumerate(self.regions):
                    if planned.region in ("", region):
                        reach[r] = max(reach[r], planned.reach)
        return [site for i, site in enumerate(self.sites)
                if site.is_open and u_site[i] < reach[self.region_of_site[i]]]

    def _serve_clients(self) -> None:
        """Clients move and are referred; a searching client's job chance grows with the ES's
        experience, the site's health-team integration and its job market (M21; sizes assumed), and falls when the
        caseload is above the fidelity caseload (less time per client; clients.time_per_client_effect)."""
        staff, clients = self.settings.staff, self.settings.clients
        staffed = np.array([es is not None for es in self.slots])
        tenure = self.week - self.hire_week
        experience = 1.0 - (1.0 - staff.novice_effectiveness) * np.exp(-tenure / staff.experience_weeks)
        site_integration = np.array([s.readiness.health_team_integration for s in self.sites])
        integration = 1.0 - clients.integration_effect * (1.0 - site_integration[self.site_index])
        cl = self.caseloads
        fidelity = float(clients.fidelity_caseload)
        caseload = np.array(cl.caseload, dtype=float)
        time_share = (fidelity / np.maximum(caseload, fidelity)) ** clients.time_per_client_effect
        p_job = np.minimum(1.0, clients.job_start_rate * experience * integration * self.job_market * time_share)
        cl.week(staffed, p_job * staffed, self.week)
        # The ES read their caseload from the client process's per-position counts (agents.CLIENT_COUNTS).
        starts = np.bincount(self.site_index, weights=self.caseloads.job_starts, minlength=len(self.sites))
        for site, n in zip(self.sites, starts.tolist(), strict=True):
            site.job_starts_this_week = int(n)

    def _recruit(self) -> None:
        """A position opening this week gets its first ES; vacancies opened in earlier weeks count down, and a new
        ES starts when one reaches zero."""
        week = self.week
        for slot, es in enumerate(self.slots):
            if es is None and self.open_week[slot] == week:
                self._hire(slot)
                self.hires_this_week += 1
            elif es is None and self.open_week[slot] < week:
                self.vacancy_left[slot] -= 1
                if self.vacancy_left[slot] <= 0:
                    self._hire(slot)
                    self.hires_this_week += 1

    def _depart(self) -> None:
        week = self.week
        for es in [es for es in self.slots if es is not None and es.leave_week == week]:
            self._leave(es)

    def _hire(self, slot: int) -> None:
        staff, rng = self.settings.staff, self.trait_rngs[slot]
        traits = {}
        for name, z in zip(TRAITS, rng.standard_normal(len(TRAITS)).tolist(), strict=True):
            t = getattr(staff, name)
            traits[name] = min(t.high, max(t.low, t.mean + t.sd * z))
        short_term = rng.random() < staff.short_term_share
        length = int(rng.integers(staff.short_term_weeks_low, staff.short_term_weeks_high + 1))
        end = self.week + length if short_term else None
        self.hire_week[slot] = self.week
        self.slots[slot] = EmploymentSpecialist(self, self.sites[self.site_of_slot[slot]], slot, traits, end,
                                                bool(self.is_supervisor[slot]))

    def _leave(self, es: EmploymentSpecialist) -> None:
        """An ES leaves: the spell is recorded, a vacancy opens, clients move, knowledge is lost."""
        self.spells.append(self._spell(es, "quit"))
        es.site.staff.remove(es)
        self.slots[es.slot] = None
        self.vacancy_left[es.slot] = max(1, int(self.recruitment_rng.poisson(self.settings.staff.recruitment_delay_weeks)))
        colleagues = [c.slot for c in es.site.staff if not c.leaving] or [c.slot for c in es.site.staff]
        self.caseloads.release(es.slot, colleagues, self.week)
        es.site.lose_knowledge()
        es.remove()
        self.departures_this_week += 1

    def _spell(self, es: EmploymentSpecialist, outcome: str) -> dict:
        return {
            "site": es.site.name,
            "entry": es.site.entry,
            "position": es.slot,
            "role": "supervisor" if es.supervisor else "es",
            "start_week": es.start_week,
            "end_week": self.week,
            "outcome": outcome,
            "decision_week": es.decision_week,
            "shock": es.shock or "",
            "exit_kind": es.exit_kind if outcome == "quit" else "",
            "ordinary_reason": es.ordinary_reason or "",  # also for an ES still in notice at the end
            "contract": "short_term" if es.short_term else "permanent",
            "threshold": es.threshold,
            **{f.share_column: share for f, share in zip(pressures.DRAINS, es.attribution().values(), strict=True)},
        }

    def _record(self, stepped: np.ndarray) -> None:
        """Append this week's row; pressures and strain are means over the ES who worked the week (``stepped``: the
        positions whose ES did)."""
        n_stepped = max(1, int(stepped.sum()))
        state = self.staff_arrays
        pressure = (state.felt[:, stepped].sum(axis=1) / n_stepped).tolist()
        clients = self.caseloads
        strain, threshold = state.strain[stepped], state.threshold[stepped]
        in_post = [es for es in self.slots if es is not None]
        headcount = len(in_post)
        week = self.week
        positions = int(np.count_nonzero(self.open_weeks <= week))
        sites = [s for s in self.sites if s.is_open] or self.sites
        parts = [sum(column) / len(sites) for column in zip(*(s.readiness.values() for s in sites), strict=True)]
        self.weekly.append([
            week,
            positions,
            headcount,
            positions - headcount,
            sum(es.leave_week is not None for es in in_post),
            self.departures_this_week,
            self.hires_this_week,
            float(strain.sum()) / n_stepped,
            float(np.minimum(strain / threshold, 1.0).sum()) / n_stepped,
            int(clients.caseload.sum()),
            int(clients.in_work.sum()),
            int(clients.waiting.sum()),
            int(clients.job_starts.sum()),
            sum(parts) / len(parts),  # the mean over open sites of each site's mean readiness
            *parts,
            *pressure,
        ])

    # --- running ----------------------------------------------------------------------------

    def run(self) -> RunRecord:
        """Run the warm-up and the scenario's horizon, and return the replicate's records."""
        self.run_for(self.warm_up + self.settings.weeks)
        return self.record()

    def record(self) -> RunRecord:
        """The records so far: the window's weekly rows, and every spell of the run (those of the warm-up too, with
        negative weeks), the spells of ES still in post censored now, and every client referred."""
        censored = [self._spell(es, "censored") for es in self.slots if es is not None]
        return RunRecord(self.seed, self.weekly, self.spells + censored, self.caseloads.table(),
                         tuple((site.name, site.entry) for site in self.sites))
