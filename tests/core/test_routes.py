"""Each underlying state enters strain through one factor: no two factors are mirrored routes of one state.

The factor registry (simulation.core.pressures) promises that each underlying state (team contact, supervisor
availability, health-team integration, each readiness part, the caseload's states, the contract) reaches strain
through one factor only: a state and its opposite (isolation and team support) are one factor, not two mirrored
ones that would count the same thing twice and make their weights unidentifiable in calibration. Two checks hold
the registry to it.

- Over a design of scenarios: a Latin hypercube (fixed seed) over every baseline site's attributes and over which
  start-up plan levers are pulled, each run for a year with one seed. Every week, every factor's intensity is
  read for every ES in post (site-scope factors on the ES's site), and all the rows are pooled. No pair of
  factors may be exact complements (their sum constant, the mirrored form ``x`` and ``1 - x``), and no pair may
  correlate above 0.95 in absolute value, the issue's bound: two factors that move together that closely are in
  effect one state counted twice, and the data could not tell their weights apart. Lower correlations are
  expected and allowed: factors that read different states that the model links (readiness grows with job
  starts, for instance) share some variation. So that the check cannot pass vacuously, every factor must vary
  over the design, except an event factor (a count of events) whose event never happened.
- By construction: setting one state of a real site from 0 to 1 changes only the factor that state feeds.

Design: one unit-cube column per (baseline site entry, attribute), so each of the baseline's site entries (and the
identical sites it stands for) gets its own values: supervisor_availability, team_contact, travel_burden,
employer_network and the five readiness parts at start on [0, 1], job_market on [0.3, 1.5]. Sites thus differ
within a run as well as between runs. One column per lever: a switch lever is pulled when its column is at least
0.5; a scheduled lever (network_seminars, fidelity_review) takes its start-up plan setting (``in_plan``) then, and
keeps the baseline's otherwise.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import qmc

from simulation.core import levers, pressures
from simulation.core.agents import EmploymentSpecialist, Site
from simulation.core.model import IPSModel
from simulation.core.scenario import READINESS_PARTS, Scenario

POINTS = 16
"""Scenarios in the design."""
DESIGN_SEED = 20240611
WEEKS = 52
RUN_SEED = 7
BOUND = 0.95
"""The issue's bound on any two factors' |Pearson correlation| over the pooled weekly per-ES values."""
EVENT_FACTORS = {"network_seminars", "client_job_starts", "client_setbacks", "resource_losses"}
"""Factors whose intensity counts events: constant (zero) over the design only if the event never happened."""

LEVER = {lv.name: lv for lv in levers.LEVERS}
NAMES = [f.name for f in pressures.ALL]
UNIT = (0.0, 1.0)
SITE_RANGES: dict[str, tuple[float, float]] = {
    "supervisor_availability": UNIT,
    "team_contact": UNIT,
    "travel_burden": UNIT,
    "job_market": (0.3, 1.5),
    "employer_network": UNIT,
    **{f"readiness.{part}": UNIT for part in READINESS_PARTS},
}
"""Each site attribute the design varies and its range (a dotted name is a readiness part at start)."""


def design(base: Scenario) -> list[Scenario]:
    """The design's scenarios: the baseline with each site entry's attributes and the plan's levers set from one
    Latin hypercube row, a year long."""
    columns = [(k, attr) for k in range(len(base.sites)) for attr in SITE_RANGES] + [lv.name for lv in levers.LEVERS]
    unit = qmc.LatinHypercube(len(columns), rng=np.random.default_rng(DESIGN_SEED)).random(POINTS)
    scenarios = []
    for n, row in enumerate(unit):
        data = base.model_dump()
        data.update(name=f"routes-{n}", weeks=WEEKS, cohort_window_weeks=WEEKS)
        for column, u in zip(columns, row.tolist(), strict=True):
            if isinstance(column, str):  # a lever
                if u >= 0.5:
                    data["start_up_plan"][column].update(LEVER[column].in_plan)
                elif "enabled" in data["start_up_plan"][column]:
                    data["start_up_plan"][column]["enabled"] = False
                continue
            k, attr = column
            low, high = SITE_RANGES[attr]
            value = low + (high - low) * u
            site = data["sites"][k]
            if attr.startswith("readiness."):
                site["readiness"][attr.removeprefix("readiness.")] = value
            else:
                site[attr] = value
        scenarios.append(Scenario.model_validate(data))
    return scenarios


def factor_values(model: IPSModel, es: EmploymentSpecialist) -> list[float]:
    """Every factor's intensity for this ES now (site-scope factors on the ES's site), all on the same state."""
    return [float(f.intensity(es.site if f.scope == "site" else es, model.now)) for f in pressures.ALL]


def weekly_rows(scenario: Scenario, seed: int) -> list[list[float]]:
    """One row per ES in post and week: each factor's intensity at the end of the week."""
    model = IPSModel(scenario, seed)
    rows = []
    for _ in range(scenario.weeks):
        model.step()
        rows += [factor_values(model, es) for es in model.slots if es is not None]
    return rows


@pytest.fixture(scope="module")
def pooled(baseline_at_once: Scenario) -> np.ndarray:
    """(rows, factors): the weekly per-ES intensities of every run of the design, pooled (every site open from the
    first week, so each site entry's design columns act)."""
    rows = [row for scenario in design(baseline_at_once) for row in weekly_rows(scenario, RUN_SEED)]
    return np.array(rows)


