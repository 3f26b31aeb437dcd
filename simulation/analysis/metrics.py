"""Metrics of run records: turnover, retention, quit reasons and pressures, with 95% CIs across replicates.

``outcome`` computes a scenario's metrics once; summary.json, the charts and every comparison use that
``Outcome``, so nothing is computed twice and a chart never needs the raw records.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulation.analysis import stats
from simulation.analysis.stats import Interval, mean_ci
from simulation.core import pressures
from simulation.core.clients import FOLLOW_UP_WEEKS, MISSING, ClientTable
from simulation.core.records import WEEKLY_COLUMNS, RunRecord, observed
from simulation.core.scenario import ORDINARY_REASONS, Scenario, effective

WEEKS_PER_YEAR = 52.0
SHARE: stats.Bounds = (0.0, 1.0)
RATE: stats.Bounds = (0.0, math.inf)
RETENTION_WEEKS = 52
GRADUAL_EARLY_WEEKS = 26
"""A gradual decision taken at a tenure of more than this many weeks counts as late (gradual_decisions_after_26w)."""
HEADLINE = (
    "annual_turnover", "avoidable_turnover", "ordinary_turnover", "study_cohort_left_share", "cohort_left_share",
    "retention_12m", "median_tenure_weeks", "shock_share", "ordinary_share", "gradual_decisions_after_26w",
    "job_starts_per_es_year", "job_starts_per_position_year", "job_starts_per_client_year",
    "vacancy_weeks_per_position_year", "clients_employed_12m", "clients_employed_18m", "clients_ever_employed_12m",
    "clients_ever_employed_18m", "es_changes_per_client",
)
"""The scalar metrics of summary.json, each reported as {mean, ci_low, ci_high}: the mean across
replicates with its 95% t interval, except ``median_tenure_weeks``, whose "mean" is the Kaplan-Meier
median of all replicates' spells pooled, with the interval read off the Greenwood band.
``annual_turnover`` counts every departure; ``avoidable_turnover`` (departures decided gradually or begun by a shock,
which a start-up plan can act on) and ``ordinary_turnover`` (promotion, moving, retirement: no lever changes them) add
up to it. ``shock_share`` is the share of the voluntary, non-ordinary quits begun by a shock, as B24 counted it (the
promoted left out); ``ordinary_share`` the share of all departures that were ordinary exits; and
``gradual_decisions_after_26w`` the share of gradual decisions taken after 26 weeks of tenure. Per run only (not in
summary.json), for calibration against B24's split of its four shock-led quits (one work-life conflict, one
reorganisation, two contracts that ended): ``shock_contract_share``, the share of the shock-led quits begun by a
short-term contract's end, and ``shock_reorganisation_share``, the share of the other shock-led quits begun by a
reorganisation (the two factor the three-way split into binomials).
Everything counts the observation window (records.observed: a warm-up's spells are not counted) except
``cohort_left_share``: ``study_cohort_left_share`` is the share of the ES in post when the window opens, whatever their
tenure, who left within ``cohort_window_weeks`` (the cohort B22a measured); ``cohort_left_share`` the share of the ES
who started in the run's first week (the first sites' first ES; with no warm-up, the ES in post at week 0, and then
the same as the study cohort) who left within ``cohort_window_weeks`` of it. Retention and tenure are of the ES who
started in the window (spells begun before it are left-truncated). ``job_starts_per_client_year`` is job starts per
client-year on a caseload. The client metrics follow each client from their own referral, as the Norwegian IPS trial
measured its participants (Reme19), among the clients referred in the window early enough to be followed that long
within it (``client_cohort``): ``clients_employed_12m`` and ``clients_employed_18m`` are the shares in competitive work
52 and 78 weeks after referral (status then), ``clients_ever_employed_12m`` and ``clients_ever_employed_18m`` the shares
who started a job within those spans (the trial's wording can be read both ways), and ``es_changes_per_client`` the
ES changes (their ES left them) per client in the 52 weeks after referral.
(present.words.DISPLAY says how each is shown to people.)"""
BOUNDS: dict[str, stats.Bounds] = {
    "annual_turnover": RATE, "avoidable_turnover": RATE, "ordinary_turnover": RATE, "cohort_left_share": SHARE,
    "study_cohort_left_share": SHARE, "job_starts_per_client_year": RATE,
    "ordinary_share": SHARE, "gradual_decisions_after_26w": SHARE, "retention_12m": SHARE, "median_tenure_weeks": RATE,
    "shock_share": SHARE, "job_starts_per_es_year": RATE, "job_starts_per_position_year": RATE,
    "vacancy_weeks_per_position_year": (0.0, WEEKS_PER_YEAR), "clients_employed_12m": SHARE,
    "clients_employed_18m": SHARE, "clients_ever_employed_12m": SHARE, "clients_ever_employed_18m": SHARE,
    "es_changes_per_client": RATE,
}
"""The range each headline metric can take: every interval of it (and of a difference of it) stays inside."""


def voluntary_quits(spells: Sequence[dict]) -> list[dict]:
    """The departures decided gradually or begun by a shock: every departure but the ordinary exits (what B24
    called voluntary quits, the promoted left out)."""
    return [s for s in spells if s["outcome"] == "quit" and s["exit_kind"] != "ordinary"]


def column(record: RunRecord, name: str) -> np.ndarray:
    i = WEEKLY_COLUMNS.index(name)
    return np.array([row[i] for row in record.weekly], dtype=float)


def positions(record: RunRecord) -> int:
    """Positions the model simulated, once all had opened: the scenario's, after the start-up plan (e.g. no solo posts)
    added any."""
    return int(record.weekly[-1][WEEKLY_COLUMNS.index("positions")])


def started_in_window(spells: Sequence[dict]) -> list[dict]:
    """The spells begun in the observation window (week 0 or later): those whose whole tenure it sees."""
    return [s for s in spells if s["start_week"] >= 0]


def survival(spells: Sequence[dict]) -> stats.Survival:
    """Kaplan-Meier estimate of staying in post (quits are events, open spells censored)."""
    quit = [s["end_week"] - s["start_week"] for s in spells if s["outcome"] == "quit"]
    open_ = [s["end_week"] - s["start_week"] for s in spells if s["outcome"] != "quit"]
    return stats.kaplan_meier(quit, open_)


def retention_at(spells: Sequence[dict], weeks: int) -> float:
    return float(survival(spells).evaluate(weeks))


def median_tenure(spells: Sequence[dict]) -> dict[str, float | None]:
    """Pooled Kaplan-Meier median tenure, with the CI read off the Greenwood band; None if not reached.

    Where the band is undefined (everyone still at risk quits at once), its bound is None.
    """
    sf = survival(spells)
    low, high = sf.confidence_interval(0.95)

    def first_below_half(fn: stats.StepFunction) -> float | None:
        below = fn.quantiles[fn.probabilities <= 0.5]
        return float(below[0]) if below.size else None

    return {"mean": first_below_half(sf), "ci_low": first_below_half(low), "ci_high": first_below_half(high)}


def client_cohort(clients: ClientTable, weeks: int, follow_up: int) -> np.ndarray:
    """Which clients were referred in the observation window (week 1 or later) early enough to be followed
    ``follow_up`` weeks within its ``weeks``."""
    referral = clients.referral_week
    return (referral >= 1) & (referral + follow_up <= weeks)


def client_metrics(clients: ClientTable, weeks: int) -> dict[str, float | None]:
    """Employment 12 and 18 months after each client's referral (status then, and ever by then), and ES changes
    per client in their first 12 months (each None when no client was followed that long)."""
    out: dict[str, float | None] = {}
    months = dict(zip(FOLLOW_UP_WEEKS, ("12m", "18m"), strict=True))
    for follow_up, label in months.items():
        cohort = client_cohort(clients, weeks, follow_up)
        employed = clients.employed_12m if label == "12m" else clients.employed_18m
        started = clients.first_job_week[cohort]
        ever = (started != MISSING) & (started - clients.referral_week[cohort] <= follow_up)
        out[f"clients_employed_{label}"] = float(employed[cohort].mean()) if cohort.any() else None
        out[f"clients_ever_employed_{label}"] = float(ever.mean()) if cohort.any() else None
    cohort = client_cohort(clients, weeks, FOLLOW_UP_WEEKS[0])
    out["es_changes_per_client"] = float(clients.es_changes_12m[cohort].mean()) if cohort.any() else None
    return {key: out[key] for key in ("clients_employed_12m", "clients_employed_18m", "clients_ever_employed_12m",
                                      "clients_ever_employed_18m", "es_changes_per_client")}


def replicate_metrics(record: RunRecord, scenario: Scenario) -> dict[str, float | None]:
    """Scalar metrics of one replicate."""
    spells = observed(record.spells)
    years = scenario.weeks / WEEKS_PER_YEAR
    headcount = column(record, "headcount").mean()
    clients = column(record, "clients_on_caseload").mean()
    quits = [s for s in spells if s["outcome"] == "quit"]
    window, first = scenario.cohort_window_weeks, -scenario.warm_up_weeks
    founders = [s for s in record.spells if s["start_week"] == first]
    founders_left = [s for s in founders if s["outcome"] == "quit" and s["end_week"] <= first + window]
    in_post = [s for s in spells if s["start_week"] <= 0]
    in_post_left = [s for s in in_post if s["outcome"] == "quit" and s["end_week"] <= window]
    position_years = column(record, "positions").sum() / WEEKS_PER_YEAR
    job_starts = column(record, "job_starts").sum()
    ordinary = [s for s in quits if s["exit_kind"] == "ordinary"]
    voluntary = voluntary_quits(quits)
    gradual = [s for s in quits if s["exit_kind"] == "gradual"]
    late = [s for s in gradual if s["decision_week"] - s["start_week"] > GRADUAL_EARLY_WEEKS]
    shocked = [s for s in voluntary if s["exit_kind"] == "shock"]
    contract = [s for s in shocked if s["shock"] == "contract_end"]
    other = [s for s in shocked if s["shock"] != "contract_end"]
    return {
        "annual_turnover": len(quits) / headcount / years if headcount else None,
        "avoidable_turnover": len(voluntary) / headcount / years if headcount else None,
        "ordinary_turnover": len(ordinary) / headcount / years if headcount else None,
        "study_cohort_left_share": len(in_post_left) / len(in_post) if in_post else None,
        "cohort_left_share": len(founders_left) / len(founders) if founders else None,
        "retention_12m": (retention_at(started_in_window(spells), RETENTION_WEEKS)
                          if scenario.weeks >= RETENTION_WEEKS else None),
        "shock_share": len(shocked) / len(voluntary) if voluntary else None,
        "shock_contract_share": len(contract) / len(shocked) if shocked else None,
        "shock_reorganisation_share": (sum(1 for s in other if s["shock"] == "reorganisation") / len(other)
                                       if other else None),
        "ordinary_share": len(ordinary) / len(quits) if quits else None,
        "gradual_decisions_after_26w": len(late) / len(gradual) if gradual else None,
        "job_starts_per_es_year": job_starts / headcount / years if headcount else None,
        "job_starts_per_position_year": job_starts / position_years,
        "job_starts_per_client_year": job_starts / clients / years if clients else None,
        "vacancy_weeks_per_position_year": column(record, "vacancies").sum() / position_years,
        **client_metrics(record.clients, scenario.weeks),
        # the denominators of the share metrics (COUNTS_OF): what a calibration target's kernel needs
        "study_cohort_size": len(in_post), "founders": len(founders), "voluntary_quits": len(voluntary),
        "quits": len(quits), "shock_quits": len(shocked), "other_shock_quits": len(other),
    }


COUNTS_OF = {
    "study_cohort_left_share": "study_cohort_size", "cohort_left_share": "founders", "shock_share": "voluntary_quits",
    "ordinary_share": "quits", "shock_contract_share": "shock_quits", "shock_reorganisation_share": "other_shock_quits",
}
"""Each share metric that is a count of ES or of quits over a count, and the per-run metric that is its denominator:
a share times its denominator is the run's count of successes (what calibration kernels compare with observed
counts)."""


@dataclass(frozen=True)
class SiteTally:
    """One site entry's window in one replicate: its departures and the ES-years its ES worked (its sites pooled)."""

    quits: int
    es_years: float

    @property
    def turnover(self) -> float | None:
        """Departures per ES-year: the entry's annual turnover (None if nobody worked there)."""
        return self.quits / self.es_years if self.es_years else None


