"""The ABC-SMC (analysis.smc) and the calibration kernel (analysis.calibration) on problems with a known answer.

The toy problem: two parameters with uniform priors on [0, 1], a "simulator" that returns them as the shares of two
targets, observed 18 of 40 and 4 of 10, and the binomial kernel. Its posterior is exactly Beta(19, 23) x Beta(5, 7)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from simulation.analysis import calibration, smc
from simulation.analysis.calibration import CountKernel

OBSERVED = ((18, 40), (4, 10))
EXACT = [scipy_stats.beta(19, 23), scipy_stats.beta(5, 7)]
BOX = smc.Box(np.zeros(2), np.ones(2))
TRIALS = 1e6
"""The toy's runs have a million trials each, so their pooled share is the parameter itself."""


def toy_counts(proposals: np.ndarray) -> np.ndarray:
    """(proposals, 2 targets, 1 replicate, successes and trials): the shares are the parameters."""
    counts = np.empty((len(proposals), 2, 1, 2))
    counts[..., 0, 0], counts[..., 0, 1] = proposals * TRIALS, TRIALS
    return counts


def binomial_kernel(_: np.ndarray) -> CountKernel:
    return CountKernel(tuple(k for k, _ in OBSERVED), tuple(n for _, n in OBSERVED), (0.0, 0.0))


def toy_run(seed: int, settings: smc.Settings) -> smc.Result:
    return smc.run(BOX, settings, seed, lambda g, r, theta: toy_counts(theta), binomial_kernel)[0]


SETTINGS = smc.Settings(prior_draws=2000, population=1000, batch=1000, generations=4)


def weighted_moments(result: smc.Result) -> tuple[np.ndarray, np.ndarray]:
    final = result.posterior
    w = final.particle_weights
    mean = (final.particles * w[:, None]).sum(axis=0)
    sd = np.sqrt((((final.particles - mean) ** 2) * w[:, None]).sum(axis=0))
    return mean, sd


@pytest.fixture(scope="module")
def toy() -> smc.Result:
    return toy_run(11, SETTINGS)


def test_the_smc_recovers_the_exact_posterior_of_the_toy(toy: smc.Result) -> None:
    """Means within 4 Monte Carlo standard errors (sd / sqrt(effective sample size)) of the exact ones, and sds within
    15% (the sd of a sample sd is about sd / sqrt(2 ESS), under 4% here, widened for the weights' own noise)."""
    mean, sd = weighted_moments(toy)
    ess = toy.posterior.effective_sample_size
    assert ess > 300
    for j, exact in enumerate(EXACT):
        assert abs(mean[j] - exact.mean()) < 4 * exact.std() / np.sqrt(ess)
        assert sd[j] == pytest.approx(exact.std(), rel=0.15)
    assert toy.generations[-1].temperature == 1.0
    temperatures = [g.temperature for g in toy.generations]
    assert temperatures == sorted(temperatures, reverse=True) and temperatures[0] > 1


def test_one_generation_is_rejection_abc_at_temperature_one() -> None:
    result = toy_run(3, smc.Settings(prior_draws=4000, population=10, batch=10, generations=1))
    final = result.posterior
    assert len(result.generations) == 1 and final.temperature == 1.0
    assert np.allclose(final.particle_weights, 1 / final.accepted.sum())
    mean = final.particles.mean(axis=0)
    for j, exact in enumerate(EXACT):
        assert abs(mean[j] - exact.mean()) < 4 * exact.std() / np.sqrt(final.accepted.sum())


def test_the_same_seed_gives_the_same_posterior_and_another_seed_another() -> None:
    small = smc.Settings(prior_draws=300, population=100, batch=100, generations=3)
    a, b, c = toy_run(5, small), toy_run(5, small), toy_run(6, small)
    assert np.array_equal(a.posterior.particles, b.posterior.particles)
    assert np.array_equal(a.posterior.weight, b.posterior.weight)
    assert not np.array_equal(a.posterior.particles[:10], c.posterior.particles[:10])


def test_the_simulations_are_asked_for_in_fixed_batches_keyed_by_generation_and_round() -> None:
    """What the SMC asks to simulate depends only on the seed and what earlier batches returned: a second run that
    records its calls asks for the same proposals under the same (generation, round) keys."""
    small = smc.Settings(prior_draws=300, population=100, batch=60, generations=3)

    def recording(calls: list) -> smc.Simulate:
        def simulate(g: int, r: int, theta: np.ndarray) -> np.ndarray:
            calls.append((g, r, theta.copy()))
            return toy_counts(theta)
        return simulate

    first, second = [], []
    smc.run(BOX, small, 9, recording(first), binomial_kernel)
    smc.run(BOX, small, 9, recording(second), binomial_kernel)
    assert [(g, r) for g, r, _ in first] == [(g, r) for g, r, _ in second]
    assert all(np.array_equal(a, b) for (_, _, a), (_, _, b) in zip(first, second, strict=True))
    assert len({(g, r) for g, r, _ in first}) == len(first)
    assert all(len(theta) == 60 for g, _, theta in first if g > 0)


