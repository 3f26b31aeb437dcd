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
  without a value are left out of the correlation (the report says how many);
- lhs design, besides: SALib's given-data estimators, which reuse the Latin hypercube as drawn (its
  unit coordinates and the points that have a value), for its ordered parameters (not categorical
  ones: the report says so): ``delta``, Borgonovo's (2007) moment-independent delta (how far, in
  half the L1 distance, fixing a parameter moves the metric's whole distribution; 0 to 1), estimated
  as Plischke et al. (2013) with SALib's balanced bootstrap, and ``delta_S1``, the first-order
  Sobol index estimated from the same bins, both with bootstrap 95% CIs; ``pawn_median``, PAWN's
  (Pianosi and Wagener 2015, 2018) median over conditioning slides of the Kolmogorov-Smirnov
  distance between the metric's distribution in a slide and overall (0 to 1; SALib gives no CI);
  ``rbd_fast_S1``, RBD-FAST's first-order index (Tarantola et al. 2006, bias-corrected as Tissot and
  Prieur 2012) with a bootstrap 95% CI. Every call is seeded with the spec's seed. They need at least
  MIN_GIVEN_DATA_POINTS design points with a value, and delta at most MAX_DELTA_POINTS (its bootstrap
  is dear); otherwise they get no rows and the report says why. The terminal report and the charts
  still rank an lhs by Spearman; these indices are in ``sensitivity.csv``.

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
from collections.abc import Iterator
from contextlib import contextmanager
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
DELTA_RESAMPLES = 100
"""Bootstrap resamples for SALib's delta (its default): each re-estimates the output's density within every bin of
every parameter, so delta is by far the dearest index (measured on one idle core: about 0.7 s per parameter and
metric at 64 design points, 4 s at 1,000)."""
MAX_DELTA_POINTS = 1_000
"""Above this many design points delta is left out (the report says so; PAWN and RBD-FAST, far cheaper, stay): an
lhs of 1,000 points, 5 parameters and all 13 metrics already adds about 5 minutes to its analysis."""
MIN_GIVEN_DATA_POINTS = 20
"""delta, PAWN and RBD-FAST need at least this many design points with a value: delta's balanced bootstrap needs
2 bins of SALib's least class size (10 points), PAWN as many slides of as many points."""
PAWN_SLIDES = (10, 5, 4, 2)
"""PAWN's conditioning slides: SALib's default 10, or for a small design the most of these that gives each slide at
least 10 points (only these: SALib 1.6 cuts 6 or 9 slides wrongly, its edges summed in floating point)."""
RBD_FAST_HARMONICS = 4
"""Harmonics RBD-FAST sums (M), fewer than SALib's default 10, which suits thousands of points: its bias correction
(Tissot and Prieur 2012) needs more than 2M points and its bootstrap draws half of them, so 4 serves an lhs of 20
points; a smooth response puts its first-order variance in the first harmonics."""
GIVEN_DATA_INDICES = ("delta", "delta_S1", "pawn_median", "rbd_fast_S1")
"""The indices SALib estimates for an lhs from the design as drawn, beside its Spearman correlations."""
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
        if spec.design == "lhs":
            found, why = _given_data(spec, data.points, metric, y)
            rows += found
            notes += [f"{metric}: {line}" for line in why]
    categorical = [p.path for p in spec.parameters if p.type == "categorical"]
    if categorical and spec.design in ("lhs", "grid"):
        others = ", delta, PAWN or RBD-FAST" if spec.design == "lhs" else ""
        notes.append(f"no rank correlation{others} for categorical parameters (their levels have no order): "
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


@contextmanager
def _salib_quiet(seed: int) -> Iterator[None]:
    """Run SALib's given-data estimators seeded and without side effects: delta draws from NumPy's global generator
    (seeded here with ``seed``, as SALib would skip seed 0) and changes the warning filters and format, so all three
    are restored afterwards; SALib's own remarks (bias notices, bin merges) are dropped, its deprecation and future
    warnings passed on. The BLAS runs on one thread: delta's many small matrix products are slower when BLAS
    threads fight for busy cores (39 s against 1.4 s for one call, seen on a loaded two-core machine)."""
    from threadpoolctl import threadpool_limits

    state, formatwarning = np.random.get_state(), warnings.formatwarning
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=1, user_api="blas"):
        np.random.seed(seed)
        try:
            yield
        finally:
            np.random.set_state(state)
            warnings.formatwarning = formatwarning
    for w in caught:
        if issubclass(w.category, DeprecationWarning | FutureWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _given_data(spec: specs.SweepSpec, points: designs.Points, metric: str,
                y: np.ndarray) -> tuple[list[dict[str, Any]], list[str]]:
    """An lhs's moment-independent and Fourier indices from SALib, estimated from the design as drawn (given data),
    on the unit coordinates of its ordered parameters and the points that have a value: delta (Borgonovo 2007,
    estimated as Plischke et al. 2013 with its balanced bootstrap, which keeps the design's even spread over each
    parameter) and its S1, PAWN's median KS statistic over slides (Pianosi and Wagener 2015, 2018) and RBD-FAST's
    S1 (Tarantola et al. 2006, bias-corrected as Tissot and Prieur 2012). Also why any of them is left out."""
    from SALib.analyze import delta, pawn, rbd_fast

    keep = ~np.isnan(y)
    ordered = [k for k, p in enumerate(spec.parameters) if p.type != "categorical"]
    if not ordered:
        return [], []
    x, values, n = points.unit[np.ix_(keep, ordered)], y[keep], int(keep.sum())
    names = [spec.parameters[k].path for k in ordered]
    problem = {"num_vars": len(ordered), "names": [f"x{k}" for k in range(len(ordered))],  # SALib forbids some
               "bounds": [[0.0, 1.0]] * len(ordered)}                                       # name endings
    if n < MIN_GIVEN_DATA_POINTS:
        return [], [f"no delta, PAWN or RBD-FAST: they need at least {MIN_GIVEN_DATA_POINTS} design points with a "
                    f"value, not {n}"]
    rows: list[dict[str, Any]] = []
    with _salib_quiet(spec.seed):
        found = pawn.analyze(problem, x, values, S=next(k for k in PAWN_SLIDES if k <= n // 10), seed=spec.seed)
    rows += [_row(metric, name, "pawn_median", found["median"][k]) for k, name in enumerate(names)]
    with _salib_quiet(spec.seed):
        found = rbd_fast.analyze(problem, x, values, M=RBD_FAST_HARMONICS, num_resamples=BOOTSTRAP_RESAMPLES,
                                 conf_level=CONF_LEVEL, seed=np.random.default_rng(spec.seed))
    for k, name in enumerate(names):
        value, half = found["S1"][k], found["S1_conf"][k]
        rows.append(_row(metric, name, "rbd_fast_S1", value, value - half, value + half))
    if n > MAX_DELTA_POINTS:
        return rows, [f"no delta: its bootstrap would take minutes per parameter at {n:,} design points (it runs up "
                      f"to {MAX_DELTA_POINTS:,}; PAWN and RBD-FAST are there)"]
    with _salib_quiet(spec.seed):
        found = delta.analyze(problem, x, values, num_resamples=DELTA_RESAMPLES, conf_level=CONF_LEVEL,
                              bins_specs={name: min(10, n // 10) for name in problem["names"]})
    for k, name in enumerate(names):
        for index, key in (("delta", "delta_balanced"), ("delta_S1", "S1")):
            value, half = found[key][k], found[f"{key}_conf"][k]
            rows.append(_row(metric, name, index, value, value - half, value + half))
    return rows, []
