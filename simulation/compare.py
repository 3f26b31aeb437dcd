"""Comparing scenarios under common random numbers: ``ipsim compare`` and ``ipsim levers``.

Replicate k of every scenario runs with the same seed, and the model draws each purpose's random
numbers from its own stream, so replicate k of two scenarios differs mostly by what the scenarios
change. Differences are therefore estimated pair by pair (a paired t interval over replicates),
which is much tighter than comparing two independent means.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from simulation import charts, experiment, metrics
from simulation.model import RunRecord
from simulation.plan import LEVERS
from simulation.scenario import Scenario

Kind = Literal["compare", "levers"]
MAX_LABEL = 68
"""Longest name part (after the timestamp) of a comparison folder."""
AVOIDED = {"annual_turnover": "turnover_avoided", "cohort_left_share": "cohort_left_share_avoided"}
"""Metrics a lever is ranked by (the first ranks), and their names in levers.csv."""


class ComparisonError(ValueError):
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
    names = [e.scenario.name for e in entries]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ComparisonError(f"scenario name {', '.join(repeated)} given more than once; names label the "
                              "results, so give each scenario its own `name:`")
    first = entries[0]
    for entry in entries[1:]:
        for field in ("weeks", "cohort_window_weeks"):
            if getattr(entry.scenario, field) != getattr(first.scenario, field):
                raise ComparisonError(
                    f"{entry.source}: {field} is {getattr(entry.scenario, field)}, but {first.source} has "
                    f"{getattr(first.scenario, field)}; compared scenarios need the same horizon and cohort window")


def lever_entries(base: Entry, plan: Entry) -> list[Entry]:
    """The base, then for each lever the base with ``start_up_plan.<lever>`` taken from the plan.

    Only that lever's settings come from the plan; everything else (sites, horizon, the other
    levers) is the base's.
    """
    entries = [base]
    for lever in LEVERS:
        data = base.scenario.model_dump()
        data["start_up_plan"][lever.name] = getattr(plan.scenario.start_up_plan, lever.name).model_dump()
        data["name"] = lever.name.replace("_", "-")
        data["description"] = f"{base.scenario.name} with {lever.name} as in {plan.scenario.name}"
        source = f"{base.source} with start_up_plan.{lever.name} from {plan.source}"
        entries.append(Entry(Scenario.model_validate(data), source, lever.name))
    return entries


def folder_label(kind: Kind, names: Sequence[str]) -> str:
    """``compare-a-vs-b[-vs-c]`` (``compare-a-vs-b-and-N-more`` when long) or ``levers-<base>``."""
    if kind == "levers":
        return f"levers-{names[0]}"[:MAX_LABEL]
    label = "compare-" + "-vs-".join(names)
    if len(label) > MAX_LABEL and len(names) > 2:
        label = f"compare-{names[0]}-vs-{names[1]}-and-{len(names) - 2}-more"
    return label[:MAX_LABEL]


def run_comparison(
    out: Path,
    entries: Sequence[Entry],
    kind: Kind,
    base_seed: int,
    replicates: int,
    workers: int,
    command: list[str],
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Run every scenario's replicates with the same seeds and write the comparison folder atomically.

    The folder holds one subfolder per scenario (the files of ``ipsim run`` except the manifest),
    comparison.csv, charts/, summary.md and manifest.json; for ``levers`` also levers.csv and
    charts/levers.png.
    """
    check(entries)
    seeds = experiment.replicate_seeds(base_seed, replicates)
    started = datetime.now(UTC)
    manifest = {
        "kind": kind,
        "scenarios": [{"folder": e.scenario.name, "source": e.source, "lever": e.lever,
                       "scenario": e.scenario.model_dump(mode="json")} for e in entries],
        **experiment.run_manifest(base_seed, seeds, workers, command),
    }

    def fill(folder: Path) -> None:
        batches = [(e.scenario, seeds) for e in entries]
        outcomes = experiment.run_batches(batches, functools.partial(_finish, folder), workers, progress)
        rows = comparison_rows(outcomes)
        _write_csv(folder / "comparison.csv", rows)
        charts.draw_comparison(folder / "charts", outcomes)
        text = findings(entries, outcomes)
        if kind == "levers":
            ranking = lever_ranking(entries, rows)
            _write_csv(folder / "levers.csv", ranking)
            charts.levers(folder / "charts" / "levers.png", ranking, entries[0].scenario.name, replicates)
            text += lever_findings(entries, ranking)
        (folder / "summary.md").write_text(text)
        experiment.write_manifest(folder, manifest, started)

    return experiment.write_atomically(out, folder_label(kind, [e.scenario.name for e in entries]), started, fill)


