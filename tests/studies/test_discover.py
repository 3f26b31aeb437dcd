"""``ipsim discover`` end to end: on a small real sweep it writes a new discovery folder (boxes.csv, trajectory.csv,
summary.md, manifest.json and two PNG charts) whose CSVs are the same bytes when asked again; a bad question or a
folder that is no finished sweep is refused in one line, exit 2, no traceback, nothing written.

PRIM itself and the box's choice: tests/analysis/test_discovery.py.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers import PAIRS_AND_A_TRIO, PNG_MAGIC, invoke, only_folder

SPEC = """
base: tiny.yaml
name: tiny-discovery
design: grid
replicates: 2
seed: 11
metrics: [annual_turnover, shock_share]
parameters:
  - path: staff.quit_threshold.mean
    range: [0.3, 2.0]
    steps: 6
  - path: start_up_plan.implementation_lead.enabled
    type: bool
  - path: shocks.work_life_conflict_per_year
    levels: [0.0, 0.3, 0.6]
"""
"""72 runs (36 grid points x 2 replicates) of the small world of the sweeps' tests run for a year (7 positions): a
few seconds. Over this range the quit threshold drives turnover strongly (from about 170% a year at 0.3 to about 25%
at 2.0), so PRIM has something to find; a grid leaves out the given-data indices an lhs would add to the analysis
the sweep runs after its runs (seconds more)."""
WEEKS = 52


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory, small_world: Callable[..., Path]) -> Path:
    tmp = tmp_path_factory.mktemp("discover")
    small_world(tmp, WEEKS, sites=PAIRS_AND_A_TRIO)
    (tmp / "spec.yaml").write_text(SPEC)
    code, _, err = invoke(["sweep", str(tmp / "spec.yaml"), "--out", str(tmp / "runs"), "--workers", "1"])
    assert code == 0, err
    return only_folder(tmp / "runs")


def median_turnover(folder: Path) -> float:
    """The median over design points of their mean annual turnover: a threshold with cases on both sides."""
    by_point: dict[str, list[float]] = defaultdict(list)
    with (folder / "results.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            by_point[row["sample_id"]].append(float(row["annual_turnover"]))
    return statistics.median(statistics.fmean(v) for v in by_point.values())


def discoveries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and "-discovery-" in p.name)


def test_discover_writes_its_folder_and_the_same_csvs_when_asked_again(sweep: Path) -> None:
    threshold = f"{median_turnover(sweep):.4f}"
    argv = ["discover", str(sweep), "--metric", "annual_turnover", "--above", threshold]
    code, printed, err = invoke(argv)
    assert code == 0, err
    (first,) = discoveries(sweep)
    assert first.name.endswith("-discovery-annual_turnover")
    assert {p.name for p in first.iterdir()} == {"boxes.csv", "trajectory.csv", "summary.md", "manifest.json",
                                                 "charts"}
    assert printed.startswith("When is annual turnover above ") and str(first / "summary.md") in printed

    boxes = list(csv.DictReader(io.StringIO((first / "boxes.csv").read_text())))
    assert boxes, "the quit threshold drives turnover: the box restricts it"
    assert "staff.quit_threshold.mean" in {b["parameter"] for b in boxes}
    quit_threshold = next(b for b in boxes if b["parameter"] == "staff.quit_threshold.mean")
    assert float(quit_threshold["high"]) < float(quit_threshold["full_high"])  # high turnover: a low threshold
    assert all(0 < float(b["coverage"]) <= 1 and 0 < float(b["density"]) <= 1 for b in boxes)
    trajectory = list(csv.DictReader(io.StringIO((first / "trajectory.csv").read_text())))
    assert trajectory[0]["coverage"] == "1" and trajectory[0]["restricted"] == "0"
    (chosen,) = [t for t in trajectory if t["chosen"] == "true"]
    assert chosen["box"] == boxes[0]["box"] and chosen["density"] == boxes[0]["density"]

    summary = (first / "summary.md").read_text()
    assert summary.startswith("# When is annual turnover above ")
    assert "Quit threshold (mean)" in summary and "coverage" in summary and "density" in summary
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["kind"] == "discovery" and manifest["question"]["side"] == "above"
    assert manifest["versions"]["ema_workbench"].startswith("3.")

    charts = sorted((first / "charts").iterdir())
    assert [p.name for p in charts] == ["box_limits.png", "trajectory.png"]
    for chart in charts:
        assert chart.read_bytes().startswith(PNG_MAGIC)
        with Image.open(chart) as image:
            image.verify()  # a whole PNG: its chunks and checksums are sound
        with Image.open(chart) as image:
            assert image.width > 800 and image.height > 400

    code, _, err = invoke(argv)  # asked again: a new folder beside the first, never over it
    assert code == 0, err
    first_again, second = discoveries(sweep)
    assert first_again == first and second != first
    for name in ("boxes.csv", "trajectory.csv"):
        assert (second / name).read_bytes() == (first / name).read_bytes()


def test_a_difference_of_two_columns_below_a_threshold(sweep: Path) -> None:
    code, printed, err = invoke(["discover", str(sweep), "--metric", "annual_turnover", "--minus", "shock_share",
                                 "--below", "0", "--min-coverage", "0.3"])
    assert code == 0, err
    assert printed.startswith("When is annual turnover minus voluntary quits begun by a shock below 0.0 percentage "
                              "points?")
    assert any(p.name.endswith("-discovery-annual_turnover-minus-shock_share") for p in discoveries(sweep))


@pytest.mark.parametrize(("options", "expected"), [
    (["--metric", "annual_turnvoer", "--above", "0.3"],
     "--metric annual_turnvoer: is no column of it ({results}); choose one of: annual_turnover, shock_share"),
    (["--metric", "annual_turnover", "--minus", "cohort", "--below", "0.05"],
     "--minus cohort: is no column of it ({results}); choose one of: annual_turnover, shock_share"),
    (["--metric", "start_up_plan.implementation_lead.enabled", "--above", "0.5"],
     "--metric start_up_plan.implementation_lead.enabled: is a varied parameter, not an outcome"),
    (["--metric", "annual_turnover", "--above", "5"],
     ("--above 5: annual_turnover (the mean over replicates) is above it at none of the 36 design points (it runs "
     "from ")),
    (["--metric", "annual_turnover", "--above", "0.3", "--below", "0.1"],
     "argument --below: not allowed with argument --above"),
    (["--metric", "annual_turnover"], "one of the arguments --above --below is required"),
    (["--above", "0.3"], "the following arguments are required: --metric"),
    (["--metric", "annual_turnover", "--above", "nan"], "argument --above: expected a finite number, got 'nan'"),
    (["--metric", "annual_turnover", "--above", "0.3", "--min-coverage", "0"],
     "argument --min-coverage: a share is more than 0 and at most 1, got 0"),
])
def test_a_bad_question_is_refused_in_one_line_and_writes_nothing(sweep: Path, options: list[str],
                                                                  expected: str) -> None:
    before = discoveries(sweep)
    code, _, err = invoke(["discover", str(sweep), *options])
    assert code == 2
    assert err.startswith("ipsim: error: ") and len(err.splitlines()) == 1 and "Traceback" not in err
    assert expected.format(results=sweep / "results.csv") in err
    assert discoveries(sweep) == before


def test_an_unfinished_sweep_gets_the_error_analyze_gives(sweep: Path, tmp_path: Path) -> None:
    unfinished = tmp_path / sweep.name
    unfinished.mkdir()
    for name in ("manifest.json", "design.csv", "results.csv"):
        (unfinished / name).write_bytes((sweep / name).read_bytes())
    status = json.loads((sweep / "status.json").read_text())
    (unfinished / "status.json").write_text(json.dumps({**status, "state": "interrupted", "runs_done": 50}))
    errors = []
    for command in (["analyze", str(unfinished)],
                    ["discover", str(unfinished), "--metric", "annual_turnover", "--above", "0.3"]):
        code, _, err = invoke(command)
        assert code == 2 and "Traceback" not in err
        errors.append(err)
    assert errors[0] == errors[1]
    assert "is not complete (50 of 72 runs, interrupted); finish it with: ipsim sweep --resume" in errors[1]
    assert sorted(p.name for p in unfinished.iterdir()) == ["design.csv", "manifest.json", "results.csv",
                                                            "status.json"]
