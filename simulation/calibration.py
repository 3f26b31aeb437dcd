"""Calibration: which values of the free parameters reproduce the observed figures, as a posterior set.

Method: approximate Bayesian computation by rejection, run through the sweep runner. Prior draws
of the free parameters (uniform over their ranges, as a Latin hypercube) are each simulated with
several replicates. The observations are small binomial samples (18 of 40 ES left [B22a]; 4 of 10
quits began with a shock [B24]), so each draw is weighted by the binomial probability of the
observed counts given the rates the model produces at that draw (the mean over its replicates),
and accepted with probability weight / largest weight. Using the observation's own error model as
the ABC kernel makes the accepted set a sample of the posterior under that error model
(Wilkinson 2013, Stat Appl Genet Mol Biol 12:129), rather than of an arbitrary tolerance.
The calibrated scenario takes the posterior medians.
"""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self

import numpy as np
from pydantic import Field, model_validator
from scipy import stats

from simulation import runner, sensitivity, sweep
from simulation.scenario import ScenarioError

CALIBRATION = "calibration.json"
ACCEPT_STREAM = 0xACCE
"""Spawn key of the acceptance draws, apart from every run's (sample, replicate) key."""


class Target(sweep.SpecSchema):
    """An observed count: ``successes`` of ``trials``, matched by a per-run metric's replicate mean."""

    metric: Literal[sweep.RUN_METRICS] = Field(description="the per-run metric that estimates the observed share")  # type: ignore[valid-type]
    successes: int = Field(ge=0, description="observed count, e.g. 18 ES who left")
    trials: int = Field(ge=1, description="observed sample size, e.g. 40 ES")
    source: str = Field(min_length=1, description="where the figure comes from")

    @model_validator(mode="after")
    def _count(self) -> Self:
        if self.successes > self.trials:
            raise ValueError(f"successes ({self.successes}) cannot exceed trials ({self.trials})")
        return self

    @property
    def share(self) -> float:
        return self.successes / self.trials

    def interval(self) -> tuple[float, float]:
        """Exact (Clopper-Pearson) 95% interval of the observed share."""
        ci = stats.binomtest(self.successes, self.trials).proportion_ci(0.95, method="exact")
        return float(ci.low), float(ci.high)


