"""The charts of a comparison (ipsim compare, ipsim levers): each scenario against the first, paired CIs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from simulation.analysis import metrics, stats
from simulation.core import pressures
from simulation.present.charts.style import (
    BLUE,
    GREY,
    LINE_STYLES,
    ORANGE,
    OTHER,
    REASON_COLOURS,
    SCENARIO_COLOURS,
    STYLE,
    TOP_FACTORS,
    bar_size,
    label,
    largest,
    save,
    stack,
    wrap,
)


def draw_comparison(folder: Path, outcomes: Sequence[metrics.Outcome]) -> list[Path]:
    """Write every chart comparing scenarios (the first is the reference) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(STYLE):
        return [
            compare_retention(folder / "retention.png", outcomes),
            compare_turnover(folder / "turnover.png", outcomes),
            compare_quit_reasons(folder / "quit_reasons.png", outcomes),
            compare_pressures(folder / "pressures.png", outcomes),
            compare_clients_and_vacancies(folder / "clients_and_vacancies.png", outcomes),
        ]








def _compare_note(outcomes: Sequence[metrics.Outcome]) -> str:
    return (f"{len(outcomes)} scenarios, {outcomes[0].summary['replicates']} replicates each with common random "
            f"numbers (replicate k of every scenario shares its seed).")




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
    fig, ax = plt.subplots()
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
                     f"({ref_12m:.0f}% still in post)")
    else:
        title = f"Share of specialists still in post by time in the job (first {weeks} weeks)"
    ax.set(title=wrap(title), xlabel="Weeks since the specialist started", ylabel="Still in post (%)",
           ylim=(10 * np.floor(10 * lowest - 0.5), 101), xlim=(0, weeks))  # the y axis starts near the lowest band
    ax.legend(loc="lower left", frameon=False)
    note = _compare_note(outcomes) + " Kaplan-Meier; shaded: 95% CI."
    if len(shown) < len(outcomes):
        note += f" Showing the {len(shown) - 1} that differ most from {reference.name} in turnover."
    return save(fig, path, note)




def _bars(ax: plt.Axes, outcomes: Sequence[metrics.Outcome], metric: str, scale: float, digits: int = 1) -> None:
    """Each scenario's mean and 95% CI of ``metric`` as a horizontal bar (the reference first, in grey),
    labelled with its paired difference from the reference and that difference's 95% CI."""
    levels = [o.summary[metric] for o in outcomes]
    mean = np.array([scale * m["mean"] for m in levels])
    low = np.array([scale * (m["ci_low"] if m["ci_low"] is not None else m["mean"]) for m in levels])
    high = np.array([scale * (m["ci_high"] if m["ci_high"] is not None else m["mean"]) for m in levels])
    y = np.arange(len(outcomes))
    ax.barh(y, mean, xerr=[mean - low, high - mean], height=0.65, capsize=4,
            color=[GREY if i == 0 else BLUE for i in y], alpha=0.85)
    ax.axvline(mean[0], color=GREY, linestyle="--", linewidth=1.5)
    for i, o in enumerate(outcomes[1:], start=1):
        diff = metrics.difference(outcomes[0], o, metric)
        if diff["mean"] is None:
            continue
        text = f"{scale * diff['mean']:+.{digits}f}"
        if diff["ci_low"] is not None:
            text += f" ({scale * diff['ci_low']:+.{digits}f} to {scale * diff['ci_high']:+.{digits}f})"
        ax.text(high[i], i, "  " + text, va="center", fontsize=12, color="black" if _clear(diff) else GREY,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})  # legible across the reference line
    _scenario_axis(ax, outcomes)
    ax.set_xlim(0, max(high.max(), 1e-9) * 1.6)  # room for the labels




def _scenario_axis(ax: plt.Axes, outcomes: Sequence[metrics.Outcome]) -> None:
    """Scenario names down the y axis, the reference at the top (set, not toggled: axes may be shared)."""
    ax.set_yticks(np.arange(len(outcomes)), [o.name for o in outcomes])
    ax.set_ylim(len(outcomes) - 0.5, -0.5)




def _bar_note(outcomes: Sequence[metrics.Outcome]) -> str:
    return (_compare_note(outcomes) + f" Bars: mean and 95% CI. Labels: difference from {outcomes[0].name} "
            "(paired 95% CI), black where clear of zero.")