def site_tallies(record: RunRecord, scenario: Scenario) -> dict[str, SiteTally]:
    """Each site entry's departures and ES-years in the window, in the scenario's order. An ES counts in the weeks
    the weekly headcount counts them (from their start, or week 1, until the week before they left, or to the end),
    so the entries' ES-years add up to the headcount's and their turnovers average (weighted by ES-years) to
    ``annual_turnover``."""
    weeks = scenario.weeks
    quits = dict.fromkeys((s.name for s in scenario.sites), 0)
    es_weeks = dict.fromkeys(quits, 0)
    for s in observed(record.spells):
        last = s["end_week"] - 1 if s["outcome"] == "quit" else weeks
        es_weeks[s["entry"]] += max(0, min(last, weeks) - max(s["start_week"], 1) + 1)
        quits[s["entry"]] += s["outcome"] == "quit"
    return {entry: SiteTally(quits[entry], es_weeks[entry] / WEEKS_PER_YEAR) for entry in quits}


def quit_reasons(records: Sequence[RunRecord]) -> dict[str, float]:
    """Mean share of attributed drain per draining factor over every voluntary (not ordinary) quit in every
    replicate."""
    quits = [s for r in records for s in voluntary_quits(observed(r.spells))]
    if not quits:
        return {f.name: 0.0 for f in pressures.DRAINS}
    return {f.name: float(np.mean([s[f.share_column] for s in quits])) for f in pressures.DRAINS}


