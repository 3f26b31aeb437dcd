"""What a replicate records: its weekly rows and its employment spells, with their column names.

Column names of factors come from the factors themselves (``Factor.weekly_column``, ``Factor.share_column``),
so a factor registered in simulation.core.pressures appears in every record without another edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulation.core import pressures
from simulation.core.clients import ClientTable
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


CLIENT_COLUMNS = [
    "replicate", "client", "site", "entry", "referral_week", "first_job_week", "jobs", "job_end_week",
    "left_service_week", "left_service", "es_changes", "es_changes_12m", "employed_12m", "employed_18m",
]
"""Columns of clients.csv: one row per client referred (simulation.core.clients), numbered in referral order within
the replicate. ``first_job_week`` is their first job start, ``jobs`` how many they started, ``job_end_week`` the week
their last job ended (empty if they never had one or were still in it); ``left_service_week`` and ``left_service``
when and how they left the service (``support_ended``: follow-along support ended while in work; ``dropped_out``;
empty while still in it); ``es_changes`` how many times their ES left them (broken continuity), ``es_changes_12m``
those in their first 52 weeks after referral; ``employed_12m`` and ``employed_18m`` 1 if they were in competitive
work 52 and 78 weeks after referral, 0 if not, empty if the run ended first. Weeks are on the observation window's
clock (a warm-up's referrals have negative weeks). A client out of the service is followed to 78 weeks after
referral; a job held beyond then has no end week."""


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
    """Everything one simulated replicate produced: weekly rows (WEEKLY_COLUMNS), employment spells and clients."""

    seed: int
    weekly: list[list[float]]
    spells: list[dict]
    clients: ClientTable = field(default_factory=ClientTable.empty)
    sites: tuple[tuple[str, str], ...] = ()
    """Each site's (name, entry), by the site numbers ``clients.site`` holds."""
