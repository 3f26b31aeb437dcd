"""What the model's clients record: the ES changes turnover costs them, and outcomes read 12 months after referral.

``simulation.core.clients`` follows every client as an individual; these tests hold the model to the meaning of its
client records (README, clients.csv), on real runs.
"""

from __future__ import annotations

import numpy as np

from simulation.analysis import metrics
from simulation.core.clients import LEFT_SERVICE, MISSING
from simulation.core.model import IPSModel
from simulation.core.scenario import Scenario


def short(scenario: Scenario, weeks: int = 40) -> Scenario:
    """The scenario over a shorter window (its warm-up kept)."""
    return Scenario.model_validate({**scenario.model_dump(), "weeks": weeks, "cohort_window_weeks": weeks})


def test_every_client_on_a_leavers_caseload_counts_one_es_change(baseline: Scenario) -> None:
    """The ES changes in clients.csv add up to the clients on the caseloads of the ES who left, at their leaving;
    a client counted twice or left out would break the sum."""
    model = IPSModel(short(baseline), 3)
    on_leavers: list[int] = []
    leave = model._leave

    def spy(es):  # noqa: ANN001, ANN202 - the model's own signature
        on_leavers.append(int(model.caseloads.caseload[es.slot]))
        leave(es)

    model._leave = spy
    record = model.run()
    departures = sum(1 for s in record.spells if s["outcome"] == "quit")
    assert departures == len(on_leavers) > 10
    assert int(record.clients.es_changes.sum()) == sum(on_leavers) > 0


def test_without_departures_no_client_changes_es(baseline: Scenario) -> None:
    """ES who never leave (huge resources, no shocks, no ordinary exits, permanent contracts) break no client's
    continuity."""
    data = baseline.model_dump()
    data["staff"]["quit_threshold"] = {**data["staff"]["quit_threshold"], "mean": 5.0, "sd": 0.0}
    data["staff"]["short_term_share"] = 0.0
    data["ordinary_exits"]["per_year"] = 0.0
    data["shocks"] = {**data["shocks"], "work_life_conflict_per_year": 0.0, "reorganisation_per_region_year": 0.0}
    record = IPSModel(short(Scenario.model_validate(data)), 5).run()
    assert not any(s["outcome"] == "quit" for s in record.spells)
    assert record.clients.es_changes.sum() == 0 and len(record.clients) > 500


def test_the_clients_records_hold_together_over_the_baselines_window(baseline: Scenario) -> None:
    """Over the baseline's window: clients employed at 12 months held a job by then; those whose support ended were
    in work when it did (so they count as employed at follow-up until their job ends), and the trial-style share
    counts them, which a share of the clients still on caseloads would not."""
    record = IPSModel(baseline, 11).run()
    c = record.clients
    cohort = metrics.client_cohort(c, baseline.weeks, 52)
    assert cohort.sum() > 300
    employed = cohort & (c.employed_12m == 1)
    assert (c.first_job_week[employed] != MISSING).all()
    assert (c.first_job_week[employed] <= c.referral_week[employed] + 52).all()
    ended = c.left_service == LEFT_SERVICE.index("support_ended")
    assert (c.jobs[ended] >= 1).all(), "support ends only for a client in work"
    out_in_work = employed & ended & (c.left_service_week <= c.referral_week + 52)
    assert out_in_work.sum() > 0, "employed at 12 months after their support ended: followed, not lost"
    share = metrics.client_metrics(c, baseline.weeks)["clients_employed_12m"]
    assert share == np.mean(c.employed_12m[cohort])
