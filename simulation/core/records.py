"""What a replicate records: its weekly rows and its employment spells, with their column names.

Column names of factors come from the factors themselves (``Factor.weekly_column``, ``Factor.share_column``),
so a factor registered in simulation.core.pressures appears in every record without another edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation.core import pressures
from simulation.core.scenario import READINESS_PARTS

WEEKLY_COLUMNS = [
    "week", "positions", "headcount", "vacancies", "in_notice", "departures", "hires", "mean_strain", "mean_depletion",
    "clients_on_caseload", "clients_working", "clients_waiting", "job_starts", "readiness_mean",
    *(f"readiness_{part}" for part in READINESS_PARTS),
    *(f.weekly_column for f in pressures.ALL),
]
"""Columns of one week's record; mean_strain, mean_depletion (strain as a share of the ES's threshold: the share of
their personal resources used up) and the factor columns (effective amounts of demands and gains, intensities of
buffers) are means over the ES who worked the week, including those who left at its end; readiness_mean and each
readiness part's column are means over the open sites. ``positions`` counts the positions open that week (sites and
positions open over time), ``vacancies`` those of them without an ES. Rows cover the observation window's weeks
1..weeks; a warm-up before it is not recorded week by week."""

SPELL_COLUMNS = [
    "replicate", "site", "entry", "position", "role", "start_week", "end_week", "outcome", "decision_week", "shock", "exit_kind",
    "ordinary_reason", "contract",
    "threshold", *(f.share_column for f in pressures.DRAINS),
]
"""Columns of spells.csv: one row per employment spell, with the share of its drain due to each draining factor.
``outcome`` is ``quit`` for every departure (all are voluntary, with notice) and ``censored`` for a spell open at the
end; ``exit_kind`` says how a departure was decided (``gradual``, ``shock`` or ``ordinary``; empty when censored) and
``ordinary_reason`` an ordinary exit's reason (simulation.core.scenario.ORDINARY_REASONS), also for a censored spell
whose ES was working their notice for one at the end (``decision_week`` set), as ``shock`` is. ``entry`` is the
scenario's site entry the site is one of, ``role`` ``supervisor`` for a dual-role supervisor's post and ``es``
otherwise. Weeks are on the observation window's clock: a spell of the warm-up has negative weeks, and one that
ended before the window opened (``end_week`` 0 or less) was not observed (``observed``)."""


def observed(spells: list[dict]) -> list[dict]:
    """The spells in post at some time in the observation window (ended in its week 1 or later, or open at its end):
    what every metric but cohort_left_share counts."""
    return [s for s in spells if s["end_week"] >= 1]


def exit_kind(decision_week: int | None, shock: str | None, ordinary_reason: str | None) -> str:
    """How an ES decided to leave: ``ordinary`` (an ordinary exit), ``shock`` (begun by one) or ``gradual``; '' when
    they had not decided. The one rule, for an ES in post and for a spell's fields."""
    if decision_week is None:
        return ""
    return "ordinary" if ordinary_reason else ("shock" if shock else "gradual")


@dataclass
class RunRecord:
    """Everything one simulated replicate produced: weekly rows (WEEKLY_COLUMNS) and employment spells."""

    seed: int
    weekly: list[list[float]]
    spells: list[dict]
