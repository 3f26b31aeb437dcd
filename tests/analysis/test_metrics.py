"""Direct unit tests of simulation.analysis.metrics on tiny hand-made run records whose metrics are known by hand,
and one cheap check of the metrics' invariants on the real model."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pytest

from simulation.analysis import metrics, stats
from simulation.analysis.metrics import (
    COUNTS_OF,
    HEADLINE,
    Outcome,
    difference,
    median_tenure,
    net_pressure,
    outcome,
    positions,
    quit_reason_intervals,
    quit_reasons,
    replicate_metrics,
    retention_at,
    survival,
    weekly_band,
)
from simulation.analysis.stats import mean_ci
from simulation.core import pressures
from simulation.core.clients import MISSING, ClientTable
from simulation.core.model import IPSModel
from simulation.core.records import WEEKLY_COLUMNS, RunRecord
from simulation.core.scenario import Scenario, opened_at_once
from tests.helpers import with_horizon

WEEKS = 104
"""Horizon of the hand-made records: two years, so ``years`` is exactly 2 and retention_12m is defined."""
WINDOW = 52
"""Cohort window of the hand-made scenario."""
ENTRY = "regional-centre"
"""The site entry of every hand-made spell: one of the baseline's."""


# --- building hand-made records ----------------------------------------------------------------


def weekly_rows(weeks: int, columns: Mapping[str, float | Sequence[float]]) -> list[list[float]]:
    """Weekly rows in WEEKLY_COLUMNS order, zero except ``columns`` (a constant or one value per week); the week
    column counts 1..weeks as the model's does, and the open positions are headcount plus vacancies unless given."""
    table = np.zeros((weeks, len(WEEKLY_COLUMNS)))
    table[:, WEEKLY_COLUMNS.index("week")] = np.arange(1, weeks + 1)
    for name, values in columns.items():
        table[:, WEEKLY_COLUMNS.index(name)] = values
    if "positions" not in columns:
        table[:, WEEKLY_COLUMNS.index("positions")] = (table[:, WEEKLY_COLUMNS.index("headcount")]
                                                       + table[:, WEEKLY_COLUMNS.index("vacancies")])
    return table.tolist()


def spell(start: int, end: int, outcome: str = "quit", shock: str = "", shares: Mapping[str, float] | None = None,
          position: int = 0, ordinary: str = "") -> dict:
    """A spell with every key the model writes; drain shares default to none (zero for every draining factor).
    A quit is gradual unless it has a ``shock`` or an ``ordinary`` reason."""
    shares = dict(shares or {})
    unknown = set(shares) - {f.name for f in pressures.DRAINS}
    assert not unknown, f"not draining factors: {unknown}"
    kind = ("ordinary" if ordinary else "shock" if shock else "gradual") if outcome == "quit" else ""
    return {
        "site": ENTRY, "entry": ENTRY, "position": position, "role": "es", "start_week": start, "end_week": end, "outcome": outcome,
        "decision_week": max(start, end - 13) if outcome == "quit" else None, "shock": shock,
        "exit_kind": kind, "ordinary_reason": ordinary, "contract": "permanent", "threshold": 1.3,
        **{f.share_column: shares.get(f.name, 0.0) for f in pressures.DRAINS},
    }


@pytest.fixture(scope="module")
def scenario(baseline: Scenario) -> Scenario:
    """The baseline shortened to the hand-made records' horizon: 104 weeks, a 52-week cohort window, every site open
    in week 0 (no warm-up, as the hand-made records have none)."""
    return with_horizon(opened_at_once(baseline), WEEKS, WINDOW)


@pytest.fixture
def record_a() -> RunRecord:
    """Five quits, no censoring.

    Weekly: 4 in post and no vacancy for weeks 1-52, then 3 in post and 1 vacancy (positions 4; mean headcount 3.5;
    52 vacancy weeks); a job start in each of the first 16 weeks.
    Spells (duration): four of the week-0 cohort, quitting after 30, 52, 60 and 80 weeks, and a later hire who
    quits after 60 weeks; two of the five quits began with a shock.
    """
    half = [1.0] * 52
    weekly = weekly_rows(WEEKS, {
        "headcount": [4.0] * 52 + [3.0] * 52,
        "vacancies": [0.0] * 52 + half,
        "job_starts": [1.0] * 16 + [0.0] * (WEEKS - 16),
    })
    spells = [
        spell(0, 30, shock="reorganisation", shares={"travel": 1.0}, position=0),
        spell(0, 52, shares={"caseload_size": 1.0}, position=1),
        spell(0, 60, shares={"travel": 0.5, "role_conflict": 0.5}, position=2),
        spell(0, 80, shock="work_life_conflict", shares={"travel": 1.0}, position=3),
        spell(30, 90, shares={"role_conflict": 1.0}, position=0),
    ]
    return RunRecord(seed=1, weekly=weekly, spells=spells)


