"""Job seekers kept as per-client arrays behave like job seekers stepped one by one as Mesa agents.

``simulation.core.clients.Caseloads`` keeps every client as a row of arrays and gives each one uniform number a
week. The reference below steps each client as a Mesa agent with the same rules. Both must produce the same
distributions, of the weekly caseload events and of each client's employment 52 weeks after referral; how much
faster the arrays are is measured in ``benchmarks/bench_clients.py`` (speed targets live in benchmarks, not tests).
"""

from __future__ import annotations

import math

import mesa
import numpy as np
import pytest
from scipy import stats

from simulation.core.clients import AWAY, LEFT, LEFT_WORKING, MISSING, OUT, SEARCHING, WAITING, WORKING, Caseloads
from simulation.core.scenario import Clients

PARAMS = Clients(referrals_per_week=2.0, setback_rate=0.05, working_setback_rate=0.03, job_start_rate=0.05,
                 support_end_rate=0.05)


class JobSeeker(mesa.Agent):
    """One client, stepped individually (the reference the arrays must match)."""

    def __init__(self, model: ReferenceCaseloads, position: int) -> None:
        super().__init__(model)
        self.position = position
        self.state = SEARCHING
        self.referral = model.week
        model.clients.append(self)

    def step(self) -> None:
        p, m, u = self.model.p, self.model, self.model.rng.random()
        w_lost = p.working_setback_rate * p.job_loss_given_setback
        if self.state == SEARCHING:
            pj = m.p_job[self.position]
            if u < pj:
                self.state = WORKING
                m.starts[self.position] += 1
            elif u < pj + (1 - pj) * p.setback_rate:
                self.state = AWAY
                m.setbacks[self.position] += 1
            elif u < pj + (1 - pj) * p.setback_rate + (1 - pj) * (1 - p.setback_rate) * p.dropout_rate:
                self.state = LEFT
        elif self.state == WORKING:
            if u < p.working_setback_rate:
                m.setbacks[self.position] += 1
                if u < w_lost:
                    self.state = AWAY
                    m.lost[self.position] += 1
            elif u < p.working_setback_rate + (1 - p.working_setback_rate) * p.support_end_rate:
                self.state = LEFT_WORKING
        elif self.state == AWAY:
            if u < p.return_rate:
                self.state = SEARCHING
            elif u < p.return_rate + (1 - p.return_rate) * p.setback_dropout_rate:
                self.state = LEFT
        elif u < w_lost:  # left working: the job lost without support
            self.state = LEFT

    @property
    def on_caseload(self) -> bool:
        return self.state in (SEARCHING, WORKING, AWAY)


class ReferenceCaseloads(mesa.Model):
    def __init__(self, params: Clients, p_job: np.ndarray, seed: int) -> None:
        super().__init__(rng=seed)
        self.p, self.p_job = params, p_job
        self.week = 0
        self.clients: list[JobSeeker] = []
        self.employed_12m: list[bool] = []

    def step(self) -> None:
        n = len(self.p_job)
        self.week += 1
        self.starts, self.setbacks, self.lost = [0] * n, [0] * n, [0] * n
        self.agents.shuffle_do("step")
        for client in [a for a in self.agents if a.state == LEFT]:
            client.remove()
        self.employed_12m += [c.state in (WORKING, LEFT_WORKING) for c in self.clients if c.referral == self.week - 52]
        caseload = np.bincount([a.position for a in self.agents if a.on_caseload], minlength=n)
        room = np.maximum(0, self.p.caseload_cap - caseload)
        for position, new in enumerate(np.minimum(self.rng.poisson(self.p.referrals_per_week, n), room)):
            for _ in range(int(new)):
                JobSeeker(self, position)

    def counts(self) -> np.ndarray:
        out = np.zeros((3, len(self.p_job)), dtype=int)
        for a in self.agents:
            if a.on_caseload:
                out[a.state, a.position] += 1
        return out


P_JOB = np.linspace(0.01, 0.08, 6)
WEEKS, REPLICATES, BURN_IN = 80, 40, 20
QUANTITIES = ["starts", "setbacks", "lost", "working", "away", "caseload"]


