"""Probabilistic sensitivity analysis of a comparison: parameter draws, and intervals over both sources of doubt.

A comparison under uncertainty runs N *draws* of the uncertain parameters (the quit threshold from the calibration
posterior of a window reading, each lever effect size from its prior, ``core.levers``), each with the R replicates
of the plain comparison under common random numbers: replicate k of every scenario and every draw has the seed
replicate k has in ``ipsim compare``. For a metric and a scenario, draw d then gives R paired differences from the
first scenario, with mean m_d and standard error s_d (their standard deviation over the square root of R).

**The uncertainty interval (UI)** is the central 95% of the mixture, over the draws with equal weight, of
``m_d + s_d * T`` with T a Student t variable on the draw's R - 1 degrees of freedom: each draw's difference as
the plain comparison would estimate it there, Monte Carlo error included. It spans the parameter uncertainty
(the spread of m_d over draws) and the Monte Carlo uncertainty (s_d), and is clipped to the range the difference
can take, as the Monte Carlo interval is. With every prior collapsed to a point, every draw is the plain
comparison, the mixture is one t distribution, and the UI is the plain comparison's paired t interval (the Monte
Carlo interval) exactly. With R = 1 a draw has no standard error and the UI is the central 95% of the m_d.

**p_better** is the mixture's probability that the difference is below zero (for annual turnover: that the
scenario has fewer leavers than the first). **p_rank_first** and **p_top3** of a lever are the shares of draws in
which its mean turnover avoided m_d ranks first, or among the first three (ties share the rank's credit), so they
sum to 1 (and 3) over the levers; they carry the Monte Carlo noise of each draw's R replicates as well.

Everything here is arithmetic on arrays passed in: drawing needs the priors and the posterior sample, summarising
needs the per-draw, per-replicate values (analysis of the runner's results.csv happens in studies.uncertainty).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from simulation.analysis.stats import LEVEL, UNBOUNDED, Bounds, Interval
from simulation.core.params import Prior

THRESHOLD = "staff.quit_threshold.mean"
"""The calibrated parameter, drawn from the posterior sample of the draw's window reading."""


@dataclass(frozen=True)
class Posterior:
    """A calibration's weighted posterior sample of the quit threshold (posterior.csv), for one window reading."""

    weeks: int
    """The window reading: the study window read as this many weeks."""
    values: np.ndarray
    weights: np.ndarray
    """Normalised weights, summing to 1."""
    file: str


@dataclass(frozen=True)
class Draws:
    """N parameter draws: each draw's window reading and its value of every drawn path."""

    paths: list[str]
    values: np.ndarray
    """(draws, paths)."""
    readings: np.ndarray
    """(draws,) the window reading (weeks) of each draw."""

    def rows(self) -> list[list[float]]:
        return [[float(v) for v in row] for row in self.values]


def allot(n: int, weights: Mapping[int, float]) -> np.ndarray:
    """Each of n draws' reading, in proportion to ``weights`` (largest remainders), in blocks in the order given:
    deterministic, so that a reading's share of the draws is its weight as nearly as n allows."""
    readings, shares = list(weights), np.array(list(weights.values()), dtype=float)
    exact = n * shares / shares.sum()
    counts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    return np.repeat(np.array(readings, dtype=int), counts)


def draw(n: int, priors: Mapping[str, Prior], posteriors: Mapping[int, Posterior], weights: Mapping[int, float],
         seed: np.random.SeedSequence) -> Draws:
    """N draws: the quit threshold resampled from each draw's reading's posterior by weight, and every path of
    ``priors`` by inverse transform of a uniform (each path's uniforms from its own stream, so adding a lever does not
    change the others' draws). All randomness from ``seed``'s children: the same seed, the same draws."""
    from scipy import stats

    readings = allot(n, weights)
    threshold_stream, *streams = seed.spawn(1 + len(priors))
    generator = np.random.default_rng(threshold_stream)
    threshold = np.empty(n)
    for weeks, posterior in posteriors.items():
        mine = readings == weeks
        threshold[mine] = generator.choice(posterior.values, size=int(mine.sum()), p=posterior.weights)
    columns = [threshold]
    for (_, prior), stream in zip(priors.items(), streams, strict=True):
        u = np.random.default_rng(stream).random(n)
        columns.append(getattr(stats, prior.distribution)(**prior.params).ppf(u))
    return Draws([THRESHOLD, *priors], np.column_stack(columns), readings)


