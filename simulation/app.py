"""A live workshop app on Mesa's SolaraViz: change the start-up plan on the spot and watch the service run.

Facilitators show it to a room and answer "what if?" questions live ("what if we had two
specialists there?", "what if a lead fought the battles?"). The app adds no mechanism of its
own: every effect comes from the model (simulation.core). The app only
builds a varied scenario from a base scenario file and shows what the model records.

Run it with::

    IPSIM_APP_SCENARIO=scenarios/baseline.yaml solara run simulation/app.py --host 127.0.0.1 --port 8765

(``IPSIM_APP_SCENARIO`` defaults to the bundled scenarios/baseline.yaml.) Settings changed in
the sidebar apply when Reset is pressed, as everywhere in SolaraViz: Reset rebuilds the model
as ``WorkshopModel(**parameters)``.

Controls and the "as in scenario" choice: each on/off start-up-plan lever is a checkbox that
starts at the base scenario's own setting; seminar spacing and the fidelity-review week are
sliders starting at the base's values. The context settings (ES positions, supervisor
availability, team contact, travel burden) differ between the base's sites, so each is a
drop-down whose first entry, "as in scenario", keeps every site's own value; any other entry
sets that value at every site. Levers act after the context is set, as in any scenario file.
Ranges come from the scenario schema (simulation.core.scenario), the single source of what is allowed.

Layout: the charts and panels keep Mesa's component convention (``component(model)``,
re-rendered through ``mesa.visualization.utils.update_counter``) but are laid out by this module
in plain Solara columns, not passed to ``SolaraViz(components=...)``: SolaraViz places
components on a draggable grid whose JavaScript (vue-grid-layout, a Vue 2 plugin fetched from
a CDN) fails under the Vue 3 front end of ipyvuetify 3 ("GlobalVue.use is not a function") and
leaves the main area empty. SolaraViz still provides the controls, Step/Play/Reset and the
parameter sidebar. Text panels are HTML, not solara.Markdown, which loads Mermaid and KaTeX
from a CDN on every mount.
"""

from __future__ import annotations

import html
import inspect
import os
import socket
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import solara
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

import simulation
from simulation.analysis.metrics import WEEKS_PER_YEAR
from simulation.core import pressures
from simulation.core.levers import LEVERS, Lever
from simulation.core.model import IPSModel
from simulation.core.records import WEEKLY_COLUMNS, observed
from simulation.core.scenario import Scenario, SiteSpec, bounds
from simulation.inputs.reading import ScenarioError
from simulation.inputs.scenarios import load_scenario
from simulation.present.charts.style import BLUE, GREY, ORANGE, STYLE, label

SCENARIO_ENV = "IPSIM_APP_SCENARIO"
"""Environment variable naming the base scenario file (solara run passes no arguments to the app)."""
DEFAULT_SCENARIO = Path(simulation.__file__).parent.parent / "scenarios" / "baseline.yaml"
AS_IN_SCENARIO = "as in scenario"
"""The drop-down entry that keeps each site's own value of a context setting."""


@dataclass(frozen=True)
class SiteControl:
    """A drop-down that sets one site field at every site ("as in scenario" keeps each site's own value)."""

    field: str
    """The SiteSpec field it sets."""
    label: str
    """Its label in the sidebar."""
    name: str
    """How the headline names it once changed."""