class CalibrationSpec(sweep.SpecSchema):
    """Free parameters with uniform priors, targets, the study window and how many runs."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=80, description="names the run folder")
    description: str = Field("", description="what is calibrated")
    base: str = Field(description="the scenario whose free parameters are fitted, relative to the spec file")
    window_weeks: int = Field(ge=1, le=1040, description="the study window: the base's cohort_window_weeks is set to it")
    samples: int = Field(ge=2, le=100_000, description="prior draws (a Latin hypercube over the ranges)")
    replicates: int = Field(10, ge=1, le=1000, description="runs per prior draw")
    seed: int = Field(2024, ge=0, description="seeds the prior draws, every run and the acceptance draws")
    parameters: list[sweep.Parameter] = Field(min_length=1, description="free parameters, each with a range (its uniform prior)")
    targets: list[Target] = Field(min_length=1, description="observed counts to reproduce")

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        for i, p in enumerate(self.parameters):
            if p.range is None or p.type != "float":
                raise ValueError(f"parameters[{i}] ({p.path}): a free parameter is a float with a range (its prior)")
            if "[" in p.path:
                raise ValueError(f"parameters[{i}] ({p.path}): a free parameter is one scenario field, not a list entry")
        metrics = [t.metric for t in self.targets]
        if len(set(metrics)) != len(metrics):
            raise ValueError("each metric may be a target once")
        return self

    def sweep_spec(self) -> sweep.SweepSpec:
        return sweep.SweepSpec(name=self.name, description=self.description, base=self.base, design="lhs",
                               samples=self.samples, replicates=self.replicates, seed=self.seed,
                               metrics=[t.metric for t in self.targets], parameters=self.parameters)


@dataclass(frozen=True)
class Calibration:
    spec: CalibrationSpec
    sweep: sweep.Sweep


def load_calibration(path: str | Path) -> Calibration:
    """Read and validate a calibration spec and its base scenario; ScenarioError names the file and field."""
    spec, base_file, base = sweep.read_spec(path, CalibrationSpec, "calibration")
    if spec.window_weeks > base.weeks:
        raise ScenarioError(f"{path}: window_weeks ({spec.window_weeks}) exceeds the base scenario's weeks ({base.weeks})")
    data = base.model_dump(mode="json")
    data["cohort_window_weeks"] = spec.window_weeks
    return Calibration(spec, sweep.check_sweep(spec.sweep_spec(), data, str(base_file), str(path)))


def write_spec(folder: Path, calibration: Calibration) -> None:
    """Keep the calibration spec in its sweep folder, so the folder can be finished on its own."""
    (folder / CALIBRATION).write_text(json.dumps(calibration.spec.model_dump(mode="json"), indent=2) + "\n")


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
        raise runner.SweepError(f"{folder}: not a calibration folder (no {CALIBRATION})")
    status = runner.Status.read(folder)
    if status.state != "complete":
        raise runner.SweepError(f"{folder}: the calibration's runs are not complete ({status.runs_done} of "
                                f"{status.runs_total}); finish them with: ipsim calibrate --resume {folder}")
    spec = CalibrationSpec.model_validate(json.loads((folder / CALIBRATION).read_text()))
    plan = runner.open_plan(folder)
    values = np.array(plan.points.values, dtype=float)
    simulated, _ = sensitivity.sample_means(folder / runner.RESULTS, [t.metric for t in spec.targets], len(values))
    weight = np.ones(len(values))
    for j, target in enumerate(spec.targets):
        rate = np.clip(simulated[:, j], 1e-9, 1 - 1e-9)
        weight *= np.where(np.isnan(simulated[:, j]), 0.0, stats.binom.pmf(target.successes, target.trials, rate))
    if not weight.max() > 0:
        raise runner.SweepError(f"{folder}: no prior draw reproduces the targets at all; widen the ranges")
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(ACCEPT_STREAM,)))
    accepted = rng.random(len(values)) < weight / weight.max()
    shipped = [float(sweep.value_at(plan.sweep.base, p.path)) for p in spec.parameters]
    return Posterior(spec, values, simulated, weight, accepted, shipped)


# --- outputs ------------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    return format(x, ".3g")


def calibrated_yaml(post: Posterior, spec_file: str, folder: Path, base_file: str) -> str:
    """A scenario file that extends the base with the posterior medians, provenance in its comments."""
    spec = post.spec
    medians, low, high = post.medians(), post.quantiles(0.05), post.quantiles(0.95)
    targets = "; ".join(f"{t.metric} {t.successes}/{t.trials} [{t.source}]" for t in spec.targets)
    lines = [
        f"# Calibrated by `ipsim calibrate {spec_file}`: posterior medians of {len(medians)} free parameters.",
        (f"# ABC rejection with the observations' binomial error as kernel: {int(post.accepted.sum())} of "
        f"{len(post.accepted)} prior draws accepted ({spec.replicates} replicates each, seed {spec.seed})."),
        f"# Targets over a {spec.window_weeks}-week window: {targets}.",
        "# Comments give each parameter's 90% posterior interval and its uniform prior.",
        f"extends: {os.path.relpath(Path(base_file).resolve(), folder.resolve())}",
        f"cohort_window_weeks: {spec.window_weeks}",
    ]
    tree: dict[str, Any] = {}
    for p, m, lo, hi in zip(spec.parameters, medians, low, high, strict=True):
        node = tree
        *sections, leaf = p.path.split(".")
        for name in sections:
            node = node.setdefault(name, {})
        node[leaf] = f"{_fmt(m)}   # 90% interval {_fmt(lo)} to {_fmt(hi)}; prior {p.range[0]:g} to {p.range[1]:g}"

    def emit(node: dict[str, Any], depth: int) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                lines.append(f"{'  ' * depth}{key}:")
                emit(value, depth + 1)
            else:
                lines.append(f"{'  ' * depth}{key}: {value}")

    emit(tree, 0)
    return "\n".join(lines) + "\n"


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
        low, high = t.interval()
        targets.append({"metric": t.metric, "observed": t.share, "observed_ci_low": low, "observed_ci_high": high,
                        "source": t.source, "accepted_median": float(np.nanmedian(kept)),
                        "accepted_q05": float(np.nanquantile(kept, 0.05)), "accepted_q95": float(np.nanquantile(kept, 0.95))})
    return params, targets


def write_outputs(folder: Path, post: Posterior, spec_file: str, base_file: str) -> list[Path]:
    """samples.csv, posterior.csv, calibrated.yaml, summary.json, summary.md and the calibration charts."""
    from simulation import charts
    from simulation.experiment import cell

    spec = post.spec
    paths = [p.path for p in spec.parameters]
    with (folder / "samples.csv").open("w", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["sample_id", *paths, *(f"{t.metric}_mean" for t in spec.targets), "weight", "accepted"])
        for i, (row, sim) in enumerate(zip(post.values, post.simulated, strict=True)):
            out.writerow([i, *(cell(float(v)) for v in row), *(cell(None if math.isnan(v) else float(v)) for v in sim),
                          cell(float(post.weight[i])), "true" if post.accepted[i] else "false"])
    with (folder / "posterior.csv").open("w", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["sample_id", *paths])
        for i in np.flatnonzero(post.accepted):
            out.writerow([int(i), *(cell(float(v)) for v in post.values[i])])
    (folder / "calibrated.yaml").write_text(calibrated_yaml(post, spec_file, folder, base_file))
    params, targets = summary_rows(post)
    summary = {"accepted": int(post.accepted.sum()), "samples": len(post.accepted), "window_weeks": spec.window_weeks,
               "parameters": params, "targets": targets}
    (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (folder / "summary.md").write_text(summary_markdown(spec, summary))
    return [folder / "calibrated.yaml", *charts.calibration(folder / "charts", post)]


def summary_markdown(spec: CalibrationSpec, summary: dict[str, Any]) -> str:
    lines = [f"# Calibration {spec.name}", "",
             (f"{summary['accepted']} of {summary['samples']} prior draws accepted ({spec.replicates} replicates each; "
             f"window {spec.window_weeks} weeks; seed {spec.seed})."), "",
             "| parameter | prior | shipped in base | posterior median | 90% interval | SE of median | reproduced |",
             "|---|---|---|---|---|---|---|"]
    for r in summary["parameters"]:
        lines.append(f"| `{r['parameter']}` | {r['prior_low']:g} to {r['prior_high']:g} | {_fmt(r['shipped'])} | "
                     f"{_fmt(r['median'])} | {_fmt(r['q05'])} to {_fmt(r['q95'])} | {_fmt(r['median_se'])} | "
                     f"{'yes' if r['reproduced'] else 'no'} |")
    lines += ["", "Reproduced: the shipped value is within 2 bootstrap standard errors of the posterior median.", "",
              "| target | observed (95% CI) | accepted runs' mean: median (90% range) | source |", "|---|---|---|---|"]
    for t in summary["targets"]:
        lines.append(f"| `{t['metric']}` | {t['observed']:.1%} ({t['observed_ci_low']:.1%} to {t['observed_ci_high']:.1%}) | "
                     f"{t['accepted_median']:.1%} ({t['accepted_q05']:.1%} to {t['accepted_q95']:.1%}) | {t['source']} |")
    return "\n".join(lines) + "\n"
