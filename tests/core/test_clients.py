"""Job seekers kept as counts behave like job seekers stepped one by one as Mesa agents.

``simulation.clients.Caseloads`` keeps per-position counts by state and gives every client one
uniform number a week. The reference below steps each client as a Mesa agent with the same
rules. Both must produce the same distributions; how much faster the counts are is measured
in ``benchmarks/bench_clients.py`` (speed targets live in benchmarks, not tests).
"""

from __future__ import annotations

import math

import mesa
import numpy as np
import pytest
from scipy import stats

from simulation.core.clients import AWAY, SEARCHING, WORKING, Caseloads
from simulation.core.scenario import Clients

PARAMS = Clients(referrals_per_week=2.0, setback_rate=0.05, working_setback_rate=0.03, job_start_rate=0.05)


class JobSeeker(mesa.Agent):
    """One client, stepped individually (the reference the counts must match)."""

    def __init__(self, model: ReferenceCaseloads, position: int) -> None:
        super().__init__(model)
        self.position = position
        self.state = SEARCHING

    def step(self) -> None:
        p, m, u = self.model.p, self.model, self.model.rng.random()
        if self.state == SEARCHING:
            pj = m.p_job[self.position]
            if u < pj:
                self.state = WORKING
                m.starts[self.position] += 1
            elif u < pj + (1 - pj) * p.setback_rate:
                self.state = AWAY
                m.setbacks[self.position] += 1
            elif u < pj + (1 - pj) * p.setback_rate + (1 - pj) * (1 - p.setback_rate) * p.dropout_rate:
                self.remove()
        elif self.state == WORKING:
            if u < p.working_setback_rate:
                m.setbacks[self.position] += 1
                if u < p.working_setback_rate * p.job_loss_given_setback:
                    self.state = AWAY
                    m.lost[self.position] += 1
            elif u < p.working_setback_rate + (1 - p.working_setback_rate) * p.support_end_rate:
                self.remove()
        elif u < p.return_rate:
            self.state = SEARCHING
        elif u < p.return_rate + (1 - p.return_rate) * p.setback_dropout_rate:
            self.remove()


class ReferenceCaseloads(mesa.Model):
    def __init__(self, params: Clients, p_job: np.ndarray, seed: int) -> None:
        super().__init__(rng=seed)
        self.p, self.p_job = params, p_job

    def step(self) -> None:
        n = len(self.p_job)
        self.starts, self.setbacks, self.lost = [0] * n, [0] * n, [0] * n
        self.agents.shuffle_do("step")
        caseload = np.bincount([a.position for a in self.agents], minlength=n)
        room = np.maximum(0, self.p.caseload_cap - caseload)
        for position, new in enumerate(np.minimum(self.rng.poisson(self.p.referrals_per_week, n), room)):
            for _ in range(int(new)):
                JobSeeker(self, position)

    def counts(self) -> np.ndarray:
        out = np.zeros((3, len(self.p_job)), dtype=int)
        for a in self.agents:
            out[a.state, a.position] += 1
        return out


P_JOB = np.linspace(0.01, 0.08, 6)
WEEKS, REPLICATES, BURN_IN = 60, 40, 20


def run_counts(seed: int) -> dict[str, float]:
    cl = Caseloads(PARAMS, list(range(len(P_JOB))), [PARAMS.caseload_cap] * len(P_JOB), len(P_JOB), np.random.default_rng(seed))
    staffed = np.ones(len(P_JOB), dtype=bool)
    out = {"starts": 0.0, "setbacks": 0.0, "lost": 0.0, "working": 0.0, "away": 0.0, "caseload": 0.0}
    for week in range(WEEKS):
        cl.week(staffed, P_JOB)
        if week >= BURN_IN:
            out["starts"] += sum(cl.job_starts)
            out["setbacks"] += sum(cl.setbacks)
            out["lost"] += sum(cl.jobs_lost)
            out["working"] += cl.counts[WORKING].sum()
            out["away"] += cl.counts[AWAY].sum()
            out["caseload"] += cl.counts.sum()
    return {k: v / (WEEKS - BURN_IN) for k, v in out.items()}


def run_agents(seed: int) -> dict[str, float]:
    model = ReferenceCaseloads(PARAMS, P_JOB, seed)
    out = {"starts": 0.0, "setbacks": 0.0, "lost": 0.0, "working": 0.0, "away": 0.0, "caseload": 0.0}
    for week in range(WEEKS):
        model.step()
        if week >= BURN_IN:
            counts = model.counts()
            out["starts"] += sum(model.starts)
            out["setbacks"] += sum(model.setbacks)
            out["lost"] += sum(model.lost)
            out["working"] += counts[WORKING].sum()
            out["away"] += counts[AWAY].sum()
            out["caseload"] += counts.sum()
    return {k: v / (WEEKS - BURN_IN) for k, v in out.items()}


