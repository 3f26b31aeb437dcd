"""The ``ipsim`` command line: parses arguments, reads the inputs and dispatches to the studies (simulation.studies).

Start-up stays light: at module level this imports only what parsing the command line and the scenario-file
commands (``validate``, ``show``, ``schema``) need, never Mesa, Matplotlib, SciPy, SALib, Dask, Jinja2 or Solara.
Each command that runs, analyses or draws imports its studies, analysis and presentation modules itself, when it
runs (``tests/frontends/test_cli.py`` checks this).
"""

from __future__ import annotations

import argparse
import errno
import gc
import json
import math
import os
import socket
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import yaml
from pydantic import ValidationError

from simulation import __version__
from simulation.core.scenario import Scenario, json_schema
from simulation.execution import pool
from simulation.execution.seeds import DEFAULT_SEED
from simulation.inputs.reading import InputError, ScenarioError, describe_errors
from simulation.inputs.scenarios import load_scenario

if TYPE_CHECKING:
    from simulation.analysis import compare
    from simulation.execution import sweeps
    from simulation.execution.batches import Options
    from simulation.studies import uncertainty

BUNDLED = Path(__file__).resolve().parent.parent / "scenarios"
DEFAULT_SCENARIO = BUNDLED / "baseline.yaml"
DEFAULT_PLAN = BUNDLED / "startup-plan.yaml"
EXIT_ENVIRONMENT, EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_TERMINATED = 1, 2, 130, 143
DEFAULT_APP_PORT = 8765
DEFAULT_REPLICATES = 100
"""Replicates of ``run``, ``compare``, ``levers`` and ``check-patterns`` when ``--replicates`` is not given (a comparison
under uncertainty has its own, per draw)."""
DEFAULT_DRAWS = 40
"""Parameter draws when ``--uncertainty`` is given without a number: with 10 replicates each, ``ipsim levers``
(14 scenarios) runs 5,600 runs, a few minutes on a two-core laptop (benchmarks/README.md). A 95% interval's ends
then rest on about the outermost draw at each end, widened by each draw's Monte Carlo spread: more draws give
steadier ends."""
BAD_PATHS = frozenset({errno.ENAMETOOLONG, errno.ELOOP})
"""Errors of the file system that mean a path given is bad (too long, links in a loop): bad input, not the
environment failing."""


class UsageError(InputError):
    """Bad command-line input: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse's parser, reporting a bad command line as every other bad input is: one ``ipsim: error:`` line
    (naming the command), exit status 2, with a pointer to the usage instead of the usage itself."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("ipsim").strip()
        where = f"{command}: " if command else ""
        self.exit(EXIT_BAD_INPUT, f"ipsim: error: {where}{message[:500]} (see: {self.prog} --help)\n")


def _whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum`` (and at most ``maximum``)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text[:40]!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
        return value

    return parse


_positive, _seed, _workers = _whole_number(1), _whole_number(0), _whole_number(1, pool.MAX_WORKERS)


def _number(text: str) -> float:
    """An argparse type: a finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text[:40]!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text[:40]!r}")
    return value


def _share(text: str) -> float:
    """An argparse type: a share, more than 0 and at most 1."""
    value = _number(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"a share is more than 0 and at most 1, got {value:g}")
    return value


def _port(text: str) -> int:
    port = _whole_number(1)(text)
    if port > 65535:
        raise argparse.ArgumentTypeError(f"a port is at most 65535, got {port}")
    return port


def _run_options(command: argparse.ArgumentParser, comparison: bool = False) -> None:
    """The options of every command that runs replicates and writes a folder (``comparison``: also those of a
    comparison under uncertainty)."""
    if comparison:
        command.add_argument("--replicates", type=_positive, default=None,
                             help=f"independent replicates, common to every scenario (default {DEFAULT_REPLICATES}; "
                                  "with --uncertainty, per draw, default 10)")
    else:
        command.add_argument("--replicates", type=_positive, default=DEFAULT_REPLICATES,
                             help=f"independent replicates (default {DEFAULT_REPLICATES})")
    command.add_argument("--seed", type=_seed, default=DEFAULT_SEED,
                         help=f"base seed; replicate seeds are spawned from it (default {DEFAULT_SEED})")
    command.add_argument("--out", type=Path, default=Path("runs"), help="parent folder for run folders (default runs/)")
    command.add_argument("--workers", type=_workers, default=None,
                         help=f"worker processes, at most {pool.MAX_WORKERS} (default: all cores); results do not "
                              "depend on it")
    _allow_large(command)
    if comparison:
        command.add_argument("--uncertainty", type=_positive, nargs="?", const=DEFAULT_DRAWS, metavar="N",
                             help="also run N draws of the unknown assumptions (calibration posterior x lever priors; "
                                  f"default N {DEFAULT_DRAWS}) and say how sure each answer is")
        command.add_argument("--window-readings", metavar="WEEKS[:WEIGHT],...",
                             help="with --uncertainty: the study window readings whose posteriors the draws come "
                                  "from, with weights, e.g. 104,52 or 104:0.7,52:0.3 (default 104)")
        command.add_argument("--scheduler", metavar="ADDRESS",
                             help="with --uncertainty: run the draws on a Dask distributed cluster, e.g. "
                                  "tcp://10.0.0.5:8786")
        command.add_argument("--resume", type=Path, metavar="RUN_DIR",
                             help="finish an interrupted comparison under uncertainty (give no scenarios)")


