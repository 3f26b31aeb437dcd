"""PNG charts of one run for a lay audience: titles state the finding, uncertainty is shown."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from simulation import metrics, pressures
from simulation.model import RunRecord
from simulation.scenario import Scenario

STYLE = {
    "figure.figsize": (11, 6.2), "figure.dpi": 110, "font.size": 14, "axes.titlesize": 17,
    "axes.labelsize": 14, "legend.fontsize": 12, "axes.spines.top": False, "axes.spines.right": False,
}
BLUE, ORANGE, GREY = "#0072B2", "#D55E00", "#555555"  # Okabe-Ito: colour-blind safe
SMOOTH_WEEKS = 4
SCENARIO_COLOURS = ["#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
"""Okabe-Ito, reference scenario in black; with line styles cycling as a second cue."""
LINE_STYLES = ["-", "--", "-.", ":"]
REASON_COLOURS = ["#D55E00", "#E69F00", "#CC79A7", "#0072B2", "#009E73"]
OTHER = "#BBBBBB"
TOP_FACTORS = 5
"""Stacked charts show the largest few factors and lump the rest together, so colours stay distinguishable."""
TITLE_WIDTH = 72
NOTE_CHARS_PER_INCH = 12
"""How many characters of a 10-point note fit across an inch of figure."""


def label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def draw_all(folder: Path, records: Sequence[RunRecord], scenario: Scenario, result: metrics.Outcome) -> list[Path]:
    """Write every chart of a run into ``folder`` and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    summary = result.summary
    with plt.rc_context(STYLE):
        return [
            retention(folder / "retention.png", records, scenario, result),
            pressure_balance(folder / "pressures.png", records, scenario),
            staffing(folder / "staffing.png", records, scenario, summary),
            quit_reasons(folder / "quit_reasons.png", records, summary),
        ]


def _save(fig: plt.Figure, path: Path, note: str) -> Path:
    lines = textwrap.wrap(note, int(fig.get_figwidth() * NOTE_CHARS_PER_INCH))
    fig.text(0.01, 0.01, "\n".join(lines), fontsize=10, color=GREY, ha="left", va="bottom")
    fig.tight_layout(rect=(0, (0.1 + 0.18 * len(lines)) / fig.get_figheight(), 1, 1))
    fig.savefig(path)
    plt.close(fig)
    return path


def _note(scenario: Scenario, records: Sequence[RunRecord]) -> str:
    return f"Scenario '{scenario.name}', {len(records)} simulated replicates; shaded: 95% confidence interval."


def retention(path: Path, records: Sequence[RunRecord], scenario: Scenario, result: metrics.Outcome) -> Path:
    weeks, mean, low, high = result.retention
    summary = result.summary
    fig, ax = plt.subplots()
    ax.fill_between(weeks, 100 * low, 100 * high, color=BLUE, alpha=0.25, linewidth=0)
    ax.plot(weeks, 100 * mean, color=BLUE, linewidth=3)
    r12 = summary["retention_12m"]
    if r12["mean"] is not None:
        ax.axvline(52, color=GREY, linestyle=":", linewidth=1.5)
        ax.annotate(f"{100 * r12['mean']:.0f}% after a year", (52, 100 * r12["mean"]),
                    xytext=(12, 12), textcoords="offset points", fontsize=13)
        title = f"About {100 - 100 * r12['mean']:.0f} in 100 specialists leave within their first year"
    else:
        title = "Share of specialists still in post by time in the job"
    ax.set(title=title, xlabel="Weeks since the specialist started", ylabel="Still in post (%)", ylim=(0, 102),
           xlim=(0, scenario.weeks))
    return _save(fig, path, _note(scenario, records) + " Kaplan-Meier estimate over all employment spells.")


def _smooth(x: np.ndarray) -> np.ndarray:
    kernel = np.ones(SMOOTH_WEEKS) / SMOOTH_WEEKS
    return np.convolve(np.pad(x, (SMOOTH_WEEKS - 1, 0), mode="edge"), kernel, mode="valid")