def test_too_few_acceptances_in_generation_zero_is_a_clear_error() -> None:
    never = CountKernel((18,), (40,), (0.0,))
    with pytest.raises(smc.SMCError, match="generation 0 accepted"):
        smc.run(smc.Box(np.array([0.99]), np.array([1.0])), smc.Settings(20, 10, 10, 1), 1,
                lambda g, r, theta: toy_counts(np.c_[theta, theta])[:, :1], lambda _: never)


def test_the_first_temperature_accepts_the_share_asked_for() -> None:
    rng = np.random.default_rng(0)
    log_ratio = -rng.exponential(20, size=5000)
    t = smc.first_temperature(log_ratio, 0.3, generations=4)
    assert np.exp(log_ratio / t).mean() == pytest.approx(0.3, abs=1e-6)
    assert smc.first_temperature(log_ratio, 0.3, generations=1) == 1.0
    assert smc.first_temperature(np.zeros(10), 0.3, generations=4) == 1.0
    assert smc.temperatures(100.0, 3) == [100.0, 10.0, 1.0]


# --- the kernel ------------------------------------------------------------------------------------------------


def test_the_binomial_kernel_is_the_binomial_probability_of_the_observed_counts() -> None:
    kernel = binomial_kernel(np.empty(0))
    shares = np.array([[0.45, 0.4], [0.2, 0.9]])
    expected = scipy_stats.binom.logpmf(18, 40, shares[:, 0]) + scipy_stats.binom.logpmf(4, 10, shares[:, 1])
    assert np.allclose(kernel.log_pdf(toy_counts(shares)), expected)
    assert kernel.log_max == pytest.approx(scipy_stats.binom.logpmf(18, 40, 0.45) + scipy_stats.binom.logpmf(4, 10, 0.4))


@pytest.mark.parametrize("rho", [0.0, 0.05, 0.2])
def test_the_intra_class_correlation_is_recovered_from_replicates(rho: float) -> None:
    """Beta-binomial counts of 40 trials with a known rho, 10 replicates at each of 400 proposals: the moment
    estimate lands within 0.02 of it (its standard error here is about 0.005)."""
    rng = np.random.default_rng(7)
    share = rng.uniform(0.2, 0.7, size=(400, 1, 1))
    p = rng.beta(share * (1 / rho - 1), (1 - share) * (1 / rho - 1), size=(400, 1, 10)) if rho else \
        np.broadcast_to(share, (400, 1, 10))
    counts = np.stack([rng.binomial(40, p).astype(float), np.full((400, 1, 10), 40.0)], axis=-1)
    assert calibration.fit_icc(counts)[0] == pytest.approx(rho, abs=0.02)


def test_a_beta_binomial_kernel_is_flatter_than_the_binomial_and_never_above_its_maximum() -> None:
    shares = np.linspace(0.01, 0.99, 99)[:, None]
    counts = np.stack([shares[..., None] * TRIALS, np.full((99, 1, 1), TRIALS)], axis=-1)
    narrow, wide = CountKernel((18,), (40,), (0.0,)), CountKernel((18,), (40,), (0.1,))
    for kernel in (narrow, wide):
        assert np.all(kernel.log_pdf(counts) <= kernel.log_max + 1e-9)
    relative = lambda k: np.exp(k.log_pdf(counts) - k.log_max)  # noqa: E731
    assert relative(wide).sum() > 1.5 * relative(narrow).sum()


def test_a_proposal_without_a_simulated_share_has_no_kernel() -> None:
    counts = toy_counts(np.array([[0.5, 0.5]]))
    counts[0, 1, 0] = np.nan
    assert binomial_kernel(counts).log_pdf(counts)[0] == -np.inf


def test_the_smc_agrees_with_pyabcs_own_sampler_on_the_toy(toy: smc.Result) -> None:
    """pyabc's single-core ABC-SMC with the same stochastic acceptance (tests/analysis/pyabc_reference.py) on the same
    toy: the weighted means agree within 4 standard errors of their difference (each sd / sqrt(ESS); SMC particles
    are correlated, hence 4 rather than 2), the sds within 25% (pyabc's 300 particles give its sd a relative error
    of about 5%, widened for the weights' noise)."""
    pytest.importorskip("pyabc")
    from tests.analysis.pyabc_reference import pyabc_posterior

    samples, weights = pyabc_posterior(seed=1, population_size=300)
    pyabc_mean = (samples * weights[:, None]).sum(axis=0)
    pyabc_sd = np.sqrt((((samples - pyabc_mean) ** 2) * weights[:, None]).sum(axis=0))
    pyabc_ess = weights.sum() ** 2 / (weights ** 2).sum()
    mean, sd = weighted_moments(toy)
    ess = toy.posterior.effective_sample_size
    for j in range(2):
        assert abs(mean[j] - pyabc_mean[j]) < 4 * sd[j] * np.sqrt(1 / ess + 1 / pyabc_ess)
        assert sd[j] == pytest.approx(pyabc_sd[j], rel=0.25)
