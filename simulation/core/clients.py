"""Job seekers: the clients on each ES position's caseload, kept as counts by state.

Each client is in one of three states: *searching* (working toward a job), *working* (in a
competitive job with follow-along support) or *away* (out of contact after a setback). Every
week each client independently moves between states with the probabilities below; because
clients are exchangeable within a caseload, keeping counts and giving each client one uniform
number per week (vectorised over all clients) has exactly the distribution of stepping each
client as an agent (``tests/core/test_clients.py`` checks this against a reference that steps each
client as a Mesa agent), at a fraction of the cost (``benchmarks/bench_clients.py``).

Weekly transitions, in this order, for each client (competing risks taken sequentially):
searching: job start (``p_job``), else setback (``setback_rate``: moves to away), else leaves
the service (``dropout_rate``); working: setback (``working_setback_rate``), which loses the job
with ``job_loss_given_setback`` (moves to away) and otherwise only costs the ES a week of
winning the employer back (stays working, counted as a setback event), else support ends
(``support_end_rate``); away: comes back (``return_rate``), else leaves
(``setback_dropout_rate``). After the transitions, clients waiting at a site (who drop out at
``dropout_rate``) and then new referrals fill positions up to each position's cap (a dual-role supervisor's is
smaller: ``staff.supervisor_caseload_share``).
"""

from __future__ import annotations

import numpy as np

from simulation.core.scenario import Clients

SEARCHING, WORKING, AWAY = 0, 1, 2
STAY = 3
"""Column of a transition table counting the clients who stay in their state."""


class Caseloads:
    """Client counts per ES position (slot) and state, with this week's events per position."""

    def __init__(self, params: Clients, site_of_slot: list[int], caps: list[int], n_sites: int,
                 rng: np.random.Generator):
        self.p = params
        self.rng = rng
        self.site_of_slot = site_of_slot
        self.caps = np.array(caps, dtype=np.int64)
        """Each position's caseload cap: clients.caseload_cap, a share of it for a dual-role supervisor."""
        n = len(site_of_slot)
        self.counts = np.zeros((3, n), dtype=np.int64)
        """Clients by state (rows SEARCHING, WORKING, AWAY) and position (columns)."""
        self.waiting = [0] * n_sites
        """Clients at each site whose ES left when no colleague had room; assigned first."""
        self._slots_of_site = [[k for k, s in enumerate(site_of_slot) if s == site] for site in range(n_sites)]
        self._group = np.arange(3 * n)

        w_lost = params.working_setback_rate * params.job_loss_given_setback
        working = [w_lost, params.working_setback_rate - w_lost,
                   (1.0 - params.working_setback_rate) * params.support_end_rate]
        away = [params.return_rate, (1.0 - params.return_rate) * params.setback_dropout_rate, 0.0]
        fixed = np.vstack([np.zeros((n, 3)), np.tile(np.cumsum(working), (n, 1)), np.tile(np.cumsum(away), (n, 1))])
        self._edges = self._group[:, None] + fixed
        """Outcome slice edges per (state, position) group; the searching rows change weekly."""
        # A searching client's cumulative edges (job start; setback; drop-out) are linear in the
        # job probability: edge_i = alpha_i + beta_i * p_job.
        s, d = params.setback_rate, params.dropout_rate
        self._alpha = self._group[:n, None] + np.array([0.0, s, s * (1.0 - d) + d])
        self._beta = np.array([1.0, 1.0 - s, (1.0 - s) * (1.0 - d)])
        self.job_starts, self.setbacks, self.jobs_lost = [0] * n, [0] * n, [0] * n
        self.caseload, self.in_work, self.searching = [0] * n, [0] * n, [0] * n

    def week(self, staffed: np.ndarray, p_job: np.ndarray) -> None:
        """Move clients between states, then fill open caseload places (staffed positions only)."""
        p, n = self.p, len(p_job)
        # Searching clients: job start, else setback, else drop-out (cumulative slice edges).
        np.add(self._alpha, np.multiply.outer(p_job, self._beta), out=self._edges[:n])
        t = self._transitions().reshape(3, n, 4)
        starts, s_setbacks = t[SEARCHING, :, 0], t[SEARCHING, :, 1]
        lost, kept = t[WORKING, :, 0], t[WORKING, :, 1]
        back = t[AWAY, :, 0]
        c = self.counts
        c[SEARCHING] = t[SEARCHING, :, STAY] + back
        c[WORKING] = t[WORKING, :, STAY] + kept + starts
        c[AWAY] = t[AWAY, :, STAY] + s_setbacks + lost

        room = np.maximum(0, self.caps - c.sum(axis=0)) * staffed
        if any(self.waiting):
            self._serve_waiting(room)
        c[SEARCHING] += np.minimum(self.rng.poisson(p.referrals_per_week, size=n), room)

        self.job_starts = starts.tolist()
        self.setbacks = (s_setbacks + lost + kept).tolist()
        self.jobs_lost = lost.tolist()
        self._refresh()

    def _transitions(self) -> np.ndarray:
        """Give each client one uniform number; return counts of each outcome per group.

        Groups are (state, position) pairs. Group g's outcomes are the slices of [g, g + 1) cut
        at ``self._edges[g]`` (g plus the cumulative probabilities); a client's outcome is the
        slice its number g + u falls in, the last one (column STAY) meaning "stays". One
        sorted search places every client.
        """
        group = np.repeat(self._group, self.counts.ravel())
        outcome = np.searchsorted(self._edges.ravel(), group + self.rng.random(group.size), side="right")
        return np.bincount(outcome + group, minlength=self._group.size * 4)

    def _serve_waiting(self, room: np.ndarray) -> None:
        """Waiting clients may drop out; the rest go to positions at their site with room under the cap."""
        dropped = self.rng.binomial(self.waiting, self.p.dropout_rate).tolist()
        for site, (waiting, drop) in enumerate(zip(self.waiting, dropped, strict=True)):
            waiting -= drop
            for slot in self._slots_of_site[site] if waiting else ():
                take = min(waiting, int(room[slot]))
                if take:
                    waiting -= take
                    self.counts[SEARCHING, slot] += take
                    room[slot] -= take
            self.waiting[site] = waiting

    def release(self, slot: int, colleagues: list[int]) -> None:
        """Hand a departing ES's clients to colleagues (up to their cap + overflow), the rest wait.

        Working clients move first (continuity of job support), then searching, then away
        clients; each goes to the colleague with the most room under their cap. Clients left over join
        the site's waiting list and later restart as searching clients.
        """
        c = self.counts
        for state in (WORKING, SEARCHING, AWAY):
            while c[state, slot] > 0 and colleagues:
                target = min(colleagues, key=lambda k: (self.total_of(k) - self.caps[k], k))
                if self.total_of(target) >= self.caps[target] + self.p.transfer_overflow:
                    break
                c[state, slot] -= 1
                c[state, target] += 1
        self.waiting[self.site_of_slot[slot]] += self.total_of(slot)
        c[:, slot] = 0
        self._refresh()

    def total_of(self, slot: int) -> int:
        return int(self.counts[:, slot].sum())

    def _refresh(self) -> None:
        """Plain-list views for the ES agents' factor functions (fast scalar reads)."""
        c = self.counts
        self.caseload = c.sum(axis=0).tolist()
        self.in_work = c[WORKING].tolist()
        self.searching = c[SEARCHING].tolist()
