"""Every plain-language finding and number format ipsim shows people, in one module.

Analysis returns numbers; this module words them: metric labels and formats, comparison findings,
pattern descriptions, calibration and sensitivity summaries. Keeping all wording here means a second
language can come later as a second catalogue of the same functions.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulation.analysis import stats
from simulation.analysis.calibration import Posterior
from simulation.analysis.compare import Entry
from simulation.analysis.metrics import Outcome, difference
from simulation.analysis.patterns import CLIENT_WORK_RANGE, CLIENT_WORK_WEEKS, EDGE_WEEKS, Result
from simulation.analysis.sensitivity import Analysis
from simulation.analysis.stats import Interval
from simulation.core.scenario import Scenario
from simulation.inputs.specs import CalibrationSpec

# --- metrics and numbers ----------------------------------------------------------------------------

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
"""How each headline metric (analysis.metrics.HEADLINE) is shown to people: label (``{window}``: the cohort
window), scale and unit."""


def label(name: str) -> str:
    """A factor, lever or metric name as a label: ``team_support`` -> ``Team support``."""
    return name.replace("_", " ").capitalize()


def span(weeks: int) -> str:
    """A number of weeks in words: ``two years``, or ``40 weeks`` when not whole years."""
    years = {52: "a year", 104: "two years", 156: "three years", 208: "four years", 260: "five years"}
    return years.get(weeks, f"{weeks} weeks")


def shown(metric: str, value: float | None) -> str:
    """A metric's value as shown in tables, e.g. ``21.5%``; ``n/a`` when undefined."""
    _, scale, unit = DISPLAY[metric]
    return "n/a" if value is None else f"{scale * value:.1f}{unit}"


def sig3(x: float) -> str:
    """Three significant digits."""
    return format(x, ".3g")


def index_value(x: float) -> str:
    """A sensitivity index: two decimals, or two significant digits when tiny, three when large."""
    return format(x, ".2g") if abs(x) < 0.01 and x != 0 else format(x, ".2f") if abs(x) < 100 else format(x, ".3g")


def signed3(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.3f}"


def signed3_ci(d: Interval) -> str:
    return "n/a" if d["ci_low"] is None else f"{d['ci_low']:+.3f} to {d['ci_high']:+.3f}"


def plain3_ci(v: Interval) -> str:
    return "-" if v["ci_low"] is None else f"{v['ci_low']:.3f} to {v['ci_high']:.3f}"


def summary_table(summary: dict, folder: Path) -> str:
    """The terminal table of ``ipsim run``: each headline metric with its 95% CI."""
    window = summary["cohort_left_share"]["window_weeks"]
    lines = [(f"{summary['scenario']}: {summary['replicates']} replicates x {summary['weeks']} weeks, "
             f"{summary['positions']} positions"), f"{'metric':<52} {'mean':>12}   95% CI"]
    for key, (text, _, _) in DISPLAY.items():
        text, m = text.format(window=window), summary[key]
        if key == "median_tenure_weeks" and m["mean"] is None:
            lines.append(f"{text:<52} {'not reached':>12}   (over half still in post after {summary['weeks']} weeks)")
            continue
        ci = "-" if m["ci_low"] is None else f"{shown(key, m['ci_low'])} to {shown(key, m['ci_high'])}"
        lines.append(f"{text:<52} {shown(key, m['mean']):>12}   {ci}")
    lines.append(f"written to {folder}")
    return "\n".join(lines)


# --- comparisons (summary.md of ipsim compare and ipsim levers) ------------------------------------


def numbers(mean: float, *others: float) -> list[str]:
    """Numbers for a sentence, all at the precision the mean needs (whole numbers from 10)."""
    digits = 0 if abs(mean) >= 10 else 1
    return [f"{x:.{digits}f}" for x in (mean, *others)]


