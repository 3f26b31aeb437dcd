"""Direct unit tests of simulation.analysis.stats: every interval ipsim reports and the verdict a difference gives."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats as scipy_stats

from simulation.analysis import stats
from simulation.analysis.stats import (
    Interval,
    band,
    binomial_ci,
    mean_ci,
    mean_of_means_half,
    paired_difference,
    t_half,
    verdict,
    welch_difference,
)

KNOWN_SAMPLE = [2.1, 3.4, 1.9, 5.6, 4.2]
"""A small sample whose interval is checked against scipy.stats.t.interval."""

T_975_DF4 = 2.7764451052
"""Two-sided 95% quantile of Student's t with 4 degrees of freedom (printed t tables: 2.776)."""
T_95_DF4 = 2.1318467863
"""Two-sided 90% quantile of Student's t with 4 degrees of freedom (printed t tables: 2.132)."""


# --- t_half ------------------------------------------------------------------------------------


def test_t_half_is_the_t_quantile_times_the_standard_error() -> None:
    # sd 2 over n = 5 values: half = t(0.975, 4) * 2 / sqrt(5), with the quantile taken from a t table.
    assert float(t_half(2.0, 5)) == pytest.approx(T_975_DF4 * 2.0 / math.sqrt(5.0), rel=1e-9)


def test_t_half_uses_the_level_it_is_given() -> None:
    assert float(t_half(2.0, 5, level=0.90)) == pytest.approx(T_95_DF4 * 2.0 / math.sqrt(5.0), rel=1e-9)


def test_t_half_is_nan_where_fewer_than_two_values() -> None:
    assert math.isnan(float(t_half(1.0, 1)))
    assert math.isnan(float(t_half(1.0, 0)))


def test_t_half_works_element_by_element_on_arrays() -> None:
    half = t_half(np.array([1.0, 2.0, 3.0]), np.array([1, 5, 10]))
    assert half.shape == (3,)
    assert math.isnan(half[0])
    assert half[1] == pytest.approx(T_975_DF4 * 2.0 / math.sqrt(5.0), rel=1e-9)
    assert half[2] == pytest.approx(scipy_stats.t.ppf(0.975, 9) * 3.0 / math.sqrt(10.0), rel=1e-12)


def test_t_half_is_zero_for_zero_spread() -> None:
    assert float(t_half(0.0, 7)) == 0.0


# --- mean_ci -----------------------------------------------------------------------------------


def test_mean_ci_of_no_values_is_all_none() -> None:
    assert mean_ci([]) == {"mean": None, "ci_low": None, "ci_high": None}


def test_mean_ci_of_no_values_returns_a_fresh_mapping_each_time() -> None:
    first = mean_ci([])
    first["window_weeks"] = 104  # callers (metrics._summary) add keys to the mapping they get
    assert stats.NONE == {"mean": None, "ci_low": None, "ci_high": None}
    assert mean_ci([]) == {"mean": None, "ci_low": None, "ci_high": None}


def test_mean_ci_of_one_value_has_a_mean_but_no_interval() -> None:
    assert mean_ci([3.5]) == {"mean": 3.5, "ci_low": None, "ci_high": None}


def test_mean_ci_of_equal_values_has_zero_width() -> None:
    assert mean_ci([0.25, 0.25, 0.25, 0.25]) == {"mean": 0.25, "ci_low": 0.25, "ci_high": 0.25}


def test_mean_ci_leaves_out_none_nan_and_infinite_values() -> None:
    assert mean_ci([1.0, None, float("nan"), 3.0, float("inf"), float("-inf")]) == mean_ci([1.0, 3.0])


def test_mean_ci_of_only_undefined_values_is_all_none() -> None:
    assert mean_ci([None, float("nan"), float("inf")]) == {"mean": None, "ci_low": None, "ci_high": None}


def test_mean_ci_matches_scipy_t_interval_on_a_known_sample() -> None:
    x = np.array(KNOWN_SAMPLE)
    low, high = scipy_stats.t.interval(0.95, df=x.size - 1, loc=x.mean(), scale=scipy_stats.sem(x))
    ci = mean_ci(KNOWN_SAMPLE)
    assert ci["mean"] == pytest.approx(3.44, abs=1e-12)
    assert ci["ci_low"] == pytest.approx(low, rel=1e-12)
    assert ci["ci_high"] == pytest.approx(high, rel=1e-12)