def collapsed(n: int, point: Mapping[str, float], weights: Mapping[int, float]) -> Draws:
    """N draws that are all the point values (every prior and posterior collapsed to the scenario's own value): the
    check that the machinery adds no uncertainty of its own."""
    return Draws(list(point), np.tile(np.array(list(point.values()), dtype=float), (n, 1)), allot(n, weights))


@dataclass(frozen=True)
class Mixture:
    """Each draw's estimated difference as a scaled t distribution: centre, scale and degrees of freedom."""

    centre: np.ndarray
    scale: np.ndarray
    """Zero where a draw has no spread (one replicate, or all equal): a point mass."""
    df: np.ndarray

    def cdf(self, x: float) -> float:
        from scipy import special

        spread = self.scale > 0
        below = np.where(spread, 0.0, (self.centre <= x).astype(float))
        if spread.any():
            below[spread] = special.stdtr(self.df[spread], (x - self.centre[spread]) / self.scale[spread])
        return float(below.mean())

    def quantile(self, p: float) -> float:
        """The mixture's p-quantile, by bisection to a relative precision of about 1e-13."""
        from scipy import stats

        half = np.where(self.scale > 0, self.scale * stats.t.ppf(max(p, 1 - p), np.maximum(self.df, 1)), 0.0)
        low, high = float(np.min(self.centre - half)), float(np.max(self.centre + half))
        if low == high:
            return low
        for _ in range(200):
            mid = 0.5 * (low + high)
            if mid in (low, high):
                break
            low, high = (mid, high) if self.cdf(mid) < p else (low, mid)
        return high


def mixture(differences: Sequence[Sequence[float | None]]) -> Mixture | None:
    """The mixture of one metric's paired differences, a row per draw (None: undefined in that replicate, left out
    as the plain comparison leaves it out); None when no draw has a value."""
    centre, scale, df = [], [], []
    for row in differences:
        x = np.asarray([v for v in row if v is not None and math.isfinite(v)], dtype=float)
        if x.size == 0:
            continue
        centre.append(float(x.mean()))
        spread = 0.0 if x.size < 2 or np.all(x == x[0]) else float(x.std(ddof=1) / math.sqrt(x.size))
        scale.append(spread)
        df.append(max(x.size - 1, 1))
    if not centre:
        return None
    return Mixture(np.array(centre), np.array(scale), np.array(df, dtype=float))


def interval(mix: Mixture | None, bounds: Bounds = UNBOUNDED, level: float = LEVEL) -> Interval:
    """The uncertainty interval of a difference (mean of the draws' centres, and the mixture's central ``level``),
    clipped to the range a difference of two values within ``bounds`` can take."""
    if mix is None:
        return {"mean": None, "ci_low": None, "ci_high": None}
    tail = (1 - level) / 2
    low, high = bounds
    return {"mean": float(mix.centre.mean()), "ci_low": max(low - high, mix.quantile(tail)),
            "ci_high": min(high - low, mix.quantile(1 - tail))}


def p_below_zero(mix: Mixture | None) -> float | None:
    """The mixture's probability that the difference is below zero (a point mass at zero counts as not below)."""
    if mix is None:
        return None
    below = mix.cdf(0.0)
    at_zero = float(np.mean((mix.scale == 0) & (mix.centre == 0.0)))
    return below - at_zero


def rank_shares(avoided: np.ndarray, top: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """For a (draws, levers) array of the turnover each lever avoids in each draw (NaN: not estimable there, ranked
    last): the share of draws in which each lever ranks first, and in which it is among the first ``top``. A tie
    shares the credit of the ranks it spans, so the first shares sum to 1 and the top shares to ``top`` (or the
    number of levers, if fewer)."""
    draws, levers = avoided.shape
    first, among = np.zeros(levers), np.zeros(levers)
    top = min(top, levers)
    for row in np.where(np.isnan(avoided), -np.inf, avoided):
        for j, value in enumerate(row):
            better, tied = int(np.sum(row > value)), int(np.sum(row == value))
            first[j] += (better == 0) / tied
            among[j] += max(0, min(top, better + tied) - better) / tied  # its share of the top ranks it ties for
    return first / draws, among / draws