def _finish(root: Path, scenario: Scenario, records: list[RunRecord]) -> metrics.Outcome:
    """Write a scenario's subfolder and keep only what the comparison needs (runs in the worker pool)."""
    return experiment.write_outputs(root / scenario.name, scenario, records)


def _write_csv(path: Path, rows: Sequence[dict]) -> None:
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(list(rows[0]))
        for row in rows:
            out.writerow([experiment.cell(v) for v in row.values()])


def comparison_rows(outcomes: Sequence[metrics.Outcome]) -> list[dict[str, str | int | float | None]]:
    """One row per scenario: each headline metric with its 95% CI, and its paired difference from the
    first scenario with the paired 95% CI. Metrics without per-replicate values (the pooled median
    tenure) get no difference: pairing needs one value per replicate."""
    reference = outcomes[0]
    rows = []
    for o in outcomes:
        row: dict[str, str | int | float | None] = {"scenario": o.name, "positions": o.summary["positions"]}
        for metric in metrics.HEADLINE:
            level = o.summary[metric]
            if metric in reference.per_replicate[0]:
                diff = metrics.difference(reference, o, metric)
            else:
                diff = {"mean": None, "ci_low": None, "ci_high": None}
            for part in ("mean", "ci_low", "ci_high"):
                row[f"{metric}_{part}"] = level[part]
            for part in ("mean", "ci_low", "ci_high"):
                row[f"{metric}_diff_{part}"] = diff[part]
        rows.append(row)
    return rows


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


# --- plain-language findings (summary.md) ------------------------------------------------------


def _nums(mean: float, *others: float) -> list[str]:
    """Numbers for a sentence, all at the precision the mean needs (whole numbers from 10)."""
    digits = 0 if abs(mean) >= 10 else 1
    return [f"{x:.{digits}f}" for x in (mean, *others)]


def _leavers(name: str, reference: metrics.Outcome, outcome: metrics.Outcome) -> str:
    """How many of the specialists in post at the start leave within the cohort window, against the reference:
    the paired difference of cohort_left_share x positions, replicate by replicate."""
    metric = "cohort_left_share"
    counts = [[None if r[metric] is None else r[metric] * o.summary["positions"] for r in o.per_replicate]
              for o in (reference, outcome)]
    diff = metrics.paired_difference(*counts)
    n_ref, n_other = reference.summary["positions"], outcome.summary["positions"]
    who = f"of the {n_ref} specialists in post at the start" + ("" if n_ref == n_other else f" ({n_other} with {name})")
    within = f"within {metrics.span(reference.summary[metric]['window_weeks'])}"
    verdict, mean = metrics.verdict(diff), diff["mean"]
    if mean is None:
        return f"With {name}, no specialists were in post at the start to follow."
    if verdict == "same":
        return f"With {name}, exactly as many {who} leave {within} as with {reference.name}, in every replicate."
    if verdict == "single":
        return (f"With {name}, {mean:+.1f} {who} leave {within} compared with {reference.name} "
                "(one replicate: no confidence interval).")
    if verdict == "unclear":
        return (f"With {name}, the number {who} who leave {within} is not distinguishable from {reference.name}'s "
                f"(difference {mean:+.1f}, 95% CI {diff['ci_low']:+.1f} to {diff['ci_high']:+.1f}).")
    count, low, high = _nums(abs(mean), *sorted((abs(diff["ci_low"]), abs(diff["ci_high"]))))
    more = "fewer" if verdict == "negative" else "more"
    left_ref, left_other = (o.summary[metric]["mean"] * o.summary["positions"] for o in (reference, outcome))
    return (f"Of the specialists in post at the start, about {left_ref:.0f} of {n_ref} leave {within} with "
            f"{reference.name} and about {left_other:.0f} of {n_other} with {name}: {count} {more} with {name} "
            f"(95% CI {low} to {high}).")


