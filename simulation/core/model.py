"""The IPS service model: sites, employment specialists, their clients and vacancies, week by week."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import mesa
import numpy as np

from simulation.core import levers, pressures
from simulation.core.agents import (
    AtSites,
    EmploymentSpecialist,
    Site,
    SiteArrays,
    SiteView,
    StaffArrays,
    appraise_sites,
    feel_week,
)
from simulation.core.clients import Caseloads
from simulation.core.records import RunRecord
from simulation.core.scenario import ORDINARY_REASONS, READINESS_PARTS, Scenario, SiteSpec, effective

HEALTH_TEAM_INTEGRATION = READINESS_PARTS.index("health_team_integration")
TRAITS = ("quit_threshold", "intrinsic_motivation", "expected_readiness", "negative_emotionality")


class IPSModel(mesa.Model):
    """One replicate of a scenario, or several in lockstep: 1 step = 1 week.

    Replicates in lockstep (``IPSModel(scenario, seeds)``, ``run_lockstep``): replicate r holds the sites
    ``r * n_sites`` .. and the positions ``r * n_positions`` .., with its own random streams, and each week's
    arithmetic is done once on arrays over all of them (numpy's fixed cost per call shared). Guarantee: each
    replicate's records are the same, to the bit, whether it runs alone or beside others, in any place of the group
    (every draw comes from its own streams, and every sum over positions or sites is over its own block;
    tests/core/test_lockstep.py).

    Randomness: every draw comes from generators spawned from ``numpy.random.SeedSequence(seed)`` of the replicate's
    seed, one per purpose (clients: ``client_stream``; reorganisations; each site's positions' shocks, renewals and
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

    def __init__(self, scenario: Scenario, seed: int | Sequence[int]) -> None:
        self.seeds = [int(seed)] if isinstance(seed, (int, np.integer)) else [int(s) for s in seed]
        """Each replicate's seed: one, or several run in lockstep."""
        streams = [np.random.SeedSequence(s).spawn(4) for s in self.seeds]  # main, traits, shocks, recruitment
        super().__init__(rng=np.random.default_rng(streams[0][0]))
        scenario = effective(scenario)
        self.settings = scenario
        """The scenario with its start-up plan applied (simulation.core.levers)."""
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

        site_of_slot: list[int] = []
        open_week: list[int] = []
        supervisor: list[bool] = []
        named: list[tuple[str, SiteSpec, int]] = []
        for spec in scenario.sites:
            for k, weeks in enumerate(spec.opening_weeks()):
                site_of_slot += [len(named)] * spec.positions
                open_week += weeks
                supervisor += [j < spec.supervisors for j in range(spec.positions)]
                named.append((spec.name if spec.count == 1 else f"{spec.name}-{k + 1}", spec, weeks[0]))
        # Replicates in lockstep: replicate r has sites r * S .. (r + 1) * S - 1 and positions r * P .. (r + 1) * P - 1.
        k, self.n_sites, self.n_positions = len(self.seeds), len(named), len(site_of_slot)
        """Sites and positions of one replicate."""
        named *= k
        self.site_of_slot = [site + r * self.n_sites for r in range(k) for site in site_of_slot]
        open_week *= k
        supervisor *= k
        self.site_state = SiteArrays([spec for _, spec, _ in named], [opens for _, _, opens in named],
                                     scenario.staff.vacant_supervisor_cover)
        """The sites' numeric state, one entry per site (read and written through each Site's attributes)."""
        self.sites = [Site(self, name, spec, opens, i) for i, (name, spec, opens) in enumerate(named)]
        self.open_week = np.array(open_week)
        """The window week each position opens (its first ES starts that week)."""
        self.is_supervisor = np.array(supervisor)
        """Whether each position is a dual-role supervisor's (a site's first ``supervisors`` positions)."""
        self.battles_multiplier = np.where(self.is_supervisor, scenario.staff.supervisor_battles, 1.0)
        """How much of the unprepared context each position's ES feels (staff.supervisor_battles for a supervisor)."""
        self.site_intensity = np.zeros((len(pressures.ALL), len(self.sites)))
        """This week's intensity of each site-scope factor at each site (rows in pressures.ALL's order; 0 in the
        specialist-scope rows), from the sites' appraisal."""
        self.regions = sorted({site.region for site in self.sites})
        """The regions of one replicate, by name (replicate r's region i is region r * len(regions) + i)."""
        self.region_of_site = np.array([self.regions.index(site.region) + (i // self.n_sites) * len(self.regions)
                                        for i, site in enumerate(self.sites)])
        n_slots = len(self.site_of_slot)
        self.slots: list[EmploymentSpecialist | None] = [None] * n_slots
        self.occupied = np.zeros(n_slots, dtype=bool)
        """Which positions have an ES in post (``slots`` not None)."""
        self.vacancy_left = np.zeros(n_slots, dtype=np.int64)
        """Weeks until a vacant position's new ES starts."""
        # Streams per site, then per position within it: a plan that adds positions at one site (no_solo_posts)
        # leaves every other site's hires and shocks drawn as they were (common random numbers where they apply).
        positions_at = np.bincount(site_of_slot, minlength=self.n_sites).tolist()
        self.trait_rngs = [np.random.default_rng(child) for _, traits, _, _ in streams
                           for site_seq, n in zip(traits.spawn(self.n_sites), positions_at, strict=True)
                           for child in site_seq.spawn(n)]
        service_shocks, site_shocks = zip(*(shocks.spawn(2) for _, _, shocks, _ in streams), strict=True)
        self.reorganisation_uniforms = WeeklyUniforms([np.random.default_rng(seq) for seq in service_shocks],
                                                      [(len(self.regions) + self.n_sites,)] * k)
        """Per replicate, each week's uniform numbers of reorganisations: one per region, then one per site."""
        self.position_uniforms = WeeklyUniforms(
            [np.random.default_rng(seq) for sites in site_shocks for seq in sites.spawn(self.n_sites)],
            [(n, 5) for _ in range(k) for n in positions_at])
        """Per site, from its own generator, each week's five uniform numbers per position (shocks, renewals,
        ordinary exits)."""
        self.recruitment_rngs = [np.random.default_rng(recruitment) for _, _, _, recruitment in streams]
        self.site_index = np.array(self.site_of_slot)
        self.job_market = np.array([self.sites[i].job_market for i in self.site_of_slot])
        self.hire_week = np.zeros(n_slots)
        self.staff_arrays = StaffArrays(n_slots)
        """The numeric state of the ES in post, by position (read and written through each ES's attributes)."""
        self.review_gain = np.zeros(0)
        """The start-up plan's fidelity-review clarity gain by a site's age in weeks (levers.week_events), for the
        ages met so far (``_review_gains``)."""
        self._shocked: list[int] = []
        """The positions whose ES has a shock pending this week (``_draw_shocks``, felt in ``_appraise``)."""
        cap = scenario.clients.caseload_cap
        caps = [max(1, round(cap * scenario.staff.supervisor_caseload_share)) if sup else cap for sup in supervisor]
        self.caseloads = Caseloads(scenario.clients, self.site_of_slot, caps, len(self.sites),
                                   [client_stream(main) for main, _, _, _ in streams])
        self.weekly: list[list[list[float]]] = [[] for _ in self.seeds]
        """Each replicate's weekly rows."""
        self.spells: list[list[dict]] = [[] for _ in self.seeds]
        """Each replicate's spells ended so far."""
        self.departures_this_week = np.zeros(k, dtype=np.int64)
        self.hires_this_week = np.zeros(k, dtype=np.int64)
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
        plan, week, sites = self.settings.start_up_plan, self.week, self.site_state
        self.now = self._week_values(levers.week_events(plan, week, "service").seminar)
        is_open = sites.is_open(week)
        gain = self._review_gains(np.where(is_open, week - sites.opens_week, 0)) * is_open
        if gain.any():
            sites.review(gain)
        self.departures_this_week[:] = self.hires_this_week[:] = 0
        self._draw_shocks(is_open)
        self._serve_clients()
        stepped = self.occupied.copy()
        self._appraise(stepped)
        staffed, filled = self._staffing()
        sites.mature(self.settings.readiness, is_open, staffed, sites.leadership(filled))
        self._recruit()
        self._depart()
        if self.week >= 1:
            self._record(stepped)

    def _review_gains(self, ages: np.ndarray) -> np.ndarray:
        """The start-up plan's fidelity-review clarity gain at each site's age (its ``clock="site"`` levers), from a
        table by age that grows as sites age."""
        most = int(ages.max(initial=0))
        if most >= self.review_gain.size:
            plan = self.settings.start_up_plan
            more = [levers.week_events(plan, age, "site").review_clarity_gain
                    for age in range(self.review_gain.size, 2 * most + 1)]
            self.review_gain = np.concatenate([self.review_gain, more])
        return self.review_gain[ages]

    def _staffing(self) -> tuple[np.ndarray, np.ndarray]:
        """Each site's ES in post and dual-role supervisors in post, now."""
        n = len(self.sites)
        return (np.bincount(self.site_index[self.occupied], minlength=n),
                np.bincount(self.site_index[self.occupied & self.is_supervisor], minlength=n))

    def site_view(self, at: slice | list[int] = slice(None)) -> SiteView:
        """What site-scope factors read now at the sites ``at`` (every site, or one: the per-agent evaluation)."""
        return SiteView(self.site_state, *self._staffing(), at)

    def _appraise(self, staffed: np.ndarray) -> None:
        """The week's appraisal, fused: the site-scope factors evaluated once on a view of every site, then the
        specialist-scope factors and the strain dynamics once on a view of every position (``agents.feel_week``; a
        vacant position's values are computed and not used), then each ES not in notice who has a shock pending or
        whose strain reached their threshold decides (``EmploymentSpecialist.react``).
        The same declarations, on one site's or one ES's view, are ``Site.appraise`` and
        ``EmploymentSpecialist.step``, which give the same numbers (tests/core/test_fused.py). ``staffed``: the
        positions with an ES in post."""
        self.site_state.begin_week()
        sites = self.site_view()
        appraise_sites(self, sites, slice(None))
        state = self.staff_arrays
        working = staffed & (state.leave_week == np.inf)
        feel_week(self, slice(None), AtSites(sites, self.site_index), working)
        deciding = (state.strain >= state.threshold) & working
        deciding[self._shocked] = True
        for slot in np.flatnonzero(deciding).tolist():
            self.slots[slot].react()

    def _draw_shocks(self, is_open: np.ndarray) -> None:
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
        self._shocked = []
        u = self.position_uniforms.week()
        service = self.reorganisation_uniforms.week().reshape(len(self.seeds), -1)
        u_region, u_site = service[:, :len(self.regions)].ravel(), service[:, len(self.regions):].ravel()
        decisive = u[:, 1] < sh.direct_quit_probability
        renewed = u[:, 2] < staff.renewal_probability
        ordinary = np.flatnonzero(u[:, 3] < p_ordinary)
        reasons = np.searchsorted(self.reason_edges, u[ordinary, 4], side="right").tolist()
        hit = [(self.slots[i], "work_life_conflict") for i in np.flatnonzero(u[:, 0] < p_conflict).tolist()]
        week = self.week
        for site in self._reorganised(u_region < p_reorg, u_site, is_open):
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
                es.pending_shock, es.shock_is_decisive = kind, bool(decisive[es.slot])
                self._shocked.append(es.slot)

    def _reorganised(self, drawn: np.ndarray, u_site: np.ndarray, is_open: np.ndarray) -> list[Site]:
        """The open sites a region-wide reorganisation hits this week, drawn (``drawn``: per region) or scheduled:
        each of its region's open sites with chance ``reach`` (one uniform number per site and week, shared)."""
        reach = np.where(drawn, self.settings.shocks.reorganisation_reach, 0.0)
        for planned in self.settings.reorganisations:
            if planned.week == self.week:
                for r, region in enumerate(self.regions):
                    if planned.region in ("", region):  # the region in every replicate
                        reach[r::len(self.regions)] = np.maximum(reach[r::len(self.regions)], planned.reach)
        return [self.sites[i] for i in np.flatnonzero(is_open & (u_site < reach[self.region_of_site])).tolist()]

    def _serve_clients(self) -> None:
        """Clients move and are referred; a searching client's job chance grows with the ES's
        experience, the site's health-team integration and its job market (M21; sizes assumed), and falls when the
        caseload is above the fidelity caseload (less time per client; clients.time_per_client_effect)."""
        staff, clients = self.settings.staff, self.settings.clients
        staffed = self.occupied
        tenure = self.week - self.hire_week
        experience = 1.0 - (1.0 - staff.novice_effectiveness) * np.exp(-tenure / staff.experience_weeks)
        site_integration = self.site_state.parts[HEALTH_TEAM_INTEGRATION]
        integration = 1.0 - clients.integration_effect * (1.0 - site_integration[self.site_index])
        cl = self.caseloads
        fidelity = float(clients.fidelity_caseload)
        caseload = np.array(cl.caseload, dtype=float)
        time_share = (fidelity / np.maximum(caseload, fidelity)) ** clients.time_per_client_effect
        p_job = np.minimum(1.0, clients.job_start_rate * experience * integration * self.job_market * time_share)
        cl.week(staffed, p_job * staffed, self.week)
        # The ES read their caseload from the client process's per-position counts (agents.CLIENT_COUNTS).
        self.site_state.job_starts = np.bincount(self.site_index, weights=cl.job_starts, minlength=len(self.sites))

    def _recruit(self) -> None:
        """A position opening this week gets its first ES; vacancies opened in earlier weeks count down, and a new
        ES starts when one reaches zero."""
        week, vacant = self.week, ~self.occupied
        counting = vacant & (self.open_week < week)
        self.vacancy_left[counting] -= 1
        hires = np.flatnonzero((vacant & (self.open_week == week)) | (counting & (self.vacancy_left <= 0)))
        for slot in hires.tolist():
            self._hire(slot)
        self.hires_this_week += np.bincount(hires // self.n_positions, minlength=len(self.seeds))

    def _depart(self) -> None:
        leaving = np.flatnonzero(self.occupied & (self.staff_arrays.leave_week == self.week))
        for es in [self.slots[slot] for slot in leaving.tolist()]:
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
        self.occupied[slot] = True
        self.slots[slot] = EmploymentSpecialist(self, self.sites[self.site_of_slot[slot]], slot, traits, end,
                                                bool(self.is_supervisor[slot]))

    def _leave(self, es: EmploymentSpecialist) -> None:
        """An ES leaves: the spell is recorded, a vacancy opens, clients move, knowledge is lost."""
        replicate = es.slot // self.n_positions
        self.spells[replicate].append(self._spell(es, "quit"))
        es.site.staff.remove(es)
        self.slots[es.slot] = None
        self.occupied[es.slot] = False
        delay = self.recruitment_rngs[replicate].poisson(self.settings.staff.recruitment_delay_weeks)
        self.vacancy_left[es.slot] = max(1, int(delay))
        colleagues = [c.slot for c in es.site.staff if not c.leaving] or [c.slot for c in es.site.staff]
        self.caseloads.release(es.slot, colleagues, self.week)
        es.site.lose_knowledge()
        es.remove()
        self.departures_this_week[replicate] += 1

    def _spell(self, es: EmploymentSpecialist, outcome: str) -> dict:
        return {
            "site": es.site.name,
            "entry": es.site.entry,
            "position": es.slot % self.n_positions,
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
        """Append this week's row of each replicate; pressures and strain are means over the ES who worked the week
        (``stepped``: the positions whose ES did), readiness means over the open sites.

        Each replicate's figures are reduced over its own block of positions or sites (arrays reshaped to one row
        per replicate, the positions or sites not counted as zeros), so a replicate's row has the same bits whether
        it runs alone or in lockstep with others."""
        state, clients, week = self.staff_arrays, self.caseloads, self.week
        k, p, n = len(self.seeds), self.n_positions, self.n_sites

        def per_replicate(values: np.ndarray, block: int = p) -> np.ndarray:
            """Sum over each replicate's block (the last axis)."""
            return values.reshape(*values.shape[:-1], k, block).sum(axis=-1)

        n_stepped = np.maximum(1, per_replicate(stepped))
        pressure = per_replicate(np.where(stepped, state.felt, 0.0)) / n_stepped
        strain = per_replicate(np.where(stepped, state.strain, 0.0)) / n_stepped
        depletion = per_replicate(np.where(stepped, np.minimum(state.strain / state.threshold, 1.0), 0.0)) / n_stepped
        headcount = per_replicate(self.occupied)
        positions = per_replicate(self.open_week <= week)
        is_open = self.site_state.is_open(week)
        sites = is_open if is_open.any() else np.ones_like(is_open)  # before any opens: every site
        readiness = per_replicate(np.where(sites, self.site_state.parts, 0.0), n) / per_replicate(sites, n)
        columns = zip(
            positions.tolist(),
            headcount.tolist(),
            per_replicate(self.occupied & (state.leave_week != np.inf)).tolist(),
            self.departures_this_week.tolist(),
            self.hires_this_week.tolist(),
            strain.tolist(),
            depletion.tolist(),
            per_replicate(clients.caseload).tolist(),
            per_replicate(clients.in_work).tolist(),
            per_replicate(clients.waiting, n).tolist(),
            per_replicate(clients.job_starts).tolist(),
            readiness.T.tolist(),
            pressure.T.tolist(),
            strict=True,
        )
        for rows, (open_positions, staff, notice, departures, hires, mean_strain, mean_depletion, caseload, working,
                   waiting, starts, parts, pressures_now) in zip(self.weekly, columns, strict=True):
            rows.append([
                week, open_positions, staff, open_positions - staff, notice, departures, hires, mean_strain,
                mean_depletion, caseload, working, waiting, starts,
                sum(parts) / len(parts),  # the mean over open sites of each site's mean readiness
                *parts,
                *pressures_now,
            ])

    # --- running ----------------------------------------------------------------------------

    def run(self) -> RunRecord:
        """Run the warm-up and the scenario's horizon, and return the records of the model's one replicate."""
        self.run_for(self.warm_up + self.settings.weeks)
        return self.record()

    def record(self) -> RunRecord:
        """The records so far of the model's one replicate (``records`` for several)."""
        if len(self.seeds) != 1:
            raise ValueError(f"this model runs {len(self.seeds)} replicates: use records()")
        return self.records()[0]

    def records(self) -> list[RunRecord]:
        """Each replicate's records so far: the window's weekly rows, and every spell of the run (those of the warm-up
        too, with negative weeks), the spells of ES still in post censored now, and every client referred."""
        names = tuple((site.name, site.entry) for site in self.sites[:self.n_sites])
        out = []
        for r, seed in enumerate(self.seeds):
            in_post = self.slots[r * self.n_positions:(r + 1) * self.n_positions]
            censored = [self._spell(es, "censored") for es in in_post if es is not None]
            out.append(RunRecord(seed, self.weekly[r], self.spells[r] + censored, self.caseloads.table(r), names))
        return out


class WeeklyUniforms:
    """Each week's uniform numbers from several generators (``shapes``: each one's numbers a week), concatenated
    along the first axis; drawn ``BLOCK`` weeks at a time, which gives the same numbers week by week as drawing
    each week (a generator's doubles come in sequence), with a fraction of the calls."""

    BLOCK = 26

    def __init__(self, rngs: list[np.random.Generator], shapes: list[tuple[int, ...]]) -> None:
        self.rngs, self.shapes = rngs, shapes
        self.drawn = np.zeros((0, 0))
        self.used = 0

    def week(self) -> np.ndarray:
        """This week's numbers: each generator's, of its shape, one after the other."""
        if self.used == len(self.drawn):
            self.drawn = np.concatenate([rng.random((self.BLOCK, *shape)) for rng, shape in
                                         zip(self.rngs, self.shapes, strict=True)], axis=1)
            self.used = 0
        self.used += 1
        return self.drawn[self.used - 1]


def run_lockstep(scenario: Scenario, seeds: Sequence[int]) -> list[RunRecord]:
    """Run one replicate of ``scenario`` per seed, all in one model (in lockstep: each week's arithmetic done once
    for all of them), and return their records in seed order: the same records as each seed's replicate run alone
    (``IPSModel(scenario, seed).run()``), to the bit (tests/core/test_lockstep.py)."""
    model = IPSModel(scenario, seeds)
    model.run_for(model.warm_up + scenario.weeks)
    return model.records()


def client_stream(main: np.random.SeedSequence) -> np.random.Generator:
    """A replicate's clients' generator: the one a Mesa model is given from its ``main`` stream, after the one
    number Mesa draws from it to seed its Python ``random`` (so that a replicate's clients draw the same numbers
    whether it runs alone or in lockstep, and as in 0.5.0)."""
    rng = np.random.default_rng(main)
    rng.integers(np.iinfo(np.int32).max)
    return rng
