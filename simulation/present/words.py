"""Every plain-language finding and number format ipsim shows people, in one module.

Analysis returns numbers; this module words them: metric labels and formats, comparison findings,
pattern descriptions, calibration and sensitivity summaries. Keeping all wording here means a second
language can come later as a second catalogue of the same functions.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from simulation.analysis import stats
from simulation.analysis.compare import untested
from simulation.analysis.metrics import WEEKS_PER_YEAR, difference, site_difference, turnover_decomposition
from simulation.analysis.patterns import EDGE_WEEKS, TRIAL_ARM, TRIAL_EMPLOYED_12M

if TYPE_CHECKING:  # for annotations only: calibration, sensitivity and specs import SciPy's stats and Mesa
    from simulation.analysis.calibration import Posterior
    from simulation.analysis.compare import Entry
    from simulation.analysis.discovery import Discovery, Limit, Question, Range
    from simulation.analysis.metrics import Outcome
    from simulation.analysis.patterns import Result
    from simulation.analysis.sensitivity import Analysis
    from simulation.analysis.stats import Interval
    from simulation.core.scenario import Scenario
    from simulation.inputs.specs import CalibrationSpec

# --- metrics and numbers ----------------------------------------------------------------------------

DISPLAY: dict[str, tuple[str, float, str]] = {
    "annual_turnover": ("Annual turnover", 100, "%"),
    "avoidable_turnover": ("Avoidable turnover (gradual or after a shock)", 100, "%"),
    "ordinary_turnover": ("Ordinary turnover (promotion, moving, retiring)", 100, "%"),
    "study_cohort_left_share": ("ES in post as observation starts gone within {window} weeks", 100, "%"),
    "cohort_left_share": ("The service's first ES gone within {window} weeks", 100, "%"),
    "retention_12m": ("Still in post after 12 months", 100, "%"),
    "median_tenure_weeks": ("Median tenure", 1, " weeks"),
    "shock_share": ("Voluntary quits begun by a shock", 100, "%"),
    "ordinary_share": ("Departures that were ordinary exits", 100, "%"),
    "gradual_decisions_after_26w": ("Gradual decisions after 26 weeks in post", 100, "%"),
    "job_starts_per_es_year": ("Client job starts per ES-year", 1, ""),
    "job_starts_per_position_year": ("Client job starts per position-year", 1, ""),
    "job_starts_per_client_year": ("Client job starts per 100 client-years on a caseload", 100, ""),
    "vacancy_weeks_per_position_year": ("Vacancy weeks per position-year", 1, ""),
    "clients_employed_12m": ("Clients in work 12 months after referral", 100, "%"),
    "clients_employed_18m": ("Clients in work 18 months after referral", 100, "%"),
    "clients_ever_employed_12m": ("Clients who started a job within 12 months", 100, "%"),
    "clients_ever_employed_18m": ("Clients who started a job within 18 months", 100, "%"),
    "es_changes_per_client": ("ES changes per 100 clients in their first year", 100, ""),
}
"""How each headline metric (analysis.metrics.HEADLINE, in its order) is shown to people: label (``{window}``: the
cohort window), scale and unit. ``study_cohort_left_share`` is the study's cohort (every ES in post when the
observation window opens, whatever their tenure); ``cohort_left_share`` the service's first ES (those who started
in the run's first week, before any warm-up)."""


ACRONYMS = {"nav": "NAV", "es": "ES", "ips": "IPS"}
"""Words of a name that a label writes in capitals (``employer_and_nav_support`` -> ``Employer and NAV support``)."""


def label(name: str) -> str:
    """A factor, lever or metric name as a label: ``team_support`` -> ``Team support``."""
    text = " ".join(ACRONYMS.get(word, word) for word in name.split("_"))
    return text[:1].upper() + text[1:]


def span(weeks: int) -> str:
    """A number of weeks in words: ``two years``, or ``40 weeks`` when not whole years."""
    years = {52: "a year", 104: "two years", 156: "three years", 208: "four years", 260: "five years"}
    return years.get(weeks, f"{weeks} weeks")


def shown(metric: str, value: float | None) -> str:
    """A metric's value as shown in tables, e.g. ``21.5%``; ``n/a`` when undefined."""
    _, scale, unit = DISPLAY[metric]
    return "n/a" if value is None else f"{scale * value:.1f}{unit}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """A count with its noun, singular or plural: ``1 replicate``, ``2 replicates``, ``1 person``/``2 people``."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def interval_note(replicates: int, what: str) -> str:
    """How a chart shows uncertainty: ``shaded: 95% confidence interval``, or with one replicate that there is
    none (``what`` names the mark, e.g. ``shaded`` or ``bars``)."""
    return f"{what}: 95% confidence interval" if replicates > 1 else "one replicate, so no confidence interval"


