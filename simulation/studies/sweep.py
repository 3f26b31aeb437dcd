"""``ipsim sweep`` and ``ipsim analyze``: a sweep spec's design run into a resumable sweep folder, then analysed.

Running goes through execution.sweeps (chunked, streamed, resumable, on any executor), which keeps of each
run the per-run metrics this module injects (analysis.metrics.replicate_metrics). The analysis returns
indices; this module writes sensitivity.csv, draws the charts and words the summary.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

from simulation.analysis import metrics, sensitivity
from simulation.analysis.sensitivity import Analysis
from simulation.execution import designs, limits, sweeps
from simulation.execution.folders import cell, write_text_atomically
from simulation.inputs.specs import Sweep
from simulation.present import words
from simulation.present.charts import sweep as sweep_charts

SENSITIVITY = "sensitivity.csv"
SENSITIVITY_COLUMNS = ["metric", "parameter", "index", "value", "ci_low", "ci_high"]


def create(loaded: Sweep, out: Path, slots: int, chunk_size: int | None, spec_file: str, command: Sequence[str],
           label: str = "sweep", allow_large: bool = False) -> tuple[Path, sweeps.Plan]:
    """A new sweep folder for a validated spec, cut into chunks (by default about 16 per slot); a LimitError
    before anything is drawn if the design is larger than the caps (execution.limits) allow."""
    limits.check_design(loaded.spec.points, loaded.spec.replicates, allow_large)
    chunk = chunk_size or sweeps.auto_chunk_size(loaded.spec.runs, slots)
    plan = sweeps.Plan(loaded, designs.design(loaded.spec), chunk)
    return sweeps.create(out, plan, spec_file, list(command), label=label), plan


def execute(folder: Path, plan: sweeps.Plan, executor: Executor, slots: int,
            progress: Callable[[int], None] | None = None, command: str = "sweep") -> sweeps.Status:
    """Run every run the folder is missing (see execution.sweeps.execute)."""
    return sweeps.execute(folder, plan, executor, slots, metrics.replicate_metrics, progress, command)


@dataclass(frozen=True)
class SweepAnalysis:
    """What ``analyze`` wrote and found."""

    analysis: Analysis
    charts: list[Path]
    text: str
    """The summary printed to the terminal."""


def analyze(folder: Path) -> SweepAnalysis:
    """Write sensitivity.csv and the sweep's charts into a finished sweep folder; SweepError if it is not one."""
    found = sensitivity.analyze(folder, record=True)
    _write_indices(folder / SENSITIVITY, found.rows)
    drawn = sweep_charts.sensitivity_charts(folder / "charts", found.data, found.rows)
    return SweepAnalysis(found, drawn, words.sensitivity_report(found, folder, len(drawn)))


def _write_indices(path: Path, rows: list[dict]) -> None:
    """sensitivity.csv, written atomically."""
    text = io.StringIO()
    out = csv.writer(text, lineterminator="\n")
    out.writerow(SENSITIVITY_COLUMNS)
    for row in rows:
        out.writerow([cell(row[c]) for c in SENSITIVITY_COLUMNS])
    write_text_atomically(path, text.getvalue())
