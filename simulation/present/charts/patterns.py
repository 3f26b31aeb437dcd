"""The charts of the pattern checks (ipsim check-patterns): the service maturing, and team structure."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.axes import Axes

from simulation.analysis.patterns import Evidence, Result
from simulation.analysis.stats import Interval
from simulation.present.charts.style import (
    BLUE,
    ORANGE,
    TOL_MUTED,
    draw_into,
    label,
    save,
    subplots,
    wrap,
)


def patterns(folder: Path, results: Sequence[Result], evidence: Evidence) -> list[Path]:
    """The pattern report's charts: how quitting unfolds over tenure, the service maturing, and team structure."""
    return draw_into(folder, {"quitting": partial(quitting, evidence=evidence),
                              "maturation": partial(maturation, evidence=evidence),
                              "structure": partial(structure, evidence=evidence)})


def _bars(ax: Axes, labels: list[str], values: Sequence[Interval], colour: str) -> None:
    means = np.array([v["mean"] or 0.0 for v in values])
    err = np.array([[v["mean"] - v["ci_low"], v["ci_high"] - v["mean"]] if v["ci_low"] is not None else [0, 0]
                    for v in values]).T
    ax.bar(labels, means, color=colour, yerr=err, capsize=6, error_kw={"lw": 1.5})


def quitting(path: Path, evidence: Evidence) -> Path:
    """Gradual decisions by year of tenure (left) and the average specialist's resources used up (right)."""
    fig, (left, right) = subplots(1, 2, figsize=(13, 6.2))
    _bars(left, [f"year {y + 1} in post" for y in range(len(evidence.gradual_by_tenure))],
          evidence.gradual_by_tenure, ORANGE)
    left.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    left.set_ylabel("Gradual decisions to quit per ES-year at risk")
    weeks, mean, low, high = evidence.depletion
    right.fill_between(weeks, 100 * low, 100 * high, color=BLUE, alpha=0.25, label="95% CI")
    right.plot(weeks, 100 * mean, color=BLUE, lw=2.5, label="mean over specialists in post")
    right.set(xlabel="Week of the service, started from nothing (every ES new)",
              ylabel="Personal resources used up (%)", ylim=(0, 100))
    right.legend(loc="upper right")
    one, two = (h["mean"] or 0.0 for h in evidence.gradual_by_tenure)
    share = f"{two / one:.0%} of" if one else "no first-year hazard to compare with"
    fig.suptitle(wrap(f"Worn down slowly: the second year in post brings {share} the first year's gradual "
                      "decisions to quit"), fontsize=16)
    return save(fig, path, f"{evidence.scenario_name}: {evidence.replicates} replicates. Left: gradual decisions "
                "(not shock-led, not ordinary exits) per ES-year spent at that tenure, 95% CI. Right: strain as a "
                "share of each specialist's threshold.")


def maturation(path: Path, evidence: Evidence) -> Path:
    fig, (left, right) = subplots(1, 2, figsize=(13, 6.2))
    first = sorted(evidence.parts, key=lambda part: part != "health_team_integration")  # drawn under the others
    for i, part in enumerate(first):
        band = evidence.parts[part]
        weeks, mean, low, high = band
        colour = TOL_MUTED[i % len(TOL_MUTED)]
        left.fill_between(weeks, low, high, color=colour, alpha=0.15, linewidth=0)
        left.plot(weeks, mean, color=colour, lw=3 if part == "health_team_integration" else 2,
                  linestyle="-" if part == "health_team_integration" else "--", label=label(part))
    left.set_ylim(0, 1)
    left.set_xlabel("Week of observation")
    left.set_ylabel("Readiness part, mean over sites (0-1)")
    left.legend(loc="upper left", fontsize=11)
    years = [f"year {y + 1}" for y in range(len(evidence.hazard_by_year))]
    _bars(right, years, evidence.hazard_by_year, ORANGE)
    right.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    right.set_ylabel("Decisions to quit per ES-year")
    right.set_xlabel("Year observed")
    mean = evidence.readiness.mean
    rises = mean[-1] > mean[0]
    integration = evidence.parts["health_team_integration"].mean[-1]
    others = np.mean([b.mean[-1] for p, b in evidence.parts.items() if p != "health_team_integration"])
    fig.suptitle(wrap(f"Readiness {'rises' if rises else 'does not rise'} as the service matures, health-team "
                      f"integration {'lagging' if integration < others else 'not lagging'} the other parts; "
                      "decisions to quit by year observed (bars, 95% CI)"), fontsize=16)
    return save(fig, path, f"{evidence.scenario_name}: {evidence.replicates} replicates. Decisions to quit include "
                "shock-led ones, contracts not renewed and ordinary exits.")


def structure(path: Path, evidence: Evidence) -> Path:
    fig, ax = subplots(figsize=(11, 5.6))
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
    return save(fig, path, "Same sites and settings; only how the positions are grouped differs.")
