"""Calibration: which values of the free parameters reproduce the observed figures, as a posterior set.

Method: approximate Bayesian computation by rejection, run through the sweep runner (execution.sweeps). Prior draws
of the free parameters (uniform over their ranges, as a Latin hypercube) are each simulated with
several replicates. The observations are small binomial samples (18 of 40 ES left [B22a]; 4 of 10
quits began with a shock [B24]), so each draw is weighted by the binomial probability of the
observed counts given the rates the model produces at that draw (the mean over its replicates),
and accepted with probability weight / largest weight. Using the observation's own error model as
the ABC kernel makes the accepted set a sample of the posterior under that error model
(Wilkinson 2013, Stat Appl Genet Mol Biol 12:129), rather than of an arbitrary tolerance.
The calibrated scenario (present.words.calibrated_yaml) takes the posterior medians.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats as scipy_stats

from simulation.analysis import stats
from simulation.analysis.sensitivity import sample_means
from simulation.execution import sweeps
from simulation.inputs.specs import CalibrationSpec, value_at

CALIBRATION = "calibration.json"
ACCEPT_STREAM = 0xACCE
"""Spawn key of the acceptance draws, apart from every run's (sample, replicate) key."""


# --- from results to a posterior -----------------------------------------------------------------


@dataclass(frozen=True)
class Posterior:
    spec: CalibrationSpec
    values: np.ndarray
    """(samples, parameters) prior draws."""
    simulated: np.ndarray
    """(samples, targets) replicate means of each target metric (NaN where no replicate gave one)."""
    weight: np.ndarray
    accepted: np.ndarray
    """Boolean mask of accepted draws."""
    base_values: list[float]
    """The base scenario's values of the free parameters (what it ships)."""

    def medians(self) -> list[float]:
        return [float(np.median(self.values[self.accepted, j])) for j in range(self.values.shape[1])]

    def quantiles(self, q: float) -> list[float]:
        return [float(np.quantile(self.values[self.accepted, j], q)) for j in range(self.values.shape[1])]

    def median_se(self, resamples: int = 1000) -> list[float]:
        """Bootstrap standard error of each posterior median: how far a rerun with other draws may land."""
        rng = np.random.default_rng(np.random.SeedSequence(self.spec.seed, spawn_key=(ACCEPT_STREAM, 1)))
        kept = self.values[self.accepted]
        picks = rng.integers(0, len(kept), size=(resamples, len(kept)))
        return [float(np.median(kept[picks, j], axis=1).std(ddof=1)) for j in range(kept.shape[1])]


def posterior(folder: Path) -> Posterior:
    """Weigh and accept the prior draws of a finished calibration sweep."""
    if not (folder / CALIBRATION).is_file():
        raise sweeps.SweepError(f"{folder}: not a calibration folder (no {CALIBRATION})")
    plan = sweeps.finished(folder)
    try:
        spec = CalibrationSpec.model_validate(json.loads((folder / CALIBRATION).read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise sweeps.SweepError(f"{folder}: {CALIBRATION} is damaged ({str(exc)[:120]}); run the calibration "
                                "again into a new folder") from None
    values = np.array(plan.points.values, dtype=float)
    simulated, _ = sample_means(folder / sweeps.RESULTS, [t.metric for t in spec.targets], len(values))
    weight = np.ones(len(values))
    for j, target in enumerate(spec.targets):
        rate = np.clip(simulated[:, j], 1e-9, 1 - 1e-9)
        weight *= np.where(np.isnan(simulated[:, j]), 0.0, scipy_stats.binom.pmf(target.successes, target.trials, rate))
    if not weight.max() > 0:
        raise sweeps.SweepError(f"{folder}: no prior draw reproduces the targets at all; widen the ranges")
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(ACCEPT_STREAM,)))
    accepted = rng.random(len(values)) < weight / weight.max()
    shipped = [float(value_at(plan.sweep.base, p.path)) for p in spec.parameters]
    return Posterior(spec, values, simulated, weight, accepted, shipped)


def summary_rows(post: Posterior) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per parameter: prior, shipped value, posterior median, interval, its standard error and whether the
    shipped value reproduces (within 2 standard errors); per target: observed and reproduced shares."""
    params = []
    for p, shipped, m, lo, hi, se in zip(post.spec.parameters, post.base_values, post.medians(), post.quantiles(0.05),
                                         post.quantiles(0.95), post.median_se(), strict=True):
        params.append({"parameter": p.path, "prior_low": p.range[0], "prior_high": p.range[1], "shipped": shipped,
                       "median": m, "q05": lo, "q95": hi, "median_se": se,
                       "reproduced": abs(shipped - m) <= max(2 * se, 1e-12)})
    targets = []
    for j, t in enumerate(post.spec.targets):
        kept = post.simulated[post.accepted, j]
        low, high = stats.binomial_ci(t.successes, t.trials)
        targets.append({"metric": t.metric, "observed": t.share, "observed_ci_low": low, "observed_ci_high": high,
                        "source": t.source, "accepted_median": float(np.nanmedian(kept)),
                        "accepted_q05": float(np.nanquantile(kept, 0.05)), "accepted_q95": float(np.nanquantile(kept, 0.95))})
    return params, targets
