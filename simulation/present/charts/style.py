"""What every chart shares: the style, the colour-blind-safe palettes, labels, notes and a few drawing helpers.

Factor colours follow the factor, never its rank. Every chart that splits something by draining or nourishing
factor (the run's pressures chart, the comparison's pressures and quit-reasons charts) draws a factor in the one
colour ``FACTOR_COLOURS`` gives it, so a reader who learns "cyan is professional isolation" in one chart can read
it in all of them. The rule:

1. Colours come from Paul Tol's *muted* qualitative palette (``TOL_MUTED``, nine colours). It was chosen over
   Okabe-Ito because it has nine colours rather than eight, none of them black (which the charts keep for the
   net balance and confidence intervals) or a yellow too pale to see on white, and its colours stay distinct
   for the common forms of colour blindness and in greyscale print against black text and lines.
2. No colour-blind-safe palette has 17 distinct colours, so the colours go once, here, from the factor registry
   (``simulation.core.pressures``): the nine draining factors with the largest default weights (registry order
   among equal weights) get the nine colours in registry order; the nourishing factors get the same colours in
   registry order, drawn hatched (``NOURISH_HATCH``), so that a draining and a nourishing factor sharing a hue
   are still told apart by the hatching as well as by the side of zero they are drawn on.
3. A chart names its largest ``TOP_FACTORS`` draining (``TOP_FACTORS - 1`` nourishing) factors among those
   with a colour, largest first, each in its own colour, and lumps the rest, including any factor without a
   colour, as "Other ..." in grey (``OTHER``).
"""

from __future__ import annotations

import os
import textwrap
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from simulation.core import pressures
from simulation.execution.folders import temporary_name
from simulation.present.words import label

STYLE = {
    "figure.figsize": (11, 6.2), "figure.dpi": 110, "font.size": 14, "axes.titlesize": 17,
    "axes.labelsize": 14, "legend.fontsize": 12, "axes.spines.top": False, "axes.spines.right": False,
    "hatch.color": "white", "hatch.linewidth": 1.6,
}
BLUE, ORANGE, GREY = "#0072B2", "#D55E00", "#555555"  # Okabe-Ito: colour-blind safe
SMOOTH_WEEKS = 4
SCENARIO_COLOURS = ["#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
"""Okabe-Ito, reference scenario in black; with line styles cycling as a second cue."""
LINE_STYLES = ["-", "--", "-.", ":"]
OTHER = "#BBBBBB"
"""Grey: what a chart lumps together (the "Other ..." factors, prior draws) or does not single out."""
ORDINARY = "#DDDDDD"
"""Ordinary exits (promotion, moving, retirement), cross-hatched: the turnover no start-up plan changes."""
TOP_FACTORS = 5
"""Stacked charts show the largest few factors and lump the rest together, so colours stay distinguishable."""
TOL_MUTED = ("#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99", "#999933", "#AA4499")
"""Paul Tol's muted qualitative palette: rose, indigo, sand, green, cyan, wine, teal, olive, purple
(https://personal.sron.nl/~pault/; see the module docstring for why)."""
NOURISH_HATCH = "//"
"""Nourishing factors (and "Other nourishing") are hatched: the second cue besides colour."""


def _factor_colours() -> dict[str, str]:
    """The fixed colour of every factor that can be named (the module docstring's rule 2)."""
    by_weight = sorted(pressures.DRAINS, key=lambda f: -f.weight)  # stable: registry order among equal weights
    named = {f.name for f in by_weight[:len(TOL_MUTED)]}
    drains = [f for f in pressures.DRAINS if f.name in named]
    return {**{f.name: c for f, c in zip(drains, TOL_MUTED, strict=False)},
            **{f.name: c for f, c in zip(pressures.NOURISHERS, TOL_MUTED, strict=False)}}


FACTOR_COLOURS: dict[str, str] = _factor_colours()
"""Factor name -> its colour in every chart; a factor missing here is never named, always lumped as "Other"."""
NOURISHING = frozenset(f.name for f in pressures.NOURISHERS)


def factor_colour(name: str) -> str:
    """A factor's colour, the same in every chart whatever its rank there; grey for a factor that is never named."""
    return FACTOR_COLOURS.get(name, OTHER)


def factor_hatch(name: str) -> str | None:
    """A factor's hatching: ``NOURISH_HATCH`` for nourishing factors, None (solid) for draining ones."""
    return NOURISH_HATCH if name in NOURISHING else None


PNG_COMPRESSION = 3
"""zlib level of the charts' PNG files (lossless at any level): at 3, against Pillow's default 6, the five charts
of a run encode in half the time (0.16 s against 0.31 s) for files 5% larger (580 KiB against 553 KiB),
measured on the baseline's charts in 0.5.3."""
TITLE_WIDTH = 72
NOTE_CHARS_PER_INCH = 12
"""How many characters of a 10-point note fit across an inch of figure."""


def one_line(text: str) -> str:
    """Text from an input file (a source, a name) as a chart shows it: line breaks and other control characters
    as spaces."""
    return "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)


def subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float] | None = None,
             **options: bool) -> tuple[Figure, Any]:
    """A figure and its axes, as ``matplotlib.pyplot.subplots`` makes them (``options``: sharex, sharey, squeeze),
    on its own Agg canvas and without pyplot: no global figure list to close or leak from (Matplotlib's advice
    for code that draws in a server, as the app does), and a command that draws charts does not import pyplot
    and its backend machinery (about 0.1 s of ``ipsim run``). The axes are an Axes, or an array of them, as
    ``Figure.subplots`` returns them. The size and resolution follow the rc settings in force (``STYLE`` inside
    ``draw_into``) unless ``figsize`` is given."""
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)  # attaches itself: fig.canvas.draw() lays the figure out, as savefig does
    return fig, fig.subplots(nrows, ncols, **options)


