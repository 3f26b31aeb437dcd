"""The arithmetic of a comparison under uncertainty (simulation.analysis.uncertainty): the mixture interval, its
collapse to the Monte Carlo interval, its coverage on a toy model with a known parameter variance, rank shares and
the draws."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.analysis import uncertainty as ua
from simulation.analysis.stats import paired_difference
from simulation.core.params import Prior


def test_with_every_draw_the_same_the_interval_is_the_paired_t_interval() -> None:
    """Collapsed priors: every draw is the plain comparison, so the mixture is one t distribution."""
    rng = np.random.default_rng(5)
    reference, other = rng.normal(0.3, 0.05, 12), rng.normal(0.25, 0.05, 12)
    differences = list(other - reference)
    mc = paired_difference(list(reference), list(other))
    ui = ua.interval(ua.mixture([differences] * 40))
    assert ui["mean"] == pytest.approx(mc["mean"], rel=1e-12)
    assert ui["ci_low"] == pytest.approx(mc["ci_low"], rel=1e-9)
    assert ui["ci_high"] == pytest.approx(mc["ci_high"], rel=1e-9)


def test_the_interval_is_clipped_as_the_monte_carlo_interval_is() -> None:
    ui = ua.interval(ua.mixture([[0.9, 0.1, 0.95]] * 3), bounds=(0.0, 1.0))
    mc = paired_difference([0.0] * 3, [0.9, 0.1, 0.95], bounds=(0.0, 1.0))
    assert (ui["ci_low"], ui["ci_high"]) == pytest.approx((mc["ci_low"], mc["ci_high"]), rel=1e-9)


def test_one_replicate_per_draw_gives_the_spread_of_the_draws() -> None:
    ui = ua.interval(ua.mixture([[float(x)] for x in range(1, 41)]))
    assert 1.0 <= ui["ci_low"] <= 2.0 and 39.0 <= ui["ci_high"] <= 40.0


TAU, SIGMA, DRAWS, REPLICATES, TRIALS = 1.0, 2.0, 40, 10, 1000


def test_coverage_on_a_toy_model_with_a_known_parameter_variance() -> None:
    """A difference g(theta) = theta with theta ~ N(0, TAU^2), estimated in each of DRAWS draws from R replicates
    whose noise (sd SIGMA) is common to every draw (common random numbers, as the runner's replicate seeds make it).
    The UI is a statement about the true difference: over TRIALS worlds, each with its own true theta and noise,
    it covers the truth in about 95% of them. The bound: three binomial standard errors of TRIALS trials (0.021)
    plus 0.02 for reading the quantiles off DRAWS draws (a 95% interval from 40 draws sits on its outermost one or
    two at each end, so its coverage falls a little short of nominal)."""
    rng = np.random.default_rng(20241208)
    covered = 0
    for _ in range(TRIALS):
        truth = rng.normal(0.0, TAU)
        theta = rng.normal(0.0, TAU, DRAWS)  # the prior's draws
        noise = rng.normal(0.0, SIGMA, REPLICATES)  # common to every draw
        ui = ua.interval(ua.mixture([list(t + noise) for t in theta]))  # each draw's paired differences
        covered += ui["ci_low"] <= truth <= ui["ci_high"]
    coverage = covered / TRIALS
    assert 0.95 - 3 * (0.95 * 0.05 / TRIALS) ** 0.5 - 0.02 <= coverage <= 0.95 + 3 * (0.95 * 0.05 / TRIALS) ** 0.5


def test_monte_carlo_alone_covers_far_less_than_nominal_on_the_same_toy() -> None:
    """The reason for the UI: the paired t interval at the point value (theta = 0) ignores TAU."""
    rng = np.random.default_rng(20241208)
    covered = 0
    for _ in range(TRIALS):
        truth = rng.normal(0.0, TAU)
        noise = rng.normal(0.0, SIGMA, REPLICATES)
        mc = paired_difference([0.0] * REPLICATES, list(noise))
        covered += mc["ci_low"] <= truth <= mc["ci_high"]
    assert covered / TRIALS < 0.85


def test_p_below_zero_is_the_mixture_share_below_zero() -> None:
    mix = ua.mixture([[-1.0, -1.0], [1.0, 1.0], [2.0, 2.0], [-3.0, -3.0]])  # point masses
    assert ua.p_below_zero(mix) == pytest.approx(0.5)
    assert ua.p_below_zero(ua.mixture([[0.0, 0.0]])) == 0.0


def test_rank_shares_sum_to_one_and_to_three_with_ties_shared() -> None:
    avoided = np.array([[1.0, 2.0, 3.0, 3.0], [4.0, 1.0, 1.0, np.nan], [0.5, 0.4, 0.3, 0.2]])
    first, top = ua.rank_shares(avoided)
    assert first.sum() == pytest.approx(1.0) and top.sum() == pytest.approx(3.0)
    assert first == pytest.approx([(0 + 1 + 1) / 3, 0.0, 0.5 / 3, 0.5 / 3])
    assert top[3] == pytest.approx((1 + 0 + 0) / 3)  # NaN ranks last


def test_readings_are_allotted_in_proportion() -> None:
    assert list(ua.allot(5, {104: 1.0})) == [104] * 5
    readings = ua.allot(10, {104: 0.7, 52: 0.3})
    assert list(readings) == [104] * 7 + [52] * 3
    assert sorted(ua.allot(3, {104: 1.0, 52: 1.0})) == [52, 104, 104]


def test_draws_are_reproducible_and_come_from_the_posterior_and_the_priors() -> None:
    posterior = ua.Posterior(104, np.array([1.5, 2.0, 2.5]), np.array([0.2, 0.5, 0.3]), "p.csv")
    priors = {"a.b": Prior("uniform", {"loc": 0.2, "scale": 0.6}), "c.d": Prior("beta", {"a": 2, "b": 6})}

    def make() -> ua.Draws:
        return ua.draw(400, priors, {104: posterior}, {104: 1.0}, np.random.SeedSequence(9))

    first, again = make(), make()
    assert first.paths == [ua.THRESHOLD, "a.b", "c.d"]
    assert np.array_equal(first.values, again.values)
    assert set(first.values[:, 0]) <= {1.5, 2.0, 2.5}
    assert np.mean(first.values[:, 0] == 2.0) == pytest.approx(0.5, abs=0.08)  # 400 draws: SE 0.025
    assert first.values[:, 1].min() >= 0.2 and first.values[:, 1].max() <= 0.8
    assert np.mean(first.values[:, 2]) == pytest.approx(0.25, abs=0.03)  # beta(2, 6): mean 0.25, SE 0.007


def test_collapsed_draws_are_the_point() -> None:
    draws = ua.collapsed(3, {ua.THRESHOLD: 2.25, "x.y": 0.8}, {104: 1.0})
    assert draws.rows() == [[2.25, 0.8]] * 3
