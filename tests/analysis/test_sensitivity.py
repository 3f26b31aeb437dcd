"""Sensitivity analysis on synthetic sweep folders whose answer is known analytically (the model is not run).

Each folder is made by the runner as for a real sweep; its results.csv is then written from a known
function of the design's unit coordinates u (each parameter's value is an increasing function of
its u), so the indices SALib and SciPy estimate can be checked against exact values.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulation.analysis import sensitivity
from simulation.core.scenario import Scenario
from simulation.execution import designs, seeds, sweeps
from simulation.inputs import specs
from simulation.present.charts import sweep as sweep_charts
from simulation.studies import sweep as sweep_study

RANGES = {"staff.quit_threshold.mean": [1.0, 2.0], "strain.recovery_rate": [0.01, 0.1], "shocks.strain_jump": [0.1, 1.0]}
PATHS = list(RANGES)
LEAD = "start_up_plan.implementation_lead.enabled"

Cells = Callable[[int, int, np.ndarray | None, list[Any]], dict[str, float | None]]
"""(sample id, replicate, unit coordinates, values) -> each metric's value for that run (None: empty cell)."""


@pytest.fixture(scope="module")
def base(baseline: Scenario) -> dict[str, Any]:
    """The bundled baseline as a sweep's base scenario (a JSON mapping)."""
    return baseline.model_dump(mode="json")