def _leavers(name: str, reference: Outcome, outcome: Outcome) -> str:
    """How many of the specialists in post at the start leave within the cohort window, against the reference:
    the paired difference of cohort_left_share x positions, replicate by replicate."""
    metric = "cohort_left_share"
    counts = [[None if r[metric] is None else r[metric] * o.summary["positions"] for r in o.per_replicate]
              for o in (reference, outcome)]
    diff = stats.paired_difference(*counts)
    n_ref, n_other = reference.summary["positions"], outcome.summary["positions"]
    who = f"of the {n_ref} specialists in post at the start" + ("" if n_ref == n_other else f" ({n_other} with {name})")
    within = f"within {span(reference.summary[metric]['window_weeks'])}"
    verdict, mean = stats.verdict(diff), diff["mean"]
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
    count, low, high = numbers(abs(mean), *sorted((abs(diff["ci_low"]), abs(diff["ci_high"]))))
    more = "fewer" if verdict == "negative" else "more"
    left_ref, left_other = (o.summary[metric]["mean"] * o.summary["positions"] for o in (reference, outcome))
    return (f"Of the specialists in post at the start, about {left_ref:.0f} of {n_ref} leave {within} with "
            f"{reference.name} and about {left_other:.0f} of {n_other} with {name}: {count} {more} with {name} "
            f"(95% CI {low} to {high}).")


def _turnover_avoided(avoided: dict[str, float | None]) -> str:
    """Annual turnover avoided (reference minus variant, paired) in words, with its 95% CI."""
    unit = "leavers per 100 specialists a year"
    verdict = stats.verdict(avoided)
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


def _turnover(name: str, reference: Outcome, outcome: Outcome) -> str:
    avoided = difference(outcome, reference, "annual_turnover")  # reference minus outcome
    return (f"Annual turnover is {100 * outcome.summary['annual_turnover']['mean']:.0f}% with {name} against "
            f"{100 * reference.summary['annual_turnover']['mean']:.0f}% with {reference.name}: "
            f"{_turnover_avoided(avoided)}.")


def findings(entries: Sequence[Entry], outcomes: Sequence[Outcome]) -> str:
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


# --- calibration (ipsim calibrate) ---------------------------------------------------------------


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
        node[leaf] = f"{sig3(m)}   # 90% interval {sig3(lo)} to {sig3(hi)}; prior {p.range[0]:g} to {p.range[1]:g}"

    def emit(node: dict[str, Any], depth: int) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                lines.append(f"{'  ' * depth}{key}:")
                emit(value, depth + 1)
            else:
                lines.append(f"{'  ' * depth}{key}: {value}")

    emit(tree, 0)
    return "\n".join(lines) + "\n"


def calibration_markdown(spec: CalibrationSpec, summary: dict[str, Any]) -> str:
    lines = [f"# Calibration {spec.name}", "",
             (f"{summary['accepted']} of {summary['samples']} prior draws accepted ({spec.replicates} replicates each; "
             f"window {spec.window_weeks} weeks; seed {spec.seed})."), "",
             "| parameter | prior | shipped in base | posterior median | 90% interval | SE of median | reproduced |",
             "|---|---|---|---|---|---|---|"]
    for r in summary["parameters"]:
        lines.append(f"| `{r['parameter']}` | {r['prior_low']:g} to {r['prior_high']:g} | {sig3(r['shipped'])} | "
                     f"{sig3(r['median'])} | {sig3(r['q05'])} to {sig3(r['q95'])} | {sig3(r['median_se'])} | "
                     f"{'yes' if r['reproduced'] else 'no'} |")
    lines += ["", "Reproduced: the shipped value is within 2 bootstrap standard errors of the posterior median.", "",
              "| target | observed (95% CI) | accepted runs' mean: median (90% range) | source |", "|---|---|---|---|"]
    for t in summary["targets"]:
        lines.append(f"| `{t['metric']}` | {t['observed']:.1%} ({t['observed_ci_low']:.1%} to {t['observed_ci_high']:.1%}) | "
                     f"{t['accepted_median']:.1%} ({t['accepted_q05']:.1%} to {t['accepted_q95']:.1%}) | {t['source']} |")
    return "\n".join(lines) + "\n"