def pressure_balance(path: Path, records: Sequence[RunRecord], scenario: Scenario) -> Path:
    """Butenko et al.'s process figure made quantitative: drain stacked up, nourishment down, and the net
    balance with its 95% CI. The largest factors are shown and the rest lumped, so colours stay distinguishable."""
    weeks = metrics.column(records[0], "week")
    drain_names = [f.name for f in pressures.DRAINS]
    nourish_names = [f.name for f in pressures.NOURISHERS]
    drains = np.column_stack([_smooth(metrics.weekly_band(records, f"drain_{n}")[1]) for n in drain_names])
    nourish = np.column_stack([_smooth(metrics.weekly_band(records, f"nourish_{n}")[1]) for n in nourish_names])
    drain_labels, drain_values = _top(drain_names, drains, TOP_FACTORS, "Other draining")
    nourish_labels, nourish_values = _top(nourish_names, nourish, TOP_FACTORS - 1, "Other nourishing")
    _, net, low, high = (_smooth(x) for x in metrics.net_pressure_band(records))
    fig, ax = plt.subplots(figsize=(13, 7))
    ax.stackplot(weeks, drain_values.T, labels=drain_labels, linewidth=0,
                 colors=plt.get_cmap("YlOrRd")(np.linspace(0.95, 0.2, len(drain_labels))))
    ax.stackplot(weeks, -nourish_values.T, labels=nourish_labels, linewidth=0,
                 colors=plt.get_cmap("GnBu")(np.linspace(0.95, 0.3, len(nourish_labels))))
    ax.fill_between(weeks, low, high, color="black", alpha=0.3, linewidth=0)
    ax.plot(weeks, net, color="black", linewidth=2.5, label="Net: drain minus nourishment (95% CI)")
    ax.axhline(0, color=GREY, linewidth=1)
    crossing = np.flatnonzero(net < 0)
    if net[0] > 0 and crossing.size:
        title = f"Draining outweighs nourishing for the first {int(weeks[crossing[0]])} weeks, then the balance turns"
    elif net.mean() > 0:
        title = "Draining outweighs nourishing throughout"
    else:
        title = "Nourishing outweighs draining for the average specialist"
    ax.set(title=title, xlabel="Week of the service", ylabel="Pressure on the average specialist\n(strain units per week)",
           xlim=(weeks[0], weeks[-1]))
    ax.text(0.01, 0.97, "draining \u2191", transform=ax.transAxes, va="top", color=ORANGE, fontsize=13)
    ax.text(0.01, 0.03, "nourishing \u2193", transform=ax.transAxes, va="bottom", color=BLUE, fontsize=13)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return _save(fig, path, f"Scenario '{scenario.name}', mean of {len(records)} replicates, {SMOOTH_WEEKS}-week "
                 "moving average. Effective amounts after buffering, loss weighting and the loss spiral.")


def staffing(path: Path, records: Sequence[RunRecord], scenario: Scenario, summary: dict) -> Path:
    fig, ax = plt.subplots()
    for name, colour, text in (("headcount", BLUE, "Specialists in post"), ("vacancies", ORANGE, "Vacant positions")):
        weeks, mean, low, high = metrics.weekly_band(records, name)
        ax.fill_between(weeks, low, high, color=colour, alpha=0.25, linewidth=0)
        ax.plot(weeks, mean, color=colour, linewidth=3, label=text)
    positions = summary["positions"]  # after the start-up plan, which may add positions
    ax.axhline(positions, color=GREY, linestyle="--", linewidth=1.5, label=f"Positions ({positions})")
    vac = summary["vacancy_weeks_per_position_year"]["mean"]
    turnover = summary["annual_turnover"]["mean"]
    title = (f"{100 * turnover:.0f}% of specialists leave each year; each position stands empty "
             f"{vac:.1f} weeks a year")
    ax.set(title=title, xlabel="Week of the service", ylabel="Positions", ylim=(0, positions * 1.1))
    ax.legend(loc="center right", frameon=False)
    return _save(fig, path, _note(scenario, records))


def quit_reasons(path: Path, records: Sequence[RunRecord], summary: dict) -> Path:
    per_rep = []
    for record in records:
        quits = [s for s in record.spells if s["outcome"] == "quit"]
        if quits:
            per_rep.append([np.mean([s[f"drain_share_{f.name}"] for s in quits]) for f in pressures.DRAINS])
    fig, ax = plt.subplots()
    if not per_rep:
        ax.set(title="No specialist quit in these runs")
        ax.axis("off")
        return _save(fig, path, f"{len(records)} replicates.")
    cis = [metrics.mean_ci(col) for col in zip(*per_rep, strict=True)]
    order = np.argsort([c["mean"] for c in cis])
    names = [label(pressures.DRAINS[i].name) for i in order]
    means = np.array([100 * cis[i]["mean"] for i in order])
    low = np.array([100 * (cis[i]["ci_low"] if cis[i]["ci_low"] is not None else cis[i]["mean"]) for i in order])
    high = np.array([100 * (cis[i]["ci_high"] if cis[i]["ci_high"] is not None else cis[i]["mean"]) for i in order])
    ax.barh(names, means, xerr=[means - low, high - means], color=ORANGE, alpha=0.85, capsize=4)
    shock = summary["shock_share"]["mean"]
    title = f"Those who quit were worn down most by {names[-1].lower()}"
    ax.set(title=title, xlabel="Share of the drain a leaver had accumulated (%)")
    if shock is not None:
        ax.text(0.98, 0.04, f"{100 * shock:.0f}% of quits began with a shock\n(work-life conflict, reorganisation, "
                "contract end)", transform=ax.transAxes, ha="right", va="bottom", fontsize=12, color=GREY)
    return _save(fig, path, f"Mean over quits in {len(records)} replicates; bars: 95% confidence interval.")


# --- comparing scenarios (ipsim compare, ipsim levers) -----------------------------------------


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


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(text, TITLE_WIDTH))


def _bar_size(n: int) -> tuple[float, float]:
    """A figure tall enough for ``n`` labelled horizontal bars."""
    return 12.0, max(5.5, 2.4 + 0.55 * n)


def _compare_note(outcomes: Sequence[metrics.Outcome]) -> str:
    return (f"{len(outcomes)} scenarios, {outcomes[0].summary['replicates']} replicates each with common random "
            f"numbers (replicate k of every scenario shares its seed).")


