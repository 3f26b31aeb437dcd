"""The IPS service model: sites, employment specialists, their clients and vacancies, week by week."""

from __future__ import annotations

import math
from collections.abc import Callable

import mesa
import numpy as np

from simulation.core import levers, pressures
from simulation.core.agents import EmploymentSpecialist, Site
from simulation.core.clients import Caseloads
from simulation.core.records import RunRecord
from simulation.core.scenario import ORDINARY_REASONS, Scenario, effective

TRAITS = ("quit_threshold", "intrinsic_motivation", "expected_readiness", "negative_emotionality")


class IPSModel(mesa.Model):
    """One replicate of a scenario: 1 step = 1 week.

    Randomness: every draw comes from generators spawned from ``numpy.random.SeedSequence(seed)``,
    one per purpose (clients via ``model.rng``; shocks, renewals and ordinary exits; recruitment; each
    position's hires' traits), so a scenario change that alters one purpose's draws leaves the others'
    streams untouched (common random numbers across scenarios, as far as the structure allows).

    Weekly order: the start-up plan's scheduled levers act (a seminar, a fidelity review); shocks, contract
    renewals and ordinary exits are drawn; clients move and are referred; each site evaluates its site-scope
    pressures and buffers; every ES feels the week's pressures and may decide to quit (in random order; the order
    does not change results because an ES's step reads only this week's site and caseload state); sites' readiness
    and employer network are built by the week's work and successes; vacancies count down and are filled; ES at the
    end of their notice leave; the week is recorded.
    """

    def __init__(self, scenario: Scenario, seed: int) -> None:
        main, traits, shocks, recruitment = np.random.SeedSequence(seed).spawn(4)
        super().__init__(rng=np.random.default_rng(main))
        scenario = effective(scenario)
        self.settings = scenario
        """The scenario with its start-up plan applied (simulation.core.levers)."""
        self.seed = seed
        self.now = self._week_values(seminar=False)
        """This week's service-wide values, passed to every factor (core.pressures.Week)."""
        self.dynamics = pressures.StrainDynamics(**scenario.strain.model_dump())
        self.factor_weights = [getattr(scenario.pressures, f.name) for f in pressures.ALL]
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
        self.buffer_index = [i for i, f in enumerate(pressures.ALL) if f.kind == "buffer"]

        self.sites: list[Site] = []
        self.site_of_slot: list[int] = []
        for spec in scenario.sites:
            for k in range(spec.count):
                name = spec.name if spec.count == 1 else f"{spec.name}-{k + 1}"
                self.site_of_slot += [len(self.sites)] * spec.positions
                self.sites.append(Site(self, name, spec))
        n_slots = len(self.site_of_slot)
        self.slots: list[EmploymentSpecialist | None] = [None] * n_slots
        self.vacancy_left: list[int] = [0] * n_slots
        self.trait_rngs = [np.random.default_rng(s) for s in traits.spawn(n_slots)]
        self.shock_rng = np.random.default_rng(shocks)
        self.recruitment_rng = np.random.default_rng(recruitment)
        self.site_index = np.array(self.site_of_slot)
        self.job_market = np.array([self.sites[i].job_market for i in self.site_of_slot])
        self.hire_week = np.zeros(n_slots)
        self.caseloads = Caseloads(scenario.clients, self.site_of_slot, len(self.sites), self.rng)
        self.weekly: list[list[float]] = []
        self.spells: list[dict] = []
        self.departures_this_week = 0
        self.hires_this_week = 0
        for slot in range(n_slots):
            self._hire(slot)

    def _factor_plan(self, scope: str) -> list[tuple[int, Callable, float]]:
        return [(i, f.intensity, self.factor_weights[i]) for i, f in enumerate(pressures.ALL) if f.scope == scope]

    # --- the week ---------------------------------------------------------------------------

    @property
    def week(self) -> int:
        """The simulation's week: Mesa's step counter ``steps``, the model's one clock (0 before the first step)."""
        return self.steps

    def _week_values(self, seminar: bool) -> pressures.Week:
        s = self.settings
        return pressures.Week(self.week, s.clients.caseload_cap, seminar)

    def step(self) -> None:
        events = levers.week_events(self.settings.start_up_plan, self.week)
        self.now = self._week_values(events.seminar)
        if events.review_clarity_gain:
            self.agents_by_type[Site].do("fidelity_review", events.review_clarity_gain)
        self.departures_this_week = self.hires_this_week = 0
        self._draw_shocks()
        self._serve_clients()
        self.agents_by_type[Site].do("appraise")
        specialists = self.agents_by_type[EmploymentSpecialist]
        specialists.shuffle_do("step")
        stepped = list(specialists)
        self.agents_by_type[Site].do("mature")
        self._recruit()
        self._depart()
        self._record(stepped)

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
        p_reorg = 1.0 - math.exp(-sh.reorganisation_per_site_year / 52.0)
        p_ordinary = 1.0 - math.exp(-exits.per_year / 52.0)
        u = self.shock_rng.random((len(self.slots), 5))
        u_site = self.shock_rng.random(len(self.sites))
        decisive = (u[:, 1] < sh.direct_quit_probability).tolist()
        renewed = (u[:, 2] < staff.renewal_probability).tolist()
        ordinary = np.flatnonzero(u[:, 3] < p_ordinary)
        reasons = np.searchsorted(self.reason_edges, u[ordinary, 4], side="right").tolist()
        hit = [(self.slots[i], "work_life_conflict") for i in np.flatnonzero(u[:, 0] < p_conflict).tolist()]
        for i in np.flatnonzero(u_site < p_reorg).tolist():
            self.sites[i].reorganise()
            hit += [(es, "reorganisation") for es in self.sites[i].staff]
        week = self.week
        for es in self.slots:
            if es is None or es.contract_end_week is None:
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

    def _serve_clients(self) -> None:
        """Clients move and are referred; a searching client's job chance grows with the ES's
        experience, the site's health-team integration and its job market (M21; sizes assumed)."""
        staff, clients = self.settings.staff, self.settings.clients
        staffed = np.array([es is not None for es in self.slots])
        tenure = self.week - self.hire_week
        experience = 1.0 - (1.0 - staff.novice_effectiveness) * np.exp(-tenure / staff.experience_weeks)
        site_integration = np.array([s.readiness.health_team_integration for s in self.sites])
        integration = 1.0 - clients.integration_effect * (1.0 - site_integration[self.site_index])
        p_job = np.minimum(1.0, clients.job_start_rate * experience * integration * self.job_market)
        cl = self.caseloads
        cl.week(staffed, p_job * staffed)
        for es, *week in zip(self.slots, cl.caseload, cl.in_work, cl.searching, cl.job_starts, cl.setbacks,
                             cl.jobs_lost, strict=True):
            if es is not None:
                (es.caseload, es.clients_in_work, es.clients_searching,
                 es.job_starts_this_week, es.setbacks_this_week, es.jobs_lost_this_week) = week
        starts = np.bincount(self.site_index, weights=self.caseloads.job_starts, minlength=len(self.sites))
        for site, n in zip(self.sites, starts.tolist(), strict=True):
            site.job_starts_this_week = int(n)

    def _recruit(self) -> None:
        """Vacancies opened in earlier weeks count down; a new ES starts when one reaches zero."""
        for slot, es in enumerate(self.slots):
            if es is None:
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
        self.slots[slot] = EmploymentSpecialist(self, self.sites[self.site_of_slot[slot]], slot, traits, end)

    def _leave(self, es: EmploymentSpecialist) -> None:
        """An ES leaves: the spell is recorded, a vacancy opens, clients move, knowledge is lost."""
        self.spells.append(self._spell(es, "quit"))
        es.site.staff.remove(es)
        self.slots[es.slot] = None
        self.vacancy_left[es.slot] = max(1, int(self.recruitment_rng.poisson(self.settings.staff.recruitment_delay_weeks)))
        colleagues = [c.slot for c in es.site.staff if not c.leaving] or [c.slot for c in es.site.staff]
        self.caseloads.release(es.slot, colleagues)
        es.site.lose_knowledge()
        es.remove()
        self.departures_this_week += 1

    def _spell(self, es: EmploymentSpecialist, outcome: str) -> dict:
        return {
            "site": es.site.name,
            "position": es.slot,
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

    def _record(self, stepped: list[EmploymentSpecialist]) -> None:
        """Append this week's row; pressures and strain are means over the ES who worked the week."""
        n_stepped = max(1, len(stepped))
        pressure = [sum(c) / n_stepped for c in zip(*(es.drain_now + es.nourish_now + es.site.buffers
                                                      for es in stepped))]
        in_post = [es for es in self.slots if es is not None]
        headcount = len(in_post)
        n_sites = len(self.sites)
        parts = [sum(column) / n_sites for column in zip(*(s.readiness.values() for s in self.sites), strict=True)]
        self.weekly.append([
            self.week,
            headcount,
            len(self.slots) - headcount,
            sum(es.leave_week is not None for es in in_post),
            self.departures_this_week,
            self.hires_this_week,
            sum(es.strain for es in stepped) / n_stepped,
            sum([es.strain / es.threshold if es.strain < es.threshold else 1.0 for es in stepped]) / n_stepped,
            sum(self.caseloads.caseload),
            sum(self.caseloads.in_work),
            sum(self.caseloads.waiting),
            sum(self.caseloads.job_starts),
            sum(parts) / len(parts),  # the mean over sites of each site's mean readiness
            *parts,
            *(pressure or [0.0] * len(pressures.ALL)),
        ])

    # --- running ----------------------------------------------------------------------------

    def run(self) -> RunRecord:
        """Run the scenario's horizon and return the replicate's records."""
        self.run_for(self.settings.weeks)
        return self.record()

    def record(self) -> RunRecord:
        """The records so far, with the spells of ES still in post censored now."""
        censored = [self._spell(es, "censored") for es in self.slots if es is not None]
        return RunRecord(self.seed, self.weekly, self.spells + censored)
