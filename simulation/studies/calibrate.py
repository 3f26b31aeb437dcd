"""``ipsim calibrate``: ABC-SMC (analysis.smc) on the model, each batch of proposals run as a resumable sweep folder
inside the calibration's folder, then the posterior written as a weighted sample with its provenance.

A calibration folder holds its manifest (the spec, the base scenario, the chunking), its status.json (as a sweep's:
running, interrupted or complete, and the runs of the batches so far) and ``batches/g<generation>-r<round>/``, one
sweep folder per batch of proposals (design ``points``), run and kept as any sweep is
(execution.sweeps). The proposals of a batch depend only on the spec and the batches before it, and each batch's
results only on its proposals and seeds, so the posterior is byte-identical whatever the workers, the backend or the
interruptions: ``--resume`` reads the finished batches, finishes the interrupted one and goes on.

What it writes, once the last generation is accepted:
- ``posterior.csv``: the last generation's particles, each with its normalised weight, and ``posterior.json`` its
  provenance (spec, base, seed, kernel and its intra-class correlations, generations, effective sample size,
  versions): the sample other commands draw parameter sets from;
- ``samples.csv``: every proposal of every generation, its targets' pooled shares, log kernel, acceptance, weight;
- ``calibrated.yaml``: the base with the posterior medians; ``summary.json`` and ``summary.md``: the parameters
  (with their identifiability), their correlations, the generations and the posterior predictive check of each
  target; the calibration charts.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from simulation import __version__
from simulation.analysis import calibration, smc
from simulation.analysis.calibration import Posterior
from simulation.execution import designs, folders, sweeps
from simulation.execution.folders import cell, write_text_atomically
from simulation.inputs import specs
from simulation.inputs.reading import ScenarioError
from simulation.present import words
from simulation.present.charts import calibration as calibration_charts
from simulation.studies import sweep as sweep_study

MANIFEST, KIND, BATCHES = "manifest.json", "calibration", "batches"
POSTERIOR, PROVENANCE, SAMPLES, SUMMARY = "posterior.csv", "posterior.json", "samples.csv", "summary.json"
MANIFEST_FIELDS = {"kind": str, "spec": dict, "base_file": str, "base_scenario": dict, "chunk_size": int,
                   "spec_file": str}
"""What a calibration folder's manifest.json must hold for it to be resumed or reported, and of which type."""
RUNS = 0x2B15
"""Spawn key of the batches' run seeds: SeedSequence(seed, spawn_key=(RUNS, generation, round))."""
BUSY = ("{folder}: another ipsim process is running this calibration now; wait for it to finish (or stop it), then "
        "resume if it did not complete")


def prior(spec: specs.CalibrationSpec) -> smc.Box:
    return smc.Box(np.array([p.range[0] for p in spec.parameters], dtype=float),
                   np.array([p.range[1] for p in spec.parameters], dtype=float))


def settings(spec: specs.CalibrationSpec) -> smc.Settings:
    return smc.Settings(prior_draws=spec.samples, population=spec.population, batch=spec.proposals_per_round,
                        generations=spec.generations, first_acceptance=spec.first_acceptance)


def batch_seed(seed: int, generation: int, round_: int) -> int:
    sequence = np.random.SeedSequence(seed, spawn_key=(RUNS, generation, round_))
    return int(sequence.generate_state(1, dtype=np.uint64)[0])


def batch_spec(spec: specs.CalibrationSpec, generation: int, round_: int, proposals: np.ndarray) -> specs.SweepSpec:
    """The sweep that simulates one batch of proposals: its points, the calibration's replicates, a seed of its own,
    and the targets' shares with their denominators as metrics."""
    return specs.SweepSpec(
        name=f"{spec.name}-g{generation:02d}-r{round_:02d}", base=spec.base, design="points",
        description=f"calibration {spec.name}: generation {generation}, round {round_}",
        point_values=proposals.tolist(), replicates=spec.replicates, seed=batch_seed(spec.seed, generation, round_),
        metrics=calibration.count_metrics(spec), parameters=spec.parameters)


def estimated_runs(spec: specs.CalibrationSpec) -> tuple[int, int]:
    """The fewest runs a calibration can take (generation 0, then one round per later generation) and the most
    (every later generation taking its every round)."""
    later = (spec.generations - 1) * spec.proposals_per_round * spec.replicates
    return spec.samples * spec.replicates + later, spec.samples * spec.replicates + later * smc.Settings.max_rounds


# --- the folder --------------------------------------------------------------------------------------------


