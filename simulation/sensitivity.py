"""Sensitivity analysis of a finished sweep: which varied parameters drive each metric.

Indices come from well-kept estimators, applied to each design point's mean over its replicates:
SALib's Sobol analysis (first-order and total indices with bootstrap 95% CIs) for a sobol design,
SALib's Morris analysis (mu*, mu, sigma) for a morris design, and SciPy's Spearman rank correlation
(with a Fisher-z 95% CI) as the screening measure for lhs and grid designs. Sobol and Morris work on
the unit hypercube the design was drawn in, so their indices are in units of the metric (Sobol:
shares of its variance; Morris: change across a parameter's whole range).
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from simulation import charts, runner, sweep
from simulation.experiment import cell

SENSITIVITY = "sensitivity.csv"
COLUMNS = ["metric", "parameter", "index", "value", "ci_low", "ci_high"]
BOOTSTRAP_RESAMPLES = 1000


@dataclass(frozen=True)
class SweepData:
    """A finished sweep's design and results, as the analysis and the charts use them."""

    folder: Path
    spec: sweep.SweepSpec
    points: sweep.Points
    means: np.ndarray
    """(points, metrics) mean over each point's replicates (NaN where none gave a value)."""
    runs: dict[str, tuple[np.ndarray, np.ndarray]]
    """Per metric: (sample id, value) of every run that gave one."""


def sample_means(path: Path, metric_names: list[str], points: int) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Per-point means over replicates and each run's value, read from a results.csv (empty cells left out)."""
    sums = np.zeros((points, len(metric_names)))
    counts = np.zeros((points, len(metric_names)))
    ids: dict[str, list[int]] = {m: [] for m in metric_names}
    found: dict[str, list[float]] = {m: [] for m in metric_names}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            i = int(row["sample_id"])
            for j, name in enumerate(metric_names):
                if row[name] != "":
                    value = float(row[name])
                    sums[i, j] += value
                    counts[i, j] += 1
                    ids[name].append(i)
                    found[name].append(value)
    means = np.full_like(sums, np.nan)
    np.divide(sums, counts, out=means, where=counts > 0)
    return means, {m: (np.array(ids[m], dtype=int), np.array(found[m])) for m in metric_names}


def load(folder: Path) -> SweepData:
    """A finished sweep folder's data; SweepError if it is not a sweep or not complete."""
    runner.read_manifest(folder)
    status = runner.Status.read(folder)
    if status.state != "complete":
        raise runner.SweepError(f"{folder}: the sweep is not complete ({status.runs_done} of {status.runs_total} runs); "
                                f"finish it with: ipsim sweep --resume {folder}")
    plan = runner.open_plan(folder)
    spec = plan.sweep.spec
    means, runs = sample_means(folder / runner.RESULTS, list(spec.metrics), len(plan.points.values))
    return SweepData(folder, spec, plan.points, means, runs)


@dataclass(frozen=True)
class Analysis:
    folder: Path
    rows: list[dict[str, object]]
    charts: list[Path]
    skipped: dict[str, str]
    """Metrics without indices, and why."""

    def report(self) -> str:
        lines = [f"sensitivity of {self.folder.name}:"]
        by_metric: dict[str, list[dict[str, object]]] = {}
        for row in self.rows:
            by_metric.setdefault(str(row["metric"]), []).append(row)
        for metric, rows in by_metric.items():
            kind = next(k for k in ("ST", "mu_star", "spearman") if any(r["index"] == k for r in rows))
            ranked = sorted((r for r in rows if r["index"] == kind), key=lambda r: -abs(float(r["value"])))
            top = ", ".join(f"{r['parameter']} {float(r['value']):.2f}" for r in ranked[:3])
            lines.append(f"  {metric} ({kind}, largest first): {top}")
        lines += [f"  {metric}: no indices ({why})" for metric, why in self.skipped.items()]
        lines.append(f"written to {self.folder / SENSITIVITY} and {self.folder / 'charts'}/")
        return "\n".join(lines)


