"""Every interval ipsim reports, in one place: t intervals across replicates, paired differences, Welch and
exact binomial intervals, the Kaplan-Meier estimate with its Greenwood band, and the verdict a difference's
interval gives.

An interval is a plain mapping ``{"mean", "ci_low", "ci_high"}`` (``Interval``) so that it can go into
summary.json as it is; a value that cannot be computed is None, never NaN.

What a run needs (t quantiles, Kaplan-Meier) is computed here with NumPy and two functions of ``scipy.special``
(``stdtrit`` and ``ndtri``, the very functions behind ``scipy.stats.t.ppf`` and ``scipy.stats.ecdf``'s band, so
the figures are the same to the last bit; Mesa imports ``scipy.special`` anyway). ``scipy.stats`` itself costs
about a second to import: only the Welch and binomial intervals, which other commands use, import it, when they
are called. ``tests/analysis/test_stats.py`` checks each replacement against ``scipy.stats``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special

LEVEL = 0.95
"""The confidence level of every interval ipsim reports."""

Interval = dict[str, float | None]
"""``{"mean": m, "ci_low": lo, "ci_high": hi}``; None where a part is undefined (no values, or one value)."""

NONE: Interval = {"mean": None, "ci_low": None, "ci_high": None}


def t_quantile(p: float, df: np.ndarray | float) -> np.ndarray | float:
    """The ``p`` quantile of Student's t distribution with ``df`` degrees of freedom (NaN where df is not positive):
    ``scipy.stats.t.ppf(p, df)`` bit for bit, without importing ``scipy.stats``."""
    df = np.asarray(df, dtype=float)
    positive = df > 0
    return np.where(positive, special.stdtrit(np.where(positive, df, 1.0), p), np.nan)[()]


def t_half(sd: np.ndarray | float, n: np.ndarray | float, level: float = LEVEL) -> np.ndarray:
    """Half-width of the t interval of a mean of ``n`` values with standard deviation ``sd`` (NaN where n < 2)."""
    sd, n = np.asarray(sd, dtype=float), np.asarray(n, dtype=float)
    ok = n > 1
    safe = np.where(ok, n, 2.0)
    return np.where(ok, t_quantile(0.5 + level / 2, safe - 1) * sd / np.sqrt(safe), np.nan)


Bounds = tuple[float, float]
"""The range a quantity can take (a share: 0 to 1; a rate: 0 and up)."""
UNBOUNDED: Bounds = (-math.inf, math.inf)


def mean_ci(values: Sequence[float | None], level: float = LEVEL, bounds: Bounds = UNBOUNDED) -> Interval:
    """Mean with a t-based confidence interval across replicates; None and non-finite values are left out.

    No values: everything None. One value: the mean, no interval. All values equal: a zero-width interval.
    The interval is clipped to ``bounds``, the range the quantity can take: a t interval of a few skewed values
    (a share near 0, say) can reach past it, and an interval of impossible values says nothing more.
    """
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if x.size == 0:
        return dict(NONE)
    mean = float(x.mean())
    if x.size < 2:
        return {"mean": mean, "ci_low": None, "ci_high": None}
    half = 0.0 if np.all(x == x[0]) else float(t_half(x.std(ddof=1), x.size, level))
    low, high = bounds
    return {"mean": mean, "ci_low": max(low, mean - half), "ci_high": min(high, mean + half)}


def paired_difference(reference: Sequence[float | None], other: Sequence[float | None],
                      bounds: Bounds = UNBOUNDED) -> Interval:
    """Mean of ``other - reference`` replicate by replicate, with its t interval (clipped to the range a difference
    of two values within ``bounds`` can take).

    Under common random numbers replicate k of both scenarios shares its seed, so the pairwise
    differences cancel the noise both share; replicates where either value is undefined are left out.
    """
    diffs = [b - a for a, b in zip(reference, other, strict=True) if a is not None and b is not None]
    low, high = bounds
    return mean_ci(diffs, bounds=(low - high, high - low))


def welch_difference(a: Sequence[float], b: Sequence[float], level: float = LEVEL) -> Interval:
    """Mean of ``a`` minus mean of ``b`` for independent samples, with Welch's interval."""
    from scipy import stats  # a second to import: only the commands that need it pay for it

    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(level)
    return {"mean": float(np.mean(a) - np.mean(b)), "ci_low": float(ci.low), "ci_high": float(ci.high)}


def binomial_ci(successes: int, trials: int, level: float = LEVEL) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of an observed share ``successes / trials``."""
    from scipy import stats  # a second to import: only the commands that need it pay for it

    ci = stats.binomtest(successes, trials).proportion_ci(level, method="exact")
    return float(ci.low), float(ci.high)


def band(values: np.ndarray, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column by column, the mean across replicates (rows) with the t interval of the mean.

    With one replicate the interval collapses onto the mean.
    """
    mean = values.mean(axis=0)
    if values.shape[0] < 2:
        return mean, mean, mean
    half = t_half(values.std(axis=0, ddof=1), values.shape[0], level)
    return mean, mean - half, mean + half


