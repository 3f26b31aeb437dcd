"""The charts of a comparison (ipsim compare, ipsim levers): each scenario against the first, paired CIs."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from simulation.analysis import metrics, stats
from simulation.core import pressures
from simulation.present import words
from simulation.present.charts.style import (
    BLUE,
    GREY,
    LINE_STYLES,
    ORANGE,
    ORDINARY,
    OTHER,
    SCENARIO_COLOURS,
    STYLE,
    TOP_FACTORS,
    bar_size,
    draw_into,
    label,
    named_factors,
    save,
    stack,
    subplots,
    wrap,
)

SHOCK = "#333333"
"""The shock-led part of a scenario's quits (the thin bar under its quit-reasons bar); gradual quits are white."""


def draw_comparison(folder: Path, outcomes: Sequence[metrics.Outcome]) -> list[Path]:
    """Write every chart comparing scenarios (the first is the reference) into ``folder``."""
    charts = {"retention": compare_retention, "turnover": compare_turnover, "quit_reasons": compare_quit_reasons,
              "pressures": compare_pressures, "clients_and_vacancies": compare_clients_and_vacancies,
              "sites": compare_sites}
    return draw_into(folder, {name: partial(draw, outcomes=outcomes) for name, draw in charts.items()})


def _compare_note(outcomes: Sequence[metrics.Outcome]) -> str:
    """What every comparison chart's note opens with: scenarios, replicates and seeds, and, when the scenarios
    differ in size, that the charts compare rates and shares."""
    replicates = outcomes[0].summary["replicates"]
    if replicates == 1:
        note = f"{len(outcomes)} scenarios, 1 replicate each with the same seed: no confidence intervals."
    else:
        note = (f"{len(outcomes)} scenarios, {replicates} replicates each with common random numbers (replicate k "
                "of every scenario shares its seed).")
    sizes = words.sizes_note([(o.name, o.summary["positions"]) for o in outcomes])
    return f"{note} {sizes}" if sizes else note


def _clear(diff: dict[str, float | None]) -> bool:
    """A difference whose 95% CI excludes zero."""
    return stats.verdict(diff) in ("negative", "positive")


def _most_improved(outcomes: Sequence[metrics.Outcome], metric: str, better: int) -> tuple[metrics.Outcome, bool]:
    """The scenario that moves ``metric`` furthest in the ``better`` direction (+1 up, -1 down) from the
    reference, and whether that move is clear of zero; the reference itself if none improves on it."""
    reference = outcomes[0]
    best, best_change = reference, 0.0
    for o in outcomes[1:]:
        diff = metrics.difference(reference, o, metric)
        if diff["mean"] is not None and better * diff["mean"] > best_change:
            best, best_change = o, better * diff["mean"]
    return best, best is not reference and _clear(metrics.difference(reference, best, metric))


def _single(reference: metrics.Outcome) -> str:
    """What a "no scenario clearly ..." title adds when there is one replicate, hence no interval at all."""
    return " (one replicate, so no difference can be clear)" if reference.replicates == 1 else ""


def _shown(outcomes: Sequence[metrics.Outcome]) -> list[metrics.Outcome]:
    """All scenarios if few, else the reference and those whose turnover differs most from it."""
    if len(outcomes) <= len(SCENARIO_COLOURS):
        return list(outcomes)
    change = {o.name: abs(metrics.difference(outcomes[0], o, "annual_turnover")["mean"] or 0.0) for o in outcomes[1:]}
    keep = set(sorted(change, key=change.__getitem__, reverse=True)[: len(SCENARIO_COLOURS) - 1])
    return [outcomes[0], *(o for o in outcomes[1:] if o.name in keep)]