def save(fig: Figure, path: Path, note: str) -> Path:
    """Add the note under the chart and write the PNG."""
    note = one_line(note)
    lines = textwrap.wrap(note, int(fig.get_figwidth() * NOTE_CHARS_PER_INCH))
    fig.text(0.01, 0.01, "\n".join(lines), fontsize=10, color=GREY, ha="left", va="bottom")
    fig.tight_layout(rect=(0, (0.1 + 0.18 * len(lines)) / fig.get_figheight(), 1, 1))
    # Laid out once and for all. tight_layout leaves a placeholder layout engine behind, and savefig first goes
    # through every artist once more for any figure with an engine (a pass that changes nothing here, about a
    # fifth of a chart's time): with none, it draws the figure once. (None is "no engine" unless the rc says
    # otherwise, hence the rc.)
    with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)
    tmp = path.with_name(temporary_name(path.name))  # whole or not at all, as every file ipsim writes
    try:
        fig.savefig(tmp, format="png", pil_kwargs={"compress_level": PNG_COMPRESSION})
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def smooth(x: np.ndarray) -> np.ndarray:
    kernel = np.ones(SMOOTH_WEEKS) / SMOOTH_WEEKS
    return np.convolve(np.pad(x, (SMOOTH_WEEKS - 1, 0), mode="edge"), kernel, mode="valid")


def wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(text, TITLE_WIDTH))


@dataclass(frozen=True)
class Segments:
    """The parts of a stacked chart: one column of ``values`` per segment, with its label, colour and hatching."""

    names: list[str | None]
    """The factor of each segment; None for the lumped "Other ..." segment (last, if any)."""
    labels: list[str]
    values: np.ndarray
    colours: list[str]
    hatches: list[str | None]


def named_factors(names: Sequence[str], values: np.ndarray, k: int, other: str) -> Segments:
    """The stacked segments of factors ``names`` (one column of ``values`` each, one row per bar or week), by the
    module docstring's rule 3: the ``k`` factors with a fixed colour and the largest positive totals, largest
    first, each in its own colour, then the rest summed as ``other`` in grey (left out when it is all zero).

    A factor's colour and hatching never depend on the values: only which factors are named and their order do.
    """
    totals = values.sum(axis=0)
    order = [int(i) for i in np.argsort(-totals, kind="stable")]
    keep = [i for i in order if names[i] in FACTOR_COLOURS and totals[i] > 0][:k]
    rest = [i for i in order if i not in keep]
    chosen: list[str | None] = [names[i] for i in keep]
    columns = [values[:, i] for i in keep]
    if rest and values[:, rest].sum() > 0:
        chosen.append(None)
        columns.append(values[:, rest].sum(axis=1))
    nourishing = any(n in NOURISHING for n in names)
    other_hatch = NOURISH_HATCH if nourishing else None
    return Segments(chosen, [other if n is None else label(n) for n in chosen],
                    np.column_stack(columns) if columns else np.zeros((values.shape[0], 0)),
                    [OTHER if n is None else factor_colour(n) for n in chosen],
                    [other_hatch if n is None else factor_hatch(n) for n in chosen])


def stack(ax: Axes, segments: Segments, sign: float = 1.0, height: float = 0.65,
          offset: float = 0.0) -> None:
    """Horizontal bars stacked segment by segment, one bar per row of ``segments.values`` (at y = row + offset),
    each segment in its factor's colour and hatching."""
    left = np.zeros(segments.values.shape[0])
    y = np.arange(segments.values.shape[0]) + offset
    for column, text, colour, hatch in zip(segments.values.T, segments.labels, segments.colours, segments.hatches,
                                           strict=True):
        ax.barh(y, sign * column, left=sign * left, height=height, color=colour, label=text, hatch=hatch,
                edgecolor="white" if hatch else colour, linewidth=0)
        left += column


def panels(n: int) -> tuple[Figure, np.ndarray]:
    cols = 2 if n == 4 else min(n, 3)
    rows = -(-n // cols)
    # at least 10 inches wide, so that a one-panel figure still holds its wrapped title
    fig, axes = subplots(rows, cols, figsize=(max(10.0, 5.2 * cols), 4.4 * rows + 1.2), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def label_points(ax: Axes, xs: np.ndarray, ys: np.ndarray, names: list[str], fontsize: int = 12) -> None:
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


def draw_into(folder: Path, charts: dict[str, Callable[[Path], Path]]) -> list[Path]:
    """Draw each chart to ``folder/<name>.png`` in the house style (STYLE) and return the paths, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(STYLE):
        return [draw(folder / f"{name}.png") for name, draw in charts.items()]