def mean_of_means_half(sd: np.ndarray, n: np.ndarray, level: float = LEVEL) -> float:
    """Half-width of the interval of the plain mean of some points' means, from their replicates' spread alone
    (the points taken as designed), with Welch-Satterthwaite degrees of freedom; NaN if a point has fewer than
    two values."""
    if (n < 2).any():
        return math.nan
    v = sd**2 / n
    if v.sum() == 0:
        return 0.0
    df = v.sum() ** 2 / np.sum(v**2 / (n - 1))
    return float(t_quantile(0.5 + level / 2, df) * np.sqrt(v.sum()) / len(n))


Verdict = Literal["negative", "positive", "same", "single", "unclear"]


def verdict(diff: Interval) -> Verdict:
    """What a difference's interval says: 'negative' or 'positive' when it excludes zero, 'same' when
    every replicate pair was equal, 'single' when there is no interval (one replicate), else 'unclear'."""
    mean, low, high = diff["mean"], diff["ci_low"], diff["ci_high"]
    if low is None or high is None or mean is None:
        return "single"
    if low == high == 0:
        return "same"
    if high < 0:
        return "negative"
    return "positive" if low > 0 else "unclear"


# --- Kaplan-Meier ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # fields are arrays: no == or hash of its own
class StepFunction:
    """A right-continuous step function of time: ``probabilities[i]`` from ``quantiles[i]`` (sorted, distinct) until
    the next quantile, 1 before the first and 0 at infinity (as ``scipy.stats.ecdf``'s survival function)."""

    quantiles: np.ndarray
    probabilities: np.ndarray

    def evaluate(self, x: np.ndarray | float) -> np.ndarray:
        """The function at ``x``: the probability at the last quantile at or before it (1 before the first)."""
        knots = np.append(self.quantiles, np.inf)
        values = np.concatenate(([1.0], self.probabilities, [0.0]))
        return values[np.searchsorted(knots, np.asarray(x, dtype=float), side="right")]


@dataclass(frozen=True, eq=False)  # fields are arrays: no == or hash of its own
class Survival(StepFunction):
    """A Kaplan-Meier estimate of survival: at each distinct time ``quantiles[i]``, ``at_risk[i]`` were at risk and
    ``events[i]`` of them had the event."""

    at_risk: np.ndarray
    events: np.ndarray

    def confidence_interval(self, level: float = LEVEL) -> tuple[StepFunction, StepFunction]:
        """Greenwood's pointwise band (low, high), clipped to [0, 1]; NaN where it is undefined (everyone still at
        risk has the event, so the estimate falls to 0 there)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            var = self.probabilities**2 * np.cumsum(self.events / (self.at_risk * (self.at_risk - self.events)))
        z_se = special.ndtri(0.5 + level / 2) * np.sqrt(var)
        return (StepFunction(self.quantiles, np.clip(self.probabilities - z_se, 0, 1)),
                StepFunction(self.quantiles, np.clip(self.probabilities + z_se, 0, 1)))


def kaplan_meier(events: Sequence[float], censored: Sequence[float]) -> Survival:
    """Kaplan-Meier estimate of survival from the times of the events and the right-censored times; a time censored
    at an event time counts as still at risk then. The same figures, to the last bit, as
    ``scipy.stats.ecdf(scipy.stats.CensoredData(uncensored=events, right=censored)).sf``, including SciPy's own
    formula when nothing is censored (one minus the empirical distribution function)."""
    died_at, lost_at = np.asarray(events, dtype=float), np.asarray(censored, dtype=float)
    if lost_at.size == 0:
        times, deaths = np.unique(died_at, return_counts=True)
        dead = np.cumsum(deaths)
        n = died_at.size
        return Survival(times, 1 - dead / n, n - dead + deaths, deaths)
    times = np.concatenate((died_at, lost_at))
    died = np.concatenate((np.ones(died_at.size, dtype=int), np.zeros(lost_at.size, dtype=int)))
    order = np.argsort(times)
    times, died = times[order], died[order]
    edges = np.diff(times, prepend=-np.inf, append=np.inf) > 0  # [:-1]: first of each time, [1:]: last of each
    at_risk = np.arange(times.size, 0, -1)[edges[:-1]]
    deaths = np.diff(np.cumsum(died)[edges[1:]], prepend=0)
    return Survival(times[edges[:-1]], np.cumprod((at_risk - deaths) / at_risk), at_risk, deaths)