def compare_retention(path: Path, outcomes: Sequence[metrics.Outcome]) -> Path:
    reference, shown = outcomes[0], _shown(outcomes)
    lowest = min(float(o.retention.low.min()) for o in shown)
    fig, ax = subplots()
    for i, o in enumerate(shown):
        weeks, mean, low, high = o.retention
        colour = SCENARIO_COLOURS[i]
        ax.fill_between(weeks, 100 * low, 100 * high, color=colour, alpha=0.12, linewidth=0)
        ax.plot(weeks, 100 * mean, color=colour, linewidth=3, linestyle=LINE_STYLES[i % len(LINE_STYLES)],
                label=o.name)
    weeks = reference.summary["weeks"]
    if weeks >= metrics.RETENTION_WEEKS:
        best, clear = _most_improved(outcomes, "retention_12m", +1)
        ax.axvline(metrics.RETENTION_WEEKS, color=GREY, linestyle=":", linewidth=1.5)
        ref_12m = 100 * reference.summary["retention_12m"]["mean"]
        if clear:
            title = (f"More specialists stay with {best.name}: {100 * best.summary['retention_12m']['mean']:.0f}% "
                     f"are still in post after a year, against {ref_12m:.0f}% with {reference.name}")
        else:
            title = (f"No scenario clearly keeps more specialists for a year than {reference.name} "
                     f"({ref_12m:.0f}% still in post){_single(reference)}")
    else:
        title = f"Share of specialists still in post by time in the job (first {weeks} weeks)"
    ax.set(title=wrap(title), xlabel="Weeks since the specialist started", ylabel="Still in post (%)",
           ylim=(10 * np.floor(10 * lowest - 0.5), 101), xlim=(0, weeks))  # the y axis starts near the lowest band
    ax.legend(loc="lower left", frameon=False)
    note = _compare_note(outcomes) + " Kaplan-Meier" + ("; shaded: 95% CI." if reference.replicates > 1 else ".")
    if len(shown) < len(outcomes):
        note += f" Showing the {len(shown) - 1} that differ most from {reference.name} in turnover."
    return save(fig, path, note)


def _bars(ax: Axes, outcomes: Sequence[metrics.Outcome], metric: str, scale: float, digits: int = 1) -> None:
    """Each scenario's mean and 95% CI of ``metric`` as a horizontal bar (the reference first, in grey),
    labelled with its paired difference from the reference and that difference's 95% CI."""
    levels = [o.summary[metric] for o in outcomes]
    mean = np.array([scale * m["mean"] for m in levels])
    low = np.array([scale * (m["ci_low"] if m["ci_low"] is not None else m["mean"]) for m in levels])
    high = np.array([scale * (m["ci_high"] if m["ci_high"] is not None else m["mean"]) for m in levels])
    y = np.arange(len(outcomes))
    ax.barh(y, mean, xerr=[mean - low, high - mean] if outcomes[0].replicates > 1 else None, height=0.65,
            capsize=4, color=[GREY if i == 0 else BLUE for i in y], alpha=0.85)
    ax.axvline(mean[0], color=GREY, linestyle="--", linewidth=1.5)
    for i, o in enumerate(outcomes[1:], start=1):
        diff = metrics.difference(outcomes[0], o, metric)
        if diff["mean"] is None:
            continue
        text = f"{scale * diff['mean']:+.{digits}f}"
        if diff["ci_low"] is not None:
            text += f" ({scale * diff['ci_low']:+.{digits}f} to {scale * diff['ci_high']:+.{digits}f})"
        ax.annotate(text, (high[i], i), xytext=(8, 0), textcoords="offset points", va="center", fontsize=12,
                    color="black" if _clear(diff) else GREY,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})  # legible across the reference line
    _scenario_axis(ax, outcomes)
    ax.set_xlim(0, max(high.max(), 1e-9) * 1.6)  # room for the labels


def _scenario_axis(ax: Axes, outcomes: Sequence[metrics.Outcome]) -> None:
    """Scenario names down the y axis, the reference at the top (set, not toggled: axes may be shared)."""
    ax.set_yticks(np.arange(len(outcomes)), [o.name for o in outcomes])
    ax.set_ylim(len(outcomes) - 0.5, -0.5)


