"""Headline metrics from run records: turnover, retention, quit reasons, with 95% CIs across replicates."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats

from simulation import pressures
from simulation.model import WEEKLY_COLUMNS, RunRecord
from simulation.scenario import Scenario

WEEKS_PER_YEAR = 52.0
RETENTION_WEEKS = 52
DISPLAY: dict[str, tuple[str, float, str]] = {
    "annual_turnover": ("Annual turnover", 100, "%"),
    "cohort_left_share": ("Staff in post at the start gone within {window} weeks", 100, "%"),
    "retention_12m": ("Still in post after 12 months", 100, "%"),
    "median_tenure_weeks": ("Median tenure", 1, " weeks"),
    "shock_share": ("Quits begun by a shock", 100, "%"),
    "job_starts_per_es_year": ("Client job starts per ES-year", 1, ""),
    "job_starts_per_position_year": ("Client job starts per position-year", 1, ""),
    "vacancy_weeks_per_position_year": ("Vacancy weeks per position-year", 1, ""),
}
"""How each headline metric is shown to people: label (``{window}``: the cohort window), scale and unit."""
HEADLINE = tuple(DISPLAY)
"""The scalar metrics of summary.json, each reported as {mean, ci_low, ci_high}: the mean across
replicates with its 95% t interval, except ``median_tenure_weeks``, whose "mean" is the Kaplan-Meier
median of all replicates' spells pooled, with the interval read off the Greenwood band."""


def span(weeks: int) -> str:
    """A number of weeks in words: ``two years``, or ``40 weeks`` when not whole years."""
    years = {52: "a year", 104: "two years", 156: "three years", 208: "four years", 260: "five years"}
    return years.get(weeks, f"{weeks} weeks")


def shown(metric: str, value: float | None) -> str:
    """A metric's value as shown in tables, e.g. ``21.5%``; ``n/a`` when undefined."""
    _, scale, unit = DISPLAY[metric]
    return "n/a" if value is None else f"{scale * value:.1f}{unit}"


def mean_ci(values: Sequence[float], level: float = 0.95) -> dict[str, float | None]:
    """Mean with a t-based confidence interval across replicates (None where undefined)."""
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if x.size == 0:
        return {"mean": None, "ci_low": None, "ci_high": None}
    mean = float(x.mean())
    if x.size < 2 or np.all(x == x[0]):
        half = 0.0 if x.size >= 2 else None
    else:
        half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    if half is None:
        return {"mean": mean, "ci_low": None, "ci_high": None}
    return {"mean": mean, "ci_low": mean - half, "ci_high": mean + half}


def paired_difference(reference: Sequence[float | None], other: Sequence[float | None]) -> dict[str, float | None]:
    """Mean of ``other - reference`` replicate by replicate, with its 95% t interval.

    Under common random numbers replicate k of both scenarios shares its seed, so the pairwise
    differences cancel the noise both share; replicates where either value is undefined are left out.
    """
    diffs = [b - a for a, b in zip(reference, other, strict=True) if a is not None and b is not None]
    return mean_ci(diffs)


Verdict = Literal["negative", "positive", "same", "single", "unclear"]


def verdict(diff: dict[str, float | None]) -> Verdict:
    """What a difference's 95% CI says: 'negative' or 'positive' when it excludes zero, 'same' when
    every replicate pair was equal, 'single' when there is no CI (one replicate), else 'unclear'."""
    mean, low, high = diff["mean"], diff["ci_low"], diff["ci_high"]
    if low is None or high is None or mean is None:
        return "single"
    if low == high == 0:
        return "same"
    if high < 0:
        return "negative"
    return "positive" if low > 0 else "unclear"


def column(record: RunRecord, name: str) -> np.ndarray:
    i = WEEKLY_COLUMNS.index(name)
    return np.array([row[i] for row in record.weekly], dtype=float)


def positions(record: RunRecord) -> int:
    """Positions the model simulated: the scenario's, after the start-up plan (e.g. no solo posts) added any."""
    first = record.weekly[0]
    return int(first[WEEKLY_COLUMNS.index("headcount")] + first[WEEKLY_COLUMNS.index("vacancies")])


def survival(spells: Sequence[dict]) -> Any:
    """Kaplan-Meier estimate of staying in post (quits are events, open spells censored)."""
    quit = [s["end_week"] - s["start_week"] for s in spells if s["outcome"] == "quit"]
    open_ = [s["end_week"] - s["start_week"] for s in spells if s["outcome"] != "quit"]
    return stats.ecdf(stats.CensoredData(uncensored=quit, right=open_))


def retention_at(spells: Sequence[dict], weeks: int) -> float:
    return float(survival(spells).sf.evaluate(weeks))


def median_tenure(spells: Sequence[dict]) -> dict[str, float | None]:
    """Pooled Kaplan-Meier median tenure, with the CI read off the Greenwood band; None if not reached."""
    sf = survival(spells).sf
    band = sf.confidence_interval(0.95)

    def first_below_half(fn: Any) -> float | None:
        below = fn.quantiles[fn.probabilities <= 0.5]
        return float(below[0]) if below.size else None

    return {"mean": first_below_half(sf), "ci_low": first_below_half(band.low), "ci_high": first_below_half(band.high)}


