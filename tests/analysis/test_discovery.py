"""Scenario discovery's analysis: PRIM (EMA Workbench's) recovers a known box, the box is chosen by the documented
rule, and questions that do not fit the sweep are refused by name.

The end-to-end command, on a real sweep folder: tests/studies/test_discover.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import qmc

from simulation.analysis.discovery import (
    DiscoveryError,
    Levels,
    Question,
    Range,
    Step,
    check_columns,
    choose,
    find,
)

POINTS = 600
TOLERANCE = 0.03
"""How far a recovered limit may lie from the true one. Near its end PRIM peels 5% of the box's points at a time
(EMA's default peel_alpha), so along x1, whose true range is 0.3 wide, one peel moves an edge by about 0.015; an edge
may stop up to one peel inside the true box, or one outside where noise made a point outside a case. Two peels'
width, 0.03, covers both; the design's spacing (1/600 per parameter) is far smaller."""
NOISE_SD = 0.2
"""Noise on y (0 or 1, thresholded at 0.5): 0.5 is 2.5 standard deviations, so about 1.2% of the points (7 of 600)
are classed wrongly, enough to test that PRIM is not thrown by a few stray cases."""


def synthetic(seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """An LHS of x1, x2, x3 on [0, 1] and an unordered c (levels a, b, c), with y = 1 inside x1 in [0.2, 0.5] and
    x2 > 0.7 and 0 outside, plus normal noise; the cases are y > 0.5."""
    unit = qmc.LatinHypercube(3, rng=np.random.default_rng(seed)).random(POINTS)
    rng = np.random.default_rng(1000 + seed)
    x = pd.DataFrame({"x1": unit[:, 0], "x2": unit[:, 1], "x3": unit[:, 2],
                      "c": pd.Series(rng.choice(["a", "b", "c"], POINTS), dtype="object")})
    inside = (unit[:, 0] >= 0.2) & (unit[:, 0] <= 0.5) & (unit[:, 1] > 0.7)
    y = inside + rng.normal(0, NOISE_SD, POINTS)
    return x, y > 0.5


@pytest.mark.parametrize("seed", [0, 5])  # 5: the densest box restricts c as well, by chance: that limit is dropped
def test_prim_recovers_a_known_box(seed: int) -> None:
    x, cases = synthetic(seed)
    found = find(x, cases)
    assert [lim.parameter for lim in found.limits] == ["x1", "x2"]  # x3 and c do not matter: not restricted
    x1, x2 = found.limits
    assert isinstance(x1, Range) and isinstance(x2, Range)
    assert x1.low == pytest.approx(0.2, abs=TOLERANCE) and x1.high == pytest.approx(0.5, abs=TOLERANCE)
    assert x2.low == pytest.approx(0.7, abs=TOLERANCE) and x2.upper_bound_only is False and x2.lower_bound_only
    assert x1.quasi_p < 1e-6 and x2.quasi_p < 1e-6
    assert found.chosen.density > 0.95 and found.chosen.coverage > 0.85  # nearly all cases and little else
    whole = found.trajectory[0]
    assert whole.coverage == 1 and whole.restricted == 0 and whole.mass == 1
    assert whole.cases == int(cases.sum()) and whole.points == POINTS


def test_prim_is_deterministic() -> None:
    x, cases = synthetic(1)
    assert find(x, cases) == find(x, cases)


def test_an_unordered_parameter_is_restricted_to_levels() -> None:
    """Where the cases are c == 'b' and x1 > 0.5, the box keeps level b and the upper half of x1."""
    x, _ = synthetic(2)
    cases = (x["c"] == "b").to_numpy() & (x["x1"] > 0.5).to_numpy()
    found = find(x, cases)
    by_name = {lim.parameter: lim for lim in found.limits}
    assert set(by_name) == {"x1", "c"}
    c = by_name["c"]
    assert isinstance(c, Levels) and c.kept == ("b",) and c.swept == ("a", "b", "c")
    assert by_name["x1"].low == pytest.approx(0.5, abs=TOLERANCE)
    assert found.chosen.density == 1


def test_a_limit_that_may_be_chance_is_dropped_from_the_box_picked() -> None:
    """Seed 5's densest box with enough coverage also restricts c: that limit's quasi-p-value is far above 0.05, so
    it is dropped (a box added to the trajectory, naming c) and the box reported restricts x1 and x2 only."""
    x, cases = synthetic(5)
    found = find(x, cases)
    assert found.picked.restricted == 3
    assert [s.dropped for s in found.trajectory if s.dropped] == ["c"]
    assert found.chosen == found.trajectory[-1] and found.chosen.restricted == 2
    assert all(s.dropped == "" for s in found.trajectory[:found.picked.index + 1])


def step(index: int, coverage: float, density: float, restricted: int = 1) -> Step:
    return Step(index, coverage, density, 1.0, 100, 10, restricted, "")


def test_the_box_picked_is_the_densest_with_enough_coverage() -> None:
    trajectory = [step(0, 1.0, 0.2, 0), step(1, 0.9, 0.5), step(2, 0.6, 0.8, 2), step(3, 0.4, 1.0, 3)]
    assert choose(trajectory, 0.5).index == 2  # 3 is denser but covers too little
    assert choose(trajectory, 0.3).index == 3
    assert choose(trajectory, 0.95).index == 0  # only the whole design covers 95%
    tied = [step(0, 1.0, 0.2, 0), step(1, 0.8, 0.9, 2), step(2, 0.7, 0.9, 1)]
    assert choose(tied, 0.5).index == 1  # equally dense: the larger coverage


HEADER = ["sample_id", "replicate", "seed", "staff.quit_threshold.mean", "annual_turnover", "shock_share", "status"]


@pytest.mark.parametrize(("metric", "minus", "expected"), [
    ("annual_turnvoer", None, ("--metric annual_turnvoer: is no column of it (results.csv); choose one of: "
                              "annual_turnover, shock_share")),
    ("annual_turnover", "seed", ("--minus seed: is no column of it (results.csv); choose one of: annual_turnover, "
                                "shock_share")),
    ("staff.quit_threshold.mean", None, "--metric staff.quit_threshold.mean: is a varied parameter, not an outcome"),
    ("annual_turnover", "annual_turnover", "--minus annual_turnover: the same column as --metric"),
])
def test_a_column_the_sweep_lacks_is_named_with_those_it_has(metric: str, minus: str | None, expected: str) -> None:
    question = Question(metric, minus, "above", 0.3)
    with pytest.raises(DiscoveryError) as refused:
        check_columns(question, HEADER, ["staff.quit_threshold.mean"], Path("results.csv"))
    assert expected in str(refused.value) and "\n" not in str(refused.value)


def test_arm_columns_and_their_difference_are_outcomes() -> None:
    header = ["sample_id", "replicate", "seed", "x", "baseline/annual_turnover", "plan/annual_turnover", "status"]
    check_columns(Question("baseline/annual_turnover", "plan/annual_turnover", "below", 0.05), header, ["x"],
                  Path("results.csv"))
    question = Question("baseline/annual_turnover", "plan/annual_turnover", "below", 0.05)
    assert question.outcome == "baseline/annual_turnover - plan/annual_turnover"
    assert question.holds(np.array([0.01, 0.05, 0.2])).tolist() == [True, False, False]
