"""Sensitivity analysis of a finished sweep: which of the varied parameters drive each metric.

A sweep varies many parameters at once, so a chart per run cannot say which of them matter. This
module turns a sweep folder's ``results.csv`` into indices and charts, with well-kept estimators
applied to each design point's mean over its replicates:

- sobol design: SALib's Sobol analysis (first-order S1, total ST, optionally second-order S2), with
  bootstrap 95% CIs (Saltelli 2002, 2010);
- morris design: SALib's Morris analysis (mu, mu*, sigma; Morris 1991, Campolongo et al. 2007), with
  a bootstrap 95% CI for mu*;
- lhs and grid designs: SciPy's Spearman rank correlation of each parameter's value with the metric,
  a standard screening for these designs (Marino et al. 2008 use its partial form), with a Fisher-z
  95% CI using Bonett and Wright's (2000) variance for Spearman's rho. Booleans count as 0 and 1;
  categorical parameters, whose levels have no order, get none (the report says so). Design points
  without a value are left out of the correlation (the report says how many).

Sobol and Morris work on the unit hypercube the design was drawn in (designs.unit_problem), so Morris
effects are in units of the metric per unit of a parameter's range: the change from moving it
across its whole range (a range's width, a distribution's clipped quantile span, a level list).

The results are read as a stream and reduced to per-point statistics, so memory grows with the
number of design points, not of runs. ``sensitivity.csv`` holds one row per index; a metric that
cannot be analysed (for sobol and morris: a design point where no replicate gave a value, which
SALib cannot take; for any design: no value or no variation) gets no rows, not even a note row, and
the report says why.
"""

from __future__ import annotations

import csv
import math
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from simulation.execution import designs, sweeps
from simulation.inputs import specs

SENSITIVITY = "sensitivity.csv"
COLUMNS = ["metric", "parameter", "index", "value", "ci_low", "ci_high"]
CONF_LEVEL = 0.95
BOOTSTRAP_RESAMPLES = 1000
"""Bootstrap resamples for SALib's Sobol and Morris CIs (a choice: ten times SALib's default of 100, so the
intervals hardly depend on the bootstrap's seed)."""
MAX_SHOWN_RUNS = 20_000
"""At most this many runs are kept as dots in the response charts, picked by a fixed stride
(a presentation choice that bounds memory; the lines and bands use every run)."""
MIN_SPEARMAN_POINTS = 4
"""Fisher's z needs n > 3 design points."""
TOP = 3
"""Parameters listed per metric in the terminal report."""
RANKED_BY = {"sobol": "ST", "morris": "mu_star", "lhs": "spearman", "grid": "spearman"}
INDEX_NAMES = {"ST": "total Sobol index", "mu_star": "Morris mu* (mean absolute change in the metric across a "
                "parameter's range)", "spearman": "Spearman rank correlation"}


