"""`ipsim run`: the run folder, its files, reproducibility, never overwriting, and bad input.

Simulation runs are expensive mostly because of the charts, so the runs are shared: one run of
the default (bundled baseline) scenario, and a pair of runs into one folder with the clock frozen
(same seed with 2 workers, and a different seed).
"""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from helpers import invoke

import simulation.studies.run
from simulation.cli import main
from simulation.core import pressures
from simulation.core.scenario import Scenario
from simulation.execution import folders, seeds
from simulation.inputs.scenarios import load_scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
WEEKS = 30  # shorter than baseline's 104-week cohort window
REPLICATES = 2
SEED = 7
FOLDER_NAME = re.compile(r"^(\d{8}T\d{6}Z)-(.+)$")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHARTS = ["retention.png", "pressures.png", "staffing.png", "quit_reasons.png"]
HEADLINE = ["annual_turnover", "cohort_left_share", "retention_12m", "median_tenure_weeks", "shock_share",
            "job_starts_per_es_year", "vacancy_weeks_per_position_year"]
DRAIN_NAMES = [f.name for f in pressures.DRAINS]
NOURISH_NAMES = [f.name for f in pressures.NOURISHERS]


@dataclass
class Run:
    argv: list[str]
    code: int
    stdout: str
    stderr: str
    out: Path
    before: datetime
    after: datetime

    @property
    def folders(self) -> list[Path]:
        return sorted(self.out.iterdir())

    @property
    def folder(self) -> Path:
        (folder,) = self.folders
        return folder

    def json(self, name: str, folder: Path | None = None) -> dict:
        return json.loads(((folder or self.folder) / name).read_text())



def run_args(out: Path, *extra: str, seed: int = SEED, workers: int = 1) -> list[str]:
    return ["run", *extra, "--replicates", str(REPLICATES), "--seed", str(seed), "--weeks", str(WEEKS),
            "--workers", str(workers), "--out", str(out)]


def do_run(argv: list[str], out: Path) -> Run:
    before = datetime.now(UTC)
    code, stdout, stderr = invoke(argv)
    return Run(argv, code, stdout, stderr, out, before, datetime.now(UTC))


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """`ipsim run` with no scenario argument: the bundled baseline, 30 weeks, 2 replicates."""
    out = tmp_path_factory.mktemp("runs")
    run = do_run(run_args(out), out)
    assert run.code == 0, run.stderr
    return run


FROZEN = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