def _summary(records: Sequence[RunRecord], scenario: Scenario, per_rep: Sequence[dict],
             per_site: Sequence[dict[str, SiteTally]]) -> dict:
    summary: dict = {"scenario": scenario.name, "replicates": len(records), "weeks": scenario.weeks,
                     "warm_up_weeks": scenario.warm_up_weeks, "positions": positions(records[0])}
    for key in (k for k in per_rep[0] if k in HEADLINE):  # the per-run-only metrics (calibration's) stay out
        summary[key] = mean_ci([m[key] for m in per_rep], bounds=BOUNDS[key])
    summary["cohort_left_share"]["window_weeks"] = scenario.cohort_window_weeks
    summary["study_cohort_left_share"]["window_weeks"] = scenario.cohort_window_weeks
    summary["median_tenure_weeks"] = median_tenure([s for r in records
                                                    for s in started_in_window(observed(r.spells))])
    summary["quit_reasons"] = quit_reasons(records)
    shocks = Counter(s["shock"] for r in records for s in voluntary_quits(observed(r.spells)))
    summary["quits_by_shock"] = {k or "none (gradual)": v for k, v in sorted(shocks.items())}
    reasons = Counter(s["ordinary_reason"] for r in records for s in observed(r.spells)
                      if s["exit_kind"] == "ordinary")
    summary["ordinary_exits_by_reason"] = {reason: reasons[reason] for reason in ORDINARY_REASONS}
    summary["turnover_by_site"] = {entry: mean_ci([t[entry].turnover for t in per_site], bounds=RATE)
                                   for entry in per_site[0]}
    planned = effective(scenario)
    summary["site_entries"] = {s.name: {"sites": s.count, "positions": s.positions} for s in planned.sites}
    return {k: summary[k] for k in ["scenario", "replicates", "weeks", "warm_up_weeks", "positions", *HEADLINE,
                                      "turnover_by_site", "site_entries", "quit_reasons", "quits_by_shock",
                                      "ordinary_exits_by_reason"]}