def _clear(diff: dict[str, float | None]) -> bool:
    """A difference whose 95% CI excludes zero."""
    return metrics.verdict(diff) in ("negative", "positive")


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
    lowest = min(float(o.retention[2].min()) for o in shown)
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
    ax.set(title=_wrap(title), xlabel="Weeks since the specialist started", ylabel="Still in post (%)",
           ylim=(10 * np.floor(10 * lowest - 0.5), 101), xlim=(0, weeks))  # the y axis starts near the lowest band
    ax.legend(loc="lower left", frameon=False)
    note = _compare_note(outcomes) + " Kaplan-Meier; shaded: 95% CI."
    if len(shown) < len(outcomes):
        note += f" Showing the {len(shown) - 1} that differ most from {reference.name} in turnover."
    return _save(fig, path, note)


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
    fig, ax = plt.subplots(figsize=_bar_size(len(outcomes)))
    _bars(ax, outcomes, "annual_turnover", 100)
    ax.set(title=_wrap(title), xlabel="Annual turnover (leavers per 100 specialists a year)")
    return _save(fig, path, _bar_note(outcomes))


def _top(names: list[str], values: np.ndarray, k: int, other: str) -> tuple[list[str], np.ndarray]:
    """The ``k`` columns with the largest totals, largest first, and the rest summed as ``other``."""
    order = np.argsort(-values.sum(axis=0), kind="stable")
    keep, rest = order[:k], order[k:]
    labels = [label(names[i]) for i in keep]
    columns = [values[:, i] for i in keep]
    if rest.size:
        labels.append(other)
        columns.append(values[:, rest].sum(axis=1))
    return labels, np.column_stack(columns)


def _stack(ax: plt.Axes, values: np.ndarray, labels: list[str], colours: Sequence, sign: float = 1.0) -> None:
    """Horizontal bars stacked segment by segment, one bar per row of ``values``."""
    left = np.zeros(values.shape[0])
    for column, text, colour in zip(values.T, labels, colours, strict=True):
        ax.barh(np.arange(values.shape[0]), sign * column, left=sign * left, height=0.65, color=colour, label=text)
        left += column


def compare_quit_reasons(path: Path, outcomes: Sequence[metrics.Outcome]) -> Path:
    """Each scenario's annual turnover, split by why its leavers were worn down."""
    names = [f.name for f in pressures.DRAINS]
    shares = np.array([[o.summary["quit_reasons"][n] for n in names] for o in outcomes])
    turnover = np.array([100 * o.summary["annual_turnover"]["mean"] for o in outcomes])
    labels, values = _top(names, shares * turnover[:, None], TOP_FACTORS, "Other draining factors")
    fig, ax = plt.subplots(figsize=_bar_size(len(outcomes)))
    _stack(ax, values, labels, [*REASON_COLOURS[:TOP_FACTORS], OTHER][: len(labels)])
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
    ax.set(title=_wrap(title), xlabel="Annual turnover (leavers per 100 specialists a year)")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return _save(fig, path, _compare_note(outcomes) + " Each bar is split by the mean share of a leaver's "
                 "accumulated drain due to each factor; whiskers: 95% CI of the annual turnover.")


def compare_pressures(path: Path, outcomes: Sequence[metrics.Outcome]) -> Path:
    """Mean weekly drain (right) and nourishment (left) per scenario, with the net balance and its CI."""
    drain_names = [f.name for f in pressures.DRAINS]
    nourish_names = [f.name for f in pressures.NOURISHERS]
    drains = np.array([[o.pressures[f"drain_{n}"]["mean"] for n in drain_names] for o in outcomes])
    nourish = np.array([[o.pressures[f"nourish_{n}"]["mean"] for n in nourish_names] for o in outcomes])
    drain_labels, drain_values = _top(drain_names, drains, TOP_FACTORS, "Other draining")
    nourish_labels, nourish_values = _top(nourish_names, nourish, TOP_FACTORS - 1, "Other nourishing")
    fig, ax = plt.subplots(figsize=(13, _bar_size(len(outcomes))[1]))
    _stack(ax, drain_values, drain_labels, plt.get_cmap("YlOrRd")(np.linspace(0.95, 0.2, len(drain_labels))))
    _stack(ax, nourish_values, nourish_labels, plt.get_cmap("GnBu")(np.linspace(0.95, 0.3, len(nourish_labels))),
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
    ax.set(title=_wrap(title), xlabel=f"\u2190 nourishing     Mean pressure on a specialist over "
           f"{outcomes[0].summary['weeks']} weeks (strain units per week)     draining \u2192")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return _save(fig, path, _compare_note(outcomes) + " Effective amounts after buffering, loss weighting and the "
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
    width, height = _bar_size(len(outcomes))
    fig, (jobs, vacancies) = plt.subplots(1, 2, sharey=True, figsize=(width + 3, height))
    _bars(jobs, outcomes, "job_starts_per_position_year", 1, digits=2)
    _bars(vacancies, outcomes, "vacancy_weeks_per_position_year", 1)
    jobs.set(title="Client job starts", xlabel="Job starts per position-year")
    vacancies.set(title="Positions standing empty", xlabel="Vacancy weeks per position-year")
    fig.suptitle(_wrap(title), fontsize=STYLE["axes.titlesize"])
    return _save(fig, path, _bar_note(outcomes))


def levers(path: Path, ranking: Sequence[dict], base: str, replicates: int) -> Path:
    """The planner's headline view: annual turnover each lever avoids on its own, ranked, with paired CIs."""
    names = [label(r["lever"]).lower() for r in ranking]
    mean = np.array([100 * r["turnover_avoided_mean"] for r in ranking])
    low = np.array([100 * (r["turnover_avoided_ci_low"] if r["turnover_avoided_ci_low"] is not None
                           else r["turnover_avoided_mean"]) for r in ranking])
    high = np.array([100 * (r["turnover_avoided_ci_high"] if r["turnover_avoided_ci_high"] is not None
                            else r["turnover_avoided_mean"]) for r in ranking])
    verdicts = [metrics.verdict({p: r[f"turnover_avoided_{p}"] for p in ("mean", "ci_low", "ci_high")})
                for r in ranking]
    colours = [{"positive": BLUE, "negative": ORANGE}.get(v, OTHER) for v in verdicts]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=_bar_size(len(ranking)))
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
        ax.set(title=_wrap(title), xlabel="Annual turnover avoided (leavers per 100 specialists a year)")
        handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in (BLUE, OTHER, ORANGE)]
        ax.legend(handles, ["clearly fewer leavers", "not clear of zero", "clearly more leavers"],
                  loc="lower right", frameon=False)
        return _save(fig, path, f"Each bar: {base} with one lever set as in the plan, against {base} alone; "
                     f"bars: paired 95% CI over {replicates} replicates with common random numbers.")