def _allow_large(command: argparse.ArgumentParser) -> None:
    from simulation.execution import limits

    command.add_argument(limits.OVERRIDE, action="store_true",
                         help=f"allow more than {limits.MAX_REPLICATES:,} replicates or {limits.MAX_SWEEP_RUNS:,} "
                              "sweep runs (the caps that catch a typo before it fills memory or disk)")


def _sweep_options(command: argparse.ArgumentParser) -> None:
    """The options of the commands that run a design through the sweep runner."""
    command.add_argument("--workers", type=_workers, default=None,
                         help=f"local worker processes, at most {pool.MAX_WORKERS} (default: all cores); results do "
                              "not depend on it")
    command.add_argument("--scheduler", metavar="ADDRESS",
                         help="run on a Dask distributed cluster instead, e.g. tcp://10.0.0.5:8786")
    command.add_argument("--chunk-size", type=_positive, default=None,
                         help="runs per task (default: about 16 tasks per worker, at most 50 runs)")
    command.add_argument("--out", type=Path, default=Path("runs"), help="parent folder for the run folder (default runs/)")
    _allow_large(command)


def parser() -> argparse.ArgumentParser:
    """The ``ipsim`` argument parser. Every command has a one-line description (the first line of its ``--help``)
    and every argument and option a help text (``tests/frontends/test_cli.py`` checks both)."""
    p = _Parser(prog="ipsim", description="Simulate why IPS employment specialists quit.")
    p.add_argument("--version", action="version", version=f"ipsim {__version__}",
                   help="print ipsim's version and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND",
                           help="what to do (ipsim COMMAND --help describes its arguments and options)")

    run = sub.add_parser("run", help="run a scenario's replicates and write a run folder",
                         description="Run a scenario's replicates and write a new run folder with the summary, "
                                     "the weekly figures and the charts.")
    run.add_argument("scenario", nargs="?", type=Path, default=DEFAULT_SCENARIO,
                     help="scenario YAML file (default: the bundled scenarios/baseline.yaml)")
    run.add_argument("--weeks", type=_positive, help="override the scenario's horizon in weeks")
    _run_options(run)

    cmp = sub.add_parser("compare", help="run scenarios with common random numbers and compare them with the first",
                         description="Run two or more scenarios with common random numbers (replicate by "
                                     "replicate) and compare each with the first, with 95% confidence intervals.")
    cmp.add_argument("scenarios", nargs="*", type=Path, metavar="SCENARIO",
                     help="two or more scenario YAML files; differences are taken from the first")
    _run_options(cmp, comparison=True)

    lev = sub.add_parser("levers", help="rank the start-up plan's levers by the turnover each avoids on its own",
                         description="Add each lever of a start-up plan on its own to a base scenario, compare "
                                     "them all with the base and rank the levers by the turnover each avoids.")
    lev.add_argument("base", nargs="?", type=Path, default=DEFAULT_SCENARIO,
                     help="scenario the levers are added to (default: the bundled scenarios/baseline.yaml)")
    lev.add_argument("--plan", type=Path, default=DEFAULT_PLAN,
                     help="scenario whose start_up_plan gives each lever's settings "
                          "(default: the bundled scenarios/startup-plan.yaml)")
    _run_options(lev, comparison=True)

    val = sub.add_parser("validate", help="check scenario files without running them",
                         description="Check scenario files (extends, names and values) without "
                                     "running them: one line per file, exit status 2 if any has a problem.")
    val.add_argument("files", nargs="+", type=Path, metavar="FILE", help="scenario YAML files to check")

    sub.add_parser("params", help="print every scenario parameter as a Markdown table",
                   description="Print every scenario parameter (levers and settings) as a Markdown table, with its "
                               "default, range, unit and source.")

    show = sub.add_parser("show", help="print a scenario fully resolved (extends and defaults) as YAML",
                          description="Print a scenario fully resolved (extends and defaults applied) as YAML, "
                                      "exactly as a run would use it.")
    show.add_argument("scenario", type=Path, help="scenario YAML file to resolve")

    swp = sub.add_parser("sweep", help="run a sweep spec (grid, lhs, sobol or morris design), or resume one",
                         description="Run a sweep spec's design into a new sweep folder, or finish an interrupted "
                                     "sweep with --resume. The folder's results.csv does not depend on the backend, "
                                     "the number of workers, the chunking or interruptions.")
    swp.add_argument("spec", nargs="?", type=Path, help="sweep spec YAML file (see scenarios/sweeps/)")
    swp.add_argument("--resume", type=Path, metavar="RUN_DIR", help="finish the remaining runs of this sweep folder")
    swp.add_argument("--dry-run", action="store_true",
                     help="check the spec, print its points, replicates and runs and an estimated wall time (from "
                          "timing two runs of the base scenario), then stop: nothing else runs, nothing is written")
    _sweep_options(swp)

    cal = sub.add_parser("calibrate", help="fit free parameters to the observed figures (a weighted posterior sample)",
                         description="Run a calibration spec's ABC-SMC: prior draws, then generations of proposals "
                                     "accepted against the observed counts, each batch a resumable sweep; write the "
                                     "posterior sample (posterior.csv), its summary and a calibrated scenario.")
    cal.add_argument("spec", nargs="?", type=Path, help="calibration spec YAML file (see scenarios/calibration/)")
    cal.add_argument("--resume", type=Path, metavar="RUN_DIR", help="finish an interrupted calibration folder")
    cal.add_argument("--dry-run", action="store_true",
                     help="check the spec, print the runs it takes (at least, at most) and an estimated wall time, "
                          "then stop: nothing else runs, nothing is written")
    _sweep_options(cal)

    pat = sub.add_parser("check-patterns", help="check the model against observed patterns it was not fitted to",
                         description="Run a scenario (default: the calibrated baseline) and its solo-post and "
                                     "team-of-three variants, and report each validation pattern as met or not.")
    pat.add_argument("scenario", nargs="?", type=Path, default=DEFAULT_SCENARIO,
                     help="scenario YAML file (default: the bundled scenarios/baseline.yaml)")
    _run_options(pat)

    ana = sub.add_parser("analyze", help="sensitivity indices, response curves and heatmaps of a finished sweep",
                         description="Analyse a finished sweep folder again: sensitivity indices, response curves "
                                     "and heatmaps, written into the folder.")
    ana.add_argument("folder", type=Path, metavar="RUN_DIR", help="a sweep folder")

    dis = sub.add_parser("discover", help="find the assumptions under which an outcome happens (PRIM scenario "
                                          "discovery on a finished sweep)",
                         description="Find the region of a finished sweep's varied parameters where an outcome "
                                     "happens (each design point's mean over its replicates above or below a "
                                     "threshold), with PRIM; write the box, the peeling trajectory, a summary and "
                                     "charts into a new folder inside the sweep folder.")
    dis.add_argument("folder", type=Path, metavar="RUN_DIR", help="a finished sweep folder")
    dis.add_argument("--metric", required=True, metavar="COLUMN",
                     help="the outcome: a metric column of the sweep's results.csv, e.g. annual_turnover")
    dis.add_argument("--minus", metavar="COLUMN",
                     help="take the outcome as --metric minus this column (e.g. one arm's metric minus another's)")
    side = dis.add_mutually_exclusive_group(required=True)
    side.add_argument("--above", type=_number, metavar="X", help="the outcome happens where the mean is above X")
    side.add_argument("--below", type=_number, metavar="X", help="the outcome happens where the mean is below X")
    dis.add_argument("--min-coverage", type=_share, default=0.5, metavar="SHARE",
                     help="the least share of the cases the reported box must hold (default 0.5); the densest such "
                          "box is reported")

    rep = sub.add_parser("report", help="write one self-contained HTML report of a run, compare, sweep or other folder",
                         description="Write a single HTML file (charts embedded, no network needed) with the "
                                     "findings in plain words, the charts, the scenarios, the assumptions table and "
                                     "how to reproduce the run. Open it in a browser; print it to A4 or PDF from there.")
    rep.add_argument("folder", type=Path, metavar="RUN_DIR", help="a folder written by run, compare, levers, sweep, "
                                                                  "calibrate or check-patterns")
    rep.add_argument("--out", type=Path, help="HTML file to write (default: RUN_DIR/report.html, replacing an older "
                                              "report there)")

    app = sub.add_parser("app", help="open the live workshop app on a scenario (a web page on this computer)",
                         description="Start the interactive app: change the start-up plan's levers and the "
                                     "setting, then step or run the model and watch staffing, strain, pressures and "
                                     "who quits and why. Open the address it prints in a browser; Ctrl+C stops it.")
    app.add_argument("scenario", nargs="?", type=Path, default=DEFAULT_SCENARIO,
                     help="scenario YAML file the controls start from (default: the bundled scenarios/baseline.yaml)")
    app.add_argument("--port", type=_port, default=DEFAULT_APP_PORT, help=f"port (default {DEFAULT_APP_PORT})")
    app.add_argument("--host", default="127.0.0.1",
                     help="address to listen on (default 127.0.0.1: this computer only; 0.0.0.0 opens it to the "
                          "network)")

    schema = sub.add_parser("schema", help="print the JSON Schema of scenario files (for editors)",
                            description="Print the JSON Schema of scenario files, for editors that check and "
                                        "complete YAML (scenarios/schema.json is this output).")
    schema.add_argument("--out", type=Path, help="write the schema to this file instead")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run ``ipsim ARGV``; the exit status: 0; 2 for bad input (one ``ipsim: error:`` line per problem, no
    traceback); 1 when the environment fails (a full disk, no permission, no memory: one line); 130 when
    interrupted (Ctrl-C) and 143 when terminated (SIGTERM), after the same cleanup. Only the modules the chosen
    command needs are imported. Called with ``argv`` (by a caller that goes on in this process, such as the tests),
    it leaves the garbage collector as it found it; without, the command is what the process is for, and what
    ``_start_up`` froze stays frozen: the collection at exit does not go through it once more (0.3 s)."""
    in_process = argv is not None
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    try:
        with pool.signals_handled():
            return _dispatch(args, ["ipsim", *argv])
    except (InputError, pool.ExecutionError) as exc:
        _report(exc)
        return EXIT_BAD_INPUT
    except pool.Terminated:
        print("ipsim: terminated; nothing was written", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("ipsim: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (``ipsim params | head``): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes stdout
        return 141
    except OSError as exc:  # the environment failed (full disk, no permission): what was being written is removed
        where = f"{str(exc.filename)[:200]}: " if exc.filename and str(exc.filename) not in str(exc) else ""
        print(f"ipsim: error: {where}{exc.strerror or str(exc)[:1000]}; nothing was written", file=sys.stderr)
        return EXIT_BAD_INPUT if exc.errno in BAD_PATHS else EXIT_ENVIRONMENT
    except MemoryError:
        print("ipsim: error: out of memory; nothing was written (run fewer replicates or a smaller design)",
              file=sys.stderr)
        return EXIT_ENVIRONMENT
    finally:
        if in_process:
            _thaw()


def _dispatch(args: argparse.Namespace, command: list[str]) -> int:
    """Run the chosen command."""
    if args.command == "run":
        return _run(args, command)
    if args.command in ("compare", "levers") and args.resume is not None:
        return _resume_comparison(args, command)
    if args.command == "compare":
        from simulation.analysis import compare

        entries = [compare.Entry(load_scenario(path), str(path)) for path in args.scenarios]
        return _compare(args, entries, "compare", command)
    if args.command == "levers":
        from simulation.analysis import compare

        base = compare.Entry(load_scenario(args.base), str(args.base))
        plan = compare.Entry(load_scenario(args.plan), str(args.plan))
        return _compare(args, compare.lever_entries(base, plan), "levers", command)
    if args.command == "sweep":
        return _sweep(args, command)
    if args.command == "calibrate":
        return _calibrate(args, command)
    if args.command == "check-patterns":
        return _check_patterns(args, command)
    if args.command == "analyze":
        return _analyze(args.folder)
    if args.command == "report":
        return _report_html(args.folder, args.out)
    if args.command == "discover":
        return _discover(args, command)
    if args.command == "app":
        return _app(args.scenario, args.host, args.port)
    if args.command == "validate":
        return _validate(args.files)
    if args.command == "show":
        return _show(args.scenario)
    if args.command == "schema":
        return _schema(args.out)
    from simulation.inputs.docs import parameter_table

    print(parameter_table())
    return 0


MAX_ERROR_TEXT = 2000
"""The most characters of error lines one command prints: a problem's first lines say what is wrong."""