def create(cal: specs.Calibration, out: Path, spec_file: str, command: Sequence[str], chunk_size: int) -> Opened:
    """A new calibration folder ``<out>/<UTC timestamp>-calibrate-<name>[-n]`` with its manifest."""
    started = datetime.now(UTC)
    folder = folders.make_run_folder(out, f"calibrate-{cal.spec.name}", started)
    manifest = {"kind": KIND, "spec_file": spec_file, "spec": cal.spec.model_dump(mode="json"),
                "base_file": cal.base_file, "base_scenario": cal.base, "chunk_size": chunk_size,
                "versions": folders.versions("SALib", "distributed"), "command": list(command),
                "created_utc": started.isoformat(timespec="seconds")}
    (folder / BATCHES).mkdir()
    write_text_atomically(folder / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return Opened(folder, cal, manifest)


@dataclass(frozen=True)
class Opened:
    """A calibration folder's validated spec and base, and its manifest."""

    folder: Path
    calibration: specs.Calibration
    manifest: dict[str, Any]

    @property
    def chunk_size(self) -> int:
        return self.manifest["chunk_size"]


def open_folder(folder: Path) -> Opened:
    """A calibration folder, checked: SweepError if it is not one, or its manifest is damaged or no longer valid."""
    manifest = sweeps.read_manifest(folder, KIND, MANIFEST_FIELDS)
    if manifest["chunk_size"] < 1:
        raise sweeps.SweepError(f"{folder}: {MANIFEST} is damaged (its chunk_size is not a positive count); run the "
                                "calibration again into a new folder")
    try:
        spec = specs.CalibrationSpec.model_validate(manifest["spec"])
        cal = specs.check_calibration(spec, manifest["base_scenario"], manifest["base_file"], str(folder / MANIFEST))
    except (ValidationError, ScenarioError) as exc:
        raise sweeps.SweepError(f"{folder}: its manifest no longer validates with this version of ipsim: "
                                f"{str(exc)[:200]}") from None
    return Opened(folder, cal, manifest)


# --- running -----------------------------------------------------------------------------------------------


@dataclass
class Batches:
    """analysis.smc's ``Simulate`` on the model: each batch of proposals is a sweep folder under ``batches/``,
    created, resumed or read as it stands, and its runs' target counts returned. The calibration's status.json
    counts the runs of the batches so far."""

    opened: Opened
    executor: Executor
    slots: int
    progress: Callable[[int], None] | None = None
    announce: Callable[[str, int], None] | None = None
    """Told each batch's name and run count before it runs (not for a batch already finished)."""
    status: sweeps.Status = field(default_factory=lambda: sweeps.Status("running", 0, 0, 0))

    def __call__(self, generation: int, round_: int, proposals: np.ndarray) -> np.ndarray:
        cal = self.opened.calibration
        spec = batch_spec(cal.spec, generation, round_, proposals)
        plan = sweeps.Plan(specs.Sweep(spec, cal.base, cal.base_file), designs.design(spec), self.opened.chunk_size)
        where = self.opened.folder / BATCHES / f"g{generation:02d}-r{round_:02d}"
        if (where / sweeps.MANIFEST).exists():
            if sweeps.read_manifest(where)["spec"] != spec.model_dump(mode="json"):
                raise sweeps.SweepError(f"{where}: not the batch this calibration proposes now (made by another "
                                        "version of ipsim, or edited); run the calibration again into a new folder")
        else:
            sweeps.create_at(where, plan, self.opened.manifest["spec_file"], self.opened.manifest["command"])
        if not (where / sweeps.RESULTS).exists() or sweeps.look(where, "calibrate").state != "complete":
            if self.announce:
                self.announce(where.name, plan.runs)
            sweep_study.execute(where, plan, self.executor, self.slots, self.progress, command="calibrate")
        sweeps.finished(where)  # a SweepError unless its results.csv is whole
        done = sweeps.look(where)
        self.status.runs_total += done.runs_total
        self.status.runs_done += done.runs_done
        self.status.runs_failed += done.runs_failed
        self.status.write(self.opened.folder, "calibrate")
        return calibration.read_counts(where / sweeps.RESULTS, cal.spec.targets, len(proposals), spec.replicates)


@dataclass(frozen=True)
class CalibrationResult:
    posterior: Posterior
    summary: dict
    """summary.json."""
    text: str
    """summary.md."""


def run(opened: Opened, executor: Executor, slots: int, progress: Callable[[int], None] | None = None,
        announce: Callable[[str, int], None] | None = None) -> CalibrationResult:
    """Run (or finish) the calibration in an opened (or just created) folder, then write its posterior and
    summaries."""
    folder, spec = opened.folder, opened.calibration.spec
    with sweeps.locked(folder, BUSY, SUMMARY):
        batches = Batches(opened, executor, slots, progress, announce)
        batches.status.write(folder, "calibrate")
        try:
            result, kernel = smc.run(prior(spec), settings(spec), spec.seed, batches, partial(calibration.kernel, spec))
        except smc.SMCError as exc:
            raise sweeps.SweepError(f"{folder}: {exc} (in a new folder; the finished batches are kept in "
                                    f"{folder / BATCHES})") from None
        shipped = [float(specs.value_at(opened.manifest["base_scenario"], p.path)) for p in spec.parameters]
        found = finish(opened, Posterior(spec, result, kernel, shipped))
        batches.status.state = "complete"
        batches.status.write(folder, "calibrate")
        return found


# --- what it writes ----------------------------------------------------------------------------------------


def _csv(rows: Iterable[Sequence[object]]) -> str:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return text.getvalue()


def _number(value: float) -> object:
    return cell(None if math.isnan(value) else float(value))


def samples_csv(post: Posterior) -> str:
    spec = post.spec
    header = ["generation", "proposal", *(p.path for p in spec.parameters), *(f"{t.metric}_pooled" for t in spec.targets),
              "log_kernel", "accepted", "weight"]
    rows: list[Sequence[object]] = [header]
    for g in post.result.generations:
        shares = calibration.pooled_share(g.simulated)
        for i in range(len(g.proposals)):
            log_kernel = float(g.log_kernel[i])
            rows.append([g.index, i, *(cell(float(v)) for v in g.proposals[i]), *(_number(v) for v in shares[i]),
                         cell(log_kernel) if math.isfinite(log_kernel) else "", "true" if g.accepted[i] else "false",
                         cell(float(g.weight[i]))])
    return _csv(rows)


def posterior_csv(post: Posterior) -> str:
    rows: list[Sequence[object]] = [["particle", "weight", *(p.path for p in post.spec.parameters)]]
    rows += [[i, cell(float(w)), *(cell(float(v)) for v in theta)]
             for i, (w, theta) in enumerate(zip(post.weights, post.particles, strict=True))]
    return _csv(rows)


def provenance(opened: Opened, post: Posterior, posterior_text: str) -> dict[str, Any]:
    """posterior.json: where posterior.csv comes from, enough to judge and redo it."""
    final = post.result.posterior
    return {
        "calibration": post.spec.name, "spec_file": opened.manifest["spec_file"], "base_file": opened.manifest["base_file"],
        "spec": opened.manifest["spec"], "window_weeks": post.spec.window_weeks, "seed": post.spec.seed,
        "method": "ABC-SMC, stochastic acceptance tempered to 1 (analysis.smc)",
        "kernel": post.spec.kernel,
        "icc": {t.metric: rho for t, rho in zip(post.spec.targets, post.kernel.icc, strict=True)},
        "generations": len(post.result.generations), "particles": len(final.particles),
        "effective_sample_size": final.effective_sample_size,
        "runs": sum(len(g.proposals) for g in post.result.generations) * post.spec.replicates,
        "parameters": [p.path for p in post.spec.parameters],
        "posterior_sha256": hashlib.sha256(posterior_text.encode("utf-8")).hexdigest(),
        "ipsim_version": __version__, "versions": opened.manifest.get("versions", {}),
        "created_utc": opened.manifest.get("created_utc"),
    }


def finish(opened: Opened, post: Posterior) -> CalibrationResult:
    """Write posterior.csv, posterior.json, samples.csv, calibrated.yaml, summary.json, summary.md and the charts."""
    folder = opened.folder
    posterior_text = posterior_csv(post)
    write_text_atomically(folder / SAMPLES, samples_csv(post))
    write_text_atomically(folder / POSTERIOR, posterior_text)
    write_text_atomically(folder / PROVENANCE, json.dumps(provenance(opened, post, posterior_text), indent=2) + "\n")
    write_text_atomically(folder / "calibrated.yaml",
                          words.calibrated_yaml(post, opened.manifest["spec_file"], folder, opened.manifest["base_file"]))
    summary = {"particles": len(post.particles), "effective_sample_size": post.result.posterior.effective_sample_size,
               "window_weeks": post.spec.window_weeks, "kernel": post.spec.kernel,
               "informed_below": calibration.INFORMED, "weakly_informed_below": calibration.WEAKLY_INFORMED,
               "generations": calibration.generation_rows(post), "parameters": calibration.parameter_rows(post),
               "correlations": calibration.correlation_rows(post), "targets": calibration.predictive_rows(post)}
    write_text_atomically(folder / SUMMARY, json.dumps(summary, indent=2) + "\n")
    text = words.calibration_markdown(post.spec, summary)
    write_text_atomically(folder / "summary.md", text)
    calibration_charts.calibration(folder / "charts", post)
    return CalibrationResult(post, summary, text)