def test_mean_ci_is_symmetric_around_the_mean() -> None:
    ci = mean_ci(KNOWN_SAMPLE)
    assert ci["mean"] - ci["ci_low"] == pytest.approx(ci["ci_high"] - ci["mean"], rel=1e-12)


def test_mean_ci_returns_plain_floats_for_json() -> None:
    ci = mean_ci(np.array(KNOWN_SAMPLE))
    assert all(type(v) is float for v in ci.values())


def test_mean_ci_covers_the_true_mean_in_95_percent_of_normal_samples() -> None:
    # For normal data the t interval is exact: coverage is 0.95 in expectation. Over 2000 independent samples the
    # observed coverage is binomial with sd sqrt(0.95 * 0.05 / 2000) = 0.49%, so +-3 sd gives 95% +- 1.46%, i.e.
    # [93.54%, 96.46%]; 93.5%-96.5% is that bound rounded outwards. A correct interval fails it with probability
    # about 0.3% for a random seed, and never with this fixed seed. A normal quantile (1.96) in place of t(0.975, 9)
    # would cover only 91.8% at n = 10 and fail the bound.
    rng = np.random.default_rng(20240611)
    true_mean, sd, n, samples = 3.0, 2.0, 10, 2000
    draws = rng.normal(true_mean, sd, size=(samples, n))
    covered = 0
    for row in draws:
        ci = mean_ci(row.tolist())
        covered += ci["ci_low"] <= true_mean <= ci["ci_high"]
    assert 0.935 <= covered / samples <= 0.965


# --- paired_difference -------------------------------------------------------------------------


def test_paired_difference_leaves_out_pairs_with_none_on_either_side() -> None:
    reference = [1.0, None, 3.0, 4.0, 2.0]
    other = [2.0, 5.0, None, 7.0, 2.5]
    # Kept pairs: (1, 2), (4, 7), (2, 2.5) -> differences 1, 3, 0.5.
    assert paired_difference(reference, other) == mean_ci([1.0, 3.0, 0.5])


def test_paired_difference_is_other_minus_reference() -> None:
    diff = paired_difference([1.0, 2.0, 3.0], [3.0, 5.0, 4.0])
    assert diff["mean"] == pytest.approx(2.0)
    assert paired_difference([3.0, 5.0, 4.0], [1.0, 2.0, 3.0])["mean"] == pytest.approx(-2.0)


def test_paired_difference_equals_mean_ci_of_the_differences() -> None:
    rng = np.random.default_rng(7)
    reference = rng.normal(0.3, 0.1, 12).tolist()
    other = (np.array(reference) + rng.normal(0.05, 0.02, 12)).tolist()
    assert paired_difference(reference, other) == mean_ci([b - a for a, b in zip(reference, other, strict=True)])


def test_paired_difference_of_identical_replicates_is_zero_width_at_zero() -> None:
    assert paired_difference([0.1, 0.2, 0.3], [0.1, 0.2, 0.3]) == {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0}


def test_paired_difference_raises_when_the_lengths_differ() -> None:
    with pytest.raises(ValueError, match=r"shorter|longer"):
        paired_difference([1.0, 2.0, 3.0], [1.0, 2.0])


# --- welch_difference --------------------------------------------------------------------------


def test_welch_difference_matches_a_hand_computed_welch_interval() -> None:
    a = [4.0, 5.0, 6.0, 7.0]
    b = [1.0, 2.0, 4.0, 6.0, 9.0, 2.0]
    # By hand: means 5.5 and 4; variances 5/3 and 46/5 = 9.2; v = var/n = 5/12 and 9.2/6.
    va, vb = (5.0 / 3.0) / 4, 9.2 / 6
    df = (va + vb) ** 2 / (va**2 / 3 + vb**2 / 5)  # Welch-Satterthwaite
    half = scipy_stats.t.ppf(0.975, df) * math.sqrt(va + vb)
    diff = welch_difference(a, b)
    assert diff["mean"] == pytest.approx(1.5)
    assert diff["ci_low"] == pytest.approx(1.5 - half, rel=1e-10)
    assert diff["ci_high"] == pytest.approx(1.5 + half, rel=1e-10)


