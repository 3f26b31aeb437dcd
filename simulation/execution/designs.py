"""A sweep's design: its points, drawn by well-kept libraries and deterministic in the spec.

``itertools.product`` for grids, ``scipy.stats.qmc.LatinHypercube`` for LHS and SALib for Sobol
(Saltelli) and Morris; a ``points`` design is the spec's own list (a calibration's batch of proposals). Sampling designs draw points in the unit hypercube; each parameter maps its
unit coordinate to a value (inputs.specs.Parameter.from_unit), so one unit design serves every
parameter type and SALib's analysis.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import qmc

from simulation.inputs.specs import SweepSpec


@dataclass(frozen=True)
class Points:
    """A design's points: each row's parameter values, and for sampling designs its unit coordinates."""

    values: list[list[Any]]
    unit: np.ndarray | None
    """(points, parameters) unit-hypercube coordinates (None for grids), as SALib's analysis needs them."""


def unit_problem(spec: SweepSpec) -> dict[str, Any]:
    """The SALib problem: every parameter on [0, 1] (mapped to its values by Parameter.from_unit)."""
    return {"num_vars": len(spec.parameters), "names": [p.path for p in spec.parameters],
            "bounds": [[0.0, 1.0]] * len(spec.parameters)}


def design(spec: SweepSpec) -> Points:
    """The design's points, in sample-id order; deterministic in the spec (its seed included)."""
    if spec.design == "grid":
        rows = [list(row) for row in itertools.product(*(p.grid_points() for p in spec.parameters))]
        return Points(rows, None)
    if spec.design == "points":
        return Points([list(row) for row in spec.point_values or []], None)
    d = len(spec.parameters)
    if spec.design == "lhs":
        unit = qmc.LatinHypercube(d, rng=np.random.default_rng(spec.seed)).random(spec.samples)
    elif spec.design == "sobol":
        from SALib.sample import sobol

        unit = sobol.sample(unit_problem(spec), spec.samples, calc_second_order=spec.second_order, seed=spec.seed)
    else:
        from SALib.sample import morris

        unit = morris.sample(unit_problem(spec), spec.samples, num_levels=spec.morris_levels, seed=spec.seed)
    rows = [[p.from_unit(float(u)) for p, u in zip(spec.parameters, row, strict=True)] for row in unit]
    return Points(rows, unit)