def run_arrays(seed: int) -> dict[str, float]:
    cl = Caseloads(PARAMS, list(range(len(P_JOB))), [PARAMS.caseload_cap] * len(P_JOB), len(P_JOB),
                   [np.random.default_rng(seed)])
    staffed = np.ones(len(P_JOB), dtype=bool)
    out = dict.fromkeys(QUANTITIES, 0.0)
    for week in range(1, WEEKS + 1):
        cl.week(staffed, P_JOB, week)
        if week > BURN_IN:
            out["starts"] += cl.job_starts.sum()
            out["setbacks"] += cl.setbacks.sum()
            out["lost"] += cl.jobs_lost.sum()
            out["working"] += cl.in_work.sum()
            out["away"] += (cl.caseload - cl.in_work - cl.searching).sum()
            out["caseload"] += cl.caseload.sum()
    means = {k: v / (WEEKS - BURN_IN) for k, v in out.items()}
    table = cl.table()
    read = table.employed_12m >= 0
    means["employed_12m"] = float(table.employed_12m[read].mean())
    return means


def run_agents(seed: int) -> dict[str, float]:
    model = ReferenceCaseloads(PARAMS, P_JOB, seed)
    out = dict.fromkeys(QUANTITIES, 0.0)
    for week in range(1, WEEKS + 1):
        model.step()
        if week > BURN_IN:
            counts = model.counts()
            out["starts"] += sum(model.starts)
            out["setbacks"] += sum(model.setbacks)
            out["lost"] += sum(model.lost)
            out["working"] += counts[WORKING].sum()
            out["away"] += counts[AWAY].sum()
            out["caseload"] += counts.sum()
    means = {k: v / (WEEKS - BURN_IN) for k, v in out.items()}
    means["employed_12m"] = float(np.mean(model.employed_12m))
    return means


@pytest.fixture(scope="module")
def both() -> tuple[list[dict], list[dict]]:
    return [run_arrays(1000 + k) for k in range(REPLICATES)], [run_agents(2000 + k) for k in range(REPLICATES)]


@pytest.mark.parametrize("quantity", [*QUANTITIES, "employed_12m"])
def test_arrays_and_agents_agree_on_means(both: tuple[list[dict], list[dict]], quantity: str) -> None:
    """Replicate means of the two implementations differ by less than 4 standard errors.

    The seeds are fixed, so the test is deterministic; if the two implementations had the same
    distribution, a difference beyond 4 SE would occur for fewer than 1 in 15,000 seed sets,
    while a 10% difference in a rate (a wrong rule) is many standard errors here.
    """
    arrays, agents = ([r[quantity] for r in rs] for rs in both)
    diff = np.mean(arrays) - np.mean(agents)
    se = math.sqrt(np.var(arrays, ddof=1) / len(arrays) + np.var(agents, ddof=1) / len(agents))
    assert abs(diff) < 4 * se, (quantity, np.mean(arrays), np.mean(agents), se)


def test_arrays_and_agents_agree_on_spread(both: tuple[list[dict], list[dict]]) -> None:
    """Job starts and employment at 12 months have the same spread across replicates (Levene's test, p > 0.001)."""
    for quantity in ("starts", "employed_12m"):
        arrays, agents = ([r[quantity] for r in rs] for rs in both)
        assert stats.levene(arrays, agents).pvalue > 0.001, quantity


def _one_week(state: int, slot: int, n: int, pj: float) -> tuple[Caseloads, np.ndarray]:
    """``n`` clients in ``state`` at ``slot`` (0, WAITING or OUT) moved one week; their states before and after."""
    cl = Caseloads(PARAMS, [0], [n], 1, [np.random.default_rng(7)])
    cl._refer(np.array([n]), week=0)
    cl._a["state"][:n] = state
    cl._a["slot"][:n] = slot
    cl._slots = cl._a["slot"][cl.live]
    cl.week(np.array([False]), np.array([pj]), 1)
    return cl, cl._a["state"][:n]


def test_one_week_of_transitions_has_the_rule_probabilities() -> None:
    """Outcome frequencies of many clients in one week match the transition probabilities (chi-square)."""
    n, pj, p = 20000, 0.1, PARAMS
    w_lost = p.working_setback_rate * p.job_loss_given_setback
    cases = {
        "searching": (SEARCHING, 0, [WORKING, AWAY, LEFT],
                      [pj, (1 - pj) * p.setback_rate, (1 - pj) * (1 - p.setback_rate) * p.dropout_rate]),
        "working": (WORKING, 0, [AWAY, LEFT_WORKING],
                    [w_lost, (1 - p.working_setback_rate) * p.support_end_rate]),
        "away": (AWAY, 0, [SEARCHING, LEFT], [p.return_rate, (1 - p.return_rate) * p.setback_dropout_rate]),
        "waiting": (SEARCHING, WAITING, [LEFT], [p.dropout_rate]),
        "left working": (LEFT_WORKING, OUT, [LEFT], [w_lost]),
    }
    for name, (state, slot, outcomes, probs) in cases.items():
        cl, after = _one_week(state, slot, n, pj)
        observed = [int((after == o).sum()) for o in outcomes]
        observed.append(n - sum(observed))
        expected = [q * n for q in probs] + [n * (1 - sum(probs))]
        assert stats.chisquare(observed, expected).pvalue > 0.001, name
        if name == "working":  # a setback that keeps the job stays working, counted as a setback
            kept = int(cl.setbacks.sum()) - observed[0]
            assert stats.binomtest(kept, n, p.working_setback_rate - w_lost).pvalue > 0.001


