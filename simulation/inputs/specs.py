"""Sweep and calibration specifications (YAML, validated by pydantic): which scenarios a study runs.

A sweep spec names a base scenario, the parameters to vary (each by its dotted path into the scenario
schema), a design and how many runs; each parameter maps a unit coordinate to a value (a range's
uniform share, a distribution's quantile, or one of its levels), so one unit design
(execution.designs) serves every parameter type. A calibration spec names free parameters with
uniform priors and the observed counts to reproduce.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self, get_args, get_origin

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy import stats

from simulation.core.params import name_field
from simulation.core.scenario import Scenario, removed
from simulation.inputs.reading import ScenarioError, describe_errors, read_mapping, shown
from simulation.inputs.scenarios import load_scenario

RUN_METRICS = (
    "annual_turnover", "avoidable_turnover", "ordinary_turnover", "study_cohort_left_share", "cohort_left_share",
    "retention_12m", "shock_share", "ordinary_share", "gradual_decisions_after_26w", "job_starts_per_es_year",
    "job_starts_per_position_year", "job_starts_per_client_year", "vacancy_weeks_per_position_year",
    "shock_contract_share", "shock_reorganisation_share", "study_cohort_size", "founders", "voluntary_quits",
    "quits", "shock_quits", "other_shock_quits", "clients_employed_12m", "clients_employed_18m",
    "clients_ever_employed_12m", "clients_ever_employed_18m", "es_changes_per_client",
)
"""The per-run metrics a sweep can keep (simulation.analysis.metrics.replicate_metrics)."""
SHARE_METRICS = ("study_cohort_left_share", "cohort_left_share", "shock_share", "ordinary_share",
                 "shock_contract_share", "shock_reorganisation_share")
"""The per-run metrics that are a count of ES or quits over a count (analysis.metrics.COUNTS_OF names each one's
denominator), so that an observed count (a calibration target) estimates them."""
MAX_PATH = 300
"""The longest parameter path (a scenario's deepest is under 60 characters)."""
DISTRIBUTION_QUANTILES = (0.005, 0.995)
"""A distribution's unit coordinate is clipped to these quantiles, so unbounded distributions give
finite values (Morris's end levels are exactly 0 and 1)."""


class SpecSchema(BaseModel):
    """Base of every spec section: unknown keys are errors, objects are immutable, and types are strict (as
    core.params.Schema: ``"10"`` is no whole number, ``1`` no boolean)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Distribution(SpecSchema):
    """A continuous ``scipy.stats`` distribution, by name and keyword parameters (e.g. loc, scale)."""

    name: str = Field(description="a continuous scipy.stats distribution, e.g. norm, truncnorm, triang, lognorm")
    params: dict[str, float] = Field(default_factory=dict, description="its keyword parameters, e.g. {loc: 1, scale: 0.2}")

    @model_validator(mode="after")
    def _exists(self) -> Self:
        dist = getattr(stats, self.name, None)
        if not isinstance(dist, stats.rv_continuous):
            close = difflib.get_close_matches(self.name, [n for n in dir(stats) if isinstance(
                getattr(stats, n), stats.rv_continuous)], n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ValueError(f"'{self.name}' is not a continuous scipy.stats distribution{hint}")  # noqa: TRY004 - pydantic reports ValueError
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # scipy's overflow warnings: the finiteness check below says it
                low, high = dist(**self.params).ppf(DISTRIBUTION_QUANTILES)
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise ValueError(f"bad parameters for {self.name}: {str(exc)[:120]}") from None
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ValueError(f"{self.name} with {self.params} has no finite quantiles (check its parameters)")
        return self

    def frozen(self) -> Any:
        return getattr(stats, self.name)(**self.params)


class Parameter(SpecSchema):
    """One varied parameter: where it is in the scenario, its type, and its range, levels or distribution."""

    path: str = Field(max_length=MAX_PATH, description="dotted path into the scenario, e.g. staff.quit_threshold.mean or sites[0].team_contact "
                                  "(sites[*].x sets x at every site entry)")
    type: Literal["float", "int", "bool", "categorical"] = Field("float", description="the value's type")
    range: tuple[float, float] | None = Field(None, strict=False,  # a YAML list; its two ends are still strict
                                              description="[low, high]: uniform (int: every whole number in it)")
    levels: list[Any] | None = Field(None, min_length=1, description="the values it takes (bool: default [false, true])")
    distribution: Distribution | None = Field(None, description="for lhs, sobol and morris: values drawn by quantile")
    steps: int | None = Field(None, ge=2, le=1000, description="grid design: evenly spaced points over the range")

    @model_validator(mode="before")
    @classmethod
    def _bool_levels(cls, data: Any) -> Any:
        """A bool parameter without levels takes both values."""
        if isinstance(data, dict) and data.get("type") == "bool" and not any(
                data.get(k) is not None for k in ("range", "levels", "distribution")):
            return {**data, "levels": [False, True]}
        return data

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        given = [k for k in ("range", "levels", "distribution") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of range, levels or distribution"
                             + (f" (got {', '.join(given)})" if given else ""))
        if self.type in ("bool", "categorical") and self.levels is None:
            raise ValueError(f"a {self.type} parameter takes levels, not {given[0]}")
        if self.range is not None:
            low, high = self.range
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ValueError(f"range must be [low, high], finite, with low < high, got {list(self.range)}")
            if self.type == "int" and not (float(low).is_integer() and float(high).is_integer()):
                raise ValueError(f"an int range needs whole-number ends, got {list(self.range)}")
        if self.distribution is not None and self.type != "float":
            raise ValueError("a distribution is for float parameters")
        if self.steps is not None and self.range is None:
            raise ValueError("steps goes with a range")
        if self.levels is not None:
            checks = {"float": (int, float), "int": (int,), "bool": (bool,), "categorical": (str, int, float, bool)}
            bad = [v for v in self.levels if not isinstance(v, checks[self.type])
                   or (self.type in ("int", "float") and isinstance(v, bool))]
            if bad:
                raise ValueError(f"levels of a {self.type} parameter must be {self.type} values, got {bad[0]!r}")
            if len(set(map(repr, self.levels))) != len(self.levels):
                raise ValueError("levels must be distinct")
            if any(isinstance(v, str) and not v.isprintable() for v in self.levels):
                raise ValueError("a text level must hold printable characters only (no line breaks, tabs or control "
                                 "characters): it becomes a CSV cell and a file name part")
        return self

    def grid_size(self) -> int:
        """How many values a grid design takes, counted without listing them (an int range may be huge)."""
        if self.levels is None and self.distribution is None and self.type == "int" and self.steps is None:
            low, high = self.range  # type: ignore[misc]
            return int(high) - int(low) + 1
        return len(self.grid_points())

    def grid_points(self) -> list[Any]:
        """The values a grid design takes."""
        if self.levels is not None:
            return list(self.levels)
        if self.distribution is not None:
            raise ValueError("a grid design needs levels or a range, not a distribution")
        low, high = self.range  # type: ignore[misc]
        if self.type == "int":
            if self.steps is None:
                return list(range(int(low), int(high) + 1))
            return sorted({round(v) for v in np.linspace(low, high, self.steps)})
        if self.steps is None:
            raise ValueError("a float range in a grid design needs steps (the number of grid points)")
        return [float(v) for v in np.linspace(low, high, self.steps)]

    def from_unit(self, u: float) -> Any:
        """The value at unit coordinate ``u`` in [0, 1]."""
        if self.distribution is not None:
            return float(self.distribution.frozen().ppf(min(max(u, DISTRIBUTION_QUANTILES[0]), DISTRIBUTION_QUANTILES[1])))
        if self.levels is not None:
            return self.levels[min(int(u * len(self.levels)), len(self.levels) - 1)]
        low, high = self.range  # type: ignore[misc]
        if self.type == "int":
            n = int(high) - int(low) + 1
            return int(low) + min(int(u * n), n - 1)
        return float(low + u * (high - low))

    def extremes(self) -> list[Any]:
        """Values to check against the schema before anything runs: the ends of what it can take."""
        if self.levels is not None:
            return list(self.levels)
        return [self.from_unit(0.0), self.from_unit(1.0)]


Design = Literal["grid", "lhs", "sobol", "morris", "points"]


class SweepSpec(SpecSchema):
    """A sweep: a base scenario, the parameters to vary, a design, replicates, metrics and a seed."""

    name: str = name_field("names the sweep's run folder")
    description: str = Field("", description="what the sweep asks")
    base: str = Field(description="the base scenario file, relative to the spec file's folder")
    design: Design = Field(description="grid (every combination of levels), lhs (Latin hypercube), "
                                       "sobol (Saltelli sampling for Sobol indices), morris (elementary effects) or "
                                       "points (the design points given in point_values)")
    samples: int | None = Field(None, ge=1, le=1_000_000, description=(
        "lhs: points; sobol: base samples N, a power of 2 (runs N*(D+2), or N*(2D+2) with second_order); "
        "morris: trajectories (runs r*(D+1)); grid: not used (every combination)"))
    replicates: int = Field(10, ge=1, le=10_000, description="runs per design point, each with its own seed")
    seed: int = Field(2024, ge=0, description="seeds the design and every run (SeedSequence keyed by sample and replicate)")
    common_random_numbers: bool = Field(False, description=(
        "common random numbers: replicate k of every design point runs with the same seed (the one point 0's "
        "replicate k has without them), so differences between points are paired and less noisy; false: every run "
        "has a seed of its own"))
    metrics: list[Literal[RUN_METRICS]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: list(RUN_METRICS), min_length=1, description="per-run metrics to keep")
    parameters: list[Parameter] = Field(min_length=1, description="the parameters to vary")
    point_values: list[list[float]] | None = Field(None, max_length=1_000_000, description=(
        "points: each design point's values, in the order of parameters (as a calibration's batches of proposals "
        "are given)"))
    second_order: bool = Field(False, description="sobol: also sample for second-order indices")
    morris_levels: int = Field(4, ge=2, le=20, description="morris: grid levels per parameter (even numbers are usual)")

    @model_validator(mode="after")
    def _design_fits(self) -> Self:
        paths = [p.path for p in self.parameters]
        repeated = sorted({p for p in paths if paths.count(p) > 1})
        if repeated:
            raise ValueError(f"each path may be varied once; repeated: {', '.join(repeated)}")
        if len(set(self.metrics)) != len(self.metrics):
            raise ValueError("metrics must be distinct")
        if (self.design == "points") != (self.point_values is not None):
            raise ValueError("point_values go with design points, and design points needs them")
        if self.design == "points":
            if self.samples is not None:
                raise ValueError("a points design runs the point_values given: leave samples out")
            wrong = [i for i, row in enumerate(self.point_values or []) if len(row) != len(self.parameters)]
            if wrong or not self.point_values:
                raise ValueError("point_values: each point needs one value per parameter" if wrong else
                                 "point_values: give at least one point")
        elif self.design == "grid":
            if self.samples is not None:
                raise ValueError("a grid design runs every combination of levels: leave samples out")
            for i, p in enumerate(self.parameters):
                try:
                    p.grid_size()
                except ValueError as exc:
                    raise ValueError(f"parameters[{i}] ({p.path}): {exc}") from None
        else:
            if self.samples is None:
                raise ValueError(f"a {self.design} design needs samples")
            if self.design == "sobol" and self.samples & (self.samples - 1):
                raise ValueError(f"a sobol design needs samples to be a power of 2 (Saltelli), got {self.samples}")
            if self.design in ("sobol", "morris") and len(self.parameters) < 2:
                raise ValueError(f"a {self.design} design needs at least 2 parameters")
        return self

    @property
    def points(self) -> int:
        """Design points (samples) the design gives."""
        d = len(self.parameters)
        if self.design == "grid":
            return math.prod(p.grid_size() for p in self.parameters)
        if self.design == "points":
            return len(self.point_values or [])
        n = self.samples or 0
        if self.design == "sobol":
            return n * (2 * d + 2 if self.second_order else d + 2)
        if self.design == "morris":
            return n * (d + 1)
        return n

    @property
    def runs(self) -> int:
        return self.points * self.replicates


# --- paths into the scenario -----------------------------------------------------------------------

_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+|\*)\])?$")


def check_path(path: str, base: Scenario) -> tuple[Any, str]:
    """Follow ``path`` through the scenario schema; return the leaf's annotation and kind, or raise ValueError."""
    model: Any = Scenario
    value: Any = base
    parts = path.split(".")
    for n, part in enumerate(parts):
        match = _SEGMENT.match(part)
        if not match:
            raise ValueError(f"'{part}' is not a field name (letters, digits, _; a list takes [index] or [*])")
        name, index = match.groups()
        fields = model.model_fields if isinstance(model, type) and issubclass(model, BaseModel) else {}
        if name not in fields:
            where = ".".join(parts[:n]) or "the scenario"
            close = difflib.get_close_matches(name, list(fields), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(fields)}"
            hint = removed(".".join([*parts[:n], name])) or hint
            raise ValueError(f"{where} has no field '{name}'; {hint}")
        annotation = fields[name].annotation
        value = getattr(value, name)
        if get_origin(annotation) is list:
            if index is None:
                raise ValueError(f"'{name}' is a list: give an index, {name}[0], or {name}[*] for every entry")
            if index != "*" and int(index) >= len(value):
                raise ValueError(f"'{name}' has {len(value)} entries in the base scenario (indices 0-{len(value) - 1})")
            annotation = get_args(annotation)[0]
            value = value[0 if index == "*" else int(index)]
        elif index is not None:
            raise ValueError(f"'{name}' is not a list")
        model = annotation
    if isinstance(model, type) and issubclass(model, BaseModel):
        raise ValueError(f"'{path}' is a section, not a value; its fields: {', '.join(model.model_fields)}")  # noqa: TRY004
    kind = "bool" if model is bool else "int" if model is int else "float" if model is float else "other"
    return model, kind


_TYPE_FITS = {"float": {"float"}, "int": {"int", "float"}, "bool": {"bool"}, "categorical": {"bool", "int", "float", "other"}}


def apply(base: dict[str, Any], paths: list[str], values: list[Any]) -> Scenario:
    """The base scenario (as a dict) with each path set to its value, validated (ValidationError if not valid).

    A numpy value (``numpy.float64``, ``numpy.int64``, ``numpy.bool_``, as a design may give) is set as its Python
    bool, int, float or str, so the strict schema takes a sweep's own values as it takes a file's.
    """
    data = copy.deepcopy(base)
    for path, value in zip(paths, values, strict=True):
        _set(data, path.split("."), value.item() if isinstance(value, np.generic) else value)
    return Scenario.model_validate(data)


def value_at(data: dict[str, Any], path: str) -> Any:
    """The value at ``path`` in a scenario dict (for ``[*]``, the first entry's)."""
    node: Any = data
    for part in path.split("."):
        name, index = _SEGMENT.match(part).groups()  # type: ignore[union-attr]
        node = node[name]
        if index is not None:
            node = node[0 if index == "*" else int(index)]
    return node


def _set(node: Any, parts: list[str], value: Any) -> None:
    name, index = _SEGMENT.match(parts[0]).groups()  # type: ignore[union-attr]
    if index is None:
        targets, key_of = [node], name
    else:
        entries = node[name]
        targets = entries if index == "*" else [entries[int(index)]]
        key_of = None
    for target in targets:
        if len(parts) == 1:
            target[key_of] = value  # a list segment is never the leaf (check_path)
        else:
            _set(target[key_of] if key_of is not None else target, parts[1:], value)


# --- reading a spec -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sweep:
    """A validated spec with its base scenario, as the runner and the analysis use it."""

    spec: SweepSpec
    base: dict[str, Any]
    """The base scenario, fully resolved (``Scenario.model_dump``)."""
    base_file: str
    arms: tuple[tuple[str, dict[str, Any]], ...] = ()
    """For a comparison under uncertainty: each scenario compared (an *arm*, the base first), by name, fully
    resolved. Every run then runs every arm with the same parameter values and seed, and keeps each arm's metrics
    as ``<arm>/<metric>``. Empty for a sweep of the base alone."""

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.spec.parameters]

    @property
    def bases(self) -> list[dict[str, Any]]:
        """The scenarios each run runs, in order: every arm's, or the base alone."""
        return [scenario for _, scenario in self.arms] or [self.base]

    @property
    def columns(self) -> list[str]:
        """The metric columns of results.csv: each metric, or with arms each arm's (``<arm>/<metric>``)."""
        if not self.arms:
            return list(self.spec.metrics)
        return [f"{arm}/{metric}" for arm, _ in self.arms for metric in self.spec.metrics]


