"""Scenario discovery on a finished sweep: the region of the varied parameters where an outcome happens.

The question is a threshold on an outcome of each design point: the mean of one results.csv column over the
point's replicates (``annual_turnover``), or the difference of two such means (``baseline/annual_turnover`` minus
``implementation-lead/annual_turnover``), above or below a number. The points where it holds are the cases of
interest; PRIM, the Patient Rule Induction Method (Friedman and Fisher 1999), used for scenario discovery as Bryant
and Lempert (2010) describe, looks for a box (a range of each parameter it restricts, a set of levels for a bool or
categorical one) that holds many of them (coverage: the share of all cases of interest inside the box) and in which
they are common (density: the share of the box's points that are cases).

PRIM is EMA Workbench's (``ema_workbench.analysis.prim``, BSD-3-Clause licence) with its defaults: peeling and
pasting 5% of the points at a time, a box of at least 5% of the points, its lenient objective (the gain in density
per point removed). It peels one box's trajectory, from the whole design to that smallest box. This module's rule
(``find``) picks the densest box on it that holds at least half the cases (``MIN_COVERAGE``), then drops, one at a
time, the limits that may be chance: those whose quasi-p-value (Bryant and Lempert 2010: a one-sided binomial test
of whether the limit raises the box's density by more than chance would) is above 0.05. What is left is the box
reported, each limit with its quasi-p-value.

Everything here is deterministic: PRIM's peeling draws no random numbers, so the same folder and question give the
same trajectory and box.
"""

from __future__ import annotations

import csv
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from simulation.analysis.sensitivity import sample_means
from simulation.execution import sweeps
from simulation.execution.sweeps import text
from simulation.inputs.reading import InputError
from simulation.inputs.specs import SweepSpec

MIN_COVERAGE = 0.5
"""The default least coverage of the chosen box: it must hold at least half the cases of interest, so that it
describes how the outcome mostly comes about rather than a corner of it (a choice; ``--min-coverage`` changes it)."""
SIGNIFICANT = 0.05
"""A limit whose quasi-p-value is above this may be chance: ``find`` drops it from the box it reports."""
PEEL_ALPHA = PASTE_ALPHA = MASS_MIN = 0.05
"""EMA Workbench's defaults, passed explicitly so that the folder records what was used."""
IDENTITY = ("sample_id", "replicate", "seed", "status")
"""results.csv's columns that are neither a parameter nor an outcome."""

Side = Literal["above", "below"]


class DiscoveryError(InputError):
    """A question that cannot be asked of this sweep (a column it lacks, a threshold no point crosses)."""


@dataclass(frozen=True)
class Question:
    """Where is ``metric`` (minus ``minus``), the mean over a design point's replicates, ``side`` ``threshold``?"""

    metric: str
    minus: str | None
    side: Side
    threshold: float

    @property
    def outcome(self) -> str:
        """The outcome's name: the column, or ``a - b``."""
        return self.metric if self.minus is None else f"{self.metric} - {self.minus}"

    def holds(self, values: np.ndarray) -> np.ndarray:
        """Where the question's answer is yes (strictly above or below the threshold)."""
        return values > self.threshold if self.side == "above" else values < self.threshold


@dataclass(frozen=True)
class Range:
    """A box's limits on an ordered (float or int) parameter, within the range of the values the design took."""

    parameter: str
    low: float
    high: float
    full_low: float
    full_high: float
    quasi_p: float
    """The smaller quasi-p-value of its restricted ends."""

    @property
    def lower_bound_only(self) -> bool:
        return self.high == self.full_high

    @property
    def upper_bound_only(self) -> bool:
        return self.low == self.full_low


@dataclass(frozen=True)
class Levels:
    """A box's levels kept of an unordered (bool or categorical) parameter, as results.csv writes them."""

    parameter: str
    kept: tuple[str, ...]
    swept: tuple[str, ...]
    quasi_p: float


Limit = Range | Levels
"""One restricted parameter of a box."""


