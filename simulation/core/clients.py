"""Job seekers, each followed as an individual from referral to the end of their follow-up.

Every client referred is a row of per-client arrays (referral week, site, the ES position whose caseload they are
on, state, job and ES-change history). Keeping clients as arrays, not Mesa agents, gives each client the same rules
at a fraction of the cost: ``tests/core/test_clients.py`` checks the arrays against a reference that steps each
client as a Mesa agent, and ``benchmarks/bench_clients.py`` measures the difference.

States: in the service, a client is *searching* (working toward a job), *working* (in a competitive job with
follow-along support) or *away* (out of contact after a setback), on an ES's caseload or, after their ES left when
no colleague had room, *waiting* at the site for one. Out of the service, a client is *left working* (their
follow-along support ended while in work: still in a job, and still followed) or *left* (no longer in work or no
longer followed).

Weekly transitions, one uniform number per client, competing risks taken in this order:
- searching, on a caseload: job start (``p_job`` of their ES's position), else setback (``setback_rate``: away), else
  leaves the service (``dropout_rate``);
- working, on a caseload: setback (``working_setback_rate``), which loses the job with ``job_loss_given_setback``
  (away) and otherwise only costs the ES a week of winning the employer back (stays working, counted as a setback),
  else follow-along support ends (``support_end_rate``: left working);
- away, on a caseload: comes back (``return_rate``: searching), else leaves (``setback_dropout_rate``);
- waiting (any in-service state): leaves the service with ``dropout_rate`` (a working client then leaves working);
  nothing else happens until an ES takes them on (assumption: waits are a few weeks);
- left working: loses the job with the weekly hazard a supported job has (``working_setback_rate`` x
  ``job_loss_given_setback``; assumption: no figure for job retention after support was found), then left.
A client out of the service is followed until ``FOLLOW_UP_WEEKS[-1]`` weeks after referral, the trial's longest
follow-up (Reme19: 12 and 18 months); their state after that is not simulated. A client who leaves the service
without a job is counted as not in work from then on (assumption: no job found without IPS support; the trial's
control arm found one for 27.1% within 12 months, so this leans low).

After the transitions, waiting clients (oldest first) and then new referrals fill positions up to each position's
cap (a dual-role supervisor's is smaller: ``staff.supervisor_caseload_share``). When an ES leaves, each of their
clients counts one ES change (continuity broken), working clients move first to colleagues, each to the one with
the most room under their cap up to ``transfer_overflow`` above it, then searching, then away clients; the rest
wait.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.core.scenario import Clients

SEARCHING, WORKING, AWAY, LEFT_WORKING, LEFT = 0, 1, 2, 3, 4
"""Client states: in the service (the first three), then out of it (in work and still followed, or not)."""
WAITING = -1
"""The position (slot) of a client in the service whose ES left and who waits for another."""
OUT = -2
"""The position (slot) of a client out of the service."""
MISSING = np.iinfo(np.int32).min
"""A week that has not happened (no job yet, still in the service): an empty cell in clients.csv."""
FOLLOW_UP_WEEKS = (52, 78)
"""The weeks after referral at which a client's employment is read: 12 and 18 months, as the trial measured it
(Reme et al. 2019: registry data at 12 and 18 months after each participant's inclusion)."""
LEFT_SERVICE = ("", "support_ended", "dropped_out")
"""How a client left the service (clients.csv's ``left_service``): not (yet), follow-along support ended while in
work, or dropped out (searching, away or waiting, or lost to contact)."""
_START, _SETBACK, _DROPPED, _LOST, _KEPT, _SUPPORT_ENDED, _JOB_ENDED, _EVENTS = 1, 2, 3, 4, 5, 6, 7, 8
"""What a client's week records (``_EVENT``; an outcome is 0-2 for the risks in order, 3 for none): a job start, a
setback (searching), leaving the service without work, a job lost in a setback, a setback that kept the job, support
ended in work, a job ended after support; 0 is nothing to record."""
_S, _W, _A, _LW, _L = SEARCHING, WORKING, AWAY, LEFT_WORKING, LEFT
_NEXT = np.array([
    [_W, _A, _L, _S],  # searching: job start, setback, drop-out, stays
    [_A, _W, _LW, _W],  # working: job lost in a setback, setback kept, support ends, stays
    [_S, _L, _A, _A],  # away: comes back, leaves (the third edge equals the second: never drawn), stays
    [_L, _LW, _LW, _LW],  # left working: the job lost
    [_L, _L, _L, _L],  # left
    [_L, _S, _S, _S],  # waiting, searching: leaves
    [_LW, _W, _W, _W],  # waiting, working: leaves, still in work
    [_L, _A, _A, _A],  # waiting, away: leaves
], dtype=np.int32)
"""The state after each outcome, by kind of client (``state``, or 5 + state while waiting for an ES)."""
_EVENT = np.array([
    [_START, _SETBACK, _DROPPED, 0],
    [_LOST, _KEPT, _SUPPORT_ENDED, 0],
    [0, _DROPPED, 0, 0],
    [_JOB_ENDED, 0, 0, 0],
    [0, 0, 0, 0],
    [_DROPPED, 0, 0, 0],
    [_SUPPORT_ENDED, 0, 0, 0],
    [_DROPPED, 0, 0, 0],
], dtype=np.int64)
"""What each outcome records, by kind of client (as _NEXT)."""


@dataclass(frozen=True)
class ClientTable:
    """Every client of one replicate, one entry per client in referral order (records.CLIENT_COLUMNS).

    Weeks are on the observation window's clock (negative in a warm-up); ``MISSING`` marks a week that did not
    happen; ``employed_12m`` and ``employed_18m`` are 1 (in competitive work that many weeks after referral), 0, or
    -1 (the run ended before then).
    """

    site: np.ndarray
    referral_week: np.ndarray
    first_job_week: np.ndarray
    jobs: np.ndarray
    job_end_week: np.ndarray
    left_service_week: np.ndarray
    left_service: np.ndarray
    es_changes: np.ndarray
    es_changes_12m: np.ndarray
    employed_12m: np.ndarray
    employed_18m: np.ndarray

    def __len__(self) -> int:
        return int(self.referral_week.size)

    @classmethod
    def empty(cls) -> ClientTable:
        return cls(**{name: np.zeros(0, dtype=np.int32) for name in cls.__dataclass_fields__})


class Caseloads:
    """The clients of every ES position (slot): per-client arrays, and this week's events and counts per position.

    After ``week`` and ``release``, ``caseload``, ``in_work`` and ``searching`` are per-position counts (numpy
    arrays) of the clients on each caseload; ``job_starts``, ``setbacks`` and ``jobs_lost`` this week's events per
    position; ``waiting`` the clients waiting at each site.
    """

    def __init__(self, params: Clients, site_of_slot: list[int], caps: list[int], n_sites: int,
                 rngs: list[np.random.Generator]):
        self.p = params
        self.rngs = rngs
        """Each replicate's generator: replicates in lockstep (``IPSModel``) hold equal blocks of sites and positions,
        in order, and each draws its clients' numbers from its own."""
        self.sites_per_replicate = n_sites // len(rngs)
        self.slots_per_replicate = len(site_of_slot) // len(rngs)
        self.site_of_slot = np.array(site_of_slot, dtype=np.int32)
        self.caps = np.array(caps, dtype=np.int64)
        """Each position's caseload cap: clients.caseload_cap, a share of it for a dual-role supervisor."""
        self.n_slots, self.n_sites = len(site_of_slot), n_sites
        order = np.argsort(self.site_of_slot, kind="stable")
        bounds = np.searchsorted(self.site_of_slot[order], np.arange(n_sites + 1))
        self._slots_of_site = [order[bounds[s]:bounds[s + 1]].tolist() for s in range(n_sites)]
        """Each site's positions in order (built in O(positions))."""

        w_lost = params.working_setback_rate * params.job_loss_given_setback
        never = [-1.0, -1.0, -1.0]  # no risk: the client stays (outcome 3)
        waits = [params.dropout_rate, 2.0, 2.0]
        edges = np.array([
            [0.0, 0.0, 0.0],  # searching: replaced per client by its position's job chance (alpha + beta * p_job)
            np.cumsum([w_lost, params.working_setback_rate - w_lost,
                       (1.0 - params.working_setback_rate) * params.support_end_rate]),
            np.cumsum([params.return_rate, (1.0 - params.return_rate) * params.setback_dropout_rate, 0.0]),
            [w_lost, 2.0, 2.0],  # left working: the job lost
            never,  # left
            waits, waits, waits,  # waiting (searching, working, away): leaves the service
        ])
        self._edges = np.zeros((3, len(_NEXT) + self.n_slots))
        """Cumulative outcome edges (rows) per kind of client (columns: its state, or 5 + its state while waiting,
        as the rows of ``_NEXT``; then, for a searching client on a caseload, one column per position, filled each
        week from the position's job chance); a client's outcome is how many edges their number reaches
        (3: none of the risks, the client stays)."""
        self._edges[:, :len(_NEXT)] = edges.T
        # A searching client's cumulative edges (job start; setback; drop-out) are linear in the job chance.
        s, d = params.setback_rate, params.dropout_rate
        self._alpha = np.array([0.0, s, s * (1.0 - d) + d])[:, None]
        self._beta = np.array([1.0, 1.0 - s, (1.0 - s) * (1.0 - d)])[:, None]

        self._n = 0
        size = 64
        columns = ("slot", "state", *ClientTable.__dataclass_fields__)
        self._a = {name: np.zeros(size, dtype=np.int32) for name in columns}
        """Every client's columns: their position and state now, and their record (ClientTable's fields)."""
        self.live = np.zeros(0, dtype=np.int64)
        """The clients still simulated (in the service, or out of it in work within their follow-up): each
        replicate's in referral order, replicate after replicate."""
        self._slots = np.zeros(0, dtype=np.int32)
        """The live clients' positions (as ``live``): kept beside it so that a week and a departure need not gather
        them."""
        self._live_by_replicate = np.zeros(len(rngs), dtype=np.int64)
        """How many of ``live`` are each replicate's (their blocks, in order)."""
        self._referred_in: dict[int, tuple[int, int]] = {}
        """The clients referred in each week: a range of client numbers (clients are numbered in referral order)."""
        zeros = np.zeros(self.n_slots, dtype=np.int64)
        self.caseload, self.in_work, self.searching = zeros, zeros.copy(), zeros.copy()
        self.job_starts, self.setbacks, self.jobs_lost = zeros.copy(), zeros.copy(), zeros.copy()
        self.waiting = np.zeros(n_sites, dtype=np.int64)

    # --- the week --------------------------------------------------------------------------------

    def week(self, staffed: np.ndarray, p_job: np.ndarray, week: int) -> None:
        """Move clients between states, read the follow-ups due, then fill open caseload places (staffed positions
        only) from the waiting clients and new referrals."""
        a, live = self._a, self.live
        state, slot = a["state"][live], self._slots.copy()
        kind = state + 5 * (slot == WAITING)
        edges = self._edges
        edges[:, len(_NEXT):] = self._alpha + self._beta * p_job
        column = np.where(kind == SEARCHING, slot + len(_NEXT), kind)
        u = self._uniforms()
        outcome = (u >= edges[0].take(column)).astype(np.int64)
        outcome += u >= edges[1].take(column)
        outcome += u >= edges[2].take(column)
        flat = kind * 4 + outcome
        state = _NEXT.take(flat)
        event = _EVENT.take(flat)
        a["state"][live] = state

        n = self.n_slots
        counted = np.flatnonzero((event > 0) & (slot >= 0))
        per_slot = np.bincount(slot[counted] * _EVENTS + event[counted], minlength=n * _EVENTS).reshape(n, _EVENTS)
        self.job_starts = per_slot[:, _START]
        self.jobs_lost = per_slot[:, _LOST]
        self.setbacks = per_slot[:, _SETBACK] + per_slot[:, _LOST] + per_slot[:, _KEPT]
        changed = np.flatnonzero(event > 0)
        ids, happened = live[changed], event[changed]
        started = ids[happened == _START]
        a["jobs"][started] += 1
        first = started[a["first_job_week"][started] == MISSING]
        a["first_job_week"][first] = week
        a["job_end_week"][ids[(happened == _LOST) | (happened == _JOB_ENDED)]] = week
        for code, how in ((_SUPPORT_ENDED, 1), (_DROPPED, 2)):
            leaving = ids[happened == code]
            a["slot"][leaving] = OUT
            a["left_service_week"][leaving] = week
            a["left_service"][leaving] = how
        slot[state >= LEFT_WORKING] = OUT
        self._follow_up(week)

        # Stop simulating clients who have left and are not in work, or whose follow-up is over.
        over = state == LEFT
        followed = np.flatnonzero(state == LEFT_WORKING)
        over[followed[week - a["referral_week"][live[followed]] >= FOLLOW_UP_WEEKS[-1]]] = True
        keep = ~over
        self.live, slot, state = live[keep], slot[keep], state[keep]
        self._slots = slot
        self._live_by_replicate = np.bincount(np.repeat(np.arange(len(self.rngs)), self._live_by_replicate)[keep],
                                              minlength=len(self.rngs))

        self._count_from(slot, state)
        room = np.maximum(0, self.caps - self.caseload) * staffed
        if self.waiting.any() and self._serve_waiting(room):
            self._count()
        referred = [rng.poisson(self.p.referrals_per_week, size=self.slots_per_replicate) for rng in self.rngs]
        new = np.minimum(np.concatenate(referred), room)
        self._refer(new, week)
        self.caseload = self.caseload + new
        self.searching = self.searching + new

    def _uniforms(self) -> np.ndarray:
        """One uniform number per live client: each replicate's clients', in their order, from its own stream."""
        counts = self._live_by_replicate.tolist()
        return np.concatenate([rng.random(n) for rng, n in zip(self.rngs, counts, strict=True)])

    def _follow_up(self, week: int) -> None:
        """Read the employment of the clients referred 12 and 18 months ago (in work: working or left working)."""
        a = self._a
        for weeks, column in zip(FOLLOW_UP_WEEKS, ("employed_12m", "employed_18m"), strict=True):
            first, end = self._referred_in.get(week - weeks, (0, 0))
            state = a["state"][first:end]
            a[column][first:end] = (state == WORKING) | (state == LEFT_WORKING)

    def _refer(self, new: np.ndarray, week: int) -> None:
        """Add ``new[k]`` new searching clients to each position k's caseload."""
        count = int(new.sum())
        start = self._n
        self._referred_in[week] = (start, start + count)
        if not count:
            return
        self._grow(start + count)
        end = start + count
        slots = np.repeat(np.arange(self.n_slots, dtype=np.int32), new)
        a = self._a
        a["slot"][start:end] = slots
        a["site"][start:end] = self.site_of_slot[slots]
        a["state"][start:end] = SEARCHING
        a["referral_week"][start:end] = week
        for name in ("first_job_week", "job_end_week", "left_service_week"):
            a[name][start:end] = MISSING
        for name in ("jobs", "left_service", "es_changes", "es_changes_12m"):
            a[name][start:end] = 0
        a["employed_12m"][start:end] = a["employed_18m"][start:end] = -1
        self._n += count
        # each replicate's new clients after its live ones: ``live`` stays in blocks by replicate
        added = new.reshape(len(self.rngs), -1).sum(axis=1)
        at = np.repeat(np.cumsum(self._live_by_replicate), added)
        self.live = np.insert(self.live, at, np.arange(start, end))
        self._slots = np.insert(self._slots, at, slots)
        self._live_by_replicate = self._live_by_replicate + added

    def _grow(self, size: int) -> None:
        capacity = self._a["slot"].size
        if size <= capacity:
            return
        capacity = max(size, 2 * capacity)
        for name, column in self._a.items():
            grown = np.zeros(capacity, dtype=np.int32)
            grown[:column.size] = column
            self._a[name] = grown

    def _serve_waiting(self, room: np.ndarray) -> bool:
        """Waiting clients, oldest first, go to positions at their site with room under the cap; whether any did."""
        a = self._a
        waiting = np.flatnonzero(self._slots == WAITING)
        served = False
        for i, site in zip(waiting.tolist(), a["site"][self.live[waiting]].tolist(), strict=True):
            for k in self._slots_of_site[site]:
                if room[k] > 0:
                    a["slot"][self.live[i]] = self._slots[i] = k
                    room[k] -= 1
                    served = True
                    break
        return served

    def release(self, slot: int, colleagues: list[int], week: int) -> None:
        """A departing ES's clients each count an ES change; they move to colleagues (up to their cap + overflow),
        working clients first (continuity of job support), then searching, then away clients, each to the
        colleague with the most room under their cap; the rest wait at the site. The counts are updated for the
        positions concerned only."""
        a = self._a
        where = np.flatnonzero(self._slots == slot)
        clients = self.live[where]
        a["es_changes"][clients] += 1
        a["es_changes_12m"][clients[week - a["referral_week"][clients] <= FOLLOW_UP_WEEKS[0]]] += 1
        states = a["state"][clients].tolist()
        rank = {WORKING: 0, SEARCHING: 1, AWAY: 2}
        order = sorted(range(clients.size), key=lambda j: (rank[states[j]], j))
        total = {k: int(self.caseload[k]) for k in colleagues}
        left = len(order)
        for j in order:
            target = min(colleagues, key=lambda k: (total[k] - self.caps[k], k)) if colleagues else None
            if target is None or total[target] >= self.caps[target] + self.p.transfer_overflow:
                break
            a["slot"][clients[j]] = self._slots[where[j]] = target
            total[target] += 1
            left -= 1
            self.caseload[target] += 1
            self.in_work[target] += states[j] == WORKING
            self.searching[target] += states[j] == SEARCHING
        waiting = where[self._slots[where] == slot]
        a["slot"][self.live[waiting]] = self._slots[waiting] = WAITING
        self.waiting[self.site_of_slot[slot]] += left
        self.caseload[slot] = self.in_work[slot] = self.searching[slot] = 0

    def _count(self) -> None:
        """Per-position counts of the clients on each caseload, and per-site counts of those waiting."""
        self._count_from(self._slots, self._a["state"][self.live])

    def _count_from(self, slot: np.ndarray, state: np.ndarray) -> None:
        """The counts, from the live clients' positions and states."""
        n = self.n_slots
        cell = np.where(slot >= 0, slot * 3 + state, 3 * n)  # out of the service or waiting: the spare last cell
        by_state = np.bincount(cell, minlength=3 * n + 1)[:3 * n].reshape(n, 3)
        self.searching, self.in_work = by_state[:, SEARCHING].copy(), by_state[:, WORKING].copy()
        self.caseload = by_state.sum(axis=1)
        self.waiting = np.bincount(self._a["site"][self.live[slot == WAITING]], minlength=self.n_sites)

    # --- the record ------------------------------------------------------------------------------

    def table(self, replicate: int = 0) -> ClientTable:
        """Every client of a replicate so far, in referral order (``site``: the site's number in its replicate)."""
        a, n = self._a, self._n
        first = replicate * self.sites_per_replicate
        mine = np.flatnonzero((a["site"][:n] >= first) & (a["site"][:n] < first + self.sites_per_replicate))
        columns = {name: a[name][mine] for name in ClientTable.__dataclass_fields__}
        columns["site"] = columns["site"] - np.int32(first)
        return ClientTable(**columns)
