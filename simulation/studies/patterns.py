"""``ipsim check-patterns``: the scenario, its solo-post and team-of-three variants and the same service started
from nothing run, every validation pattern evaluated, and the verdicts written in words (patterns.md,
patterns.json) and charts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from simulation.analysis import patterns
from simulation.analysis.patterns import Evidence, Result
from simulation.core.scenario import Scenario
from simulation.execution import folders
from simulation.execution.batches import Options, run_batches
from simulation.present import words
from simulation.present.charts import patterns as pattern_charts


@dataclass(frozen=True)
class PatternsResult:
    folder: Path
    results: list[Result]
    evidence: Evidence
    text: str
    """patterns.md."""


def check_patterns(scenario: Scenario, options: Options = Options(), scenario_file: str = "") -> PatternsResult:
    """Run the scenario, its two team-structure variants and its fresh variant, evaluate every pattern and write
    ``<out>/<UTC timestamp>-patterns-<name>/`` atomically."""
    seeds = options.seeds
    started = datetime.now(UTC)
    solo, trios = patterns.structure_variants(scenario)
    fresh = patterns.fresh_variant(scenario)
    records, solo_records, trio_records, fresh_records = run_batches(
        [(scenario, seeds), (solo, seeds), (trios, seeds), (fresh, seeds)], workers=options.workers,
        progress=options.progress)
    results, evidence = patterns.evaluate(scenario, records, solo, solo_records, trios, trio_records, fresh_records)
    text = words.patterns_markdown(results, scenario, len(seeds))
    window = scenario.cohort_window_weeks

    def fill(folder: Path) -> None:
        (folder / "patterns.md").write_text(text)
        (folder / "patterns.json").write_text(
            json.dumps([words.pattern_record(r, window) for r in results], indent=2) + "\n")
        pattern_charts.patterns(folder / "charts", results, evidence)
        manifest = folders.scenario_manifest(scenario, scenario_file, options.seed, seeds, options.workers,
                                             list(options.command))
        folders.write_manifest(folder, {"kind": "patterns", **manifest}, started)

    folder = folders.write_atomically(options.out, f"patterns-{scenario.name}", started, fill)
    return PatternsResult(folder, results, evidence, text)