@dataclass(frozen=True)
class Step:
    """One box of PRIM's peeling trajectory."""

    index: int
    coverage: float
    density: float
    mass: float
    """The share of all design points (with an outcome) inside the box."""
    points: int
    cases: int
    restricted: int
    """How many parameters the box restricts."""
    dropped: str
    """The parameter whose limits were dropped from the box before to make this one; empty for a box PRIM peeled
    (or pasted)."""


@dataclass(frozen=True)
class Found:
    """PRIM's first box: its trajectory, the box picked on the peeling trajectory, the box reported (the one picked
    less the limits that may be chance) and the reported box's limits."""

    trajectory: list[Step]
    picked: Step
    chosen: Step
    limits: list[Limit]


@dataclass(frozen=True)
class Discovery:
    """PRIM's answer to a question about a sweep: the trajectory, the chosen box and its restricted parameters
    (in the spec's order), and what the answer rests on."""

    question: Question
    spec: SweepSpec
    trajectory: list[Step]
    picked: Step
    chosen: Step
    limits: list[Limit]
    min_coverage: float
    outcome_low: float
    outcome_high: float
    """The outcome's smallest and largest value over the design points."""
    left_out: int
    """Design points without an outcome (no replicate gave a value): left out of the analysis."""
    constant: list[str]
    """Parameters that took one value only among the points analysed: left out (nothing to restrict)."""

    @property
    def points(self) -> int:
        return self.trajectory[0].points

    @property
    def cases(self) -> int:
        return self.trajectory[0].cases


def outcome_columns(header: list[str], parameters: list[str]) -> list[str]:
    """The columns of results.csv a question may name: all but the run's identity, seed, status and parameters."""
    return [c for c in header if c not in IDENTITY and c not in parameters]


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle), [])


def check_columns(question: Question, header: list[str], parameters: list[str], where: Path) -> None:
    """DiscoveryError naming the option and the column if the question names one results.csv does not have as an
    outcome, listing those it has."""
    allowed = outcome_columns(header, parameters)
    for option, column in (("--metric", question.metric), ("--minus", question.minus)):
        if column is None or column in allowed:
            continue
        what = "is a varied parameter, not an outcome" if column in parameters else "is no column of it"
        raise DiscoveryError(f"{option} {column[:100]}: {what} ({where}); choose one of: {', '.join(allowed)}")
    if question.minus == question.metric:
        raise DiscoveryError(f"--minus {question.minus}: the same column as --metric; the difference would be 0 "
                             "everywhere: choose another column")


def discover(folder: Path, question: Question, min_coverage: float = MIN_COVERAGE) -> Discovery:
    """PRIM on a finished sweep folder: SweepError if it is not one (the same as ``ipsim analyze`` gives),
    DiscoveryError if the question names a column it lacks or its threshold splits no design points."""
    plan = sweeps.finished(folder, record=True)
    spec = plan.sweep.spec
    paths = plan.sweep.paths
    results = folder / sweeps.RESULTS
    check_columns(question, _header(results), paths, results)
    columns = [question.metric] + ([question.minus] if question.minus else [])
    means, _ = sample_means(results, columns, len(plan.points.values))
    outcome = means[:, 0] if question.minus is None else means[:, 0] - means[:, 1]
    kept = ~np.isnan(outcome)
    if not kept.any():
        raise DiscoveryError(f"{question.outcome}: no design point of {folder} has a value (every run failed or "
                             "left it undefined)")
    values = outcome[kept]
    low, high = float(values.min()), float(values.max())
    interesting = question.holds(values)
    if interesting.all() or not interesting.any():
        word = "every one" if interesting.all() else "none"
        raise DiscoveryError(f"--{question.side} {question.threshold:g}: {question.outcome} (the mean over replicates) "
                             f"is {question.side} it at {word} of the {values.size} design points (it runs from "
                             f"{low:.4g} to {high:.4g}); choose a threshold inside that range")
    x = _design_table(spec, [row for row, keep in zip(plan.points.values, kept, strict=True) if keep])
    constant = [c for c in x.columns if x[c].nunique() < 2]
    found = find(x.drop(columns=constant), interesting, min_coverage)
    return Discovery(question, spec, found.trajectory, found.picked, found.chosen, found.limits, min_coverage, low,
                     high, int((~kept).sum()), constant)