# --- sweeps, calibration and validation ---------------------------------------------------------

SHARE_METRICS = {"annual_turnover", "cohort_left_share", "retention_12m", "shock_share"}
"""Metrics that are fractions, drawn as percentages."""
RESPONSE_BINS = 10
"""Quantile bins of a response curve over a parameter with many distinct values (presentation choice)."""


def short_labels(paths: Sequence[str]) -> dict[str, str]:
    """Each parameter path shortened for labels to its last two parts (``quit_threshold.mean``), or as many more
    as it takes to tell it from the others (``sites[0].readiness.structures``)."""
    parts = {path: path.split(".") for path in paths}

    def tail(path: str, k: int) -> str:
        return ".".join(parts[path][-k:])

    out = {}
    for path in paths:
        k = 2
        while k < len(parts[path]) and any(tail(other, k) == tail(path, k) for other in paths if other != path):
            k += 1
        out[path] = tail(path, k)
    return out


def _sweep_note(data: Any) -> str:
    spec = data.spec
    return (f"Sweep {spec.name}: {spec.design} design, {len(data.points.values)} points x {spec.replicates} "
            f"replicates (seed {spec.seed}).")


def _bins(x: np.ndarray) -> list[np.ndarray]:
    """Masks of the runs in each bin: each distinct value, or quantile bins when there are many."""
    distinct = np.unique(x)
    if len(distinct) <= 12:
        return [x == v for v in distinct]
    edges = np.unique(np.quantile(x, np.linspace(0, 1, RESPONSE_BINS + 1)))
    index = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    return [index == k for k in range(len(edges) - 1)]


def calibration(folder: Path, post: Any) -> list[Path]:
    """The calibration's charts: each free parameter's prior and posterior, and each target's fit."""
    folder.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(STYLE):
        return [calibration_posterior(folder / "posterior.png", post), calibration_fit(folder / "fit.png", post)]


def _panels(n: int) -> tuple[plt.Figure, np.ndarray]:
    cols = 2 if n == 4 else min(n, 3)
    rows = -(-n // cols)
    # at least 10 inches wide, so that a one-panel figure still holds its wrapped title
    fig, axes = plt.subplots(rows, cols, figsize=(max(10.0, 5.2 * cols), 4.4 * rows + 1.2), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def calibration_posterior(path: Path, post: Any) -> Path:
    spec = post.spec
    fig, axes = _panels(len(spec.parameters))
    for j, (p, ax) in enumerate(zip(spec.parameters, axes, strict=False)):
        bins = np.linspace(p.range[0], p.range[1], 13)
        ax.hist(post.values[:, j], bins=bins, color=OTHER, label="prior draws")
        ax.hist(post.values[post.accepted, j], bins=bins, color=BLUE, label="accepted (posterior)")
        median = float(np.median(post.values[post.accepted, j]))
        ax.axvline(median, color=ORANGE, lw=2.5, label=f"posterior median {median:.3g}")
        ax.set_xlabel(_wrap(p.path.split(".", 1)[-1].replace("_", " ")), fontsize=12)
        ax.set_ylabel("Number of prior draws")
        ax.legend(fontsize=9, loc="upper right")
    kept = int(post.accepted.sum())
    fig.suptitle(_wrap(f"Free parameters: the {kept} accepted of {len(post.accepted)} prior draws (blue) "
                       "show which values reproduce the observations"), fontsize=16)
    return _save(fig, path, f"ABC rejection with the observations' binomial error as kernel; {spec.replicates} "
                            f"replicates per draw, {spec.window_weeks}-week window, seed {spec.seed}.")


def calibration_fit(path: Path, post: Any) -> Path:
    spec = post.spec
    fig, axes = _panels(len(spec.targets))
    for j, (t, ax) in enumerate(zip(spec.targets, axes, strict=False)):
        low, high = t.interval()
        sim = post.simulated[:, j]
        bins = np.linspace(0, 1, 41)
        ax.axvspan(low, high, color=ORANGE, alpha=0.15, label="observed, exact 95% CI")
        ax.hist(sim[~np.isnan(sim)], bins=bins, color=OTHER, label="all prior draws")
        kept = sim[post.accepted]
        ax.hist(kept[~np.isnan(kept)], bins=bins, color=BLUE, label="accepted draws")
        ax.axvline(t.share, color=ORANGE, lw=2.5, label=f"observed {t.successes}/{t.trials} [{t.source}]")
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
        ax.set_xlabel(f"{label(t.metric)} (mean over replicates)", fontsize=12)
        ax.set_ylabel("Number of prior draws")
        ax.legend(fontsize=9, loc="upper right")
    fig.suptitle(_wrap("The accepted draws reproduce the observed shares within their sampling uncertainty"),
                 fontsize=16)
    return _save(fig, path, f"Each draw's value is the mean over its {spec.replicates} replicates; "
                            f"{spec.window_weeks}-week window for the cohort share.")


def patterns(folder: Path, results: Sequence[Any], evidence: Any) -> list[Path]:
    """The pattern report's charts: the service maturing, and team structure."""
    folder.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(STYLE):
        return [maturation(folder / "maturation.png", evidence), structure(folder / "structure.png", evidence)]


def maturation(path: Path, evidence: Any) -> Path:
    records = evidence.records
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 6.2))
    weeks, mean, low, high = metrics.weekly_band(records, "readiness_mean")
    left.fill_between(weeks, low, high, color=BLUE, alpha=0.25, label="95% CI")
    left.plot(weeks, mean, color=BLUE, lw=2.5, label="mean over sites")
    left.set_ylim(0, 1)
    left.set_xlabel("Week of the service")
    left.set_ylabel("Organisational readiness (0-1)")
    left.legend(loc="lower right")
    years = [f"year {y + 1}" for y in range(len(evidence.hazard_by_year))]
    means = np.array([h["mean"] or 0.0 for h in evidence.hazard_by_year])
    err = np.array([[h["mean"] - h["ci_low"], h["ci_high"] - h["mean"]] if h["ci_low"] is not None else [0, 0]
                    for h in evidence.hazard_by_year]).T
    right.bar(years, means, color=ORANGE, yerr=err, capsize=6, error_kw={"lw": 1.5})
    right.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    right.set_ylabel("Decisions to quit per ES-year")
    right.set_xlabel("Year of the service")
    rises = mean[-1] > mean[0]
    fig.suptitle(_wrap(f"Readiness {'rises' if rises else 'does not rise'} as the service matures; "
                       "decisions to quit by service year (bars, 95% CI)"), fontsize=16)
    return _save(fig, path, f"{evidence.scenario.name}: {len(records)} replicates. Decisions to quit include shock-led ones and contract ends.")


