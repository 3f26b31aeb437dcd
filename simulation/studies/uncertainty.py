"""``ipsim compare --uncertainty N`` and ``ipsim levers --uncertainty N``: a comparison whose answers say how sure
they are (probabilistic sensitivity analysis; the method is analysis.uncertainty's docstring).

The folder ``<out>/<timestamp>-<compare or levers label>-uncertainty`` exists from the start, as a sweep's does:

- ``study.json``: what the comparison is (its scenarios, replicates, seed, draws and window readings), enough to
  resume it (``ipsim compare --resume FOLDER``);
- ``uncertainty/``: the draws as a sweep folder (execution.sweeps) whose *arms* are the compared scenarios, so
  every draw runs every scenario with the same parameter values and seeds; resumable, byte-identical results
  whatever the workers, the backend or the interruptions;
- when the draws are all in, the plain comparison at the scenarios' own values (its scenario subfolders, charts and
  Monte Carlo intervals, as ``ipsim compare`` writes them) with the uncertainty columns added to comparison.csv
  (and levers.csv), uncertainty.csv (every difference under each window reading), summary.md, and manifest.json,
  written last: a folder with a manifest is complete.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from simulation.analysis import metrics
from simulation.analysis import uncertainty as ua
from simulation.analysis.compare import AVOIDED, ComparisonKind, Entry
from simulation.core.levers import LEVERS
from simulation.core.params import Prior
from simulation.core.scenario import Scenario
from simulation.execution import designs, folders, sweeps
from simulation.execution.batches import Options
from simulation.inputs import specs
from simulation.inputs.reading import InputError

DEFAULT_REPLICATES = 10
"""Replicates per draw when ``--replicates`` is not given with ``--uncertainty``."""
DEFAULT_READINGS = {104: 1.0}
"""The study window read as 104 weeks: B22a's comparator, 27.1% against municipal turnover of 12-14% a year,
suggests about two years (../shared/domain.md); the 52-week reading is the alternative ``--window-readings``
adds."""
POSTERIORS = Path(__file__).resolve().parents[2] / "scenarios" / "calibration"
"""Where the shipped posterior samples are: ``posterior-<weeks>w.csv`` for each window reading."""
UI_METRICS = tuple(m for m in metrics.HEADLINE if m != "median_tenure_weeks")
"""The metrics whose differences get an uncertainty interval: every headline metric with a value per replicate."""
STUDY, SWEEP = "study.json", "uncertainty"
BETTER = "annual_turnover"
"""``p_better``: the probability that a scenario has lower annual turnover than the first."""


class UncertaintyError(InputError):
    """A comparison that cannot be run or resumed under uncertainty; the message says why."""


@dataclass(frozen=True)
class Uncertainty:
    """How many draws, under which window readings (weeks: weight), and whether every prior is collapsed to the
    scenarios' own values (a check of the machinery: the uncertainty interval is then the Monte Carlo one)."""

    draws: int
    readings: Mapping[int, float] = field(default_factory=lambda: dict(DEFAULT_READINGS))
    collapsed: bool = False

    def __post_init__(self) -> None:
        unknown = sorted(w for w in self.readings if not (POSTERIORS / f"posterior-{w}w.csv").is_file())
        if unknown:
            shipped = sorted(int(p.stem.split("-")[1][:-1]) for p in POSTERIORS.glob("posterior-*w.csv"))
            raise UncertaintyError(f"--window-readings: no calibration posterior for {', '.join(map(str, unknown))} "
                                   f"weeks; readings with one: {', '.join(map(str, shipped))}")
        if not self.readings or any(w <= 0 or not math.isfinite(w) for w in self.readings.values()):
            raise UncertaintyError("--window-readings: each weight must be a positive number")


def parse_readings(text: str) -> dict[int, float]:
    """``104``, ``104,52`` (equal weights) or ``104:0.7,52:0.3`` as {weeks: weight}; UncertaintyError if not."""
    readings: dict[int, float] = {}
    for part in text.split(","):
        weeks, _, weight = part.strip().partition(":")
        try:
            readings[int(weeks)] = float(weight) if weight else 1.0
        except ValueError:
            raise UncertaintyError(f"--window-readings {text!r}: give weeks with an optional weight, e.g. 104 or "
                                   "104:0.7,52:0.3") from None
    return readings