def compare_turnover(path: Path, outcomes: Sequence[metrics.Outcome]) -> Path:
    reference = outcomes[0]
    ref = 100 * reference.summary["annual_turnover"]["mean"]
    best, clear = _most_improved(outcomes, "annual_turnover", -1)
    if clear:
        title = (f"Turnover is lowest with {best.name}: {100 * best.summary['annual_turnover']['mean']:.0f} "
                 f"in 100 specialists leave a year, against {ref:.0f} with {reference.name}")
    else:
        title = f"No scenario clearly lowers turnover below {reference.name}'s {ref:.0f} in 100 specialists a year"
    fig, ax = plt.subplots(figsize=bar_size(len(outcomes)))
    _bars(ax, outcomes, "annual_turnover", 100)
    ax.set(title=wrap(title), xlabel="Annual turnover (leavers per 100 specialists a year)")
    return save(fig, path, _bar_note(outcomes))




def compare_quit_reasons(path: Path, outcomes: Sequence[metrics.Outcome]) -> Path:
    """Each scenario's annual turnover, split by why its leavers were worn down."""
    names = [f.name for f in pressures.DRAINS]
    shares = np.array([[o.summary["quit_reasons"][n] for n in names] for o in outcomes])
    turnover = np.array([100 * o.summary["annual_turnover"]["mean"] for o in outcomes])
    labels, values = largest(names, shares * turnover[:, None], TOP_FACTORS, "Other draining factors")
    fig, ax = plt.subplots(figsize=bar_size(len(outcomes)))
    stack(ax, values, labels, [*REASON_COLOURS[:TOP_FACTORS], OTHER][: len(labels)])
    ci = [o.summary["annual_turnover"] for o in outcomes]
    low = np.array([100 * c["ci_low"] if c["ci_low"] is not None else t for c, t in zip(ci, turnover, strict=True)])
    high = np.array([100 * c["ci_high"] if c["ci_high"] is not None else t for c, t in zip(ci, turnover, strict=True)])
    ax.errorbar(turnover, np.arange(len(outcomes)), xerr=[turnover - low, high - turnover], fmt="none",
                ecolor="black", capsize=5, linewidth=1.5, label="Annual turnover: 95% CI")
    _scenario_axis(ax, outcomes)
    with_quits = [i for i, o in enumerate(outcomes) if shares[i].sum() > 0]
    if with_quits:
        tops = [names[int(np.argmax(shares[i]))] for i in with_quits]
        top = max(set(tops), key=tops.count)
        where = "every scenario" if tops.count(top) == len(outcomes) else f"{tops.count(top)} of {len(outcomes)} scenarios"
        title = f"{label(top)} wears leavers down most in {where}"
    else:
        title = "No specialist quit in these runs"
    ax.set(title=wrap(title), xlabel="Annual turnover (leavers per 100 specialists a year)")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return save(fig, path, _compare_note(outcomes) + " Each bar is split by the mean share of a leaver's "
                 "accumulated drain due to each factor; whiskers: 95% CI of the annual turnover.")




def compare_pressures(path: Path, outcomes: Sequence[metrics.Outcome]) -> Path:
    """Mean weekly drain (right) and nourishment (left) per scenario, with the net balance and its CI."""
    drain_names = [f.name for f in pressures.DRAINS]
    nourish_names = [f.name for f in pressures.NOURISHERS]
    drains = np.array([[o.pressures[f"drain_{n}"]["mean"] for n in drain_names] for o in outcomes])
    nourish = np.array([[o.pressures[f"nourish_{n}"]["mean"] for n in nourish_names] for o in outcomes])
    drain_labels, drain_values = largest(drain_names, drains, TOP_FACTORS, "Other draining")
    nourish_labels, nourish_values = largest(nourish_names, nourish, TOP_FACTORS - 1, "Other nourishing")
    fig, ax = plt.subplots(figsize=(13, bar_size(len(outcomes))[1]))
    stack(ax, drain_values, drain_labels, plt.get_cmap("YlOrRd")(np.linspace(0.95, 0.2, len(drain_labels))))
    stack(ax, nourish_values, nourish_labels, plt.get_cmap("GnBu")(np.linspace(0.95, 0.3, len(nourish_labels))),
           sign=-1.0)
    net = [o.pressures["net"] for o in outcomes]
    y = np.arange(len(outcomes))
    mean = np.array([n["mean"] for n in net])
    half = np.array([0.0 if n["ci_low"] is None else n["mean"] - n["ci_low"] for n in net])
    ax.errorbar(mean, y, xerr=half, fmt="D", color="black", markersize=10, markeredgecolor="white",
                markeredgewidth=1.5, capsize=5, linewidth=2, label="Net: drain minus nourishment (95% CI)")
    ax.axvline(0, color=GREY, linewidth=1)
    _scenario_axis(ax, outcomes)
    best = outcomes[int(np.argmin(mean))].name
    draining, nourishing = (mean - half > 0).sum(), (mean + half < 0).sum()
    if draining == len(outcomes):
        title = f"Draining outweighs nourishing in every scenario; the balance is best with {best}"
    elif nourishing == len(outcomes):
        title = f"Nourishing outweighs draining in every scenario, most with {best}"
    else:
        counts = [f"nourishing clearly outweighs draining in {nourishing} of {len(outcomes)} scenarios"] * bool(nourishing)
        counts += [f"draining clearly outweighs nourishing in {draining}"] * bool(draining)
        title = "; ".join([f"The balance of pressures is best with {best}", *counts])
    ax.set(title=wrap(title), xlabel=f"\u2190 nourishing     Mean pressure on a specialist over "
           f"{outcomes[0].summary['weeks']} weeks (strain units per week)     draining \u2192")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return save(fig, path, _compare_note(outcomes) + " Effective amounts after buffering, loss weighting and the "
                 "loss spiral, averaged over the specialists at work each week.")