def structure(path: Path, evidence: Any) -> Path:
    fig, ax = plt.subplots(figsize=(11, 5.6))
    names = list(evidence.structure)
    values = [evidence.structure[n] for n in names]
    means = [v["mean"] for v in values]
    err = np.array([[v["mean"] - v["ci_low"], v["ci_high"] - v["mean"]] for v in values]).T
    ax.barh(names, means, xerr=err, color=[ORANGE, BLUE], capsize=6)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("Annual turnover (mean, 95% CI)")
    ax.invert_yaxis()
    more = names[int(np.argmax(means))]
    ax.set_title("\n".join(textwrap.wrap(f"The same positions lose more specialists when organised as "
                                         f"{more}", 60)))
    return _save(fig, path, "Same sites and settings; only how the positions are grouped differs.")


# --- sensitivity of a sweep (ipsim analyze) ------------------------------------------------------

HEATMAP_ANNOTATED_CELLS = 144
"""A heatmap writes each cell's value and CI only up to this many cells (a presentation choice)."""
MAX_TICKS = 12
"""At most this many labelled levels on a heatmap axis (a presentation choice)."""
DENSE_DOTS = 500
"""Below this many runs a response chart draws its dots larger and darker (a presentation choice)."""


def sensitivity_charts(folder: Path, data: Any, rows: Sequence[dict]) -> list[Path]:
    """A sweep's charts for each metric that has values: its indices (sobol and morris designs), its
    response to each parameter, and for a grid over two parameters a heatmap.

    ``data`` is a ``sensitivity.SweepData``; ``rows`` are the index rows of sensitivity.csv.
    """
    folder.mkdir(parents=True, exist_ok=True)
    spec = data.spec
    drawn = []
    with plt.rc_context(STYLE):
        for j, metric in enumerate(spec.metrics):
            if np.isnan(data.means[:, j]).all():
                continue
            mine = [r for r in rows if r["metric"] == metric]
            if spec.design == "sobol" and mine:
                drawn.append(sobol_chart(folder / f"sobol_{metric}.png", metric, mine, data))
            if spec.design == "morris" and mine:
                drawn.append(morris_chart(folder / f"morris_{metric}.png", metric, mine, data))
            drawn.append(response_chart(folder / f"response_{metric}.png", metric, j, data))
            if spec.design == "grid" and len(spec.parameters) == 2:
                drawn.append(heatmap_chart(folder / f"heatmap_{metric}.png", metric, j, data))
    return drawn


def _percent_axis(axis: Any, metric: str) -> None:
    """Percent ticks for a share metric (its values and its changes alike)."""
    if metric in SHARE_METRICS:
        axis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=None))


def _amount(x: float, metric: str) -> str:
    """A metric's value for a title or a cell: percent for shares, else three significant digits."""
    if metric in SHARE_METRICS:
        return f"{100 * x:.{0 if abs(x) >= 0.1 or x == 0 else 1}f}%"
    return f"{x:.3g}"


def _change(x: float, metric: str) -> str:
    """A change in a metric: percentage points for shares."""
    if metric in SHARE_METRICS:
        return f"{100 * x:.{0 if abs(x) >= 0.1 else 1}f} percentage points"
    return f"{x:.3g}"