@pytest.fixture
def record_b() -> RunRecord:
    """One gradual quit, four spells still open at the end.

    Weekly: 4 in post throughout, no vacancies, no job starts. Spells: the week-0 cohort of four, one of whom quits
    after 20 weeks (all drain from unmet expectations) and is replaced at week 21; the rest are censored at 104.
    """
    weekly = weekly_rows(WEEKS, {"headcount": 4.0})
    spells = [
        spell(0, 20, shares={"unmet_expectations": 1.0}, position=0),
        spell(21, WEEKS, outcome="censored", position=0),
        spell(0, WEEKS, outcome="censored", position=1),
        spell(0, WEEKS, outcome="censored", position=2),
        spell(0, WEEKS, outcome="censored", position=3),
    ]
    return RunRecord(seed=2, weekly=weekly, spells=spells)


@pytest.fixture
def record_c() -> RunRecord:
    """Nobody quits: four in post throughout, every spell censored at the end."""
    weekly = weekly_rows(WEEKS, {"headcount": 4.0})
    return RunRecord(seed=3, weekly=weekly,
                     spells=[spell(0, WEEKS, outcome="censored", position=p) for p in range(4)])


@pytest.fixture
def censored_spells() -> list[dict]:
    """Quits after 10, 30, 30 and 50 weeks, spells open after 20 and 40 weeks.

    Kaplan-Meier by hand: at 10, 6 at risk, 1 quits -> S = 5/6; the spell censored at 20 leaves 4 at risk at 30,
    where 2 quit -> S = 5/6 * 2/4 = 5/12; the spell censored at 40 leaves 1 at risk at 50, who quits -> S = 0.
    """
    return [spell(0, 10), spell(0, 20, outcome="censored"), spell(0, 30), spell(5, 35), spell(0, 40, "censored"),
            spell(10, 60)]


UNDEFINED_GREENWOOD = "ignore:The confidence interval is undefined:RuntimeWarning"
"""Where the Greenwood band is undefined (everyone still at risk quits, as in censored_spells) scipy.stats warned;
analysis.stats.kaplan_meier does not, so the filter only keeps these tests independent of the implementation."""


def interval_keys_ok(value: object) -> bool:
    return isinstance(value, dict) and {"mean", "ci_low", "ci_high"} <= set(value)


# --- helpers: column, positions ----------------------------------------------------------------


def test_column_reads_one_weekly_column_as_floats(record_a: RunRecord) -> None:
    headcount = metrics.column(record_a, "headcount")
    assert headcount.dtype == float
    assert headcount.shape == (WEEKS,)
    assert headcount.mean() == 3.5


def test_positions_are_the_last_weeks_open_positions(record_a: RunRecord) -> None:
    """Sites and positions open over time: the positions simulated are those open at the end."""
    record_a.weekly[0][WEEKLY_COLUMNS.index("positions")] = 2.0  # fewer open in the first week than later
    record_a.weekly[-1][WEEKLY_COLUMNS.index("positions")] = 6.0
    assert positions(record_a) == 6


# --- replicate_metrics -------------------------------------------------------------------------


def test_annual_turnover_is_quits_per_mean_headcount_per_year(record_a: RunRecord, scenario: Scenario) -> None:
    # 5 quits / mean headcount 3.5 / 2 years.
    assert replicate_metrics(record_a, scenario)["annual_turnover"] == pytest.approx(5 / 3.5 / 2)


def test_annual_turnover_does_not_count_censored_spells(record_b: RunRecord, scenario: Scenario) -> None:
    assert replicate_metrics(record_b, scenario)["annual_turnover"] == pytest.approx(1 / 4 / 2)


def test_annual_turnover_is_none_without_anybody_in_post(record_c: RunRecord, scenario: Scenario) -> None:
    empty = RunRecord(seed=0, weekly=weekly_rows(WEEKS, {"vacancies": 4.0}), spells=record_c.spells)
    assert replicate_metrics(empty, scenario)["annual_turnover"] is None
    assert replicate_metrics(empty, scenario)["job_starts_per_es_year"] is None


def mixed_exits() -> RunRecord:
    """Four in post for two years: a gradual quit decided at tenure 17, another at 47, one begun by a shock, and two
    ordinary exits (a promotion, a move)."""
    return RunRecord(seed=0, weekly=weekly_rows(WEEKS, {"headcount": 4.0}), spells=[
        spell(0, 30, position=0), spell(0, 60, position=1), spell(0, 40, shock="reorganisation", position=2),
        spell(0, 50, ordinary="promotion", position=3), spell(30, 90, ordinary="moving", position=0),
        spell(40, WEEKS, outcome="censored", position=2),
    ])


def test_avoidable_and_ordinary_turnover_add_up_to_all_cause_turnover(scenario: Scenario) -> None:
    m = replicate_metrics(mixed_exits(), scenario)
    assert m["annual_turnover"] == pytest.approx(5 / 4 / 2)
    assert m["avoidable_turnover"] == pytest.approx(3 / 4 / 2)  # two gradual, one shock-led
    assert m["ordinary_turnover"] == pytest.approx(2 / 4 / 2)
    assert m["ordinary_share"] == pytest.approx(2 / 5)