SITE_CONTROLS: dict[str, SiteControl] = {
    "positions_per_site": SiteControl("positions", "ES positions at every site", "ES positions"),
    "supervisor_availability": SiteControl("supervisor_availability", "Supervisor available (0 none, 1 full)",
                                           "supervisor availability"),
    "team_contact": SiteControl("team_contact", "ES meet (0 never, 1 seated together)", "team contact"),
    "travel_burden": SiteControl("travel_burden", "Travel burden (0 town, 1 remote rural)", "travel burden"),
}
"""The app's controls of the setting, by keyword (the start-up plan's controls come from core.levers)."""
LEVER_CONTROLS: dict[str, Lever] = {lv.name: lv for lv in LEVERS}
"""Every lever's control, by the lever's name: a checkbox on ``enabled`` or a slider on its scheduled field."""
POSITION_CHOICES = (1, 2, 3, 4)
"""Team sizes offered for "ES positions at every site": the sizes the workshop questions are about."""
LEVEL_CHOICES = 6
"""Evenly spaced values offered for a 0-1 context setting (0, 0.2, ..., 1): a room does not debate 0.55."""
DEFAULT_SEED = 1
SEED_MAX = 999
RECENT_WEEKS = 4
"""Weeks averaged in the pressure chart: recent enough to follow the run, long enough to steady it."""
MAX_LEAVERS_SHOWN = 12
FIGSIZE = (6.6, 4.0)
DPI = 100
TITLE_CHARS = 50
"""Characters of a title that fit across the figure at charts.STYLE's title size."""
NO_WEEKS_YET = "No weeks simulated yet: press Step or \u25b6"
SHOCK_NAMES = {
    "contract_end": "contract not renewed",
    "work_life_conflict": "work-life conflict",
    "reorganisation": "reorganisation",
}


# --- the varied scenario ----------------------------------------------------------------------


def vary(
    base: Scenario,
    *,
    levers: Mapping[str, bool | int | None] | None = None,
    context: Mapping[str, Any] | None = None,
) -> Scenario:
    """The base scenario with the workshop's choices: None and "as in scenario" keep the base's value.

    ``levers`` maps lever names to their control's value (an enabled flag, or the scheduled field's
    value, e.g. network_seminars: every 8 weeks); ``context`` maps SITE_CONTROLS to a value set at every
    site. Values go into the dumped scenario unparsed, so the schema alone decides what is allowed:
    ``Scenario.model_validate`` raises pydantic's ValidationError otherwise. A drop-down gives its choice as
    text ("2", "0.2"), so here, unlike for files, the schema converts text to the field's type (lax mode).
    """
    world = base.model_dump()
    plan = world["start_up_plan"]
    for name, value in (levers or {}).items():
        if name not in LEVER_CONTROLS:
            raise ValueError(f"unknown start-up plan lever {name!r}; levers: {', '.join(LEVER_CONTROLS)}")
        if value is not None:
            plan[name][LEVER_CONTROLS[name].control.field] = value
    for control, value in (context or {}).items():
        if control not in SITE_CONTROLS:
            raise ValueError(f"unknown site control {control!r}; controls: {', '.join(SITE_CONTROLS)}")
        if value is None or value == AS_IN_SCENARIO:
            continue
        for site in world["sites"]:
            site[SITE_CONTROLS[control].field] = value
            if control == "positions_per_site" and str(value).isdigit():
                _fit_team(site, int(value))
    return Scenario.model_validate(world, strict=False)


def _fit_team(site: dict[str, Any], positions: int) -> None:
    """A site given ``positions`` positions by the app keeps as many of its later openings and supervisor posts as
    fit: at least one position opens with the site, and the supervisors are among those."""
    site["later_positions"] = site["later_positions"][:max(0, positions - 1)]
    site["supervisors"] = max(0, min(site["supervisors"], positions - len(site["later_positions"])))