def _turnover_avoided(avoided: dict[str, float | None]) -> str:
    """Annual turnover avoided (reference minus variant, paired) in words, with its 95% CI."""
    unit = "leavers per 100 specialists a year"
    verdict = metrics.verdict(avoided)
    if verdict == "same":
        return "no difference in any replicate"
    mean = 100 * (avoided["mean"] or 0.0)
    fewer = "fewer" if mean >= 0 else "more"
    if verdict == "single":
        return f"{abs(mean):.1f} {fewer} {unit} (one replicate: no confidence interval)"
    low, high = 100 * avoided["ci_low"], 100 * avoided["ci_high"]
    if verdict == "unclear":
        return f"no clear difference ({mean:+.1f} {unit} avoided, 95% CI {low:+.1f} to {high:+.1f})"
    return f"{abs(mean):.1f} {fewer} {unit} (95% CI {min(abs(low), abs(high)):.1f} to {max(abs(low), abs(high)):.1f})"


def _turnover(name: str, reference: metrics.Outcome, outcome: metrics.Outcome) -> str:
    avoided = metrics.difference(outcome, reference, "annual_turnover")  # reference minus outcome
    return (f"Annual turnover is {100 * outcome.summary['annual_turnover']['mean']:.0f}% with {name} against "
            f"{100 * reference.summary['annual_turnover']['mean']:.0f}% with {reference.name}: "
            f"{_turnover_avoided(avoided)}.")


def findings(entries: Sequence[Entry], outcomes: Sequence[metrics.Outcome]) -> str:
    """summary.md: each scenario against the first in plain words, with paired 95% CIs."""
    reference = outcomes[0]
    if any(e.lever for e in entries):
        title = f"Start-up plan levers, one at a time, added to {reference.name}"
    elif len(outcomes) <= 4:
        title = " vs ".join(o.name for o in outcomes)
    else:
        title = f"{reference.name} against {len(outcomes) - 1} other scenarios"
    method = (f"{reference.summary['replicates']} replicates x {reference.summary['weeks']} weeks per scenario; "
              "replicate k of every scenario uses the same seed, so each difference from "
              f"{reference.name} is estimated replicate by replicate (paired 95% CI). The differences are what "
              "the model implies under its documented assumptions: the start-up plan's effect sizes are "
              "assumptions (docs/model.md), not measured effects.")
    lines = [f"# {title}", "", method, ""]
    for entry, o in zip(entries[1:], outcomes[1:], strict=True):
        if entry.lever is None:
            lines.append(f"- {_leavers(o.name, reference, o)} {_turnover(o.name, reference, o)}")
    return "\n".join(lines) + "\n"


def lever_findings(entries: Sequence[Entry], ranking: Sequence[dict]) -> str:
    """The levers ranked by annual turnover avoided, in words, and the levers the plan leaves as the base has them."""
    base = entries[0].scenario
    lines = [f"## Levers ranked by annual turnover avoided (each lever alone, added to {base.name})", ""]
    for i, r in enumerate(ranking, start=1):
        avoided = {part: r[f"turnover_avoided_{part}"] for part in ("mean", "ci_low", "ci_high")}
        lines.append(f"{i}. {r['lever']}: {_turnover_avoided(avoided)}.")
    unchanged = [e.lever for e in entries[1:] if e.scenario.start_up_plan == base.start_up_plan]
    if unchanged:
        lines += ["", f"Set the same in the plan as in {base.name}, so not tested: {', '.join(map(str, unchanged))}."]
    return "\n".join(lines) + "\n"