@dataclass(frozen=True)
class Band:
    """A weekly (or tenure-week) curve across replicates: the mean and its 95% CI at each x."""

    x: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray

    def __iter__(self):  # noqa: ANN204 - unpacks as (x, mean, low, high)
        return iter((self.x, self.mean, self.low, self.high))


def weekly_band(records: Sequence[RunRecord], name: str) -> Band:
    """Weeks, mean and 95% CI of the mean across replicates for one weekly column."""
    return Band(column(records[0], "week"), *stats.band(np.vstack([column(r, name) for r in records])))


def net_pressure(record: RunRecord) -> np.ndarray:
    """A replicate's weekly net pressure: all effective drain minus all effective gains (buffers act through the
    drain)."""
    return (sum(column(record, f.weekly_column) for f in pressures.DRAINS)
            - sum(column(record, f.weekly_column) for f in pressures.NOURISHERS))


def net_pressure_band(records: Sequence[RunRecord]) -> Band:
    """Weeks, mean and 95% CI of the weekly net pressure (all drain minus all nourishment)."""
    return Band(column(records[0], "week"), *stats.band(np.vstack([net_pressure(r) for r in records])))


def retention_band(records: Sequence[RunRecord], weeks: int) -> Band:
    """Kaplan-Meier retention by tenure week: mean across replicates with its 95% CI."""
    grid = np.arange(weeks + 1)
    mean, low, high = stats.band(np.vstack([survival(started_in_window(observed(r.spells))).evaluate(grid)
                                            for r in records]))
    return Band(grid, mean, np.clip(low, 0, 1), np.clip(high, 0, 1))


def pressure_means(records: Sequence[RunRecord]) -> dict[str, Interval]:
    """Mean weekly effective amount of each factor over the horizon (by its weekly column, ``drain_<f>`` or
    ``nourish_<f>``; a buffer's ``buffer_<f>`` is its mean intensity) and of the net balance (``net``: all drain minus all nourishment), with 95% CIs across
    replicates."""
    per_rep = {f.weekly_column: [float(column(r, f.weekly_column).mean()) for r in records] for f in pressures.ALL}
    net = [float(net_pressure(r).mean()) for r in records]
    return {**{name: mean_ci(values, bounds=RATE) for name, values in per_rep.items()}, "net": mean_ci(net)}