def _report(exc: Exception) -> None:
    """One ``ipsim: error:`` line per problem, on stderr, at most MAX_ERROR_TEXT characters in all (a message that
    would be longer is cut, saying so)."""
    text = "".join(f"ipsim: error: {line}\n" for line in str(exc).splitlines())
    if len(text) > MAX_ERROR_TEXT:
        text = text[:MAX_ERROR_TEXT - 40].rsplit("\n", 1)[0] + "\nipsim: error: (and more; cut here)\n"
    print(text, end="", file=sys.stderr)


def _validate(files: list[Path]) -> int:
    """One line per file: ``ok`` with its site entries and positions (and the parent's, where they differ), or
    its errors; exit 2 if any file has errors."""
    from simulation.inputs.scenarios import positions_before

    problems = 0
    for path in files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            _report(exc)
            problems += 1
        else:
            before = positions_before(path, scenario)
            parent = f"; {before[0]} it extends has {before[1]}" if before else ""
            print(f"{path}: ok ({scenario.name}: {len(scenario.sites)} site entries, {scenario.positions} positions"
                  f"{parent})")
    return EXIT_BAD_INPUT if problems else 0


def _show(path: Path) -> int:
    """Print the scenario exactly as a run would use it, so overrides through ``extends`` can be checked; first a
    ``# positions: ...`` comment line when the file has another number of positions than the file it extends."""
    from simulation.inputs.scenarios import positions_before

    scenario = load_scenario(path)
    before = positions_before(path, scenario)
    if before:
        print(f"# positions: {before[1]} in {before[0]} -> {scenario.positions} here")
    print(yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True), end="")
    return 0