def compare_clients_and_vacancies(path: Path, outcomes: Sequence[metrics.Outcome]) -> Path:
    reference = outcomes[0]
    ref = reference.summary["job_starts_per_position_year"]["mean"]
    best, clear = _most_improved(outcomes, "job_starts_per_position_year", +1)
    if clear:
        title = (f"Clients get the most jobs with {best.name}: "
                 f"{best.summary['job_starts_per_position_year']['mean']:.1f} job starts per position a year, "
                 f"against {ref:.1f} with {reference.name}")
    else:
        title = f"No scenario clearly gets clients more jobs than {reference.name} ({ref:.1f} per position a year)"
    width, height = bar_size(len(outcomes))
    fig, (jobs, vacancies) = plt.subplots(1, 2, sharey=True, figsize=(width + 3, height))
    _bars(jobs, outcomes, "job_starts_per_position_year", 1, digits=2)
    _bars(vacancies, outcomes, "vacancy_weeks_per_position_year", 1)
    jobs.set(title="Client job starts", xlabel="Job starts per position-year")
    vacancies.set(title="Positions standing empty", xlabel="Vacancy weeks per position-year")
    fig.suptitle(wrap(title), fontsize=STYLE["axes.titlesize"])
    return save(fig, path, _bar_note(outcomes))




def levers(path: Path, ranking: Sequence[dict], base: str, replicates: int) -> Path:
    """The planner's headline view: annual turnover each lever avoids on its own, ranked, with paired CIs."""
    names = [label(r["lever"]).lower() for r in ranking]
    mean = np.array([100 * r["turnover_avoided_mean"] for r in ranking])
    low = np.array([100 * (r["turnover_avoided_ci_low"] if r["turnover_avoided_ci_low"] is not None
                           else r["turnover_avoided_mean"]) for r in ranking])
    high = np.array([100 * (r["turnover_avoided_ci_high"] if r["turnover_avoided_ci_high"] is not None
                            else r["turnover_avoided_mean"]) for r in ranking])
    verdicts = [stats.verdict({p: r[f"turnover_avoided_{p}"] for p in ("mean", "ci_low", "ci_high")})
                for r in ranking]
    colours = [{"positive": BLUE, "negative": ORANGE}.get(v, OTHER) for v in verdicts]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=bar_size(len(ranking)))
        y = np.arange(len(ranking))
        ax.barh(y, mean, xerr=[mean - low, high - mean], height=0.65, capsize=4, color=colours)
        ax.axvline(0, color=GREY, linewidth=1)
        ax.set_yticks(y, names)
        ax.set_ylim(len(ranking) - 0.5, -0.5)
        if ranking and verdicts[0] == "positive":
            title = (f"On its own, {names[0]} avoids the most turnover: about {mean[0]:.{0 if mean[0] >= 10 else 1}f} "
                     f"fewer leavers per 100 specialists a year than {base}")
        else:
            title = f"No single lever clearly lowers turnover below {base}'s in {replicates} replicates"
        ax.set(title=wrap(title), xlabel="Annual turnover avoided (leavers per 100 specialists a year)")
        handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in (BLUE, OTHER, ORANGE)]
        ax.legend(handles, ["clearly fewer leavers", "not clear of zero", "clearly more leavers"],
                  loc="lower right", frameon=False)
        return save(fig, path, f"Each bar: {base} with one lever set as in the plan, against {base} alone; "
                     f"bars: paired 95% CI over {replicates} replicates with common random numbers.")