def load_posterior(weeks: int) -> ua.Posterior:
    """The shipped posterior sample of the quit threshold for a window reading (scenarios/calibration)."""
    path = POSTERIORS / f"posterior-{weeks}w.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    values = np.array([float(r[ua.THRESHOLD]) for r in rows])
    weights = np.array([float(r["weight"]) for r in rows])
    return ua.Posterior(weeks, values, weights / weights.sum(), str(path.relative_to(POSTERIORS.parents[1])))


def drawn(entries: Sequence[Entry]) -> tuple[dict[str, Prior], dict[str, float], list[str]]:
    """What the draws vary: the priors of the effect sizes of every lever some scenario pulls (the quit threshold
    comes from the posterior), with the scenarios' own values (the point), and notes for summary.md. A setting the
    scenarios that pull its lever set differently is what they compare, not an uncertainty: it is held at each one's
    value (noted). UncertaintyError if the scenarios' quit thresholds differ (the draws give them all one)."""
    thresholds = {e.scenario.staff.quit_threshold.mean for e in entries}
    if len(thresholds) > 1:
        raise UncertaintyError(f"the scenarios' {ua.THRESHOLD} differ ({', '.join(map(str, sorted(thresholds)))}); "
                               "--uncertainty draws it from the calibration posterior for them all: compare them "
                               "without --uncertainty")
    priors: dict[str, Prior] = {}
    point: dict[str, float] = {ua.THRESHOLD: thresholds.pop()}
    notes: list[str] = []
    for lv in LEVERS:
        pulling = [e for e in entries if lv.is_on(getattr(e.scenario.start_up_plan, lv.name))]
        for name, prior in lv.priors.items():
            if not pulling:
                continue
            path = f"start_up_plan.{lv.name}.{name}"
            values = {getattr(getattr(e.scenario.start_up_plan, lv.name), name) for e in pulling}
            if len(values) > 1:
                notes.append(f"`{path}` is compared ({', '.join(map(str, sorted(values)))}), so held at each "
                             "scenario's value, not drawn")
                continue
            value = values.pop()
            priors[path], point[path] = prior, value
            if value != getattr(lv.default, name):
                notes.append(f"`{path}`: the scenarios' {value} is the point estimate; the draws take it from its "
                             f"prior, {prior.words()}")
    return priors, point, notes


def plan(entries: Sequence[Entry], options: Options, settings: Uncertainty) -> tuple[sweeps.Plan, ua.Draws, list[str]]:
    """The draws and the sweep that runs them (every scenario an arm), and the notes on what is drawn."""
    priors, point, notes = drawn(entries)
    if settings.collapsed:
        draws = ua.collapsed(settings.draws, point, settings.readings)
    else:
        posteriors = {w: load_posterior(w) for w in settings.readings}
        # the draws' streams are the children (1, j) of the seed's sequence; a replicate's seed is the first word of
        # the sequence (k,) itself (execution.seeds), so no stream of the runs is a stream of the draws
        draws = ua.draw(settings.draws, priors, posteriors, settings.readings,
                        np.random.SeedSequence(options.seed, spawn_key=(1,)))
    parameters = []
    for j, path in enumerate(draws.paths):
        low, high = float(draws.values[:, j].min()), float(draws.values[:, j].max())
        parameters.append({"path": path, "range": [low, high]} if low < high else {"path": path, "levels": [low]})
    spec = specs.SweepSpec.model_validate({
        "name": "uncertainty", "base": entries[0].source, "design": "points", "replicates": options.replicates,
        "seed": options.seed, "common_random_numbers": True, "metrics": list(UI_METRICS), "parameters": parameters,
        "point_values": draws.rows(),
    })
    arms = tuple((e.scenario.name, e.scenario.model_dump(mode="json")) for e in entries)
    sweep = specs.check_sweep(spec, arms[0][1], entries[0].source, "the comparison", arms)
    chunk = max(1, min(sweeps.MAX_AUTO_CHUNK, options.replicates))  # a chunk is one draw's replicates, or a part
    return sweeps.Plan(sweep, designs.design(spec), chunk), draws, notes


