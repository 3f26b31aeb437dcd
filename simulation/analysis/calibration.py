"""Calibration: the observations' error model (the ABC kernel), and what a calibration's posterior says.

The observations are small counts: 18 of 40 ES left [B22a]; 4 of 10 quits began with a shock, and of those 4, 2
with a short-term contract's end and 1 of the other 2 with a reorganisation [B24]; 2 of 12 leavers were promoted
[B24]. The kernel is the probability of each observed count given a simulation (Wilkinson 2013), multiplied over
the targets:

- ``beta-binomial`` (the default): the count is beta-binomial with the simulated share as its mean and an
  intra-class correlation rho. ES are not independent: ES at one site share its readiness, its reorganisations and
  its supervisor, so a cohort of 40 ES in 14 sites varies more than 40 independent ES would. rho is the model's
  own: it is estimated once, from the replicates of generation 0's prior draws, by the method of moments (the
  replicates' variance of each share against the binomial variance of their own trial counts: the design effect
  1 + (n - 1) rho), averaged over the prior draws and kept within [0, MAX_ICC]. A target whose replicates vary no
  more than binomially gets rho = 0, the binomial;
- ``binomial``: ES (and quits) as independent trials, rho = 0 for every target (narrower posteriors).

A simulation's share is its replicates' pooled share (their successes over their trials; analysis.metrics.COUNTS_OF
names each share's denominator). The algorithm that uses the kernel is analysis.smc.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from scipy import optimize
from scipy import stats as scipy_stats

from simulation.analysis import stats
from simulation.analysis.metrics import COUNTS_OF
from simulation.analysis.smc import Result
from simulation.inputs.specs import CalibrationSpec, Target

MAX_ICC = 0.5
"""The largest intra-class correlation the kernel takes (a bound on a noisy estimate: at 0.5, 40 ES vary as about 21
independent ones would)."""
BOOTSTRAP = 0xB007
"""Spawn key of the bootstrap of the posterior medians."""
INFORMED, WEAKLY_INFORMED = 0.5, 0.8
"""A parameter whose 90% posterior interval is at most this share of its prior's 90% interval is called informed
(weakly informed) by the targets: a reading convention, not a test."""


def count_metrics(spec: CalibrationSpec) -> list[str]:
    """The per-run metrics a calibration keeps: each target's share, then each one's denominator."""
    return [t.metric for t in spec.targets] + [COUNTS_OF[t.metric] for t in spec.targets]


def read_counts(results: Path, targets: Sequence[Target], proposals: int, replicates: int) -> np.ndarray:
    """(proposals, targets, replicates, 2): each run's successes and trials of each target (from a sweep's
    results.csv: the share times its denominator), NaN where the run gave no share (no trials, or failed)."""
    out = np.full((proposals, len(targets), replicates, 2), np.nan)
    with results.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            i, r = int(row["sample_id"]), int(row["replicate"])
            for j, t in enumerate(targets):
                share, trials = row[t.metric], row[COUNTS_OF[t.metric]]
                if share and trials:
                    out[i, j, r] = round(float(share) * float(trials)), float(trials)
    return out


def pooled_share(counts: np.ndarray) -> np.ndarray:
    """(proposals, targets): successes over trials, pooled over the replicates; NaN where no replicate has trials."""
    successes, trials = np.nansum(counts[..., 0], axis=2), np.nansum(counts[..., 1], axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(trials > 0, successes / trials, np.nan)


def fit_icc(counts: np.ndarray) -> np.ndarray:
    """Each target's intra-class correlation, by the method of moments over the replicates of each proposal (see the
    module docstring), averaged over the proposals that allow it (two or more replicates, a share strictly between
    0 and 1), within [0, MAX_ICC]; 0 where no proposal allows it."""
    x, n = counts[..., 0], counts[..., 1]
    m = pooled_share(counts)[..., None]
    valid = np.isfinite(n) & (n > 0)
    reps = valid.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(valid, x / n, np.nan)
        deviation = np.nansum(np.where(valid, n * (p - m) ** 2, 0.0), axis=2) / (m[..., 0] * (1 - m[..., 0]))
        design_effect = deviation / (reps - 1)
        mean_n = np.nansum(np.where(valid, n, 0.0), axis=2) / reps
        rho = (design_effect - 1) / (mean_n - 1)
    usable = (reps >= 2) & (m[..., 0] > 0) & (m[..., 0] < 1) & (mean_n > 1)
    estimate = np.array([float(np.mean(rho[usable[:, j], j])) if usable[:, j].any() else 0.0
                         for j in range(counts.shape[1])])
    return np.clip(estimate, 0.0, MAX_ICC)


def _log_pmf(k: int, n: int, share: np.ndarray, rho: float) -> np.ndarray:
    share = np.clip(share, 1e-9, 1 - 1e-9)
    if rho <= 0:
        return scipy_stats.binom.logpmf(k, n, share)
    scale = 1 / rho - 1
    return scipy_stats.betabinom.logpmf(k, n, share * scale, (1 - share) * scale)


@dataclass(frozen=True)
class CountKernel:
    """The product over the targets of each observed count's (beta-)binomial probability given the simulation."""

    successes: tuple[int, ...]
    trials: tuple[int, ...]
    icc: tuple[float, ...]
    """Each target's intra-class correlation (0: binomial)."""

    @cached_property
    def log_max(self) -> float:
        """The kernel's largest value, log c: each target's probability at its best share (found numerically, once:
        the SMC reads it every round)."""
        total = 0.0
        for k, n, rho in zip(self.successes, self.trials, self.icc, strict=True):
            best = optimize.minimize_scalar(lambda s, k=k, n=n, rho=rho: -float(_log_pmf(k, n, np.array(s), rho)),
                                            bounds=(1e-9, 1 - 1e-9), method="bounded", options={"xatol": 1e-10})
            total += max(-float(best.fun), float(_log_pmf(k, n, np.array(k / n), rho)))
        return total

    def log_pdf(self, counts: np.ndarray) -> np.ndarray:
        """One log kernel per proposal of a (proposals, targets, replicates, 2) count array; -inf where a target has
        no simulated share."""
        shares = pooled_share(counts)
        total = np.zeros(len(counts))
        for j, (k, n, rho) in enumerate(zip(self.successes, self.trials, self.icc, strict=True)):
            total += np.where(np.isfinite(shares[:, j]), _log_pmf(k, n, np.nan_to_num(shares[:, j]), rho), -np.inf)
        return total


