"""Pattern-oriented validation: does the calibrated model show observed patterns it was not fitted to?

Each pattern states what was observed (with its source), what the model computes, the criterion
for "met" and the simulated value with its 95% CI across replicates. A pattern that is not met is
reported as such, with what the model does instead (docs/validation.md discusses each).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from simulation import experiment, metrics
from simulation.model import RunRecord
from simulation.scenario import Scenario

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
    key: str
    pattern: str
    observed: str
    measure: str
    value: dict[str, float | None]
    criterion: str
    met: bool
    note: str
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Evidence:
    """What the pattern checks computed from, for the charts."""

    scenario: Scenario
    records: list[RunRecord]
    hazard_by_year: list[dict[str, float | None]]
    structure: dict[str, dict[str, float | None]]


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


def check(scenario: Scenario, seeds: list[int], workers: int,
          progress: Callable[[int], None] | None = None) -> tuple[list[Result], Evidence]:
    """Run the scenario and its two team-structure variants and evaluate every pattern."""
    solo, trios = structure_variants(scenario)
    records, solo_records, trio_records = experiment.run_batches(
        [(scenario, seeds), (solo, seeds), (trios, seeds)], workers=workers, progress=progress)
    per_rep = [metrics.replicate_metrics(r, scenario) for r in records]
    window = scenario.cohort_window_weeks
    results = []

    cohort = metrics.mean_ci([m["cohort_left_share"] for m in per_rep])
    results.append(Result(
        "turnover_above_public_sector",
        "ES turnover is well above the regional public-sector figure",
        "45.0% of IPS ES against 27.1% of other public-sector staff left over the same window [B22a]",
        f"share of the ES in post at week 0 gone within {window} weeks (cohort_left_share)",
        cohort, "the 95% CI lies above 27.1%", cohort["ci_low"] is not None and cohort["ci_low"] > PUBLIC_SECTOR_SHARE,
        "Not independent of the fit: 45% was a calibration target; the check is that, with its uncertainty, "
        "the calibrated model stays clearly above the public-sector comparator."))

    years = scenario.weeks // 52
    hazard = [metrics.mean_ci([quit_rate(r, y) for r in records]) for y in range(years)]
    first_q = [metrics.column(r, "readiness_mean")[:EDGE_WEEKS].mean() for r in records]
    last_q = [metrics.column(r, "readiness_mean")[-EDGE_WEEKS:].mean() for r in records]
    readiness_rise = metrics.paired_difference(first_q, last_q)
    if years >= 2:
        hazard_change = metrics.paired_difference([quit_rate(r, 0) for r in records],
                                                  [quit_rate(r, years - 1) for r in records])
        falling = hazard_change["ci_high"] is not None and hazard_change["ci_high"] < 0
    else:
        hazard_change, falling = {"mean": None, "ci_low": None, "ci_high": None}, False
    rising = readiness_rise["ci_low"] is not None and readiness_rise["ci_low"] > 0
    results.append(Result(
        "service_matures",
        "Early problems ease as the service matures: readiness rises and the quit hazard falls",
        "a later wave of the programme found the early problems largely resolved [Moe25]; "
        "ES who had worked a while were more optimistic [M21]",
        f"readiness over the last minus the first {EDGE_WEEKS} weeks; decisions to quit per ES-year in the last "
        f"full year of the service minus the first",
        hazard_change, "readiness rises (95% CI above 0) and the quit rate falls (95% CI below 0)",
        rising and falling,
        ("Readiness rises by " + _num(readiness_rise["mean"]) + " on its 0-1 scale (95% CI " + _ci(readiness_rise)
         + "); decisions to quit per ES-year change by " + _num(hazard_change["mean"]) + " (95% CI " + _ci(hazard_change) + ")."
         + ("" if falling else " The quit rate does not fall: each departure brings a new ES with a fresh "
            "expectation gap and knowledge is lost as staff leave, which offsets maturing readiness within the horizon.")),
        {"readiness_rise": readiness_rise}))

    solo_t = [metrics.replicate_metrics(r, solo)["annual_turnover"] for r in solo_records]
    trio_t = [metrics.replicate_metrics(r, trios)["annual_turnover"] for r in trio_records]
    welch = stats.ttest_ind(solo_t, trio_t, equal_var=False).confidence_interval(0.95)
    diff = {"mean": float(np.mean(solo_t) - np.mean(trio_t)), "ci_low": float(welch.low), "ci_high": float(welch.high)}
    results.append(Result(
        "solo_posts_lose_more",
        "Solo posts lose more ES than teams",
        "isolation drained, being part of a team nourished; 'a team-player without a team' [B24, M21]",
        f"annual turnover with {solo.positions} positions as solo posts minus as teams of three "
        f"(same sites otherwise; Welch interval)",
        diff, "the 95% CI lies above 0", diff["ci_low"] > 0,
        "Team structure is fixed in the variants only; the comparison holds everything else equal.",
        {"solo": metrics.mean_ci(solo_t), "teams_of_three": metrics.mean_ci(trio_t)}))

    working = metrics.mean_ci([_share_working(r) for r in records])
    low, high = CLIENT_WORK_RANGE
    results.append(Result(
        "client_employment",
        "Client employment is in the range of the Norwegian IPS trial",
        "36.6% of IPS clients in competitive work at 12 months, 37.4% at 18 [Reme19]; 41-50% in routine "
        "US programmes (IPS learning community)",
        f"share of clients on caseloads in competitive work, weeks {CLIENT_WORK_WEEKS[0]}-{CLIENT_WORK_WEEKS[1]}",
        working, f"the mean lies within {low:.0%}-{high:.0%}",
        working["mean"] is not None and low <= working["mean"] <= high,
        "A proxy, not the trial's measure: the trial counts everyone randomised, working or not, at 12 and 18 "
        "months; the model's share is a point prevalence among clients still on caseloads, which leaves out "
        "clients whose follow-along support has ended (many of them still working) and counts everyone still "
        "searching or out of contact. The client transition rates are assumptions, not calibrated to [Reme19]. "
        "Following each client's employment after support ends would need clients as individuals, which the "
        "count-based caseloads do not keep." + ("" if low <= (working["mean"] or 0) <= high else
                                                " A value below the band says the proxy, the assumed rates or both "
                                                "fall short of the trial; it is not evidence either way on turnover.")))

    shock = metrics.mean_ci([m["shock_share"] for m in per_rep])
    results.append(Result(
        "quitting_mostly_gradual",
        "Quitting is mostly gradual, with a minority of shock-led exits",
        "most leavers could name no single moment; 4 of 10 quits began with a shock [B24]",
        "share of quits begun by a shock (shock_share)",
        shock, "the 95% CI lies below 50%", shock["ci_high"] is not None and shock["ci_high"] < 0.5,
        "Not independent of the fit: 4 of 10 was a calibration target; the check is that shock-led exits stay a "
        "minority."))
    evidence = Evidence(scenario, records, hazard, {"solo posts": metrics.mean_ci(solo_t),
                                                     "teams of three": metrics.mean_ci(trio_t)})
    return results, evidence


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.3f}"


def _ci(d: dict[str, float | None]) -> str:
    return "n/a" if d["ci_low"] is None else f"{d['ci_low']:+.3f} to {d['ci_high']:+.3f}"


def markdown(results: list[Result], scenario: Scenario, replicates: int) -> str:
    met = sum(r.met for r in results)
    lines = [f"# Patterns: {scenario.name}", "",
             (f"{met} of {len(results)} patterns met ({replicates} replicates of {scenario.weeks} weeks; "
             f"95% CIs across replicates)."), "",
             "| pattern | observed | model measure | simulated (95% CI) | criterion | met |", "|---|---|---|---|---|---|"]
    for r in results:
        v = r.value
        shown = "n/a" if v["mean"] is None else f"{v['mean']:.3f} ({_plain_ci(v)})"
        lines.append(f"| {r.pattern} | {r.observed} | {r.measure} | {shown} | {r.criterion} | "
                     f"{'**met**' if r.met else '**not met**'} |")
    lines += ["", "## Notes", ""]
    lines += [f"- **{r.pattern}** ({'met' if r.met else 'not met'}): {r.note}" for r in results]
    return "\n".join(lines) + "\n"


def _plain_ci(v: dict[str, float | None]) -> str:
    return "-" if v["ci_low"] is None else f"{v['ci_low']:.3f} to {v['ci_high']:.3f}"
