"""`ipsim run`: the run folder, its files, reproducibility and never overwriting.

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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

import simulation.studies.run
from simulation.core import pressures
from simulation.core.records import CLIENT_COLUMNS
from simulation.core.scenario import Scenario
from tests.helpers import BASELINE_FILE, PNG_MAGIC, invoke

WEEKS = 30  # shorter than baseline's 104-week cohort window
REPLICATES = 2
SEED = 7
FOLDER_NAME = re.compile(r"^(\d{8}T\d{6}Z)-(.+)$")
CHARTS = ["retention.png", "pressures.png", "staffing.png", "quit_reasons.png", "sites.png"]
HEADLINE = ["annual_turnover", "study_cohort_left_share", "cohort_left_share", "retention_12m", "median_tenure_weeks",
            "shock_share", "job_starts_per_es_year", "job_starts_per_client_year", "vacancy_weeks_per_position_year"]
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
        same = do_run(run_args(out, str(BASELINE_FILE), workers=2), out)
        other = do_run(run_args(out, str(BASELINE_FILE), seed=SEED + 1), out)
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
    assert {"manifest.json", "weekly.csv", "spells.csv", "clients.csv", "summary.json", "charts"} <= names
    assert not any(n.startswith(".partial") for n in names)
    assert (folder / "charts").is_dir()
    for chart in CHARTS:
        data = (folder / "charts" / chart).read_bytes()
        assert len(data) > len(PNG_MAGIC), chart
        assert data.startswith(PNG_MAGIC), chart


def test_without_scenario_argument_the_bundled_baseline_runs(default_run: Run, baseline: Scenario) -> None:
    manifest = default_run.json("manifest.json")
    assert manifest["scenario"]["name"] == "baseline"
    assert default_run.folder.name.endswith("-baseline")
    expected = baseline.model_dump()
    expected.update(weeks=WEEKS, cohort_window_weeks=WEEKS)
    assert Scenario.model_validate(manifest["scenario"]) == Scenario.model_validate(expected)


def test_manifest(default_run: Run, baseline: Scenario) -> None:
    manifest = default_run.json("manifest.json")
    scenario = manifest["scenario"]
    for section in ["name", "weeks", "cohort_window_weeks", "sites", "staff", "clients", "strain", "shocks",
                    "readiness", "pressures"]:
        assert section in scenario, section
    # fully resolved: defaults the file leaves out are written down
    assert scenario["clients"]["caseload_cap"] == baseline.clients.caseload_cap
    assert scenario["staff"]["quit_threshold"]["mean"] == baseline.staff.quit_threshold.mean
    assert set(scenario["pressures"]) == {f.name for f in pressures.ALL}
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
        # an ordinary exit can be decided before the ES felt any drain (in their first week): no shares then
        assert sum(shares) == pytest.approx(1, abs=1e-6) or (row["exit_kind"] == "ordinary" and sum(shares) == 0), row


def test_clients_csv(default_run: Run, baseline: Scenario) -> None:
    """clients.csv's contract (README): its columns, one row per client numbered in referral order within each
    replicate, weeks on the window's clock (the warm-up's negative), and cells that agree with each other."""
    columns, rows = read_csv(default_run.folder / "clients.csv")
    assert columns == CLIENT_COLUMNS
    entries = {s.name for s in baseline.sites}
    for k in range(REPLICATES):
        mine = [r for r in rows if r["replicate"] == str(k)]
        assert [int(r["client"]) for r in mine] == list(range(len(mine)))
        assert [int(r["referral_week"]) for r in mine] == sorted(int(r["referral_week"]) for r in mine)
        assert int(mine[0]["referral_week"]) <= -baseline.warm_up_weeks + 1, "the warm-up's clients too"
    for r in rows:
        referral = int(r["referral_week"])
        assert referral <= WEEKS and r["entry"] in entries and r["site"].startswith(r["entry"])
        assert r["left_service"] in {"", "support_ended", "dropped_out"}
        assert (r["left_service"] == "") == (r["left_service_week"] == "")
        assert (r["first_job_week"] == "") == (r["jobs"] == "0")
        if r["first_job_week"]:
            assert referral < int(r["first_job_week"]) <= WEEKS
        if r["job_end_week"]:
            assert r["first_job_week"] and int(r["first_job_week"]) <= int(r["job_end_week"]), r
        assert 0 <= int(r["es_changes_12m"]) <= int(r["es_changes"])
        for column, weeks in (("employed_12m", 52), ("employed_18m", 78)):
            assert (r[column] == "") == (referral + weeks > WEEKS), (column, r)
            assert r[column] in {"", "0", "1"}
        if r["employed_12m"] == "1":
            assert r["first_job_week"] and int(r["first_job_week"]) <= referral + 52
    summary = default_run.json("summary.json")
    assert summary["clients_employed_12m"] == {"mean": None, "ci_low": None, "ci_high": None}, (
        "a 30-week window follows no client of it 12 months")


def test_short_weeks_shrink_the_cohort_window(default_run: Run, baseline: Scenario) -> None:
    assert WEEKS < baseline.cohort_window_weeks
    assert default_run.json("summary.json")["cohort_left_share"]["window_weeks"] == WEEKS
    assert default_run.json("manifest.json")["scenario"]["cohort_window_weeks"] == WEEKS


def test_printed_summary_mentions_the_run_folder(default_run: Run) -> None:
    assert str(default_run.folder) in default_run.stdout
    assert "Traceback" not in default_run.stderr


def test_printed_summary_names_both_cohorts(default_run: Run) -> None:
    """The study's cohort (everyone in post as observation starts, after the baseline's warm-up) and the service's
    first ES, each by its own words."""
    lines = default_run.stdout.splitlines()
    assert any(line.startswith(f"ES in post as observation starts gone within {WEEKS} weeks") for line in lines)
    assert any(line.startswith(f"The service's first ES gone within {WEEKS} weeks") for line in lines)
    assert any(line.startswith("Client job starts per 100 client-years on a caseload") for line in lines)


# --- reproducibility --------------------------------------------------------------------------


def test_same_seed_gives_identical_files_on_one_or_two_workers(default_run: Run, pair: dict[str, Run]) -> None:
    other = folder_with_seed(pair["same_seed_2_workers"], SEED)
    for name in ("weekly.csv", "spells.csv", "clients.csv"):
        assert (default_run.folder / name).read_bytes() == (other / name).read_bytes(), name


def test_different_seed_gives_different_weekly(default_run: Run, pair: dict[str, Run]) -> None:
    other = folder_with_seed(pair["other_seed"], SEED + 1)
    assert (default_run.folder / "weekly.csv").read_bytes() != (other / "weekly.csv").read_bytes()


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
