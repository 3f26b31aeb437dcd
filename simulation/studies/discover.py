"""``ipsim discover``: scenario discovery on a finished sweep folder, written into a new folder inside it.

The analysis (analysis.discovery) returns PRIM's trajectory and chosen box; this module writes them as boxes.csv and
trajectory.csv, words them in summary.md, draws the charts and records how it was made in manifest.json, all into
``<sweep folder>/<UTC timestamp>-discovery-<outcome>[-n]``, built under a hidden name and renamed when whole, so an
interruption leaves nothing and an earlier discovery is never overwritten. The CSVs depend only on the sweep folder
and the question: asked again, they are the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from simulation.analysis import discovery
from simulation.analysis.discovery import Discovery, Levels, Question
from simulation.execution import folders
from simulation.execution.sweeps import text as cell_text
from simulation.present import words
from simulation.present.charts import discovery as discovery_charts
from simulation.studies import uncertainty

BOXES, TRAJECTORY, SUMMARY = "boxes.csv", "trajectory.csv", "summary.md"
BOX_COLUMNS = ["box", "coverage", "density", "mass", "points", "cases", "parameter", "low", "high", "full_low",
               "full_high", "levels", "all_levels", "quasi_p"]
"""boxes.csv: one row per parameter the chosen box restricts (in the spec's order), its limits (an ordered
parameter's low and high, within the full range the design took) or kept levels (a bool or categorical parameter's,
separated by ``;``), beside the box's own figures (its step on the trajectory, coverage, density, mass, how many
design points and cases it holds). A box that restricts nothing has no rows."""
TRAJECTORY_COLUMNS = ["box", "coverage", "density", "mass", "points", "cases", "restricted", "dropped", "chosen"]
"""trajectory.csv: one row per box of PRIM's peeling (and pasting) trajectory, the whole design first, then the boxes
made by dropping a limit that may be chance from the box picked on it (``dropped``: that limit's parameter); the box
reported is ``chosen``."""
LEVEL_SEPARATOR = ";"


@dataclass(frozen=True)
class DiscoverResult:
    """What ``discover`` wrote and found."""

    folder: Path
    discovery: Discovery
    text: str
    """The summary printed to the terminal."""


def discover(sweep_folder: Path, question: Question, min_coverage: float, command: Sequence[str]) -> DiscoverResult:
    """Run the discovery on a finished sweep folder and write its folder inside it; SweepError if it is no finished
    sweep folder, DiscoveryError if the question does not fit it (both before anything is written). A comparison
    under uncertainty's folder stands for its draws' sweep folder."""
    sweep_folder = uncertainty.draws_folder(sweep_folder)
    found = discovery.discover(sweep_folder, question, min_coverage)
    folders.check_destination(sweep_folder, run_folder=True)
    started = datetime.now(UTC)
    drawn: list[Path] = []

    def fill(tmp: Path) -> None:
        folders.write_text_atomically(tmp / BOXES, boxes_csv(found))
        folders.write_text_atomically(tmp / TRAJECTORY, trajectory_csv(found))
        drawn.extend(discovery_charts.discovery_charts(tmp / "charts", found))
        charts = [f"charts/{p.name}" for p in drawn]
        folders.write_text_atomically(tmp / SUMMARY, words.discovery_markdown(found, sweep_folder, charts))
        folders.write_text_atomically(tmp / "manifest.json", json.dumps(_manifest(found, sweep_folder, command,
                                                                                  started), indent=2) + "\n")

    written = folders.write_atomically(sweep_folder, f"discovery-{_slug(question.outcome)}", started, fill)
    return DiscoverResult(written, found, words.discovery_report(found, written, len(drawn)))


def _slug(text: str) -> str:
    """An outcome's name as part of a folder name: ``baseline/annual_turnover - plan/annual_turnover`` ->
    ``baseline-annual_turnover-minus-plan-annual_turnover``."""
    return re.sub(r"[^A-Za-z0-9_.]+", "-", text.replace(" - ", "-minus-")).strip("-.")[:120]


def _csv(columns: list[str], rows: list[list[object]]) -> str:
    """A CSV file's text, its cells as results.csv writes them (floats to 10 significant digits, true/false)."""
    text = io.StringIO()
    out = csv.writer(text, lineterminator="\n")
    out.writerow(columns)
    out.writerows([[cell_text(v) for v in row] for row in rows])
    return text.getvalue()


def boxes_csv(d: Discovery) -> str:
    """boxes.csv's text (BOX_COLUMNS)."""
    box = d.chosen
    head = [box.index, box.coverage, box.density, box.mass, box.points, box.cases]
    rows = []
    for lim in d.limits:
        if isinstance(lim, Levels):
            limits = [None, None, None, None, LEVEL_SEPARATOR.join(lim.kept), LEVEL_SEPARATOR.join(lim.swept)]
        else:
            limits = [lim.low, lim.high, lim.full_low, lim.full_high, None, None]
        rows.append([*head, lim.parameter, *limits, lim.quasi_p])
    return _csv(BOX_COLUMNS, rows)


def trajectory_csv(d: Discovery) -> str:
    """trajectory.csv's text (TRAJECTORY_COLUMNS)."""
    return _csv(TRAJECTORY_COLUMNS, [[s.index, s.coverage, s.density, s.mass, s.points, s.cases, s.restricted,
                                      s.dropped, s.index == d.chosen.index] for s in d.trajectory])


def _manifest(d: Discovery, sweep_folder: Path, command: Sequence[str], started: datetime) -> dict[str, object]:
    """What the discovery was asked and with what: enough to ask it again."""
    q = d.question
    return {
        "kind": "discovery",
        "sweep_folder": str(sweep_folder),
        "question": {"metric": q.metric, "minus": q.minus, "side": q.side, "threshold": q.threshold},
        "min_coverage": d.min_coverage,
        "prim": {"implementation": "ema_workbench.analysis.prim", "peel_alpha": discovery.PEEL_ALPHA,
                 "paste_alpha": discovery.PASTE_ALPHA, "mass_min": discovery.MASS_MIN,
                 "significant": discovery.SIGNIFICANT},
        "versions": folders.versions("ema_workbench", "pandas"),
        "command": list(command),
        "created_utc": started.isoformat(timespec="seconds"),
    }