def test_shock_share_is_of_the_voluntary_quits_only(scenario: Scenario) -> None:
    """As B24 counted it: the promoted (ordinary exits) are left out of the denominator."""
    assert replicate_metrics(mixed_exits(), scenario)["shock_share"] == pytest.approx(1 / 3)


def test_gradual_decisions_after_26w_is_the_share_of_gradual_decisions_taken_later(scenario: Scenario) -> None:
    # Gradual decisions at tenure 30 - 13 = 17 and 60 - 13 = 47: one of two after 26 weeks.
    assert replicate_metrics(mixed_exits(), scenario)["gradual_decisions_after_26w"] == pytest.approx(1 / 2)
    only_shocks = RunRecord(seed=0, weekly=weekly_rows(WEEKS, {"headcount": 1.0}),
                            spells=[spell(0, 40, shock="work_life_conflict")])
    assert replicate_metrics(only_shocks, scenario)["gradual_decisions_after_26w"] is None


def test_ordinary_exits_are_counted_by_reason_in_the_summary(scenario: Scenario) -> None:
    summary = metrics.outcome([mixed_exits()], scenario).summary
    assert summary["ordinary_exits_by_reason"] == {"promotion": 1, "moving": 1, "retirement": 0, "other": 0}
    assert summary["quits_by_shock"] == {"none (gradual)": 2, "reorganisation": 1}


def test_cohort_left_share_counts_week_0_starters_who_quit_within_the_window(
        record_a: RunRecord, scenario: Scenario) -> None:
    # Cohort: the four week-0 starters. Within the 52-week window: the quits at 30 and at 52 (the window's last week
    # counts); the quits at 60 and 80 come too late; the later hire's quit is not the cohort's.
    assert replicate_metrics(record_a, scenario)["cohort_left_share"] == pytest.approx(2 / 4)


def test_cohort_left_share_leaves_out_later_starters_and_open_spells(record_b: RunRecord, scenario: Scenario) -> None:
    # Cohort of four; one quits at 20; the replacement (start 21) is not in the cohort's denominator.
    assert replicate_metrics(record_b, scenario)["cohort_left_share"] == pytest.approx(1 / 4)


def test_cohort_left_share_follows_the_scenario_window(record_a: RunRecord, scenario: Scenario) -> None:
    # A 104-week window takes in all four cohort quits.
    assert replicate_metrics(record_a, with_horizon(scenario, WEEKS, WEEKS))["cohort_left_share"] == pytest.approx(1.0)
    # A 51-week window takes in only the quit at 30.
    assert replicate_metrics(record_a, with_horizon(scenario, WEEKS, 51))["cohort_left_share"] == pytest.approx(1 / 4)


def test_cohort_left_share_is_none_without_a_week_0_cohort(scenario: Scenario) -> None:
    record = RunRecord(seed=0, weekly=weekly_rows(WEEKS, {"headcount": 1.0}), spells=[spell(3, 40)])
    assert replicate_metrics(record, scenario)["cohort_left_share"] is None


def test_retention_12m_without_censoring_is_the_share_still_in_post_at_52_weeks(
        record_a: RunRecord, scenario: Scenario) -> None:
    # Durations 30, 52, 60, 80, 60: three of five lasted beyond 52 weeks (the one who left at 52 is gone by then).
    assert replicate_metrics(record_a, scenario)["retention_12m"] == pytest.approx(3 / 5)


def test_retention_12m_uses_kaplan_meier_with_censoring(record_b: RunRecord, scenario: Scenario) -> None:
    # Five spells at risk at 20 weeks, one quits: S = 4/5; the rest are open beyond 52 weeks (83 and 104 weeks).
    assert replicate_metrics(record_b, scenario)["retention_12m"] == pytest.approx(4 / 5)


def test_retention_12m_is_none_on_a_horizon_shorter_than_a_year(record_a: RunRecord, baseline: Scenario) -> None:
    assert replicate_metrics(record_a, with_horizon(baseline, 51, 51))["retention_12m"] is None


def test_shock_share_is_the_share_of_quits_that_began_with_a_shock(record_a: RunRecord, scenario: Scenario) -> None:
    assert replicate_metrics(record_a, scenario)["shock_share"] == pytest.approx(2 / 5)


def test_shock_share_is_none_without_quits(record_c: RunRecord, scenario: Scenario) -> None:
    assert replicate_metrics(record_c, scenario)["shock_share"] is None


def test_job_starts_per_es_year_divide_by_mean_headcount(record_a: RunRecord, scenario: Scenario) -> None:
    # 16 job starts / mean headcount 3.5 / 2 years.
    assert replicate_metrics(record_a, scenario)["job_starts_per_es_year"] == pytest.approx(16 / 3.5 / 2)