class WorkshopModel(IPSModel):
    """IPSModel on a base scenario varied by the workshop's controls; stops at the scenario's horizon.

    Keyword-only, so that SolaraViz can rebuild it on Reset as ``WorkshopModel(**parameters)``: ``controls``
    are the levers' controls by lever name and the SITE_CONTROLS by keyword. Every control's default (None,
    or "as in scenario") keeps the base scenario's value, so ``WorkshopModel(base=s, seed=n)`` is
    ``IPSModel(s, n)``. ``seed`` goes to IPSModel as is.
    """

    def __init__(self, *, base: Scenario, seed: int = DEFAULT_SEED, **controls: bool | int | float | str | None) -> None:
        unknown = sorted(set(controls) - set(LEVER_CONTROLS) - set(SITE_CONTROLS))
        if unknown:
            raise TypeError(f"WorkshopModel got unknown controls {', '.join(unknown)}; "
                            f"allowed: {', '.join([*LEVER_CONTROLS, *SITE_CONTROLS])}")
        levers = {k: v for k, v in controls.items() if k in LEVER_CONTROLS}
        context = {k: controls.get(k, AS_IN_SCENARIO) for k in SITE_CONTROLS}
        varied = vary(base, levers=levers, context=context)  # type: ignore[arg-type]
        super().__init__(varied, seed)
        self.base = base
        self.varied = varied
        """The scenario the controls chose, before the start-up plan is applied (``settings`` is after)."""
        self.context = {k: v for k, v in context.items() if v is not None and v != AS_IN_SCENARIO}
        """The context settings the controls set at every site (the others are as in the base)."""
        if self.warm_up:
            self.run_for(self.warm_up)  # the room starts when the observation window opens

    def step(self) -> None:
        """One week; the run stops at the scenario's horizon, which disables Step and Play."""
        super().step()
        self.running = self.week < self.settings.weeks


def _keyword(name: str, default: object) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)


WorkshopModel.__init__.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
    inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
    inspect.Parameter("base", inspect.Parameter.KEYWORD_ONLY),
    _keyword("seed", DEFAULT_SEED),
    *(_keyword(name, None) for name in LEVER_CONTROLS),
    *(_keyword(name, AS_IN_SCENARIO) for name in SITE_CONTROLS),
])
"""The constructor's keywords spelled out from the registries: SolaraViz checks its controls against them and
passes nothing else (it would add its own ``scenario`` keyword to a constructor that takes ``**kwargs``)."""


def lever_control(lv: Lever, base: Scenario) -> dict[str, Any]:
    """SolaraViz's control of one lever, starting at the base's setting: a checkbox, or a slider over the schema's
    range narrowed to the control's ``most`` (a number of weeks or the horizon) but always including the base's."""
    settings = getattr(base.start_up_plan, lv.name)
    value = getattr(settings, lv.control.field)
    if lv.control.field == "enabled":
        return {"type": "Checkbox", "value": value, "label": label(lv.name)}
    low, high = bounds(lv.settings, lv.control.field)
    most = base.weeks if lv.control.most == "horizon" else lv.control.most
    top = high if most is None else min(high, most)
    return {"type": "SliderInt", "value": value, "min": low, "max": max(top, value), "step": 1,
            "label": lv.control.label}


def model_params(base: Scenario) -> dict[str, Any]:
    """SolaraViz's controls for a base scenario; every default reproduces the base exactly.

    ``base`` is a fixed parameter (passed through on Reset), the rest are controls: one per lever
    (core.levers declares each), the site controls, and the seed. Ranges are read from the schema.
    """
    params: dict[str, Any] = {"base": base}
    for lv in LEVERS:
        params[lv.name] = lever_control(lv, base)
    for name, control in SITE_CONTROLS.items():
        low, high = bounds(SiteSpec, control.field)
        if control.field == "positions":
            choices = [str(n) for n in POSITION_CHOICES if low <= n <= high]
        else:
            choices = [f"{v:g}" for v in np.round(np.linspace(low, high, LEVEL_CHOICES), 2)]
        params[name] = {"type": "Select", "value": AS_IN_SCENARIO, "values": [AS_IN_SCENARIO, *choices],
                        "label": control.label}
    params["seed"] = {"type": "SliderInt", "value": DEFAULT_SEED, "min": 0, "max": SEED_MAX, "step": 1,
                      "label": "Random seed (same seed, same run)"}
    return params