@dataclass(frozen=True)
class Replicates:
    """Per design point and metric: how many runs gave a value and their standard deviation, and the
    (sample id, value) of a bounded subset of runs to draw."""

    count: np.ndarray
    sd: np.ndarray
    """NaN where fewer than two runs gave a value."""
    shown: dict[str, tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class SweepData:
    """A finished sweep's design and per-point results, as the analysis and the charts use them."""

    folder: Path
    spec: specs.SweepSpec
    points: designs.Points
    means: np.ndarray
    """(points, metrics): the mean over each point's replicates, NaN where none gave a value."""
    replicates: Replicates


def sample_means(path: Path, metric_names: list[str], points: int) -> tuple[np.ndarray, Replicates]:
    """Stream a results.csv into (points, metrics) means over replicates, leaving out empty cells (failed
    runs, undefined metrics), and the replicates' counts, spreads and a bounded subset of runs."""
    m = len(metric_names)
    count, mean, m2 = np.zeros((points, m)), np.zeros((points, m)), np.zeros((points, m))
    keep_replicates, stride = max(1, MAX_SHOWN_RUNS // max(points, 1)), max(1, math.ceil(points / MAX_SHOWN_RUNS))
    shown_ids: list[list[int]] = [[] for _ in metric_names]
    shown_values: list[list[float]] = [[] for _ in metric_names]
    pending: list[list[float]] = [[] for _ in metric_names]
    current = -1

    def flush() -> None:
        """Merge the pending runs of point ``current`` into its statistics (Chan et al.'s pairwise update)."""
        n_b = np.array([len(v) for v in pending], dtype=float)
        if current < 0 or not n_b.any():
            return
        mean_b = np.array([math.fsum(v) / len(v) if v else 0.0 for v in pending])
        m2_b = np.array([math.fsum((x - mu) ** 2 for x in v) for v, mu in zip(pending, mean_b, strict=True)])
        n_a, mean_a = count[current], mean[current]
        n = n_a + n_b
        delta = mean_b - mean_a
        share = np.divide(n_b, n, out=np.zeros(m), where=n > 0)
        mean[current] = mean_a + delta * share
        m2[current] += m2_b + delta**2 * n_a * share
        count[current] = n
        for values in pending:
            values.clear()

    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        missing = [c for c in ("sample_id", "replicate", *metric_names) if c not in header]
        if missing:
            raise sweeps.SweepError(f"{path}: no column {', '.join(missing)}")
        sample_col, replicate_col = header.index("sample_id"), header.index("replicate")
        metric_cols = [header.index(name) for name in metric_names]
        for row in reader:
            i = int(row[sample_col])
            if not 0 <= i < points:
                raise sweeps.SweepError(f"{path}: sample_id {i} is not in the design (0 to {points - 1})")
            if i != current:
                flush()
                current = i
            show = int(row[replicate_col]) < keep_replicates and i % stride == 0
            for j, col in enumerate(metric_cols):
                if row[col] != "":
                    value = float(row[col])
                    pending[j].append(value)
                    if show:
                        shown_ids[j].append(i)
                        shown_values[j].append(value)
        flush()
    means = np.where(count > 0, mean, np.nan)
    sd = np.sqrt(np.divide(m2, count - 1, out=np.full_like(m2, np.nan), where=count > 1))
    shown = {name: (np.array(shown_ids[j], dtype=int), np.array(shown_values[j]))
             for j, name in enumerate(metric_names)}
    return means, Replicates(count, sd, shown)


def load(folder: Path, record: bool = False) -> SweepData:
    """A finished sweep folder's design and per-point results; SweepError if it is not a complete sweep (with
    ``record``, a killed one is marked interrupted: execution.sweeps.look)."""
    plan = sweeps.finished(folder, record)
    spec = plan.sweep.spec
    means, replicates = sample_means(folder / sweeps.RESULTS, list(spec.metrics), len(plan.points.values))
    return SweepData(folder, spec, plan.points, means, replicates)


@dataclass(frozen=True)
class Analysis:
    """A finished sweep's sensitivity: the index rows (as sensitivity.csv holds them), and remarks per metric."""

    data: SweepData
    rows: list[dict[str, Any]]
    skipped: dict[str, str] = field(default_factory=dict)
    """Metrics without indices, and why."""
    notes: list[str] = field(default_factory=list)
    """Other remarks for the report (e.g. design points left out of a Spearman correlation)."""

    @property
    def design(self) -> str:
        return self.data.spec.design

    @property
    def metrics(self) -> list[str]:
        return list(self.data.spec.metrics)

    def ranked(self, metric: str, index: str) -> list[dict[str, Any]]:
        """The metric's rows of one index, the largest in absolute value first."""
        return sorted((r for r in self.rows if r["metric"] == metric and r["index"] == index),
                      key=lambda r: (-abs(r["value"]), r["parameter"]))


def analyze(folder: Path, record: bool = False) -> Analysis:
    """The sensitivity indices of a finished sweep folder; SweepError if it is not one (``record``: see ``load``)."""
    data = load(folder, record)
    spec = data.spec
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    notes: list[str] = []
    for j, metric in enumerate(spec.metrics):
        y = data.means[:, j]
        missing = int(np.isnan(y).sum())
        if missing == len(y):
            skipped[metric] = "no run gave a value (failed or undefined in every run)"
            continue
        if np.ptp(y[~np.isnan(y)]) == 0:
            skipped[metric] = "it is the same at every design point"
            continue
        if spec.design in ("sobol", "morris"):
            if missing:
                skipped[metric] = (f"{missing} of {len(y)} design points have no value (every replicate failed or "
                                   f"undefined there), and {spec.design} analysis needs all of them")
                continue
            rows += _sobol(spec, metric, y) if spec.design == "sobol" else _morris(spec, data.points, metric, y)
            continue
        if len(y) - missing < MIN_SPEARMAN_POINTS:
            skipped[metric] = f"only {len(y) - missing} design points have a value; a rank correlation's CI needs 4"
            continue
        if missing:
            notes.append(f"{metric}: Spearman over the {len(y) - missing} of {len(y)} design points that have a value")
        found, constant = _spearman(spec, data.points, metric, y)
        rows += found
        if constant:
            notes.append(f"{metric}: no rank correlation for {', '.join(constant)} (the same value at every design "
                         "point with a value)")
    categorical = [p.path for p in spec.parameters if p.type == "categorical"]
    if categorical and spec.design in ("lhs", "grid"):
        notes.append(f"no rank correlation for categorical parameters (their levels have no order): "
                     f"{', '.join(categorical)}")
    # An index SALib cannot estimate (NaN, such as sigma from a single trajectory) gets no row; the report says so.
    for (metric, index), n in sorted(Counter((r["metric"], r["index"]) for r in rows if r["value"] is None).items()):
        why = " (sigma needs at least two Morris trajectories)" if index == "sigma" else ""
        notes.append(f"{metric}: SALib could not estimate {index} for {n} parameter{'s' * (n > 1)}{why}")
    rows = sorted((r for r in rows if r["value"] is not None), key=lambda r: (r["metric"], r["parameter"], r["index"]))
    return Analysis(data, rows, skipped, notes)


def _row(metric: str, parameter: str, index: str, value: float, low: float | None = None,
         high: float | None = None) -> dict[str, Any]:
    def number(x: float | None) -> float | None:
        return None if x is None or not math.isfinite(x) else float(x)

    return {"metric": metric, "parameter": parameter, "index": index, "value": number(value),
            "ci_low": number(low), "ci_high": number(high)}


def _sobol(spec: specs.SweepSpec, metric: str, y: np.ndarray) -> list[dict[str, Any]]:
    from SALib.analyze import sobol

    problem = designs.unit_problem(spec)
    found = sobol.analyze(problem, y, calc_second_order=spec.second_order, num_resamples=BOOTSTRAP_RESAMPLES,
                          conf_level=CONF_LEVEL, seed=np.random.default_rng(spec.seed))  # SALib ignores seed 0
    names = problem["names"]
    rows = []
    for k, name in enumerate(names):
        for index in ("S1", "ST"):
            value, half = found[index][k], found[f"{index}_conf"][k]
            rows.append(_row(metric, name, index, value, value - half, value + half))
    if spec.second_order:
        for a in range(len(names)):
            for b in range(a + 1, len(names)):
                value, half = found["S2"][a, b], found["S2_conf"][a, b]
                rows.append(_row(metric, f"{names[a]}|{names[b]}", "S2", value, value - half, value + half))
    return rows


def _morris(spec: specs.SweepSpec, points: designs.Points, metric: str, y: np.ndarray) -> list[dict[str, Any]]:
    from SALib.analyze import morris

    problem = designs.unit_problem(spec)
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):  # one trajectory has no sigma: NaN, no row
        warnings.filterwarnings("ignore", "Degrees of freedom <= 0", RuntimeWarning)
        found = morris.analyze(problem, points.unit, y, num_resamples=BOOTSTRAP_RESAMPLES, conf_level=CONF_LEVEL,
                               num_levels=spec.morris_levels, seed=spec.seed)
    rows = []
    for k, name in enumerate(problem["names"]):
        mu_star, half = found["mu_star"][k], found["mu_star_conf"][k]
        rows.append(_row(metric, name, "mu_star", mu_star, mu_star - half, mu_star + half))
        rows.append(_row(metric, name, "mu", found["mu"][k]))
        rows.append(_row(metric, name, "sigma", found["sigma"][k]))
    return rows


def numeric(parameter: specs.Parameter, values: list[Any]) -> np.ndarray | None:
    """A parameter's values as numbers (booleans as 0 and 1); None for a categorical one, whose levels have no order."""
    if parameter.type == "categorical":
        return None
    return np.array([float(v) for v in values])


def _spearman(spec: specs.SweepSpec, points: designs.Points, metric: str,
              y: np.ndarray) -> tuple[list[dict[str, Any]], list[str]]:
    """Each ordered parameter's Spearman correlation with the metric over the design points that have a value,
    with a Fisher-z 95% CI whose variance is Bonett and Wright's (1 + rho^2 / 2) / (n - 3); and the parameters
    left out because they take one value over those points."""
    keep = ~np.isnan(y)
    n = int(keep.sum())
    z_crit = stats.norm.ppf(0.5 + CONF_LEVEL / 2)
    rows, constant = [], []
    for k, p in enumerate(spec.parameters):
        x = numeric(p, [values[k] for values in points.values])
        if x is None:
            continue
        if np.ptp(x[keep]) == 0:
            constant.append(p.path)
            continue
        rho = float(stats.spearmanr(x[keep], y[keep]).statistic)
        if abs(rho) == 1:
            low = high = rho
        else:
            half = z_crit * math.sqrt((1 + rho**2 / 2) / (n - 3))
            low, high = math.tanh(math.atanh(rho) - half), math.tanh(math.atanh(rho) + half)
        rows.append(_row(metric, p.path, "spearman", rho, low, high))
    return rows, constant