def _design_table(spec: SweepSpec, rows: list[list[object]]) -> pd.DataFrame:
    """The design points as PRIM takes them: floats and whole numbers as numbers, bool and categorical levels as
    categories of their text in results.csv (``true``, ``false``, a level's own text)."""
    columns: dict[str, pd.Series] = {}
    for j, p in enumerate(spec.parameters):
        column = [row[j] for row in rows]
        if p.type == "float":
            columns[p.path] = pd.Series(column, dtype="float64")
        elif p.type == "int":
            columns[p.path] = pd.Series(column, dtype="int64")
        else:
            columns[p.path] = pd.Series([text(v) for v in column], dtype="object")
    return pd.DataFrame(columns)


def find(x: pd.DataFrame, interesting: np.ndarray, min_coverage: float = MIN_COVERAGE) -> Found:
    """PRIM's first box on ``x`` (one row per design point: numeric columns ordered, any other unordered) for the
    cases ``interesting``: its trajectory, the box picked on it, the box reported and that box's restricted
    parameters, in ``x``'s column order.

    The box reported: on the peeling (and pasting) trajectory, the one ``choose`` picks; then, while any of its
    limits has a quasi-p-value above SIGNIFICANT (it may be chance), the least significant of them dropped (EMA's
    ``drop_restriction``, which adds the box without it to the trajectory and tests its limits again). The
    trajectory returned holds those boxes too, after the peeled ones (``Step.dropped`` names what each dropped)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # EMA Workbench warns at import of optional parts it does not find
        from ema_workbench.analysis import prim

        found = prim.Prim(x, interesting.astype(bool), peel_alpha=PEEL_ALPHA, paste_alpha=PASTE_ALPHA,
                          mass_min=MASS_MIN).find_box()
    peeled = _steps(found.peeling_trajectory, [""] * len(found.box_lims))
    picked = choose(peeled, min_coverage)
    i, dropped = picked.index, [""] * len(found.box_lims)
    while weak := [(p, -x.columns.get_loc(name), name) for name, p in _quasi_p(found.p_values[i]).items()
                   if p > SIGNIFICANT]:
        name = max(weak)[2]  # the least significant (the first in x's order among equals)
        found.drop_restriction(name, i)
        i = len(found.box_lims) - 1
        dropped.append(name)
    trajectory = _steps(found.peeling_trajectory, dropped)
    initial, box, quasi_p = found.box_lims[0], found.box_lims[i], _quasi_p(found.p_values[i])
    limits: list[Limit] = []
    for name in x.columns:
        if name not in quasi_p:
            continue
        if pd.api.types.is_numeric_dtype(x[name]):
            limits.append(Range(name, float(box[name][0]), float(box[name][1]), float(initial[name][0]),
                                float(initial[name][1]), quasi_p[name]))
        else:
            limits.append(Levels(name, tuple(sorted(box[name][0])), tuple(sorted(initial[name][0])), quasi_p[name]))
    return Found(trajectory, picked, trajectory[i], limits)


def _quasi_p(ends: dict[str, list[float]]) -> dict[str, float]:
    """Each restricted parameter's quasi-p-value: the smaller of its restricted ends' (EMA gives -1 for an end
    that is not restricted)."""
    return {name: float(min(v for v in values if v >= 0)) for name, values in ends.items()}


def _steps(frame: pd.DataFrame, dropped: list[str]) -> list[Step]:
    return [Step(i, float(r["coverage"]), float(r["density"]), float(r["mass"]), int(r["n"]), int(r["k"]),
                 int(r["res_dim"]), dropped[i]) for i, r in frame.iterrows()]


def choose(trajectory: list[Step], min_coverage: float) -> Step:
    """The box to start from on the peeling trajectory: the densest of those with a coverage of at least
    ``min_coverage``; among equally dense ones the one of the larger coverage, then of fewer restricted parameters,
    then the earlier. The whole design (the first box, coverage 1) always qualifies, so there is one."""
    eligible = [s for s in trajectory if s.coverage >= min_coverage]
    return min(eligible, key=lambda s: (-s.density, -s.coverage, s.restricted, s.index))
