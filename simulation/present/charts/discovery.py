"""The charts of a scenario discovery (ipsim discover): PRIM's peeling trajectory and the chosen box's limits."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from simulation.analysis.discovery import Discovery, Levels, Range
from simulation.present.charts.style import BLUE, GREY, OTHER, draw_into, save, subplots, wrap
from simulation.present.words import (
    limit_range,
    outcome_amount,
    outcome_label,
    parameter_label,
    question_words,
)

CHARTS = ("trajectory", "box_limits")
"""The charts' file names (without .png), in the order they are drawn."""


def discovery_charts(folder: Path, d: Discovery) -> list[Path]:
    """Draw the peeling trajectory and the chosen box's limits into ``folder``; return their paths."""
    return draw_into(folder, {"trajectory": lambda path: trajectory_chart(path, d),
                              "box_limits": lambda path: limits_chart(path, d)})


def _note(d: Discovery) -> str:
    q = d.question
    return (f"Sweep {d.spec.name}: {d.points} design points with a value, each the mean over "
            f"{d.spec.replicates} replicates; cases: {outcome_label(q)} {q.side} {outcome_amount(q, q.threshold)} "
            f"({d.cases} points). PRIM (EMA Workbench) with its default peeling.")


def trajectory_chart(path: Path, d: Discovery) -> Path:
    """Coverage against density of every box on PRIM's peeling trajectory (dots joined by a line), coloured by how
    many parameters it restricts; the boxes made by dropping limits that may be chance from the box picked (diamonds,
    joined to it by a dashed line); the box reported ringed, and the least coverage the pick needed dashed."""
    fig, ax = subplots()
    most = max(s.restricted for s in d.trajectory)
    colours = ListedColormap(matplotlib.colormaps["viridis"](np.linspace(0, 0.9, most + 1)))
    norm = BoundaryNorm(np.arange(-0.5, most + 1.5), colours.N)
    peeled = [s for s in d.trajectory if not s.dropped]
    dropped = [d.picked, *(s for s in d.trajectory if s.dropped)]
    for steps, marker, style in ((peeled, "o", "-"), (dropped, "D", "--")):
        coverage, density = [s.coverage for s in steps], [s.density for s in steps]
        ax.plot(coverage, density, color=OTHER, linewidth=1.2, linestyle=style, zorder=1)
        ax.scatter(coverage, density, c=[s.restricted for s in steps], cmap=colours, norm=norm, s=50, marker=marker,
                   zorder=2)
    box = d.chosen
    ax.scatter([box.coverage], [box.density], s=360, facecolors="none", edgecolors="black", linewidths=2.2, zorder=3)
    right = box.coverage < 0.8  # the label on the side with room
    ax.annotate(f"box reported: coverage {box.coverage:.0%}, density {box.density:.0%}, "
                f"{box.restricted} restricted", (box.coverage, box.density), textcoords="offset points",
                xytext=(18 if right else -18, -44), ha="left" if right else "right", fontsize=12,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    ax.axvline(d.min_coverage, color=GREY, linestyle="--", linewidth=1.2)
    ax.text(d.min_coverage, 0.5, "least coverage ", color=GREY, fontsize=11, rotation=90, ha="right", va="center",
            transform=ax.get_xaxis_transform())
    lowest = min(min(s.coverage for s in d.trajectory), d.min_coverage)
    ax.set(xlim=(lowest - 0.08, 1.03), ylim=(0, 1.05), xlabel="Coverage: share of the cases inside the box",
           ylabel="Density: share of the box's points that are cases")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    handles = [Line2D([], [], marker="o", linestyle="", color=colours(norm(k)), label=str(k)) for k in range(most + 1)]
    if len(dropped) > 1:
        handles.append(Line2D([], [], marker="D", linestyle="--", color=GREY, label="limits dropped"))
    ax.legend(handles=handles, title="Parameters restricted", loc="lower center", ncols=min(len(handles), 8),
              fontsize=11, columnspacing=1.0, handletextpad=0.3)
    ax.set_title(wrap(f"{question_words(d.question)} The box reported holds {box.coverage:.0%} of the cases at a "
                      f"density of {box.density:.0%} (the whole sweep: {d.cases / d.points:.0%})"))
    return save(fig, path, _note(d) + " Dots: PRIM's peeling trajectory, from the whole sweep (coverage 100%, "
                                      "bottom right) to the smallest box; diamonds: the box picked on it with its "
                                      "limits that may be chance dropped one by one.")


def limits_chart(path: Path, d: Discovery) -> Path:
    """Each restricted parameter's range in the chosen box (coloured) within the range the sweep covered (grey), in
    the parameter's own units; for a bool or categorical parameter, its levels, those kept coloured."""
    rows = list(reversed(d.limits))  # the first parameter at the top
    fig, ax = subplots(figsize=(12.0, max(4.2, 2.6 + 1.0 * len(rows))))
    for y, lim in enumerate(rows):
        ax.barh(y, 1.0, left=0.0, height=0.5, color=OTHER)
        if isinstance(lim, Range):
            width = lim.full_high - lim.full_low
            start, end = (lim.low - lim.full_low) / width, (lim.high - lim.full_low) / width
            ax.barh(y, max(end - start, 0.004), left=start, height=0.5, color=BLUE)
            ax.text(0.0, y - 0.42, f"{lim.full_low:.3g}", ha="left", va="center", fontsize=11, color=GREY)
            ax.text(1.0, y - 0.42, f"{lim.full_high:.3g}", ha="right", va="center", fontsize=11, color=GREY)
            ax.text((start + end) / 2, y + 0.4, limit_range(lim), ha="center", va="center", fontsize=12, color=BLUE)
        else:
            _levels(ax, y, lim)
    ax.set_yticks(range(len(rows)), [wrap(parameter_label(lim.parameter)) for lim in rows])
    ax.set(xlim=(-0.02, 1.02), ylim=(-0.8, len(rows) - 0.3), xticks=[])
    ax.spines["bottom"].set_visible(False)
    ax.set_title(wrap(f"{question_words(d.question)} Mainly in this box: {d.chosen.coverage:.0%} of the cases, "
                      f"density {d.chosen.density:.0%}"))
    if not rows:
        ax.text(0.5, 0.0, "No box stands out: no parameter restricted", ha="center", va="center", fontsize=14)
        ax.set_yticks([])
    return save(fig, path, _note(d) + " Grey: the range the sweep covered; blue: the box's limits (the parameters "
                                      "not shown are not restricted).")


def _levels(ax: Axes, y: int, lim: Levels) -> None:
    """A bool or categorical parameter's levels side by side along its bar, those the box keeps coloured."""
    width = 1.0 / len(lim.swept)
    for k, level in enumerate(lim.swept):
        kept = level in lim.kept
        ax.barh(y, width * 0.96, left=k * width, height=0.5, color=BLUE if kept else OTHER)
        ax.text((k + 0.5) * width, y, level, ha="center", va="center", fontsize=12, color="white" if kept else "black")
