"""Sweep designs: how many points each design gives, deterministic in its seed, and an LHS's strata."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.execution import designs
from simulation.inputs import specs


def spec_of(design: str, parameters: int, **fields: object) -> specs.SweepSpec:
    paths = ["staff.quit_threshold.mean", "staff.intrinsic_motivation.mean", "strain.recovery_rate",
             "shocks.strain_jump"][:parameters]
    return specs.SweepSpec.model_validate({
        "name": "s", "base": "b.yaml", "design": design, "replicates": 3,
        "parameters": [{"path": p, "range": [0.1, 0.9]} if design != "grid" else {"path": p, "levels": [0.2, 0.5, 0.8]}
                       for p in paths], **fields})


@pytest.mark.parametrize(("spec", "points"), [
    (spec_of("grid", 3), 3 ** 3),
    (spec_of("lhs", 3, samples=20), 20),
    (spec_of("sobol", 3, samples=16), 16 * (3 + 2)),
    (spec_of("sobol", 3, samples=16, second_order=True), 16 * (2 * 3 + 2)),
    (spec_of("morris", 4, samples=5), 5 * (4 + 1)),
], ids=["grid", "lhs", "sobol", "sobol-second-order", "morris"])
def test_each_design_gives_the_expected_number_of_runs(spec: specs.SweepSpec, points: int) -> None:
    design = designs.design(spec)
    assert len(design.values) == spec.points == points
    assert spec.runs == points * 3
    assert design.values == designs.design(spec).values, "a design must be deterministic in its seed"
    assert all(0.1 <= v <= 0.9 for row in design.values for v in row)


def test_lhs_puts_one_point_in_each_stratum_of_every_parameter() -> None:
    design = designs.design(spec_of("lhs", 3, samples=10))
    for column in design.unit.T:
        assert sorted(np.floor(column * 10).astype(int)) == list(range(10))
