"""The charts of one scenario's run (ipsim run, and each scenario of a comparison): titles state the finding."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

from simulation.analysis.metrics import Outcome
from simulation.core import pressures
from simulation.present import words
from simulation.present.charts.style import (
    BLUE,
    GREY,
    ORANGE,
    SMOOTH_WEEKS,
    TOP_FACTORS,
    bar_size,
    draw_into,
    label,
    named_factors,
    save,
    smooth,
    subplots,
    wrap,
)


def draw_all(folder: Path, result: Outcome) -> list[Path]:
    """Write every chart of a scenario's run into ``folder`` and return their paths."""
    return draw_into(folder, {
        "retention": partial(retention, result=result), "pressures": partial(pressure_balance, result=result),
        "staffing": partial(staffing, result=result), "quit_reasons": partial(quit_reasons, result=result),
        "sites": partial(sites, result=result),
    })


def _note(result: Outcome) -> str:
    return (f"Scenario '{result.name}', {words.plural(result.replicates, 'simulated replicate')}; "
            f"{words.interval_note(result.replicates, 'shaded')}.")


def retention(path: Path, result: Outcome) -> Path:
    weeks, mean, low, high = result.retention
    summary = result.summary
    fig, ax = subplots()
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
           xlim=(0, summary["weeks"]))
    return save(fig, path, _note(result) + " Kaplan-Meier estimate over all employment spells.")


def pressure_balance(path: Path, result: Outcome) -> Path:
    """Butenko et al.'s process figure made quantitative: drain stacked up, nourishment down, and the net
    balance with its 95% CI. The largest factors are named, each in its fixed colour (style.FACTOR_COLOURS, the
    same in every chart), and the rest lumped in grey."""
    weeks = result.net.x
    drain_names = [f.name for f in pressures.DRAINS]
    nourish_names = [f.name for f in pressures.NOURISHERS]
    drains = np.column_stack([smooth(result.weekly[f.weekly_column].mean) for f in pressures.DRAINS])
    nourish = np.column_stack([smooth(result.weekly[f.weekly_column].mean) for f in pressures.NOURISHERS])
    drain = named_factors(drain_names, drains, TOP_FACTORS, "Other draining")
    nourishing = named_factors(nourish_names, nourish, TOP_FACTORS - 1, "Other nourishing")
    _, net, low, high = (smooth(x) for x in result.net)
    fig, ax = subplots(figsize=(13, 7))
    for segments, sign in ((drain, 1.0), (nourishing, -1.0)):
        if segments.labels:
            ax.stackplot(weeks, sign * segments.values.T, labels=segments.labels, colors=segments.colours,
                         hatch=segments.hatches, edgecolor="white", linewidth=0)
    ax.fill_between(weeks, low, high, color="black", alpha=0.3, linewidth=0)
    ax.plot(weeks, net, color="black", linewidth=2.5,
            label="Net: drain minus nourishment" + (" (95% CI)" if result.replicates > 1 else ""))
    ax.axhline(0, color=GREY, linewidth=1)
    above = np.flatnonzero(net > 0)
    if net[0] > 0 and above[-1] < len(net) - 1:  # net > 0 until the last week above zero (seminar dips aside)
        title = f"Draining outweighs nourishing until about week {int(weeks[above[-1] + 1])}, then the balance turns"
    elif net.mean() > 0:
        title = "Draining outweighs nourishing throughout"
    else:
        title = "Nourishing outweighs draining for the average specialist"
    ax.set(title=title, xlabel="Week of observation",
           ylabel="Pressure on the average specialist\n(strain units per week)", xlim=(weeks[0], weeks[-1]))
    ax.text(0.01, 0.97, "draining \u2191", transform=ax.transAxes, va="top", color=ORANGE, fontsize=13)
    ax.text(0.01, 0.03, "nourishing \u2193", transform=ax.transAxes, va="bottom", color=BLUE, fontsize=13)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return save(fig, path, f"Scenario '{result.name}', mean of {words.plural(result.replicates, 'replicate')}, "
                 f"{SMOOTH_WEEKS}-week moving average. Effective amounts after buffering (team, leader and health-team "
                 "support absorb part of every demand), negative emotionality and the loss spiral. Hatched: nourishing "
                 "factors; each factor keeps its colour in every chart.")


def staffing(path: Path, result: Outcome) -> Path:
    summary = result.summary
    fig, ax = subplots()
    for name, colour, text in (("headcount", BLUE, "Specialists in post"), ("vacancies", ORANGE, "Vacant positions")):
        weeks, mean, low, high = result.weekly[name]
        ax.fill_between(weeks, low, high, color=colour, alpha=0.25, linewidth=0)
        ax.plot(weeks, mean, color=colour, linewidth=3, label=text)
    positions = summary["positions"]  # after the start-up plan, which may add positions
    ax.axhline(positions, color=GREY, linestyle="--", linewidth=1.5, label=f"Positions ({positions})")
    vac = summary["vacancy_weeks_per_position_year"]["mean"]
    turnover, ordinary = summary["annual_turnover"]["mean"], summary["ordinary_turnover"]["mean"]
    title = (f"{100 * turnover:.0f}% of specialists leave each year ({100 * ordinary:.0f}% for ordinary reasons a "
             f"plan cannot change); each position stands empty {vac:.1f} weeks a year")
    ax.set(title=wrap(title), xlabel="Week of observation", ylabel="Positions", ylim=(0, positions * 1.1))
    ax.legend(loc="center right", frameon=False)
    return save(fig, path, _note(result))


