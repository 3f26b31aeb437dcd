"""Start-up plan levers: how each lever changes the world the model simulates.

A lever never cuts the quit rate directly. Each one changes the things the model's mechanisms
read (a site's readiness at start, its staffing, leadership, travel and team contact, the
traits and contracts of new hires, seminars, a review event), and the draining and nourishing
factors follow. ``Lever.affects`` records which factors a lever moves at the start and in which
direction (+1 more, -1 less); ``tests/test_plan.py`` checks that each lever moves those factors
and no others. Effect sizes are scenario parameters (``start_up_plan`` in the schema), each
with its default, range and source; most are assumptions open to sensitivity analysis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulation.core.scenario import Scenario

World = dict[str, Any]
"""A scenario as plain data (``Scenario.model_dump()``), which levers edit before validation."""


@dataclass(frozen=True)
class Lever:
    name: str
    apply: Callable[[World, dict], None] | None
    """Edits the world when the lever is enabled; None for scheduled levers the model reads itself."""
    affects: dict[str, int]
    """Factors the lever moves: +1 up, -1 down (at the start, or when a scheduled lever acts)."""
    doc: str


LEVERS: list[Lever] = []


def lever(name: str, affects: dict[str, int], scheduled: bool = False) -> Callable:
    def wrap(fn: Callable[[World, dict], None]) -> Callable[[World, dict], None]:
        LEVERS.append(Lever(name, None if scheduled else fn, affects, (fn.__doc__ or "").strip()))
        return fn

    return wrap


def _raise_readiness(world: World, parts: tuple[str, ...], level: float) -> None:
    for site in world["sites"]:
        for part in parts:
            site["readiness"][part] = max(site["readiness"][part], level)


CONTEXT = {"unprepared_context": -1, "implementation_workload": -1}


@lever("realistic_job_preview", {"unmet_expectations": -1})
def realistic_job_preview(world: World, lv: dict) -> None:
    """Candidates hear about the pioneer role: every hire's expectation gap shrinks (B24)."""
    trait = world["staff"]["expectation_gap"]
    keep = 1.0 - lv["gap_reduction"]
    trait.update(mean=trait["mean"] * keep, low=trait["low"] * keep, high=trait["high"] * keep, sd=trait["sd"] * keep)


@lever("no_solo_posts", {"professional_isolation": -1, "team_support": +1})
def no_solo_posts(world: World, lv: dict) -> None:
    """Sites below the minimum team size get positions up to it: nobody works alone (M21, B24)."""
    for site in world["sites"]:
        site["positions"] = max(site["positions"], lv["minimum"])


@lever("implementation_lead", {"absent_leadership": -1, "leader_support": +1, "implementation_workload": -1})
def implementation_lead(world: World, lv: dict) -> None:
    """A lead who fights the battles against the systems is available at every site (B24)."""
    for site in world["sites"]:
        site["supervisor_availability"] = max(site["supervisor_availability"], lv["availability"])


@lever("structures_in_place", CONTEXT)
def structures_in_place(world: World, lv: dict) -> None:
    """Desk, team belonging, reporting routine and a clear owner are ready before the ES starts (B24)."""
    _raise_readiness(world, ("structures",), lv["level"])


@lever("manager_training", CONTEXT)
def manager_training(world: World, lv: dict) -> None:
    """Local managers are trained in IPS before start (M21, B24)."""
    _raise_readiness(world, ("manager_knowledge",), lv["level"])


@lever("anchored_agreements", {**CONTEXT, "role_conflict": -1})
def anchored_agreements(world: World, lv: dict) -> None:
    """Agreements reach local managers, not only the top: they know the service and who owns it (B24)."""
    _raise_readiness(world, ("manager_knowledge", "ownership_clarity"), lv["level"])


@lever("health_team_preparation", {"implementation_workload": -1, "difficult_interactions": -1,
                                   "health_team_inclusion": +1})
def health_team_preparation(world: World, lv: dict) -> None:
    """Clinicians know an ES is coming and invite them to clinical meetings (M21, B24).

    Health-team integration also raises clients' chance of a job start (``clients.integration_effect``).
    """
    _raise_readiness(world, ("health_team_integration",), lv["level"])


@lever("record_access_arrangement", {"implementation_workload": -1, "role_conflict": -1})
def record_access_arrangement(world: World, lv: dict) -> None:
    """Record access and confidentiality are settled: risk information is not missed (M21, B24)."""
    _raise_readiness(world, ("record_access",), lv["level"])


@lever("operational_policy", {**CONTEXT, "role_conflict": -1})
def operational_policy(world: World, lv: dict) -> None:
    """Responsibilities and reporting lines are written down (B24)."""
    _raise_readiness(world, ("ownership_clarity",), lv["level"])


@lever("network_seminars", {"network_seminars": +1}, scheduled=True)
def network_seminars(world: World, lv: dict) -> None:
    """More frequent regional seminars (``every_weeks``); the model holds them on schedule (M21)."""


@lever("digital_meetings", {"travel": -1, "professional_isolation": -1, "team_support": +1})
def digital_meetings(world: World, lv: dict) -> None:
    """Digital meetings replace part of the driving and bring a site's ES together more often (M21)."""
    for site in world["sites"]:
        site["travel_burden"] *= 1.0 - lv["travel_reduction"]
        site["team_contact"] = min(1.0, site["team_contact"] + lv["contact_gain"])


@lever("fidelity_review", {"unprepared_context": -1, "implementation_workload": -1, "role_conflict": -1},
       scheduled=True)
def fidelity_review(world: World, lv: dict) -> None:
    """A review at ``week`` lends authority and clarity; the model holds it that week (M21)."""


@lever("permanent_contracts", {})
def permanent_contracts(world: World, lv: dict) -> None:
    """Every ES is hired permanently: no contract ends, so no contract-expiry shock (B24)."""
    world["staff"]["short_term_share"] = 0.0


def effective(scenario: Scenario) -> Scenario:
    """The world as the start-up plan leaves it: every enabled lever applied, in registry order."""
    world = scenario.model_dump()
    plan = world["start_up_plan"]
    for lv in LEVERS:
        if lv.apply is not None and plan[lv.name]["enabled"]:
            lv.apply(world, plan[lv.name])
    return Scenario.model_validate(world)