def _bar_note(outcomes: Sequence[metrics.Outcome]) -> str:
    if outcomes[0].replicates == 1:
        return _compare_note(outcomes) + f" Bars: mean. Labels: difference from {outcomes[0].name}."
    return (_compare_note(outcomes) + f" Bars: mean and 95% CI. Labels: difference from {outcomes[0].name} "
            "(paired 95% CI), black where clear of zero.")


def compare_turnover(path: Path, outcomes: Sequence[metrics.Outcome]) -> Path:
    reference = outcomes[0]
    ref = 100 * reference.summary["annual_turnover"]["mean"]
    best, clear = _most_improved(outcomes, "annual_turnover", -1)
    if clear:
        title = (f"Turnover is lowest with {best.name}: {100 * best.summary['annual_turnover']['mean']:.0f} "
                 f"in 100 specialists leave a year, against {ref:.0f} with {reference.name}")
    elif reference.replicates == 1:
        far = max(outcomes[1:], key=lambda o: abs(o.summary["annual_turnover"]["mean"] - reference.summary[
            "annual_turnover"]["mean"]))
        title = (f"One replicate, so no difference is clear yet: turnover is "
                 f"{100 * far.summary['annual_turnover']['mean']:.0f} in 100 specialists a year with {far.name} "
                 f"against {ref:.0f} with {reference.name}")
    else:
        title = f"No scenario clearly lowers turnover below {reference.name}'s {ref:.0f} in 100 specialists a year"
        worst, higher = _most_improved(outcomes, "annual_turnover", +1)
        if higher:
            title += f"; {worst.name} clearly raises it to {100 * worst.summary['annual_turnover']['mean']:.0f}"
    fig, ax = subplots(figsize=bar_size(len(outcomes)))
    _bars(ax, outcomes, "annual_turnover", 100)
    ordinary = [100 * (o.summary["ordinary_turnover"]["mean"] or 0.0) for o in outcomes]
    ax.barh(np.arange(len(outcomes)), ordinary, height=0.65, color=ORDINARY, alpha=0.6, hatch="xx",
            edgecolor="white", linewidth=0, label="of which ordinary exits (promotion, moving, retirement)")
    ax.legend(loc="lower right", frameon=False)
    ax.set(title=wrap(title), xlabel="Annual turnover (leavers per 100 specialists a year)")
    return save(fig, path, _bar_note(outcomes) + " Cross-hatched: the ordinary exits no start-up plan changes; the "
                "rest is the turnover a plan can act on.")