def test_job_starts_per_position_year_divide_by_positions(record_a: RunRecord, scenario: Scenario) -> None:
    # 16 job starts / (4 positions * 2 years).
    assert replicate_metrics(record_a, scenario)["job_starts_per_position_year"] == pytest.approx(16 / 8)


def test_vacancy_weeks_per_position_year(record_a: RunRecord, scenario: Scenario) -> None:
    # 52 vacancy weeks / (4 positions * 2 years).
    assert replicate_metrics(record_a, scenario)["vacancy_weeks_per_position_year"] == pytest.approx(52 / 8)


def test_replicate_metrics_of_a_quiet_replicate(record_c: RunRecord, scenario: Scenario) -> None:
    m = replicate_metrics(record_c, scenario)
    assert m["annual_turnover"] == 0.0
    assert m["cohort_left_share"] == 0.0
    assert m["retention_12m"] == 1.0
    assert m["job_starts_per_position_year"] == 0.0
    assert m["vacancy_weeks_per_position_year"] == 0.0


def test_replicate_metrics_are_the_headline_metrics_except_median_tenure(
        record_a: RunRecord, scenario: Scenario) -> None:
    # median_tenure_weeks is pooled over replicates (metrics.median_tenure), not per replicate.
    found = list(replicate_metrics(record_a, scenario))
    assert [k for k in found if k in HEADLINE] == [k for k in HEADLINE if k != "median_tenure_weeks"]
    # the rest are per run only, for calibration: B24's split of the shock-led quits and every share's denominator
    assert {k for k in found if k not in HEADLINE} == {"shock_contract_share", "shock_reorganisation_share",
                                                       *COUNTS_OF.values()}


# --- survival, retention_at, median_tenure -----------------------------------------------------


def test_retention_at_reads_the_kaplan_meier_curve_with_censoring(censored_spells: list[dict]) -> None:
    assert retention_at(censored_spells, 0) == 1.0
    assert retention_at(censored_spells, 9) == 1.0
    assert retention_at(censored_spells, 10) == pytest.approx(5 / 6)
    assert retention_at(censored_spells, 25) == pytest.approx(5 / 6)  # a censored spell is no event
    assert retention_at(censored_spells, 45) == pytest.approx(5 / 12)
    assert retention_at(censored_spells, 50) == 0.0


def test_kaplan_meier_differs_from_the_plain_share_under_censoring(censored_spells: list[dict]) -> None:
    # Plain share of spells lasting beyond 45 weeks: 1/6; Kaplan-Meier, which stops counting the spells censored
    # at 20 and 40 weeks rather than counting them as gone: 5/12.
    plain = sum(s["end_week"] - s["start_week"] > 45 for s in censored_spells) / len(censored_spells)
    assert plain == pytest.approx(1 / 6)
    assert retention_at(censored_spells, 45) == pytest.approx(5 / 12)


def test_survival_measures_tenure_from_each_spells_own_start(censored_spells: list[dict]) -> None:
    sf = survival(censored_spells)
    np.testing.assert_array_equal(sf.quantiles, [10, 20, 30, 40, 50])
    np.testing.assert_allclose(sf.probabilities, [5 / 6, 5 / 6, 5 / 12, 5 / 12, 0.0])


def test_survival_counts_a_spell_censored_at_a_quit_time_as_at_risk_then() -> None:
    # Quits at 10 and 20 weeks, one spell open at 10: at 10 three are at risk -> S = 2/3 (the usual convention).
    assert retention_at([spell(0, 10), spell(0, 20), spell(0, 10, "censored")], 10) == pytest.approx(2 / 3)


@pytest.mark.filterwarnings(UNDEFINED_GREENWOOD)
def test_median_tenure_is_the_first_week_the_curve_reaches_one_half(censored_spells: list[dict]) -> None:
    assert median_tenure(censored_spells)["mean"] == 30.0


@pytest.mark.filterwarnings(UNDEFINED_GREENWOOD)
def test_median_tenure_interval_is_read_off_the_greenwood_band(censored_spells: list[dict]) -> None:
    # Greenwood, by hand: at 10 weeks var = S^2 * 1/(6*5) = (5/6)^2/30, lower limit 5/6 - 1.96 * 0.152 = 0.535 > 0.5;
    # at 30 weeks var = (5/12)^2 * (1/30 + 2/(4*2)) = 0.0492, lower limit 0.417 - 1.96 * 0.222 < 0.5 -> ci_low 30.
    # The upper limit stays above 0.5 (0.851 at 30) and is undefined at 50, where everyone at risk quits -> None.
    lower_at_10 = 5 / 6 - 1.959964 * math.sqrt((5 / 6) ** 2 / 30)
    assert lower_at_10 > 0.5
    tenure = median_tenure(censored_spells)
    assert tenure["ci_low"] == 30.0
    assert tenure["ci_high"] is None