@dataclass(frozen=True)
class Study:
    """A comparison under uncertainty as study.json records it."""

    kind: ComparisonKind
    entries: list[Entry]
    options: Options
    settings: Uncertainty

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "scenarios": [{"source": e.source, "lever": e.lever, "scenario": e.scenario.model_dump(mode="json")}
                          for e in self.entries],
            "replicates": self.options.replicates, "seed": self.options.seed,
            "draws": self.settings.draws, "window_readings": {str(w): v for w, v in self.settings.readings.items()},
            "collapsed": self.settings.collapsed,
        }

    @classmethod
    def read(cls, folder: Path, options: Options) -> Study:
        """The study of an unfinished folder, with ``options``' workers, output and progress but its own replicates
        and seed; UncertaintyError if the folder is none or is complete."""
        if (folder / "manifest.json").exists():
            raise UncertaintyError(f"{folder}: this comparison is already complete")
        try:
            data = json.loads((folder / STUDY).read_text(encoding="utf-8"))
            entries = [Entry(Scenario.model_validate(s["scenario"]), s["source"], s["lever"]) for s in data["scenarios"]]
            settings = Uncertainty(data["draws"], {int(w): float(v) for w, v in data["window_readings"].items()},
                                   bool(data["collapsed"]))
            kind = data["kind"]
            replicates, seed = int(data["replicates"]), int(data["seed"])
        except FileNotFoundError:
            raise UncertaintyError(f"{folder}: not a comparison under uncertainty (no {STUDY})") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UncertaintyError(f"{folder}: {STUDY} is damaged ({str(exc)[:120]}); run the comparison again "
                                   "into a new folder") from None
        if kind not in ("compare", "levers"):
            raise UncertaintyError(f"{folder}: {STUDY} is damaged (kind {str(kind)[:40]!r})")
        return cls(kind, entries, Options(replicates, seed, options.workers, options.out, options.command,
                                          options.progress, allow_large=True), settings)


Execute = Callable[[Path, sweeps.Plan], sweeps.Status | int]
"""Runs a sweep plan in its folder (the CLI's executor, progress bar and interruption handling) and returns its
status, or an exit code if it was interrupted."""


def start(study: Study, label: str) -> Path:
    """Make the study's folder, with study.json and its draws' sweep folder, ready to run; the draws are planned
    first, so a study that cannot run (UncertaintyError, a draw the schema refuses) leaves no folder."""
    sweep_plan, _, _ = plan(study.entries, study.options, study.settings)
    started = datetime.now(UTC)
    folder = folders.make_run_folder(study.options.out, f"{label}-uncertainty", started)
    folders.write_text_atomically(folder / STUDY, json.dumps(study.to_json(), indent=2) + "\n")
    sweeps.create_at(folder / SWEEP, sweep_plan, "", list(study.options.command), started)
    return folder


@dataclass(frozen=True)
class Draw:
    """One draw's per-replicate metrics of every arm: ``values[arm][metric]`` is a list over replicates."""

    reading: int
    values: list[dict[str, list[float | None]]]


def read_draws(folder: Path, study: Study) -> list[Draw]:
    """The finished sweep's results, by draw (sample id order, each with its window reading) and arm."""
    arms = [e.scenario.name for e in study.entries]
    readings = ua.allot(study.settings.draws, study.settings.readings)
    found: list[Draw] = [Draw(int(r), [{m: [] for m in UI_METRICS} for _ in arms]) for r in readings]
    with (folder / SWEEP / sweeps.RESULTS).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            draw = found[int(row["sample_id"])]
            for a, arm in enumerate(arms):
                for m in UI_METRICS:
                    cell = row[f"{arm}/{m}"]
                    draw.values[a][m].append(float(cell) if cell else None)
    return found


def mixtures(found: Sequence[Draw], arm: int, metric: str) -> ua.Mixture | None:
    """The mixture of ``arm``'s paired difference from the first scenario in ``metric`` over ``found``."""
    rows = [[None if a is None or b is None else b - a for a, b in zip(d.values[0][metric], d.values[arm][metric],
                                                                      strict=True)] for d in found]
    return ua.mixture(rows)


def add_intervals(rows: list[dict], found: Sequence[Draw]) -> None:
    """comparison.csv's uncertainty columns: ``<metric>_diff_ui_mean`` (the mean over the draws, the probabilistic
    point estimate), ``_ui_low`` and ``_ui_high`` for every metric with a value per replicate, and ``p_better``."""
    for a, row in enumerate(rows):
        for m in UI_METRICS:
            ui = ua.interval(mixtures(found, a, m), metrics.BOUNDS[m])
            row[f"{m}_diff_ui_mean"], row[f"{m}_diff_ui_low"], row[f"{m}_diff_ui_high"] = \
                ui["mean"], ui["ci_low"], ui["ci_high"]
        row["p_better"] = None if a == 0 else ua.p_below_zero(mixtures(found, a, BETTER))


