"""Pattern-oriented validation: does the calibrated model show patterns it was not fitted to?

Patterns come in three groups (``Group``), reported apart:

- **shape**: how quitting happens in B24's account, which the mechanism's structure must produce (not calibration
  targets; docs/validation.md section 6 says how blind they are): gradual decisions keep coming in the second year
  of tenure, and in every year of the observation window;
- **independent**: neither fitted nor the sign of an assumed weight: health-team integration lags the other
  readiness parts (Moe25), the service matures (Moe25, M21), client employment in the trial's range (Reme19);
- **consistency**: what follows from the calibration targets (turnover above the comparator, a minority of
  shock-led quits) or from assumed weights (solo posts lose more; the honeymoon-hangover fall in resources over the
  first year, which appears when the default weights make demands outweigh gains at the start): checks, not
  validation.

Each pattern has a value the model computes (with its 95% CI across replicates) and a criterion for "met";
present.words.PATTERNS states what was observed (with its source), the measure, the criterion and a note. A
pattern that is not met is reported as such, with what the model does instead (docs/validation.md discusses each).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from simulation.analysis import metrics
from simulation.analysis.metrics import Band
from simulation.analysis.stats import NONE, Interval, mean_ci, paired_difference, welch_difference
from simulation.core.records import RunRecord, exit_kind
from simulation.core.scenario import OPEN_AT_ONCE, READINESS_PARTS, Scenario, opened_at_once

Group = Literal["shape", "independent", "consistency"]
"""A pattern's group, in the order reports give them (present.words.GROUP_TITLES)."""

PUBLIC_SECTOR_SHARE = 0.271
"""Other public-sector occupations, same regions and window: 27.1% left [B22a]."""
TRIAL_EMPLOYED_12M = 0.366
"""Clients in competitive work 12 months after inclusion in the Norwegian IPS trial: 36.6% of the IPS arm (37.4% at
18 months; 410 participants, registry data) [Reme19]."""
TRIAL_ARM = 205
"""Participants in the trial's IPS arm (about half of 410) [Reme19]: its share's sampling error widens the model's
interval in the client_employment check."""
Z95 = 1.959964
"""The standard normal's 97.5% point: a 95% interval is the estimate plus or minus this many standard errors."""


def trial_margin(share: float = TRIAL_EMPLOYED_12M, n: int = TRIAL_ARM) -> float:
    """The half-width of the trial's own 95% sampling interval for a share (normal approximation): about 6.6 points
    for 36.6% of 205."""
    return Z95 * (share * (1.0 - share) / n) ** 0.5


EDGE_WEEKS = 13
"""Readiness (and resources) are compared between the first and the last quarter-year of a span."""
SECOND_YEAR_SHARE = 1 / 3
"""New nurses keep leaving their first employer in their second year: 17.5% within one year, about a third within
two (Kovner et al. 2014; the one-year figure checked, the two-year one from secondary sources, not checked), so the
second year's hazard is roughly as high as the first's; the criterion asks for at least a third of it."""
YEAR = 52


@dataclass(frozen=True)
class Result:
    """One pattern checked: the model's value (95% CI across replicates), whether the criterion is met, and the
    other figures its explanation quotes (present.words.PATTERNS says what each pattern is, in words)."""

    key: str
    group: Group
    value: Interval
    met: bool
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Evidence:
    """What the pattern checks computed from, for the charts."""

    scenario_name: str
    replicates: int
    readiness: Band
    """The weekly mean readiness over sites, across replicates."""
    parts: dict[str, Band]
    """The weekly mean of each readiness part over sites, across replicates."""
    hazard_by_year: list[Interval]
    """Decisions to quit (every kind) per ES-year, by year of the observation window."""
    gradual_by_tenure: list[Interval]
    """Gradual decisions per ES-year at risk, by year of tenure (first, second, ...)."""
    depletion: Band
    """The weekly mean share of personal resources used up, across replicates, in the service started from nothing
    (fresh_variant)."""
    structure: dict[str, Interval]


