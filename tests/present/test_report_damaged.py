"""``ipsim report`` on a damaged or foreign folder: one clear error (exit 2, every line ``ipsim: error:``, naming
the folder or the file, what is wrong and how to recover), never a traceback, and nothing left behind.

One real folder of each kind is made once, of the tiny world (one site of two positions, ten weeks); each test
damages a copy of one: every file the report reads missing, empty, cut short, random bytes, a folder or a link
(and some a pipe); JSON of the wrong shape or that cannot be parsed; CSV with missing columns, short or long rows,
text where numbers belong, or other rows than the manifest's; Markdown nested too deeply to convert; charts that
are not whole PNG images; and folders that are not run folders at all.

Two damages cannot be seen, and are shown as they are: a chart that is missing (the report shows the charts the
folder holds) and a Markdown file cut short (what is left is still Markdown).

A sweep's status.json is read by the sweep runner's own reader (``sweeps.look``), once the report has seen it to be
a regular file of the folder's own: what is wrong with its content is said in the sweep runner's words.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import PNG_MAGIC, invoke, only_folder, small_world_yaml

TINY = small_world_yaml(10, sites="  - {name: pair, positions: 2}\n")
"""One site of two positions for ten weeks (named ``tiny``): a run takes milliseconds."""
PLAN = "extends: tiny.yaml\nname: tiny-plan\nstart_up_plan:\n  implementation_lead: {enabled: true}\n"
SWEEP = """
base: tiny.yaml
name: tiny-sweep
design: grid
replicates: 1
seed: 3
metrics: [annual_turnover]
parameters:
  - {path: staff.quit_threshold.mean, range: [0.8, 1.6], steps: 2}
"""
CALIBRATION = """
base: tiny.yaml
name: tiny-calibration
window_weeks: 10
samples: 4
generations: 1
replicates: 1
seed: 5
parameters:
  - {path: staff.quit_threshold.mean, range: [0.4, 1.6]}
targets:
  - {metric: cohort_left_share, successes: 0, trials: 4, source: test}
