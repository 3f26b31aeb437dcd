"""``ipsim calibrate``: a calibration spec's prior draws run as a sweep, weighed and accepted (ABC rejection),
then written as the accepted set, a calibrated scenario, a summary and charts."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulation.analysis import calibration
from simulation.analysis.calibration import Posterior
from simulation.execution import sweeps
from simulation.execution.folders import cell
from simulation.inputs.specs import Calibration
from simulation.present import words
from simulation.present.charts import calibration as calibration_charts


def keep_spec(folder: Path, cal: Calibration) -> None:
    """Keep the calibration spec in its sweep folder, so the folder can be finished on its own."""
    (folder / calibration.CALIBRATION).write_text(json.dumps(cal.spec.model_dump(mode="json"), indent=2) + "\n")


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
    with (folder / "samples.csv").open("w", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["sample_id", *paths, *(f"{t.metric}_mean" for t in spec.targets), "weight", "accepted"])
        for i, (row, sim) in enumerate(zip(post.values, post.simulated, strict=True)):
            out.writerow([i, *(cell(float(v)) for v in row), *(cell(None if math.isnan(v) else float(v)) for v in sim),
                          cell(float(post.weight[i])), "true" if post.accepted[i] else "false"])
    with (folder / "posterior.csv").open("w", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["sample_id", *paths])
        for i in np.flatnonzero(post.accepted):
            out.writerow([int(i), *(cell(float(v)) for v in post.values[i])])
    (folder / "calibrated.yaml").write_text(
        words.calibrated_yaml(post, manifest["spec_file"], folder, manifest["base_file"]))
    params, targets = calibration.summary_rows(post)
    summary = {"accepted": int(post.accepted.sum()), "samples": len(post.accepted), "window_weeks": spec.window_weeks,
               "parameters": params, "targets": targets}
    (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    text = words.calibration_markdown(spec, summary)
    (folder / "summary.md").write_text(text)
    calibration_charts.calibration(folder / "charts", post)
    return CalibrationResult(post, summary, text)