def _schema(out: Path | None) -> int:
    """Print or write the scenario files' JSON Schema (``scenarios/schema.json`` is this output)."""
    text = json.dumps(json_schema(), indent=2) + "\n"
    if out is None:
        print(text, end="")
        return 0
    from simulation.execution.folders import write_file

    write_file(out, text, example="schema.json", earlier=lambda head: head.startswith(text[:80].encode()))
    print(f"wrote {out}")
    return 0


def _with_weeks(scenario: Scenario, weeks: int) -> Scenario:
    data = scenario.model_dump()
    data["weeks"] = weeks
    if scenario.cohort_window_weeks > weeks:
        data["cohort_window_weeks"] = weeks
        print(f"note: --weeks {weeks} is shorter than the cohort window; the cohort metrics use {weeks} weeks",
              file=sys.stderr)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise UsageError("; ".join(describe_errors(exc))) from None


_frozen = False
"""Whether ``_start_up`` froze the objects the imports made (``main`` unfreezes them when the command ends)."""


@contextmanager
def _start_up() -> Iterator[None]:
    """Around the imports of a command that simulates: Mesa first, the garbage collector off, and what was imported
    frozen after. What is imported does not change, only how: about 0.6 s of an ``ipsim run`` (and 0.3 s at exit,
    see ``main``).

    1. Mesa 3.5 names its module loggers by walking the whole call stack (``inspect.stack`` in
       ``mesa.mesa_logging``) while it is imported, and every frame of the import machinery on that stack costs
       three scans of ``sys.modules``: imported here, not several imports deep (words -> ... -> simulation.core.model),
       the walk costs half as much.
    2. Importing Mesa, Matplotlib and the studies makes several hundred thousand objects that live as long as the
       process, and hardly any garbage. With the collector off meanwhile and those objects frozen after
       (``gc.freeze``), no collection goes through them again: none during the imports, and the full collections
       while the charts are drawn only go through what was made since.
    """
    global _frozen
    enabled = gc.isenabled()
    gc.disable()
    try:
        import mesa  # noqa: F401

        yield
    finally:
        gc.freeze()
        _frozen = True
        if enabled:
            gc.enable()


