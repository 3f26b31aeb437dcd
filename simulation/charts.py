"""PNG charts of one run for a lay audience: titles state the finding, uncertainty is shown."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from simulation import metrics, pressures
from simulation.model import RunRecord
from simulation.scenario import Scenario

STYLE = {
    "figure.figsize": (11, 6.2), "figure.dpi": 110, "font.size": 14, "axes.titlesize": 17,
    "axes.labelsize": 14, "legend.fontsize": 11, "axes.spines.top": False, "axes.spines.right": False,
}
BLUE, ORANGE, GREY = "#0072B2", "#D55E00", "#555555"  # Okabe-Ito: colour-blind safe
SMOOTH_WEEKS = 4


def label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def draw_all(folder: Path, records: Sequence[RunRecord], scenario: Scenario, summary: dict) -> list[Path]:
    """Write every chart of a run into ``folder`` and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(STYLE):
        return [
            retention(folder / "retention.png", records, scenario, summary),
            pressure_balance(folder / "pressures.png", records, scenario),
            staffing(folder / "staffing.png", records, scenario, summary),
            quit_reasons(folder / "quit_reasons.png", records, summary),
        ]


def _save(fig: plt.Figure, path: Path, note: str) -> Path:
    fig.text(0.01, 0.01, note, fontsize=10, color=GREY, ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path)
    plt.close(fig)
    return path


def _note(scenario: Scenario, records: Sequence[RunRecord]) -> str:
    return f"Scenario '{scenario.name}', {len(records)} simulated replicates; shaded: 95% confidence interval."


def retention(path: Path, records: Sequence[RunRecord], scenario: Scenario, summary: dict) -> Path:
    weeks, mean, low, high = metrics.retention_band(records, scenario.weeks)
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
    """Butenko et al.'s process figure made quantitative: drain stacked up, nourishment down."""
    weeks = metrics.column(records[0], "week")
    drains = [_smooth(metrics.weekly_band(records, f"drain_{f.name}")[1]) for f in pressures.DRAINS]
    nourish = [_smooth(metrics.weekly_band(records, f"nourish_{f.name}")[1]) for f in pressures.NOURISHERS]
    net = np.sum(drains, axis=0) - np.sum(nourish, axis=0)
    fig, ax = plt.subplots(figsize=(13, 7))
    warm = plt.get_cmap("YlOrRd")(np.linspace(0.3, 0.95, len(drains)))
    cool = plt.get_cmap("GnBu")(np.linspace(0.35, 0.95, len(nourish)))
    ax.stackplot(weeks, drains, colors=warm, labels=[label(f.name) for f in pressures.DRAINS], linewidth=0)
    ax.stackplot(weeks, [-x for x in nourish], colors=cool, labels=[label(f.name) for f in pressures.NOURISHERS],
                 linewidth=0)
    ax.plot(weeks, net, color="black", linewidth=2.5, label="Net (drain minus nourishment)")
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
    ax.axhline(scenario.positions, color=GREY, linestyle="--", linewidth=1.5, label=f"Positions ({scenario.positions})")
    vac = summary["vacancy_weeks_per_position_year"]["mean"]
    turnover = summary["annual_turnover"]["mean"]
    title = (f"{100 * turnover:.0f}% of specialists leave each year; each position stands empty "
             f"{vac:.1f} weeks a year")
    ax.set(title=title, xlabel="Week of the service", ylabel="Positions", ylim=(0, scenario.positions * 1.1))
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