def compare_quit_reasons(path: Path, outcomes: Sequence[metrics.Outcome]) -> Path:
    """Each scenario's annual turnover, split by why its leavers were worn down (each factor in its fixed colour,
    style.FACTOR_COLOURS), with a thin bar beneath it splitting the same turnover into quits a shock began and
    gradual quits (``shock_share``), labelled with that share. The title says which scenario each top reason is
    about."""
    names = [f.name for f in pressures.DRAINS]
    shares = np.array([[o.summary["quit_reasons"][n] for n in names] for o in outcomes])
    avoidable = np.array([100 * o.summary["avoidable_turnover"]["mean"] for o in outcomes])
    turnover = np.array([100 * o.summary["annual_turnover"]["mean"] for o in outcomes])
    segments = named_factors(names, shares * avoidable[:, None], TOP_FACTORS, "Other draining factors")
    fig, ax = subplots(figsize=bar_size(len(outcomes)))
    y = np.arange(len(outcomes))
    stack(ax, segments, height=0.5, offset=-0.08)
    ax.barh(y - 0.08, turnover - avoidable, left=avoidable, height=0.5, color=ORDINARY, hatch="xx", edgecolor="white",
            linewidth=0, label="Ordinary exits (promotion, moving, retirement)")
    shock = [o.summary["shock_share"] for o in outcomes]
    shocked = np.array([t * (s["mean"] or 0.0) for t, s in zip(avoidable, shock, strict=True)])
    ax.barh(y + 0.3, shocked, height=0.14, color=SHOCK, label="Quits a shock began")
    ax.barh(y + 0.3, avoidable - shocked, left=shocked, height=0.14, color="white", edgecolor=SHOCK, linewidth=1,
            label="Gradual quits")
    ci = [o.summary["annual_turnover"] for o in outcomes]
    low = np.array([100 * c["ci_low"] if c["ci_low"] is not None else t for c, t in zip(ci, turnover, strict=True)])
    high = np.array([100 * c["ci_high"] if c["ci_high"] is not None else t for c, t in zip(ci, turnover, strict=True)])
    if outcomes[0].replicates > 1:
        ax.errorbar(turnover, y - 0.08, xerr=[turnover - low, high - turnover], fmt="none", ecolor="black",
                    capsize=5, linewidth=1.5, label="Annual turnover: 95% CI")
    for i, s in enumerate(shock):
        ax.text(avoidable[i], i + 0.3, "  " + words.shock_label(s), va="center", fontsize=11,
                color=SHOCK)
    _scenario_axis(ax, outcomes)
    ax.set_xlim(0, max(high.max(), 1e-9) * 1.9)  # room for the shock labels
    tops = [(o.name, names[int(np.argmax(shares[i]))] if shares[i].sum() > 0 else None)
            for i, o in enumerate(outcomes)]
    ax.set(title=wrap(words.quit_reasons_title(tops)), xlabel="Annual turnover (leavers per 100 specialists a year)")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return save(fig, path, _compare_note(outcomes) + " Each bar's voluntary part is split by the mean share of a "
                 "voluntary leaver's accumulated drain due to each factor (each factor keeps its colour in every "
                 "chart), its cross-hatched end is the ordinary exits no plan changes; the thin bar beneath splits "
                 "the voluntary turnover into quits a shock began (work-life conflict, reorganisation, contract not "
                 "renewed) and gradual ones" + ("; whiskers: 95% CI of the annual turnover."
                                                if outcomes[0].replicates > 1 else "."))


def compare_pressures(path: Path, outcomes: Sequence[metrics.Outcome]) -> Path:
    """Mean weekly drain (right) and nourishment (left) per scenario, with the net balance and its CI."""
    drain_names = [f.name for f in pressures.DRAINS]
    nourish_names = [f.name for f in pressures.NOURISHERS]
    drains = np.array([[o.pressures[f.weekly_column]["mean"] for f in pressures.DRAINS] for o in outcomes])
    nourish = np.array([[o.pressures[f.weekly_column]["mean"] for f in pressures.NOURISHERS] for o in outcomes])
    fig, ax = subplots(figsize=(13, bar_size(len(outcomes))[1]))
    stack(ax, named_factors(drain_names, drains, TOP_FACTORS, "Other draining"))
    stack(ax, named_factors(nourish_names, nourish, TOP_FACTORS - 1, "Other nourishing"), sign=-1.0)
    net = [o.pressures["net"] for o in outcomes]
    y = np.arange(len(outcomes))
    mean = np.array([n["mean"] for n in net])
    half = np.array([0.0 if n["ci_low"] is None else n["mean"] - n["ci_low"] for n in net])
    ax.errorbar(mean, y, xerr=half, fmt="D", color="black", markersize=10, markeredgecolor="white",
                markeredgewidth=1.5, capsize=5, linewidth=2,
                label="Net: drain minus nourishment" + (" (95% CI)" if outcomes[0].replicates > 1 else ""))
    ax.axvline(0, color=GREY, linewidth=1)
    _scenario_axis(ax, outcomes)
    best = outcomes[int(np.argmin(mean))].name
    draining, nourishing = (mean - half > 0).sum(), (mean + half < 0).sum()
    if draining == len(outcomes):
        title = f"Draining outweighs nourishing in every scenario; the balance is best with {best}"
    elif nourishing == len(outcomes):
        title = f"Nourishing outweighs draining in every scenario, most with {best}"
    else:
        clearly = "clearly " if outcomes[0].replicates > 1 else ""

        def which(mask: np.ndarray) -> str:
            names = [o.name for o, m in zip(outcomes, mask, strict=True) if m]
            if len(names) <= 3:
                return f"with {words.and_list(names)}"
            return f"in {len(names)} of {len(outcomes)} scenarios"

        counts = [f"nourishing {clearly}outweighs draining {which(mean + half < 0)}"] if nourishing else []
        counts += [f"draining {clearly}outweighs nourishing {which(mean - half > 0)}"] if draining else []
        title = "; ".join([f"The balance of pressures is best with {best}", *counts])
    ax.set(title=wrap(title), xlabel=f"\u2190 nourishing     Mean pressure on a specialist over "
           f"{outcomes[0].summary['weeks']} weeks (strain units per week)     draining \u2192")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return save(fig, path, _compare_note(outcomes) + " Effective amounts after buffering (team, leader and "
                 "health-team support absorb part of every demand), negative emotionality and the loss spiral, averaged over the specialists at work each week. Hatched: nourishing factors; each "
                 "factor keeps its colour in every chart.")