def test_median_tenure_is_none_when_the_curve_never_reaches_one_half() -> None:
    spells = [spell(0, 10), *(spell(0, 100, "censored") for _ in range(3))]  # S falls to 3/4 and stays there
    assert median_tenure(spells)["mean"] is None


def test_median_tenure_without_quits_is_all_none(record_c: RunRecord) -> None:
    assert median_tenure(record_c.spells) == {"mean": None, "ci_low": None, "ci_high": None}


# --- quit reasons ------------------------------------------------------------------------------


def test_quit_reasons_are_mean_shares_over_every_quit(record_a: RunRecord, record_b: RunRecord) -> None:
    # Six quits in all: travel 1 + 0.5 + 1 = 2.5, role conflict 0.5 + 1 = 1.5, caseload overflow 1, unmet expectations 1.
    reasons = quit_reasons([record_a, record_b])
    assert list(reasons) == [f.name for f in pressures.DRAINS]
    assert reasons["travel"] == pytest.approx(2.5 / 6)
    assert reasons["role_conflict"] == pytest.approx(1.5 / 6)
    assert reasons["caseload_size"] == pytest.approx(1 / 6)
    assert reasons["unmet_expectations"] == pytest.approx(1 / 6)
    assert sum(reasons.values()) == pytest.approx(1.0)


def test_quit_reasons_leave_out_open_spells(record_b: RunRecord) -> None:
    for s in record_b.spells:
        if s["outcome"] == "censored":
            s["drain_share_travel"] = 1.0  # an open spell's drain is no reason for a quit
    assert quit_reasons([record_b])["travel"] == 0.0
    assert quit_reasons([record_b])["unmet_expectations"] == 1.0


def test_quit_reasons_without_quits_are_all_zero(record_c: RunRecord) -> None:
    assert quit_reasons([record_c]) == {f.name: 0.0 for f in pressures.DRAINS}


def test_quit_reason_intervals_are_across_replicate_means(record_a: RunRecord, record_b: RunRecord) -> None:
    # Replicate means: travel 0.5 (A) and 0 (B); unmet expectations 0 and 1.
    intervals = quit_reason_intervals([record_a, record_b])
    assert intervals is not None
    assert list(intervals) == [f.name for f in pressures.DRAINS]
    assert intervals["travel"] == mean_ci([0.5, 0.0], bounds=metrics.SHARE)  # shares of drain stay within 0-1
    assert intervals["unmet_expectations"] == mean_ci([0.0, 1.0], bounds=metrics.SHARE)
    assert intervals["client_setbacks"] == {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0}


def test_quit_reason_intervals_leave_out_replicates_without_quits(
        record_a: RunRecord, record_c: RunRecord) -> None:
    intervals = quit_reason_intervals([record_a, record_c])
    assert intervals is not None
    assert intervals["travel"] == {"mean": 0.5, "ci_low": None, "ci_high": None}


def test_quit_reason_intervals_are_none_without_quits(record_c: RunRecord) -> None:
    assert quit_reason_intervals([record_c, record_c]) is None


# --- weekly curves -----------------------------------------------------------------------------


def test_weekly_band_is_the_band_of_one_column_across_replicates(record_a: RunRecord, record_b: RunRecord) -> None:
    x, mean, low, high = weekly_band([record_a, record_b], "headcount")
    np.testing.assert_array_equal(x, np.arange(1, WEEKS + 1))
    np.testing.assert_allclose(mean, [4.0] * 52 + [3.5] * 52)
    np.testing.assert_array_equal(low[:52], [4.0] * 52)  # both replicates equal: zero width
    expected = stats.band(np.array([[4.0] * 52 + [3.0] * 52, [4.0] * WEEKS]))
    np.testing.assert_allclose(low, expected[1])
    np.testing.assert_allclose(high, expected[2])


def test_net_pressure_is_all_drain_minus_all_nourishment() -> None:
    drains = [f.weekly_column for f in pressures.DRAINS]
    nourishers = [f.weekly_column for f in pressures.NOURISHERS]
    columns = {drains[0]: [0.2, 0.0, 0.1], drains[-1]: [0.1, 0.3, 0.0], nourishers[0]: [0.05, 0.1, 0.4],
               nourishers[-1]: [0.0, 0.05, 0.0], "headcount": 4.0, "mean_strain": 0.7}
    record = RunRecord(seed=0, weekly=weekly_rows(3, columns), spells=[])
    np.testing.assert_allclose(net_pressure(record), [0.25, 0.15, -0.3], atol=1e-12)


def test_net_pressure_counts_every_drain_and_every_nourisher() -> None:
    # One unit in every drain column and in every nourish column: net = len(DRAINS) - len(NOURISHERS).
    columns = {f.weekly_column: 1.0 for f in pressures.ALL}
    record = RunRecord(seed=0, weekly=weekly_rows(2, columns), spells=[])
    np.testing.assert_allclose(net_pressure(record), [len(pressures.DRAINS) - len(pressures.NOURISHERS)] * 2)


