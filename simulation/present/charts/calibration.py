"""The charts of a calibration (ipsim calibrate): prior against posterior, and the fit to the targets."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import matplotlib
import numpy as np

from simulation.analysis import stats
from simulation.analysis.calibration import Posterior
from simulation.present.charts.style import (
    BLUE,
    ORANGE,
    OTHER,
    draw_into,
    label,
    one_line,
    panels,
    save,
    wrap,
)


def calibration(folder: Path, post: Posterior) -> list[Path]:
    """The calibration's charts: each free parameter's prior and posterior, and each target's fit."""
    return draw_into(folder, {"posterior": partial(calibration_posterior, post=post),
                              "fit": partial(calibration_fit, post=post)})




def calibration_posterior(path: Path, post: Posterior) -> Path:
    spec = post.spec
    fig, axes = panels(len(spec.parameters))
    for j, (p, ax) in enumerate(zip(spec.parameters, axes, strict=False)):
        bins = np.linspace(p.range[0], p.range[1], 13)
        ax.hist(post.values[:, j], bins=bins, color=OTHER, label="prior draws")
        ax.hist(post.values[post.accepted, j], bins=bins, color=BLUE, label="accepted (posterior)")
        median = float(np.median(post.values[post.accepted, j]))
        ax.axvline(median, color=ORANGE, lw=2.5, label=f"posterior median {median:.3g}")
        ax.set_xlabel(wrap(p.path.replace(".", ": ", 1).replace("_", " ")), fontsize=12)
        ax.set_ylabel("Number of prior draws")
        ax.legend(fontsize=9, loc="upper right")
    kept = int(post.accepted.sum())
    fig.suptitle(wrap(f"Free parameters: the {kept} accepted of {len(post.accepted)} prior draws (blue) "
                       "show which values reproduce the observations"), fontsize=16)
    return save(fig, path, f"ABC rejection with the observations' binomial error as kernel; {spec.replicates} "
                            f"replicates per draw, {spec.window_weeks}-week window, seed {spec.seed}.")




def calibration_fit(path: Path, post: Posterior) -> Path:
    spec = post.spec
    fig, axes = panels(len(spec.targets))
    for j, (t, ax) in enumerate(zip(spec.targets, axes, strict=False)):
        low, high = stats.binomial_ci(t.successes, t.trials)
        sim = post.simulated[:, j]
        bins = np.linspace(0, 1, 41)
        ax.axvspan(low, high, color=ORANGE, alpha=0.15, label="observed, exact 95% CI")
        ax.hist(sim[~np.isnan(sim)], bins=bins, color=OTHER, label="all prior draws")
        kept = sim[post.accepted]
        ax.hist(kept[~np.isnan(kept)], bins=bins, color=BLUE, label="accepted draws")
        ax.axvline(t.share, color=ORANGE, lw=2.5, label=f"observed {t.successes}/{t.trials} [{one_line(t.source)}]")
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
        ax.set_xlabel(f"{label(t.metric)} (mean over replicates)", fontsize=12)
        ax.set_ylabel("Number of prior draws")
        ax.legend(fontsize=9, loc="upper right")
    fig.suptitle(wrap("The accepted draws reproduce the observed shares within their sampling uncertainty"),
                 fontsize=16)
    return save(fig, path, f"Each draw's value is the mean over its {spec.replicates} replicates; "
                            f"{spec.window_weeks}-week window for the cohort share.")