# --- patterns (ipsim check-patterns) ---------------------------------------------------------------


@dataclass(frozen=True)
class PatternWords:
    """What a pattern is, in words: what was observed and where, the model's measure, the criterion, a note."""

    pattern: str
    observed: str
    measure: str
    criterion: str
    note: str


def pattern_words(r: Result, window_weeks: int) -> PatternWords:
    """The words of one checked pattern (its notes quote the figures the check found)."""
    if r.key == "turnover_above_public_sector":
        return PatternWords(
            "ES turnover is well above the regional public-sector figure",
            "45.0% of IPS ES against 27.1% of other public-sector staff left over the same window [B22a]",
            f"share of the ES in post at week 0 gone within {window_weeks} weeks (cohort_left_share)",
            "the 95% CI lies above 27.1%",
            "Not independent of the fit: 45% was a calibration target; the check is that, with its uncertainty, "
            "the calibrated model stays clearly above the public-sector comparator.")
    if r.key == "service_matures":
        rise, change = r.extra["readiness_rise"], r.value
        return PatternWords(
            "Early problems ease as the service matures: readiness rises and the quit hazard falls",
            "a later wave of the programme found the early problems largely resolved [Moe25]; "
            "ES who had worked a while were more optimistic [M21]",
            f"readiness over the last minus the first {EDGE_WEEKS} weeks; decisions to quit per ES-year in the last "
            f"full year of the service minus the first",
            "readiness rises (95% CI above 0) and the quit rate falls (95% CI below 0)",
            "Readiness rises by " + signed3(rise["mean"]) + " on its 0-1 scale (95% CI " + signed3_ci(rise)
            + "); decisions to quit per ES-year change by " + signed3(change["mean"]) + " (95% CI "
            + signed3_ci(change) + ")."
            + ("" if r.extra["falling"] else " The quit rate does not fall: each departure brings a new ES with a "
               "fresh expectation gap and knowledge is lost as staff leave, which offsets maturing readiness within "
               "the horizon."))
    if r.key == "solo_posts_lose_more":
        return PatternWords(
            "Solo posts lose more ES than teams",
            "isolation drained, being part of a team nourished; 'a team-player without a team' [B24, M21]",
            f"annual turnover with {r.extra['positions']} positions as solo posts minus as teams of three "
            f"(same sites otherwise; Welch interval)",
            "the 95% CI lies above 0",
            "Team structure is fixed in the variants only; the comparison holds everything else equal.")
    if r.key == "client_employment":
        low, high = CLIENT_WORK_RANGE
        inside = low <= (r.value["mean"] or 0) <= high
        return PatternWords(
            "Client employment is in the range of the Norwegian IPS trial",
            "36.6% of IPS clients in competitive work at 12 months, 37.4% at 18 [Reme19]; 41-50% in routine "
            "US programmes (IPS learning community)",
            f"share of clients on caseloads in competitive work, weeks {CLIENT_WORK_WEEKS[0]}-{CLIENT_WORK_WEEKS[1]}",
            f"the mean lies within {low:.0%}-{high:.0%}",
            "A proxy, not the trial's measure: the trial counts everyone randomised, working or not, at 12 and 18 "
            "months; the model's share is a point prevalence among clients still on caseloads, which leaves out "
            "clients whose follow-along support has ended (many of them still working) and counts everyone still "
            "searching or out of contact. The client transition rates are assumptions, not calibrated to [Reme19]. "
            "Following each client's employment after support ends would need clients as individuals, which the "
            "count-based caseloads do not keep." + ("" if inside else
                                                    " A value below the band says the proxy, the assumed rates or "
                                                    "both fall short of the trial; it is not evidence either way on "
                                                    "turnover."))
    if r.key == "quitting_mostly_gradual":
        return PatternWords(
            "Quitting is mostly gradual, with a minority of shock-led exits",
            "most leavers could name no single moment; 4 of 10 quits began with a shock [B24]",
            "share of quits begun by a shock (shock_share)",
            "the 95% CI lies below 50%",
            "Not independent of the fit: 4 of 10 was a calibration target; the check is that shock-led exits stay a "
            "minority.")
    raise ValueError(f"no words for pattern {r.key!r}")