def compare_clients_and_vacancies(path: Path, outcomes: Sequence[metrics.Outcome]) -> Path:
    reference = outcomes[0]
    ref = reference.summary["job_starts_per_position_year"]["mean"]
    best, clear = _most_improved(outcomes, "job_starts_per_position_year", +1)
    if clear:
        title = (f"Clients get the most jobs with {best.name}: "
                 f"{best.summary['job_starts_per_position_year']['mean']:.1f} job starts per position a year, "
                 f"against {ref:.1f} with {reference.name}")
    else:
        title = (f"No scenario clearly gets clients more jobs than {reference.name} ({ref:.1f} per position a year)"
                 f"{_single(reference)}")
    width, height = bar_size(len(outcomes))
    fig, (jobs, vacancies) = subplots(1, 2, sharey=True, figsize=(width + 3, height))
    _bars(jobs, outcomes, "job_starts_per_position_year", 1, digits=2)
    _bars(vacancies, outcomes, "vacancy_weeks_per_position_year", 1)
    jobs.set(title="Client job starts", xlabel="Job starts per position-year")
    vacancies.set(title="Positions standing empty", xlabel="Vacancy weeks per position-year")
    fig.suptitle(wrap(title), fontsize=STYLE["axes.titlesize"])
    return save(fig, path, _bar_note(outcomes))


VERDICT_COLOURS = {"negative": BLUE, "positive": ORANGE}
"""A change in turnover clearly below zero (fewer leavers) in blue, clearly above in orange, else grey (OTHER)."""


