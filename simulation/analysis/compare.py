"""Comparing scenarios under common random numbers: the checks, lever variants, and paired differences.

Replicate k of every scenario runs with the same seed, and the model draws each purpose's random
numbers from its own stream, so replicate k of two scenarios differs mostly by what the scenarios
change. Differences are therefore estimated pair by pair (a paired t interval over replicates),
which is much tighter than comparing two independent means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from simulation.analysis import metrics
from simulation.analysis.stats import NONE, Interval
from simulation.core.levers import LEVERS
from simulation.core.scenario import Scenario
from simulation.inputs.reading import InputError

ComparisonKind = Literal["compare", "levers"]
AVOIDED = {"annual_turnover": "turnover_avoided", "avoidable_turnover": "avoidable_turnover_avoided",
           "study_cohort_left_share": "study_cohort_left_share_avoided",
           "cohort_left_share": "cohort_left_share_avoided"}
"""Metrics a lever is ranked by (the first ranks), and their names in levers.csv."""


class ComparisonError(InputError):
    """Scenarios that cannot be compared with each other (bad input, like a bad scenario file)."""


@dataclass(frozen=True)
class Entry:
    """A scenario taking part in a comparison."""

    scenario: Scenario
    source: str
    """Where it came from: a file, or how it was built from files."""
    lever: str | None = None
    """For ``ipsim levers``: the lever this variant pulls (None for the base)."""


def check(entries: Sequence[Entry]) -> None:
    """Refuse comparisons that would mislead or collide, before anything runs or is written."""
    if len(entries) < 2:
        raise ComparisonError("a comparison needs at least two scenarios")
    names = [e.scenario.name.casefold() for e in entries]  # casefold: one folder on Windows and macOS
    repeated = sorted({e.scenario.name for e in entries if names.count(e.scenario.name.casefold()) > 1})
    if repeated:
        raise ComparisonError(f"scenario name {', '.join(repeated)} given more than once (names that differ only "
                              "in capitals count as one); names label the results, so give each scenario its own "
                              "`name:`")
    first = entries[0]
    for entry in entries[1:]:
        for field in ("weeks", "cohort_window_weeks"):
            if getattr(entry.scenario, field) != getattr(first.scenario, field):
                raise ComparisonError(
                    f"{entry.source}: {field} is {getattr(entry.scenario, field)}, but {first.source} has "
                    f"{getattr(first.scenario, field)}; compared scenarios need the same horizon and cohort window")


def lever_entries(base: Entry, plan: Entry) -> list[Entry]:
    """The base, then for each lever the plan sets differently from the base, the base with
    ``start_up_plan.<lever>`` taken from the plan (in registry order).

    Only that lever's settings come from the plan; everything else (sites, horizon, the other
    levers) is the base's. A lever the plan sets exactly as the base gets no variant: it would only
    repeat the base (see :func:`untested`). ComparisonError when the plan sets every lever as the base.
    """
    entries = [base]
    changed = changed_levers(base.scenario, plan.scenario)
    for lever in LEVERS:
        if lever.name not in changed:
            continue
        data = base.scenario.model_dump()
        data["start_up_plan"][lever.name] = getattr(plan.scenario.start_up_plan, lever.name).model_dump()
        data["name"] = lever.name.replace("_", "-")
        data["description"] = f"{base.scenario.name} with {lever.name} as in {plan.scenario.name}"
        source = f"{base.source} with start_up_plan.{lever.name} from {plan.source}"
        entries.append(Entry(Scenario.model_validate(data), source, lever.name))
    if len(entries) == 1:
        raise ComparisonError(f"{plan.source} sets every start-up plan lever as {base.source} does: "
                              "no lever to test")
    return entries


def changed_levers(base: Scenario, plan: Scenario) -> list[str]:
    """The levers (registry order) whose ``start_up_plan`` settings differ between base and plan."""
    return [lv.name for lv in LEVERS
            if getattr(base.start_up_plan, lv.name) != getattr(plan.start_up_plan, lv.name)]


def untested(entries: Sequence[Entry]) -> list[str]:
    """For ``ipsim levers``: the levers (registry order) without a variant among ``entries``, because the
    plan sets them exactly as the base; empty for a plain comparison (no entry pulls a lever)."""
    tested = {e.lever for e in entries if e.lever is not None}
    return [lv.name for lv in LEVERS if lv.name not in tested] if tested else []


def comparison_rows(outcomes: Sequence[metrics.Outcome]) -> list[dict[str, str | int | float | None]]:
    """One row per scenario: each headline metric with its 95% CI, and its paired difference from the
    first scenario with the paired 95% CI; then each site entry's annual turnover (``turnover_<entry>_*``, every
    entry of any scenario, in the order they first appear; empty where a scenario has no such entry) with its paired
    difference. Metrics without per-replicate values (the pooled median tenure) get no difference: pairing needs
    one value per replicate."""
    reference = outcomes[0]
    entries = list(dict.fromkeys(entry for o in outcomes for entry in o.summary["turnover_by_site"]))
    rows = []
    for o in outcomes:
        row: dict[str, str | int | float | None] = {"scenario": o.name, "positions": o.summary["positions"]}
        for metric in metrics.HEADLINE:
            level = o.summary[metric]
            if metric in reference.per_replicate[0]:
                diff = metrics.difference(reference, o, metric)
            else:
                diff = dict(NONE)
            _put(row, metric, level, diff)
        for entry in entries:
            level = o.summary["turnover_by_site"].get(entry, NONE)
            _put(row, f"turnover_{entry}", level, metrics.site_difference(reference, o, entry))
        rows.append(row)
    return rows


def _put(row: dict, name: str, level: Interval, diff: Interval) -> None:
    for part in ("mean", "ci_low", "ci_high"):
        row[f"{name}_{part}"] = level[part]
    for part in ("mean", "ci_low", "ci_high"):
        row[f"{name}_diff_{part}"] = diff[part]


def lever_ranking(entries: Sequence[Entry], rows: Sequence[dict]) -> list[dict[str, str | float | None]]:
    """One row per lever, most turnover avoided first: the base minus the variant, with the paired CI
    (the comparison's difference with its sign turned round)."""

    def minus(x: float | None) -> float | None:
        return None if x is None else 0.0 - x  # 0.0 - x: never a negative zero

    ranking = []
    for entry, row in zip(entries, rows, strict=True):
        if entry.lever is None:
            continue
        ranked: dict[str, str | float | None] = {"lever": entry.lever}
        for metric, name in AVOIDED.items():
            ranked[f"{name}_mean"] = minus(row[f"{metric}_diff_mean"])
            ranked[f"{name}_ci_low"] = minus(row[f"{metric}_diff_ci_high"])
            ranked[f"{name}_ci_high"] = minus(row[f"{metric}_diff_ci_low"])
        ranking.append(ranked)
    first = f"{next(iter(AVOIDED.values()))}_mean"
    return sorted(ranking, key=lambda r: -(r[first] or 0.0))