def quit_reason_intervals(records: Sequence[RunRecord]) -> dict[str, Interval] | None:
    """Per draining factor, the replicates' mean share of voluntary (not ordinary) leavers' drain with its 95% CI
    (replicates without such a quit left out); None when nobody quit so in any replicate."""
    per_rep = []
    for record in records:
        quits = voluntary_quits(observed(record.spells))
        if quits:
            per_rep.append([np.mean([s[f.share_column] for s in quits]) for f in pressures.DRAINS])
    if not per_rep:
        return None
    return {f.name: mean_ci(col, bounds=SHARE) for f, col in zip(pressures.DRAINS, zip(*per_rep, strict=True),
                                                                 strict=True)}


CHART_COLUMNS = ("headcount", "vacancies", "readiness_mean")
"""Weekly columns whose band the charts draw (besides every factor's)."""


@dataclass(frozen=True)
class Outcome:
    """One scenario's metrics, computed once: its summary.json, its charts and any comparison use them.

    It holds no raw records, so that a comparison of many scenarios keeps only this per scenario.
    """

    summary: dict
    """The scenario's summary.json."""
    per_replicate: list[dict[str, float | None]]
    """replicate_metrics of each replicate, in seed order (replicate k pairs with k elsewhere)."""
    retention: Band
    """retention_band over the horizon."""
    pressures: dict[str, Interval]
    """pressure_means."""
    weekly: dict[str, Band]
    """The band of each CHART_COLUMNS column and of each factor's weekly column."""
    net: Band
    """net_pressure_band."""
    quit_reasons: dict[str, Interval] | None
    """quit_reason_intervals."""
    per_site: list[dict[str, SiteTally]]
    """site_tallies of each replicate, in seed order."""

    @property
    def name(self) -> str:
        return self.summary["scenario"]

    @property
    def replicates(self) -> int:
        return self.summary["replicates"]


def outcome(records: Sequence[RunRecord], scenario: Scenario) -> Outcome:
    per_rep = [replicate_metrics(r, scenario) for r in records]
    per_site = [site_tallies(r, scenario) for r in records]
    weekly = {name: weekly_band(records, name) for name in (*CHART_COLUMNS, *(f.weekly_column for f in pressures.ALL))}
    return Outcome(_summary(records, scenario, per_rep, per_site), per_rep, retention_band(records, scenario.weeks),
                   pressure_means(records), weekly, net_pressure_band(records), quit_reason_intervals(records),
                   per_site)


def difference(reference: Outcome, other: Outcome, metric: str) -> Interval:
    """``other`` minus ``reference`` for a per-replicate metric, paired replicate by replicate."""
    return stats.paired_difference([r[metric] for r in reference.per_replicate],
                                   [r[metric] for r in other.per_replicate], BOUNDS[metric])


def site_difference(reference: Outcome, other: Outcome, entry: str) -> Interval:
    """``other`` minus ``reference`` for one site entry's annual turnover, paired replicate by replicate (None parts
    when either lacks the entry)."""
    if entry not in reference.per_site[0] or entry not in other.per_site[0]:
        return dict(stats.NONE)
    return stats.paired_difference([t[entry].turnover for t in reference.per_site],
                                   [t[entry].turnover for t in other.per_site], RATE)


def turnover_decomposition(reference: Outcome, other: Outcome) -> dict[str, Interval] | None:
    """How the change in annual turnover from ``reference`` to ``other`` splits, paired replicate by replicate:
    ``within_sites``, the change in each site entry's turnover at the reference's staff mix (each entry weighted by
    its share of the reference's ES-years), and ``staff_mix``, the change due to the ES-years moving between
    entries (a plan that adds positions at high-turnover sites raises it). The two add up to the change in the
    ES-year-weighted mean turnover, which is ``annual_turnover``'s change. None when the two lack the same site
    entries."""
    if list(reference.per_site[0]) != list(other.per_site[0]):
        return None
    within, mix = [], []
    for ref, oth in zip(reference.per_site, other.per_site, strict=True):
        total_ref = sum(t.es_years for t in ref.values())
        total_oth = sum(t.es_years for t in oth.values())
        if not total_ref or not total_oth:
            continue
        w_in = w_mix = 0.0
        for entry, r in ref.items():
            o = oth[entry]
            share_ref, share_oth = r.es_years / total_ref, o.es_years / total_oth
            w_in += share_ref * ((o.turnover or 0.0) - (r.turnover or 0.0))
            w_mix += (share_oth - share_ref) * (o.turnover or 0.0)
        within.append(w_in)
        mix.append(w_mix)
    return {"within_sites": mean_ci(within), "staff_mix": mean_ci(mix)}