def initial_parameters(params: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments the controls give before anyone touches them (what SolaraViz starts with)."""
    return {k: v["value"] if isinstance(v, dict) else v for k, v in params.items()}


# --- reading the records ------------------------------------------------------------------------


def weekly(model: IPSModel) -> np.ndarray:
    """The weekly rows so far as one array (weeks by WEEKLY_COLUMNS), read once per drawing.

    One snapshot per figure, so that a week appended meanwhile (Play steps in a thread) can
    never give a figure columns of different lengths.
    """
    return np.array(model.weekly[0], dtype=float).reshape(-1, len(WEEKLY_COLUMNS))


def column(rows: np.ndarray, name: str) -> np.ndarray:
    return rows[:, WEEKLY_COLUMNS.index(name)]


def leavers(model: IPSModel) -> list[dict[str, Any]]:
    """Who quit and why, newest first: finished spells, then (on top) ES working their notice."""
    rows = []
    for s in observed(model.spells[0]):
        shares = {f.name: s[f.share_column] for f in pressures.DRAINS}
        rows.append({"week": s["end_week"], "decided": s["decision_week"], "site": s["site"],
                     "tenure": s["end_week"] - s["start_week"], "shock": s["shock"],
                     "ordinary": s["ordinary_reason"], "shares": shares, "notice": False})
    for es in model.slots:
        if es is not None and es.leaving:
            rows.append({"week": es.leave_week, "decided": es.decision_week, "site": es.site.name,
                         "tenure": model.week - es.start_week, "shock": es.shock or "",
                         "ordinary": es.ordinary_reason or "", "shares": es.attribution(), "notice": True})
    return sorted(rows, key=lambda r: (r["notice"], r["week"], r["decided"] or 0), reverse=True)


def top_drains(shares: Mapping[str, float], n: int = 2) -> str:
    ranked = sorted(((v, k) for k, v in shares.items() if v > 0), reverse=True)[:n]
    return ", ".join(f"{label(k)} {100 * v:.0f}%" for v, k in ranked) or "\u2014"


def plan_summary(model: WorkshopModel) -> str:
    """What this run is: the levers pulled, seminars, review and context, for the room to read."""
    plan = model.varied.start_up_plan
    pulled = [label(lv.name) for lv in LEVERS if lv.control.field == "enabled" and lv.is_on(getattr(plan, lv.name))]
    parts = [f"Start-up plan: {', '.join(pulled)}" if pulled else "Start-up plan: no lever pulled"]
    for lv in LEVERS:
        if lv.control.field != "enabled":
            value = getattr(getattr(plan, lv.name), lv.control.field)
            with_value, at_zero = lv.control.said
            parts.append(with_value.format(value) if value else at_zero)
    context = [f"{SITE_CONTROLS[k].name} {v}" for k, v in model.context.items()]
    parts.append(f"at every site: {', '.join(context)}" if context else "sites as in the scenario")
    parts.append(f"seed {model.seeds[0]}")
    return "; ".join(parts) + "."


# --- figures --------------------------------------------------------------------------------------


def _figure() -> tuple[Figure, Axes]:
    """A figure styled after charts.STYLE with explicit sizes.

    Explicit, not ``plt.rc_context``: tick labels are drawn when the figure is saved, outside any
    context, and rcParams are global to a server that several rooms may share. The figure is
    not registered with pyplot, so nothing accumulates and nothing needs closing.
    """
    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    ax = fig.subplots()
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=STYLE["font.size"])
    return fig, ax


def _title(fig: Figure, title: str) -> None:
    """The finding as a title, wrapped to the figure's width and laid out with it (constrained layout)."""
    fig.suptitle(textwrap.fill(title, TITLE_CHARS), x=0.01, ha="left", fontsize=STYLE["axes.titlesize"])


def _finish(ax: Axes, title: str, xlabel: str, ylabel: str) -> None:
    _title(ax.figure, title)
    ax.set_xlabel(xlabel, fontsize=STYLE["axes.labelsize"])
    ax.set_ylabel(ylabel, fontsize=STYLE["axes.labelsize"])


def _legend(ax: Axes) -> None:
    """The legend in a row above the axes, where it never hides a line however the run goes."""
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, frameon=False, fontsize=STYLE["font.size"],
              borderaxespad=0.2, handlelength=1.6, columnspacing=1.2)