class FrozenDatetime(datetime):
    """A datetime whose now() is always FROZEN: both runs start in the same second."""

    @classmethod
    def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
        return FROZEN if tz is not None else FROZEN.replace(tzinfo=None)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Two runs into one --out folder starting in the same second: same seed on 2 workers, other seed."""
    out = tmp_path_factory.mktemp("pair")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(simulation.studies.run, "datetime", FrozenDatetime)
        same = do_run(run_args(out, str(BASELINE), workers=2), out)
        other = do_run(run_args(out, str(BASELINE), seed=SEED + 1), out)
    assert same.code == 0, same.stderr
    assert other.code == 0, other.stderr
    return {"same_seed_2_workers": same, "other_seed": other}


def folder_with_seed(run: Run, seed: int) -> Path:
    matches = [f for f in run.folders if run.json("manifest.json", f)["base_seed"] == seed]
    assert len(matches) == 1
    return matches[0]


# --- the run folder ---------------------------------------------------------------------------


def test_run_writes_exactly_one_timestamped_folder(default_run: Run) -> None:
    assert default_run.code == 0
    entries = os.listdir(default_run.out)
    assert len(entries) == 1, f"expected one new entry (no .partial-* leftovers), got {entries}"
    match = FOLDER_NAME.match(entries[0])
    assert match, entries[0]
    assert match.group(2) == "baseline"
    stamp = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert default_run.before.replace(microsecond=0) <= stamp <= default_run.after, "folder time is not UTC now"


def test_run_folder_contents(default_run: Run) -> None:
    folder = default_run.folder
    names = {p.name for p in folder.iterdir()}
    assert {"manifest.json", "weekly.csv", "spells.csv", "summary.json", "charts"} <= names
    assert not any(n.startswith(".partial") for n in names)
    assert (folder / "charts").is_dir()
    for chart in CHARTS:
        data = (folder / "charts" / chart).read_bytes()
        assert len(data) > len(PNG_MAGIC), chart
        assert data.startswith(PNG_MAGIC), chart


def test_without_scenario_argument_the_bundled_baseline_runs(default_run: Run) -> None:
    manifest = default_run.json("manifest.json")
    assert manifest["scenario"]["name"] == "baseline"
    assert default_run.folder.name.endswith("-baseline")
    expected = load_scenario(BASELINE).model_dump()
    expected.update(weeks=WEEKS, cohort_window_weeks=WEEKS)
    assert Scenario.model_validate(manifest["scenario"]) == Scenario.model_validate(expected)


def test_manifest(default_run: Run) -> None:
    manifest = default_run.json("manifest.json")
    scenario = manifest["scenario"]
    for section in ["name", "weeks", "cohort_window_weeks", "sites", "staff", "clients", "strain", "shocks",
                    "readiness", "pressures"]:
        assert section in scenario, section
    # fully resolved: defaults the file leaves out are written down
    assert scenario["clients"]["caseload_cap"] == load_scenario(BASELINE).clients.caseload_cap
    assert scenario["staff"]["quit_threshold"]["mean"] == load_scenario(BASELINE).staff.quit_threshold.mean
    assert set(scenario["pressures"]) == {f.name for f in pressures.FACTORS}
    assert scenario["weeks"] == WEEKS
    Scenario.model_validate(scenario)  # a complete, valid scenario

    assert manifest["base_seed"] == SEED
    seeds = manifest["replicate_seeds"]
    assert len(seeds) == REPLICATES
    assert all(isinstance(s, int) and not isinstance(s, bool) for s in seeds)
    assert len(set(seeds)) == REPLICATES

    versions = manifest["versions"]
    assert {"ipsim", "mesa", "numpy", "python"} <= set(versions)
    assert all(isinstance(versions[k], str) and versions[k] for k in ("ipsim", "mesa", "numpy", "python"))
    assert versions["python"] == platform.python_version()
    assert versions["numpy"] == np.__version__

    started = datetime.fromisoformat(manifest["started_utc"])
    finished = datetime.fromisoformat(manifest["finished_utc"])
    assert started.utcoffset() == timedelta(0) and finished.utcoffset() == timedelta(0)
    slack = timedelta(seconds=1)
    assert default_run.before - slack <= started <= finished <= default_run.after + slack


def test_manifest_records_the_command(default_run: Run) -> None:
    command = default_run.json("manifest.json")["command"]
    text = " ".join(command) if isinstance(command, list) else str(command)
    # the command that made this run: `ipsim run --replicates 2 --seed 7 ...`
    assert re.search(r"\brun\b", text), text
    assert f"--seed {SEED}" in text or f"--seed={SEED}" in text, text
    assert f"--weeks {WEEKS}" in text or f"--weeks={WEEKS}" in text, text


def test_summary(default_run: Run) -> None:
    summary = default_run.json("summary.json")
    for key in HEADLINE:
        assert key in summary, key
        assert {"mean", "ci_low", "ci_high"} <= set(summary[key]), key
        for part in ("mean", "ci_low", "ci_high"):
            value = summary[key][part]
            assert value is None or (isinstance(value, (int, float)) and math.isfinite(value)), (key, part)
    assert summary["cohort_left_share"]["window_weeks"] == WEEKS
    assert summary["annual_turnover"]["mean"] is not None

    reasons = summary["quit_reasons"]
    assert set(reasons) == set(DRAIN_NAMES)
    assert all(0 <= v <= 1 for v in reasons.values())
    _, spells = read_csv(default_run.folder / "spells.csv")
    quits = [s for s in spells if s["outcome"] == "quit"]
    assert quits, "the baseline should have some quits in 30 weeks x 2 replicates"
    assert sum(reasons.values()) == pytest.approx(1, abs=1e-6)


def test_weekly_csv(default_run: Run) -> None:
    columns, rows = read_csv(default_run.folder / "weekly.csv")
    required = ["replicate", "week", "headcount", "vacancies", "mean_strain", "clients_on_caseload", "job_starts",
                *(f"drain_{n}" for n in DRAIN_NAMES), *(f"nourish_{n}" for n in NOURISH_NAMES)]
    missing = [c for c in required if c not in columns]
    assert not missing, missing
    assert len(rows) == REPLICATES * WEEKS
    by_replicate: dict[str, list[int]] = {}
    for row in rows:
        by_replicate.setdefault(row["replicate"], []).append(int(row["week"]))
        for name, cell in row.items():
            value = float(cell)  # every cell is a number
            assert math.isfinite(value), (name, cell)
    assert len(by_replicate) == REPLICATES
    for weeks in by_replicate.values():
        assert sorted(weeks) == list(range(1, WEEKS + 1))


def test_spells_csv(default_run: Run) -> None:
    columns, rows = read_csv(default_run.folder / "spells.csv")
    required = ["replicate", "site", "start_week", "end_week", "outcome", "shock",
                *(f"drain_share_{n}" for n in DRAIN_NAMES)]
    missing = [c for c in required if c not in columns]
    assert not missing, missing
    assert rows
    assert {r["outcome"] for r in rows} <= {"quit", "censored"}
    quits = [r for r in rows if r["outcome"] == "quit"]
    assert quits
    for row in rows:
        assert int(row["start_week"]) <= int(row["end_week"]) <= WEEKS
    for row in quits:
        shares = [float(row[f"drain_share_{n}"]) for n in DRAIN_NAMES]
        assert all(s >= 0 for s in shares), row
        assert sum(shares) == pytest.approx(1, abs=1e-6), row


def test_short_weeks_shrink_the_cohort_window(default_run: Run) -> None:
    assert WEEKS < load_scenario(BASELINE).cohort_window_weeks
    assert default_run.json("summary.json")["cohort_left_share"]["window_weeks"] == WEEKS
    assert default_run.json("manifest.json")["scenario"]["cohort_window_weeks"] == WEEKS


def test_printed_summary_mentions_the_run_folder(default_run: Run) -> None:
    assert str(default_run.folder) in default_run.stdout
    assert "Traceback" not in default_run.stderr


# --- reproducibility --------------------------------------------------------------------------


def test_same_seed_gives_identical_files_on_one_or_two_workers(default_run: Run, pair: dict[str, Run]) -> None:
    other = folder_with_seed(pair["same_seed_2_workers"], SEED)
    for name in ("weekly.csv", "spells.csv"):
        assert (default_run.folder / name).read_bytes() == (other / name).read_bytes(), name


def test_different_seed_gives_different_weekly(default_run: Run, pair: dict[str, Run]) -> None:
    other = folder_with_seed(pair["other_seed"], SEED + 1)
    assert (default_run.folder / "weekly.csv").read_bytes() != (other / "weekly.csv").read_bytes()


def test_replicate_seeds_depend_only_on_base_seed() -> None:
    assert seeds.replicate_seeds(SEED, 3) == seeds.replicate_seeds(SEED, 3)
    assert seeds.replicate_seeds(SEED, 3)[:2] == seeds.replicate_seeds(SEED, 2)
    assert seeds.replicate_seeds(SEED, 2) != seeds.replicate_seeds(SEED + 1, 2)


# --- never overwrite --------------------------------------------------------------------------


def test_two_runs_in_the_same_second_give_two_folders(pair: dict[str, Run]) -> None:
    run = pair["other_seed"]
    entries = sorted(os.listdir(run.out))
    assert len(entries) == 2, entries
    stamp = FROZEN.strftime("%Y%m%dT%H%M%SZ")
    for entry in entries:
        assert entry.startswith(f"{stamp}-baseline"), entry  # both started in the frozen second
        folder = run.out / entry
        assert {"manifest.json", "weekly.csv", "spells.csv", "summary.json", "charts"} <= set(os.listdir(folder))
    seeds = {run.json("manifest.json", run.out / e)["base_seed"] for e in entries}
    assert seeds == {SEED, SEED + 1}  # the first run's folder was not overwritten


def test_new_run_folder_never_returns_an_existing_folder(tmp_path: Path) -> None:
    now = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    first = folders.new_run_folder(tmp_path, "baseline", now)
    assert first.parent == tmp_path
    assert first.name == "20310506T070809Z-baseline"
    assert not first.exists()
    first.mkdir()
    second = folders.new_run_folder(tmp_path, "baseline", now)
    assert second != first and not second.exists() and second.parent == tmp_path
    assert second.name.startswith("20310506T070809Z-baseline")
    second.mkdir()
    third = folders.new_run_folder(tmp_path, "baseline", now)
    assert third not in (first, second) and not third.exists()


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
    bad.write_text(BASELINE.read_text(encoding="utf-8") + "clients: {caseload_capp: 20}\n", encoding="utf-8")
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
