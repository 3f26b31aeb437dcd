"""Pattern-oriented validation: does the calibrated model show observed patterns it was not fitted to?

Each pattern has a value the model computes (with its 95% CI across replicates) and a criterion for
"met"; present.words.PATTERNS states what was observed (with its source), the measure, the criterion and
a note. A pattern that is not met is reported as such, with what the model does instead
(docs/validation.md discusses each).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulation.analysis import metrics
from simulation.analysis.metrics import Band
from simulation.analysis.stats import NONE, Interval, mean_ci, paired_difference, welch_difference
from simulation.core.records import RunRecord
from simulation.core.scenario import Scenario

PUBLIC_SECTOR_SHARE = 0.271
"""Other public-sector occupations, same regions and window: 27.1% left [B22a]."""
CLIENT_WORK_RANGE = (0.30, 0.50)
"""Clients in competitive work: 36.6-37.4% at 12-18 months in the Norwegian IPS trial [Reme19], 41% on
average and 50% in excellent routine US programmes (IPS learning community). The band runs from
about the trial's figure less its sampling uncertainty to the excellent programmes (assumption)."""
CLIENT_WORK_WEEKS = (52, 78)
"""Months 12-18 of the service, as in [Reme19]'s follow-up."""
EDGE_WEEKS = 13
"""Readiness is compared between the first and the last quarter-year of the horizon."""


@dataclass(frozen=True)
class Result:
    """One pattern checked: the model's value (95% CI across replicates), whether the criterion is met, and the
    other figures its explanation quotes (present.words.PATTERNS says what each pattern is, in words)."""

    key: str
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
    hazard_by_year: list[Interval]
    structure: dict[str, Interval]


def structure_variants(scenario: Scenario) -> tuple[Scenario, Scenario]:
    """The scenario's positions (rounded down to a multiple of 3) as solo posts or as teams of three,
    at sites like its first team site: the only difference is how ES are grouped."""
    data = scenario.model_dump()
    template = next((s for s in data["sites"] if s["positions"] >= 2), data["sites"][0])
    n = max(3, scenario.positions // 3 * 3)
    variants = []
    for name, count, size in (("all-solo", n, 1), ("teams-of-three", n // 3, 3)):
        variants.append(Scenario.model_validate({**data, "name": name,
                                                 "sites": [{**template, "name": name, "count": count, "positions": size}]}))
    return variants[0], variants[1]


def _share_working(record: RunRecord) -> float:
    working, caseload = metrics.column(record, "clients_working"), metrics.column(record, "clients_on_caseload")
    weeks = metrics.column(record, "week")
    window = (weeks >= CLIENT_WORK_WEEKS[0]) & (weeks < CLIENT_WORK_WEEKS[1])
    return float(working[window].sum() / max(caseload[window].sum(), 1))


def quit_rate(record: RunRecord, year: int) -> float | None:
    """Decisions to quit (shock-led or gradual, contract ends included) per ES-year in year ``year`` of the
    service (from 0). Decisions, not departures: a departure lags its decision by the notice period, so
    departures would undercount the last year's quits."""
    weeks = metrics.column(record, "week")
    window = (weeks >= 52 * year) & (weeks < 52 * (year + 1))
    es_years = metrics.column(record, "headcount")[window].sum() / 52
    decisions = sum(1 for s in record.spells if s["outcome"] == "quit" and s["decision_week"] is not None
                    and 52 * year <= s["decision_week"] < 52 * (year + 1))
    return decisions / es_years if es_years else None


def evaluate(scenario: Scenario, records: list[RunRecord], solo: Scenario, solo_records: list[RunRecord],
             trios: Scenario, trio_records: list[RunRecord]) -> tuple[list[Result], Evidence]:
    """Every pattern, from the runs of the scenario and of its two team-structure variants (structure_variants)."""
    per_rep = [metrics.replicate_metrics(r, scenario) for r in records]
    results = []

    cohort = mean_ci([m["cohort_left_share"] for m in per_rep])
    results.append(Result("turnover_above_public_sector", cohort,
                          cohort["ci_low"] is not None and cohort["ci_low"] > PUBLIC_SECTOR_SHARE,
                          {"window_weeks": scenario.cohort_window_weeks}))

    years = scenario.weeks // 52
    hazard = [mean_ci([quit_rate(r, y) for r in records]) for y in range(years)]
    first_q = [metrics.column(r, "readiness_mean")[:EDGE_WEEKS].mean() for r in records]
    last_q = [metrics.column(r, "readiness_mean")[-EDGE_WEEKS:].mean() for r in records]
    readiness_rise = paired_difference(first_q, last_q)
    if years >= 2:
        hazard_change = paired_difference([quit_rate(r, 0) for r in records],
                                          [quit_rate(r, years - 1) for r in records])
        falling = hazard_change["ci_high"] is not None and hazard_change["ci_high"] < 0
    else:
        hazard_change, falling = dict(NONE), False
    rising = readiness_rise["ci_low"] is not None and readiness_rise["ci_low"] > 0
    results.append(Result("service_matures", hazard_change, rising and falling,
                          {"readiness_rise": readiness_rise, "falling": falling}))

    solo_t = [metrics.replicate_metrics(r, solo)["annual_turnover"] for r in solo_records]
    trio_t = [metrics.replicate_metrics(r, trios)["annual_turnover"] for r in trio_records]
    diff = welch_difference(solo_t, trio_t)
    results.append(Result("solo_posts_lose_more", diff, diff["ci_low"] > 0,
                          {"solo": mean_ci(solo_t), "teams_of_three": mean_ci(trio_t), "positions": solo.positions}))

    working = mean_ci([_share_working(r) for r in records])
    low, high = CLIENT_WORK_RANGE
    results.append(Result("client_employment", working, working["mean"] is not None and low <= working["mean"] <= high))

    shock = mean_ci([m["shock_share"] for m in per_rep])
    results.append(Result("quitting_mostly_gradual", shock, shock["ci_high"] is not None and shock["ci_high"] < 0.5))
    evidence = Evidence(scenario.name, len(records), metrics.weekly_band(records, "readiness_mean"), hazard,
                        {"solo posts": mean_ci(solo_t), "teams of three": mean_ci(trio_t)})
    return results, evidence