def add_rankings(ranking: list[dict], entries: Sequence[Entry], found: Sequence[Draw]) -> None:
    """levers.csv's uncertainty columns: each ranked metric's ``_ui_mean``, ``_ui_low`` and ``_ui_high`` (the
    avoided amount: the difference turned round), ``p_rank_first`` and ``p_top3`` (by turnover avoided in each
    draw)."""
    arm_of = {e.lever: a for a, e in enumerate(entries) if e.lever is not None}
    first = next(iter(AVOIDED))
    avoided = np.array([[_mean_avoided(d, arm_of[r["lever"]], first) for r in ranking] for d in found])
    p_first, p_top = ua.rank_shares(avoided)
    for j, r in enumerate(ranking):
        a = arm_of[r["lever"]]
        for metric, name in AVOIDED.items():
            ui = ua.interval(mixtures(found, a, metric), metrics.BOUNDS[metric])
            r[f"{name}_ui_mean"] = None if ui["mean"] is None else 0.0 - ui["mean"]
            r[f"{name}_ui_low"] = None if ui["ci_high"] is None else 0.0 - ui["ci_high"]
            r[f"{name}_ui_high"] = None if ui["ci_low"] is None else 0.0 - ui["ci_low"]
        r["p_rank_first"], r["p_top3"] = float(p_first[j]), float(p_top[j])


def _mean_avoided(draw: Draw, arm: int, metric: str) -> float:
    """The first scenario minus ``arm`` in ``metric``, averaged over the draw's paired replicates (NaN if none)."""
    pairs = [a - b for a, b in zip(draw.values[0][metric], draw.values[arm][metric], strict=True)
             if a is not None and b is not None]
    return float(np.mean(pairs)) if pairs else math.nan


def by_reading(rows: Sequence[dict], found: Sequence[Draw], readings: Mapping[int, float]) -> list[dict]:
    """uncertainty.csv: every scenario's difference from the first in every metric, under each window reading
    (when there are several) and over all the draws (``all``): the mean over the draws, the uncertainty interval,
    the Monte Carlo interval of the plain comparison, and the probability that it is below zero."""
    subsets: list[tuple[str, list[Draw]]] = [(f"{w}w", [d for d in found if d.reading == w]) for w in readings]
    subsets = [*subsets, ("all", list(found))] if len(subsets) > 1 else [("all", list(found))]
    out = []
    for a, row in enumerate(rows[1:], start=1):
        for m in UI_METRICS:
            for reading, draws in subsets:
                mix = mixtures(draws, a, m)
                ui = ua.interval(mix, metrics.BOUNDS[m])
                out.append({"scenario": row["scenario"], "metric": m, "reading": reading, "draws": len(draws),
                            "diff_mean": ui["mean"], "ui_low": ui["ci_low"], "ui_high": ui["ci_high"],
                            "mc_mean": row[f"{m}_diff_mean"], "mc_low": row[f"{m}_diff_ci_low"],
                            "mc_high": row[f"{m}_diff_ci_high"], "p_below_zero": ua.p_below_zero(mix)})
    return out


def draws_folder(folder: Path) -> Path:
    """The sweep folder of a comparison under uncertainty's draws when given the comparison's folder (which holds
    study.json), so that ``ipsim discover`` takes either; any other folder as it is."""
    return folder / SWEEP if (folder / STUDY).is_file() else folder


def publish(folder: Path, fill: Callable[[Path], None]) -> None:
    """Let ``fill`` write the finished comparison's files into a hidden temporary folder inside ``folder``, then
    move each into ``folder``, manifest.json last (a folder with a manifest is complete); on any failure the
    temporary folder goes and ``folder`` stays resumable. What a killed earlier publish left is removed first, as
    ``folders.write_atomically`` does."""
    folders.remove_stale(folder)
    tmp = Path(tempfile.mkdtemp(prefix=f".ipsim-partial-{folders.owner_tag()}-results-", dir=folder))
    try:
        fill(tmp)
        names = sorted(os.listdir(tmp), key=lambda n: n == "manifest.json")
        for name in names:
            target = folder / name
            if target.exists():
                shutil.rmtree(target) if target.is_dir() else target.unlink()  # left by an interrupted publish
            os.replace(tmp / name, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
