"""The charts of a sweep (ipsim analyze): sensitivity indices, response curves and heatmaps."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

from simulation.analysis import stats
from simulation.analysis.sensitivity import SweepData, numeric
from simulation.present.charts.style import (
    BLUE,
    GREY,
    ORANGE,
    OTHER,
    STYLE,
    bar_size,
    label,
    label_points,
    save,
    subplots,
    wrap,
)

SHARE_METRICS = {"annual_turnover", "avoidable_turnover", "ordinary_turnover", "study_cohort_left_share",
                 "cohort_left_share", "retention_12m", "shock_share", "ordinary_share", "gradual_decisions_after_26w"}
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


def _sweep_note(data: SweepData) -> str:
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


HEATMAP_ANNOTATED_CELLS = 144
"""A heatmap writes each cell's value and CI only up to this many cells (a presentation choice)."""
MAX_TICKS = 12
"""At most this many labelled levels on a heatmap axis (a presentation choice)."""
DENSE_DOTS = 500
"""Below this many runs a response chart draws its dots larger and darker (a presentation choice)."""


def sensitivity_charts(folder: Path, data: SweepData, rows: Sequence[dict]) -> list[Path]:
    """A sweep's charts for each metric that has values: its indices (sobol and morris designs), its
    response to each parameter, and for a grid over two parameters a heatmap.

    ``rows`` are the index rows of sensitivity.csv.
    """
    folder.mkdir(parents=True, exist_ok=True)
    spec = data.spec
    drawn = []
    with matplotlib.rc_context(STYLE):
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


def sobol_chart(path: Path, metric: str, rows: Sequence[dict], data: SweepData) -> Path:
    """First-order and total Sobol indices per parameter with their 95% CIs, the largest total at the top."""
    get = {(r["parameter"], r["index"]): r for r in rows}
    short = short_labels([p.path for p in data.spec.parameters]).__getitem__
    params = sorted((r["parameter"] for r in rows if r["index"] == "ST"), key=lambda p: (get[(p, "ST")]["value"], p))
    fig, ax = subplots(figsize=bar_size(2 * len(params)))
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
    ax.set_title(wrap(title))
    return save(fig, path, _sweep_note(data) + " Sobol indices (SALib, Saltelli sampling) of each point's mean over "
                 "its replicates; bars: 95% bootstrap CIs. Replicate noise left in the means adds to every total "
                 "index, not to the first-order ones.")


def morris_chart(path: Path, metric: str, rows: Sequence[dict], data: SweepData) -> Path:
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
    fig, ax = subplots(figsize=(11, 7))
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
    label_points(ax, mu_star, shown, [short(p) for p in params])
    top = int(np.argmax(mu_star))
    ax.set_title(wrap(f"{short(params[top])} has the largest effect on {what}: moving it across its range "
                       f"changes it by {_change(mu_star[top], metric)} on average"))
    spec = data.spec
    note = (f"Morris elementary effects (SALib) of each point's mean over its replicates: {spec.samples} "
            f"trajectories, {spec.morris_levels} levels. Effects are in units of {what} per unit of a parameter's "
            "range, the unit hypercube the design is drawn in (a range's width, a distribution's 0.5-99.5% "
            "quantile span, a level list). Bars: 95% bootstrap CI of mu*. Above the dotted line the effects change "
            "size or sign across the space (non-linear or interacting). Replicate noise adds to mu* and sigma.")
    if np.isnan(sigma).any():
        note += " One trajectory: no sigma (drawn at 0)."
    return save(fig, path, _sweep_note(data) + " " + note)


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
            half = stats.mean_of_means_half(sd[valid], count[valid])
        else:
            half = float(stats.t_half(means[valid].std(ddof=1), m))
        half = 0.0 if np.isnan(half) else half
        centre.append(x[valid].mean())
        mid.append(value)
        low.append(value - half)
        high.append(value + half)
    return np.array(centre), np.array(mid), np.array(low), np.array(high)


def response_chart(path: Path, metric: str, j: int, data: SweepData) -> Path:
    """One panel per parameter: every run (or a bounded subset) as a faint dot, and the mean response with its
    95% CI per value of the parameter (quantile bins when it takes many values)."""
    spec = data.spec
    short = short_labels([p.path for p in spec.parameters]).__getitem__
    held = spec.design == "grid"
    n = len(spec.parameters)
    cols = 2 if n == 4 else min(n, 3)
    rows_ = -(-n // cols)
    fig, axes = subplots(rows_, cols, figsize=(5.4 * cols, 4.3 * rows_ + 1.8), squeeze=False, sharey=True)
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
        ax.set_xlabel(wrap(short(p.path)), fontsize=13)
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
    fig.suptitle(wrap(title), fontsize=STYLE["axes.titlesize"])
    dots = "a fixed subset of the runs" if len(ids) < int(count.sum()) else "runs"
    band = ("from the replicates' spread (Welch-Satterthwaite t), the other parameters held at their grid levels"
            if held else "(t over the design points, or a single point's replicates), the other parameters "
            "varying as the design draws them")
    return save(fig, path, _sweep_note(data) + f" Dots: {dots} (jittered sideways where a parameter takes few "
                 f"values). Line: mean of the design points' means at each value, or in up to {RESPONSE_BINS} "
                 f"quantile bins (a presentation choice) when a parameter takes more than 12 values; band: its 95% CI {band}.")


def heatmap_chart(path: Path, metric: str, j: int, data: SweepData) -> Path:
    """A grid over two parameters: the mean metric in each cell, with its 95% CI over replicates."""
    a, b = data.spec.parameters
    short = short_labels([a.path, b.path]).__getitem__
    xs, ys = a.grid_points(), b.grid_points()
    shape = (len(xs), len(ys))  # sample ids run over b fastest (itertools.product)
    means = data.means[:, j].reshape(shape).T
    half = stats.t_half(data.replicates.sd[:, j], data.replicates.count[:, j]).reshape(shape).T
    share = metric in SHARE_METRICS
    scale = 100 if share else 1
    fig, ax = subplots(figsize=(min(16.0, max(10.0, 3.5 + 0.9 * len(xs))), min(12.0, max(6.5, 2.8 + 0.6 * len(ys)))))
    cmap = matplotlib.colormaps["cividis"].with_extremes(bad=OTHER)
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
    ax.set_title(wrap(title))
    if np.isnan(half).all():
        ci = " No cell has two replicates with a value: no CI."
    elif means.size <= HEATMAP_ANNOTATED_CELLS:
        ci = f" Cells: mean and 95% CI half-width (t over replicates{', percentage points' if share else ''})."
    else:
        ci = f" Largest 95% CI half-width of a cell (t over replicates): {_change(float(np.nanmax(half)), metric)}."
    return save(fig, path, _sweep_note(data) + ci)