def _note(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=STYLE["font.size"], color=GREY,
            bbox={"facecolor": "white", "edgecolor": "none"})


WEEK_AXIS = "Week of observation"
"""The charts' week axis: the observation window's weeks (after any warm-up)."""


def staffing_figure(model: WorkshopModel) -> Figure:
    """Positions filled and vacant each week, in ES positions."""
    fig, ax = _figure()
    positions = len(model.slots)
    ax.set_xlim(0, model.settings.weeks)
    ax.set_ylim(0, positions * 1.08 + 1)
    rows = weekly(model)
    if len(rows):
        week, head, vacant = column(rows, "week"), column(rows, "headcount"), column(rows, "vacancies")
        ax.plot(week, head, color=BLUE, linewidth=3, label="In post")
        ax.plot(week, vacant, color=ORANGE, linewidth=3, label="Vacant")
        ax.plot(week, column(rows, "in_notice"), color=GREY, linewidth=2, linestyle="--",
                label="Working their notice")
        _legend(ax)
        title = f"Week {int(week[-1])}: {int(head[-1])} of {positions} positions filled, {int(vacant[-1])} vacant"
    else:
        _note(ax, NO_WEEKS_YET)
        filled = sum(es is not None for es in model.slots)
        title = (f"{positions} positions, all filled at the start" if filled == positions
                 else f"Week 0: {filled} of {positions} positions filled")
    _finish(ax, title, WEEK_AXIS, "ES positions")
    return fig


def strain_figure(model: WorkshopModel) -> Figure:
    """Mean strain of the ES who worked each week, against the mean quit threshold of those in post."""
    fig, ax = _figure()
    ax.set_xlim(0, model.settings.weeks)
    in_post = [es for es in model.slots if es is not None]
    threshold = float(np.mean([es.threshold for es in in_post])) if in_post else None
    top = threshold or 1.0
    if threshold is not None:
        ax.axhline(threshold, color=GREY, linestyle="--", linewidth=2, label="Mean quit threshold (ES in post)")
    rows = weekly(model)
    if len(rows):
        strain = column(rows, "mean_strain")
        ax.plot(column(rows, "week"), strain, color=ORANGE, linewidth=3, label="Mean strain")
        top = max(top, float(strain.max()))
        share = f"{100 * strain[-1] / threshold:.0f}%" if threshold else "n/a"
        title = f"Week {int(rows[-1, 0])}: average strain {share} of the quit threshold"
    else:
        _note(ax, NO_WEEKS_YET)
        title = ("Strain builds up from zero at the start" if not model.warm_up
                 else "Strain as observation starts: the ES have worked for different spans")
    ax.set_ylim(0, 1.15 * top)
    _legend(ax)
    _finish(ax, title, WEEK_AXIS, "Strain (strain units)")
    return fig


