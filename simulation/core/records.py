"""What a replicate records: its weekly rows and its employment spells, with their column names.

Column names of factors come from the factors themselves (``Factor.weekly_column``, ``Factor.share_column``),
so a factor registered in simulation.core.pressures appears in every record without another edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation.core import pressures

WEEKLY_COLUMNS = [
    "week", "headcount", "vacancies", "in_notice", "departures", "hires", "mean_strain",
    "clients_on_caseload", "clients_working", "clients_waiting", "job_starts", "readiness_mean",
    *(f.weekly_column for f in pressures.ALL),
]
"""Columns of one week's record; mean_strain and the factor columns (effective amounts) are means over
the ES who worked the week, including those who left at its end."""

SPELL_COLUMNS = [
    "replicate", "site", "position", "start_week", "end_week", "outcome", "decision_week", "shock", "contract",
    "threshold", *(f.share_column for f in pressures.DRAINS),
]
"""Columns of spells.csv: one row per employment spell, with the share of its drain due to each draining factor."""


@dataclass
class RunRecord:
    """Everything one simulated replicate produced: weekly rows (WEEKLY_COLUMNS) and employment spells."""

    seed: int
    weekly: list[list[float]]
    spells: list[dict]
