"""The ``ipsim`` command line's own face: ``--version``, a description and help text for every command and option,
a light start-up (``--help``, ``validate`` and ``show`` never import Mesa, Matplotlib, SciPy and the like), and bad
input refused in one line, with exit status 2 and no traceback (also by ``python -m simulation``).

Every test here is fast: nothing is simulated.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import simulation
from simulation.cli import main, parser
from tests.helpers import BASELINE_FILE, ROOT, invoke

COMMANDS = {"run", "compare", "levers", "validate", "params", "show", "sweep", "calibrate", "check-patterns",
            "analyze", "discover", "report", "app", "schema"}
HEAVY = ("mesa", "matplotlib", "solara", "SALib", "distributed", "jinja2")
"""Top-level packages (any submodule counts) that the light commands must not import; ``scipy.stats`` too."""


def pyproject_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


# --- --version ----------------------------------------------------------------------------------------------------


def test_version_prints_the_installed_distributions_version(capsys: pytest.CaptureFixture[str]) -> None:
    """``ipsim --version`` prints ``ipsim X.Y.Z`` (the installed metadata, i.e. pyproject.toml's version), exit 0."""
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    out, err = capsys.readouterr()
    assert out == f"ipsim {metadata.version('ipsim')}\n"
    assert err == ""
    assert metadata.version("ipsim") == pyproject_version(), "the installed metadata is stale: reinstall (./dev)"


def test_package_exposes_the_same_version() -> None:
    assert simulation.__version__ == metadata.version("ipsim")


def test_version_falls_back_to_pyproject_when_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A source tree that was never installed still knows its version, from pyproject.toml (the one source)."""

    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(simulation._metadata, "version", not_installed)
    assert simulation._read_version() == pyproject_version()


# --- descriptions and help texts -------------------------------------------------------------------------------------


def subcommands(top: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in top._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_every_command_is_there() -> None:
    assert set(subcommands(parser())) == COMMANDS


@pytest.mark.parametrize("name", ["ipsim", *sorted(COMMANDS)])
def test_every_command_has_a_description_and_every_option_a_help_text(name: str) -> None:
    """``--help`` starts (after the usage) with the command's description, and lists no argument or option
    without a help text."""
    top = parser()
    command = top if name == "ipsim" else subcommands(top)[name]
    description = (command.description or "").strip()
    assert description, f"{name}: no description"
    assert description[0].isupper() and description.endswith("."), f"{name}: {description!r} is not a sentence"
    missing = [action.option_strings[0] if action.option_strings else action.dest
               for action in command._actions
               if not isinstance(action, argparse._HelpAction)
               and (not action.help or action.help == argparse.SUPPRESS)]
    assert not missing, f"{name}: no help text for {', '.join(missing)}"
    text = command.format_help()  # also checks that every help text formats (a stray % would raise here)
    first_paragraph = text.split("\n\n")[1]
    assert "".join(first_paragraph.split()) == "".join(description.split())  # wrapped (at spaces and hyphens)


# --- a light start-up -------------------------------------------------------------------------------------------------

PROBE = f"""
import sys
from simulation.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if m.split('.')[0] in {set(HEAVY)!r} or m == 'scipy.stats')
print(__import__('json').dumps({{'code': code, 'heavy': heavy}}), file=sys.stderr)
"""


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["validate", str(BASELINE_FILE)],
                                  ["show", str(BASELINE_FILE)], ["show", "--help"], ["validate", "no-such-file.yaml"]],
                         ids=lambda argv: " ".join(Path(a).name for a in argv))
def test_light_commands_import_nothing_heavy(argv: list[str], tmp_path: Path) -> None:
    """A fresh interpreter running ``ipsim ARGV`` never imports Mesa, Matplotlib, scipy.stats, Solara, SALib, Dask
    distributed or Jinja2 (they cost seconds at start-up)."""
    result = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=tmp_path,
                            timeout=60, check=False)
    probe = json.loads(result.stderr.strip().splitlines()[-1])
    assert probe["code"] in (0, 2, None), result.stderr
    assert probe["heavy"] == [], f"ipsim {' '.join(argv)} imported {', '.join(probe['heavy'])}"


# --- errors of heavy modules are still caught -------------------------------------------------------------------------


def test_comparison_error_is_one_line_exit_2(tmp_path: Path) -> None:
    """A ComparisonError (from a module imported only by compare) is reported as bad input, exit 2."""
    code, _, err = invoke(["compare", str(BASELINE_FILE), "--out", str(tmp_path / "runs")])
    assert code == 2
    assert err == "ipsim: error: a comparison needs at least two scenarios\n"
    assert not (tmp_path / "runs").exists()


def test_report_error_is_one_line_exit_2(tmp_path: Path) -> None:
    """A ReportError (from the Jinja2 report module) is reported as bad input, exit 2."""
    missing = tmp_path / "nothing-here"
    code, _, err = invoke(["report", str(missing)])
    assert code == 2
    assert err == f"ipsim: error: {missing}: no such folder\n"


# --- bad command-line values ------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [["--replicates", "0"], ["--replicates", "two"], ["--seed", "-1"], ["--seed", "x"], ["--weeks", "x"],
     ["--weeks", "0"], ["--workers", "0"]],
    ids=lambda b: " ".join(b),
)
def test_bad_cli_values_exit_2(bad: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "runs"
    argv = ["run", "--replicates", "2", "--weeks", "20", "--workers", "1", "--out", str(out), *bad]
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    _, err = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in err
    assert bad[0] in err  # names the offending option
    assert not out.exists()


def test_real_entry_point_reports_bad_scenario_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "typo.yaml"
    bad.write_text(BASELINE_FILE.read_text(encoding="utf-8") + "clients: {caseload_capp: 20}\n", encoding="utf-8")
    out = tmp_path / "runs"
    out.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "simulation", "run", str(bad), "--replicates", "2", "--weeks", "20",
         "--workers", "1", "--out", str(out)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("ipsim: error: ")
    assert str(bad) in result.stderr
    assert "clients.caseload_capp" in result.stderr and "did you mean 'caseload_cap'" in result.stderr
    assert list(out.iterdir()) == []


def test_a_reader_that_stops_early_gets_no_traceback() -> None:
    """``ipsim params | head`` closes the pipe before the table is written: stop quietly with the shell's 141."""
    process = subprocess.Popen([sys.executable, "-m", "simulation", "params"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the command writes
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert "Traceback" not in err and "BrokenPipe" not in err, err