def structure_variants(scenario: Scenario) -> tuple[Scenario, Scenario]:
    """The scenario's positions (rounded down to a multiple of 3) as solo posts or as teams of three,
    at sites like its first team site, every one opening in week 0 with no supervisor post: the only difference is
    how ES are grouped."""
    data = scenario.model_dump()
    template = next((s for s in data["sites"] if s["positions"] >= 2), data["sites"][0])
    template = {**template, **OPEN_AT_ONCE, "supervisors": 0}
    n = max(3, scenario.positions // 3 * 3)
    variants = []
    for name, count, size in (("all-solo", n, 1), ("teams-of-three", n // 3, 3)):
        site = {**template, "name": name, "count": count, "positions": size}
        variants.append(Scenario.model_validate({**data, "name": name, "reorganisations": [], "sites": [site]}))
    return variants[0], variants[1]


def fresh_variant(scenario: Scenario) -> Scenario:
    """The scenario's service started from nothing, every site open in week 0 (core.scenario.opened_at_once): the
    honeymoon-hangover is about an ES's first year of tenure, which is the window's first year only when every ES
    starts when it opens."""
    return Scenario.model_validate({**opened_at_once(scenario).model_dump(), "name": f"{scenario.name}-fresh"})


def decisions_per_es_year(record: RunRecord, year: int, kind: str = "") -> float | None:
    """Decisions to leave per ES-year in year ``year`` of the observation window (from 0): of one kind (``gradual``,
    ``shock``, ``ordinary``), or of every kind (gradual, shock-led, contracts not renewed, ordinary exits) when
    ``kind`` is ''. Decisions, not departures: a departure lags its decision by the notice period, so departures would
    undercount the last year's; the decisions of ES still in notice at the end count (``decided``)."""
    weeks = metrics.column(record, "week")
    window = (weeks >= YEAR * year) & (weeks < YEAR * (year + 1))
    es_years = metrics.column(record, "headcount")[window].sum() / YEAR
    decisions = sum(1 for s in record.spells if (decided(s) == kind if kind else decided(s))
                    and YEAR * year <= s["decision_week"] < YEAR * (year + 1))
    return decisions / es_years if es_years else None


def decided(spell: dict) -> str:
    """How a spell's ES decided to leave (``gradual``, ``shock``, ``ordinary``), also for an ES still working their
    notice at the end of the run (a censored spell with a decision); '' for one who had not decided."""
    return spell["exit_kind"] or exit_kind(spell["decision_week"], spell["shock"], spell["ordinary_reason"])


def gradual_by_tenure(record: RunRecord, year: int) -> float | None:
    """Gradual decisions to quit per ES-year at risk in year ``year`` of tenure (from 0): the time each ES spent at
    that tenure before deciding to leave (any way) or the end of the run, and the gradual decisions taken then. Every
    spell of the run counts, the warm-up's too: a hazard by tenure needs each spell's whole tenure, which a spell
    begun before the window would otherwise have cut (left truncation)."""
    low, high = YEAR * year, YEAR * (year + 1)
    exposure, events = 0.0, 0
    for s in record.spells:
        until = (s["decision_week"] if s["decision_week"] is not None else s["end_week"]) - s["start_week"]
        exposure += max(0, min(until, high) - low)
        if decided(s) == "gradual" and low <= until < high:
            events += 1
    return events / (exposure / YEAR) if exposure else None


BOOTSTRAP = 2000
"""Resamples of the replicates for the interval of a ratio of means."""
BOOTSTRAP_STREAM = 0xB007
"""Entropy of the bootstrap's own generator (SeedSequence): the same resamples in every report."""


def _ratio(numerators: list[float | None], denominators: list[float | None]) -> Interval:
    """The ratio of the replicates' mean ``numerator`` to their mean ``denominator`` (replicates where either is
    missing left out), with a 95% percentile bootstrap interval over replicates (fixed stream: deterministic).

    A ratio of means, not a mean of per-replicate ratios: a replicate's first-year hazard can be small, and the mean
    of ratios would then be biased upward."""
    pairs = np.array([(n, d) for n, d in zip(numerators, denominators, strict=True) if n is not None and d is not None])
    if len(pairs) == 0 or pairs[:, 1].sum() == 0:
        return dict(NONE)
    ratio = float(pairs[:, 0].mean() / pairs[:, 1].mean())
    if len(pairs) == 1:
        return {"mean": ratio, "ci_low": None, "ci_high": None}
    rng = np.random.default_rng(np.random.SeedSequence(BOOTSTRAP_STREAM))
    picks = rng.integers(0, len(pairs), size=(BOOTSTRAP, len(pairs)))
    num, den = pairs[picks, 0].mean(axis=1), pairs[picks, 1].mean(axis=1)
    resampled = num[den > 0] / den[den > 0]
    low, high = np.quantile(resampled, [0.025, 0.975])
    return {"mean": ratio, "ci_low": float(low), "ci_high": float(high)}


def _edges(record: RunRecord, name: str, span: tuple[int, int]) -> tuple[float, float]:
    """A weekly column's mean over the first and the last EDGE_WEEKS weeks of weeks ``span[0]``-``span[1]``."""
    values = metrics.column(record, name)[span[0]:span[1]]
    return float(values[:EDGE_WEEKS].mean()), float(values[-EDGE_WEEKS:].mean())


def evaluate(scenario: Scenario, records: list[RunRecord], solo: Scenario, solo_records: list[RunRecord],
             trios: Scenario, trio_records: list[RunRecord],
             fresh_records: list[RunRecord]) -> tuple[list[Result], Evidence]:
    """Every pattern, from the runs of the scenario, of its two team-structure variants (structure_variants) and of
    the same service started from nothing (fresh_variant, for the first year of tenure)."""
    per_rep = [metrics.replicate_metrics(r, scenario) for r in records]
    results = []
    years = scenario.weeks // YEAR

    # --- shapes the mechanism must produce ---
    first, second = ([gradual_by_tenure(r, y) for r in records] for y in (0, 1))
    ratio = _ratio(second, first)
    results.append(Result("gradual_quits_continue", "shape", ratio,
                          ratio["mean"] is not None and ratio["mean"] >= SECOND_YEAR_SHARE,
                          {"first_year": mean_ci(first), "second_year": mean_ci(second)}))
    by_year = [mean_ci([decisions_per_es_year(r, y, "gradual") for r in records]) for y in range(years)]
    lowest = min(by_year, key=lambda h: h["mean"] if h["mean"] is not None else -1.0) if by_year else dict(NONE)
    every = bool(by_year) and all(h["ci_low"] is not None and h["ci_low"] > 0 for h in by_year)
    every = every or (len(records) == 1 and all((h["mean"] or 0) > 0 for h in by_year))
    results.append(Result("gradual_quits_every_year", "shape", lowest, every, {"by_year": by_year}))
    if scenario.weeks >= YEAR:
        early, late = zip(*(_edges(r, "mean_depletion", (0, YEAR)) for r in fresh_records), strict=True)
        hangover = paired_difference(list(early), list(late))
    else:
        hangover = dict(NONE)
    # --- independent patterns ---
    lag = paired_difference(
        [sum(_edges(r, f"readiness_{p}", (0, scenario.weeks))[1] for p in READINESS_PARTS
             if p != "health_team_integration") / (len(READINESS_PARTS) - 1) for r in records],
        [_edges(r, "readiness_health_team_integration", (0, scenario.weeks))[1] for r in records])
    results.append(Result("integration_lags", "independent", lag,
                          lag["ci_high"] is not None and lag["ci_high"] < 0))

    hazard = [mean_ci([decisions_per_es_year(r, y) for r in records]) for y in range(years)]
    first_q, last_q = zip(*(_edges(r, "readiness_mean", (0, scenario.weeks)) for r in records), strict=True)
    readiness_rise = paired_difference(list(first_q), list(last_q))
    if years >= 2:
        hazard_change = paired_difference([decisions_per_es_year(r, 0) for r in records],
                                          [decisions_per_es_year(r, years - 1) for r in records])
        falling = hazard_change["ci_high"] is not None and hazard_change["ci_high"] < 0
    else:
        hazard_change, falling = dict(NONE), False
    rising = readiness_rise["ci_low"] is not None and readiness_rise["ci_low"] > 0
    results.append(Result("service_matures", "independent", hazard_change, rising and falling,
                          {"readiness_rise": readiness_rise, "falling": falling}))

    employed = mean_ci([m["clients_employed_12m"] for m in per_rep], bounds=metrics.SHARE)
    margin = trial_margin()
    results.append(Result("client_employment", "independent", employed,
                          employed["ci_low"] is not None
                          and employed["ci_low"] - margin <= TRIAL_EMPLOYED_12M <= employed["ci_high"] + margin,
                          {"margin": margin, "ever_employed_12m": mean_ci([m["clients_ever_employed_12m"]
                                                                           for m in per_rep], bounds=metrics.SHARE),
                           "employed_18m": mean_ci([m["clients_employed_18m"] for m in per_rep],
                                                   bounds=metrics.SHARE)}))

    # --- consistency checks ---
    results.append(Result("honeymoon_hangover", "consistency", hangover,
                          hangover["ci_low"] is not None and hangover["ci_low"] > 0))
    cohort = mean_ci([m["study_cohort_left_share"] for m in per_rep])
    results.append(Result("turnover_above_public_sector", "consistency", cohort,
                          cohort["ci_low"] is not None and cohort["ci_low"] > PUBLIC_SECTOR_SHARE,
                          {"window_weeks": scenario.cohort_window_weeks}))
    shock = mean_ci([m["shock_share"] for m in per_rep])
    results.append(Result("quitting_mostly_gradual", "consistency", shock,
                          shock["ci_high"] is not None and shock["ci_high"] < 0.5))
    solo_t = [metrics.replicate_metrics(r, solo)["annual_turnover"] for r in solo_records]
    trio_t = [metrics.replicate_metrics(r, trios)["annual_turnover"] for r in trio_records]
    diff = welch_difference(solo_t, trio_t)
    results.append(Result("solo_posts_lose_more", "consistency", diff,
                          diff["ci_low"] is not None and diff["ci_low"] > 0,
                          {"solo": mean_ci(solo_t), "teams_of_three": mean_ci(trio_t), "positions": solo.positions}))

    evidence = Evidence(scenario.name, len(records), metrics.weekly_band(records, "readiness_mean"),
                        {p: metrics.weekly_band(records, f"readiness_{p}") for p in READINESS_PARTS}, hazard,
                        [mean_ci(first), mean_ci(second)], metrics.weekly_band(fresh_records, "mean_depletion"),
                        {"solo posts": mean_ci(solo_t), "teams of three": mean_ci(trio_t)})
    return results, evidence