def and_list(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def sig3(x: float) -> str:
    """Three significant digits."""
    return format(x, ".3g")


def index_value(x: float) -> str:
    """A sensitivity index: two decimals, or two significant digits when tiny, three when large."""
    return format(x, ".2g") if abs(x) < 0.01 and x != 0 else format(x, ".2f") if abs(x) < 100 else format(x, ".3g")


def plain3(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def signed3(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.3f}"


def signed3_ci(d: Interval) -> str:
    return "n/a" if d["ci_low"] is None else f"{d['ci_low']:+.3f} to {d['ci_high']:+.3f}"


def plain3_ci(v: Interval) -> str:
    return "-" if v["ci_low"] is None else f"{v['ci_low']:.3f} to {v['ci_high']:.3f}"


def summary_table(summary: dict, folder: Path) -> str:
    """The terminal table of ``ipsim run``: each headline metric with its 95% CI, then, when there are several site
    entries, the annual turnover at each."""
    window = summary["cohort_left_share"]["window_weeks"]
    lines = [(f"{summary['scenario']}: {plural(summary['replicates'], 'replicate')} x {summary['weeks']} weeks, "
             f"{plural(summary['positions'], 'position')}"), f"{'metric':<52} {'mean':>12}   95% CI"]
    for key, (text, _, _) in DISPLAY.items():
        text, m = text.format(window=window), summary[key]
        if key == "median_tenure_weeks" and m["mean"] is None:
            lines.append(f"{text:<52} {'not reached':>12}   (over half still in post after {summary['weeks']} weeks)")
            continue
        ci = "-" if m["ci_low"] is None else f"{shown(key, m['ci_low'])} to {shown(key, m['ci_high'])}"
        lines.append(f"{text:<52} {shown(key, m['mean']):>12}   {ci}")
    if len(summary["turnover_by_site"]) > 1:
        lines.append("Annual turnover by site")
        for entry, m in summary["turnover_by_site"].items():
            size = summary["site_entries"][entry]
            text = f"  {site_label(entry, size['sites'], size['positions'])}"
            ci = "-" if m["ci_low"] is None else (f"{shown('annual_turnover', m['ci_low'])} to "
                                                  f"{shown('annual_turnover', m['ci_high'])}")
            lines.append(f"{text:<52} {shown('annual_turnover', m['mean']):>12}   {ci}")
    lines.append(f"written to {folder}")
    return "\n".join(lines)


# --- comparisons (summary.md of ipsim compare and ipsim levers) ------------------------------------

SHARE = "study_cohort_left_share"
"""The share a comparison's first finding is about: of the specialists in post when the observation window opens
(whatever their tenure: the cohort the IPSNOR study followed, B22a), those gone within the cohort window."""
POINTS = "percentage points {more}"
TURNOVER_UNIT = "{more} leavers per 100 specialists a year"
"""Units of a difference in words; ``{more}`` is where ``more`` or ``fewer`` goes."""


def numbers(mean: float, *others: float) -> list[str]:
    """Numbers for a sentence, all at the precision the mean needs (whole numbers from 10)."""
    digits = 0 if abs(mean) >= 10 else 1
    return [f"{x:.{digits}f}" for x in (mean, *others)]


def difference_words(diff: Interval, unit: str, scale: float = 100.0) -> str:
    """A paired difference (other minus reference, shown times ``scale``) in words, e.g. ``53 percentage points
    more (95% CI 45 to 61)`` for ``unit`` POINTS; the interval only where there is one (with one replicate there
    is none, which the method paragraph says once, so a finding does not repeat it)."""
    verdict = stats.verdict(diff)
    if diff["mean"] is None:
        return "no difference to estimate"
    if verdict == "same":
        return "no difference in any replicate"
    mean = scale * diff["mean"]
    bare = " ".join(unit.replace("{more}", "").split())
    if verdict == "unclear":
        low, high = scale * diff["ci_low"], scale * diff["ci_high"]
        digits = 0 if max(abs(low), abs(high)) >= 10 else 1
        return f"no clear difference ({mean:+.{digits}f} {bare}, 95% CI {low:+.{digits}f} to {high:+.{digits}f})"
    if mean == 0:
        return "no difference on average"
    more = unit.format(more="more" if mean > 0 else "fewer")
    if verdict == "single":
        return f"{numbers(abs(mean))[0]} {more}"
    size, low, high = numbers(abs(mean), *sorted((abs(scale * diff["ci_low"]), abs(scale * diff["ci_high"]))))
    return f"{size} {more} (95% CI {low} to {high})"


def _digits(diff: Interval, scale: float = 100.0) -> int:
    """Decimals for the levels beside a difference: as many as the difference is shown with."""
    return 0 if diff["mean"] is None or abs(scale * diff["mean"]) >= 10 else 1


def positions_note(name: str, reference: Outcome, outcome: Outcome) -> str:
    """``X has 1 position, baseline 45: compare the shares, not the counts.``; empty when the sizes agree."""
    n_ref, n = reference.summary["positions"], outcome.summary["positions"]
    if n == n_ref:
        return ""
    return f"{name} has {plural(n, 'position')}, {reference.name} {n_ref}: compare the shares, not the counts. "


def sizes_note(positions: Sequence[tuple[str, int]]) -> str:
    """For a comparison chart's note, when the scenarios (name, positions) differ in size: ``Positions: baseline
    45, solo 1; rates and shares compare, counts do not.``; empty when every scenario has as many positions."""
    if len({n for _, n in positions}) == 1:
        return ""
    return f"Positions: {', '.join(f'{name} {n}' for name, n in positions)}; rates and shares compare, counts do not."


def in_post(warm_up_weeks: int) -> str:
    """Who the study's cohort (``study_cohort_left_share``) is, in words: ``in post at the start``, or after a
    warm-up ``in post as observation starts`` (then of mixed tenure: see warm_up_words)."""
    return "in post as observation starts" if warm_up_weeks else "in post at the start"


def warm_up_words(warm_up_weeks: int, weeks: int) -> str:
    """What a warm-up is, for a paragraph on method: empty without one."""
    if not warm_up_weeks:
        return ""
    return (f"Each replicate first runs {span(warm_up_weeks)} of the service's growth (a warm-up: sites open, ES "
            f"start and leave), which no figure counts; observation starts after it and covers the {span(weeks)} "
            "that follow, so it starts on ES of mixed tenure, as the study found them.")


def _leavers(name: str, reference: Outcome, outcome: Outcome) -> str:
    """The share of the specialists in post when the window opens (the study's cohort) who leave within the cohort
    window, against the reference's, with the paired difference of the shares (replicate by replicate) and its
    95% CI; counts only scaled to the reference's positions, so scenarios of different sizes compare fairly."""
    ref_share, share = reference.summary[SHARE]["mean"], outcome.summary[SHARE]["mean"]
    who = f"the specialists {in_post(reference.summary['warm_up_weeks'])}"
    if ref_share is None or share is None:
        return f"With {name}, none of {who} could be followed."
    diff = difference(reference, outcome, SHARE)
    within = f"within {span(reference.summary[SHARE]['window_weeks'])}"
    n_ref, d = reference.summary["positions"], _digits(diff)
    if stats.verdict(diff) == "same":
        return (f"The same share of {who} leave {within} with {name} as with {reference.name} "
                f"({100 * share:.{d}f}%), in every replicate.")
    return (f"{100 * ref_share:.{d}f}% of {who} (about {ref_share * n_ref:.0f} per {n_ref} positions) leave "
            f"{within} with {reference.name} against {100 * share:.{d}f}% (about {share * n_ref:.0f} per {n_ref}) "
            f"with {name}: {difference_words(diff, POINTS)}.")


def _turnover(name: str, reference: Outcome, outcome: Outcome) -> str:
    """Annual turnover (leavers per specialist in post, a rate) against the reference's, with the paired
    difference and its 95% CI."""
    diff = difference(reference, outcome, "annual_turnover")
    ref, other = (o.summary["annual_turnover"]["mean"] for o in (reference, outcome))
    if ref is None or other is None:
        return f"Annual turnover cannot be compared: no specialist was in post in some weeks of {name}."
    d = _digits(diff)
    avoidable = difference(reference, outcome, "avoidable_turnover")
    a_ref, a_other = (o.summary["avoidable_turnover"]["mean"] for o in (reference, outcome))
    o_ref, o_other = (o.summary["ordinary_turnover"]["mean"] for o in (reference, outcome))
    return (f"Annual turnover is {100 * ref:.{d}f}% with {reference.name} against {100 * other:.{d}f}% with "
            f"{name}: {difference_words(diff, TURNOVER_UNIT)}. The part a start-up plan can act on (gradual and "
            f"shock-led quits) is {100 * a_ref:.{d}f}% against {100 * a_other:.{d}f}%: "
            f"{difference_words(avoidable, TURNOVER_UNIT)}. Ordinary exits (promotion, moving, retirement), whose hazard "
            f"no lever changes, are {100 * o_ref:.{d}f}% and {100 * o_other:.{d}f}% (they differ only as the ES in "
            "post do).")


def _clients(name: str, reference: Outcome, outcome: Outcome) -> str:
    """What the difference means for clients: the share in work 12 months after referral and the ES changes per
    100 clients in their first year, against the reference's, with the paired differences; '' when the window is
    too short to follow a client 12 months."""
    employed, changes = "clients_employed_12m", "es_changes_per_client"
    ref, other = (o.summary[employed]["mean"] for o in (reference, outcome))
    c_ref, c_other = (o.summary[changes]["mean"] for o in (reference, outcome))
    if None in (ref, other, c_ref, c_other):
        return ""
    diff, d_changes = difference(reference, outcome, employed), difference(reference, outcome, changes)
    d = _digits(diff)
    return (f"For clients: {100 * ref:.{d}f}% are in work 12 months after referral with {reference.name} against "
            f"{100 * other:.{d}f}% with {name} ({difference_words(diff, POINTS)}), and their specialist leaves "
            f"{100 * c_ref:.0f} against {100 * c_other:.0f} times per 100 clients in their first year "
            f"({difference_words(d_changes, '{more} ES changes per 100 clients')}).")


def site_label(entry: str, sites: int, positions: int) -> str:
    """A site entry of a scenario as findings, charts and tables name it: ``solo-rural (2 sites of 1 ES)``."""
    return f"{entry} ({plural(sites, 'site')} of {positions} ES)"


def departures_per_site(outcome: Outcome, entry: str) -> float:
    """Departures a year from one site of a site entry: the entry's departures over its sites and the window's
    years, the mean over replicates (what a site manager has to recruit for)."""
    years = outcome.summary["weeks"] / WEEKS_PER_YEAR
    sites = outcome.summary["site_entries"][entry]["sites"]
    return sum(t[entry].quits for t in outcome.per_site) / len(outcome.per_site) / sites / years


def _points(part: Interval, ci: bool = True) -> str:
    """A change in annual turnover (or a part of one), in points with its 95% CI where there is one (and ``ci``):
    ``+3.1 points (95% CI +1.2 to +5.0)``."""
    mean = 100 * (part["mean"] or 0.0)
    ends = [100 * x for x in (part["ci_low"], part["ci_high"]) if x is not None and ci]
    digits = 0 if abs(mean) >= 10 else 1  # as numbers(): the precision the mean needs
    interval = f" (95% CI {ends[0]:+.{digits}f} to {ends[1]:+.{digits}f})" if len(ends) == 2 else ""
    return f"{mean:+.{digits}f} points{interval}"


def _sign(x: float | None) -> int:
    return 0 if not x else 1 if x > 0 else -1


def site_findings(name: str, reference: Outcome, outcome: Outcome) -> str:
    """Where the change in annual turnover happens, site entry by site entry (those both scenarios have): the
    entries whose paired difference is clear, each with both levels, and the others together as no clear
    difference (with one replicate, the largest change alone). Then, when an entry's sites or positions differ (a
    plan that adds positions), how the change in annual turnover splits into the sites' own change and the staff mix
    (metrics.turnover_decomposition), and each changed entry's departures a year per site. Empty when the
    scenarios share fewer than two site entries (one entry's turnover is the annual turnover)."""
    ref_sites, sites = reference.summary["site_entries"], outcome.summary["site_entries"]
    diffs = {e: site_difference(reference, outcome, e) for e in ref_sites if e in sites}
    diffs = {e: d for e, d in diffs.items() if d["mean"] is not None}  # an entry where nobody worked in a run
    if len(diffs) < 2:
        return ""
    ref_by_site, by_site = reference.summary["turnover_by_site"], outcome.summary["turnover_by_site"]

    def where(entry: str) -> str:
        ref, mine = ref_sites[entry], sites[entry]
        if ref == mine:
            return site_label(entry, ref["sites"], ref["positions"])
        theirs = (f"{mine['positions']}" if ref["sites"] == mine["sites"]
                  else f"{plural(mine['sites'], 'site')} of {mine['positions']}")
        return (f"{entry} ({plural(ref['sites'], 'site')} of {ref['positions']} ES with {reference.name}, {theirs} "
                f"with {name})")

    def level(entry: str) -> str:
        diff, d = diffs[entry], _digits(diffs[entry])
        return (f"annual turnover is {100 * ref_by_site[entry]['mean']:.{d}f}% with {reference.name} against "
                f"{100 * by_site[entry]['mean']:.{d}f}% with {name}: {difference_words(diff, TURNOVER_UNIT)}.")

    verdicts = {e: stats.verdict(d) for e, d in diffs.items()}
    parts = []
    if all(v == "single" for v in verdicts.values()):
        largest = max(diffs, key=lambda e: abs(diffs[e]["mean"] or 0.0))
        parts.append(f"Of the sites, the largest change is at {where(largest)}: {level(largest)}")
    else:
        clear = [e for e, v in verdicts.items() if v in ("negative", "positive")]
        others = [e for e in diffs if e not in clear]
        parts += [f"At {where(e)}, {level(e)}" for e in clear]
        if not clear:
            parts.append(f"With {name}, no site shows a clear difference in annual turnover from {reference.name} "
                         f"({and_list(others)}).")
        elif others:
            parts.append(f"The other sites ({and_list(others)}) show no clear difference.")
    changed = [e for e in diffs if ref_sites[e] != sites[e]]  # sites or positions each
    split = turnover_decomposition(reference, outcome) if changed else None
    if split is not None and split["within_sites"]["mean"] is not None:
        within, mix = split["within_sites"], split["staff_mix"]
        total = difference(reference, outcome, "annual_turnover")  # its CI is in the finding before
        sites_change = {-1: "lower ", 0: "", 1: "higher "}[_sign(within["mean"])]
        mix_change = {-1: "lower", 0: "", 1: "higher"}[_sign(mix["mean"])]
        parts.append(
            f"Of the change in annual turnover ({_points(total, ci=False)}), {_points(within)} come from "
            f"{sites_change}turnover within the sites, at {reference.name}'s staff mix, and {_points(mix)} from the "
            f"staff mix" + (f": with {name}, more of the ES work where turnover is {mix_change}." if mix_change
                            else "."))
    for e in changed:
        parts.append(f"Per site, {e} loses about {departures_per_site(outcome, e):.1f} ES a year with {name} "
                     f"({sites[e]['positions']} ES each) against {departures_per_site(reference, e):.1f} with "
                     f"{reference.name} ({ref_sites[e]['positions']} each).")
    return " ".join(parts)


def comparison_method(reference: Outcome) -> str:
    """The paragraph under a comparison's title: replicates, seeds and what the differences are; with one
    replicate it says, once, that no difference has a confidence interval."""
    replicates = reference.summary["replicates"]
    runs = f"{plural(replicates, 'replicate')} x {reference.summary['weeks']} weeks per scenario"
    if replicates == 1:
        how = (f"{runs}, every scenario with the same seed. With one replicate no difference from {reference.name} "
               "has a confidence interval, and any of them may be chance: run more replicates (--replicates) "
               "before relying on them.")
    else:
        how = (f"{runs}; replicate k of every scenario uses the same seed, so each difference from "
               f"{reference.name} is estimated replicate by replicate (paired 95% CI).")
    warm_up = warm_up_words(reference.summary["warm_up_weeks"], reference.summary["weeks"])
    return (f"{how} {warm_up + ' ' if warm_up else ''}Shares and rates are compared, not head-counts, so "
            "scenarios with different numbers of positions compare fairly. The differences are what the model "
            "implies under its documented assumptions: the start-up plan's effect sizes are assumptions "
            "(docs/model.md), not measured effects.")


def findings(entries: Sequence[Entry], outcomes: Sequence[Outcome]) -> str:
    """summary.md: each scenario against the first in plain words, as shares and rates with paired 95% CIs
    (never head-counts, which scenarios of different sizes cannot share), then, where they share site entries,
    site by site (site_findings)."""
    reference = outcomes[0]
    if any(e.lever for e in entries):
        title = f"Start-up plan levers, one at a time, added to {reference.name}"
    elif len(outcomes) <= 4:
        title = " vs ".join(o.name for o in outcomes)
    else:
        title = f"{reference.name} against {len(outcomes) - 1} other scenarios"
    lines = [f"# {title}", "", comparison_method(reference), ""]
    for entry, o in zip(entries[1:], outcomes[1:], strict=True):
        if entry.lever is None:
            lines.append(" ".join(part for part in (f"- {positions_note(o.name, reference, o)}"
                                                     f"{_leavers(o.name, reference, o)}",
                                                     _turnover(o.name, reference, o),
                                                     _clients(o.name, reference, o)) if part))
            sites = site_findings(o.name, reference, o)
            if sites:
                lines.append(f"- {sites}")
    return "\n".join(lines) + "\n"


def not_tested(base: str, levers: Sequence[str]) -> str:
    """The levers ``ipsim levers`` left out because the plan sets them as the base does; empty if none."""
    if not levers:
        return ""
    return f"Set the same in the plan as in {base}, so not tested: {', '.join(levers)}."


def lever_findings(entries: Sequence[Entry], ranking: Sequence[dict]) -> str:
    """The tested levers ranked by annual turnover avoided, in words, then the levers the plan sets as the base
    (not run, so not ranked)."""
    base = entries[0].scenario
    lines = [f"## Levers ranked by annual turnover avoided (each lever alone, added to {base.name})", ""]
    for i, r in enumerate(ranking, start=1):
        # avoided is base minus variant: turned round, it is the variant's difference from the base
        diff = {"mean": r["turnover_avoided_mean"], "ci_low": r["turnover_avoided_ci_high"],
                "ci_high": r["turnover_avoided_ci_low"]}
        diff = {k: None if v is None else 0.0 - v for k, v in diff.items()}
        lines.append(f"{i}. {r['lever']}: {difference_words(diff, TURNOVER_UNIT)}.")
    unchanged = not_tested(base.name, untested(entries))
    if unchanged:
        lines += ["", unchanged]
    return "\n".join(lines) + "\n"


def _span(low: float | None, high: float | None, scale: float = 100.0) -> str:
    """``3.1 to 15.2``, or ``-0.6 to +11.7`` where the interval spans zero, at one decimal."""
    if low is None or high is None:
        return "not estimable"
    a, b = scale * low, scale * high
    return f"{a:+.1f} to {b:+.1f}" if a < 0 < b else f"{a:.1f} to {b:.1f}"


def _level(x: float | None, signed: bool = False, scale: float = 100.0) -> str:
    """A mean over the draws at one decimal (``+2.5`` with ``signed``)."""
    return "n/a" if x is None else f"{scale * x:{'+' if signed else ''}.1f}"


def sureness(ui_low: float | None, ui_high: float | None, mc_low: float | None, mc_high: float | None) -> str:
    """How sure a difference is, from its uncertainty and Monte Carlo intervals: ``holds whatever the
    assumptions`` when the uncertainty interval leaves out zero, ``depends on assumptions not yet known`` when only
    the Monte Carlo interval does, ``not clear`` when neither does."""
    if ui_low is None or ui_high is None:
        return "cannot be judged"
    if ui_low > 0 or ui_high < 0:
        return "holds over the range of assumptions drawn"
    if mc_low is not None and mc_high is not None and (mc_low > 0 or mc_high < 0):
        return "depends on assumptions not yet known"
    return "is not clear even at the assumed values"


UI_COLUMNS = ("annual_turnover_diff_mean", "annual_turnover_diff_ci_low", "annual_turnover_diff_ci_high",
              "annual_turnover_diff_ui_mean", "annual_turnover_diff_ui_low", "annual_turnover_diff_ui_high", "p_better")
"""The comparison.csv columns the words on how sure a comparison is are made from."""
RANK_COLUMNS = ("turnover_avoided_mean", "turnover_avoided_ci_low", "turnover_avoided_ci_high",
                "turnover_avoided_ui_mean", "turnover_avoided_ui_low", "turnover_avoided_ui_high", "p_rank_first",
                "p_top3")
"""The levers.csv columns they are made from."""


def uncertainty_method(draws: int, replicates: int, readings: dict[int, float]) -> str:
    """How the uncertainty intervals were made, in a paragraph."""
    weighted = and_list([f"{w} weeks" + (f" (weight {v / sum(readings.values()):.2g})" if len(readings) > 1 else "")
                         for w, v in readings.items()])
    return (f"Each difference was run again under {plural(draws, 'draw')} of the assumptions that are not known, "
            f"{plural(replicates, 'replicate')} each with common random numbers: the quit threshold from the "
            f"calibration posterior (study window read as {weighted}), and every pulled lever's effect size from its "
            "prior (docs/model.md, section 7). The uncertainty interval (UI) covers both what the assumptions leave "
            "open and the runs' chance variation; the 95% CI beside it covers chance alone, at the assumed values. "
            "The other rates and weights stay at their values (docs/model.md, section 7, says which), so the UI is "
            "still too narrow by what they leave open.")


def sureness_lines(rows: Sequence[Mapping[str, float | str | None]],
                   ranking: Sequence[Mapping[str, float | str | None]] | None) -> list[str]:
    """How sure each answer is, one line each: for levers (``ranking``, levers.csv's RANK_COLUMNS) how settled the
    ranking's top is, then each lever's turnover avoided; otherwise each scenario's difference in annual turnover
    from the first (comparison.csv's UI_COLUMNS). Numbers or None."""
    if ranking:
        leader = max(ranking, key=lambda r: r["p_rank_first"])
        lines = [f"{leader['lever']} ranks first most often, in {100 * leader['p_rank_first']:.0f}% of draws"
                 + (": the top of the ranking is settled." if leader["p_rank_first"] >= SETTLED else
                    ": which lever helps most depends on the assumptions.")]
        for r in ranking:
            mean, mc_low, mc_high, ui_mean, ui_low, ui_high, first, top = (r[k] for k in RANK_COLUMNS)
            at_point = {"mean": None if mean is None else -mean, "ci_low": None if mc_high is None else -mc_high,
                        "ci_high": None if mc_low is None else -mc_low}  # avoided turned back into a change
            lines.append(f"**{r['lever']}**: {difference_words(at_point, TURNOVER_UNIT)} at the assumed values; over "
                         f"the draws it avoids {_level(ui_mean)} per 100 a year (UI {_span(ui_low, ui_high)}), ranks first in "
                         f"{100 * first:.0f}% of draws and among the first three in {100 * top:.0f}%. The effect "
                         f"{sureness(ui_low, ui_high, mc_low, mc_high)}.")
        return lines
    reference = rows[0]["scenario"]
    lines = []
    for row in rows[1:]:
        mean, mc_low, mc_high, ui_mean, ui_low, ui_high, p = (row[k] for k in UI_COLUMNS)
        chance = "" if p is None else f"; probability of fewer leavers than {reference}: {100 * p:.0f}%"
        at_point = {"mean": mean, "ci_low": mc_low, "ci_high": mc_high}
        lines.append(f"**{row['scenario']}**: {difference_words(at_point, TURNOVER_UNIT)} at the assumed values; "
                     f"over the draws, {_level(ui_mean, signed=True)} leavers per 100 a year (UI "
                     f"{_span(ui_low, ui_high)}){chance}. The difference "
                     f"{sureness(ui_low, ui_high, mc_low, mc_high)}.")
    return lines


SETTLED = 0.8
"""A lever that ranks first in at least this share of the draws is said to settle the ranking's top."""


def uncertainty_findings(rows: Sequence[Mapping[str, float | str | None]], ranking: Sequence[Mapping[str, float | str | None]] | None,
                         draws: int, replicates: int, readings: dict[int, float], notes: Sequence[str]) -> str:
    """The "How sure is this?" section of a comparison under uncertainty's summary.md."""
    lines = ["## How sure is this?", "", uncertainty_method(draws, replicates, readings), "",
             *(f"- {line}" for line in sureness_lines(rows, ranking))]
    if notes:
        lines += ["", "Notes on the draws:", "", *(f"- {n}" for n in notes)]
    return "\n" + "\n".join(lines) + "\n"


def quit_reasons_title(tops: Sequence[tuple[str, str | None]]) -> str:
    """The comparison quit-reasons chart's title from each scenario's (name, largest draining factor or None when
    nobody quit), naming which scenario each statement is about, the reference's first."""
    quitting = [(n, f) for n, f in tops if f is not None]
    if not quitting:
        return "No specialist quit in these runs"
    factors = list(dict.fromkeys(f for _, f in quitting))
    if len(factors) == 1 and len(quitting) == len(tops):
        return f"{label(factors[0])} wears leavers down most in every scenario"

    def where(factor: str) -> str:
        names = [n for n, f in quitting if f == factor]
        return f"with {and_list(names)}" if len(names) <= 3 else f"in {len(names)} of {len(tops)} scenarios"

    first, *others = factors
    parts = [f"{label(first)} wears leavers down most {where(first)}",
             *(f"{label(f).lower()} {where(f)}" for f in others)]
    none = [n for n, f in tops if f is None]
    if none:
        parts.append(f"nobody quit with {and_list(none)}")
    return "; ".join(parts)


def shock_label(share: Interval) -> str:
    """Beside a scenario's bar: the share of its quits a shock began, e.g. ``49% of quits began with a shock``."""
    if share["mean"] is None:
        return "no voluntary quits"
    if share["mean"] in (0.0, 1.0):
        return "every voluntary quit began with a shock" if share["mean"] else "no voluntary quit began with a shock"
    return f"{100 * share['mean']:.0f}% of voluntary quits began with a shock"


# --- calibration (ipsim calibrate) ---------------------------------------------------------------


def comment(text: object) -> str:
    """``text`` as one YAML comment line: every line break in it (a source, a path from an input file) becomes a
    space, so it cannot end the comment and start live YAML."""
    return "# " + " ".join(str(text).split())


def calibrated_yaml(post: Posterior, spec_file: str, folder: Path, base_file: str) -> str:
    """A scenario file that extends the base with the posterior medians (to 3 significant digits).

    The values are written by a YAML emitter (``yaml.safe_dump``), never pasted as text, so no source, path or
    name can change what the file sets; the provenance is comment lines above them, each made by ``comment``.
    """
    spec = post.spec
    medians, low, high = post.medians(), post.quantiles(0.05), post.quantiles(0.95)
    targets = "; ".join(f"{t.metric} {t.successes}/{t.trials} [{t.source}]" for t in spec.targets)
    lines = [
        comment(f"Calibrated by `ipsim calibrate {spec_file}`: posterior medians of "
                f"{plural(len(medians), 'free parameter')}."),
        comment(f"ABC-SMC with the observations' {spec.kernel} error as kernel: {len(post.particles)} weighted "
                f"particles after {plural(len(post.result.generations), 'generation')} "
                f"({plural(spec.replicates, 'replicate')} each, seed {spec.seed}); the whole sample is posterior.csv."),
        comment(f"Targets over a {spec.window_weeks}-week window: {targets}."),
        *(comment(f"{p.path}: 90% posterior interval {sig3(lo)} to {sig3(hi)}; uniform prior {p.range[0]:g} to "
                  f"{p.range[1]:g}") for p, lo, hi in zip(spec.parameters, low, high, strict=True)),
    ]
    data: dict[str, Any] = {"extends": os.path.relpath(Path(base_file).resolve(), folder.resolve()),
                            "cohort_window_weeks": spec.window_weeks}
    for p, m in zip(spec.parameters, medians, strict=True):
        node = data
        *sections, leaf = p.path.split(".")
        for name in sections:
            node = node.setdefault(name, {})
        node[leaf] = float(sig3(m))
    return "\n".join(lines) + "\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


STRONG_CORRELATION = 0.5
"""summary.md names the pairs of parameters whose posterior correlation is at least this strong (a choice of what to
mention; summary.json has every pair)."""


def calibration_markdown(spec: CalibrationSpec, summary: dict[str, Any]) -> str:
    """summary.md of a calibration: the generations, each parameter with its identifiability, the strong
    correlations, and the posterior predictive check of each target."""
    final = summary["generations"][-1]
    lines = [f"# Calibration {spec.name}", "",
             (f"ABC-SMC over {plural(len(summary['generations']), 'generation')}: {summary['particles']} weighted "
              f"particles in the last (effective sample size {summary['effective_sample_size']:.0f}), "
              f"{plural(spec.replicates, 'replicate')} per proposal; {spec.kernel} kernel; window "
              f"{spec.window_weeks} weeks; seed {spec.seed}."), "",
             "| generation | temperature | proposals | accepted | effective sample size |", "|---|---|---|---|---|"]
    for g in summary["generations"]:
        lines.append(f"| {g['generation']} | {g['temperature']:.3g} | {g['proposals']} | {g['accepted']} "
                     f"({g['acceptance']:.0%}) | {g['effective_sample_size']:.0f} |")
    lines += ["", "| parameter | prior | shipped in base | posterior median | 90% interval | SE of median | "
              "reproduced | narrowed to | the targets |", "|---|---|---|---|---|---|---|---|---|"]
    for r in summary["parameters"]:
        lines.append(f"| `{r['parameter']}` | {r['prior_low']:g} to {r['prior_high']:g} | {sig3(r['shipped'])} | "
                     f"{sig3(r['median'])} | {sig3(r['q05'])} to {sig3(r['q95'])} | {sig3(r['median_se'])} | "
                     f"{'yes' if r['reproduced'] else 'no'} | {r['width_ratio']:.0%} of the prior | "
                     f"{r['identifiability']} |")
    lines += ["", "Reproduced: the shipped value is within 2 bootstrap standard errors of the posterior median. "
              "Narrowed to: the 90% posterior interval's width as a share of the prior's; the targets inform a "
              f"parameter narrowed to {summary['informed_below']:.0%} or less, weakly up to "
              f"{summary['weakly_informed_below']:.0%} (a reading convention)."]
    strong = [c for c in summary["correlations"] if abs(c["correlation"]) >= STRONG_CORRELATION]
    if strong:
        lines += ["", "Strongly correlated in the posterior (the targets inform a combination of the two, not "
                  "each): " + "; ".join(f"`{c['parameter']}` and `{c['other']}` ({c['correlation']:+.2f})"
                                        for c in strong) + "."]
    lines += ["", "| target | observed (95% CI) | simulated, posterior: median (90% range) | predicted count at the "
              "study's size: 90% range | tail probability | ICC | source |", "|---|---|---|---|---|---|---|"]
    for t in summary["targets"]:
        lines.append(f"| `{t['metric']}` | {t['observed']:.1%} ({t['observed_ci_low']:.1%} to "
                     f"{t['observed_ci_high']:.1%}) | {t['simulated_median']:.1%} ({t['simulated_q05']:.1%} to "
                     f"{t['simulated_q95']:.1%}) | {t['predicted_q05']:.0%} to {t['predicted_q95']:.0%} of "
                     f"{t['trials']} | {t['tail_probability']:.2f} | {t['icc']:.3f} | {t['source']} |")
    lines += ["", "Posterior predictive check: counts drawn at the study's own size from the kernel around each "
              "particle's simulated share; a tail probability under 0.05 says the posterior does not reproduce the "
              f"observation. The last generation accepted {final['accepted']} of {final['proposals']} proposals."]
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


GROUP_TITLES = {
    "shape": ("Shapes the mechanism must produce",
              "How quitting happens in B24's account: from the mechanism's structure, not calibration targets. The "
              "default weights were chosen on exploratory runs in which they were visible, so they are not blind "
              "tests; they hold across the resources scale's posterior range (docs/validation.md)."),
    "independent": ("Independent patterns",
                    "Neither fitted nor the sign of an assumed weight."),
    "consistency": ("Consistency checks (not validation)",
                    "They follow from the calibration targets or from an assumed weight, so meeting them shows the "
                    "fit holds, not that the model is right."),
}
"""Each pattern group's heading and what it means (analysis.patterns.Group)."""


def pattern_words(r: Result, window_weeks: int) -> PatternWords:
    """The words of one checked pattern (its notes quote the figures the check found)."""
    if r.key == "gradual_quits_continue":
        one, two = r.extra["first_year"], r.extra["second_year"]
        return PatternWords(
            "Gradual quits keep coming in the second year of tenure",
            "quitting is 'a gradual process where you just give up a little by little' [B24]; 17.5% of new nurses "
            "leave their first employer within a year and about a third within two (Kovner et al. 2014; the two-year "
            "figure not checked)",
            "gradual decisions per ES-year at risk in the second year of tenure, as a share of the first year's "
            "(ratio of the replicates' means; bootstrap CI)",
            "the mean is at least a third",
            f"Gradual decisions per ES-year: {plain3(one['mean'])} in the first year of tenure, {plain3(two['mean'])} "
            "in the second.")
    if r.key == "gradual_quits_every_year":
        by_year = ", ".join(f"year {y + 1}: {plain3(h['mean'])}" for y, h in enumerate(r.extra["by_year"]))
        return PatternWords(
            "Gradual quits occur in every year observed",
            "most leavers named no single moment; the process is slow [B24]",
            "gradual decisions per ES-year in each year of the observation window (the smallest shown)",
            "the 95% CI lies above 0 in every year",
            f"Gradual decisions per ES-year by year observed: {by_year}.")
    if r.key == "honeymoon_hangover":
        return PatternWords(
            "Honeymoon-hangover: resources fall over the first year",
            "satisfaction is high after a job change and falls over the first year (Boswell et al. 2005); "
            "'I got very, very tired of that job' [B24]",
            f"share of personal resources used up (mean_depletion), weeks {53 - EDGE_WEEKS}-52 minus weeks "
            f"1-{EDGE_WEEKS} of the same service started from nothing (every site open in week 0, every ES new)",
            "the 95% CI lies above 0",
            "Not independent: every ES starts with full resources, so a fall is possible from the start, and whether "
            "it happens follows from the default weights, which make demands outweigh gains in the first months.")
    if r.key == "integration_lags":
        return PatternWords(
            "Health-team integration lags the other readiness parts",
            "in a later wave the early problems were largely resolved, integration into health teams the main one "
            "left [Moe25]",
            f"health-team integration minus the mean of the other readiness parts, last {EDGE_WEEKS} weeks of the "
            "horizon (paired)",
            "the 95% CI lies below 0",
            "Integration grows only with client successes and is lost when ES leave; structures, record access and "
            "ownership are built by the service's work. That split is a structural assumption, not a tuned rate, "
            "and it makes managers' knowledge, won the same way, lag as much: [Moe25] names integration, not "
            "managers, as the problem left, which the model does not reproduce.")
    if r.key == "turnover_above_public_sector":
        return PatternWords(
            "ES turnover is well above the regional public-sector figure",
            "45.0% of IPS ES against 27.1% of other public-sector staff left over the same window [B22a]",
            f"share of the ES in post when the window opens (week 0), whatever their tenure, gone within "
            f"{window_weeks} weeks (study_cohort_left_share)",
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
            "isolation drained and being part of a team nourished [B24]; 'I am a team-player but I do not feel I "
            "have a team' [M21]",
            f"annual turnover with {r.extra['positions']} positions as solo posts minus as teams of three "
            f"(same sites otherwise, all open in week 0, no supervisor posts; Welch interval)",
            "the 95% CI lies above 0",
            "Not independent: it follows from the assumed buffering weight of team support (a solo post has none). "
            "Team structure is fixed in the variants only; the comparison holds everything else equal.")
    if r.key == "client_employment":
        margin = r.extra["margin"]
        measured = r.value["mean"] is not None
        ever, at_18m = r.extra["ever_employed_12m"], r.extra["employed_18m"]
        return PatternWords(
            "Client employment at 12 months is in the range of the Norwegian IPS trial",
            f"{TRIAL_EMPLOYED_12M:.1%} of the IPS arm in competitive work 12 months after inclusion, 37.4% at 18 "
            "(registry data, 410 participants) [Reme19]",
            "share of clients referred in the window (early enough to be followed 52 weeks in it) who were in "
            "competitive work 52 weeks after their own referral, support ended or not (clients_employed_12m)",
            f"{TRIAL_EMPLOYED_12M:.1%} lies within the model's 95% CI widened by the trial's own sampling error "
            f"(+/- {100 * margin:.1f} points: {TRIAL_ARM} participants in its IPS arm)",
            ("Measured as the trial measured it: each client's status 12 months after their own referral, "
             "including those whose follow-along support ended while in work (followed afterwards, losing the job "
             "at the supported rate) and counting those who dropped out as not in work. "
             + (f"Started a job within 12 months: {shown('clients_ever_employed_12m', ever['mean'])}; in work at "
                f"18 months: {shown('clients_employed_18m', at_18m['mean'])}. " if measured else
                "Not measurable here: the window is shorter than the 52-week follow-up. ")
             + "The client transition rates are assumptions, not calibrated to [Reme19]"
             + ("." if r.met or not measured else
                ". A value below the range says that the assumed rates (job starts, setbacks, drop-outs) place "
                "fewer clients in work within a year than the trial did; the trial's participants were also "
                "selected (wanting work, in specialist care), which the model's referrals are not. It is not "
                "evidence either way on turnover.")))
    if r.key == "quitting_mostly_gradual":
        return PatternWords(
            "Quitting is mostly gradual, with a minority of shock-led exits",
            "most leavers could name no single moment; 4 of 10 quits began with a shock [B24]",
            "share of voluntary quits (ordinary exits left out) begun by a shock (shock_share)",
            "the 95% CI lies below 50%",
            "Not independent of the fit: 4 of 10 was a calibration target; the check is that shock-led exits stay a "
            "minority.")
    raise ValueError(f"no words for pattern {r.key!r}")


def pattern_record(r: Result, window_weeks: int) -> dict[str, Any]:
    """One entry of patterns.json: the pattern's words and figures."""
    w = pattern_words(r, window_weeks)
    extra = {k: v for k, v in r.extra.items() if k not in ("falling", "positions", "window_weeks")}
    return {"key": r.key, "group": r.group, "pattern": w.pattern, "observed": w.observed, "measure": w.measure, "value": r.value,
            "criterion": w.criterion, "met": r.met, "note": w.note, "extra": extra}


def patterns_markdown(results: list[Result], scenario: Scenario, replicates: int) -> str:
    """patterns.md: every pattern, met or not, in its group (shapes, independent patterns, consistency checks)."""
    lines = [f"# Patterns: {scenario.name}", "",
             (f"{plural(replicates, 'replicate')} of {scenario.weeks} weeks; "
              f"{'95% CIs across replicates' if replicates > 1 else 'one replicate: no confidence intervals'}."), ""]
    notes = []
    for group in GROUP_TITLES:
        mine = [r for r in results if r.group == group]
        if not mine:
            continue
        title, meaning = GROUP_TITLES[group]
        met = sum(r.met for r in mine)
        lines += [f"## {title}: {met} of {len(mine)} met", "", meaning, "",
                  "| pattern | observed | model measure | simulated (95% CI) | criterion | met |",
                  "|---|---|---|---|---|---|"]
        for r in mine:
            w, v = pattern_words(r, scenario.cohort_window_weeks), r.value
            value = "n/a" if v["mean"] is None else f"{v['mean']:.3f} ({plain3_ci(v)})"
            lines.append(f"| {w.pattern} | {w.observed} | {w.measure} | {value} | {w.criterion} | "
                         f"{'**met**' if r.met else '**not met**'} |")
            notes.append(f"- **{w.pattern}** ({'met' if r.met else 'not met'}): {w.note}")
        lines.append("")
    lines += ["## Notes", "", *notes]
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


# --- scenario discovery (ipsim discover) ------------------------------------------------------------------------------

SECTION_FIELDS = re.compile(r"\[(\d+|\*)\]")
"""A site entry's index in a parameter path: ``sites[0]``, ``sites[*]``."""


def parameter_label(path: str) -> str:
    """A varied parameter's plain label: ``pressures.team_support`` -> ``Team support weight`` (a pressure's
    parameter is its weight), ``shocks.work_life_conflict_per_year`` -> ``Work life conflict per year``, a field of a
    nested section with its section (``staff.quit_threshold.mean`` -> ``Quit threshold (mean)``), a site entry's
    with the entry (``sites[0].team_contact`` -> ``Team contact (site entry 1)``, ``sites[*]``: every site)."""
    parts = SECTION_FIELDS.sub("", path).split(".")
    if parts[0] == "pressures" and len(parts) == 2:
        text = f"{label(parts[1])} weight"
    elif len(parts) > 2:
        text = f"{label(parts[-2])} ({' '.join(parts[-1].split('_'))})"
    else:
        text = label(parts[-1])
    site = SECTION_FIELDS.search(path)
    if site is None:
        return text
    return f"{text} ({'every site' if site[1] == '*' else f'site entry {int(site[1]) + 1}'})"


def parameter_meaning(path: str) -> tuple[str, str]:
    """A varied parameter's description and unit, as the schema gives them (docs/model.md's table)."""
    from simulation.inputs.docs import parameter_rows

    rows = {row["parameter"]: row for row in parameter_rows()}
    row = rows.get(SECTION_FIELDS.sub("[]", path), {"description": "", "unit": ""})
    return row["description"], row["unit"]


def _column_label(column: str) -> str:
    """A results.csv column as words: a metric's label, an arm's metric with its arm (``baseline/annual_turnover``
    -> ``annual turnover (baseline)``)."""
    arm, _, metric = column.rpartition("/")
    name = DISPLAY[metric][0] if metric in DISPLAY else label(metric)
    name = name.format(window="the cohort window's") if "{window}" in name else name
    return f"{in_sentence(name)} ({arm})" if arm else in_sentence(name)


def outcome_label(question: Question) -> str:
    """The question's outcome in words: ``annual turnover``, ``annual turnover (baseline) minus annual turnover
    (implementation-lead)``."""
    if question.minus is None:
        return _column_label(question.metric)
    return f"{_column_label(question.metric)} minus {_column_label(question.minus)}"


def outcome_amount(question: Question, x: float) -> str:
    """A value of the outcome: as the metric is shown (``30.0%``), a difference of shares in percentage points."""
    metric = question.metric.rpartition("/")[2]
    if metric not in DISPLAY:
        return sig3(x)
    _, scale, unit = DISPLAY[metric]
    if question.minus is not None and unit == "%":
        return f"{scale * x:.1f} percentage points"
    return f"{scale * x:.1f}{unit}"


def question_words(question: Question) -> str:
    """``When is annual turnover above 30.0%?``"""
    return f"When is {outcome_label(question)} {question.side} {outcome_amount(question, question.threshold)}?"


def _value(x: float) -> str:
    return format(x, ".3g")


def in_sentence(text: str) -> str:
    """A label inside a sentence: its first letter in lower case, unless it starts an acronym (``ES in post``)."""
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def limit_range(limit: Range) -> str:
    """An ordered parameter's limits in a box: ``at most 2.19``, ``at least 0.1``, ``between 0.2 and 0.5``."""
    if limit.lower_bound_only:
        return f"at least {_value(limit.low)}"
    if limit.upper_bound_only:
        return f"at most {_value(limit.high)}"
    return f"between {_value(limit.low)} and {_value(limit.high)}"


def limit_words(limit: Limit) -> str:
    """One restriction of a box in words: ``Quit threshold (mean) is at most 2.19 (swept from 1.52 to 2.99)``."""
    from simulation.analysis.discovery import Levels  # here: it imports pandas and SciPy's stats

    name = parameter_label(limit.parameter)
    if isinstance(limit, Levels):
        kept = limit.kept[0] if len(limit.kept) == 1 else f"one of {', '.join(limit.kept)}"
        return f"{name} is {kept} (swept: {', '.join(limit.swept)})"
    return f"{name} is {limit_range(limit)} (swept from {_value(limit.full_low)} to {_value(limit.full_high)})"


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def discovery_answer(d: Discovery) -> str:
    """The answer in a planner's words: where the outcome happens mainly, and how well the box says it."""
    q, box = d.question, d.chosen
    happens = (f"{label(outcome_label(q))} is {q.side} {outcome_amount(q, q.threshold)} at {d.cases} of the "
               f"{d.points} design points ({_pct(d.cases / d.points)}; over them it runs from "
               f"{outcome_amount(q, d.outcome_low)} to {outcome_amount(q, d.outcome_high)}).")
    if not d.limits:
        return (f"{happens} No region of the assumptions stands out: no box that holds at least "
                f"{_pct(d.min_coverage)} of those points is denser in them than the whole sweep, once the limits "
                "that may be chance are dropped.")
    ranked = sorted(d.limits, key=lambda lim: lim.quasi_p)  # the most decisive first (stable: spec order on ties)
    return (f"{happens} It happens mainly when {and_list([in_sentence(limit_words(lim)) for lim in ranked])}. This box holds "
            f"{_pct(box.coverage)} of the points where it happens (coverage), and it happens at {_pct(box.density)} "
            f"of the points in the box (density), against {_pct(d.cases / d.points)} over the whole sweep; the box "
            f"is {_pct(box.mass)} of the points swept (mass).")


def dropped_words(d: Discovery) -> str:
    """How the box reported came from the one picked on the trajectory: the limits dropped as possibly chance."""
    picked = d.picked
    start = (f"PRIM's trajectory: the densest box holding at least {_pct(d.min_coverage)} of the cases was box "
             f"{picked.index} (coverage {_pct(picked.coverage)}, density {_pct(picked.density)}, "
             f"{plural(picked.restricted, 'parameter')} restricted)")
    from simulation.analysis.discovery import SIGNIFICANT  # here: it imports pandas and SciPy's stats

    dropped = [in_sentence(parameter_label(s.dropped)) for s in d.trajectory if s.dropped]
    if not dropped:
        return f"{start}; each of its limits is significant, so it is the box reported."
    return (f"{start}; the limits on {and_list(dropped)} may be chance (a quasi-p-value above {SIGNIFICANT:g}), so "
            "they were dropped, in that order.")


def discovery_markdown(d: Discovery, sweep_folder: Path, charts: Sequence[str]) -> str:
    """summary.md of a discovery folder: the question, the answer, the box's limits, how to read them and what the
    varied parameters are."""
    from simulation.analysis.discovery import SIGNIFICANT, Levels  # here: it imports pandas and SciPy's stats
    q, spec = d.question, d.spec
    lines = [f"# {question_words(q)}", "",
             f"Sweep `{spec.name}` ({sweep_folder}): {spec.design} design, {d.points + d.left_out} design points x "
             f"{plural(spec.replicates, 'replicate')}. The outcome is each design point's mean over its replicates"
             + (", the difference of the two columns' means" if q.minus else "") + ".", "",
             "## Answer", "", discovery_answer(d), ""]
    if d.limits:
        lines += ["| parameter | in the box | swept | quasi-p |", "|---|---|---|---|"]
        for lim in d.limits:
            if isinstance(lim, Levels):
                inside, swept = ", ".join(lim.kept), ", ".join(lim.swept)
            else:
                inside, swept = f"{_value(lim.low)} to {_value(lim.high)}", f"{_value(lim.full_low)} to {_value(lim.full_high)}"
            lines.append(f"| {parameter_label(lim.parameter)} (`{lim.parameter}`) | {inside} | {swept} | "
                         f"{lim.quasi_p:.2g} |")
        lines.append("")
    reading = [
        ("- **Coverage**: the share of the design points where the outcome happens that lie in the box. "
         "**Density**: the share of the box's points where it happens. **Mass**: the box's share of all the design "
         "points."),
        ("- The box was found by PRIM (the Patient Rule Induction Method, Friedman and Fisher 1999, as used for "
         "scenario discovery by Bryant and Lempert 2010), which peels thin slices off the range of one parameter at "
         f"a time, keeping the densest rest; its peeling trajectory is in `trajectory.csv` and `{charts[0]}`."),
        (f"- The box reported: the densest box on that trajectory that holds at least {_pct(d.min_coverage)} of "
         "the points where the outcome happens (`--min-coverage` changes this share), less its limits that may be "
         f"chance: while a limit's quasi-p-value is above {SIGNIFICANT:g} (a one-sided binomial test of whether the "
         "limit raises the density by more than chance would), the least significant is dropped."),
        f"- {dropped_words(d)}",
        ("- A box describes where the sweep's design points fall, not why: a parameter outside the box may still "
         "matter, only not for this threshold within the ranges swept."),
    ]
    lines += ["## How to read it", "", *reading, ""]
    notes = []
    if d.left_out:
        notes.append(f"{plural(d.left_out, 'design point')} without a value (every replicate failed or left the "
                     "outcome undefined) left out.")
    if d.constant:
        notes.append(f"Left out, as they took one value only: {', '.join(f'`{p}`' for p in d.constant)}.")
    if notes:
        lines += ["## Notes", "", *(f"- {n}" for n in notes), ""]
    lines += ["## The varied parameters", "", "| parameter | label | what it is | unit |", "|---|---|---|---|"]
    for p in spec.parameters:
        meaning, unit = parameter_meaning(p.path)
        lines.append(f"| `{p.path}` | {parameter_label(p.path)} | {meaning.replace('|', '/')} | {unit} |")
    return "\n".join(lines) + "\n"


def discovery_report(d: Discovery, folder: Path, charts: int) -> str:
    """Plain lines for the terminal: the question, the chosen box and where the files are."""
    q, box = d.question, d.chosen
    lines = [f"{question_words(q)} ({q.outcome} {q.side} {q.threshold:g}): at {d.cases} of {d.points} design points",
             (f"  box: coverage {_pct(box.coverage)}, density {_pct(box.density)}, mass {_pct(box.mass)}, "
              f"{plural(box.restricted, 'parameter')} restricted")]
    lines += [f"    {limit_words(lim)}" for lim in d.limits]
    lines += [f"summary: {folder / 'summary.md'}",
              f"box and trajectory: {folder / 'boxes.csv'}, {folder / 'trajectory.csv'}",
              f"charts: {charts} in {folder / 'charts'}"]
    return "\n".join(lines)