def test_net_pressure_band_and_pressure_means_use_net_pressure(record_a: RunRecord, record_b: RunRecord) -> None:
    travel = next(f for f in pressures.DRAINS if f.name == "travel").weekly_column
    for r, level in ((record_a, 0.2), (record_b, 0.4)):
        for row in r.weekly:
            row[WEEKLY_COLUMNS.index(travel)] = level
    _, mean, _, _ = metrics.net_pressure_band([record_a, record_b])
    np.testing.assert_allclose(mean, 0.3)
    net, expected = metrics.pressure_means([record_a, record_b])["net"], mean_ci([0.2, 0.4])
    assert [net[k] for k in expected] == pytest.approx([expected[k] for k in expected], rel=1e-12)


# --- outcome -----------------------------------------------------------------------------------


@pytest.fixture
def two_replicates(record_a: RunRecord, record_b: RunRecord, scenario: Scenario) -> Outcome:
    return outcome([record_a, record_b], scenario)


def test_outcome_summary_keys_come_in_their_documented_order(two_replicates: Outcome) -> None:
    assert list(two_replicates.summary) == ["scenario", "replicates", "weeks", "warm_up_weeks", "positions", *HEADLINE,
                                            "turnover_by_site", "site_entries", "quit_reasons", "quits_by_shock",
                                            "ordinary_exits_by_reason"]


def test_outcome_summary_header(two_replicates: Outcome, scenario: Scenario) -> None:
    summary = two_replicates.summary
    assert summary["scenario"] == scenario.name == two_replicates.name
    assert summary["replicates"] == 2 == two_replicates.replicates
    assert summary["weeks"] == WEEKS
    assert summary["positions"] == 4  # read from the records (week rows), not the scenario's 45


def test_outcome_positions_are_read_from_the_last_weeks_open_positions(
        record_a: RunRecord, record_b: RunRecord, scenario: Scenario) -> None:
    record_a.weekly[-1][WEEKLY_COLUMNS.index("positions")] = 7.0
    assert outcome([record_a, record_b], scenario).summary["positions"] == 7


def test_every_headline_metric_is_an_interval(two_replicates: Outcome) -> None:
    for key in HEADLINE:
        assert interval_keys_ok(two_replicates.summary[key]), key


def test_headline_metrics_are_mean_ci_of_the_replicates(two_replicates: Outcome) -> None:
    summary = two_replicates.summary
    bounds = metrics.BOUNDS  # each interval stays within what its metric can be
    assert summary["annual_turnover"] == mean_ci([5 / 3.5 / 2, 1 / 4 / 2], bounds=bounds["annual_turnover"])
    assert summary["retention_12m"] == mean_ci([3 / 5, 4 / 5], bounds=bounds["retention_12m"])
    assert summary["shock_share"] == mean_ci([2 / 5, 0.0], bounds=bounds["shock_share"])
    assert summary["shock_share"]["ci_low"] == 0.0  # two replicates' t interval alone reaches far below 0
    assert summary["vacancy_weeks_per_position_year"] == mean_ci([52 / 8, 0.0],
                                                                 bounds=bounds["vacancy_weeks_per_position_year"])


def test_cohort_left_share_in_the_summary_states_its_window(two_replicates: Outcome) -> None:
    assert two_replicates.summary["cohort_left_share"] == {**mean_ci([2 / 4, 1 / 4], bounds=metrics.SHARE),
                                                           "window_weeks": WINDOW}


def test_summary_median_tenure_pools_every_replicates_spells(two_replicates: Outcome) -> None:
    # Pooled durations: quits 20, 30, 52, 60, 60, 80; open 83, 104, 104, 104. Kaplan-Meier: 0.9 at 20, 0.8 at 30,
    # 0.7 at 52, 0.7 * 5/7 = 0.5 at 60 -> median 60 weeks.
    assert two_replicates.summary["median_tenure_weeks"]["mean"] == 60.0


def test_summary_quit_reasons_and_quits_by_shock(two_replicates: Outcome, record_a: RunRecord,
                                                 record_b: RunRecord) -> None:
    summary = two_replicates.summary
    assert summary["quit_reasons"] == quit_reasons([record_a, record_b])
    assert summary["quits_by_shock"] == {"none (gradual)": 4, "reorganisation": 1, "work_life_conflict": 1}
    assert list(summary["quits_by_shock"]) == ["none (gradual)", "reorganisation", "work_life_conflict"]


def test_outcome_keeps_replicate_metrics_in_record_order(two_replicates: Outcome, record_a: RunRecord,
                                                         record_b: RunRecord, scenario: Scenario) -> None:
    assert two_replicates.per_replicate == [replicate_metrics(record_a, scenario),
                                            replicate_metrics(record_b, scenario)]