def test_welch_difference_matches_scipy_ttest_ind_confidence_interval() -> None:
    a = [4.0, 5.0, 6.0, 7.0]
    b = [1.0, 2.0, 4.0, 6.0, 9.0, 2.0]
    ci = scipy_stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    diff = welch_difference(a, b)
    assert (diff["ci_low"], diff["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-12)


def test_welch_difference_is_a_minus_b() -> None:
    a, b = [1.0, 2.0, 3.0], [10.0, 11.0, 13.0]
    forward, backward = welch_difference(a, b), welch_difference(b, a)
    assert forward["mean"] == pytest.approx(2.0 - 34.0 / 3.0)
    assert forward["ci_high"] < 0 < backward["ci_low"]
    assert backward["ci_low"] == pytest.approx(-forward["ci_high"])
    assert backward["ci_high"] == pytest.approx(-forward["ci_low"])


def test_welch_difference_returns_plain_floats() -> None:
    assert all(type(v) is float for v in welch_difference([1.0, 2.0, 4.0], [2.0, 3.0, 7.0]).values())


# --- binomial_ci -------------------------------------------------------------------------------


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The reference definition: beta quantiles (Clopper & Pearson 1934)."""
    alpha = 1.0 - level
    low = 0.0 if k == 0 else scipy_stats.beta.ppf(alpha / 2, k, n - k + 1)
    high = 1.0 if k == n else scipy_stats.beta.ppf(1 - alpha / 2, k + 1, n - k)
    return float(low), float(high)


def test_binomial_ci_of_18_of_40_is_clopper_pearson() -> None:
    # 18 of 40 ES left within the window [B22a], the calibration target.
    low, high = binomial_ci(18, 40)
    ref_low, ref_high = clopper_pearson(18, 40)
    assert low == pytest.approx(ref_low, abs=1e-4)
    assert high == pytest.approx(ref_high, abs=1e-4)
    assert (low, high) == pytest.approx((0.2926, 0.6151), abs=1e-4)  # the beta quantiles, rounded


def test_binomial_ci_of_none_of_n_starts_at_zero() -> None:
    low, high = binomial_ci(0, 10)
    assert low == 0.0
    # Exact upper limit with no successes: 1 - (alpha/2)^(1/n).
    assert high == pytest.approx(1 - 0.025 ** (1 / 10), abs=1e-10)


def test_binomial_ci_of_all_of_n_ends_at_one() -> None:
    low, high = binomial_ci(10, 10)
    assert high == 1.0
    assert low == pytest.approx(0.025 ** (1 / 10), abs=1e-10)


def test_binomial_ci_contains_the_observed_share() -> None:
    for k in range(11):
        low, high = binomial_ci(k, 10)
        assert low <= k / 10 <= high


# --- band --------------------------------------------------------------------------------------


@pytest.fixture
def replicate_rows() -> np.ndarray:
    """Four replicates (rows) of three weeks (columns); the last column is equal in every replicate."""
    return np.array([
        [1.0, 10.0, 5.0],
        [2.0, 14.0, 5.0],
        [4.0, 11.0, 5.0],
        [3.0, 13.0, 5.0],
    ])


def test_band_is_the_mean_across_rows_column_by_column(replicate_rows: np.ndarray) -> None:
    mean, _, _ = band(replicate_rows)
    np.testing.assert_allclose(mean, [2.5, 12.0, 5.0])


def test_band_matches_mean_ci_column_by_column(replicate_rows: np.ndarray) -> None:
    mean, low, high = band(replicate_rows)
    for j in range(replicate_rows.shape[1]):
        ci = mean_ci(replicate_rows[:, j].tolist())
        assert (mean[j], low[j], high[j]) == pytest.approx((ci["mean"], ci["ci_low"], ci["ci_high"]), rel=1e-12)


def test_band_of_a_constant_column_has_zero_width(replicate_rows: np.ndarray) -> None:
    _, low, high = band(replicate_rows)
    assert low[2] == high[2] == 5.0


def test_band_of_one_row_collapses_onto_the_mean() -> None:
    mean, low, high = band(np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_array_equal(mean, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(low, mean)
    np.testing.assert_array_equal(high, mean)


# --- mean_of_means_half ------------------------------------------------------------------------


def test_mean_of_means_half_is_nan_if_a_point_has_fewer_than_two_values() -> None:
    assert math.isnan(mean_of_means_half(np.array([0.1, 0.2, 0.3]), np.array([5, 1, 5])))


def test_mean_of_means_half_is_zero_without_spread() -> None:
    assert mean_of_means_half(np.zeros(3), np.array([4, 5, 6])) == 0.0


def test_mean_of_means_half_for_equal_n_and_sd_is_the_pooled_t_interval() -> None:
    # k = 3 points, each the mean of n = 5 replicates with sd s = 2. By hand:
    #   Var(mean of the k means) = sum(s^2 / n) / k^2 = s^2 / (k n): the standard error is s / sqrt(k n) = 2/sqrt(15);
    #   Welch-Satterthwaite: v_i = s^2/n for all i, df = (k v)^2 / (k v^2 / (n - 1)) = k (n - 1) = 12,
    #   i.e. the pooled-variance t interval of the grand mean of the k n = 15 values.
    half = mean_of_means_half(np.array([2.0, 2.0, 2.0]), np.array([5, 5, 5]))
    expected = scipy_stats.t.ppf(0.975, 12) * 2.0 / math.sqrt(15.0)
    assert half == pytest.approx(expected, rel=1e-12)
    assert half == pytest.approx(2.1788128 * 2.0 / math.sqrt(15.0), rel=1e-6)  # t(0.975, 12) from a table: 2.179


def test_mean_of_means_half_of_one_point_is_its_own_t_half() -> None:
    # One point: the mean of means is that point's mean, df = n - 1, so the half-width is t_half(sd, n).
    assert mean_of_means_half(np.array([1.5]), np.array([8])) == pytest.approx(float(t_half(1.5, 8)), rel=1e-12)


# --- verdict -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("diff", "expected"),
    [
        ({"mean": -0.2, "ci_low": -0.3, "ci_high": -0.1}, "negative"),
        ({"mean": 0.2, "ci_low": 0.1, "ci_high": 0.3}, "positive"),
        ({"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0}, "same"),
        ({"mean": 0.2, "ci_low": None, "ci_high": None}, "single"),
        ({"mean": None, "ci_low": None, "ci_high": None}, "single"),
        ({"mean": 0.05, "ci_low": -0.1, "ci_high": 0.2}, "unclear"),
        ({"mean": 0.05, "ci_low": 0.0, "ci_high": 0.1}, "unclear"),  # touching zero does not exclude it
    ],
    ids=["negative", "positive", "same", "single", "no-values", "unclear", "touches-zero"],
)
def test_verdict_names_what_the_interval_says(diff: Interval, expected: str) -> None:
    assert verdict(diff) == expected


def test_verdict_of_paired_differences_gives_each_outcome() -> None:
    reference = [1.0, 2.0, 3.0]
    assert verdict(paired_difference(reference, [0.5, 1.4, 2.6])) == "negative"
    assert verdict(paired_difference(reference, [1.5, 2.6, 3.4])) == "positive"
    assert verdict(paired_difference(reference, reference)) == "same"
    assert verdict(paired_difference(reference, [2.0, None, None])) == "single"
    assert verdict(paired_difference(reference, [1.5, 1.5, 3.5])) == "unclear"


def test_verdict_of_an_equal_nonzero_shift_is_its_sign_not_same() -> None:
    assert verdict(paired_difference([1.0, 2.0], [1.5, 2.5])) == "positive"


# --- t_quantile: scipy.stats.t.ppf without importing scipy.stats -------------------------------------------------


@pytest.mark.parametrize("p", [0.5 + stats.LEVEL / 2, 0.95, 0.995, 0.5, 0.025])
def test_t_quantile_is_scipys_t_ppf_bit_for_bit(p: float) -> None:
    rng = np.random.default_rng(7)
    df = np.concatenate([np.arange(1, 1001), rng.uniform(0.05, 50, 2000), [1e6, 1e12, np.inf]])
    np.testing.assert_array_equal(stats.t_quantile(p, df), scipy_stats.t.ppf(p, df))
    for one in (1, 4, 2.5, 99):  # a scalar in, a scalar out, as scipy
        assert stats.t_quantile(p, one) == scipy_stats.t.ppf(p, one)
        assert np.ndim(stats.t_quantile(p, one)) == 0


def test_t_quantile_is_nan_where_the_degrees_of_freedom_are_not_positive() -> None:
    df = np.array([0.0, -1.0, np.nan, 3.0])
    np.testing.assert_array_equal(stats.t_quantile(0.975, df), scipy_stats.t.ppf(0.975, df))
    assert np.isnan(stats.t_quantile(0.975, df)[:3]).all()


def test_t_half_and_mean_of_means_half_are_unchanged_from_scipy() -> None:
    rng = np.random.default_rng(11)
    sd, n = rng.uniform(0, 3, 500), rng.integers(0, 200, 500)
    safe = np.where(n > 1, n, 2.0)
    expected = np.where(n > 1, scipy_stats.t.ppf(0.975, safe - 1) * sd / np.sqrt(safe), np.nan)
    np.testing.assert_array_equal(t_half(sd, n), expected)
    sds, ns = rng.uniform(0.1, 2, 7), rng.integers(2, 30, 7).astype(float)
    v = sds**2 / ns
    df = v.sum() ** 2 / np.sum(v**2 / (ns - 1))
    assert mean_of_means_half(sds, ns) == float(scipy_stats.t.ppf(0.975, df) * np.sqrt(v.sum()) / len(ns))


# --- kaplan_meier: scipy.stats.ecdf of right-censored data, bit for bit ------------------------------------------


def scipy_kaplan_meier(events: list[float], censored: list[float]) -> object:
    return scipy_stats.ecdf(scipy_stats.CensoredData(uncensored=events, right=censored)).sf


def assert_same_as_scipy(events: list[float], censored: list[float]) -> None:
    """Same quantiles, estimate, values on a grid and Greenwood band (NaN where undefined) as scipy.stats.ecdf."""
    ours, theirs = stats.kaplan_meier(events, censored), scipy_kaplan_meier(events, censored)
    np.testing.assert_array_equal(ours.quantiles, theirs.quantiles)
    np.testing.assert_array_equal(ours.probabilities, theirs.probabilities)
    grid = np.concatenate([np.arange(-2, 2 + max([0, *events, *censored])), [0.5, 7.25, -np.inf, np.inf]])
    np.testing.assert_array_equal(ours.evaluate(grid), theirs.evaluate(grid))
    for week in (0, 3, 52):
        assert float(ours.evaluate(week)) == float(theirs.evaluate(week))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy warns where the band is undefined; ours does not
        band = theirs.confidence_interval(0.95)
    low, high = ours.confidence_interval(0.95)
    for mine, scipys in ((low, band.low), (high, band.high)):
        np.testing.assert_array_equal(mine.quantiles, scipys.quantiles)
        np.testing.assert_array_equal(mine.probabilities, scipys.probabilities)  # NaN where scipy has NaN


@pytest.mark.parametrize(("events", "censored"), [
    ([10, 30, 30, 50, 25], [20, 40]),  # the hand-worked example of test_metrics, ties included
    ([], [5, 10, 10, 52]),  # all censored: the curve stays at 1
    ([3, 3, 8, 12, 12, 12, 40], []),  # all events, ties: scipy's own formula for uncensored data
    ([7], []),  # a single spell that ends
    ([], [7]),  # a single spell still open
    ([0, 0, 4], [0]),  # events and a censored spell at tenure 0
    ([10, 20], [10]),  # a spell censored at an event time is still at risk then
    ([5, 9], [1, 2, 3]),  # everyone at risk at the end has the event: the band is undefined there
    ([], []),  # no spells
], ids=["example", "all-censored", "all-events", "one-event", "one-censored", "zero-tenure", "censored-at-event",
        "last-all-quit", "empty"])
def test_kaplan_meier_is_scipys_ecdf_on_edge_cases(events: list[float], censored: list[float]) -> None:
    assert_same_as_scipy(events, censored)


def test_kaplan_meier_is_scipys_ecdf_on_many_random_samples() -> None:
    rng = np.random.default_rng(2026)
    for _ in range(400):
        n_events, n_censored = rng.integers(0, 60), rng.integers(0, 60)
        high = int(rng.integers(1, 200))  # few distinct weeks: many ties
        events = rng.integers(0, high, n_events).tolist()
        censored = rng.integers(0, high, n_censored).tolist()
        assert_same_as_scipy(events, censored)


def test_kaplan_meier_band_is_undefined_only_where_the_estimate_falls_to_zero() -> None:
    low, high = stats.kaplan_meier([5, 9], [1, 2, 3]).confidence_interval()
    np.testing.assert_array_equal(np.isnan(low.probabilities), [False, False, False, False, True])
    np.testing.assert_array_equal(np.isnan(high.probabilities), np.isnan(low.probabilities))
