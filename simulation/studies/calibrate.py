"""``ipsim calibrate``: a calibration spec's prior draws run as a sweep, weighed and accepted (ABC rejection),
then written as the accepted set, a calibrated scenario, a summary and charts."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulation.analysis import calibration
from simulation.analysis.calibration import Posterior
from simulation.execution import sweeps
from simulation.execution.folders import cell, write_text_atomically
from simulation.inputs.specs import Calibration
from simulation.present import words
from simulation.present.charts import calibration as calibration_charts


def _write_csv(path: Path, rows: Iterable[Sequence[object]]) -> None:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    write_text_atomically(path, text.getvalue())


def keep_spec(folder: Path, cal: Calibration) -> None:
    """Keep the calibration spec in its sweep folder, so the folder can be finished on its own."""
    write_text_atomically(folder / calibration.CALIBRATION, json.dumps(cal.spec.model_dump(mode="json"), indent=2) + "\n")


@dataclass(frozen=True)
class CalibrationResult:
    posterior: Posterior
    summary: dict
    """summary.json."""
    text: str
    """summary.md."""


def finish(folder: Path) -> CalibrationResult:
    """Weigh a finished calibration folder's draws and write samples.csv, posterior.csv, calibrated.yaml,
    summary.json, summary.md and the calibration charts."""
    manifest = sweeps.read_manifest(folder)
    post = calibration.posterior(folder)
    spec = post.spec
    paths = [p.path for p in spec.parameters]
    samples = [["sample_id", *paths, *(f"{t.metric}_mean" for t in spec.targets), "weight", "accepted"]]
    for i, (row, sim) in enumerate(zip(post.values, post.simulated, strict=True)):
        samples.append([i, *(cell(float(v)) for v in row), *(cell(None if math.isnan(v) else float(v)) for v in sim),
                        cell(float(post.weight[i])), "true" if post.accepted[i] else "false"])
    _write_csv(folder / "samples.csv", samples)
    _write_csv(folder / "posterior.csv", [["sample_id", *paths], *([int(i), *(cell(float(v)) for v in post.values[i])]
                                                                   for i in np.flatnonzero(post.accepted))])
    write_text_atomically(folder / "calibrated.yaml",
                          words.calibrated_yaml(post, manifest["spec_file"], folder, manifest["base_file"]))
    params, targets = calibration.summary_rows(post)
    summary = {"accepted": int(post.accepted.sum()), "samples": len(post.accepted), "window_weeks": spec.window_weeks,
               "parameters": params, "targets": targets}
    write_text_atomically(folder / "summary.json", json.dumps(summary, indent=2) + "\n")
    text = words.calibration_markdown(spec, summary)
    write_text_atomically(folder / "summary.md", text)
    calibration_charts.calibration(folder / "charts", post)
    return CalibrationResult(post, summary, text)