def test_caseload_never_exceeds_the_cap_from_referrals() -> None:
    cl = Caseloads(PARAMS, [0, 0, 1], [PARAMS.caseload_cap] * 3, 2, [np.random.default_rng(3)])
    for week in range(1, 101):
        cl.week(np.array([True, True, False]), np.full(3, 0.02), week)
        assert (cl.caseload <= PARAMS.caseload_cap).all()
        assert cl.caseload[2] == 0, "an empty position gets no referrals"


def _caseload(cl: Caseloads, slot: int, states: list[int]) -> None:
    """Put new clients with these states on ``slot``'s caseload."""
    new = np.zeros(cl.n_slots, dtype=np.int64)
    new[slot] = len(states)
    start = cl._n
    cl._refer(new, week=0)
    cl._a["state"][start:start + len(states)] = states
    cl._count()


def test_release_moves_clients_to_colleagues_up_to_the_overflow_and_the_rest_wait() -> None:
    p = Clients(caseload_cap=10, transfer_overflow=2)
    cl = Caseloads(p, [0, 0, 0], [p.caseload_cap] * 3, 1, [np.random.default_rng(0)])
    _caseload(cl, 0, [SEARCHING] * 6 + [WORKING] * 3 + [AWAY])  # the leaver: 10 clients
    _caseload(cl, 1, [SEARCHING] * 10)
    _caseload(cl, 2, [SEARCHING] * 9)
    cl.release(0, [1, 2], week=5)
    assert cl.caseload.tolist() == [0, 12, 12]
    assert cl.waiting.tolist() == [10 - 2 - 3]
    assert cl.in_work[1:].sum() == 3, "working clients move first (continuity of support)"
    table = cl.table()
    assert table.es_changes.tolist() == [1] * 10 + [0] * 19, "each of the leaver's clients counts an ES change"
    assert table.es_changes_12m.tolist() == table.es_changes.tolist(), "within 52 weeks of referral"
    # Waiting clients go to a position with room before any new referral.
    emptied = np.flatnonzero(cl._a["slot"][:cl._n] == 1)  # position 1's clients leave: room for the waiting
    cl._a["slot"][emptied], cl._a["state"][emptied] = OUT, LEFT
    cl._slots = cl._a["slot"][cl.live]
    cl._count()
    waiting = np.flatnonzero(cl._a["slot"][:cl._n] == WAITING)
    cl.week(np.array([False, True, False]), np.zeros(3), 6)
    assert cl.waiting.tolist() == [0]
    served = cl._a["slot"][waiting]
    assert ((served == 1) | (cl._a["state"][waiting] == LEFT)).all(), "served, unless they dropped out waiting"
    assert cl.caseload[1] == (served == 1).sum(), "before any new referral"


def test_a_client_is_followed_after_support_ends_and_read_at_12_and_18_months() -> None:
    """A client whose support ended in work counts as employed at follow-up while the job lasts (no job loss here),
    and one who dropped out as not employed; the run's records give each client's weeks."""
    p = Clients().model_copy(update={"working_setback_rate": 0.0, "support_end_rate": 1.0, "dropout_rate": 1.0,
                                     "setback_rate": 0.0, "referrals_per_week": 0.0})  # beyond the schema's ranges
    cl = Caseloads(p, [0], [5], 1, [np.random.default_rng(1)])
    _caseload(cl, 0, [WORKING, SEARCHING])
    for week in range(1, 80):
        cl.week(np.array([True]), np.array([0.0]), week)
    table = cl.table()
    assert table.left_service.tolist() == [1, 2]  # support ended; dropped out
    assert table.left_service_week.tolist() == [1, 1]
    assert table.employed_12m.tolist() == [1, 0] and table.employed_18m.tolist() == [1, 0]
    assert table.first_job_week.tolist() == [MISSING, MISSING], "they did not start a job in the simulation"
    assert cl.live.size == 0, "followed no longer after 78 weeks"