def _thaw() -> None:
    """Undo ``_start_up``'s freeze when a command ends, for a caller that goes on in this process (the tests), so
    that what it lets go of later can be collected (``gc.unfreeze`` hands every frozen object back to the collector,
    the few hundred tuples CPython itself froze at start-up too)."""
    global _frozen
    if _frozen:
        gc.unfreeze()
        _frozen = False


def _run(args: argparse.Namespace, command: list[str]) -> int:
    with _start_up():
        from tqdm import tqdm

        from simulation.present import words
        from simulation.studies import run as run_study

    scenario = load_scenario(args.scenario)
    if args.weeks is not None:
        scenario = _with_weeks(scenario, args.weeks)
    options = _options(args, command, [scenario])
    with tqdm(total=args.replicates, desc=scenario.name, unit="replicate", disable=None, file=sys.stderr) as bar:
        result = run_study.run(scenario, replace(options, progress=bar.update), scenario_file=str(args.scenario))
    print(words.summary_table(result.outcome.summary, result.folder))
    return 0


def _options(args: argparse.Namespace, command: list[str], scenarios: list[Scenario]) -> Options:
    """The run options of a command that runs replicates (``--replicates``, ``--seed``, ``--workers``, ``--out``,
    ``--allow-large``), checked before anything runs: the caps, and a destination that can take the output."""
    from simulation.execution import folders, limits
    from simulation.execution.batches import Options

    options = Options(args.replicates, args.seed, args.workers or pool.default_workers(), args.out, command,
                      allow_large=args.allow_large)
    weeks = sum(s.warm_up_weeks + s.weeks for s in scenarios) * args.replicates
    folders.check_destination(args.out, folders.MIN_FREE_BYTES + weeks * limits.BYTES_PER_REPLICATE_WEEK)
    return options


def _compare(args: argparse.Namespace, entries: list[compare.Entry], kind: compare.ComparisonKind,
             command: list[str]) -> int:
    """``ipsim compare`` and ``ipsim levers``: one progress bar over every run, then the findings."""
    with _start_up():
        from tqdm import tqdm

        from simulation.studies import compare as compare_study

    if args.uncertainty is None:
        for option in ("window_readings", "scheduler"):
            if getattr(args, option) is not None:
                raise UsageError(f"--{option.replace('_', '-')} goes with --uncertainty")
    else:
        return _compare_uncertain(args, entries, kind, command)
    args.replicates = args.replicates or DEFAULT_REPLICATES
    options = _options(args, command, [e.scenario for e in entries])
    with tqdm(total=len(entries) * args.replicates, desc=kind, unit="run", disable=None, file=sys.stderr) as bar:
        result = compare_study.compare(entries, kind, replace(options, progress=bar.update))
    print(f"{result.findings}\nwritten to {result.folder}")
    return 0


def _compare_uncertain(args: argparse.Namespace, entries: list[compare.Entry], kind: compare.ComparisonKind,
                       command: list[str]) -> int:
    """``--uncertainty``: make the folder, then run the draws and the comparison (``_finish_comparison``)."""
    from simulation.execution import folders, limits
    from simulation.studies import compare as compare_study
    from simulation.studies import uncertainty

    _one_executor(args, "draws")
    readings = uncertainty.parse_readings(args.window_readings) if args.window_readings else uncertainty.DEFAULT_READINGS
    settings = uncertainty.Uncertainty(args.uncertainty, readings)
    args.replicates = args.replicates or uncertainty.DEFAULT_REPLICATES
    options = _options(args, command, [e.scenario for e in entries])  # the plain comparison's records
    limits.check_design(args.uncertainty, args.replicates * len(entries), args.allow_large)  # the draws' runs
    draws = args.uncertainty * args.replicates * len(entries)
    folders.check_destination(args.out, folders.MIN_FREE_BYTES + draws * limits.BYTES_PER_SWEEP_RUN)
    study = uncertainty.Study(kind, entries, options, settings)
    return _finish_comparison(args, study, compare_study.start_uncertain(study))