"""
COMMANDS = {
    "run": ["run", "tiny.yaml", "--replicates", "2"],
    "compare": ["compare", "tiny.yaml", "tiny-plan.yaml", "--replicates", "2"],
    "levers": ["levers", "tiny.yaml", "--plan", "tiny-plan.yaml", "--replicates", "2"],
    "sweep": ["sweep", "sweep.yaml"],
    "calibration": ["calibrate", "calibration.yaml"],
    "patterns": ["check-patterns", "tiny.yaml", "--replicates", "2"],
}
"""The command that makes each kind of folder (file arguments relative to the fixture's folder)."""
READS = {
    "run": ["manifest.json", "summary.json", "charts/retention.png"],
    "compare": ["manifest.json", "comparison.csv", "summary.md", "charts/turnover.png", "tiny/charts/staffing.png"],
    "levers": ["manifest.json", "comparison.csv", "levers.csv", "summary.md", "charts/levers.png",
               "implementation-lead/charts/retention.png"],
    "sweep": ["manifest.json", "status.json", "sensitivity.csv", "charts/response_annual_turnover.png"],
    "calibration": ["manifest.json", "status.json", "summary.md", "charts/posterior.png"],
    "patterns": ["manifest.json", "patterns.md", "charts/structure.png"],
}
"""Files the report reads from each kind of folder (of the charts, one of each charts folder)."""
NOISE = b"\xff" + random.Random(7).randbytes(300)
"""Random bytes that are no UTF-8 text (0xff never is) and no PNG."""
RECOVERY = re.compile(r"run the command that made it again|ipsim analyze \S+ writes it again|"
                      r"--resume rebuilds it from the finished runs")


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One finished folder of each kind, never reported on (so no report.html)."""
    tmp = tmp_path_factory.mktemp("damaged")
    for name, text in {"tiny.yaml": TINY, "tiny-plan.yaml": PLAN, "sweep.yaml": SWEEP,
                       "calibration.yaml": CALIBRATION}.items():
        (tmp / name).write_text(text, encoding="utf-8")
    made = {}
    for kind, argv in COMMANDS.items():
        args = [str(tmp / a) if a.endswith(".yaml") else a for a in argv]
        code, _, err = invoke([*args, "--workers", "1", "--out", str(tmp / kind)])
        assert code == 0, err
        made[kind] = only_folder(tmp / kind)
    return made


@pytest.fixture
def copy(folders: dict[str, Path], tmp_path: Path) -> Callable[[str], Path]:
    """A fresh copy of a kind's folder in this test's own folder, under the same name."""
    return lambda kind: Path(shutil.copytree(folders[kind], tmp_path / folders[kind].name))


def refused(folder: Path, expected: str, named: str | None = None) -> str:
    """``ipsim report folder``: exit 2 and nothing on stdout; stderr a few ``ipsim: error:`` lines, no traceback,
    naming the folder (and ``named``, the file) and matching ``expected``; no report or temporary file left."""
    code, out, err = invoke(["report", str(folder)])
    assert code == 2 and out == "", err
    assert err.startswith("ipsim: error: ") and "Traceback" not in err and len(err) <= 2000, err
    assert all(line.startswith("ipsim: error: ") for line in err.splitlines()), err
    assert str(folder) in err and (named is None or named in err), err
    assert re.search(expected, err), err
    left = [p for p in folder.parent.rglob("*") if p.name == "report.html" or p.name.startswith(".tmp-")]
    assert not left, left
    return err


# --- every file the report reads, damaged as bytes --------------------------------------------------------


def missing(folder: Path, rel: str) -> None:
    (folder / rel).unlink()


def empty(folder: Path, rel: str) -> None:
    (folder / rel).write_bytes(b"")


def cut_short(folder: Path, rel: str) -> None:
    data = (folder / rel).read_bytes()
    (folder / rel).write_bytes(data[:len(data) // 2])


def noise(folder: Path, rel: str) -> None:
    (folder / rel).write_bytes(NOISE)


def a_folder(folder: Path, rel: str) -> None:
    (folder / rel).unlink()
    (folder / rel).mkdir()


def a_link(folder: Path, rel: str) -> None:
    """The file itself, moved out of the folder and linked to: a link is refused whatever it points at."""
    elsewhere = folder.parent / "elsewhere" / rel
    elsewhere.parent.mkdir(parents=True)
    shutil.move(folder / rel, elsewhere)
    (folder / rel).symlink_to(elsewhere)


BYTE_DAMAGES = {missing: "no {name}", empty: "{name}: is empty", noise: "{name}: not a UTF-8 text file",
                a_folder: "{name}: not a regular file", a_link: "{name}: is a link"}
"""Each damage of bytes, with what the error says (``{name}``: the file's name)."""
CUT_SHORT = {".json": r"{name}: not valid JSON", ".csv": r"{name}: (no column|line \d+ has fewer cells)",
             ".png": r"{name}: not a whole PNG image \(it is cut short\)"}
"""What a file cut short in the middle is, by its type (Markdown cut short is still Markdown)."""
STATUS_DAMAGES = {missing: "cannot read {name}: it is missing", empty: "cannot read {name}: it is damaged",
                  noise: "cannot read {name}: it is damaged", cut_short: "cannot read {name}: it is damaged"}
"""What the sweep runner's reader says of a damaged status.json (a folder or a link there the report refuses
first, as any file)."""


def byte_cases() -> list[object]:
    """Every damage of bytes for every file the report reads, but those it cannot see (see the module's note)."""
    cases = []
    for kind, files in READS.items():
        for rel in files:
            suffix = Path(rel).suffix
            damages = {**BYTE_DAMAGES, cut_short: CUT_SHORT.get(suffix)}
            if rel == "status.json":
                damages.update(STATUS_DAMAGES)
            if suffix == ".png":
                damages[missing] = None  # the report shows the charts there are
                damages[noise] = "{name}: not a PNG image"
            for damage, expected in damages.items():
                if expected is not None:
                    cases.append(pytest.param(kind, rel, damage, expected, id=f"{kind}-{rel}-{damage.__name__}"))
    return cases


@pytest.mark.parametrize(("kind", "rel", "damage", "expected"), byte_cases())
def test_every_file_read_missing_empty_cut_short_noise_a_folder_or_a_link(
        kind: str, rel: str, damage: Callable[[Path, str], None], expected: str,
        copy: Callable[[str], Path]) -> None:
    folder = copy(kind)
    damage(folder, rel)
    name = Path(rel).name
    err = refused(folder, expected.format(name=re.escape(name)), name)
    if damage is not a_link:  # a link is mended by putting the file itself there
        assert RECOVERY.search(err), err


@pytest.mark.parametrize("kind", ["compare", "levers"])
def test_a_scenario_folder_of_a_comparison_that_is_missing_or_a_link(kind: str, copy: Callable[[str], Path]) -> None:
    folder = copy(kind)
    shutil.rmtree(folder / "tiny")
    refused(folder, "no folder tiny .*run the command that made it again")
    (folder.parent / "tiny").mkdir()
    (folder / "tiny").symlink_to(folder.parent / "tiny")
    refused(folder, "tiny: is a link")


def test_a_charts_folder_that_is_a_link(copy: Callable[[str], Path]) -> None:
    folder = copy("run")
    shutil.move(folder / "charts", folder.parent / "charts")
    (folder / "charts").symlink_to(folder.parent / "charts")
    refused(folder, "charts: is a link")


def test_a_missing_chart_or_markdown_cut_short_is_shown_as_it_is(copy: Callable[[str], Path]) -> None:
    folder = copy("patterns")
    (folder / "charts" / "structure.png").unlink()
    text = (folder / "patterns.md").read_text(encoding="utf-8")
    (folder / "patterns.md").write_text(text[:len(text) // 2], encoding="utf-8")
    code, _, err = invoke(["report", str(folder)])
    assert code == 0, err
    assert (folder / "report.html").read_text(encoding="utf-8").count('src="data:image/png;base64,') == 2  # of 3


@pytest.mark.parametrize(("kind", "rel"), [("run", "manifest.json"), ("run", "summary.json"),
                                         ("compare", "comparison.csv"), ("patterns", "charts/structure.png"),
                                         ("sweep", "status.json")])
def test_a_pipe_where_a_file_should_be_is_refused_without_reading_it(kind: str, rel: str,
                                                                    copy: Callable[[str], Path]) -> None:
    """Reading a pipe would wait for ever: only regular files are read."""
    folder = copy(kind)
    (folder / rel).unlink()
    os.mkfifo(folder / rel)
    refused(folder, rf"{re.escape(rel)}: not a regular file \(a folder, a pipe or a device\)")


@pytest.mark.parametrize(("kind", "rel"), [("patterns", "patterns.md"), ("calibration", "summary.md")])
def test_markdown_nested_too_deeply_to_convert(kind: str, rel: str, copy: Callable[[str], Path]) -> None:
    folder = copy(kind)
    (folder / rel).write_text("- " * 3000 + "x\n", encoding="utf-8")
    refused(folder, f"{rel}: nests lists or quotes too deeply to be shown; the folder is damaged", rel)


def test_a_chart_with_a_png_signature_but_nothing_after_it(copy: Callable[[str], Path]) -> None:
    folder = copy("run")
    (folder / "charts" / "staffing.png").write_bytes(PNG_MAGIC)
    refused(folder, r"staffing\.png: not a whole PNG image")


# --- JSON of the wrong shape ---------------------------------------------------------------------------------

DROP = object()
"""``at``'s value for a key to drop."""


def at(keys: str, value: object = DROP) -> Callable[[object], object]:
    """A change to a JSON document: the value at ``keys`` (dotted; list indexes as numbers) set to ``value``,
    or dropped."""
    def change(data: object) -> object:
        *parents, last = keys.split(".")
        node = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if value is DROP:
            del node[last]
        else:
            node[int(last) if isinstance(node, list) else last] = value
        return data
    return change


def whole(value: object) -> Callable[[object], object]:
    """A change to a JSON document: another document in its place."""
    return lambda _: value


def shape(kind: str, rel: str, change: Callable[[object], object], expected: str, what: str) -> object:
    """A damage of a kind's JSON file ``rel``: ``change`` applied to its document, and what the error says."""
    return pytest.param(kind, rel, change, expected, id=f"{kind}-{rel}-{what}")


SHAPES = [
    *(shape(kind, "manifest.json", whole(doc), expected, what)
      for kind in READS
      for doc, expected, what in [([], r"manifest\.json: not as ipsim writes it \(the top level: not a JSON object\)",
                                   "a list"),
                                  (3, "the top level: not a JSON object", "a number"),
                                  ("run", "the top level: not a JSON object", "a string"),
                                  (None, "the top level: not a JSON object", "null"),
                                  ({}, "it names no kind", "an empty object")]),
    *(shape(kind, "manifest.json", at("kind", value), expected, what)
      for kind in ("compare", "levers", "sweep", "calibration", "patterns")
      for value, expected, what in [("mystery", "kind 'mystery'.*not written by ipsim", "an unknown kind"),
                                    (["sweep"], r"kind \['sweep'\]", "a kind that is a list"),
                                    (DROP, "it names no kind", "no kind")]
      if (kind, value) != ("patterns", DROP)),  # a patterns manifest without its kind is a run's: see below
    shape("run", "manifest.json", at("scenario_file"), "it names no kind", "no kind and no scenario_file"),
    shape("run", "manifest.json", at("scenario"), "scenario: missing", "no scenario"),
    shape("run", "manifest.json", at("scenario", []), "scenario: not a JSON object", "a scenario that is a list"),
    shape("run", "manifest.json", at("scenario_file", 3), "scenario_file: not text", "a number for a path"),
    shape("run", "manifest.json", at("scenario.weeks", "many"),
          "the scenario recorded in manifest.json does not validate.*[(]weeks: expected a whole number",
          "a scenario that no longer validates"),
    shape("run", "manifest.json", at("scenario.colour", "red"), "does not validate.*colour: unknown field",
          "a scenario with an unknown field"),
    shape("run", "manifest.json", at("command", "ipsim run tiny.yaml"), "command: not a list", "a string command"),
    shape("run", "manifest.json", at("command", ["ipsim", 2]), r"command\[1\]: not text", "a number in the command"),
    shape("run", "manifest.json", at("versions", ["ipsim 0.1"]), "versions: not a JSON object", "a list of versions"),
    shape("run", "manifest.json", at("versions.ipsim", 1), "versions.ipsim: not text", "a number for a version"),
    shape("run", "manifest.json", at("base_seed", "2024"), "base_seed: not a whole number", "a string seed"),
    shape("run", "manifest.json", at("finished_utc", 2026), "finished_utc: not text", "a number for a time"),
    shape("run", "summary.json", whole([]), "the top level: not a JSON object", "a list"),
    shape("run", "summary.json", whole(0.2), "the top level: not a JSON object", "a number"),
    shape("run", "summary.json", whole({}), "replicates: missing; positions: missing; annual_turnover: missing; "
                                            r"and \d+ more", "an empty object"),
    shape("run", "summary.json", at("replicates"), "replicates: missing", "no replicates"),
    shape("run", "summary.json", at("replicates", "two"), "replicates: not a whole number", "a string count"),
    shape("run", "summary.json", at("replicates", 2.5), "replicates: not a whole number", "a fractional count"),
    shape("run", "summary.json", at("replicates", True), "replicates: not a whole number", "true for a count"),
    shape("run", "summary.json", at("annual_turnover.mean", "12%"), "annual_turnover.mean: not a number",
          "a string where a number is"),
    shape("run", "summary.json", at("annual_turnover", 0.2), "annual_turnover: not a JSON object",
          "a number where an interval is"),
    shape("run", "summary.json", at("retention_12m.ci_low"), "retention_12m.ci_low: missing", "an interval's end"),
    shape("run", "summary.json", at("study_cohort_left_share.window_weeks"),
          "study_cohort_left_share.window_weeks: missing", "no cohort window"),
    shape("run", "summary.json", at("warm_up_weeks", "none"), "warm_up_weeks: not a whole number", "a string warm-up"),
    shape("run", "summary.json", at("turnover_by_site"), "turnover_by_site: missing", "no turnover by site"),
    shape("run", "summary.json", at("turnover_by_site.pair.mean", "78%"), r"turnover_by_site\.pair\.mean: not a number",
          "a string site turnover"),
    shape("run", "summary.json", at("turnover_by_site.pair"),
          r"summary\.json: lists the site entries in turnover_by_site \(none\) where manifest\.json has pair",
          "a site's turnover missing"),
    shape("run", "summary.json", at("turnover_by_site.elsewhere", {"mean": 0.1, "ci_low": None, "ci_high": None}),
          "lists the site entries in turnover_by_site pair, elsewhere where manifest.json has pair",
          "another site's turnover"),
    shape("run", "summary.json", at("site_entries.pair.sites", 1.5), r"site_entries\.pair\.sites: not a whole number",
          "a fractional count of sites"),
    shape("run", "summary.json", at("site_entries.pair"), "lists the site entries in site_entries [(]none[)]",
          "a site entry missing"),
    shape("run", "summary.json", at("quit_reasons", ["travel"]), "quit_reasons: not a JSON object",
          "a list of quit reasons"),
    shape("run", "summary.json", at("quit_reasons.travel", "high"), "quit_reasons.travel: not a number",
          "a string share"),
    shape("compare", "manifest.json", at("scenarios"), "scenarios: missing", "no scenarios"),
    shape("compare", "manifest.json", at("scenarios", []), "scenarios: too short", "no scenario"),
    shape("compare", "manifest.json", at("scenarios", {"tiny": {}}), "scenarios: not a list", "scenarios by name"),
    shape("compare", "manifest.json", at("scenarios.0.folder", "../elsewhere"),
          r"scenarios\[0\]\.folder: not a name ipsim gives a folder", "a folder that is a path"),
    shape("compare", "manifest.json", at("scenarios.0.source"), r"scenarios\[0\]\.source: missing", "no source"),
    shape("compare", "manifest.json", at("scenarios.1.scenario.weeks", 0),
          "tiny-plan: the scenario recorded in manifest.json does not validate", "a scenario that no longer validates"),
    shape("compare", "manifest.json", at("replicate_seeds", 2), "replicate_seeds: not a list", "a count of seeds"),
    shape("levers", "manifest.json", at("not_tested", "all"), "not_tested: not a list", "a string of levers"),
    shape("levers", "manifest.json", at("scenarios.1.lever", 1), r"scenarios\[1\]\.lever: not text",
          "a number for a lever"),
    shape("patterns", "manifest.json", at("replicate_seeds"), "replicate_seeds: missing", "no seeds"),
    shape("patterns", "manifest.json", at("scenario.sites", []), "does not validate", "a scenario without sites"),
    shape("sweep", "manifest.json", at("spec"), "spec: missing", "no spec"),
    shape("sweep", "manifest.json", at("spec.design", "random"), "spec.design: Input should be 'grid', 'lhs', "
                                                                 "'sobol', 'morris' or 'points'", "an unknown design"),
    shape("sweep", "manifest.json", at("spec.parameters.0.range", None),
          r"spec\.parameters\[0\]: no levels, range or distribution", "a parameter without values"),
    shape("sweep", "manifest.json", at("spec.parameters.0.range", [1]), r"spec\.parameters\[0\]\.range: too short",
          "a range of one end"),
    shape("sweep", "manifest.json", at("spec.parameters.0.range", "wide"), r"spec\.parameters\[0\]\.range: not a list",
          "a string range"),
    shape("sweep", "manifest.json", at("points", "2"), "points: not a whole number", "a string count"),
    shape("sweep", "manifest.json", at("base_scenario"), "base_scenario: missing", "no base scenario"),
    shape("sweep", "manifest.json", at("base_scenario.weeks", -1), "base scenario: the scenario recorded in "
                                                                   "manifest.json does not validate",
          "a base scenario that no longer validates"),
    shape("calibration", "manifest.json", at("spec.name", 5), "spec.name: not text", "a number for a name"),
    *(shape(kind, "status.json", change, rf"cannot read status\.json: it is damaged \({expected}", what)
      for kind in ("sweep", "calibration")
      for change, expected, what in [(whole([]), "not a JSON object", "a list"),
                                     (whole({}), "no state, runs_total, runs_done, runs_failed", "an empty object"),
                                     (at("runs_failed"), r"no runs_failed\)", "no runs_failed"),
                                     (at("runs_done", "all"), "runs_done not a count", "a string count"),
                                     (at("runs_total", -1), "runs_total not a count", "a negative count"),
                                     (at("state", "failed"), "state 'failed' is none of running, interrupted, complete",
                                      "an unknown state")]),
]


def change_json(path: Path, change: Callable[[object], object]) -> None:
    path.write_text(json.dumps(change(json.loads(path.read_text(encoding="utf-8")))), encoding="utf-8")


@pytest.mark.parametrize(("kind", "rel", "change", "expected"), SHAPES)
def test_json_of_the_wrong_shape(kind: str, rel: str, change: Callable[[object], object], expected: str,
                                 copy: Callable[[str], Path]) -> None:
    folder = copy(kind)
    change_json(folder / rel, change)
    err = refused(folder, expected, rel)
    assert RECOVERY.search(err) or "by a version this one does not know" in err, err


@pytest.mark.parametrize(("kind", "state", "expected"), [
    ("sweep", "running", r"the sweep is not finished \(2 of 2 runs\); finish it with: ipsim sweep --resume "),
    ("calibration", "interrupted", r"the calibration is not finished \(4 of 4 runs\); finish it with: ipsim "
                                   "calibrate --resume "),
])
def test_an_unfinished_sweep_says_how_to_finish_it(kind: str, state: str, expected: str,
                                                   copy: Callable[[str], Path]) -> None:
    folder = copy(kind)
    change_json(folder / "status.json", at("state", state))
    refused(folder, expected + re.escape(str(folder)))


def test_a_status_json_nested_too_deeply_to_read(copy: Callable[[str], Path]) -> None:
    folder = copy("sweep")
    (folder / "status.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    refused(folder, r"cannot read status\.json: it is damaged \(maximum recursion depth exceeded", "status.json")


def test_a_patterns_manifest_without_its_kind_is_taken_for_a_runs(copy: Callable[[str], Path]) -> None:
    folder = copy("patterns")
    change_json(folder / "manifest.json", at("kind"))
    refused(folder, "no summary.json; the folder is damaged or was not written by ipsim")


@pytest.mark.parametrize(("text", "expected"), [
    ('{"replicates": 2,', r"not valid JSON \(Expecting property name enclosed in double quotes: line 1, "
                          "column 18[)]"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply to read"),
    ('{"replicates": ' + "9" * 5000 + "}", "holds a number too long to read"),
    ("\ufeff{}", "not valid JSON"),
], ids=["broken", "nested too deeply", "a huge number", "a byte-order mark"])
def test_json_that_cannot_be_read(text: str, expected: str, copy: Callable[[str], Path]) -> None:
    folder = copy("run")
    (folder / "summary.json").write_text(text, encoding="utf-8")
    refused(folder, f"summary.json: {expected}")


# --- CSV that is not as ipsim writes it ----------------------------------------------------------------------


Rows = list[list[str]]
"""A CSV file's lines, the header first, as cells."""
Change = Callable[[Rows], Rows]


def rows_of(path: Path) -> Rows:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def write_rows(path: Path, rows: Rows) -> None:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    path.write_text(text.getvalue(), encoding="utf-8")


def without_column(name: str) -> Change:
    def change(rows: Rows) -> Rows:
        i = rows[0].index(name)
        return [row[:i] + row[i + 1:] for row in rows]
    return change


def cell(line: int, column: str, value: str) -> Change:
    def change(rows: Rows) -> Rows:
        rows[line - 1][rows[0].index(column)] = value
        return rows
    return change


def line_changed(line: int, change_row: Callable[[list[str]], list[str]]) -> Change:
    def change(rows: Rows) -> Rows:
        rows[line - 1] = change_row(rows[line - 1])
        return rows
    return change


def appended(*row: str) -> Change:
    return lambda rows: [*rows, list(row)]


SENSITIVITY_ROW = ("annual_turnover", "staff.quit_threshold.mean", "spearman", "-0.5", "-0.9", "0.1")
"""A row of sensitivity.csv as ipsim writes one (the tiny sweep's has none: nobody quits in ten weeks)."""

CSV_CASES = [
    ("compare", "comparison.csv", without_column("annual_turnover_mean"), "no column annual_turnover_mean",
     "a column missing"),
    ("compare", "comparison.csv", without_column("scenario"), "no column scenario", "the scenario column missing"),
    ("compare", "comparison.csv", lambda rows: [["name", "age"], ["Bob", "3"]],
     r"no column scenario, annual_turnover_mean, .* and \d+ more", "another program's CSV"),
    ("compare", "comparison.csv", line_changed(2, lambda row: row[:-1]), "line 2 has fewer cells than the header",
     "a short row"),
    ("compare", "comparison.csv", line_changed(3, lambda row: [*row, "extra"]), "line 3 has more cells than the header",
     "a long row"),
    ("compare", "comparison.csv", cell(2, "annual_turnover_mean", "lots"),
     "line 2, column annual_turnover_mean: 'lots' is not a number", "text where a number is"),
    ("compare", "comparison.csv", cell(3, "cohort_left_share_ci_high", "1,5"),
     "line 3, column cohort_left_share_ci_high: '1,5' is not a number", "a decimal comma"),
    ("compare", "comparison.csv", without_column("turnover_pair_diff_ci_low"), "no column turnover_pair_diff_ci_low",
     "a site's column missing"),
    ("compare", "comparison.csv", cell(3, "turnover_pair_mean", "high"),
     "line 3, column turnover_pair_mean: 'high' is not a number", "text where a site's number is"),
    ("compare", "comparison.csv", cell(2, "annual_turnover_mean", "x" * 200_000), "not CSV as ipsim writes it",
     "a cell longer than CSV's limit"),
    ("compare", "comparison.csv", lambda rows: rows[:1], "lists the scenarios [(]none[)] where manifest.json has "
                                                        "tiny, tiny-plan", "no rows"),
    ("compare", "comparison.csv", lambda rows: rows[:2], "lists the scenarios tiny where manifest.json has tiny, "
                                                        "tiny-plan", "a row missing"),
    ("compare", "comparison.csv", cell(3, "scenario", "other"), "lists the scenarios tiny, other where manifest.json",
     "another scenario"),
    ("levers", "comparison.csv", lambda rows: [rows[0], rows[2], rows[1]], "lists the scenarios implementation-lead, "
                                                                           "tiny where", "rows out of order"),
    ("levers", "levers.csv", without_column("turnover_avoided_ci_high"), "no column turnover_avoided_ci_high",
     "a column missing"),
    ("levers", "levers.csv", cell(2, "turnover_avoided_mean", "n/a"),
     "line 2, column turnover_avoided_mean: 'n/a' is not a number", "text where a number is"),
    ("levers", "levers.csv", cell(2, "lever", "free_lunch"), "lists the levers free_lunch where manifest.json has "
                                                            "implementation_lead", "another lever"),
    ("levers", "levers.csv", lambda rows: rows[:1], "lists the levers [(]none[)]", "no rows"),
    ("sweep", "sensitivity.csv", without_column("index"), "no column index", "a column missing"),
    ("sweep", "sensitivity.csv", appended(*SENSITIVITY_ROW[:3], "strong", "", ""),
     "line 2, column value: 'strong' is not a number", "text where a number is"),
    ("sweep", "sensitivity.csv", appended(*SENSITIVITY_ROW[:4]), "line 2 has fewer cells than the header",
     "a short row"),
]


@pytest.mark.parametrize(("kind", "rel", "change", "expected"), [pytest.param(*c[:4], id=f"{c[0]}-{c[1]}-{c[4]}")
                                                                 for c in CSV_CASES])
def test_csv_that_is_not_as_ipsim_writes_it(kind: str, rel: str, change: Change, expected: str,
                                            copy: Callable[[str], Path]) -> None:
    folder = copy(kind)
    write_rows(folder / rel, change(rows_of(folder / rel)))
    err = refused(folder, f"{rel}: {expected}", rel)
    assert RECOVERY.search(err), err


def test_a_sensitivity_row_as_ipsim_writes_it_is_reported(copy: Callable[[str], Path]) -> None:
    """The control for the damaged rows above: the same row, whole, is what the findings give."""
    folder = copy("sweep")
    write_rows(folder / "sensitivity.csv", appended(*SENSITIVITY_ROW)(rows_of(folder / "sensitivity.csv")))
    code, _, err = invoke(["report", str(folder)])
    assert code == 0, err
    assert "depends most on staff.quit_threshold.mean (-0.50, 95% CI -0.90 to 0.10)" in (
        folder / "report.html").read_text(encoding="utf-8")


def test_a_sensitivity_csv_damaged_says_how_to_write_it_again(copy: Callable[[str], Path]) -> None:
    folder = copy("sweep")
    (folder / "sensitivity.csv").unlink()
    refused(folder, f"no sensitivity.csv; ipsim analyze {re.escape(str(folder))} writes it again")


# --- folders that are no run folder --------------------------------------------------------------------------


def test_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    refused(tmp_path / "empty", "no manifest.json; the folder is damaged or was not written by ipsim")


def test_a_folder_of_unrelated_files(tmp_path: Path) -> None:
    folder = tmp_path / "holiday"
    (folder / "charts").mkdir(parents=True)
    (folder / "notes.md").write_text("# Packing list\n")
    (folder / "summary.json").write_text('{"days": 12}')
    (folder / "charts" / "beach.png").write_bytes(NOISE)
    refused(folder, "no manifest.json; the folder is damaged or was not written by ipsim")


def test_a_folder_with_another_programs_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "web-app"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"name": "My app", "start_url": "/", "display": "standalone"}))
    refused(folder, "manifest.json is not of an ipsim run, .* folder [(]it names no kind[)]; the folder was not "
                    "written by ipsim")


def test_the_folder_that_holds_run_folders(folders: dict[str, Path]) -> None:
    runs = folders["run"].parent
    refused(runs, f"no manifest.json; it holds folders ipsim wrote: give one of them, such as "
                  f"{re.escape(str(folders['run']))}")


def test_a_run_dir_that_is_a_file(copy: Callable[[str], Path], tmp_path: Path) -> None:
    folder = copy("run")
    refused(folder / "summary.json", f"summary.json: is a file, not a folder [(]did you mean {re.escape(str(folder))}"
                                     "[?][)]")
    (tmp_path / "notes.txt").write_text("not a folder\n")
    refused(tmp_path / "notes.txt", "notes.txt: is a file, not a folder; give a folder that ipsim run")


def test_a_run_dir_that_does_not_exist(tmp_path: Path) -> None:
    refused(tmp_path / "nope", "nope: no such folder")


@pytest.mark.parametrize("kind", list(COMMANDS))
def test_an_undamaged_copy_is_reported(kind: str, copy: Callable[[str], Path]) -> None:
    """The control for every case above: the copy itself is fine, so each error comes of its damage alone."""
    folder = copy(kind)
    code, out, err = invoke(["report", str(folder)])
    assert code == 0 and err == "", err
    assert out.startswith(f"wrote {folder / 'report.html'}")


def test_a_sweep_of_a_parameter_drawn_from_a_distribution_is_reported(tmp_path: Path) -> None:
    """A spec's distribution is recorded as its name and parameters; the report names both."""
    (tmp_path / "tiny.yaml").write_text(TINY, encoding="utf-8")
    (tmp_path / "spec.yaml").write_text(
        "base: tiny.yaml\nname: drawn\ndesign: lhs\nsamples: 2\nreplicates: 1\nmetrics: [annual_turnover]\n"
        "parameters:\n  - {path: staff.quit_threshold.mean, distribution: {name: norm, params: {loc: 1.2, "
        "scale: 0.1}}}\n", encoding="utf-8")
    code, _, err = invoke(["sweep", str(tmp_path / "spec.yaml"), "--workers", "1", "--out", str(tmp_path / "runs")])
    assert code == 0, err
    folder = only_folder(tmp_path / "runs")
    code, _, err = invoke(["report", str(folder)])
    assert code == 0, err
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "<td>its 0.5% to 99.5% quantiles</td><td>norm (loc 1.2, scale 0.1)</td>" in html