def _level(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _t_half(sd: np.ndarray | float, n: np.ndarray | float) -> np.ndarray:
    """Half-width of a 95% t-interval of a mean of ``n`` values with standard deviation ``sd`` (NaN if n < 2)."""
    sd, n = np.asarray(sd, dtype=float), np.asarray(n, dtype=float)
    ok = n > 1
    safe = np.where(ok, n, 2.0)
    return np.where(ok, stats.t.ppf(0.975, safe - 1) * sd / np.sqrt(safe), np.nan)


def sobol_chart(path: Path, metric: str, rows: Sequence[dict], data: Any) -> Path:
    """First-order and total Sobol indices per parameter with their 95% CIs, the largest total at the top."""
    get = {(r["parameter"], r["index"]): r for r in rows}
    short = short_labels([p.path for p in data.spec.parameters]).__getitem__
    params = sorted((r["parameter"] for r in rows if r["index"] == "ST"), key=lambda p: (get[(p, "ST")]["value"], p))
    fig, ax = plt.subplots(figsize=_bar_size(2 * len(params)))
    y = np.arange(len(params))
    for offset, index, colour, name in ((0.2, "S1", BLUE, "first-order S1: the parameter alone"),
                                        (-0.2, "ST", ORANGE, "total ST: with its interactions")):
        found = [get[(p, index)] for p in params]
        values = np.array([r["value"] for r in found])
        low = np.array([r["value"] - r["ci_low"] if r["ci_low"] is not None else 0.0 for r in found])
        high = np.array([r["ci_high"] - r["value"] if r["ci_high"] is not None else 0.0 for r in found])
        ax.barh(y + offset, values, height=0.38, color=colour, xerr=[low, high], capsize=4, label=name)
    ax.set_yticks(y, [short(p) for p in params])
    ax.axvline(0, color=GREY, lw=1)
    ax.set_xlabel(f"Share of the variance of {label(metric).lower()}")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    top, st = params[-1], get[(params[-1], "ST")]
    what = label(metric).lower()
    second = get[(params[-2], "ST")] if len(params) > 1 else None
    if second is not None and None not in (st["ci_low"], second["ci_high"]) and st["ci_low"] <= second["ci_high"]:
        pair = f"{short(top)} or {short(params[-2])}"
        title = (f"These runs cannot tell whether {pair} matters more for {what}" if len(params) == 2 else
                 f"{short(top)} and {short(params[-2])} matter most for {what}; which of them more is unclear")
        title += f" (total indices {st['value']:.2f} and {second['value']:.2f}; their 95% CIs overlap)"
    else:
        title = (f"{short(top)} matters most for {what}: with its interactions it accounts for about "
                 f"{100 * st['value']:.0f}% of the variance")
    ax.set_title(_wrap(title))
    return _save(fig, path, _sweep_note(data) + " Sobol indices (SALib, Saltelli sampling) of each point's mean over "
                 "its replicates; bars: 95% bootstrap CIs. Replicate noise left in the means adds to every total "
                 "index, not to the first-order ones.")


def morris_chart(path: Path, metric: str, rows: Sequence[dict], data: Any) -> Path:
    """Morris mu* (with its 95% CI) against sigma, one labelled point per parameter."""
    get = {(r["parameter"], r["index"]): r for r in rows}
    short = short_labels([p.path for p in data.spec.parameters]).__getitem__
    params = [r["parameter"] for r in rows if r["index"] == "mu_star"]
    found = [get[(p, "mu_star")] for p in params]
    mu_star = np.array([r["value"] for r in found])
    low = np.array([r["value"] if r["ci_low"] is None else r["ci_low"] for r in found])
    high = np.array([r["value"] if r["ci_high"] is None else r["ci_high"] for r in found])
    sigma = np.array([get[(p, "sigma")]["value"] if (p, "sigma") in get else np.nan for p in params])
    shown = np.nan_to_num(sigma)  # a single trajectory has no sigma: drawn at 0, said in the note
    fig, ax = plt.subplots(figsize=(11, 7))
    reach = max(float(np.nanmax(high)), float(shown.max()), 1e-12) * 1.12
    # Garcia Sanchez et al. (2014) read sigma / mu* above 1 as non-monotonic or interacting effects.
    ax.plot([0, reach], [0, reach], color=GREY, ls=":", lw=1.5)
    ax.text(0.97 * reach, 0.97 * reach, "sigma = mu*", color=GREY, fontsize=11, ha="right", va="bottom")
    ax.errorbar(mu_star, shown, xerr=[mu_star - low, high - mu_star], fmt="o", color=BLUE, ms=9, capsize=4, lw=1.5)
    _percent_axis(ax.xaxis, metric)
    _percent_axis(ax.yaxis, metric)
    unit = " (percentage points)" if metric in SHARE_METRICS else ""
    what = label(metric).lower()
    ax.set(xlim=(0, reach), ylim=(0, reach), xlabel=f"mu*: mean size of the change in {what}{unit}",
           ylabel="sigma: spread of the changes")
    _label_points(ax, mu_star, shown, [short(p) for p in params])
    top = int(np.argmax(mu_star))
    ax.set_title(_wrap(f"{short(params[top])} has the largest effect on {what}: moving it across its range "
                       f"changes it by {_change(mu_star[top], metric)} on average"))
    spec = data.spec
    note = (f"Morris elementary effects (SALib) of each point's mean over its replicates: {spec.samples} "
            f"trajectories, {spec.morris_levels} levels. Effects are in units of {what} per unit of a parameter's "
            "range, the unit hypercube the design is drawn in (a range's width, a distribution's 0.5-99.5% "
            "quantile span, a level list). Bars: 95% bootstrap CI of mu*. Above the dotted line the effects change "
            "size or sign across the space (non-linear or interacting). Replicate noise adds to mu* and sigma.")
    if np.isnan(sigma).any():
        note += " One trajectory: no sigma (drawn at 0)."
    return _save(fig, path, _sweep_note(data) + " " + note)


def _replicate_half(sd: np.ndarray, n: np.ndarray) -> float:
    """95% CI half-width of the plain mean of some points' means from their replicates' spread alone (the points
    taken as designed), with Welch-Satterthwaite degrees of freedom; NaN if a point has fewer than two values."""
    if (n < 2).any():
        return np.nan
    v = sd**2 / n
    if v.sum() == 0:
        return 0.0
    df = v.sum() ** 2 / np.sum(v**2 / (n - 1))
    return float(stats.t.ppf(0.975, df) * np.sqrt(v.sum()) / len(n))


def _binned(x: np.ndarray, means: np.ndarray, count: np.ndarray, sd: np.ndarray,
            held: bool) -> tuple[np.ndarray, ...]:
    """Per bin of design points (``_bins``): its centre, the mean of its points' means, and that mean's 95% CI.

    Sampled designs draw the other parameters at random, so the CI is a t-interval over the bin's points;
    a grid (``held``) sets them to fixed levels, so only replicate noise is uncertain, as for a bin of one point.
    """
    centre, mid, low, high = [], [], [], []
    for mask in _bins(x):
        valid = mask & ~np.isnan(means)
        m = int(valid.sum())
        if m == 0:
            continue
        value = float(means[valid].mean())
        if held or m == 1:
            half = _replicate_half(sd[valid], count[valid])
        else:
            half = float(_t_half(means[valid].std(ddof=1), m))
        half = 0.0 if np.isnan(half) else half
        centre.append(x[valid].mean())
        mid.append(value)
        low.append(value - half)
        high.append(value + half)
    return np.array(centre), np.array(mid), np.array(low), np.array(high)


def response_chart(path: Path, metric: str, j: int, data: Any) -> Path:
    """One panel per parameter: every run (or a bounded subset) as a faint dot, and the mean response with its
    95% CI per value of the parameter (quantile bins when it takes many values)."""
    from simulation.sensitivity import numeric  # sensitivity imports this module

    spec = data.spec
    short = short_labels([p.path for p in spec.parameters]).__getitem__
    held = spec.design == "grid"
    n = len(spec.parameters)
    cols = 2 if n == 4 else min(n, 3)
    rows_ = -(-n // cols)
    fig, axes = plt.subplots(rows_, cols, figsize=(5.4 * cols, 4.3 * rows_ + 1.8), squeeze=False, sharey=True)
    means, count, sd = data.means[:, j], data.replicates.count[:, j], data.replicates.sd[:, j]
    ids, values = data.replicates.shown[metric]
    few = len(ids) < DENSE_DOTS
    jitter = np.random.default_rng(0).uniform(-1, 1, len(ids))  # fixed: the same chart every time
    spans: dict[str, tuple[float, float]] = {}
    for k, (p, ax) in enumerate(zip(spec.parameters, axes.flat, strict=False)):
        column = [row[k] for row in data.points.values]
        x = numeric(p, column)
        if x is None:  # categorical: its levels in the spec's order
            x = np.array([float(p.levels.index(v)) for v in column])
            ax.set_xticks(range(len(p.levels)), [_level(v) for v in p.levels], fontsize=11)
        elif p.type == "bool":
            ax.set_xticks([0, 1], ["false", "true"])
        distinct = np.unique(x)
        spread = 0.06 * np.diff(distinct).min() * jitter if 1 < len(distinct) <= 12 else 0.0
        ax.scatter(x[ids] + spread, values, s=16 if few else 8, color=GREY, alpha=0.5 if few else 0.25, lw=0,
                   rasterized=True)
        centre, mid, low, high = _binned(x, means, count, sd, held)
        if metric in SHARE_METRICS:  # a share's band stays within 0-100%
            low, high = np.clip(low, 0, 1), np.clip(high, 0, 1)
        ax.fill_between(centre, low, high, color=BLUE, alpha=0.25, lw=0)
        ax.plot(centre, mid, color=BLUE, lw=2.5, marker="o", ms=5)
        spans[p.path] = (float(mid.min()), float(mid.max()))
        ax.set_xlabel(_wrap(short(p.path)), fontsize=13)
        _percent_axis(ax.yaxis, metric)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(label(metric))
    top = max(spans, key=lambda p: (spans[p][1] - spans[p][0], p))
    lowest, highest = spans[top]
    if highest > lowest:
        title = (f"{label(metric)} changes most with {short(top)}: on average between "
                 f"{_amount(lowest, metric)} and {_amount(highest, metric)} across its range")
    else:
        title = f"{label(metric)} is {_amount(lowest, metric)} on average whatever the parameters' values"
    fig.suptitle(_wrap(title), fontsize=STYLE["axes.titlesize"])
    dots = "a fixed subset of the runs" if len(ids) < int(count.sum()) else "runs"
    band = ("from the replicates' spread (Welch-Satterthwaite t), the other parameters held at their grid levels"
            if held else "(t over the design points, or a single point's replicates), the other parameters "
            "varying as the design draws them")
    return _save(fig, path, _sweep_note(data) + f" Dots: {dots} (jittered sideways where a parameter takes few "
                 f"values). Line: mean of the design points' means at each value, or in up to {RESPONSE_BINS} "
                 f"quantile bins (a presentation choice) when a parameter takes more than 12 values; band: its 95% CI {band}.")


def heatmap_chart(path: Path, metric: str, j: int, data: Any) -> Path:
    """A grid over two parameters: the mean metric in each cell, with its 95% CI over replicates."""
    a, b = data.spec.parameters
    short = short_labels([a.path, b.path]).__getitem__
    xs, ys = a.grid_points(), b.grid_points()
    shape = (len(xs), len(ys))  # sample ids run over b fastest (itertools.product)
    means = data.means[:, j].reshape(shape).T
    half = _t_half(data.replicates.sd[:, j], data.replicates.count[:, j]).reshape(shape).T
    share = metric in SHARE_METRICS
    scale = 100 if share else 1
    fig, ax = plt.subplots(figsize=(min(16.0, max(10.0, 3.5 + 0.9 * len(xs))), min(12.0, max(6.5, 2.8 + 0.6 * len(ys)))))
    cmap = plt.get_cmap("cividis").with_extremes(bad=OTHER)
    image = ax.imshow(scale * means, cmap=cmap, origin="lower", aspect="auto")
    bar = fig.colorbar(image, ax=ax)
    bar.set_label(f"{label(metric)}{' (%)' if share else ''}, mean over replicates")
    if means.size <= HEATMAP_ANNOTATED_CELLS:
        for r in range(len(ys)):
            for c in range(len(xs)):
                value = means[r, c]
                if np.isnan(value):
                    ax.text(c, r, "no value", ha="center", va="center", fontsize=11)
                    continue
                text = _amount(value, metric)
                if not np.isnan(half[r, c]):
                    text += f"\n\u00b1{100 * half[r, c]:.1f}" if share else f"\n\u00b1{half[r, c]:.2g}"
                red, green, blue, _ = cmap(image.norm(scale * value))
                ink = "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.5 else "white"
                ax.text(c, r, text, ha="center", va="center", fontsize=12, color=ink)
    for axis, levels, setter in ((ax.xaxis, xs, ax.set_xticks), (ax.yaxis, ys, ax.set_yticks)):
        step = -(-len(levels) // MAX_TICKS)
        setter(range(0, len(levels), step), [_level(v) for v in levels[::step]])
        axis.set_tick_params(length=0)
    ax.set_xlabel(short(a.path))
    ax.set_ylabel(short(b.path))
    what = label(metric)
    if np.isnan(means).all():
        title = f"{what}: no cell has a value"
    else:
        def where(cell: tuple[int, ...], names: bool) -> str:
            """The levels of an extreme cell, or how many cells share the extreme."""
            ties = int(np.sum(means == means[cell]))
            if ties > 1:
                return f"in {ties} cells"
            if names:
                return f"{short(a.path)} {_level(xs[cell[1]])}, {short(b.path)} {_level(ys[cell[0]])}"
            return f"{_level(xs[cell[1]])}, {_level(ys[cell[0]])}"

        lo = np.unravel_index(np.nanargmin(means), means.shape)
        hi = np.unravel_index(np.nanargmax(means), means.shape)
        title = (f"{what} ranges from {_amount(means[lo], metric)} ({where(lo, True)}) to "
                 f"{_amount(means[hi], metric)} ({where(hi, int(np.sum(means == means[lo])) > 1)})")
    ax.set_title(_wrap(title))
    if np.isnan(half).all():
        ci = " No cell has two replicates with a value: no CI."
    elif means.size <= HEATMAP_ANNOTATED_CELLS:
        ci = f" Cells: mean and 95% CI half-width (t over replicates{', percentage points' if share else ''})."
    else:
        ci = f" Largest 95% CI half-width of a cell (t over replicates): {_change(float(np.nanmax(half)), metric)}."
    return _save(fig, path, _sweep_note(data) + ci)


def _label_points(ax: plt.Axes, xs: np.ndarray, ys: np.ndarray, names: list[str], fontsize: int = 12) -> None:
    """Label each point beside it, moving a label up or down where it would cover one placed before
    (a greedy placement in display space, after the axis limits are set)."""
    ax.figure.canvas.draw()  # settles the layout, so data-to-pixel transforms hold
    scale = ax.figure.dpi / 72  # pixels per point
    height, placed = 1.3 * fontsize * scale, []
    for x, y, name in sorted(zip(xs, ys, names, strict=True), key=lambda t: (-t[1], t[0])):
        px, py = ax.transData.transform((x, y))
        width = 0.62 * fontsize * len(name) * scale
        for dy in (6, -6 - 1.3 * fontsize, 6 + 1.3 * fontsize, -6 - 2.6 * fontsize, 6 + 2.6 * fontsize):
            box = (px + 8 * scale, py + dy * scale, width, height)
            if not any(abs(box[0] - b[0]) < max(box[2], b[2]) and abs(box[1] - b[1]) < height for b in placed):
                break
        placed.append(box)
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(8, dy), fontsize=fontsize)