def pressure_figure(model: WorkshopModel) -> Figure:
    """Draining (right) against nourishing (left) pressure per factor, mean of the last weeks."""
    fig, ax = _figure()
    fig.set_figheight(FIGSIZE[1] * 1.45)
    names = [f.weekly_column for f in [*pressures.DRAINS, *pressures.NOURISHERS]]  # buffers act through the drains
    ax.axvline(0, color=GREY, linewidth=1)
    recent = weekly(model)[-RECENT_WEEKS:]
    if len(recent):
        mean = {n: float(column(recent, n).mean()) for n in names}
        drains = sorted(pressures.DRAINS, key=lambda f: mean[f.weekly_column])
        nourish = sorted(pressures.NOURISHERS, key=lambda f: mean[f.weekly_column], reverse=True)
        ax.barh([label(f.name) for f in nourish], [-mean[f.weekly_column] for f in nourish], color=BLUE)
        ax.barh([label(f.name) for f in drains], [mean[f.weekly_column] for f in drains], color=ORANGE)
        net = sum(mean[f.weekly_column] for f in pressures.DRAINS) - sum(
            mean[f.weekly_column] for f in pressures.NOURISHERS)
        side = "Draining outweighs nourishing" if net > 0 else "Nourishing outweighs draining"
        title = f"{side} by {abs(net):.2f} strain units per week"
        first, last = int(recent[0, 0]), int(recent[-1, 0])
        weeks = f"week {last}" if first == last else f"weeks {first}-{last}"
        reach = max(abs(v) for v in mean.values()) or 0.01
        ax.set_xlim(-1.15 * reach, 1.15 * reach)
    else:
        ax.set_yticks(range(len(names)), [label(f.name) for f in [*pressures.NOURISHERS, *pressures.DRAINS]])
        _note(ax, NO_WEEKS_YET)
        title, weeks = "Draining and nourishing pressure by factor", f"the last {RECENT_WEEKS} weeks"
        ax.set_xlim(-1, 1)
        ax.set_ylim(-0.8, len(names) - 0.2)  # the margins barh leaves once there are bars
    ax.tick_params(axis="y", labelsize=STYLE["font.size"] - 2)
    ax.text(0.99, 1.0, "draining \u2192", transform=ax.transAxes, ha="right", va="bottom", color=ORANGE,
            fontsize=STYLE["font.size"])
    ax.text(0.01, 1.0, "\u2190 nourishing", transform=ax.transAxes, ha="left", va="bottom", color=BLUE,
            fontsize=STYLE["font.size"])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{abs(x):g}"))  # both directions count up
    _title(fig, title)
    ax.set_xlabel(f"Pressure on the average ES, {weeks}\n(strain units per week)", fontsize=STYLE["axes.labelsize"])
    return fig


# --- components -----------------------------------------------------------------------------------


def _chart(model: WorkshopModel, draw: Callable[[WorkshopModel], Figure]) -> solara.Element:
    """A figure drawn once per model and week (re-renders for other reasons reuse the image)."""
    update_counter.get()
    weeks = len(model.weekly[0])
    fig = solara.use_memo(lambda: draw(model), [model, weeks])
    return solara.FigureMatplotlib(fig, dependencies=[model, weeks], format="png")


@solara.component
def StaffingChart(model: WorkshopModel) -> solara.Element:
    """Headcount and vacancies per week."""
    return _chart(model, staffing_figure)


@solara.component
def StrainChart(model: WorkshopModel) -> solara.Element:
    """Mean strain per week and the mean quit threshold."""
    return _chart(model, strain_figure)


@solara.component
def PressureChart(model: WorkshopModel) -> solara.Element:
    """Draining against nourishing pressure by factor over the last weeks."""
    return _chart(model, pressure_figure)


def _tile(value: str, caption: str) -> str:
    return (f'<div class="ipsim-tile"><div class="ipsim-value">{html.escape(value)}</div>'
            f'<div class="ipsim-caption">{html.escape(caption)}</div></div>')


@solara.component
def Headline(model: WorkshopModel) -> solara.Element:
    """Week, staff in post, quits and annual turnover so far, and what this run is."""
    update_counter.get()
    positions = len(model.slots)
    in_post = sum(es is not None for es in model.slots)
    quits = len(observed(model.spells[0]))
    ordinary = sum(1 for s in observed(model.spells[0]) if s["exit_kind"] == "ordinary")
    notice = sum(1 for es in model.slots if es is not None and es.leaving)
    rows = weekly(model)
    if len(rows):
        mean_headcount = float(column(rows, "headcount").mean())
        years = len(rows) / WEEKS_PER_YEAR
        turnover = f"{100 * quits / mean_headcount / years:.0f}%" if mean_headcount else "n/a"
    else:
        turnover = "\u2014"
    tiles = "".join([
        _tile(f"Week {model.week}", f"of {model.settings.weeks}"),
        _tile(f"{in_post} of {positions}", "ES in post"),
        _tile(str(quits), "quits so far" + (f" (+{notice} working their notice)" if notice else "")),
        _tile(turnover, "annual turnover so far" + (f" ({ordinary} of the {quits} leavers ordinary exits)"
                                                    if ordinary else "")),
    ])
    status = ("End of the scenario's horizon: press Reset to run again."
              if not model.running else "Change settings on the left, then press Reset to apply them.")
    status += (" This is one simulated run (one seed): other seeds give other runs, so judge a plan by a "
               "compare report's averages and confidence intervals.")
    body = (f'<div class="ipsim-tiles">{tiles}</div>'
            f'<div class="ipsim-plan">Scenario <b>{html.escape(model.base.name)}</b>: '
            f'{html.escape(plan_summary(model))}</div><div class="ipsim-hint">{html.escape(status)}</div>')
    return solara.HTML(tag="div", unsafe_innerHTML=body, classes=["ipsim-headline"])


