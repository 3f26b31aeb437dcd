"""ABC-SMC by stochastic acceptance: the calibration's algorithm, pure and deterministic in its seed.

The observations are counts with a known error model, so the ABC kernel is that error model's probability of the
observed counts given a simulation (Wilkinson 2013, Stat Appl Genet Mol Biol 12:129): accepting a simulation with
probability kernel / c, where c is the kernel's largest possible value, samples the posterior under that error
model exactly. Sampling the prior and accepting at that rate wastes most runs, so the acceptance is tempered and
sharpened over generations, as pyabc's ``StochasticAcceptor`` with a ``Temperature`` schedule does (Schaelte and
Hasenauer 2020, Bioinformatics 36:i551, doi:10.1093/bioinformatics/btaa397):

- generation 0 draws ``prior_draws`` proposals from the uniform prior (a Latin hypercube) and accepts each with
  probability (kernel / c) ** (1 / T0), T0 set so that ``first_acceptance`` of them are accepted on average
  (T0 = 1 if fewer are accepted at 1, or if there is only one generation: plain rejection ABC);
- the temperatures then fall geometrically to exactly 1 in the last generation, T_t = T0 ** (1 - t / (G - 1));
- generation t proposes in rounds of ``batch``: each proposal perturbs a particle of generation t - 1, picked by
  weight, with a normal kernel of twice the population's weighted covariance (Beaumont, Cornuet, Marin and Robert
  2009, Biometrika 96:983); a proposal outside the prior's box is drawn again, ancestor and all, so the proposal
  density is the kernel mixture restricted to the box up to a constant. Rounds go on until ``population``
  proposals are accepted; every accepted proposal of the finished rounds is kept;
- an accepted proposal's weight is prior / proposal density (Beaumont et al. 2009), normalised in its generation.

The last generation's weighted particles are the posterior sample. Every draw comes from a generator spawned from
``SeedSequence(seed)`` keyed by (stream, generation, round), and the simulations are asked for in fixed batches
whose outcome depends only on their proposals and keys, so the result is the same however and wherever the
simulations run, and a rerun that finds some batches already simulated gives the same result.

This module only does the arithmetic: what to simulate and how a simulation scores come from the caller
(``Simulate`` and ``Kernel``), so the same code runs the model's calibration (studies.calibrate) and the tests'
toy problems.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.stats import qmc

PROPOSE, ACCEPT = 0x5EED, 0xACCE
"""Spawn keys of the proposal and the acceptance draws (SeedSequence(seed, spawn_key=(stream, generation, round)))."""
MAX_REDRAWS = 1000
"""A proposal redrawn this many times without landing in the prior's box stops the calibration (the population sits
on the box's edge with a kernel far wider than the box: not seen in practice)."""


class SMCError(ValueError):
    """A calibration that cannot go on; the message says why and what to change."""


@dataclass(frozen=True)
class Box:
    """Independent uniform priors: ``low[j] <= theta[j] <= high[j]``."""

    low: np.ndarray
    high: np.ndarray

    def __post_init__(self) -> None:
        if self.low.shape != self.high.shape or self.low.ndim != 1 or not np.all(self.low < self.high):
            raise SMCError("a prior box needs low < high for every parameter")

    @property
    def dimensions(self) -> int:
        return len(self.low)

    def inside(self, theta: np.ndarray) -> np.ndarray:
        return np.all((theta >= self.low) & (theta <= self.high), axis=-1)

    def latin_hypercube(self, n: int, rng: np.random.Generator) -> np.ndarray:
        unit = qmc.LatinHypercube(self.dimensions, rng=rng).random(n)
        return self.low + unit * (self.high - self.low)


@dataclass(frozen=True)
class Settings:
    """How many simulations each generation asks for, and how fast acceptance sharpens."""

    prior_draws: int
    """Proposals of generation 0, drawn from the prior."""
    population: int
    """Accepted proposals each later generation needs at least."""
    batch: int
    """Proposals per round of a later generation."""
    generations: int
    """Generations in all, the prior's included; the last one accepts at temperature 1."""
    first_acceptance: float = 0.3
    """The share of generation 0's proposals its temperature aims to accept."""
    max_rounds: int = 50
    """A generation that needs more rounds than this stops the calibration (acceptance has collapsed)."""