def test_the_design_varies_the_levers(baseline: Scenario) -> None:
    """Every lever is pulled in some scenarios of the design and left in others (else it tests nothing)."""
    scenarios = design(baseline)
    for lv in levers.LEVERS:
        on = [lv.is_on(getattr(s.start_up_plan, lv.name)) for s in scenarios]
        assert any(on) and not all(on), f"{lv.name} is {'always' if all(on) else 'never'} on in the design"


def test_every_factor_that_is_not_a_rare_event_varies(pooled: np.ndarray) -> None:
    constant = {name for name, sd in zip(NAMES, pooled.std(axis=0).tolist(), strict=True) if sd == 0.0}
    assert constant <= EVENT_FACTORS, f"constant over the whole design, so untested: {sorted(constant - EVENT_FACTORS)}"
    assert pooled.shape[0] > 1000


def varying(pooled: np.ndarray) -> list[int]:
    return [i for i in range(len(NAMES)) if pooled[:, i].std() > 0.0]


def test_no_two_factors_are_exact_complements(pooled: np.ndarray) -> None:
    """A state and its opposite as two factors (``x`` and ``c - x``) would sum to a constant on every row."""
    mirrored = [(NAMES[i], NAMES[j], float((pooled[:, i] + pooled[:, j]).mean()))
                for i, j in itertools.combinations(varying(pooled), 2)
                if (pooled[:, i] + pooled[:, j]).std() < 1e-9]
    assert not mirrored, "mirrored factors (their intensities sum to a constant): " + ", ".join(
        f"{a} + {b} = {c:.3g}" for a, b, c in mirrored)


def test_no_two_factors_correlate_above_the_bound(pooled: np.ndarray) -> None:
    index = varying(pooled)
    r = np.corrcoef(pooled[:, index], rowvar=False)
    pairs = sorted(((abs(float(r[a, b])), NAMES[index[a]], NAMES[index[b]], float(r[a, b]))
                    for a, b in itertools.combinations(range(len(index)), 2)), reverse=True)
    too_close = [p for p in pairs if p[0] > BOUND]
    assert not too_close, (
        f"factors correlated above |r| = {BOUND} over the design ({len(pooled)} weekly ES rows): "
        + ", ".join(f"{a} and {b} (r = {v:+.4f})" for _, a, b, v in too_close))


# --- by construction: one state, one factor ---------------------------------------------------------

COMPARISON = {"unmet_expectations"}
"""unmet_expectations compares what the ES expected with the mean readiness they meet: a comparison with every
readiness part, documented as such in pressures.unmet_expectations, not a second route for any one of them."""

ROUTES = [
    ("team_contact", {"team_support"}, set()),
    ("supervisor_availability", {"leader_support"}, set()),
    ("travel_burden", {"travel"}, set()),
    ("employer_network", {"employer_and_nav_support"}, set()),
    ("readiness.health_team_integration", {"health_team_inclusion"}, COMPARISON),
    ("readiness.structures", {"unprepared_context"}, COMPARISON),
    ("readiness.manager_knowledge", {"unprepared_context"}, COMPARISON),
    ("readiness.record_access", {"role_conflict"}, COMPARISON),
    ("readiness.ownership_clarity", {"role_conflict"}, COMPARISON),
]
"""Each site state, the one factor it feeds, and the factors allowed to change with it as well."""


def set_state(site: Site, state: str, value: float) -> None:
    if state.startswith("readiness."):
        setattr(site.readiness, state.removeprefix("readiness."), value)
    else:
        setattr(site, state, value)


@pytest.mark.parametrize(("state", "route", "allowed"), ROUTES, ids=[r[0] for r in ROUTES])
def test_each_site_state_feeds_one_factor(baseline_at_once: Scenario, state: str, route: set[str],
                                          allowed: set[str]) -> None:
    model = IPSModel(baseline_at_once, 3)
    for _ in range(4):
        model.step()
    site = next(s for s in model.sites if len(s.staff) >= 2)  # a team, so team contact can matter
    es = site.staff[0]
    es.expected = 1.0  # expects everything in place, so the comparison is live at both ends
    values = []
    for value in (0.0, 1.0):
        set_state(site, state, value)
        values.append(dict(zip(NAMES, factor_values(model, es), strict=True)))
    changed = {name for name in NAMES if values[0][name] != pytest.approx(values[1][name])}
    assert route <= changed, f"{state} should move {sorted(route)}"
    assert changed <= route | allowed, f"{state} also moves {sorted(changed - route - allowed)}: a second route"


def test_every_buffer_and_readiness_part_is_checked() -> None:
    """The three buffers' states (team contact, supervisor availability, health-team integration) and every
    readiness part are among the states checked above, so no draining factor mirrors a buffer (as the removed
    professional_isolation, absent_leadership and difficult_interactions did)."""
    states = {state for state, _, _ in ROUTES}
    assert {f"readiness.{part}" for part in READINESS_PARTS} <= states
    routes = {name for _, route, _ in ROUTES for name in route}
    assert {f.name for f in pressures.BUFFERS} <= routes