@solara.component
def QuitsPanel(model: WorkshopModel) -> solara.Element:
    """Who quit and why, newest first: week, site, tenure, what began it, the top draining factors."""
    update_counter.get()
    rows = leavers(model)
    if not rows:
        body = "<h3>Who quit and why</h3><p>Nobody has quit yet.</p>"
        return solara.HTML(tag="div", unsafe_innerHTML=body, classes=["ipsim-quits"])
    cells = []
    for r in rows[:MAX_LEAVERS_SHOWN]:
        if r["ordinary"]:
            began = f"ordinary exit: {r['ordinary']}"
        else:
            began = SHOCK_NAMES.get(r["shock"], r["shock"]) if r["shock"] else "gradual strain"
        week = f"leaves {r['week']} (notice)" if r["notice"] else str(r["week"])
        cells.append(
            f'<tr class="{"ipsim-notice" if r["notice"] else ""}"><td>{html.escape(week)}</td>'
            f"<td>{html.escape(r['site'])}</td><td>{r['tenure']}</td><td>{html.escape(began)}</td>"
            f"<td>{html.escape('not worn down' if r['ordinary'] else top_drains(r['shares']))}</td></tr>"
        )
    more = len(rows) - MAX_LEAVERS_SHOWN
    quits = sum(not r["notice"] for r in rows)
    shocks = sum(1 for r in rows if not r["notice"] and r["shock"])
    ordinary = sum(1 for r in rows if not r["notice"] and r["ordinary"])
    summary = (f"{quits} left so far: {shocks} quits begun by a shock, {quits - shocks - ordinary} gradual, and "
               f"{ordinary} ordinary exits (promotion, moving, retirement) no plan changes." if quits
               else "Nobody has left yet.")
    body = (
        f"<h3>Who quit and why</h3><p>{summary}</p>"
        "<table><thead><tr><th>Week left</th><th>Site</th><th>Tenure (weeks)</th><th>Began with</th>"
        "<th>Top draining factors (share of strain)</th></tr></thead><tbody>"
        + "".join(cells) + "</tbody></table>"
        + (f"<p class='ipsim-more'>and {more} earlier</p>" if more > 0 else "")
    )
    return solara.HTML(tag="div", unsafe_innerHTML=body, classes=["ipsim-quits"])


