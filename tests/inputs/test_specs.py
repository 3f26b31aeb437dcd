"""Sweep and calibration specs: what a valid spec is, how an invalid one is refused (naming the file and the field),
how a parameter's unit coordinate becomes a value, and how a value is set in the base scenario."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from simulation.inputs import specs
from simulation.inputs.reading import ScenarioError
from tests.helpers import SCENARIOS

# --- sweep specs -------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "expected"), [
    ("design: lhs\nsamples: 4\nparameters:\n  - path: staff.quit_treshold.mean\n    range: [1, 2]\n",
     "parameters[0].path (staff.quit_treshold.mean): staff has no field 'quit_treshold'; did you mean 'quit_threshold'?"),
    ("design: lhs\nsamples: 4\nparameters:\n  - path: staff.quit_threshold\n    range: [1, 2]\n",
     "'staff.quit_threshold' is a section, not a value"),
    ("design: lhs\nsamples: 4\nparameters:\n  - path: sites.team_contact\n    range: [0, 1]\n",
     "'sites' is a list: give an index, sites[0], or sites[*]"),
    ("design: lhs\nsamples: 4\nparameters:\n  - path: sites[5].team_contact\n    range: [0, 1]\n",
     "'sites' has 2 entries in the base scenario (indices 0-1)"),
    ("design: lhs\nsamples: 4\nparameters:\n  - path: staff.quit_threshold.mean\n    range: [1, 40]\n",
     "the value 40.0 is not allowed: staff.quit_threshold.mean: Input should be less than or equal to 20"),
    (("design: lhs\nsamples: 4\nparameters:\n  - path: start_up_plan.implementation_lead.enabled\n"
     "    range: [0, 1]\n"), "the field holds bool values; type float does not fit (use bool or categorical)"),
    (("design: sobol\nsamples: 6\nparameters:\n  - {path: weeks, type: int, range: [20, 26]}\n"
     "  - {path: staff.notice_weeks, type: int, range: [1, 4]}\n"), "samples to be a power of 2"),
    ("design: grid\nsamples: 4\nparameters:\n  - {path: weeks, type: int, range: [20, 26]}\n",
     "a grid design runs every combination of levels: leave samples out"),
    ("design: grid\nparameters:\n  - {path: staff.quit_threshold.mean, range: [1, 2]}\n",
     "parameters[0] (staff.quit_threshold.mean): a float range in a grid design needs steps"),
    ("design: lhs\nsamples: 4\nparameters:\n  - {path: weeks, type: int, range: [20, 26], colour: red}\n",
     "parameters[0].colour: unknown field; allowed: distribution, levels, path, range, steps, type"),
    (("design: lhs\nsamples: 4\nparameters:\n  - path: staff.quit_threshold.mean\n"
     "    distribution: {name: nrom, params: {loc: 1, scale: 0.1}}\n"),
     "'nrom' is not a continuous scipy.stats distribution; did you mean 'norm'?"),
    (("design: lhs\nsamples: 4\nparameters:\n  - {path: weeks, type: int, range: [20, 26]}\n"
     "  - {path: weeks, type: int, range: [10, 26]}\n"), "each path may be varied once; repeated: weeks"),
    ("design: lhs\nsamples: 4\nparameters:\n  - {path: weeks, type: int, levels: [20, 2.5]}\n",
     "levels of a int parameter must be int values, got 2.5"),
    ("design: lhs\nsamples: 4\nmetrics: [turnover]\nparameters:\n  - {path: weeks, type: int, range: [20, 26]}\n",
     "metrics[0]: Input should be 'annual_turnover'"),
    (("design: morris\nparameters:\n  - {path: weeks, type: int, range: [20, 26]}\n"
     "  - {path: staff.notice_weeks, type: int, range: [1, 4]}\n"), "a morris design needs samples"),
    ("design: points\nparameters:\n  - {path: staff.quit_threshold.mean, range: [1, 2]}\n",
     "point_values go with design points, and design points needs them"),
    (("design: lhs\nsamples: 2\npoint_values: [[1.5]]\nparameters:\n"
      "  - {path: staff.quit_threshold.mean, range: [1, 2]}\n"), "point_values go with design points"),
    (("design: points\npoint_values: [[1.5], [1.2, 3]]\nparameters:\n"
      "  - {path: staff.quit_threshold.mean, range: [1, 2]}\n"), "point_values: each point needs one value per parameter"),
    ("design: points\npoint_values: []\nparameters:\n  - {path: staff.quit_threshold.mean, range: [1, 2]}\n",
     "point_values: give at least one point"),
])
def test_spec_errors_name_the_file_and_the_field(tmp_path: Path, body: str, expected: str,
                                                 sweep_spec: Callable[..., Path]) -> None:
    spec = sweep_spec(tmp_path, body)
    with pytest.raises(ScenarioError) as caught:
        specs.load_sweep(spec)
    assert str(spec) in str(caught.value)
    assert expected in str(caught.value)


@pytest.mark.parametrize("path", sorted((SCENARIOS / "sweeps").glob("*.yaml")), ids=lambda p: p.name)
def test_bundled_sweep_specs_are_valid(path: Path) -> None:
    assert specs.load_sweep(path).spec.runs > 0


def test_missing_base_is_an_error(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("base: nowhere.yaml\ndesign: lhs\nsamples: 2\nparameters:\n  - {path: weeks, type: int, range: [1, 2]}\n")
    with pytest.raises(ScenarioError, match="base: no such scenario file 'nowhere.yaml'"):
        specs.load_sweep(spec)


# --- values of the varied parameters -----------------------------------------------------------


def test_unit_coordinates_map_to_every_type_of_value() -> None:
    whole = specs.Parameter(path="weeks", type="int", range=(3, 5))
    assert [whole.from_unit(u) for u in (0, 0.34, 0.67, 1)] == [3, 4, 5, 5]
    flag = specs.Parameter(path="x", type="bool")
    assert flag.levels == [False, True] and [flag.from_unit(u) for u in (0.2, 0.8)] == [False, True]
    normal = specs.Parameter(path="x", distribution={"name": "norm", "params": {"loc": 1.0, "scale": 0.1}})
    assert normal.from_unit(0.5) == pytest.approx(1.0)
    assert normal.from_unit(0.0) == pytest.approx(1.0 - 2.5758 * 0.1, abs=1e-4), "clipped at the 0.5% quantile"


def test_paths_with_star_set_every_site(tmp_path: Path, sweep_spec: Callable[..., Path]) -> None:
    loaded = specs.load_sweep(sweep_spec(tmp_path, "design: lhs\nsamples: 2\nparameters:\n"
                                                   "  - {path: 'sites[*].team_contact', range: [0.1, 0.3]}\n"))
    scenario = specs.apply(loaded.base, loaded.paths, [0.25])
    assert [s.team_contact for s in scenario.sites] == [0.25, 0.25]


# --- calibration specs -------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted((SCENARIOS / "calibration").glob("*.yaml")), ids=lambda p: p.name)
def test_bundled_calibration_specs_are_valid(path: Path) -> None:
    loaded = specs.load_calibration(path)
    assert [t.metric for t in loaded.spec.targets] == ["study_cohort_left_share", "shock_share", "ordinary_share",
                                                       "shock_contract_share", "shock_reorganisation_share"]
    assert [(t.successes, t.trials) for t in loaded.spec.targets] == [(18, 40), (4, 10), (2, 12), (2, 4), (1, 2)]
    assert loaded.spec.kernel == "beta-binomial" and loaded.spec.generations > 1
