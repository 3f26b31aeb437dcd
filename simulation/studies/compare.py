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
from simulation.execution import folders, sweeps
from simulation.execution.batches import Options, each_batch
from simulation.present import words
from simulation.present.charts import compare as compare_charts
from simulation.studies import uncertainty
from simulation.studies.run import draw_each, write_records

FOLDER_ENTRIES = frozenset({"manifest.json", "comparison.csv", "levers.csv", "summary.md", "charts", "report.html",
                            "study.json", "uncertainty", "uncertainty.csv"})
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


def _check(entries: Sequence[Entry]) -> None:
    """``analysis.compare.check``, and no scenario named as one of the folder's own files."""
    check(entries)
    taken = [e.scenario.name for e in entries if e.scenario.name.casefold() in FOLDER_ENTRIES]
    if taken:
        raise ComparisonError(f"scenario name {', '.join(taken)}: the comparison folder uses that name for its own "
                              f"files ({', '.join(sorted(FOLDER_ENTRIES))}); give the scenario another `name:`")


def compare(entries: Sequence[Entry], kind: ComparisonKind = "compare", options: Options = Options()) -> ComparisonResult:
    """Run every scenario's replicates with the same seeds and write the comparison folder atomically.

    The folder holds one subfolder per scenario (the files of ``ipsim run`` except the manifest),
    comparison.csv, charts/, summary.md and manifest.json; for ``levers`` also levers.csv and
    charts/levers.png, both of the tested levers only (those with a variant among ``entries``); the levers the
    plan sets as the base are listed as not tested in summary.md, the chart's note and the manifest
    (``not_tested``).
    """
    _check(entries)
    started = datetime.now(UTC)
    found: list[ComparisonResult] = []
    final = folders.write_atomically(options.out, folder_label(kind, [e.scenario.name for e in entries]), started,
                                     lambda folder: found.append(_fill(folder, entries, kind, options, started)))
    result = found[0]
    return ComparisonResult(final, result.outcomes, result.rows, result.ranking, result.findings)


def start_uncertain(study: uncertainty.Study) -> Path:
    """Check a comparison under uncertainty and make its folder (study.json and the draws' sweep), ready to run."""
    _check(study.entries)
    return uncertainty.start(study, folder_label(study.kind, [e.scenario.name for e in study.entries]))


def finish_uncertain(study: uncertainty.Study, folder: Path, execute: uncertainty.Execute) -> ComparisonResult | int:
    """Run (or resume) the draws of a comparison under uncertainty, then the plain comparison at the scenarios' own
    values, and publish both in ``folder``; an exit code if the draws were interrupted (the folder stays
    resumable)."""
    _, _, notes = uncertainty.drawn(study.entries)
    # the draws as the folder holds them (its own manifest and design), whatever this version would draw now
    sweep_plan = sweeps.open_plan(folder / uncertainty.SWEEP)
    try:
        sweeps.finished(folder / uncertainty.SWEEP)  # a study stopped after its draws resumes with the comparison
    except sweeps.SweepError:
        status = execute(folder / uncertainty.SWEEP, sweep_plan)
        if isinstance(status, int):
            return status
    found_draws = uncertainty.read_draws(folder, study)
    under = Uncertain(study.settings, found_draws, notes, sweep_plan.runs * len(study.entries))
    found: list[ComparisonResult] = []
    started = datetime.now(UTC)
    uncertainty.publish(folder, lambda tmp: found.append(
        _fill(tmp, study.entries, study.kind, study.options, started, under)))
    result = found[0]
    return ComparisonResult(folder, result.outcomes, result.rows, result.ranking, result.findings)


@dataclass(frozen=True)
class Uncertain:
    """What the draws of a comparison under uncertainty found, for the plain comparison's files to carry."""

    settings: uncertainty.Uncertainty
    draws: list[uncertainty.Draw]
    notes: list[str]
    runs: int
    """The draws' runs, every scenario's counted (draws x replicates x scenarios)."""


def _fill(folder: Path, entries: Sequence[Entry], kind: ComparisonKind, options: Options, started: datetime,
          under: Uncertain | None = None) -> ComparisonResult:
    """Run the scenarios' replicates and write every file of the comparison into ``folder``; under uncertainty, with
    the uncertainty columns, uncertainty.csv and its words."""
    seeds, workers = options.seeds, options.workers
    manifest = {
        "kind": kind,
        "scenarios": [{"folder": e.scenario.name, "source": e.source, "lever": e.lever,
                       "scenario": e.scenario.model_dump(mode="json")} for e in entries],
        **({"not_tested": untested(entries)} if kind == "levers" else {}),
        **folders.run_manifest(options.seed, seeds, workers, list(options.command)),
    }
    outcomes: list[Outcome | None] = [None] * len(entries)
    for b, records in each_batch([(e.scenario, seeds) for e in entries], workers, options.progress):
        outcomes[b] = write_records(folder / entries[b].scenario.name, entries[b].scenario, records)
    done: list[Outcome] = outcomes  # type: ignore[assignment] - every batch has come back
    draw_each([(folder / e.scenario.name, o) for e, o in zip(entries, done, strict=True)], workers)
    rows = comparison_rows(done)
    ranking = lever_ranking(entries, rows) if kind == "levers" else None
    if under is not None:
        uncertainty.add_intervals(rows, under.draws)
        if ranking is not None:
            uncertainty.add_rankings(ranking, entries, under.draws)
        folders.write_rows(folder / "uncertainty.csv", uncertainty.by_reading(rows, under.draws, under.settings.readings))
        manifest["uncertainty"] = {"draws": under.settings.draws, "runs": under.runs,
                                   "window_readings": {str(w): v for w, v in under.settings.readings.items()},
                                   "collapsed": under.settings.collapsed, "notes": under.notes}
    folders.write_rows(folder / "comparison.csv", rows)
    compare_charts.draw_comparison(folder / "charts", done)
    text = words.findings(entries, done)
    if ranking is not None:
        folders.write_rows(folder / "levers.csv", ranking)
        compare_charts.draw_levers(folder / "charts" / "levers.png", ranking, entries[0].scenario.name,
                                   options.replicates, untested(entries))
        text += words.lever_findings(entries, ranking)
    if under is not None:
        compare_charts.draw_uncertainty(folder / "charts" / "uncertainty.png", rows, ranking, under.settings.draws,
                                        options.replicates)
        text += words.uncertainty_findings(rows, ranking, under.settings.draws, options.replicates,
                                           dict(under.settings.readings), under.notes)
    (folder / "summary.md").write_text(text)
    folders.write_manifest(folder, manifest, started)
    return ComparisonResult(folder, done, rows, ranking, text)