def kernel(spec: CalibrationSpec, first: np.ndarray) -> CountKernel:
    """The spec's kernel, its intra-class correlations fitted on generation 0's counts ``first`` (beta-binomial) or
    zero (binomial)."""
    icc = fit_icc(first) if spec.kernel == "beta-binomial" else np.zeros(len(spec.targets))
    return CountKernel(tuple(t.successes for t in spec.targets), tuple(t.trials for t in spec.targets),
                       tuple(float(v) for v in icc))


# --- what the posterior says ----------------------------------------------------------------------------------


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The q quantile of a weighted sample (the inverse of its weighted empirical distribution, interpolated at the
    midpoints of each value's weight)."""
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cumulative = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cumulative, v))


@dataclass(frozen=True)
class Posterior:
    """A finished calibration: its spec, every generation, the kernel and the base's values, computed once and
    handed to the summary, the charts, the calibrated scenario and posterior.csv."""

    spec: CalibrationSpec
    result: Result
    kernel: CountKernel
    base_values: list[float]
    """The base scenario's values of the free parameters (what it ships)."""

    @property
    def particles(self) -> np.ndarray:
        return self.result.posterior.particles

    @property
    def weights(self) -> np.ndarray:
        return self.result.posterior.particle_weights

    def quantiles(self, q: float) -> list[float]:
        return [weighted_quantile(self.particles[:, j], self.weights, q) for j in range(self.particles.shape[1])]

    def medians(self) -> list[float]:
        return self.quantiles(0.5)

    def median_se(self, resamples: int = 1000) -> list[float]:
        """Bootstrap standard error of each posterior median (particles resampled by weight): how far a rerun with
        other draws may land."""
        rng = np.random.default_rng(np.random.SeedSequence(self.spec.seed, spawn_key=(BOOTSTRAP,)))
        n = len(self.particles)
        picks = rng.choice(n, size=(resamples, n), p=self.weights)
        return [float(np.median(self.particles[picks, j], axis=1).std(ddof=1)) for j in range(self.particles.shape[1])]

    def correlations(self) -> np.ndarray:
        """The weighted Pearson correlations of the parameters across the posterior particles, (d, d)."""
        cov = np.atleast_2d(np.cov(self.particles, rowvar=False, aweights=self.weights, ddof=0))
        sd = np.sqrt(np.diag(cov))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(np.outer(sd, sd) > 0, cov / np.outer(sd, sd), 0.0)


