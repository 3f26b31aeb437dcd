"""Reference posterior from pyabc's own stochastic-acceptance ABC-SMC.

This module is a helper for tests, not a test module: it runs pyabc's
single-core ABC-SMC with ``StochasticAcceptor`` and ``Temperature`` on a toy
problem whose posterior is known exactly, so that the project's own
deterministic ABC-SMC (the same noisy-ABC scheme: Wilkinson 2013, Schälte &
Hasenauer 2020) can be compared with it within Monte Carlo error. pyabc is
imported inside :func:`pyabc_posterior` only, so a test can call
``pytest.importorskip("pyabc")`` first.

Toy problem
-----------
* Parameters ``theta1``, ``theta2`` with independent Uniform(0, 1) priors.
* A deterministic "simulator" that returns the rates ``(theta1, theta2)``.
* Observed counts: 18 successes of 40 trials and 4 of 10.
* Acceptance kernel: the product of the two binomial probabilities of the
  observed counts given the simulated rates,
  ``Binom(18 | 40, theta1) * Binom(4 | 10, theta2)``, evaluated on log scale.
  Its largest value, at the observed rates ``(18/40, 4/10)``, is its
  ``pdf_max`` (``log 0.12599 + log 0.25082 = -3.45455``).

Because the kernel is the likelihood, the ABC posterior at temperature 1 is
the exact posterior ``Beta(19, 23) x Beta(5, 7)``: means 19/42 = 0.4524 and
5/12 = 0.4167, standard deviations 0.0759 and 0.1367.

pyabc settings
--------------
* ``pyabc.ABCSMC`` with a custom ``pyabc.StochasticKernel`` (pyabc's
  ``BinomialKernel`` does not fit: it takes the *simulated* value as the
  number of trials ``n`` and a fixed or parameter-dependent single ``p``),
  ``ret_scale=SCALE_LOG`` and ``pdf_max`` as above;
* ``pyabc.StochasticAcceptor(pdf_norm_method=pdf_norm_from_kernel)`` by
  default (``pdf_norm="kernel"``), so that the normalisation constant ``c`` of
  the acceptance step ``u <= (kernel / c) ** (1 / T)`` is the exact kernel
  maximum; ``pdf_norm="max_found"`` uses pyabc's own default
  (``pdf_norm_max_found``: the largest kernel value seen so far);
* ``pyabc.Temperature()`` with its defaults (initial temperature from
  ``AcceptanceRateScheme(target_rate=0.3)``, then the minimum of
  ``AcceptanceRateScheme`` and ``ExpDecayFixedIterScheme``, clipped to
  ``[1, previous T]``; generation ``max_nr_populations - 1`` would be forced
  to T = 1). Here T typically runs about 6, 1.9, 1 over three generations,
  after a calibration sample of ``population_size`` prior draws;
* the default ``MultivariateNormalTransition`` (Silverman bandwidth, scaling 1);
* ``pyabc.SingleCoreSampler()``, an in-memory sqlite database
  (``"sqlite://"``), ``ConstantPopulationSize(population_size)``;
* ``run(max_nr_populations=20)``: pyabc stops after the first generation run
  at temperature 1 (its ``minimum_epsilon`` defaults to 1 for a temperature).

pyabc draws every random number from numpy's global ``np.random`` state
(scipy.stats ``rvs`` included), so a run is made reproducible by seeding it;
this function saves and restores that global state around the run.
"""

import logging
import os
import sys

import numpy as np
from scipy import stats

N_TRIALS = (40, 10)
OBSERVED_COUNTS = (18, 4)
EXACT_POSTERIOR = (stats.beta(19, 23), stats.beta(5, 7))


def pyabc_posterior(
    seed: int, population_size: int = 500, *, pdf_norm: str = "kernel"
) -> tuple[np.ndarray, np.ndarray]:
    """Run pyabc on the toy problem and return its final generation.

    Parameters
    ----------
    seed:
        Seed for numpy's global random state, which pyabc uses throughout.
        The caller's global state is restored afterwards.
    population_size:
        Number of accepted particles per generation.
    pdf_norm:
        ``"kernel"`` (default): the acceptor's normalisation constant is the
        kernel's exact maximum ``pdf_max``; ``"max_found"``: pyabc's default,
        the largest kernel value found so far.

    Returns
    -------
    samples, weights:
        ``samples`` of shape ``(n, 2)`` with columns ``(theta1, theta2)`` and
        ``weights`` of shape ``(n,)`` summing to 1, from the last generation,
        which pyabc ran at temperature 1.
    """
    already_imported = "pyabc" in sys.modules
    omp_before = os.environ.get("OMP_NUM_THREADS")
    import pyabc
    from pyabc.acceptor import pdf_norm_from_kernel, pdf_norm_max_found
    from pyabc.distance import SCALE_LOG

    if not already_imported and omp_before is None:
        # importing pyabc sets OMP_NUM_THREADS=1 for later child processes
        os.environ.pop("OMP_NUM_THREADS", None)

    if pdf_norm == "kernel":
        pdf_norm_method = pdf_norm_from_kernel
    elif pdf_norm == "max_found":
        pdf_norm_method = pdf_norm_max_found
    else:
        raise ValueError(f"pdf_norm must be 'kernel' or 'max_found', not {pdf_norm!r}")

    n1, n2 = N_TRIALS
    k1, k2 = OBSERVED_COUNTS

    def log_kernel(p1: float, p2: float) -> float:
        return float(stats.binom.logpmf(k1, n1, p1) + stats.binom.logpmf(k2, n2, p2))

    class BinomialCountsKernel(pyabc.StochasticKernel):
        """Log of Binom(k1 | n1, p1) * Binom(k2 | n2, p2) for simulated rates p."""

        def __call__(self, x, x_0, t=None, par=None):
            return log_kernel(x["p1"], x["p2"])

    def model(par):
        return {"p1": par["theta1"], "p2": par["theta2"]}

    prior = pyabc.Distribution(
        theta1=pyabc.RV("uniform", 0, 1),
        theta2=pyabc.RV("uniform", 0, 1),
    )
    kernel = BinomialCountsKernel(
        ret_scale=SCALE_LOG,
        keys=["p1", "p2"],
        pdf_max=log_kernel(k1 / n1, k2 / n2),
    )

    abc_logger = logging.getLogger("ABC")
    level_before = abc_logger.level
    state_before = np.random.get_state()
    try:
        abc_logger.setLevel(logging.WARNING)
        np.random.seed(seed)
        abc = pyabc.ABCSMC(
            models=model,
            parameter_priors=prior,
            distance_function=kernel,
            population_size=population_size,
            eps=pyabc.Temperature(),
            acceptor=pyabc.StochasticAcceptor(pdf_norm_method=pdf_norm_method),
            sampler=pyabc.SingleCoreSampler(),
        )
        abc.new("sqlite://", {"k1": k1, "k2": k2})
        history = abc.run(max_nr_populations=20)
        final_temperature = float(history.get_all_populations()["epsilon"].iloc[-1])
        if final_temperature != 1.0:
            raise RuntimeError(f"pyabc stopped at temperature {final_temperature}, not 1")
        frame, weights = history.get_distribution(m=0, t=history.max_t)
    finally:
        np.random.set_state(state_before)
        abc_logger.setLevel(level_before)

    samples = frame[["theta1", "theta2"]].to_numpy(dtype=float)
    weights = np.asarray(weights, dtype=float)
    return samples, weights / weights.sum()