def read_spec[M: BaseModel](path: str | Path, model: type[M], what: str) -> tuple[M, Path, Scenario]:
    """Read and validate a spec file (a sweep or a calibration) and load the base scenario it names;
    ScenarioError names the file and field. Returns the spec, the base file and the base scenario."""
    path = Path(path)
    data = read_mapping([path], what)
    data.setdefault("name", path.stem)
    try:
        spec = model.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError("\n".join(f"{path}: {line}" for line in describe_errors(exc, model))) from None
    base_file = path.parent / spec.base  # type: ignore[attr-defined]
    if "\0" in spec.base:  # type: ignore[attr-defined]
        raise ScenarioError(f"{path}: base: not a usable path (it holds a NUL byte)")
    if not base_file.is_file():
        what_is = "not a regular file" if base_file.exists() else "no such scenario file"
        raise ScenarioError(f"{path}: base: {what_is} {shown(spec.base)} "  # type: ignore[attr-defined]
                            f"(resolved to {base_file.resolve()})")
    return spec, base_file, load_scenario(base_file)


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep spec and its base scenario; raise ScenarioError naming the file and field."""
    spec, base_file, base = read_spec(path, SweepSpec, "sweep")
    return check_sweep(spec, base.model_dump(mode="json"), str(base_file), str(path))


def check_sweep(spec: SweepSpec, base: dict[str, Any], base_file: str, where: str,
                arms: tuple[tuple[str, dict[str, Any]], ...] = ()) -> Sweep:
    """Check every path against the schema and the base scenario (and each arm's), and every parameter's extreme
    values."""
    for _, scenario in arms or (("", base),):
        check_parameters(spec.parameters, scenario, where)
    return Sweep(spec, base, base_file, arms)


def check_parameters(parameters: list[Parameter], base: dict[str, Any], where: str) -> None:
    """ScenarioError listing every parameter whose path the base scenario lacks, whose type does not fit its field, or
    whose extreme values the schema refuses."""
    base_scenario = Scenario.model_validate(base)
    problems = []
    for i, p in enumerate(parameters):
        label = f"{where}: parameters[{i}].path ({p.path})"
        try:
            _, kind = check_path(p.path, base_scenario)
        except ValueError as exc:
            problems.append(f"{label}: {exc}")
            continue
        if kind not in _TYPE_FITS[p.type]:
            problems.append(f"{label}: the field holds {kind} values; type {p.type} does not fit "
                            f"(use {' or '.join(t for t, fits in _TYPE_FITS.items() if kind in fits)})")
            continue
        for value in p.extremes():
            try:
                apply(base, [p.path], [value])
            except ValidationError as exc:
                problems.append(f"{label}: the value {value!r} is not allowed: "
                                + "; ".join(describe_errors(exc)))
                break
    if problems:
        raise ScenarioError("\n".join(problems))


# --- calibration specs -----------------------------------------------------------------------


class Target(SpecSchema):
    """An observed count: ``successes`` of ``trials``, matched by a per-run metric's replicate mean."""

    metric: Literal[SHARE_METRICS] = Field(description="the per-run metric that estimates the observed share")  # type: ignore[valid-type]
    successes: int = Field(ge=0, description="observed count, e.g. 18 ES who left")
    trials: int = Field(ge=1, description="observed sample size, e.g. 40 ES")
    source: str = Field(min_length=1, description="where the figure comes from")

    @model_validator(mode="after")
    def _count(self) -> Self:
        if self.successes > self.trials:
            raise ValueError(f"successes ({self.successes}) cannot exceed trials ({self.trials})")
        return self

    @property
    def share(self) -> float:
        return self.successes / self.trials

    def interval(self) -> tuple[float, float]:
        """Exact (Clopper-Pearson) 95% interval of the observed share."""
        ci = stats.binomtest(self.successes, self.trials).proportion_ci(0.95, method="exact")
        return float(ci.low), float(ci.high)


class CalibrationSpec(SpecSchema):
    """Free parameters with uniform priors, targets, the study window, the kernel and how the ABC-SMC runs
    (analysis.smc)."""

    name: str = name_field("names the calibration's run folder")
    description: str = Field("", description="what is calibrated")
    base: str = Field(description="the scenario whose free parameters are fitted, relative to the spec file")
    window_weeks: int = Field(ge=1, le=1040, description="the study window: the base's cohort_window_weeks is set to it")
    samples: int = Field(ge=2, le=100_000, description="generation 0: prior draws (a Latin hypercube over the ranges)")
    population: int = Field(200, ge=2, le=100_000,
                            description="accepted proposals each later generation needs at least")
    batch: int | None = Field(None, ge=1, le=100_000, description=(
        "proposals per round of a later generation (default: the population); rounds go on until the population "
        "is accepted"))
    generations: int = Field(4, ge=1, le=30, description=(
        "generations in all, the prior's included; acceptance sharpens geometrically to temperature 1 in the last "
        "(1: rejection ABC)"))
    first_acceptance: float = Field(0.3, gt=0, le=1, description=(
        "the share of the prior draws generation 0 accepts (it sets the first temperature)"))
    kernel: Literal["beta-binomial", "binomial"] = Field("beta-binomial", description=(
        "the observations' error model: beta-binomial (ES clustered in sites, its intra-class correlation the "
        "model's own) or binomial (independent ES)"))
    replicates: int = Field(10, ge=1, le=1000, description="runs per proposal")
    seed: int = Field(2024, ge=0, description="seeds the proposals, every run and the acceptance draws")
    parameters: list[Parameter] = Field(min_length=1, description="free parameters, each with a range (its uniform prior)")
    targets: list[Target] = Field(min_length=1, description="observed counts to reproduce")

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        for i, p in enumerate(self.parameters):
            if p.range is None or p.type != "float":
                raise ValueError(f"parameters[{i}] ({p.path}): a free parameter is a float with a range (its prior)")
            if "[" in p.path:
                raise ValueError(f"parameters[{i}] ({p.path}): a free parameter is one scenario field, not a list entry")
        paths = [p.path for p in self.parameters]
        if len(set(paths)) != len(paths):
            raise ValueError("each path may be a free parameter once")
        metrics = [t.metric for t in self.targets]
        if len(set(metrics)) != len(metrics):
            raise ValueError("each metric may be a target once")
        return self

    @property
    def proposals_per_round(self) -> int:
        return self.batch or self.population


@dataclass(frozen=True)
class Calibration:
    """A validated calibration spec with its base scenario (its cohort window set to the spec's)."""

    spec: CalibrationSpec
    base: dict[str, Any]
    """The base scenario, fully resolved, with ``cohort_window_weeks`` set to the spec's ``window_weeks``."""
    base_file: str


def load_calibration(path: str | Path) -> Calibration:
    """Read and validate a calibration spec and its base scenario; ScenarioError names the file and field."""
    spec, base_file, base = read_spec(path, CalibrationSpec, "calibration")
    return check_calibration(spec, base.model_dump(mode="json"), str(base_file), str(path))


def check_calibration(spec: CalibrationSpec, base: dict[str, Any], base_file: str, where: str) -> Calibration:
    """Check the window against the base and every free parameter against the schema and the base (as a sweep's)."""
    if spec.window_weeks > base["weeks"]:
        raise ScenarioError(f"{where}: window_weeks ({spec.window_weeks}) exceeds the base scenario's weeks "
                            f"({base['weeks']})")
    data = {**base, "cohort_window_weeks": spec.window_weeks}
    check_parameters(spec.parameters, data, where)
    return Calibration(spec, data, base_file)