CSS = """
.v-navigation-drawer .v-checkbox .v-input__details, .v-navigation-drawer .v-select .v-input__details { display: none; }
.v-navigation-drawer .v-checkbox .v-selection-control { min-height: 34px; height: 34px; }
.v-navigation-drawer .v-slider.v-input--horizontal { grid-template-areas: "prepend" "control"; grid-template-columns: 100%; }
.v-navigation-drawer .v-slider .v-input__prepend { margin: 6px 0 0 0; }
.ipsim-dashboard { padding: 8px 16px; }
.ipsim-dashboard img { max-width: 100%; height: auto; }
.ipsim-headline { font-size: 18px; }
.ipsim-tiles { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 8px; }
.ipsim-tile { background: #f2f6fa; color: #111; border-left: 6px solid #0072B2; padding: 8px 16px; min-width: 170px; }
.ipsim-value { font-size: 30px; font-weight: 600; line-height: 1.2; }
.ipsim-caption { font-size: 16px; }
.ipsim-plan { font-size: 17px; margin-top: 4px; }
.ipsim-hint { font-size: 15px; color: #555; margin-top: 2px; }
.ipsim-quits { font-size: 16px; }
.ipsim-quits h3 { font-size: 22px; margin: 4px 0 6px 0; }
.ipsim-quits table { border-collapse: collapse; width: 100%; }
.ipsim-quits th, .ipsim-quits td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #ddd; }
.ipsim-quits th { font-weight: 600; }
.ipsim-quits tr.ipsim-notice td { color: #8a3b00; font-style: italic; }
"""
"""Large type for a projector. The first four rules tighten Mesa's sidebar inputs, which keep Vuetify 3's
message row and put slider labels beside short tracks: eleven lever checkboxes would fill two screens."""


@solara.component
def Dashboard(model: WorkshopModel) -> solara.Element:
    """The headline on top, then two columns of charts and the quit panel."""
    with solara.Column(classes=["ipsim-dashboard"]) as main:
        solara.Style(CSS)
        Headline(model)
        with solara.Columns([1, 1]):
            StaffingChart(model)
            StrainChart(model)
        with solara.Columns([1, 1]):
            PressureChart(model)
            QuitsPanel(model)
    return main


# --- the page -------------------------------------------------------------------------------------


@solara.component
def Workshop(base: Scenario) -> solara.Element:
    """SolaraViz for the controls, the dashboard for the charts; one model per browser session.

    The model lives in a reactive made once per session (use_memo), so rooms sharing a server
    never step each other's model; Reset replaces its value with a new WorkshopModel.
    """
    params = solara.use_memo(lambda: model_params(base), [])
    model = solara.use_memo(lambda: solara.reactive(WorkshopModel(**initial_parameters(params))), [])
    with solara.Column(style={"width": "100%"}) as page:
        SolaraViz(model, components=[], model_params=params, name=f"ipsim: {base.name}")
        Dashboard(model.value)
    return page


def front_end_note(cache: Path | None = None, cdn: str | None = None) -> str | None:
    """A warning when the page would stay blank: Solara's front end is neither cached nor reachable.

    The server fetches the page's JavaScript (Vuetify, RequireJS) from a CDN on first use and
    keeps it in ``cache`` (Solara's asset cache); a workshop room without internet then still works.
    """
    from solara import settings as page_settings
    from solara.server import settings as server_settings

    cache = cache or server_settings.assets.proxy_cache_dir
    cdn = cdn or str(page_settings.assets.cdn)
    if cache.is_dir() and any(cache.iterdir()):
        return None
    host = urlsplit(cdn).hostname or cdn
    try:
        socket.create_connection((host, 443), timeout=3).close()
    except OSError:
        return (f"Solara's page files are not cached yet ({cache}) and {host} cannot be reached from here, so the "
                "page will stay blank: start the app once where there is internet (the files are then kept)")
    return None


def scenario_path() -> Path:
    """The base scenario file: ``IPSIM_APP_SCENARIO`` if set, else the bundled baseline."""
    return Path(os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO)


def make_page(scenario_path: str | Path) -> solara.Element:
    """The workshop page for a scenario file (e.g. to display in a notebook)."""
    return Workshop(load_scenario(scenario_path))


@solara.component
def Page() -> solara.Element:
    """What ``solara run simulation/app.py`` serves: the workshop page for ``scenario_path()``."""
    path = scenario_path()

    def load() -> Scenario | str:
        try:
            return load_scenario(path)
        except ScenarioError as exc:
            return f"Cannot open the scenario for the workshop app ({SCENARIO_ENV}):\n{exc}"

    base = solara.use_memo(load, [str(path)])
    if isinstance(base, str):
        return solara.Error(base)
    return Workshop(base)
