"""The charts of a calibration (ipsim calibrate): prior against posterior, and the fit to the targets."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import matplotlib
import numpy as np

from simulation.analysis import stats
from simulation.analysis.calibration import Posterior, pooled_share
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
    first, medians = post.result.generations[0], post.medians()
    for j, (p, ax) in enumerate(zip(spec.parameters, axes, strict=False)):
        bins = np.linspace(p.range[0], p.range[1], 21)
        ax.hist(first.proposals[:, j], bins=bins, density=True, color=OTHER, label="prior draws (generation 0)")
        ax.hist(post.particles[:, j], bins=bins, weights=post.weights, density=True, color=BLUE, alpha=0.85,
                label="posterior (weighted particles)")
        median = medians[j]
        ax.axvline(median, color=ORANGE, lw=2.5, label=f"posterior median {median:.3g}")
        ax.set_xlabel(wrap(p.path.replace(".", ": ", 1).replace("_", " ")), fontsize=12)
        ax.set_ylabel("Density")
        ax.legend(fontsize=9, loc="upper right")
    fig.suptitle(wrap("Free parameters: where the posterior (blue) is narrower than the prior (grey), the "
                      "observations inform the parameter"), fontsize=16)
    return save(fig, path, f"ABC-SMC, {len(post.result.generations)} generations, {spec.kernel} kernel; "
                           f"{len(post.particles)} particles, {spec.replicates} replicates each, {spec.window_weeks}-"
                           f"week window, seed {spec.seed}.")


def calibration_fit(path: Path, post: Posterior) -> Path:
    spec = post.spec
    fig, axes = panels(len(spec.targets))
    first, final = post.result.generations[0], post.result.posterior
    prior_shares = pooled_share(first.simulated)
    shares = pooled_share(final.simulated[final.accepted])
    for j, (t, ax) in enumerate(zip(spec.targets, axes, strict=False)):
        low, high = stats.binomial_ci(t.successes, t.trials)
        bins = np.linspace(0, 1, 41)
        ax.axvspan(low, high, color=ORANGE, alpha=0.15, label="observed, exact 95% CI")
        sim = prior_shares[:, j]
        ax.hist(sim[~np.isnan(sim)], bins=bins, density=True, color=OTHER, label="prior draws")
        kept = ~np.isnan(shares[:, j])
        ax.hist(shares[kept, j], bins=bins, weights=post.weights[kept], density=True, color=BLUE, alpha=0.85,
                label="posterior particles")
        ax.axvline(t.share, color=ORANGE, lw=2.5, label=f"observed {t.successes}/{t.trials} [{one_line(t.source)}]")
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
        ax.set_xlabel(f"{label(t.metric)} (pooled over replicates)", fontsize=12)
        ax.set_ylabel("Density")
        ax.legend(fontsize=9, loc="upper right")
    fig.suptitle(wrap("The posterior's simulated shares against the observed ones and their sampling uncertainty"),
                 fontsize=16)
    return save(fig, path, f"Each proposal's share is pooled over its {spec.replicates} replicates; "
                           f"{spec.window_weeks}-week window for the cohort share.")