def compare_sites(path: Path, outcomes: Sequence[metrics.Outcome]) -> Path:
    """Where each scenario changes turnover: one panel per scenario after the first (those ``_shown`` keeps), each
    site entry a bar of its paired difference in annual turnover from the reference, with the paired 95% CI, in blue
    or orange where clear of zero (VERDICT_COLOURS). An entry a scenario lacks gets no bar; one whose positions
    differ from the reference's says so beside its bar."""
    reference, others = outcomes[0], _shown(outcomes)[1:]
    entries = list(dict.fromkeys(e for o in (reference, *others) for e in o.summary["site_entries"]))
    sizes = {e: next(o.summary["site_entries"][e] for o in (reference, *others) if e in o.summary["site_entries"])
             for e in entries}
    names = [words.site_label(e, sizes[e]["sites"], sizes[e]["positions"]) for e in entries]
    diffs = [[metrics.site_difference(reference, o, e) for e in entries] for o in others]
    cols = min(len(others), 2)
    rows = -(-len(others) // cols)
    height = max(3.2, 0.7 * len(entries) + 1.4)
    fig, axes = subplots(rows, cols, sharex=True, sharey=True, squeeze=False,
                             figsize=(max(12.0, 4.0 + 5.6 * cols), height * rows + 1.6))
    ends = [100 * abs(x) for row in diffs for d in row for x in (d["ci_low"], d["ci_high"], d["mean"])
            if x is not None]
    reach = max(ends, default=1.0) or 1.0
    y = np.arange(len(entries))
    for ax, o, row in zip(axes.flat, others, diffs, strict=False):
        mean = np.array([100 * (d["mean"] or 0.0) for d in row])
        low = np.array([100 * d["ci_low"] if d["ci_low"] is not None else m for d, m in zip(row, mean, strict=True)])
        high = np.array([100 * d["ci_high"] if d["ci_high"] is not None else m for d, m in zip(row, mean, strict=True)])
        colours = [VERDICT_COLOURS.get(stats.verdict(d), OTHER) for d in row]
        ax.barh(y, mean, xerr=[mean - low, high - mean] if reference.replicates > 1 else None, height=0.65,
                capsize=4, color=colours)
        ax.axvline(0, color=GREY, linewidth=1)
        for i, (entry, d) in enumerate(zip(entries, row, strict=True)):
            ax.annotate(_site_text(entry, d, reference, o), (max(high[i], 0.0), i), xytext=(6, 0),
                        textcoords="offset points", va="center", fontsize=11, color="black" if _clear(d) else GREY)
        ax.set_title(o.name, fontsize=STYLE["axes.labelsize"])
        ax.tick_params(labelbottom=True)  # every panel keeps its scale (sharex would hide the upper rows')
    for k, ax in enumerate(axes.flat):
        if k >= len(others):
            ax.set_visible(False)
        elif k + cols >= len(others):  # the lowest panel of its column
            ax.set_xlabel(f"Change from {reference.name}\n(leavers per 100 specialists a year)")
    first = axes.flat[0]
    first.set_yticks(y, names)
    first.set_ylim(len(entries) - 0.5, -0.5)
    first.set_xlim(-1.2 * reach, 2.6 * reach)  # room for the labels right of each bar, and the legend
    fig.suptitle(wrap(_sites_title(reference, others, entries, diffs)), fontsize=STYLE["axes.titlesize"])
    if reference.replicates > 1:
        handles = [Rectangle((0, 0), 1, 1, color=c) for c in (BLUE, OTHER, ORANGE)]
        axes.flat[cols - 1].legend(handles, ["clearly fewer leavers", "not clear of zero", "clearly more leavers"],
                                   loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    note = (_compare_note(outcomes) + f" Each bar: the change in a site entry's annual turnover (departures per "
            f"ES-year worked at its sites) from {reference.name}; "
            + ("whiskers: paired 95% CI; labels: the change and its CI, black where clear of zero."
               if reference.replicates > 1 else "one replicate, so no interval.")
            + " A site given more positions can lose more ES a year at the same turnover.")
    if len(others) < len(outcomes) - 1:
        note += f" Showing the {len(others)} that differ most from {reference.name} in turnover."
    return save(fig, path, note)


def _site_text(entry: str, diff: dict[str, float | None], reference: metrics.Outcome,
               other: metrics.Outcome) -> str:
    """Beside a site entry's bar: its change with the paired CI, and the scenario's sites when they differ from the
    reference's (``+2.1 (-1.0 to +5.2)``, then ``now 2 sites of 2 ES`` below); ``not in X`` for an entry either lacks."""
    ours, theirs = other.summary["site_entries"].get(entry), reference.summary["site_entries"].get(entry)
    if ours is None or theirs is None:
        return f"not in {other.name if ours is None else reference.name}"
    if diff["mean"] is None:
        return "nobody worked here"
    if stats.verdict(diff) == "same":
        return "the same in every replicate"
    def points(x: float) -> str:
        return f"{round(100 * x, 1) + 0.0:+.1f}"  # + 0.0: never a negative zero

    text = points(diff["mean"])
    if diff["ci_low"] is not None and diff["ci_high"] is not None:
        text += f" ({points(diff['ci_low'])} to {points(diff['ci_high'])})"
    if ours != theirs:
        text += f"\nnow {words.plural(ours['sites'], 'site')} of {ours['positions']} ES"
    return text


def _sites_title(reference: metrics.Outcome, others: Sequence[metrics.Outcome], entries: Sequence[str],
                 diffs: Sequence[Sequence[dict[str, float | None]]]) -> str:
    """The site chart's finding: the largest clear change at a site (which scenario, which entry), or that none is
    clear."""
    clear = [(abs(d["mean"]), o, e, d) for o, row in zip(others, diffs, strict=True)
             for e, d in zip(entries, row, strict=True) if _clear(d)]
    if not clear:
        if len(others) == 1:
            return (f"With {others[0].name}, no site's turnover clearly differs from {reference.name}'s"
                    f"{_single(reference)}")
        return f"No scenario clearly changes turnover at any site from {reference.name}'s{_single(reference)}"
    _, o, entry, d = max(clear, key=lambda c: c[0])
    change = f"{words.numbers(100 * abs(d['mean']))[0]} {'fewer' if d['mean'] < 0 else 'more'}"
    if len(others) == 1:
        return (f"With {o.name}, turnover changes most at {entry}: {change} leavers per 100 specialists a year "
                f"than with {reference.name}")
    return (f"The largest clear change at a site: {entry} with {o.name}, {change} leavers per 100 specialists a "
            f"year than with {reference.name}")


def draw_levers(path: Path, ranking: Sequence[dict], base: str, replicates: int, not_tested: Sequence[str] = ()) -> Path:
    """The planner's headline view: annual turnover each tested lever avoids on its own, ranked, with paired CIs.

    Only the levers in ``ranking`` get a bar; ``not_tested`` (those the plan sets as the base) are named in the
    note, never drawn as zero bars.
    """
    names = [label(r["lever"]).lower() for r in ranking]
    mean = np.array([100 * r["turnover_avoided_mean"] for r in ranking])
    low = np.array([100 * (r["turnover_avoided_ci_low"] if r["turnover_avoided_ci_low"] is not None
                           else r["turnover_avoided_mean"]) for r in ranking])
    high = np.array([100 * (r["turnover_avoided_ci_high"] if r["turnover_avoided_ci_high"] is not None
                            else r["turnover_avoided_mean"]) for r in ranking])
    verdicts = [stats.verdict({p: r[f"turnover_avoided_{p}"] for p in ("mean", "ci_low", "ci_high")})
                for r in ranking]
    colours = [{"positive": BLUE, "negative": ORANGE}.get(v, OTHER) for v in verdicts]
    with matplotlib.rc_context(STYLE):
        fig, ax = subplots(figsize=bar_size(len(ranking)))
        y = np.arange(len(ranking))
        ax.barh(y, mean, xerr=[mean - low, high - mean] if replicates > 1 else None, height=0.65, capsize=4,
                color=colours)
        ax.axvline(0, color=GREY, linewidth=1)
        ax.set_yticks(y, names)
        ax.set_ylim(len(ranking) - 0.5, -0.5)
        if ranking and verdicts[0] == "positive":
            title = (f"On its own, {names[0]} avoids the most turnover: about {words.numbers(mean[0])[0]} "
                     f"fewer leavers per 100 specialists a year than {base}")
        elif replicates == 1 and ranking:
            title = (f"One replicate: no lever's effect has a confidence interval (on its own, {names[0]} "
                     f"changes turnover most against {base})")
        else:
            title = f"No single lever clearly lowers turnover below {base}'s in {words.plural(replicates, 'replicate')}"
        ax.set(title=wrap(title), xlabel="Annual turnover avoided (leavers per 100 specialists a year)")
        if replicates > 1:
            handles = [Rectangle((0, 0), 1, 1, color=c) for c in (BLUE, OTHER, ORANGE)]
            ax.legend(handles, ["clearly fewer leavers", "not clear of zero", "clearly more leavers"],
                      loc="lower right", frameon=False)
        note = (f"Each bar: {base} with one lever set as in the plan, against {base} alone; "
                + (f"bars: paired 95% CI over {replicates} replicates with common random numbers."
                   if replicates > 1 else "one replicate, so no confidence interval."))
        if not_tested:
            note += " " + words.not_tested(base, not_tested)
        return save(fig, path, note)


def _cell(value: float | None, fallback: float) -> float:
    return 100 * (fallback if value is None else value)


def draw_uncertainty(path: Path, rows: Sequence[dict], ranking: Sequence[dict] | None, draws: int,
                     replicates: int) -> Path:
    """How sure each answer is: for each lever (its turnover avoided) or each scenario (its change in annual turnover
    from the first), the 95% CI of chance alone at the assumed values (dark bar) inside the uncertainty interval
    over the draws of the unknown assumptions (light band), with how often the lever ranks first, or how likely the
    scenario has fewer leavers than the first."""
    if ranking is not None:
        names = [label(r["lever"]).lower() for r in ranking]
        keys, items = "turnover_avoided_{}", list(ranking)
        chance = [f"first in {100 * r['p_rank_first']:.0f}% of draws" for r in ranking]
        xlabel = "Annual turnover avoided (leavers per 100 specialists a year)"
    else:
        names = [r["scenario"] for r in rows[1:]]
        keys, items = "annual_turnover_diff_{}", list(rows[1:])
        chance = [f"fewer leavers: {100 * r['p_better']:.0f}%" if r["p_better"] is not None else "" for r in rows[1:]]
        xlabel = f"Change in annual turnover from {rows[0]['scenario']} (leavers per 100 specialists a year)"
    mean = np.array([_cell(r[keys.format("mean")], 0.0) for r in items])
    ci = [np.array([_cell(r[keys.format(k)], m / 100) for r, m in zip(items, mean, strict=True)])
          for k in ("ci_low", "ci_high")]
    ui = [np.array([_cell(r[keys.format(k)], m / 100) for r, m in zip(items, mean, strict=True)])
          for k in ("ui_low", "ui_high")]
    with matplotlib.rc_context(STYLE):
        fig, ax = subplots(figsize=bar_size(len(items)))
        y = np.arange(len(items))
        ax.barh(y, ui[1] - ui[0], left=ui[0], height=0.7, color=BLUE, alpha=0.25, linewidth=0,
                label="uncertainty interval: the assumptions and chance")
        ax.barh(y, ci[1] - ci[0], left=ci[0], height=0.28, color=BLUE, linewidth=0,
                label="95% CI: chance alone, at the assumed values")
        ax.plot(mean, y, "|", color="black", markersize=18, markeredgewidth=2)
        for yi, text in zip(y, chance, strict=True):
            ax.annotate(text, (1.0, yi), xycoords=("axes fraction", "data"), xytext=(6, 0),
                        textcoords="offset points", va="center", fontsize=11, color=GREY)
        ax.axvline(0, color=GREY, linewidth=1)
        ax.set_yticks(y, names)
        ax.set_ylim(len(items) - 0.5, -0.5)
        settled = [n for n, lo, hi in zip(names, *ui, strict=True) if lo > 0 or hi < 0]
        if ranking is not None:
            top = int(np.argmax([r["p_rank_first"] for r in ranking])) if ranking else 0
            title = (f"Over the unknown assumptions, {names[top]} ranks first in "
                     f"{100 * ranking[top]['p_rank_first']:.0f}% of draws; "
                     + (f"{len(settled)} of {len(items)} levers clearly avoid or add leavers whatever the draw"
                        if settled else "no lever's effect is clear of zero over the draws"))
        else:
            title = ("Over the unknown assumptions, " + (f"the change is clear of zero for {words.and_list(settled)}"
                                                         if settled else "no change is clear of zero"))
        ax.set_title(wrap(title), pad=30)  # room for the legend between the title and the bars
        ax.set_xlabel(xlabel)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False, fontsize=11)
        note = (f"{words.plural(draws, 'draw')} of the quit threshold (calibration posterior) and of each lever's "
                f"effect size (its prior, docs/model.md section 7), {words.plural(replicates, 'replicate')} each "
                "with common random numbers; the other rates and weights at their values.")
        return save(fig, path, note)
