"""The charts of the pattern checks (ipsim check-patterns): the service maturing, and team structure."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

from simulation.analysis.patterns import Evidence, Result
from simulation.present.charts.style import (
    BLUE,
    ORANGE,
    draw_into,
    save,
    wrap,
)


def patterns(folder: Path, results: Sequence[Result], evidence: Evidence) -> list[Path]:
    """The pattern report's charts: the service maturing, and team structure."""
    return draw_into(folder, {"maturation": partial(maturation, evidence=evidence),
                              "structure": partial(structure, evidence=evidence)})




def maturation(path: Path, evidence: Evidence) -> Path:
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 6.2))
    weeks, mean, low, high = evidence.readiness
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
    fig.suptitle(wrap(f"Readiness {'rises' if rises else 'does not rise'} as the service matures; "
                       "decisions to quit by service year (bars, 95% CI)"), fontsize=16)
    return save(fig, path, f"{evidence.scenario_name}: {evidence.replicates} replicates. Decisions to quit include shock-led ones and contract ends.")




def structure(path: Path, evidence: Evidence) -> Path:
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
    return save(fig, path, "Same sites and settings; only how the positions are grouped differs.")
