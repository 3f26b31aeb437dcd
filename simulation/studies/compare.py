"""``ipsim compare`` and ``ipsim levers``: scenarios run with common random numbers and compared with the first.

Replicate k of every scenario uses the same seed. Each scenario's records are written to its subfolder and
reduced to an Outcome as soon as its replicates are in; the comparison, its charts and its findings are
computed from the Outcomes after all runs, in this process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from simulation.analysis.compare import (
    ComparisonError,
    ComparisonKind,
    Entry,
    check,
    comparison_rows,
    lever_ranking,
    untested,
)
from simulation.analysis.metrics import Outcome
from simulation.execution import folders
from simulation.execution.batches import Options, each_batch
from simulation.present import words
from simulation.present.charts import compare as compare_charts
from simulation.studies.run import draw_each, write_records

FOLDER_ENTRIES = frozenset({"manifest.json", "comparison.csv", "levers.csv", "summary.md", "charts", "report.html"})
"""What a comparison folder holds besides one subfolder per scenario: no scenario may be named so."""
MAX_LABEL = 68
"""Longest name part (after the timestamp) of a comparison folder."""


@dataclass(frozen=True)
class ComparisonResult:
    """What ``compare`` wrote and found."""

    folder: Path
    outcomes: list[Outcome]
    """One per scenario, in the order given."""
    rows: list[dict]
    """comparison.csv's rows."""
    ranking: list[dict] | None
    """levers.csv's rows (for ``levers``)."""
    findings: str
    """summary.md."""


def folder_label(kind: ComparisonKind, names: Sequence[str]) -> str:
    """``compare-a-vs-b[-vs-c]`` (``compare-a-vs-b-and-N-more`` when long) or ``levers-<base>``."""
    if kind == "levers":
        return f"levers-{names[0]}"[:MAX_LABEL]
    label = "compare-" + "-vs-".join(names)
    if len(label) > MAX_LABEL and len(names) > 2:
        label = f"compare-{names[0]}-vs-{names[1]}-and-{len(names) - 2}-more"
    return label[:MAX_LABEL]


def compare(entries: Sequence[Entry], kind: ComparisonKind = "compare", options: Options = Options()) -> ComparisonResult:
    """Run every scenario's replicates with the same seeds and write the comparison folder atomically.

    The folder holds one subfolder per scenario (the files of ``ipsim run`` except the manifest),
    comparison.csv, charts/, summary.md and manifest.json; for ``levers`` also levers.csv and
    charts/levers.png, both of the tested levers only (those with a variant among ``entries``); the levers the
    plan sets as the base are listed as not tested in summary.md, the chart's note and the manifest
    (``not_tested``).
    """
    check(entries)
    taken = [e.scenario.name for e in entries if e.scenario.name.casefold() in FOLDER_ENTRIES]
    if taken:
        raise ComparisonError(f"scenario name {', '.join(taken)}: the comparison folder uses that name for its own "
                              f"files ({', '.join(sorted(FOLDER_ENTRIES))}); give the scenario another `name:`")
    seeds, workers = options.seeds, options.workers
    started = datetime.now(UTC)
    manifest = {
        "kind": kind,
        "scenarios": [{"folder": e.scenario.name, "source": e.source, "lever": e.lever,
                       "scenario": e.scenario.model_dump(mode="json")} for e in entries],
        **({"not_tested": untested(entries)} if kind == "levers" else {}),
        **folders.run_manifest(options.seed, seeds, workers, list(options.command)),
    }
    found: list[ComparisonResult] = []

    def fill(folder: Path) -> None:
        outcomes: list[Outcome | None] = [None] * len(entries)
        for b, records in each_batch([(e.scenario, seeds) for e in entries], workers, options.progress):
            outcomes[b] = write_records(folder / entries[b].scenario.name, entries[b].scenario, records)
        done: list[Outcome] = outcomes  # type: ignore[assignment] - every batch has come back
        draw_each([(folder / e.scenario.name, o) for e, o in zip(entries, done, strict=True)], workers)
        rows = comparison_rows(done)
        folders.write_rows(folder / "comparison.csv", rows)
        compare_charts.draw_comparison(folder / "charts", done)
        text = words.findings(entries, done)
        ranking = None
        if kind == "levers":
            ranking = lever_ranking(entries, rows)
            folders.write_rows(folder / "levers.csv", ranking)
            compare_charts.draw_levers(folder / "charts" / "levers.png", ranking, entries[0].scenario.name, options.replicates,
                                  untested(entries))
            text += words.lever_findings(entries, ranking)
        (folder / "summary.md").write_text(text)
        folders.write_manifest(folder, manifest, started)
        found.append(ComparisonResult(folder, done, rows, ranking, text))

    final = folders.write_atomically(options.out, folder_label(kind, [e.scenario.name for e in entries]), started, fill)
    result = found[0]
    return ComparisonResult(final, result.outcomes, result.rows, result.ranking, result.findings)
