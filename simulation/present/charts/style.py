"""What every chart shares: the style, the colour-blind-safe palette, labels, notes and a few drawing helpers."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

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




def save(fig: plt.Figure, path: Path, note: str) -> Path:
    lines = textwrap.wrap(note, int(fig.get_figwidth() * NOTE_CHARS_PER_INCH))
    fig.text(0.01, 0.01, "\n".join(lines), fontsize=10, color=GREY, ha="left", va="bottom")
    fig.tight_layout(rect=(0, (0.1 + 0.18 * len(lines)) / fig.get_figheight(), 1, 1))
    fig.savefig(path)
    plt.close(fig)
    return path




def smooth(x: np.ndarray) -> np.ndarray:
    kernel = np.ones(SMOOTH_WEEKS) / SMOOTH_WEEKS
    return np.convolve(np.pad(x, (SMOOTH_WEEKS - 1, 0), mode="edge"), kernel, mode="valid")




def wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(text, TITLE_WIDTH))




def largest(names: list[str], values: np.ndarray, k: int, other: str) -> tuple[list[str], np.ndarray]:
    """The ``k`` columns with the largest totals, largest first, and the rest summed as ``other``."""
    order = np.argsort(-values.sum(axis=0), kind="stable")
    keep, rest = order[:k], order[k:]
    labels = [label(names[i]) for i in keep]
    columns = [values[:, i] for i in keep]
    if rest.size:
        labels.append(other)
        columns.append(values[:, rest].sum(axis=1))
    return labels, np.column_stack(columns)




def stack(ax: plt.Axes, values: np.ndarray, labels: list[str], colours: Sequence, sign: float = 1.0) -> None:
    """Horizontal bars stacked segment by segment, one bar per row of ``values``."""
    left = np.zeros(values.shape[0])
    for column, text, colour in zip(values.T, labels, colours, strict=True):
        ax.barh(np.arange(values.shape[0]), sign * column, left=sign * left, height=0.65, color=colour, label=text)
        left += column




def panels(n: int) -> tuple[plt.Figure, np.ndarray]:
    cols = 2 if n == 4 else min(n, 3)
    rows = -(-n // cols)
    # at least 10 inches wide, so that a one-panel figure still holds its wrapped title
    fig, axes = plt.subplots(rows, cols, figsize=(max(10.0, 5.2 * cols), 4.4 * rows + 1.2), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat




def label_points(ax: plt.Axes, xs: np.ndarray, ys: np.ndarray, names: list[str], fontsize: int = 12) -> None:
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


def bar_size(n: int) -> tuple[float, float]:
    """A figure tall enough for ``n`` labelled horizontal bars."""
    return 12.0, max(5.5, 2.4 + 0.55 * n)