def pattern_record(r: Result, window_weeks: int) -> dict[str, Any]:
    """One entry of patterns.json: the pattern's words and figures."""
    w = pattern_words(r, window_weeks)
    extra = {k: v for k, v in r.extra.items() if k not in ("falling", "positions", "window_weeks")}
    return {"key": r.key, "pattern": w.pattern, "observed": w.observed, "measure": w.measure, "value": r.value,
            "criterion": w.criterion, "met": r.met, "note": w.note, "extra": extra}


def patterns_markdown(results: list[Result], scenario: Scenario, replicates: int) -> str:
    met = sum(r.met for r in results)
    lines = [f"# Patterns: {scenario.name}", "",
             (f"{met} of {len(results)} patterns met ({replicates} replicates of {scenario.weeks} weeks; "
             f"95% CIs across replicates)."), "",
             "| pattern | observed | model measure | simulated (95% CI) | criterion | met |", "|---|---|---|---|---|---|"]
    words = [pattern_words(r, scenario.cohort_window_weeks) for r in results]
    for r, w in zip(results, words, strict=True):
        v = r.value
        value = "n/a" if v["mean"] is None else f"{v['mean']:.3f} ({plain3_ci(v)})"
        lines.append(f"| {w.pattern} | {w.observed} | {w.measure} | {value} | {w.criterion} | "
                     f"{'**met**' if r.met else '**not met**'} |")
    lines += ["", "## Notes", ""]
    lines += [f"- **{w.pattern}** ({'met' if r.met else 'not met'}): {w.note}" for r, w in zip(results, words, strict=True)]
    return "\n".join(lines) + "\n"


# --- sensitivity (ipsim analyze) -------------------------------------------------------------------

TOP = 3
"""The terminal summary names the largest few parameters per metric."""
RANKED_BY = {"sobol": "ST", "morris": "mu_star", "lhs": "spearman", "grid": "spearman"}
INDEX_NAMES = {"ST": "total Sobol index", "mu_star": "Morris mu* (mean absolute change in the metric across a "
               "parameter's range)", "spearman": "Spearman rank correlation"}


def sensitivity_report(analysis: Analysis, folder: Path, charts: int) -> str:
    """Plain lines for the terminal: each metric's most influential parameters, and where the files are."""
    index = RANKED_BY[analysis.design]
    lines = [f"sensitivity ({analysis.design} design): {INDEX_NAMES[index]} with 95% CI, the largest {TOP} per metric"]
    for metric in analysis.metrics:
        if metric in analysis.skipped:
            lines.append(f"  {metric}: no indices: {analysis.skipped[metric]}")
            continue
        ranked = analysis.ranked(metric, index)
        lines.append(f"  {metric}:" + ("" if ranked else " no parameter with ordered values"))
        width = max((len(r["parameter"]) for r in ranked[:TOP]), default=0)
        for r in ranked[:TOP]:
            ci = "" if r["ci_low"] is None else f"  ({index_value(r['ci_low'])} to {index_value(r['ci_high'])})"
            lines.append(f"    {r['parameter']:<{width}}  {index_value(r['value']):>6}{ci}")
        pairs = sorted((r for r in analysis.rows if r["metric"] == metric and r["index"] == "S2"),
                       key=lambda r: (-r["value"], r["parameter"]))
        if pairs:
            lines.append(f"    largest interaction (S2): {pairs[0]['parameter']} {index_value(pairs[0]['value'])}")
    lines += [f"  note: {note}" for note in analysis.notes]
    lines.append(f"indices: {folder / 'sensitivity.csv'}")
    lines.append(f"charts: {charts} in {folder / 'charts'}")
    return "\n".join(lines)