class Kernel(Protocol):
    """The error model of the observations: how probable the observed counts are given each simulation."""

    log_max: float
    """log c: the largest value ``log_pdf`` can take."""

    def log_pdf(self, simulated: np.ndarray) -> np.ndarray:
        """One log probability per proposal, from what ``Simulate`` returned for them."""
        ...


Simulate = Callable[[int, int, np.ndarray], np.ndarray]
"""``simulate(generation, round, proposals)``: what the model gives for each proposal (one row each, any shape
after the first axis), which the kernel then scores. It must depend only on its arguments."""


@dataclass(frozen=True)
class Generation:
    """Every proposal a generation evaluated, in order, and which of them it kept with what weight."""

    index: int
    temperature: float
    rounds: int
    proposals: np.ndarray
    """(proposals, parameters) in the order simulated (round by round)."""
    simulated: np.ndarray
    """What ``Simulate`` returned for each proposal."""
    log_kernel: np.ndarray
    accepted: np.ndarray
    """Boolean, per proposal."""
    weight: np.ndarray
    """Per proposal: its normalised importance weight if accepted, else 0."""

    @property
    def particles(self) -> np.ndarray:
        return self.proposals[self.accepted]

    @property
    def particle_weights(self) -> np.ndarray:
        return self.weight[self.accepted]

    @property
    def effective_sample_size(self) -> float:
        """Kish's effective sample size of the weighted particles, (sum w)^2 / sum w^2."""
        w = self.particle_weights
        return float(w.sum() ** 2 / (w ** 2).sum())


def stream(seed: int, key: int, generation: int, round_: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key, generation, round_)))


def first_temperature(log_ratio: np.ndarray, target: float, generations: int) -> float:
    """T0 such that the mean acceptance probability exp(log_ratio / T0) over generation 0 is ``target`` (found by
    bisection on log T); 1 if it is already at most ``target`` at T = 1, or if there is one generation only."""
    finite = log_ratio[np.isfinite(log_ratio)]
    if generations == 1 or not len(finite):
        return 1.0

    def acceptance(t: float) -> float:
        return float(np.exp(finite / t).sum() / len(log_ratio))

    if acceptance(1.0) >= target:
        return 1.0
    low, high = 0.0, 1.0
    while acceptance(math.exp(high)) < target:
        high *= 2
        if high > 60:  # T = e^60: every finite kernel accepted alike
            break
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if acceptance(math.exp(mid)) < target else (low, mid)
    return math.exp(high)


def temperatures(first: float, generations: int) -> list[float]:
    """Geometric decay from ``first`` to exactly 1 over ``generations`` (pyabc's ExpDecayFixedIterScheme)."""
    if generations == 1:
        return [1.0]
    return [first ** (1 - t / (generations - 1)) for t in range(generations - 1)] + [1.0]


def perturbation(previous: Generation) -> np.ndarray:
    """Twice the weighted covariance of the previous particles (Beaumont et al. 2009), as a (d, d) matrix."""
    cov = np.atleast_2d(np.cov(previous.particles, rowvar=False, aweights=previous.particle_weights, ddof=0))
    return 2 * cov


def propose(previous: Generation, covariance: np.ndarray, n: int, prior: Box, rng: np.random.Generator) -> np.ndarray:
    """``n`` proposals, each a weighted pick of the previous particles moved by N(0, covariance), drawn again
    (ancestor and move) until inside the prior's box."""
    particles, weights = previous.particles, previous.particle_weights
    chol = np.linalg.cholesky(covariance + 1e-12 * np.eye(len(covariance)))
    out = np.empty((n, prior.dimensions))
    todo = np.arange(n)
    for _ in range(MAX_REDRAWS):
        ancestors = rng.choice(len(particles), size=len(todo), p=weights)
        moved = particles[ancestors] + rng.standard_normal((len(todo), prior.dimensions)) @ chol.T
        ok = prior.inside(moved)
        out[todo[ok]] = moved[ok]
        todo = todo[~ok]
        if not len(todo):
            return out
    raise SMCError(f"{len(todo)} proposals stayed outside the prior's box after {MAX_REDRAWS} redraws")


