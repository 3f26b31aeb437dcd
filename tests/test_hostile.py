"""Hostile and broken input: every bad case is one clear error (exit 2, ``ipsim: error:``, no traceback) and nothing
is written outside the command's own output.

Names first: every name that becomes part of a file or folder name (a scenario's, from its ``name:`` or its file's
stem, a sweep's, a calibration's, and a site's) is an identifier, never a path.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import BASELINE_FILE, invoke

TINY = f"""
extends: {BASELINE_FILE}
weeks: 10
cohort_window_weeks: 10
replace_sites: true
sites:
  - {{name: pair, positions: 2}}
"""
"""One site of two positions for ten weeks: a run takes milliseconds."""

ESCAPES = ["..", ".", "../escaped", "a/b", "a\\\\b", ".hidden", "-dash", "x" * 81, "ok name"]
"""Names that could point outside a folder, hide a folder, read as an option, or are not one identifier."""
RESERVED = ["manifest.json", "comparison.csv", "levers.csv", "summary.md", "charts", "CHARTS", "report.html"]
"""Names of the comparison folder's own files and folders (in any case: Windows and macOS ignore it)."""


def snapshot(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` with a digest of its bytes: what must not change."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def out_with_a_run(tmp_path: Path) -> Callable[[], dict[str, str]]:
    """``tmp_path/runs`` holding an earlier run's files, which a bad command must leave exactly as they were;
    returns a function that checks it."""
    out = tmp_path / "runs"
    (out / "20260101T000000Z-earlier").mkdir(parents=True)
    (out / "20260101T000000Z-earlier" / "summary.json").write_text('{"precious": true}\n')
    (out / "summary.json").write_text("not ipsim's\n")
    before = snapshot(out)

    def unchanged() -> dict[str, str]:
        assert snapshot(out) == before
        assert sorted(tmp_path.rglob("summary.json")) == sorted([out / "summary.json",
                                                                 out / "20260101T000000Z-earlier" / "summary.json"])
        assert not (tmp_path / "escaped").exists()
        assert sorted(p.name for p in out.iterdir()) == ["20260101T000000Z-earlier", "summary.json"]
        return before

    return unchanged


def one_clear_error(code: int, err: str) -> None:
    assert code == 2, err
    assert err.startswith("ipsim: error: ") and "Traceback" not in err, err
    assert len(err) <= 2000


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ESCAPES)
def test_a_scenario_name_that_is_no_identifier_is_refused_before_anything_runs(
        name: str, tmp_path: Path, out_with_a_run: Callable[[], dict[str, str]]) -> None:
    bad = write(tmp_path / "bad.yaml", TINY + f"name: '{name}'\n")
    base = write(tmp_path / "base.yaml", TINY + "name: base\n")
    for argv in (["compare", str(base), str(bad)], ["run", str(bad)], ["levers", str(bad)]):
        code, _, err = invoke([*argv, "--replicates", "1", "--workers", "1", "--out", str(tmp_path / "runs")])
        one_clear_error(code, err)
        assert "name: must start with a letter or digit" in err, err
    out_with_a_run()


@pytest.mark.parametrize("stem", ["..", "."])
def test_a_file_whose_stem_is_no_identifier_needs_a_name(stem: str, tmp_path: Path,
                                                         out_with_a_run: Callable[[], dict[str, str]]) -> None:
    """``...yaml`` has the stem ``..``: without a ``name:`` that would be the scenario's name."""
    bad = write(tmp_path / f"{stem}.yaml", TINY)
    base = write(tmp_path / "base.yaml", TINY + "name: base\n")
    code, _, err = invoke(["compare", str(base), str(bad), "--replicates", "1", "--workers", "1",
                           "--out", str(tmp_path / "runs")])
    one_clear_error(code, err)
    assert "name: must start with a letter or digit" in err and repr(stem) in err, err
    out_with_a_run()


@pytest.mark.parametrize("name", RESERVED)
def test_a_scenario_may_not_take_the_name_of_the_comparison_folders_own_files(
        name: str, tmp_path: Path, out_with_a_run: Callable[[], dict[str, str]]) -> None:
    base = write(tmp_path / "base.yaml", TINY + "name: base\n")
    bad = write(tmp_path / "bad.yaml", TINY + f"name: '{name}'\n")
    code, _, err = invoke(["compare", str(base), str(bad), "--replicates", "1", "--workers", "1",
                           "--out", str(tmp_path / "runs")])
    one_clear_error(code, err)
    assert "the comparison folder uses that name for its own files" in err, err
    out_with_a_run()


def test_names_that_differ_only_in_capitals_are_one_name(tmp_path: Path,
                                                         out_with_a_run: Callable[[], dict[str, str]]) -> None:
    first = write(tmp_path / "a.yaml", TINY + "name: Plan\n")
    second = write(tmp_path / "b.yaml", TINY + "name: plan\n")
    code, _, err = invoke(["compare", str(first), str(second), "--replicates", "1", "--workers", "1",
                           "--out", str(tmp_path / "runs")])
    one_clear_error(code, err)
    assert "given more than once" in err and "capitals" in err, err
    out_with_a_run()


@pytest.mark.parametrize("command", ["sweep", "calibrate"])
@pytest.mark.parametrize("name", ["..", "../escaped", ".hidden"])
def test_a_sweep_or_calibration_name_that_is_no_identifier_is_refused(
        command: str, name: str, tmp_path: Path, out_with_a_run: Callable[[], dict[str, str]]) -> None:
    write(tmp_path / "tiny.yaml", TINY + "name: tiny\n")
    body = {"sweep": "design: lhs\nsamples: 2\nreplicates: 1\nparameters:\n"
                     "  - {path: staff.quit_threshold.mean, range: [0.8, 1.6]}\n",
            "calibrate": "window_weeks: 10\nsamples: 2\nreplicates: 1\nparameters:\n"
                         "  - {path: staff.quit_threshold.mean, range: [0.8, 1.6]}\n"
                         "targets:\n  - {metric: cohort_left_share, successes: 1, trials: 4, source: test}\n"}[command]
    spec = write(tmp_path / "spec.yaml", f"base: tiny.yaml\nname: '{name}'\n{body}")
    code, _, err = invoke([command, str(spec), "--workers", "1", "--out", str(tmp_path / "runs")])
    one_clear_error(code, err)
    assert "name: must start with a letter or digit" in err, err
    out_with_a_run()


def test_a_site_name_that_is_no_identifier_is_refused(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.yaml", TINY.replace("name: pair", "name: '../pair'") + "name: bad\n")
    code, _, err = invoke(["validate", str(bad)])
    one_clear_error(code, err)
    assert "sites[0] (../pair).name: must start with a letter or digit" in err, err


# --- the report: what it replaces and what it embeds ---------------------------------------------------------


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished ``ipsim run`` folder of the tiny world."""
    root = tmp_path_factory.mktemp("report")
    scenario = write(root / "tiny.yaml", TINY + "name: tiny\n")
    code, _, err = invoke(["run", str(scenario), "--replicates", "2", "--workers", "1", "--out", str(root / "runs")])
    assert code == 0, err
    return next((root / "runs").iterdir())


@pytest.mark.parametrize("kind", ["symlink", "fifo", "folder", "device"])
def test_the_report_never_replaces_a_link_a_pipe_a_folder_or_a_device(kind: str, run_folder: Path,
                                                                         tmp_path: Path) -> None:
    target = tmp_path / "target.html"
    target.write_text("keep me\n")
    out = tmp_path / "out.html"
    if kind == "symlink":
        out.symlink_to(target)
    elif kind == "fifo":
        os.mkfifo(out)
    elif kind == "folder":
        out.mkdir()
    else:
        out = Path("/dev/null")
    code, _, err = invoke(["report", str(run_folder), "--out", str(out)])
    one_clear_error(code, err)
    assert target.read_text() == "keep me\n"
    if kind == "symlink":
        assert out.is_symlink()
    if kind == "device":
        assert out.is_char_device()


def test_a_chart_that_links_elsewhere_is_not_embedded(run_folder: Path, tmp_path: Path) -> None:
    """A run folder is copied around; a chart replaced by a link to a secret must not end up in a sent report."""
    folder = tmp_path / "copy"
    shutil.copytree(run_folder, folder)
    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2\n")
    (folder / "charts" / "retention.png").unlink()
    (folder / "charts" / "retention.png").symlink_to(secret)
    code, _, err = invoke(["report", str(folder)])
    one_clear_error(code, err)
    assert "retention.png: is a link" in err
    assert not (folder / "report.html").exists()


def test_markdown_from_input_files_cannot_put_images_scripts_or_javascript_links_in_the_report(tmp_path: Path) -> None:
    from simulation.present.report import _markdown

    hostile = ("# title\n\n- see ![x](http://evil.example/pixel.png) and [click](javascript:alert(1)) and "
               "<script>alert(2)</script> and [ok](https://example.org)\n")
    html = _markdown(hostile)
    assert "<img" not in html and "javascript:" not in html and "<script" not in html
    assert 'href="https://example.org"' in html


# --- reporting sanity ---------------------------------------------------------------------------------------


def test_no_interval_leaves_the_range_its_metric_can_take() -> None:
    """A t interval of a few skewed shares reaches below 0; reported, it is clipped to what a share can be."""
    from simulation.analysis import metrics, stats

    shares = [0.0, 0.0, 0.0, 0.9]
    plain = stats.mean_ci(shares)
    assert plain["ci_low"] is not None and plain["ci_low"] < 0  # what the t interval alone gives
    clipped = stats.mean_ci(shares, bounds=metrics.BOUNDS["shock_share"])
    assert clipped["mean"] == plain["mean"] and clipped["ci_low"] == 0.0 and clipped["ci_high"] == plain["ci_high"]
    difference = stats.paired_difference([1.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0], bounds=metrics.SHARE)
    assert -1.0 <= difference["ci_low"] <= difference["ci_high"] <= 1.0
    assert set(metrics.BOUNDS) == set(metrics.HEADLINE)


def test_a_printed_summary_shows_no_impossible_interval(tmp_path: Path) -> None:
    scenario = write(tmp_path / "tiny.yaml", TINY + "name: tiny\n")
    code, out, err = invoke(["run", str(scenario), "--replicates", "3", "--workers", "1", "--out", str(tmp_path)])
    assert code == 0, err
    assert "-" not in "".join(line.split("95% CI")[-1] for line in out.splitlines() if "%" in line)


# --- generated YAML is generated, not pasted -----------------------------------------------------------------


def test_hostile_sources_and_paths_cannot_change_what_a_calibrated_scenario_sets(tmp_path: Path) -> None:
    """A target's source with line breaks and live YAML, and a base folder whose name holds ``#`` and ``: ``,
    end up as comments and as the quoted ``extends`` path: the calibrated scenario sets exactly the base plus the
    free parameters' medians."""
    from simulation.inputs.scenarios import load_scenario

    base_dir = tmp_path / "base #1: x"
    base = write(base_dir / "tiny.yaml", TINY + "name: tiny\n")
    injected = "B24\\nstaff:\\n  notice_weeks: 1\\r\\u2028weeks: 3\\x85# end"
    spec = write(base_dir / "cal.yaml", f"""
base: tiny.yaml
name: hostile
window_weeks: 10
samples: 8
generations: 1
replicates: 1
seed: 3
parameters:
  - {{path: staff.quit_threshold.mean, range: [1.5, 4.0]}}
targets:
  - {{metric: cohort_left_share, successes: 0, trials: 4, source: "{injected}"}}
""")
    code, _, err = invoke(["calibrate", str(spec), "--workers", "1", "--out", str(tmp_path / "runs")])
    assert code == 0, err
    folder = next((tmp_path / "runs").iterdir())
    calibrated = load_scenario(folder / "calibrated.yaml").model_dump()
    expected = load_scenario(base).model_dump()
    expected["staff"]["quit_threshold"]["mean"] = calibrated["staff"]["quit_threshold"]["mean"]
    expected["cohort_window_weeks"] = 10
    expected["name"] = "calibrated"
    assert calibrated == expected  # notice_weeks and weeks as in the base: nothing injected took effect
    text = (folder / "calibrated.yaml").read_text(encoding="utf-8")
    assert "notice_weeks: 1" in text and all(line.startswith("#") for line in text.splitlines()
                                               if "notice_weeks" in line)


# --- bounded inputs ------------------------------------------------------------------------------------------


def special_extends(tmp_path: Path, target: str) -> Path:
    return write(tmp_path / "child.yaml", f"extends: {target}\nname: child\n")


@pytest.mark.parametrize("kind", ["fifo", "endless device", "folder"])
def test_extends_pointing_at_a_special_file_is_refused_at_once(kind: str, tmp_path: Path) -> None:
    """A pipe would hang the read forever and /dev/zero would never end: only a regular file is read."""
    if kind == "fifo":
        os.mkfifo(tmp_path / "pipe.yaml")
        target = "pipe.yaml"
    elif kind == "endless device":
        target = "/dev/zero"
    else:
        (tmp_path / "folder.yaml").mkdir()
        target = "folder.yaml"
    code, _, err = invoke(["validate", str(special_extends(tmp_path, target))])
    one_clear_error(code, err)
    assert "not a regular file" in err, err


@pytest.mark.parametrize("case", ["too big", "deeply nested", "deeper than the limit", "huge integer",
                                  "long extends chain"])
def test_oversized_input_is_one_clear_error(case: str, tmp_path: Path) -> None:
    from simulation.inputs.reading import MAX_DEPTH, MAX_FILE_BYTES
    from simulation.inputs.scenarios import MAX_CHAIN

    path = tmp_path / "big.yaml"
    if case == "too big":
        write(path, TINY + "name: big\ndescription: '" + "x" * MAX_FILE_BYTES + "'\n")
        expected = "an input file may have at most"
    elif case == "deeply nested":
        write(path, "name: deep\ndescription: " + "[" * 20_000 + "]" * 20_000 + "\n")
        expected = "nested too deeply"
    elif case == "deeper than the limit":
        write(path, "name: deep\ndescription: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n")
        expected = f"nested more than {MAX_DEPTH} levels deep"
    elif case == "huge integer":
        write(path, "name: big\nweeks: " + "9" * 5000 + "\n")
        expected = "a value cannot be read"
    else:
        write(tmp_path / "f0.yaml", TINY + "name: f0\n")
        for i in range(1, MAX_CHAIN + 3):
            write(tmp_path / f"f{i}.yaml", f"extends: f{i - 1}.yaml\n")
        path = tmp_path / f"f{MAX_CHAIN + 2}.yaml"
        expected = f"extends chains more than {MAX_CHAIN} files"
    code, _, err = invoke(["validate", str(path)])
    one_clear_error(code, err)
    assert expected in err, err


# --- the command line ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [
    ["frob"], [], ["run", "--bogus"], ["run", "--replicates", "1e9"], ["run", "--replicates", "0"],
    ["run", "--seed", "-1"], ["run", "--workers", "0"], ["run", "--workers", "100000"], ["app", "--port", "70000"],
    ["run", "--replicates", "x" * 1_000_000], ["sweep"], ["sweep", "a.yaml", "--resume", "b"],
    ["run", "--out", "d" * 300], ["report", "x" * 5000],
], ids=lambda argv: " ".join(a[:20] for a in argv) or "nothing")
def test_a_bad_command_line_is_one_clear_error(argv: list[str], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = invoke(argv)
    one_clear_error(code, err)
    assert err.count("\n") == 1 and "usage:" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("body", [
    "metrics: [" + ", ".join(["nonsense"] * 3000) + "]\n",
    "parameters:\n  - {path: '" + "a." * 5000 + "', range: [1, 2]}\n",
], ids=["thousands of problems", "a ten-thousand-character path"])
def test_a_spec_with_thousands_of_problems_or_a_huge_value_is_a_few_lines(body: str, tmp_path: Path) -> None:
    write(tmp_path / "tiny.yaml", TINY + "name: tiny\n")
    spec = write(tmp_path / "spec.yaml", "base: tiny.yaml\ndesign: lhs\nsamples: 2\n" + (
        body if body.startswith("parameters") else body + "parameters:\n  - {path: weeks, range: [1, 2], type: int}\n"))
    code, _, err = invoke(["sweep", str(spec), "--out", str(tmp_path / "runs")])
    one_clear_error(code, err)
    assert err.count("\n") <= 10 and not (tmp_path / "runs").exists()


# --- found by an adversarial round beyond the list ---------------------------------------------------


@pytest.mark.parametrize("field", ["extends", "base"])
def test_a_nul_byte_in_a_path_is_one_clear_error(field: str, tmp_path: Path) -> None:
    write(tmp_path / "tiny.yaml", TINY + "name: tiny\n")
    if field == "extends":
        bad = write(tmp_path / "bad.yaml", 'extends: "tiny.yaml\\0x"\nname: nul\n')
        argv = ["validate", str(bad)]
    else:
        bad = write(tmp_path / "spec.yaml", 'base: "tiny.yaml\\0"\ndesign: lhs\nsamples: 2\n'
                                            "parameters:\n  - {path: weeks, range: [1, 2], type: int}\n")
        argv = ["sweep", str(bad), "--out", str(tmp_path / "runs")]
    code, _, err = invoke(argv)
    one_clear_error(code, err)


@pytest.mark.parametrize("target", ["manifest.json", "summary.json", "the scenario", "another run's folder"])
@pytest.mark.parametrize("command", ["report", "schema"])
def test_out_never_replaces_a_runs_files_or_a_scenario(target: str, command: str, run_folder: Path,
                                                      tmp_path: Path) -> None:
    other = tmp_path / "other-run"
    other.mkdir()
    (other / "manifest.json").write_text('{"versions": {"ipsim": "0.1.0"}}')
    path = {"manifest.json": run_folder / "manifest.json", "summary.json": run_folder / "summary.json",
            "the scenario": write(tmp_path / "mine.yaml", TINY), "another run's folder": other / "x.html"}[target]
    before = snapshot(run_folder) | snapshot(tmp_path)
    code, _, err = invoke(["report", str(run_folder), "--out", str(path)] if command == "report"
                          else ["schema", "--out", str(path)])
    one_clear_error(code, err)
    assert snapshot(run_folder) | snapshot(tmp_path) == before


def test_a_run_is_never_written_into_another_run_folder(run_folder: Path, tmp_path: Path) -> None:
    scenario = write(tmp_path / "tiny.yaml", TINY + "name: tiny\n")
    before = snapshot(run_folder)
    for out in (run_folder, run_folder / "charts", run_folder / "charts" / "new"):
        code, _, err = invoke(["run", str(scenario), "--replicates", "2", "--workers", "1", "--out", str(out)])
        one_clear_error(code, err)
        assert "inside the run folder" in err
    assert snapshot(run_folder) == before
    project = tmp_path / "project"  # another tool's manifest.json is not a run folder's
    write(project / "manifest.json", '{"name": "a web app"}')
    code, _, err = invoke(["run", str(scenario), "--replicates", "2", "--workers", "1", "--out", str(project / "runs")])
    assert code == 0, err


@pytest.mark.parametrize(("case", "body"), [
    ("a line break in a text level",
     "parameters:\n  - {path: description, type: categorical, levels: [\"a\\rb\", c]}\n"),
    ("a distribution that overflows", "parameters:\n  - {path: staff.quit_threshold.mean, distribution: "
                                      "{name: gausshyper, params: {a: 1e10, b: 1e-10, c: 1e10, z: 1e10}}}\n"),
    ("a distribution of huge numbers", "parameters:\n  - {path: staff.quit_threshold.mean, distribution: "
                                       "{name: norm, params: {loc: 1e308, scale: 1e308}}}\n"),
])
def test_a_sweep_parameter_that_cannot_be_run_or_recorded_is_refused(case: str, body: str, tmp_path: Path) -> None:
    write(tmp_path / "tiny.yaml", TINY + "name: tiny\n")
    design = "design: grid\n" if "level" in case else "design: lhs\nsamples: 2\n"
    spec = write(tmp_path / "spec.yaml", f"base: tiny.yaml\n{design}replicates: 1\n{body}")
    code, _, err = invoke(["sweep", str(spec), "--out", str(tmp_path / "runs")])
    one_clear_error(code, err)
    assert "Warning" not in err and not (tmp_path / "runs").exists()


def test_a_calibration_target_must_be_a_share_of_es(tmp_path: Path) -> None:
    write(tmp_path / "tiny.yaml", TINY + "name: tiny\n")
    spec = write(tmp_path / "cal.yaml", "base: tiny.yaml\nwindow_weeks: 10\nsamples: 4\nparameters:\n"
                 "  - {path: staff.quit_threshold.mean, range: [0.4, 1.6]}\ntargets:\n"
                 "  - {metric: job_starts_per_position_year, successes: 1, trials: 4, source: x}\n")
    code, _, err = invoke(["calibrate", str(spec), "--out", str(tmp_path / "runs")])
    one_clear_error(code, err)
    assert "targets[0].metric" in err and "cohort_left_share" in err


def test_a_huge_staff_is_refused_at_once(tmp_path: Path) -> None:
    sites = "".join(f"  - {{name: s{k}, count: 100, positions: 50}}\n" for k in range(2000))
    scenario = write(tmp_path / "huge.yaml", TINY.split("\nsites:")[0] + "\nname: huge\nsites:\n" + sites)
    started = time.monotonic()
    code, _, err = invoke(["validate", str(scenario)])
    one_clear_error(code, err)
    assert "at most 1000 entries" in err and time.monotonic() - started < 5
    scenario = write(tmp_path / "big.yaml", TINY.split("\nsites:")[0] + "\nname: big\nsites:\n"
                     + "".join(f"  - {{name: s{k}, count: 100, positions: 50}}\n" for k in range(3)))
    code, _, err = invoke(["validate", str(scenario)])
    one_clear_error(code, err)
    assert "15,000 positions" in err


@pytest.mark.parametrize("key", ["\x1b]0;pwned\x07\x1b[2J", "a\nb\nc"])
def test_control_characters_in_keys_never_reach_the_terminal(key: str, tmp_path: Path) -> None:
    scenario = write(tmp_path / "bad.yaml", TINY + "name: bad\n" + yaml_key(key) + ": 1\n")
    code, _, err = invoke(["validate", str(scenario)])
    one_clear_error(code, err)
    assert err.count("\n") == 1 and "\x1b" not in err and "\x07" not in err


def yaml_key(key: str) -> str:
    """``key`` as a double-quoted YAML key (escapes for the control characters)."""
    return '"' + key.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