def quit_reasons(path: Path, result: Outcome) -> Path:
    summary = result.summary
    fig, ax = subplots()
    if result.quit_reasons is None:
        ax.set(title="No specialist quit in these runs")
        ax.axis("off")
        return save(fig, path, f"{words.plural(result.replicates, 'replicate')}.")
    cis = [result.quit_reasons[f.name] for f in pressures.DRAINS]
    order = np.argsort([c["mean"] for c in cis])
    names = [label(pressures.DRAINS[i].name) for i in order]
    means = np.array([100 * cis[i]["mean"] for i in order])
    low = np.array([100 * (cis[i]["ci_low"] if cis[i]["ci_low"] is not None else cis[i]["mean"]) for i in order])
    high = np.array([100 * (cis[i]["ci_high"] if cis[i]["ci_high"] is not None else cis[i]["mean"]) for i in order])
    ax.barh(names, means, xerr=[means - low, high - means], color=ORANGE, alpha=0.85, capsize=4)
    shock, ordinary = summary["shock_share"]["mean"], summary["ordinary_share"]["mean"]
    title = f"Those who quit were worn down most by {names[-1].lower()}"
    ax.set(title=title, xlabel="Share of the drain a leaver had accumulated (%)")
    if shock is not None:
        ax.text(0.98, 0.04, f"{100 * shock:.0f}% of voluntary quits began with a shock\n(work-life conflict, "
                "reorganisation, contract not renewed)", transform=ax.transAxes, ha="right", va="bottom",
                fontsize=12, color=GREY)
    left_out = "" if ordinary is None else (f" The {100 * ordinary:.0f}% of departures that were ordinary exits "
                                            "(promotion, moving, retirement) are left out.")
    return save(fig, path, f"Mean over voluntary quits in {words.plural(result.replicates, 'replicate')}; "
                 f"{words.interval_note(result.replicates, 'bars')}.{left_out}")


def sites(path: Path, result: Outcome) -> Path:
    """Where the specialists leave: each site entry's annual turnover (departures per ES-year at its sites, pooled)
    with its 95% CI, in the scenario's order, against the annual turnover of all sites (dashed)."""
    summary = result.summary
    by_site, entries = summary["turnover_by_site"], list(summary["turnover_by_site"])
    names = [words.site_label(e, summary["site_entries"][e]["sites"], summary["site_entries"][e]["positions"])
             for e in entries]
    levels = [by_site[e] for e in entries]
    mean = np.array([100 * (m["mean"] or 0.0) for m in levels])  # None: nobody worked there in any replicate
    low = np.array([100 * m["ci_low"] if m["ci_low"] is not None else x for m, x in zip(levels, mean, strict=True)])
    high = np.array([100 * m["ci_high"] if m["ci_high"] is not None else x for m, x in zip(levels, mean, strict=True)])
    overall = 100 * (summary["annual_turnover"]["mean"] or 0.0)
    y = np.arange(len(entries))
    fig, ax = subplots(figsize=bar_size(len(entries)))
    ax.barh(y, mean, xerr=[mean - low, high - mean] if result.replicates > 1 else None, height=0.65, capsize=4,
            color=BLUE, alpha=0.85)
    ax.axvline(overall, color=GREY, linestyle="--", linewidth=1.5, label=f"All sites: {overall:.0f}%")
    for i, m in enumerate(levels):
        ax.annotate("nobody worked here" if m["mean"] is None else f"{mean[i]:.0f}%", (high[i], i), xytext=(8, 0),
                    textcoords="offset points", va="center", fontsize=12,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})  # legible across the dashed line
    ax.set_yticks(y, names)
    ax.set_ylim(len(entries) - 0.5, -0.5)
    ax.set_xlim(0, max(high.max(), overall, 1e-9) * 1.25)  # room for the labels
    worked = [i for i, m in enumerate(levels) if m["mean"] is not None]
    top, bottom = max(worked, key=mean.__getitem__, default=0), min(worked, key=mean.__getitem__, default=0)
    if len(worked) < 2:
        title = f"{overall:.0f} in 100 specialists leave {entries[top]} each year"
    else:
        title = (f"Turnover is highest at {entries[top]}, {mean[top]:.0f} in 100 specialists a year, and lowest at "
                 f"{entries[bottom]}, {mean[bottom]:.0f} (all sites: {overall:.0f})")
    ax.set(title=wrap(title), xlabel="Annual turnover (leavers per 100 specialists a year)")
    ax.legend(loc="lower right", frameon=False)
    return save(fig, path, f"Scenario '{result.name}', {words.plural(result.replicates, 'simulated replicate')}; "
                 f"{words.interval_note(result.replicates, 'whiskers')}. Each bar: the departures over the window "
                 "from the entry's sites per ES-year worked there (its sites and ES positions each, after the "
                 "start-up plan); dashed: the annual turnover of all sites, which weighs each entry by its ES-years.")
