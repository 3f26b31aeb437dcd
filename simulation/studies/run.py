"""``ipsim run``: a scenario's replicates, run, written to a run folder, measured and drawn.

The scenario-level steps here (``write_records``, ``draw``) are shared by every study that runs
scenarios: records are written and reduced to an ``Outcome`` as soon as a scenario's replicates are in
(the records are then let go); charts are drawn from the Outcomes after all runs, never in a run's worker
(a comparison's scenarios on a pool of their own, ``draw_each``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from simulation.analysis import metrics
from simulation.analysis.metrics import Outcome
from simulation.core.records import RunRecord
from simulation.core.scenario import Scenario
from simulation.execution import folders
from simulation.execution.batches import Options, run_replicates
from simulation.execution.pool import local
from simulation.present.charts import run as run_charts


@dataclass(frozen=True)
class RunResult:
    """What ``run`` wrote and found: the run folder and the scenario's metrics."""

    folder: Path
    outcome: Outcome


def write_records(folder: Path, scenario: Scenario, records: Sequence[RunRecord]) -> Outcome:
    """Write a scenario's summary.json, weekly.csv, spells.csv and clients.csv into ``folder`` and return its
    metrics."""
    folder.mkdir(parents=True, exist_ok=True)
    result = metrics.outcome(records, scenario)
    (folder / "summary.json").write_text(json.dumps(result.summary, indent=2) + "\n")
    folders.write_weekly(folder / "weekly.csv", records)
    folders.write_spells(folder / "spells.csv", records)
    folders.write_clients(folder / "clients.csv", records)
    return result


def draw(folder: Path, result: Outcome) -> list[Path]:
    """A scenario's charts, in ``folder/charts``."""
    return run_charts.draw_all(folder / "charts", result)


def draw_each(folders_and_outcomes: Sequence[tuple[Path, Outcome]], workers: int) -> None:
    """Every scenario's charts, after all runs: on a pool of ``workers`` processes when there are several
    scenarios (drawing is a second per scenario), in this process otherwise. Only Outcomes travel, no records."""
    if not folders_and_outcomes:
        return
    with local(min(workers, len(folders_and_outcomes))) as (executor, _):
        list(executor.map(draw, *zip(*folders_and_outcomes, strict=True)))  # list(): a drawing's error is raised here


def run(scenario: Scenario, options: Options = Options(), scenario_file: str = "") -> RunResult:
    """Run ``options.replicates`` replicates of ``scenario`` and write ``<out>/<UTC timestamp>-<name>/``
    atomically: manifest.json, summary.json, weekly.csv, spells.csv, clients.csv and charts/. Byte-identical CSVs for the
    same scenario and seed, whatever the number of workers."""
    seeds = options.seeds
    started = datetime.now(UTC)
    records = run_replicates(scenario, seeds, options.workers, progress=options.progress)
    manifest = folders.scenario_manifest(scenario, scenario_file, options.seed, seeds, options.workers,
                                         list(options.command))
    found: list[Outcome] = []

    def fill(folder: Path) -> None:
        found.append(write_records(folder, scenario, records))
        draw(folder, found[0])
        folders.write_manifest(folder, manifest, started)

    folder = folders.write_atomically(options.out, scenario.name, started, fill)
    return RunResult(folder, found[0])