def test_outcome_curves_cover_the_horizon(two_replicates: Outcome) -> None:
    assert set(two_replicates.weekly) == {*metrics.CHART_COLUMNS, *(f.weekly_column for f in pressures.ALL)}
    for name, curve in two_replicates.weekly.items():
        assert curve.mean.shape == (WEEKS,), name
    np.testing.assert_array_equal(two_replicates.retention.x, np.arange(WEEKS + 1))
    assert two_replicates.retention.mean[0] == 1.0
    assert two_replicates.net.mean.shape == (WEEKS,)
    assert set(two_replicates.pressures) == {*(f.weekly_column for f in pressures.ALL), "net"}


def test_outcome_quit_reasons_are_the_replicate_intervals(two_replicates: Outcome, record_a: RunRecord,
                                                          record_b: RunRecord) -> None:
    assert two_replicates.quit_reasons == quit_reason_intervals([record_a, record_b])


def test_outcome_of_quiet_replicates(record_c: RunRecord, scenario: Scenario) -> None:
    quiet = outcome([record_c, record_c], scenario)
    assert quiet.quit_reasons is None
    assert quiet.summary["quits_by_shock"] == {}
    assert quiet.summary["shock_share"] == {"mean": None, "ci_low": None, "ci_high": None}
    assert quiet.summary["annual_turnover"] == {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0}
    assert quiet.summary["median_tenure_weeks"]["mean"] is None


# --- difference --------------------------------------------------------------------------------


def test_difference_is_other_minus_reference_paired_by_replicate(
        record_a: RunRecord, record_b: RunRecord, record_c: RunRecord, scenario: Scenario) -> None:
    reference = outcome([record_a, record_b], scenario)
    other = outcome([record_b, record_c], scenario)
    t_a, t_b = 5 / 3.5 / 2, 1 / 4 / 2
    # Pairs: (A, B) and (B, C): differences t_b - t_a and 0 - t_b, mean -t_a / 2.
    diff = difference(reference, other, "annual_turnover")
    assert diff == mean_ci([t_b - t_a, 0.0 - t_b])
    assert diff["mean"] == pytest.approx(-t_a / 2)
    assert difference(other, reference, "annual_turnover")["mean"] == pytest.approx(t_a / 2)


def test_difference_leaves_out_replicates_where_a_metric_is_undefined(
        record_a: RunRecord, record_b: RunRecord, record_c: RunRecord, scenario: Scenario) -> None:
    reference = outcome([record_a, record_b], scenario)
    other = outcome([record_b, record_c], scenario)
    # shock_share: reference (0.4, 0), other (0, None): only the first pair counts.
    diff = difference(reference, other, "shock_share")
    assert diff == {"mean": pytest.approx(-0.4), "ci_low": None, "ci_high": None}
    assert stats.verdict(diff) == "single"


def test_difference_of_a_scenario_with_itself_is_same(record_a: RunRecord, record_b: RunRecord,
                                                      scenario: Scenario) -> None:
    reference = outcome([record_a, record_b], scenario)
    assert stats.verdict(difference(reference, reference, "annual_turnover")) == "same"


# --- the real model ----------------------------------------------------------------------------


SHARES = ("cohort_left_share", "retention_12m", "shock_share")


@pytest.fixture(scope="module")
def short_runs(baseline: Scenario) -> tuple[Scenario, list[RunRecord]]:
    """Three replicates of the baseline cut to 30 weeks (milliseconds each)."""
    short = with_horizon(baseline, 30, 30)
    return short, [IPSModel(short, seed).run() for seed in (11, 12, 13)]


def test_real_model_metrics_keep_their_invariants(short_runs: tuple[Scenario, list[RunRecord]]) -> None:
    short, records = short_runs
    result = outcome(records, short)
    assert len(result.per_replicate) == 3
    assert result.per_replicate == [replicate_metrics(r, short) for r in records]  # seed order
    assert [r.seed for r in records] == [11, 12, 13]
    assert outcome(records[::-1], short).per_replicate == result.per_replicate[::-1]  # order follows the records
    for m in result.per_replicate:
        assert m["annual_turnover"] is not None
        assert m["annual_turnover"] >= 0
        assert m["retention_12m"] is None  # a 30-week horizon is shorter than a year
        for key in SHARES:
            assert m[key] is None or 0.0 <= m[key] <= 1.0, key
        assert m["job_starts_per_position_year"] >= 0
        assert m["vacancy_weeks_per_position_year"] >= 0
    assert result.summary["positions"] == short.positions  # the baseline has no solo-post lever pulled
    assert result.summary["weeks"] == 30
    assert result.weekly["headcount"].mean.shape == (30,)
    assert np.all(result.retention.mean <= 1.0)
    assert np.all(result.retention.mean >= 0.0)
    for key in HEADLINE:
        assert interval_keys_ok(result.summary[key]), key
    reasons = result.summary["quit_reasons"]
    assert all(0.0 <= v <= 1.0 for v in reasons.values())
    if sum(result.summary["quits_by_shock"].values()):
        assert sum(reasons.values()) == pytest.approx(1.0)  # each quit's drain shares sum to one


# --- the observation window, the study's cohort and results per site ------------------------------------