def analyze(folder: Path) -> Analysis:
    """Write sensitivity.csv and the sweep charts into a finished sweep folder."""
    data = load(folder)
    spec = data.spec
    problem = sweep.unit_problem(spec)
    rows: list[dict[str, object]] = []
    skipped: dict[str, str] = {}
    for j, metric in enumerate(spec.metrics):
        y = data.means[:, j]
        if spec.design in ("sobol", "morris"):
            if np.isnan(y).any():
                skipped[metric] = f"{int(np.isnan(y).sum())} design points have no value (failed or undefined runs)"
                continue
            if np.ptp(y) == 0:
                skipped[metric] = "it is the same at every design point"
                continue
            rows += _sobol(spec, problem, metric, y) if spec.design == "sobol" else _morris(spec, problem, data, metric, y)
        else:
            rows += _spearman(spec, data, metric, y, skipped)
    _write(folder / SENSITIVITY, rows)
    drawn = charts.sweep_charts(folder / "charts", data, rows)
    return Analysis(folder, rows, drawn, skipped)


def _row(metric: str, parameter: str, index: str, value: float, half: float | None = None,
         low: float | None = None, high: float | None = None) -> dict[str, object]:
    if half is not None:
        low, high = value - half, value + half
    return {"metric": metric, "parameter": parameter, "index": index, "value": float(value),
            "ci_low": None if low is None else float(low), "ci_high": None if high is None else float(high)}


def _sobol(spec: sweep.SweepSpec, problem: dict, metric: str, y: np.ndarray) -> list[dict[str, object]]:
    from SALib.analyze import sobol

    found = sobol.analyze(problem, y, calc_second_order=spec.second_order, num_resamples=BOOTSTRAP_RESAMPLES,
                          conf_level=0.95, seed=spec.seed)
    rows = []
    for k, name in enumerate(problem["names"]):
        rows.append(_row(metric, name, "S1", found["S1"][k], found["S1_conf"][k]))
        rows.append(_row(metric, name, "ST", found["ST"][k], found["ST_conf"][k]))
    if spec.second_order:
        for a in range(len(problem["names"])):
            for b in range(a + 1, len(problem["names"])):
                rows.append(_row(metric, f"{problem['names'][a]}|{problem['names'][b]}", "S2",
                                 found["S2"][a, b], found["S2_conf"][a, b]))
    return rows


def _morris(spec: sweep.SweepSpec, problem: dict, data: SweepData, metric: str, y: np.ndarray) -> list[dict[str, object]]:
    from SALib.analyze import morris

    found = morris.analyze(problem, data.points.unit, y, num_resamples=BOOTSTRAP_RESAMPLES, conf_level=0.95,
                           num_levels=spec.morris_levels, seed=spec.seed)
    rows = []
    for k, name in enumerate(problem["names"]):
        rows.append(_row(metric, name, "mu_star", found["mu_star"][k], found["mu_star_conf"][k]))
        rows.append(_row(metric, name, "mu", found["mu"][k]))
        rows.append(_row(metric, name, "sigma", found["sigma"][k]))
    return rows


def numeric(parameter: sweep.Parameter, values: list[object]) -> np.ndarray | None:
    """A parameter's values as numbers (booleans as 0/1); None for categorical ones, which have no order."""
    if parameter.type == "categorical":
        return None
    return np.array([float(v) for v in values])


def _spearman(spec: sweep.SweepSpec, data: SweepData, metric: str, y: np.ndarray,
              skipped: dict[str, str]) -> list[dict[str, object]]:
    keep = ~np.isnan(y)
    if keep.sum() < 4:
        skipped[metric] = "fewer than 4 design points have a value"
        return []
    rows = []
    for k, p in enumerate(spec.parameters):
        x = numeric(p, [row[k] for row in data.points.values])
        if x is None or np.ptp(x[keep]) == 0 or np.ptp(y[keep]) == 0:
            continue
        rho = float(stats.spearmanr(x[keep], y[keep]).statistic)
        n = int(keep.sum())
        if n > 3 and abs(rho) < 1:
            z, half = math.atanh(rho), 1.959964 / math.sqrt(n - 3)
            rows.append(_row(metric, p.path, "spearman", rho, low=math.tanh(z - half), high=math.tanh(z + half)))
        else:
            rows.append(_row(metric, p.path, "spearman", rho))
    return rows


def _write(path: Path, rows: list[dict[str, object]]) -> None:
    tmp = path.with_name(f".tmp-{path.name}")
    with tmp.open("w", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(COLUMNS)
        for row in rows:
            out.writerow([cell(row[c]) for c in COLUMNS])
    os.replace(tmp, path)
