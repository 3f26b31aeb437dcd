"""The sweep charts' own logic: the short parameter labels on their axes."""

from __future__ import annotations

from simulation.present.charts import sweep as sweep_charts


def test_short_labels_stay_unambiguous() -> None:
    assert sweep_charts.short_labels(["staff.quit_threshold.mean", "strain.recovery_rate", "weeks"]) == {
        "staff.quit_threshold.mean": "quit_threshold.mean", "strain.recovery_rate": "strain.recovery_rate",
        "weeks": "weeks"}
    paths = ["sites[0].readiness.structures", "sites[1].readiness.structures", "sites[0].team_contact"]
    assert sweep_charts.short_labels(paths) == {p: p for p in paths}