@pytest.fixture(scope="module")
def both() -> tuple[list[dict], list[dict]]:
    return [run_counts(1000 + k) for k in range(REPLICATES)], [run_agents(2000 + k) for k in range(REPLICATES)]


@pytest.mark.parametrize("quantity", ["starts", "setbacks", "lost", "working", "away", "caseload"])
def test_counts_and_agents_agree_on_weekly_means(both: tuple[list[dict], list[dict]], quantity: str) -> None:
    """Replicate means of the two implementations differ by less than 4 standard errors.

    The seeds are fixed, so the test is deterministic; if the two implementations had the same
    distribution, a difference beyond 4 SE would occur for fewer than 1 in 15,000 seed sets,
    while a 10% difference in a rate (a wrong rule) is many standard errors here.
    """
    counts, agents = ([r[quantity] for r in rs] for rs in both)
    diff = np.mean(counts) - np.mean(agents)
    se = math.sqrt(np.var(counts, ddof=1) / len(counts) + np.var(agents, ddof=1) / len(agents))
    assert abs(diff) < 4 * se, (quantity, np.mean(counts), np.mean(agents), se)


def test_counts_and_agents_agree_on_spread(both: tuple[list[dict], list[dict]]) -> None:
    """Job starts have the same spread across replicates (Levene's test, p > 0.001)."""
    counts, agents = ([r["starts"] for r in rs] for rs in both)
    assert stats.levene(counts, agents).pvalue > 0.001


def test_one_week_of_transitions_has_the_rule_probabilities() -> None:
    """Outcome frequencies of many clients in one week match the transition probabilities (chi-square)."""
    n = 20000
    cl = Caseloads(PARAMS, [0], [PARAMS.caseload_cap], 1, np.random.default_rng(7))
    cl.counts[:, 0] = n
    pj = 0.1
    np.add(cl._alpha, np.multiply.outer(np.array([pj]), cl._beta), out=cl._edges[:1])
    table = cl._transitions().reshape(3, 1, 4)[:, 0, :]
    p = PARAMS
    s_drop = (1 - pj) * (1 - p.setback_rate) * p.dropout_rate
    expected = {
        SEARCHING: [pj, (1 - pj) * p.setback_rate, s_drop],
        WORKING: [p.working_setback_rate * p.job_loss_given_setback,
                  p.working_setback_rate * (1 - p.job_loss_given_setback),
                  (1 - p.working_setback_rate) * p.support_end_rate],
        AWAY: [p.return_rate, (1 - p.return_rate) * p.setback_dropout_rate, 0.0],
    }
    for state, probs in expected.items():
        probs = [q for q in probs if q > 0]
        observed = table[state, : len(probs)].tolist() + [n - table[state, : len(probs)].sum()]
        exp = [q * n for q in probs] + [n * (1 - sum(probs))]
        assert stats.chisquare(observed, exp).pvalue > 0.001, state


def test_caseload_never_exceeds_the_cap_from_referrals() -> None:
    cl = Caseloads(PARAMS, [0, 0, 1], [PARAMS.caseload_cap] * 3, 2, np.random.default_rng(3))
    for _ in range(100):
        cl.week(np.array([True, True, False]), np.full(3, 0.02))
        assert (cl.counts.sum(axis=0) <= PARAMS.caseload_cap).all()
        assert cl.counts[:, 2].sum() == 0, "an empty position gets no referrals"
        assert (cl.counts >= 0).all()


def test_release_moves_clients_to_colleagues_up_to_the_overflow_and_the_rest_wait() -> None:
    p = Clients(caseload_cap=10, transfer_overflow=2)
    cl = Caseloads(p, [0, 0, 0], [p.caseload_cap] * 3, 1, np.random.default_rng(0))
    cl.counts[:, 0] = [6, 3, 1]  # the leaver: 10 clients
    cl.counts[:, 1] = [10, 0, 0]
    cl.counts[:, 2] = [9, 0, 0]
    cl.release(0, [1, 2])
    assert cl.counts[:, 0].sum() == 0
    assert cl.counts[:, 1].sum() == 12 and cl.counts[:, 2].sum() == 12
    assert cl.waiting == [10 - 2 - 3]
    assert cl.counts[WORKING, 1:].sum() == 3, "working clients move first (continuity of support)"
    # Waiting clients go to a position with room before any new referral.
    cl.counts[:, 1] = 0
    cl.week(np.array([False, True, False]), np.zeros(3))
    assert cl.waiting == [0]