def replicate_metrics(record: RunRecord, scenario: Scenario) -> dict[str, float | None]:
    """Scalar metrics of one replicate."""
    spells = record.spells
    years = scenario.weeks / WEEKS_PER_YEAR
    headcount = column(record, "headcount").mean()
    quits = [s for s in spells if s["outcome"] == "quit"]
    cohort = [s for s in spells if s["start_week"] == 0]
    window = scenario.cohort_window_weeks
    cohort_left = [s for s in cohort if s["outcome"] == "quit" and s["end_week"] <= window]
    position_years = positions(record) * years
    job_starts = column(record, "job_starts").sum()
    return {
        "annual_turnover": len(quits) / headcount / years if headcount else None,
        "cohort_left_share": len(cohort_left) / len(cohort) if cohort else None,
        "retention_12m": retention_at(spells, RETENTION_WEEKS) if scenario.weeks >= RETENTION_WEEKS else None,
        "shock_share": sum(1 for s in quits if s["shock"]) / len(quits) if quits else None,
        "job_starts_per_es_year": job_starts / headcount / years if headcount else None,
        "job_starts_per_position_year": job_starts / position_years,
        "vacancy_weeks_per_position_year": column(record, "vacancies").sum() / position_years,
    }


def quit_reasons(records: Sequence[RunRecord]) -> dict[str, float]:
    """Mean share of attributed drain per draining factor over every quit in every replicate."""
    quits = [s for r in records for s in r.spells if s["outcome"] == "quit"]
    if not quits:
        return {f.name: 0.0 for f in pressures.DRAINS}
    return {f.name: float(np.mean([s[f"drain_share_{f.name}"] for s in quits])) for f in pressures.DRAINS}


def summarise(records: Sequence[RunRecord], scenario: Scenario) -> dict:
    """The content of summary.json: headline metrics with 95% CIs across replicates."""
    return outcome(records, scenario).summary


def _summary(records: Sequence[RunRecord], scenario: Scenario, per_rep: Sequence[dict]) -> dict:
    summary: dict = {"scenario": scenario.name, "replicates": len(records), "weeks": scenario.weeks,
                     "positions": positions(records[0])}
    for key in per_rep[0]:
        summary[key] = mean_ci([m[key] for m in per_rep])
    summary["cohort_left_share"]["window_weeks"] = scenario.cohort_window_weeks
    summary["median_tenure_weeks"] = median_tenure([s for r in records for s in r.spells])
    summary["quit_reasons"] = quit_reasons(records)
    shocks = Counter(s["shock"] for r in records for s in r.spells if s["outcome"] == "quit")
    summary["quits_by_shock"] = {k or "none (gradual)": v for k, v in sorted(shocks.items())}
    return {k: summary[k] for k in ["scenario", "replicates", "weeks", "positions", *HEADLINE,
                                      "quit_reasons", "quits_by_shock"]}


def _band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean across replicates (rows) with the 95% t interval of the mean, column by column."""
    mean = values.mean(axis=0)
    if values.shape[0] < 2:
        return mean, mean, mean
    half = stats.t.ppf(0.975, values.shape[0] - 1) * values.std(axis=0, ddof=1) / math.sqrt(values.shape[0])
    return mean, mean - half, mean + half


def weekly_band(records: Sequence[RunRecord], name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weeks, mean and 95% CI of the mean across replicates for one weekly column."""
    return column(records[0], "week"), *_band(np.vstack([column(r, name) for r in records]))


def net_pressure(record: RunRecord) -> np.ndarray:
    """A replicate's weekly net pressure: all effective drain minus all nourishment."""
    return (sum(column(record, f"drain_{f.name}") for f in pressures.DRAINS)
            - sum(column(record, f"nourish_{f.name}") for f in pressures.NOURISHERS))


def net_pressure_band(records: Sequence[RunRecord]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weeks, mean and 95% CI of the weekly net pressure (all drain minus all nourishment)."""
    return column(records[0], "week"), *_band(np.vstack([net_pressure(r) for r in records]))


def retention_band(records: Sequence[RunRecord], weeks: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Kaplan-Meier retention by tenure week: mean across replicates with its 95% CI."""
    grid = np.arange(weeks + 1)
    mean, low, high = _band(np.vstack([survival(r.spells).sf.evaluate(grid) for r in records]))
    return grid, mean, np.clip(low, 0, 1), np.clip(high, 0, 1)


def pressure_means(records: Sequence[RunRecord]) -> dict[str, dict[str, float | None]]:
    """Mean weekly effective amount of each factor over the horizon (``drain_<f>``, ``nourish_<f>``)
    and of the net balance (``net``: all drain minus all nourishment), with 95% CIs across replicates."""
    names = [f"drain_{f.name}" for f in pressures.DRAINS] + [f"nourish_{f.name}" for f in pressures.NOURISHERS]
    per_rep = {name: [float(column(r, name).mean()) for r in records] for name in names}
    net = [float(net_pressure(r).mean()) for r in records]
    return {**{name: mean_ci(values) for name, values in per_rep.items()}, "net": mean_ci(net)}


@dataclass(frozen=True)
class Outcome:
    """One scenario's metrics, computed once: its summary.json, its charts and any comparison use them."""

    summary: dict
    """The scenario's summary.json."""
    per_replicate: list[dict[str, float | None]]
    """replicate_metrics of each replicate, in seed order (replicate k pairs with k elsewhere)."""
    retention: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    """retention_band over the horizon."""
    pressures: dict[str, dict[str, float | None]]
    """pressure_means."""

    @property
    def name(self) -> str:
        return self.summary["scenario"]


def outcome(records: Sequence[RunRecord], scenario: Scenario) -> Outcome:
    per_rep = [replicate_metrics(r, scenario) for r in records]
    return Outcome(_summary(records, scenario, per_rep), per_rep, retention_band(records, scenario.weeks),
                   pressure_means(records))


def difference(reference: Outcome, other: Outcome, metric: str) -> dict[str, float | None]:
    """``other`` minus ``reference`` for a per-replicate metric, paired replicate by replicate."""
    return paired_difference([r[metric] for r in reference.per_replicate], [r[metric] for r in other.per_replicate])