def _resume_comparison(args: argparse.Namespace, command: list[str]) -> int:
    """``ipsim compare --resume RUN_DIR`` (or levers): the study as its folder records it, run to the end."""
    from simulation.studies import uncertainty

    given = [name for name in ("uncertainty", "window_readings", "replicates")
             if getattr(args, name) is not None] + (["scenario files"] if getattr(args, "scenarios", None) else [])
    if given:
        raise UsageError(f"--resume carries on with the folder's own settings: leave out {', '.join(given)}")
    if not args.resume.is_dir():
        raise UsageError(f"--resume {args.resume}: no such folder")
    _one_executor(args, "draws")
    from simulation.execution.batches import Options

    options = Options(1, args.seed, args.workers or pool.default_workers(), args.resume, command, allow_large=True)
    study = uncertainty.Study.read(args.resume, options)
    if study.kind != args.command:
        raise UsageError(f"--resume {args.resume}: a {study.kind} folder; resume it with ipsim {study.kind} --resume")
    return _finish_comparison(args, study, args.resume)


def _finish_comparison(args: argparse.Namespace, study: uncertainty.Study, folder: Path) -> int:
    """Run what is missing of a comparison under uncertainty (the draws, with a progress bar; then the comparison at
    the assumed values) and print its findings."""
    from tqdm import tqdm

    from simulation.studies import compare as compare_study
    from simulation.studies import sweep as sweep_study

    kind = study.kind
    with _sweep_executor(args) as (executor, slots):
        def execute(sweep_folder: Path, plan: sweeps.Plan) -> sweeps.Status | int:
            print(f"{plan.runs * len(study.entries)} runs ({study.settings.draws} draws x {len(study.entries)} scenarios x "
                  f"{plan.sweep.spec.replicates} replicates) into {folder}", file=sys.stderr)
            with tqdm(total=plan.runs * len(study.entries), desc="draws", unit="run", disable=None,
                      file=sys.stderr) as bar:
                return _interruptible(kind, folder, lambda: sweep_study.execute(
                    sweep_folder, plan, executor, slots, progress=lambda n: bar.update(n * len(study.entries)),
                    command=kind))

        with tqdm(total=len(study.entries) * study.options.replicates, desc=kind, unit="run", disable=None,
                  file=sys.stderr) as bar:
            result = compare_study.finish_uncertain(replace(study, options=replace(study.options,
                                                                                   progress=bar.update)),
                                                    folder, execute)
    if isinstance(result, int):
        return result
    print(f"{result.findings}\nwritten to {result.folder}")
    return 0


def _resumed(args: argparse.Namespace, what: str) -> Path | None:
    """The folder ``--resume`` names (None for a new sweep or calibration, ``what``), after the checks of the
    arguments that ``sweep`` and ``calibrate`` share."""
    if args.dry_run and args.resume is not None:
        raise UsageError(f"--dry-run checks a spec before a {what} starts; it cannot go with --resume (give the spec)")
    if args.dry_run and args.spec is None:
        raise UsageError(f"--dry-run needs a {what} spec file")
    if (args.spec is None) == (args.resume is None):
        raise UsageError(f"give a {what} spec file or --resume RUN_DIR (one of them)")
    _one_executor(args, "sweep")
    if args.resume is None:
        return None
    if args.chunk_size:
        raise UsageError("--chunk-size cannot change when resuming (the folder's chunking is kept)")
    if not args.resume.is_dir():
        raise UsageError(f"--resume {args.resume}: no such folder")
    return args.resume


def _sweep(args: argparse.Namespace, command: list[str]) -> int:
    """``ipsim sweep``: make the folder (or reopen it), run what is missing with a progress bar, then analyse."""
    from simulation.execution import folders, limits, sweeps
    from simulation.inputs import specs
    from simulation.studies import sweep as sweep_study

    folder = _resumed(args, "sweep")
    if args.dry_run:
        return _sweep_dry_run(args)
    if folder is not None:
        plan = sweeps.open_plan(folder)
        if sweeps.busy(folder):
            raise sweeps.SweepError(sweeps.BUSY.format(folder=folder))
        try:
            complete = sweeps.look(folder, args.command, record=True).state == "complete"
        except sweeps.SweepError:
            complete = False  # status.json is only a summary: running what is missing rebuilds it
        destination, runs = folder, plan.runs
    else:
        loaded = specs.load_sweep(args.spec)
        limits.check_design(loaded.spec.points, loaded.spec.replicates, args.allow_large)
        complete, destination, runs = False, args.out, loaded.spec.runs
    if complete:
        print(f"{folder}: this sweep is already complete")
        return 0
    folders.check_destination(destination, folders.MIN_FREE_BYTES + runs * limits.BYTES_PER_SWEEP_RUN,
                              run_folder=args.resume is not None)
    with _sweep_executor(args) as (executor, slots):
        if args.resume is None:
            folder, plan = sweep_study.create(loaded, args.out, slots, args.chunk_size, str(args.spec), command,
                                              label=args.command, allow_large=args.allow_large)
        print(f"{plan.runs} runs ({len(plan.points.values)} points x {plan.sweep.spec.replicates} replicates, "
              f"{plan.sweep.spec.design} design) into {folder}", file=sys.stderr)
        status = _execute_sweep(args.command, folder, plan, executor, slots)
        if isinstance(status, int):
            return status
    if status.parts_redone:
        print(f"note: {status.parts_redone} damaged or unfinished part file{'s' * (status.parts_redone > 1)} "
              "were run again", file=sys.stderr)
    if status.runs_failed:
        print(f"note: {status.runs_failed} of {status.runs_total} runs failed; their errors are in "
              f"{folder / sweeps.LOG}", file=sys.stderr)
    return _analyze(folder)