def identifiability(width_ratio: float) -> str:
    if width_ratio <= INFORMED:
        return "informed"
    return "weakly informed" if width_ratio <= WEAKLY_INFORMED else "not informed"


def parameter_rows(post: Posterior) -> list[dict[str, object]]:
    """Per parameter: prior, shipped value, posterior median, 90% interval, the median's standard error, whether the
    shipped value reproduces it (within 2 standard errors), and how much the targets narrow it (the posterior 90%
    interval's width over the prior's)."""
    rows = []
    for p, shipped, m, lo, hi, se in zip(post.spec.parameters, post.base_values, post.medians(), post.quantiles(0.05),
                                         post.quantiles(0.95), post.median_se(), strict=True):
        low, high = p.range
        ratio = (hi - lo) / (0.9 * (high - low))
        rows.append({"parameter": p.path, "prior_low": low, "prior_high": high, "shipped": shipped, "median": m,
                     "q05": lo, "q95": hi, "median_se": se, "reproduced": abs(shipped - m) <= max(2 * se, 1e-12),
                     "width_ratio": ratio, "identifiability": identifiability(ratio)})
    return rows


def correlation_rows(post: Posterior) -> list[dict[str, object]]:
    """Every pair of parameters with their posterior correlation (a strong one says the targets inform a
    combination of the two, not each)."""
    corr, paths = post.correlations(), [p.path for p in post.spec.parameters]
    return [{"parameter": paths[a], "other": paths[b], "correlation": float(corr[a, b])}
            for a in range(len(paths)) for b in range(a + 1, len(paths))]


def predictive_rows(post: Posterior, draws: int = 20) -> list[dict[str, object]]:
    """The posterior predictive check of each target: for each posterior particle, ``draws`` counts at the study's
    own size from the kernel's distribution around the particle's simulated share; the 90% range of those counts,
    and the two-sided tail probability of the observed count (twice the smaller tail, at most 1). A small tail
    probability (say under 0.05) says the posterior does not reproduce the observation."""
    rng = np.random.default_rng(np.random.SeedSequence(post.spec.seed, spawn_key=(BOOTSTRAP, 1)))
    final = post.result.posterior
    shares = pooled_share(final.simulated[final.accepted])
    weights = final.particle_weights
    rows = []
    for j, t in enumerate(post.spec.targets):
        ok = np.isfinite(shares[:, j])
        share, w = np.clip(shares[ok, j], 1e-9, 1 - 1e-9), weights[ok] / weights[ok].sum()
        rho = post.kernel.icc[j]
        if rho > 0:
            scale = 1 / rho - 1
            p = rng.beta(np.repeat(share * scale, draws), np.repeat((1 - share) * scale, draws))
        else:
            p = np.repeat(share, draws)
        predicted = rng.binomial(t.trials, p).astype(float)
        pw = np.repeat(w, draws) / draws
        tail = min(float(pw[predicted <= t.successes].sum()), float(pw[predicted >= t.successes].sum()))
        low, high = stats.binomial_ci(t.successes, t.trials)
        rows.append({"metric": t.metric, "observed": t.share, "observed_ci_low": low, "observed_ci_high": high,
                     "trials": t.trials, "source": t.source, "icc": rho,
                     "simulated_median": weighted_quantile(share, w, 0.5),
                     "simulated_q05": weighted_quantile(share, w, 0.05),
                     "simulated_q95": weighted_quantile(share, w, 0.95),
                     "predicted_q05": weighted_quantile(predicted, pw, 0.05) / t.trials,
                     "predicted_q95": weighted_quantile(predicted, pw, 0.95) / t.trials,
                     "tail_probability": min(1.0, 2 * tail)})
    return rows


def generation_rows(post: Posterior) -> list[dict[str, object]]:
    """Per generation: temperature, rounds, proposals, accepted, acceptance rate and effective sample size."""
    return [{"generation": g.index, "temperature": g.temperature, "rounds": g.rounds, "proposals": len(g.proposals),
             "accepted": int(g.accepted.sum()), "acceptance": float(g.accepted.mean()),
             "effective_sample_size": g.effective_sample_size} for g in post.result.generations]