def make_folder(tmp_path: Path, base: dict[str, Any], fields: dict[str, Any], cells: Cells,
                replicates: int = 2) -> Path:
    """A complete sweep folder for ``fields`` (design, samples, metrics, ...) whose results come from ``cells``."""
    spec = specs.SweepSpec.model_validate({
        "name": "synthetic", "base": "base.yaml", "replicates": replicates, "seed": 3,
        "parameters": [{"path": p, "range": r} for p, r in RANGES.items()], **fields})
    plan = sweeps.Plan(specs.check_sweep(spec, base, "base.yaml", "spec.yaml"), designs.design(spec), 50)
    folder = sweeps.create(tmp_path, plan, "spec.yaml", ["test"])
    with (folder / sweeps.RESULTS).open("w", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(sweeps.results_columns(plan.sweep))
        for sample, values in enumerate(plan.points.values):
            unit = None if plan.points.unit is None else plan.points.unit[sample]
            for replicate in range(replicates):
                found = cells(sample, replicate, unit, values)
                failed = all(v is None for v in found.values())
                out.writerow([sample, replicate, seeds.run_seed(spec.seed, sample, replicate),
                              *(sweeps.text(v) for v in values), *(sweeps.text(found[m]) for m in spec.metrics),
                              "failed" if failed else "ok"])
    sweeps.Status("complete", plan.runs, plan.runs, 0).write(folder)
    return folder


@pytest.fixture
def few_delta_resamples(monkeypatch: pytest.MonkeyPatch) -> None:
    """20 bootstrap resamples for delta instead of 100: its bootstrap is most of an lhs analysis's time (and far
    more on a busy machine, where OpenBLAS's threads wait for cores), while what these tests check (which parameter
    comes first, that the CI holds the estimate, that the analysis repeats) does not depend on their number."""
    monkeypatch.setattr(sensitivity, "DELTA_RESAMPLES", 20)


def index(analysis: sensitivity.Analysis, metric: str, name: str) -> dict[str, dict[str, Any]]:
    return {r["parameter"]: r for r in analysis.rows if r["metric"] == metric and r["index"] == name}


def test_sample_means_stream_per_point_statistics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Means and standard deviations over replicates leave out empty cells (failed runs, undefined metrics),
    a point's runs need not be adjacent, and only a bounded subset of runs is kept for drawing."""
    path = tmp_path / "results.csv"
    path.write_text("sample_id,replicate,seed,x,a,b,status\n"
                    "0,0,1,0.5,1,,ok\n0,1,2,0.5,3,,ok\n0,2,3,0.5,,,failed\n"
                    "1,0,4,0.7,2,0.5,ok\n1,1,5,0.7,2,,ok\n1,2,6,0.7,5,,ok\n0,3,7,0.5,5,,ok\n")
    monkeypatch.setattr(sensitivity, "MAX_SHOWN_RUNS", 4)  # 2 points: the first 2 replicates of each
    means, replicates = sensitivity.sample_means(path, ["a", "b"], 2)
    np.testing.assert_allclose(means, [[3.0, np.nan], [3.0, 0.5]])
    np.testing.assert_array_equal(replicates.count, [[3, 0], [3, 1]])
    np.testing.assert_allclose(replicates.sd, [[2.0, np.nan], [math.sqrt(3), np.nan]])
    ids, values = replicates.shown["a"]
    assert ids.tolist() == [0, 0, 1, 1] and values.tolist() == [1, 3, 2, 2]


def linear(unit: np.ndarray) -> float:
    return 4 * unit[0] + 2 * unit[1]


def test_sobol_indices_of_a_linear_function(tmp_path: Path, base: dict[str, Any]) -> None:
    """Y = 4 u1 + 2 u2 + 0 u3 on independent uniform inputs: Var = (16 + 4) / 12, so S1 = ST = 16/20, 4/20, 0,
    and every S2 is 0 (the function is additive).

    Two replicates differ by +-0.3, which cancels in each point's mean, and a third fails, which the mean
    leaves out, so the indices are those of the function. With N = 256 Saltelli base samples on Sobol'
    points the estimates land within about 0.01 of the exact values; their bootstrap CIs (which assume
    random, not quasi-random, sampling) are about +-0.1 wide. The tolerance 0.05 leaves room for the
    estimator while a wrong wiring (parameters swapped, values instead of unit coordinates, the wrong
    number of points per sample) misses by far; the exact value must also lie inside each reported CI.
    """
    def cells(sample: int, replicate: int, unit: np.ndarray | None, values: list[Any]) -> dict[str, float | None]:
        if replicate == 2:
            return {"annual_turnover": None, "retention_12m": None, "shock_share": None}  # a failed run
        y = linear(unit)
        return {"annual_turnover": y + (0.3 if replicate else -0.3),
                "retention_12m": None if sample == 5 else y,  # one point without a value: no Sobol indices
                "shock_share": None}  # undefined in every run

    folder = make_folder(tmp_path, base, {"design": "sobol", "samples": 256, "second_order": True,
                                       "metrics": ["annual_turnover", "retention_12m", "shock_share"]}, cells, 3)
    done = sweep_study.analyze(folder)
    analysis = done.analysis
    for name in ("S1", "ST"):
        found = index(analysis, "annual_turnover", name)
        for path, exact in zip(PATHS, (0.8, 0.2, 0.0), strict=True):
            assert found[path]["value"] == pytest.approx(exact, abs=0.05), (name, path)
            assert found[path]["ci_low"] <= exact <= found[path]["ci_high"], (name, path)
    pairs = index(analysis, "annual_turnover", "S2")
    assert sorted(pairs) == sorted(f"{a}|{b}" for i, a in enumerate(PATHS) for b in PATHS[i + 1:])
    assert all(abs(r["value"]) < 0.05 for r in pairs.values())
    assert set(analysis.skipped) == {"retention_12m", "shock_share"}
    assert {r["metric"] for r in analysis.rows} == {"annual_turnover"}
    report = done.text
    assert re.search(rf"annual_turnover:\n    {re.escape(PATHS[0])} +0\.8", report)
    assert "retention_12m: no indices: 1 of 2048 design points have no value" in report
    assert "shock_share: no indices: no run gave a value" in report
    assert {p.name for p in done.charts} == {"sobol_annual_turnover.png", "response_annual_turnover.png",
                                                 "response_retention_12m.png"}
    assert all(p.stat().st_size > 10_000 for p in done.charts)


def test_morris_effects(tmp_path: Path, base: dict[str, Any]) -> None:
    """For Y = 4 u1 + 2 u2 every elementary effect of u_i is its coefficient exactly (SALib divides by the
    step in unit coordinates), so mu* = mu = 4, 2, 0 and sigma = 0 whatever the trajectories; values are
    stored to 10 significant digits, hence the 1e-6 tolerance. For Y = 4 u1 u2 the effect of u1 is 4 u2,
    which varies between trajectories (sigma > 0), and u3 still has none."""
    def cells(sample: int, replicate: int, unit: np.ndarray | None, values: list[Any]) -> dict[str, float | None]:
        return {"job_starts_per_es_year": linear(unit), "vacancy_weeks_per_position_year": 4 * unit[0] * unit[1]}

    folder = make_folder(tmp_path, base, {"design": "morris", "samples": 10,
                                       "metrics": ["job_starts_per_es_year", "vacancy_weeks_per_position_year"]}, cells)
    done = sweep_study.analyze(folder)
    analysis = done.analysis
    mu_star, mu = index(analysis, "job_starts_per_es_year", "mu_star"), index(analysis, "job_starts_per_es_year", "mu")
    sigma = index(analysis, "job_starts_per_es_year", "sigma")
    for path, exact in zip(PATHS, (4.0, 2.0, 0.0), strict=True):
        assert mu_star[path]["value"] == pytest.approx(exact, abs=1e-6)
        assert mu[path]["value"] == pytest.approx(exact, abs=1e-6)
        assert sigma[path]["value"] == pytest.approx(0.0, abs=1e-6)
        assert mu[path]["ci_low"] is None and mu_star[path]["ci_low"] == pytest.approx(exact, abs=1e-6)
    sigma = index(analysis, "vacancy_weeks_per_position_year", "sigma")
    assert sigma[PATHS[0]]["value"] > 0.5 and sigma[PATHS[1]]["value"] > 0.5 and sigma[PATHS[2]]["value"] < 1e-6
    assert {p.name for p in done.charts} >= {"morris_job_starts_per_es_year.png",
                                                 "morris_vacancy_weeks_per_position_year.png"}


def test_spearman_screening_of_an_lhs(tmp_path: Path, base: dict[str, Any], few_delta_resamples: None) -> None:
    """Y = exp(3 u1) is strictly increasing in u1 alone, so its rank correlation with u1 is exactly 1
    (and with the parameter's value, an increasing function of u1). The unused inputs' correlations are
    sampling noise, about N(0, 1/63) with 64 points, so |rho| < 0.4 (over 3 standard errors); their
    Fisher-z 95% CI is tanh(atanh(rho) +- 1.96 sqrt((1 + rho^2/2) / 61)), about +-0.25 near 0."""
    def cells(sample: int, replicate: int, unit: np.ndarray | None, values: list[Any]) -> dict[str, float | None]:
        return {"annual_turnover": float(np.exp(3 * unit[0])), "shock_share": None}

    folder = make_folder(tmp_path, base, {"design": "lhs", "samples": 64,
                                       "metrics": ["annual_turnover", "shock_share"]}, cells)
    done = sweep_study.analyze(folder)
    analysis = done.analysis
    rho = index(analysis, "annual_turnover", "spearman")
    assert rho[PATHS[0]]["value"] == pytest.approx(1.0)
    for path in PATHS[1:]:
        r = rho[path]
        assert abs(r["value"]) < 0.4
        half = 1.959964 * math.sqrt((1 + r["value"] ** 2 / 2) / 61)
        assert r["ci_low"] == pytest.approx(math.tanh(math.atanh(r["value"]) - half))
        assert r["ci_high"] == pytest.approx(math.tanh(math.atanh(r["value"]) + half))
    assert "shock_share: no indices: no run gave a value" in done.text
    with (folder / "sensitivity.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["metric", "parameter", "index", "value", "ci_low", "ci_high"]
    assert [(r["metric"], r["parameter"], r["index"]) for r in rows] == [
        ("annual_turnover", p, i) for p in sorted(PATHS) for i in sorted(sensitivity.GIVEN_DATA_INDICES + ("spearman",))]


def test_given_data_indices_of_an_lhs_find_the_driving_parameter(tmp_path: Path, base: dict[str, Any],
                                                                 few_delta_resamples: None) -> None:
    """Y = exp(3 u1) + 0.1 u2 + noise (sd 0.1) on a 64-point LHS: u1 drives Y, u2 barely moves it, u3 not at all.
    SALib's delta, PAWN and RBD-FAST must put u1 far above u3. For u1: S1 = Var E(Y|u1) / Var Y is near 1 (over
    0.7); PAWN's median KS statistic over 5 slides of a monotone driver is about 0.6 (a middle slide's outputs fill
    a fifth of the whole distribution's range: KS 1 - 0.4), so over 0.5; delta is half the L1 distance between the
    conditional and the whole density, about 0.6 here, so over 0.5. For u3 each index is sampling noise: S1 and
    delta under 0.3 (delta's kernel estimate is biased up at 64 points, about 0.2 for an input that does nothing),
    the median KS under 0.42, the 5% critical value of a slide of 13 points against 64. The analysis is repeatable
    (seeded by the spec's seed)."""
    noise = np.random.default_rng(11).normal(0.0, 0.1, 64)

    def cells(sample: int, replicate: int, unit: np.ndarray | None, values: list[Any]) -> dict[str, float | None]:
        return {"annual_turnover": float(np.exp(3 * unit[0]) + 0.1 * unit[1] + noise[sample])}

    folder = make_folder(tmp_path, base, {"design": "lhs", "samples": 64, "metrics": ["annual_turnover"]}, cells)
    analysis = sensitivity.analyze(folder)
    for name, driver, unused in (("delta", 0.5, 0.3), ("delta_S1", 0.7, 0.3), ("pawn_median", 0.5, 0.42),
                                 ("rbd_fast_S1", 0.7, 0.3)):
        found = index(analysis, "annual_turnover", name)
        assert set(found) == set(PATHS), name
        assert found[PATHS[0]]["value"] > driver and found[PATHS[2]]["value"] < unused, (name, found)
        if name != "pawn_median":  # SALib's PAWN gives no CI
            assert found[PATHS[0]]["ci_low"] < found[PATHS[0]]["value"] < found[PATHS[0]]["ci_high"], name
    assert sensitivity.analyze(folder).rows == analysis.rows


def test_given_data_indices_need_20_points_and_say_so(tmp_path: Path, base: dict[str, Any]) -> None:
    folder = make_folder(tmp_path, base, {"design": "lhs", "samples": 12, "metrics": ["annual_turnover"]},
                         lambda sample, replicate, unit, values: {"annual_turnover": float(unit[0])})
    analysis = sensitivity.analyze(folder)
    assert {r["index"] for r in analysis.rows} == {"spearman"}
    assert analysis.notes == ["annual_turnover: no delta, PAWN or RBD-FAST: they need at least 20 design points with "
                              "a value, not 12"]


def test_a_two_parameter_grid_gets_a_heatmap_and_response_curves(tmp_path: Path, base: dict[str, Any],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A 3 x 2 grid (a float and a bool parameter) with two replicates: one heatmap and one response chart per
    metric; turnover falls with the threshold (rank correlation negative), job starts do not move with it (0);
    the analysis is repeatable byte for byte."""
    spec = specs.SweepSpec.model_validate({
        "name": "grid", "base": "base.yaml", "design": "grid", "replicates": 2,
        "metrics": ["annual_turnover", "job_starts_per_es_year"],
        "parameters": [{"path": PATHS[0], "levels": [1.0, 1.5, 2.0]}, {"path": LEAD, "type": "bool"}]})
    plan = sweeps.Plan(specs.check_sweep(spec, base, "base.yaml", "spec.yaml"), designs.design(spec), 4)
    folder = sweeps.create(tmp_path, plan, "spec.yaml", ["test"])
    with (folder / sweeps.RESULTS).open("w", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(sweeps.results_columns(plan.sweep))
        for sample, (threshold, lead) in enumerate(plan.points.values):
            for replicate in range(2):
                turnover = 0.5 - 0.15 * threshold - 0.05 * lead + 0.01 * replicate
                out.writerow([sample, replicate, 0, sweeps.text(threshold), sweeps.text(lead), sweeps.text(turnover),
                              3 + lead, "ok"])
    sweeps.Status("complete", plan.runs, plan.runs, 0).write(folder)
    done = sweep_study.analyze(folder)
    analysis = done.analysis
    first = (folder / "sensitivity.csv").read_bytes()
    for metric in spec.metrics:
        for kind in ("heatmap", "response"):
            assert (folder / "charts" / f"{kind}_{metric}.png").stat().st_size > 10_000
    assert index(analysis, "annual_turnover", "spearman")[PATHS[0]]["value"] < -0.8
    assert index(analysis, "job_starts_per_es_year", "spearman")[PATHS[0]]["value"] == pytest.approx(0.0, abs=1e-12)
    monkeypatch.setattr(sweep_charts, "sensitivity_charts", lambda *args: [])  # drawn once is enough
    sweep_study.analyze(folder)
    assert (folder / "sensitivity.csv").read_bytes() == first


def test_only_a_complete_sweep_folder_can_be_analysed(tmp_path: Path, base: dict[str, Any]) -> None:
    folder = make_folder(tmp_path, base, {"design": "lhs", "samples": 4, "metrics": ["annual_turnover"]},
                            lambda sample, replicate, unit, values: {"annual_turnover": float(unit[0])})
    sweeps.Status("interrupted", 8, 3, 0).write(folder)
    with pytest.raises(sweeps.SweepError, match=r"is not complete \(3 of 8 runs, interrupted\); finish it with: "
                                                r"ipsim sweep --resume "):
        sweep_study.analyze(folder)
    with pytest.raises(sweeps.SweepError, match="not a sweep folder"):
        sweep_study.analyze(tmp_path)


def test_one_morris_trajectory_has_no_sigma_and_says_so(tmp_path: Path, base: dict[str, Any]) -> None:
    """A single trajectory gives each parameter one elementary effect: mu* is that effect, sigma (a standard
    deviation over trajectories) is undefined, so it gets no row and the report says why."""
    folder = make_folder(tmp_path, base, {"design": "morris", "samples": 1, "metrics": ["job_starts_per_es_year"]},
                         lambda sample, replicate, unit, values: {"job_starts_per_es_year": linear(unit)})
    done = sweep_study.analyze(folder)
    analysis = done.analysis
    assert index(analysis, "job_starts_per_es_year", "mu_star")[PATHS[0]]["value"] == pytest.approx(4.0, abs=1e-6)
    assert not index(analysis, "job_starts_per_es_year", "sigma")
    assert "job_starts_per_es_year: SALib could not estimate sigma for 3 parameters" in done.text
    assert (folder / "charts" / "morris_job_starts_per_es_year.png").stat().st_size > 10_000