def _calibrate(args: argparse.Namespace, command: list[str]) -> int:
    """``ipsim calibrate``: make the calibration folder (or reopen it), run its ABC-SMC with a progress bar over the
    batches, then write the posterior; ``--dry-run`` checks the spec and estimates the runs and time instead."""
    from tqdm import tqdm

    from simulation.execution import folders, limits, sweeps
    from simulation.execution.batches import lockstep_size
    from simulation.execution.estimate import estimate
    from simulation.inputs import specs
    from simulation.studies import calibrate as calibrate_study

    folder = _resumed(args, "calibration")
    if folder is not None:
        opened = calibrate_study.open_folder(folder)
        if sweeps.busy(folder):
            raise sweeps.SweepError(calibrate_study.BUSY.format(folder=folder))
        cal, destination = opened.calibration, folder
    else:
        cal, destination = specs.load_calibration(args.spec), args.out
    spec = cal.spec
    fewest, most = calibrate_study.estimated_runs(spec)
    limits.check_design(fewest // spec.replicates, spec.replicates, args.allow_large)
    if args.dry_run:
        workers = 1 if args.scheduler else args.workers or pool.default_workers()
        print(f"{args.spec}: valid: ABC-SMC over {spec.generations} generation{'s' * (spec.generations > 1)}, "
              f"{spec.replicates} replicates per "
              f"proposal: generation 0 runs {spec.samples:,} prior draws; each later one rounds of "
              f"{spec.proposals_per_round:,} proposals until {spec.population:,} are accepted. At least {fewest:,} "
              f"runs (one round a generation), at most {most:,}.")
        base = Scenario.model_validate(cal.base)
        print(estimate(base, fewest, workers, spec.seed,
                       together=min(spec.replicates, lockstep_size(base))).describe())
        print("(for the fewest runs: each further round adds "
              f"{spec.proposals_per_round * spec.replicates:,} runs, in proportion)")
        print("dry run: nothing else was run and nothing was written")
        return 0
    folders.check_destination(destination, folders.MIN_FREE_BYTES + fewest * limits.BYTES_PER_SWEEP_RUN,
                              run_folder=args.resume is not None)
    with _sweep_executor(args) as (executor, slots):
        if args.resume is None:
            chunk = args.chunk_size or sweeps.auto_chunk_size(spec.samples * spec.replicates, slots)
            opened = calibrate_study.create(cal, args.out, str(args.spec), command, chunk)
            folder = opened.folder
        print(f"calibration {spec.name}: ABC-SMC, {spec.generations} generation{'s' * (spec.generations > 1)}, at "
              f"least {fewest:,} runs, into "
              f"{folder}", file=sys.stderr)
        with tqdm(total=0, desc=spec.name, unit="run", disable=None, file=sys.stderr) as bar:
            def announce(batch: str, runs: int) -> None:
                bar.total += runs
                bar.set_description(f"{spec.name} {batch}")
                bar.refresh()

            result = _interruptible("calibrate", folder, lambda: calibrate_study.run(
                opened, executor, slots, bar.update, announce))
        if isinstance(result, int):
            return result
    print(result.text)
    print(f"calibrated scenario: {folder / 'calibrated.yaml'}\nposterior sample: {folder / 'posterior.csv'}")
    return 0


def _sweep_dry_run(args: argparse.Namespace) -> int:
    """``ipsim sweep --dry-run SPEC``: the checks a sweep makes before it starts (the spec, its base scenario, the
    caps, the design), then its size and an estimated wall time (execution.estimate); runs nothing else and writes
    nothing, not even the --out folder."""
    from simulation.execution import designs, limits
    from simulation.execution.batches import lockstep_size
    from simulation.execution.estimate import estimate
    from simulation.inputs import specs

    loaded = specs.load_sweep(args.spec)
    spec = loaded.spec
    limits.check_design(spec.points, spec.replicates, args.allow_large)
    points = len(designs.design(spec).values)
    workers = 1 if args.scheduler else args.workers or pool.default_workers()
    crn = ", common random numbers" if spec.common_random_numbers else ""
    print(f"{args.spec}: valid: {points:,} design points x {spec.replicates:,} replicates = {points * spec.replicates:,} "
          f"runs ({spec.design} design{crn})")
    base = Scenario.model_validate(loaded.base)
    print(estimate(base, points * spec.replicates, workers, spec.seed,
                   together=min(spec.replicates, lockstep_size(base))).describe())
    if args.scheduler:
        print("(--scheduler: estimated for one worker; divide by the number of the cluster's worker processes)")
    print("dry run: nothing else was run and nothing was written")
    return 0


def _execute_sweep(kind: str, folder: Path, plan: sweeps.Plan, executor: Executor, slots: int) -> sweeps.Status | int:
    """Run the sweep's missing runs with a progress bar: its status, or the exit status after an interruption or a
    failure (``_interruptible``)."""
    from tqdm import tqdm

    from simulation.studies import sweep as sweep_study

    with tqdm(total=plan.runs, desc=plan.sweep.spec.name, unit="run", disable=None, file=sys.stderr) as bar:
        return _interruptible(kind, folder, lambda: sweep_study.execute(folder, plan, executor, slots,
                                                                        progress=bar.update, command=kind))


def _interruptible[T](kind: str, folder: Path, work: Callable[[], T]) -> T | int:
    """``work()``'s result, or the exit status after an interruption or a failure, which keeps the finished runs
    and says how to carry on (``ipsim <kind> --resume <folder>``)."""
    from simulation.execution import sweeps

    resume = f"resume with: ipsim {kind} --resume {folder}"
    try:
        return work()
    except pool.Terminated:
        print(f"ipsim: terminated; finished runs are kept: {resume}", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print(f"ipsim: interrupted; finished runs are kept: {resume}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except sweeps.SweepError:
        raise  # a clear error of its own (another process runs the sweep): no advice to resume
    except OSError as exc:
        print(f"ipsim: error: cannot write to {folder} ({exc.strerror or exc}); finished runs are kept: free some "
              f"space or fix the permission, then {resume}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    except Exception as exc:  # noqa: BLE001 - a lost worker or cluster: say how to carry on, no traceback
        print(f"ipsim: error: the {kind} stopped ({type(exc).__name__}: {str(exc)[:300]}); finished runs are kept: "
              f"{resume}", file=sys.stderr)
        return EXIT_ENVIRONMENT


def _check_patterns(args: argparse.Namespace, command: list[str]) -> int:
    with _start_up():
        from tqdm import tqdm

        from simulation.studies.patterns import check_patterns

    scenario = load_scenario(args.scenario)
    options = _options(args, command, [scenario] * 3)
    with tqdm(total=3 * args.replicates, desc="patterns", unit="run", disable=None, file=sys.stderr) as bar:
        result = check_patterns(scenario, replace(options, progress=bar.update), scenario_file=str(args.scenario))
    print(f"{result.text}\nwritten to {result.folder}")
    return 0


def _one_executor(args: argparse.Namespace, what: str) -> None:
    """Refuse --workers beside --scheduler, before anything is written (``what`` the cluster would run)."""
    if args.scheduler and args.workers:
        raise UsageError(f"--workers is for local runs; with --scheduler the cluster's workers run the {what}")


def _sweep_executor(args: argparse.Namespace) -> AbstractContextManager[tuple[Executor, int]]:
    if args.scheduler:
        return pool.dask(args.scheduler)
    return pool.local(args.workers or pool.default_workers())


def _analyze(folder: Path) -> int:
    from simulation.studies import sweep as sweep_study

    print(sweep_study.analyze(folder).text)
    return 0


def _loopback(host: str) -> bool:
    """Whether ``host`` is an address of this computer only (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _app(scenario: Path, host: str, port: int) -> NoReturn:
    """Check the scenario and the port here, with ipsim's clear errors, then serve simulation/app.py with Solara."""
    from simulation import app  # Solara is imported only by the command that needs it

    load_scenario(scenario)
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UsageError(f"--host {host} --port {port}: cannot listen there ({exc.strerror}); "
                             "choose another port with --port") from None
    note = app.front_end_note()
    if note:
        print(f"ipsim: warning: {note}", file=sys.stderr)
    if not _loopback(host):
        where = "every network address of this computer" if host in ("0.0.0.0", "::", "") else host
        print(f"ipsim: warning: --host {host}: the app listens on {where}, port {port}, so anyone who can reach this "
              "computer over the network can open it and change the run; leave --host out to keep it to this "
              "computer (127.0.0.1)", file=sys.stderr)
    print(f"ipsim app on {scenario}: open http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port} in a browser "
          "(Ctrl+C stops it)", file=sys.stderr)
    command = [sys.executable, "-m", "solara", "run", app.__file__, "--host", host, "--port", str(port),
               "--production", "--no-open", "--no-check-version", "--log-level", "warning",
               "--log-level-uvicorn", "warning"]
    quiet = "ignore:Cookies with samesite=none require https:UserWarning"  # Solara's note on plain-http 127.0.0.1
    warnings = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), quiet]))
    env = {**os.environ, app.SCENARIO_ENV: str(scenario.resolve()), "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
           "PYTHONWARNINGS": warnings}
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, command, env)  # the server replaces this process: Ctrl+C and kill reach it directly


def _discover(args: argparse.Namespace, command: list[str]) -> int:
    """``ipsim discover``: PRIM on a finished sweep folder, its findings printed and written into a new folder."""
    from simulation.analysis.discovery import Question
    from simulation.studies import discover

    side, threshold = ("above", args.above) if args.above is not None else ("below", args.below)
    question = Question(args.metric, args.minus, side, threshold)
    print(discover.discover(args.folder, question, args.min_coverage, command).text)
    return 0


def _report_html(folder: Path, out: Path | None) -> int:
    from simulation.present import report

    written = report.write(folder, out)
    print(f"wrote {written} ({written.stat().st_size / 1e6:.1f} MB); open it in a browser, print it from there")
    return 0