def proposal_density(theta: np.ndarray, previous: Generation, covariance: np.ndarray) -> np.ndarray:
    """The mixture density sum_j w_j N(theta; particle_j, covariance) at each row of ``theta`` (the box's
    restriction only scales it by a constant, which normalisation removes)."""
    inverse = np.linalg.inv(covariance + 1e-12 * np.eye(len(covariance)))
    _, logdet = np.linalg.slogdet(covariance + 1e-12 * np.eye(len(covariance)))
    diff = theta[:, None, :] - previous.particles[None, :, :]
    mahalanobis = np.einsum("ijk,kl,ijl->ij", diff, inverse, diff)
    log_terms = np.log(previous.particle_weights)[None, :] - 0.5 * mahalanobis
    top = log_terms.max(axis=1, keepdims=True)
    return np.exp(top[:, 0] - 0.5 * logdet) * np.exp(log_terms - top).sum(axis=1)


def _accept(log_kernel: np.ndarray, kernel: Kernel, temperature: float, rng: np.random.Generator) -> np.ndarray:
    """Accept each proposal with probability (kernel / c) ** (1 / T), in index order from one uniform each."""
    u = rng.random(len(log_kernel))
    with np.errstate(divide="ignore"):
        return np.log(u) < (log_kernel - kernel.log_max) / temperature


@dataclass(frozen=True)
class Result:
    generations: list[Generation]

    @property
    def posterior(self) -> Generation:
        return self.generations[-1]


def run(prior: Box, settings: Settings, seed: int, simulate: Simulate, fit_kernel: Callable[[np.ndarray], Kernel],
        progress: Callable[[Generation], None] | None = None) -> tuple[Result, Kernel]:
    """Run the SMC: generation 0 from the prior, its simulations fit the kernel (``fit_kernel``, once), then the
    tempered generations down to temperature 1. ``progress`` is told each finished generation."""
    theta = prior.latin_hypercube(settings.prior_draws, stream(seed, PROPOSE, 0, 0))
    simulated = simulate(0, 0, theta)
    kernel = fit_kernel(simulated)
    log_kernel = kernel.log_pdf(simulated)
    schedule = temperatures(first_temperature(log_kernel - kernel.log_max, settings.first_acceptance,
                                              settings.generations), settings.generations)
    accepted = _accept(log_kernel, kernel, schedule[0], stream(seed, ACCEPT, 0, 0))
    if accepted.sum() < (2 if settings.generations > 1 else 1):  # a perturbation kernel needs two particles
        raise SMCError(f"generation 0 accepted {int(accepted.sum())} of {len(theta)} prior draws: too few to go on; "
                       "widen the priors' ranges or draw more from the prior")
    weight = accepted / accepted.sum()
    generations = [Generation(0, schedule[0], 1, theta, simulated, log_kernel, accepted, weight)]
    if progress:
        progress(generations[0])
    for g, temperature in enumerate(schedule[1:], start=1):
        previous = generations[-1]
        covariance = perturbation(previous)
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        kept = 0
        for round_ in range(settings.max_rounds):
            theta = propose(previous, covariance, settings.batch, prior, stream(seed, PROPOSE, g, round_))
            simulated = simulate(g, round_, theta)
            log_kernel = kernel.log_pdf(simulated)
            accepted = _accept(log_kernel, kernel, temperature, stream(seed, ACCEPT, g, round_))
            parts.append((theta, simulated, log_kernel, accepted))
            kept += int(accepted.sum())
            if kept >= settings.population:
                break
        else:
            raise SMCError(f"generation {g} (temperature {temperature:.3g}) accepted {kept} proposals in "
                           f"{settings.max_rounds} rounds of {settings.batch}, fewer than the {settings.population} "
                           "it needs: give more generations, so that acceptance sharpens more slowly")
        theta, simulated, log_kernel, accepted = (np.concatenate(column) for column in zip(*parts, strict=True))
        weight = np.zeros(len(theta))
        weight[accepted] = 1.0 / proposal_density(theta[accepted], previous, covariance)  # the prior is flat on the box
        weight /= weight.sum()
        generations.append(Generation(g, temperature, len(parts), theta, simulated, log_kernel, accepted, weight))
        if progress:
            progress(generations[-1])
    return Result(generations), kernel