def test_the_study_cohort_is_everyone_in_post_when_the_window_opens_whatever_their_tenure(scenario: Scenario) -> None:
    """Spells begun in a warm-up (negative weeks) count for study_cohort_left_share if the ES was in post at week 0;
    a spell that ended before the window is not observed; and cohort_left_share is the run's first ES only."""
    warm = Scenario.model_validate({**scenario.model_dump(),
                                    "sites": [{**scenario.sites[0].model_dump(), "opens_week": -30}]})
    assert warm.warm_up_weeks == 30
    record = RunRecord(seed=0, weekly=weekly_rows(WEEKS, {"headcount": 2.0}), spells=[
        spell(-30, -5, position=0),                         # left in the warm-up: not observed
        spell(-5, 40, position=0),                          # in post at week 0, left within the 52-week window
        spell(-30, WEEKS, outcome="censored", position=1),  # a first ES, in post throughout
        spell(40, WEEKS, outcome="censored", position=0),   # started in the window: not in either cohort
    ])
    m = replicate_metrics(record, warm)
    assert m["study_cohort_left_share"] == pytest.approx(1 / 2)
    assert m["cohort_left_share"] == pytest.approx(1 / 2)  # the first ES (week -30): one left by week -30 + 52
    assert m["annual_turnover"] == pytest.approx(1 / 2.0 / 2)  # the warm-up's quit is not counted


def test_site_tallies_add_up_to_the_headcount_and_the_annual_turnover(baseline: Scenario) -> None:
    """Each entry's ES-years count the weeks the weekly headcount counts, so they add up to it and the entries'
    turnovers, weighted by ES-years, are annual_turnover."""
    record = IPSModel(baseline, 2).run()
    tallies = metrics.site_tallies(record, baseline)
    assert list(tallies) == [s.name for s in baseline.sites]
    assert sum(t.es_years for t in tallies.values()) == pytest.approx(metrics.column(record, "headcount").sum() / 52)
    pooled = sum(t.quits for t in tallies.values()) / sum(t.es_years for t in tallies.values())
    assert pooled == pytest.approx(replicate_metrics(record, baseline)["annual_turnover"])


def test_turnover_decomposition_adds_up_to_the_change_in_annual_turnover(baseline: Scenario) -> None:
    """within_sites + staff_mix is the change in annual turnover, replicate by replicate, so their means add up."""
    data = baseline.model_dump()
    data["start_up_plan"]["no_solo_posts"]["enabled"] = True
    planned = Scenario.model_validate(data)
    base = outcome([IPSModel(baseline, k).run() for k in range(3)], baseline)
    plan = outcome([IPSModel(planned, k).run() for k in range(3)], planned)
    parts = metrics.turnover_decomposition(base, plan)
    change = metrics.difference(base, plan, "annual_turnover")["mean"]
    assert parts["within_sites"]["mean"] + parts["staff_mix"]["mean"] == pytest.approx(change)


def test_client_metrics_follow_each_client_from_their_own_referral() -> None:
    """The trial's measures (Reme19): status 52 and 78 weeks after each client's referral, and any job start by then,
    among the clients referred in the window early enough to be followed that long; ES changes in the first 52
    weeks. Clients referred in a warm-up (week 0 or before) or too late do not count."""
    def table(**columns: list[int]) -> ClientTable:
        return ClientTable(**{k: np.array(v, dtype=np.int32) for k, v in columns.items()})

    weeks = 100
    clients = table(
        site=[0, 0, 0, 0, 0, 0],
        referral_week=[-10, 1, 10, 22, 30, 60],  # a warm-up client; four followed 52 weeks; the last not
        first_job_week=[5, 20, MISSING, 80, 40, MISSING],  # the fourth's first job comes after its 52 weeks
        jobs=[1, 1, 0, 1, 1, 0],
        job_end_week=[MISSING] * 6,
        left_service_week=[MISSING] * 6,
        left_service=[0] * 6,
        es_changes=[3, 2, 0, 1, 0, 1],
        es_changes_12m=[3, 1, 0, 1, 0, 1],
        employed_12m=[1, 1, 0, 0, 1, -1],
        employed_18m=[1, 0, 1, 1, -1, -1],  # 78 weeks: referrals 1 to 22
    )
    got = metrics.client_metrics(clients, weeks)
    assert got["clients_employed_12m"] == pytest.approx(2 / 4)
    assert got["clients_ever_employed_12m"] == pytest.approx(2 / 4)  # referred in 1 and 30 started within 52 weeks
    assert got["clients_employed_18m"] == pytest.approx(2 / 3)
    assert got["clients_ever_employed_18m"] == pytest.approx(2 / 3)  # week 22's first job (80), 58 weeks on, counts
    assert got["es_changes_per_client"] == pytest.approx(2 / 4)
    short = metrics.client_metrics(clients, 40)  # nobody referred in weeks 1 to -12
    assert set(short.values()) == {None}
