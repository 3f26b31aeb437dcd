"""``ipsim report``: one self-contained HTML file from a run, compare, levers, sweep, calibration or
patterns folder, for a workshop room and to send round afterwards.

The report only reads what the folder already holds (manifest.json, summary files, CSVs and the
charts' PNGs), so it says exactly what the run said. Charts are embedded as data URIs and the
styles are inline: the file makes no request outside itself, opens offline and prints to A4.

Every file is read by ``report_files``, which checks it as it reads it: a missing, damaged or foreign one is
a ReportError (defined there) naming it, what is wrong and how to recover, never a traceback, and nothing is
written into the folder. This module builds the report from what those readers return and renders it.
"""

from __future__ import annotations

import base64
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import markdown as md
import markupsafe
import nh3
import yaml

from simulation.core import references
from simulation.core.scenario import ASSUMPTION, Scenario, SiteSpec, StartUpPlan, effective
from simulation.execution.folders import write_file
from simulation.inputs.docs import parameter_rows
from simulation.inputs.specs import DISTRIBUTION_QUANTILES
from simulation.present import words
from simulation.present.report_files import (
    CalibrationManifest,
    CompareManifest,
    Interval,
    PatternsManifest,
    Provenance,
    ReportError,
    RunManifest,
    RunSummary,
    SiteEntry,
    SweepManifest,
    SweepParameter,
    chart_files,
    check_finished,
    check_lists,
    kind_of,
    own_folder,
    read_csv,
    read_json,
    read_manifest,
    read_png,
    read_text,
    recorded_scenario,
    recovery,
    shaped,
    site_columns,
)

TEMPLATE = "report.html.j2"
EARLIER = b"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:"
"""In the head of every report ipsim has written (the template's): how ``write`` knows an earlier report, the only
file it replaces."""
MAX_DETAILED_SCENARIOS = 4
"""A comparison of more scenarios than this shows only the comparison charts, not each scenario's own."""
TOP_REASONS = 3
TOP_LEVERS = 3
"""Levers named in a levers report's findings; the table ranks them all."""

CHART_ORDER = ["levers", "uncertainty", "turnover", "retention", "staffing", "sites", "clients_and_vacancies", "quit_reasons",
               "pressures", "posterior", "fit", "quitting", "maturation", "structure"]
"""Charts named here come first, in this order (the headline before the explanation); others follow by name."""

HOW_TO_READ = {
    "uncertainty": "How sure each answer is. The dark bar is the 95% confidence interval at the assumed values "
                   "(chance alone); the light band is the uncertainty interval over the draws of what is not known "
                   "(the quit threshold from the calibration, each lever's effect size from its prior), chance "
                   "included. A band that crosses zero means the answer depends on assumptions not yet known. The "
                   "text on the right says how often a lever ranks first, or how likely a scenario has fewer "
                   "leavers than the reference.",
    "levers": "Each bar is one lever added to the reference scenario on its own: how many fewer specialists "
              "leave per 100 a year. Whiskers: paired 95% confidence interval.",
    "retention": "Share of specialists still in post by weeks since they started (Kaplan-Meier estimate, which "
                 "also counts those still in post at the end); the shaded band is the 95% confidence interval.",
    "staffing": "Specialists in post and vacant positions week by week; shaded: 95% confidence interval across "
                "replicates.",
    "sites": "Annual turnover at each kind of site of the scenario (its name, how many such sites and how many ES "
             "positions each): leavers per 100 specialists a year who worked there, with 95% confidence intervals; "
             "the dashed line is the turnover of all sites together.",
    "quit_reasons": "Which draining factors had built up the strain of those who quit (share of each leaver's "
                    "accumulated drain) among the voluntary quits, with 95% confidence intervals; the note says how "
                    "many a shock began. Ordinary exits (promotion, moving, retirement) are left out.",
    "pressures": "The pressure on the average specialist each week, in strain units: draining factors above zero, "
                 "nourishing factors below, the largest named and the rest lumped together; black: the net balance "
                 "with its 95% confidence interval. The regular dips are network seminar weeks. A balance below "
                 "zero for the average specialist does not mean nobody quits: strain is personal, and shocks tip "
                 "people over.",
    "posterior": "Calibration: the values of each free parameter that reproduce the observed figures (the "
                 "posterior's weighted particles) against the range tried (the prior's draws).",
    "fit": "Calibration: the observed figures against what the posterior's parameter values simulate.",
    "quitting": "Shape of quitting: gradual decisions to quit by year in post (per ES-year at risk, 95% confidence "
                "interval), and the share of the average specialist's personal resources used up week by week.",
    "maturation": "Validation pattern: each readiness part as the services mature, and decisions to leave by year "
                  "of the service, against what was observed.",
    "structure": "Validation pattern: solo posts against teams, against what was observed.",
    "sobol": "Sensitivity: the share of the metric's variance each parameter accounts for (total Sobol index, "
             "95% confidence interval).",
    "morris": "Sensitivity screening: how much the metric changes across each parameter's range (Morris mu*), "
              "against how non-linear or interacting that change is (sigma).",
    "response": "Response curve: the metric across the parameter's range; dots are runs, the band the 95% "
                "confidence interval of the mean.",
    "heatmap": "The metric's mean over a grid of two parameters, each cell one design point with the half-width "
               "of its 95% confidence interval.",
}
"""A line under each chart on how to read it, by chart name (a sweep's by family: ``sobol_annual_turnover``)."""

HOW_TO_READ_COMPARISON = {
    "turnover": "Leavers per 100 specialists a year in each scenario; whiskers show the 95% confidence interval, "
                "labels the difference from the first scenario with its paired 95% interval.",
    "retention": "Share of specialists still in post by weeks since they started, one line per scenario "
                 "(Kaplan-Meier); the shaded bands are 95% confidence intervals.",
    "clients_and_vacancies": "What turnover means for clients: job starts and weeks of vacancy per funded "
                             "position a year, with 95% confidence intervals and the difference from the first "
                             "scenario.",
    "sites": "Where each scenario changes turnover: for each kind of site, the change in its annual turnover from "
             "the first scenario (leavers per 100 specialists a year who worked there), with paired 95% confidence "
             "intervals; blue: clearly fewer leavers, orange: clearly more, grey: no clear difference. A site given "
             "more positions can lose more specialists a year at the same turnover.",
    "quit_reasons": "Each scenario's annual turnover, split by the draining factors that had built up the strain "
                    "of those who quit; whiskers: 95% confidence interval of the turnover.",
    "pressures": "The mean weekly pressure on a specialist over the whole horizon, by factor: nourishing to the "
                 "left of zero, draining to the right; the diamond is the net balance with its 95% confidence "
                 "interval. A balance below zero for the average specialist does not mean nobody quits: strain is "
                 "personal, and shocks tip people over.",
}
"""Captions of a comparison's own charts, which show several scenarios side by side."""

ABOUT = {
    "run": "This report shows what one scenario, {name}, gives when simulated many times over.",
    "compare": "This report compares {count} versions of the same service, each against the first ({name}); "
               "what differs between them is listed under Scenarios.",
    "levers": "This report adds each start-up plan lever on its own to {name} and ranks the levers by the "
              "turnover each avoids.",
    "sweep": "This report shows how the results change as the swept parameters vary around {name}.",
    "calibration": "This report shows which values of the model's free parameters reproduce the observed "
                   "turnover, starting from {name}.",
    "patterns": "This report checks {name} against patterns observed in real services that the model was not "
                "fitted to.",
}
"""What the report is about, after the sentence every report opens with (the template's)."""

KIND_TITLES = {
    "run": "Simulation of {name}",
    "compare": "{name}: a comparison",
    "levers": "Start-up plan levers one at a time, added to {name}",
    "sweep": "Sensitivity sweep: {name}",
    "calibration": "Calibration: {name}",
    "patterns": "Validation patterns: {name}",
}


@dataclass(frozen=True)
class Chart:
    title: str
    how_to_read: str
    uri: str


@dataclass(frozen=True)
class Table:
    head: list[str]
    rows: list[list[str]]
    marked: list[bool] = field(default_factory=list)
    """Rows to highlight (e.g. a value that rests on an assumption)."""
    groups: list[str] = field(default_factory=list)
    """Each row's group; a heading row is shown where it changes."""


@dataclass(frozen=True)
class ScenarioView:
    """A scenario as a person reads it: what it is, its sites and which levers of the plan are pulled."""

    name: str
    source: str
    description: str
    horizon: str
    sites: Table
    levers: list[str]
    resolved_yaml: str


@dataclass
class Report:
    title: str
    subtitle: str
    about: str = ""
    findings: list[str] = field(default_factory=list)
    findings_html: str = ""
    sureness: list[str] = field(default_factory=list)
    """How sure each answer is, for a comparison under uncertainty (words.sureness_lines); empty otherwise."""
    sureness_method: str = ""
    key_figures: Table | None = None
    key_figures_title: str = "Key figures (mean and 95% confidence interval)"
    chart_groups: list[tuple[str, list[Chart]]] = field(default_factory=list)
    scenarios: list[ScenarioView] = field(default_factory=list)
    changes: Table | None = None
    sweep_parameters: Table | None = None
    assumptions: Table | None = None
    assumptions_of: str = ""
    references: dict[str, str] = field(default_factory=dict)
    """The studies the assumptions table cites by code, in full."""
    replicates: int = 0
    weeks: int = 0
    compared: bool = False
    """Scenarios run with common random numbers, differences paired (the method note says so)."""
    design_note: str = ""
    reproduce: str = ""
    provenance: list[tuple[str, str]] = field(default_factory=list)


# --- charts -------------------------------------------------------------------------------------


SWEEP_FAMILIES = ("sobol", "morris", "response", "heatmap")
"""A sweep draws one chart of each family per metric (``response_annual_turnover``)."""


def _order(path: Path) -> tuple[int, str]:
    prefix = path.stem.split("_")[0]
    family = prefix if prefix in SWEEP_FAMILIES else path.stem
    return (CHART_ORDER.index(family) if family in CHART_ORDER else len(CHART_ORDER), path.stem)


def charts_in(folder: Path, comparison: bool = False) -> list[Chart]:
    """The folder's PNG charts as data URIs, headline charts first; each must be a whole PNG file of the folder's
    own (see chart_files and read_png)."""
    captions = {**HOW_TO_READ, **HOW_TO_READ_COMPARISON} if comparison else HOW_TO_READ
    found = []
    for path in sorted(chart_files(folder), key=_order):
        family = path.stem if path.stem in captions else path.stem.split("_")[0]
        uri = "data:image/png;base64," + base64.b64encode(read_png(path)).decode("ascii")
        title = path.stem.replace("_", " ").capitalize()
        found.append(Chart(title, captions.get(family, ""), uri))
    return found


# --- plain-language findings --------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _ci(m: Interval, scale: float = 100, digits: int = 0, unit: str = "%") -> str:
    if m["ci_low"] is None or m["ci_high"] is None:
        return ""
    low, high = (max(0.0, m["ci_low"]), min(1.0, m["ci_high"])) if unit == "%" else (m["ci_low"], m["ci_high"])
    return f" (95% CI {scale * low:.{digits}f}{unit} to {scale * high:.{digits}f}{unit})"


def run_findings(summary: RunSummary) -> list[str]:
    """The headline figures of one scenario's run in plain words, each with its 95% CI."""
    turnover, cohort = summary["annual_turnover"], summary["study_cohort_left_share"]
    retained, shock = summary["retention_12m"], summary["shock_share"]
    out = []
    if turnover["mean"] is not None:
        out.append(f"About {100 * turnover['mean']:.0f} in 100 specialists leave each year{_ci(turnover)}.")
    avoidable, ordinary = summary["avoidable_turnover"], summary["ordinary_turnover"]
    if avoidable["mean"] is not None and ordinary["mean"] is not None:
        out.append(f"Of them, {100 * avoidable['mean']:.0f} in 100 a year quit worn down or after a shock, the "
                   f"turnover a start-up plan can act on (no lever changes how often shocks happen, only whether "
                   f"they tip a worn-down ES over, and permanent contracts remove one kind){_ci(avoidable)}; "
                   f"{100 * ordinary['mean']:.0f} in 100 leave for ordinary reasons (promotion, moving, retirement) "
                   f"that no plan changes{_ci(ordinary)}.")
    if cohort["mean"] is not None:
        out.append(f"{_pct(cohort['mean'])} of the specialists {words.in_post(summary['warm_up_weeks'])} have left "
                   f"within {words.span(cohort['window_weeks'])}{_ci(cohort)}.")
    by_site = {e: m for e, m in summary["turnover_by_site"].items() if m["mean"] is not None}
    if len(by_site) > 1:
        high, low = max(by_site, key=lambda e: by_site[e]["mean"]), min(by_site, key=lambda e: by_site[e]["mean"])
        out.append(f"Turnover is highest at {_site(high, summary['site_entries'][high])}: about "
                   f"{100 * by_site[high]['mean']:.0f} in 100 of the specialists there leave each year"
                   f"{_ci(by_site[high], unit='')}; and lowest at {_site(low, summary['site_entries'][low])}, about "
                   f"{100 * by_site[low]['mean']:.0f}{_ci(by_site[low], unit='')}.")
    if retained["mean"] is not None:
        out.append(f"{100 * retained['mean']:.0f} in 100 newly started specialists are still in post a year "
                   f"later{_ci(retained)}.")
    if shock["mean"] is not None:
        out.append(f"{_pct(shock['mean'])} of voluntary quits began with a shock (a contract not renewed, a "
                   f"reorganisation or a work-life conflict){_ci(shock)}; the rest came from strain building up over "
                   "time.")
    reasons = sorted(summary.get("quit_reasons", {}).items(), key=lambda kv: -kv[1])[:TOP_REASONS]
    if reasons and sum(v for _, v in reasons) > 0:
        named = ", ".join(f"{name.replace('_', ' ')} ({_pct(share)})" for name, share in reasons)
        out.append(f"The draining factors that built up the strain of those who quit, largest first: {named}.")
    jobs, vacant = summary["job_starts_per_position_year"], summary["vacancy_weeks_per_position_year"]
    if jobs["mean"] is not None and vacant["mean"] is not None:
        out.append(f"Each position brings clients {jobs['mean']:.1f} job starts a year{_ci(jobs, 1, 1, '')}, and "
                   f"stands vacant {vacant['mean']:.1f} weeks a year on average{_ci(vacant, 1, 1, '')}.")
    employed, changes = summary.get("clients_employed_12m"), summary.get("es_changes_per_client")
    if employed and changes and employed["mean"] is not None and changes["mean"] is not None:
        out.append(f"{100 * employed['mean']:.1f}% of clients are in an ordinary job 12 months after they were "
                   f"referred{_ci(employed, digits=1)}, and a client's specialist leaves them "
                   f"{100 * changes['mean']:.0f} times per 100 clients in their first year"
                   f"{_ci(changes, digits=0, unit='')}: the continuity turnover costs clients.")
    return out


def _site(entry: str, size: SiteEntry) -> str:
    return words.site_label(entry, size["sites"], size["positions"])


def site_table(summary: RunSummary) -> Table:
    """A run's annual turnover at each site entry (in the scenario's order) with its 95% CI, and of all sites."""

    def turnover(m: Interval) -> str:
        if m["mean"] is None:
            return "n/a (nobody worked there)"
        ci = "" if m["ci_low"] is None or m["ci_high"] is None else (
            f" ({words.shown('annual_turnover', m['ci_low'])} to {words.shown('annual_turnover', m['ci_high'])})")
        return words.shown("annual_turnover", m["mean"]) + ci

    sizes = summary["site_entries"]
    rows = [[entry, str(sizes[entry]["sites"]), str(sizes[entry]["positions"]), turnover(m)]
            for entry, m in summary["turnover_by_site"].items()]
    rows.append(["all sites", str(sum(s["sites"] for s in sizes.values())), "",
                 turnover(summary["annual_turnover"])])
    return Table(["site", "sites", "ES positions each", "annual turnover (95% CI)"], rows)


def sweep_findings(folder: Path, design: str) -> list[str]:
    """Per metric, the parameters it depends on most, from sensitivity.csv, in words."""
    index = words.RANKED_BY[design]
    rows = [r for r in read_csv(folder / "sensitivity.csv") if r["index"] == index and r["value"] != ""]
    out = []
    for metric in dict.fromkeys(r["metric"] for r in rows):
        mine = sorted((r for r in rows if r["metric"] == metric), key=lambda r: -abs(float(r["value"])))
        parts = []
        for r in mine[:words.TOP]:
            ends = _ends(r)
            ci = f", 95% CI {ends[0]:.2f} to {ends[1]:.2f}" if ends else ""
            parts.append(f"{r['parameter']} ({float(r['value']):.2f}{ci})")
        label = words.DISPLAY.get(metric, (metric.replace("_", " "), 1, ""))[0].format(window="the window's")
        out.append(f"{label} depends most on {', then '.join(parts)}; "
                   f"measured by the {words.INDEX_NAMES[index]}.")
    return out


MARKDOWN_TAGS = {"p", "ul", "ol", "li", "strong", "em", "code", "pre", "table", "thead", "tbody", "tr", "th", "td",
                 "h2", "h3", "h4", "h5", "h6", "a", "br", "hr", "blockquote"}
"""What the findings' Markdown may become in the report: text, lists, tables and links; no image, script or style."""


MAX_NESTING = 32
"""Lists and quotes nested deeper than this in a folder's Markdown are refused: ipsim's own files nest two levels,
and hundreds of nested lists show nothing readable (how deep Markdown itself goes depends on its version: 3.10
raised RecursionError at a few hundred, 3.11 converts them)."""


def _nesting(html: str) -> int:
    """The deepest nesting of lists and quotes in ``html``."""
    depth = deepest = 0
    for tag in re.finditer(r"<(/?)(?:ul|ol|blockquote)\b", html):
        depth += -1 if tag.group(1) else 1
        deepest = max(deepest, depth)
    return deepest


def _findings_html(path: Path) -> str:
    """One of the folder's Markdown files (see read_text) as safe HTML (see _markdown); ReportError if it nests
    lists or quotes deeper than MAX_NESTING (or than Markdown converts)."""
    text = read_text(path)
    try:
        html: str | None = _markdown(text)
    except RecursionError:
        html = None
    if html is None or _nesting(html) > MAX_NESTING:
        raise ReportError(f"{path}: nests lists or quotes too deeply to be shown; {recovery(path)}")
    return html


def _markdown(text: str) -> str:
    """A summary.md or patterns.md file as HTML (its first heading dropped: the report has its own title).

    The text holds names and sources from input files, so it is treated as hostile: any ``<`` is escaped before
    Markdown sees it, and the HTML is then cleaned by nh3 (the Ammonia sanitiser) down to MARKDOWN_TAGS, with
    links only to http(s) addresses: no image, script or ``javascript:`` link reaches the file."""
    lines = text.splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    html = md.markdown("\n".join(lines).replace("&", "&amp;").replace("<", "&lt;"), extensions=["tables"])
    return nh3.clean(html, tags=MARKDOWN_TAGS, attributes={"a": {"href"}}, url_schemes={"http", "https"})


# --- scenarios and assumptions ----------------------------------------------------------------------

SITE_COLUMNS = ["name", "count", "positions", "supervisor_availability", "team_contact", "travel_burden", "job_market"]


def scenario_view(scenario: Scenario, source: str) -> ScenarioView:
    sites = Table(
        ["site", "sites", "ES positions each", "supervisor availability (0-1)", "team contact (0-1)",
         "travel burden (0-1)", "job market (x typical)"],
        [[str(getattr(s, c)) for c in SITE_COLUMNS] for s in scenario.sites],
    )
    pulled = []
    for name, info in type(scenario.start_up_plan).model_fields.items():
        lever = getattr(scenario.start_up_plan, name)
        default = info.get_default(call_default_factory=True)
        on = getattr(lever, "enabled", None)
        if on or (on is None and lever != default):
            settings = ", ".join(_setting(k, v) for k, v in lever.model_dump().items() if k != "enabled")
            pulled.append(f"{info.description} ({settings})" if settings else str(info.description))
    horizon = (f"{scenario.weeks} weeks ({scenario.weeks / 52:.1f} years), {scenario.positions} ES positions at "
               f"{sum(s.count for s in scenario.sites)} sites")
    positions = effective(scenario).positions
    if positions != scenario.positions:
        horizon += f" ({positions} once the start-up plan has added positions so that nobody works alone)"
    return ScenarioView(scenario.name, source, scenario.description.strip(), horizon, sites, pulled,
                        yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True))


def _setting(name: str, value: object) -> str:
    """A lever's setting in words: ``every 8 weeks``, ``in week 40``, ``gap reduction 0.3``."""
    if name == "every_weeks":
        return f"every {value} weeks" if value else "none"
    if name == "week":
        return f"in week {value}" if value else "none"
    return f"{name.replace('_', ' ')} {value}"


def parameters(scenario: Scenario) -> list[dict[str, str]]:
    """Every parameter of a scenario with its value, unit, description and source; site parameters per site.
    Yes/no values read ``yes`` and ``no``."""
    rows = [r for r in parameter_rows(Scenario, defaults=scenario)
            if r["parameter"] not in ("name", "description") and not r["parameter"].startswith("sites[]")]
    site_rows = [r for s in scenario.sites for r in parameter_rows(SiteSpec, f"sites[{s.name}].", s)
                 if not r["parameter"].endswith(".name")]
    for r in rows + site_rows:
        if r["unit"] == "yes/no":
            r["default"] = {"True": "yes", "False": "no"}.get(r["default"], r["default"])
    top_level = [r for r in rows if "." not in r["parameter"]]  # the horizon: weeks, cohort window
    return top_level + site_rows + [r for r in rows if "." in r["parameter"]]


def _group(parameter: str) -> str:
    """The section a parameter belongs to, as its heading in the assumptions table."""
    top = re.split(r"[.\[]", parameter, maxsplit=1)[0]
    info = Scenario.model_fields[top]
    if top in ("weeks", "cohort_window_weeks"):
        return "Horizon"
    if top == "sites":
        return f"Site {parameter[len('sites['):parameter.index(']')]}"
    return (info.description or top).capitalize()


def _documented_defaults() -> dict[str, str]:
    """Each parameter's documented default, as :func:`parameters` shows values (site parameters have none:
    every site is the scenario's own)."""
    bare = Scenario.model_validate({"name": "defaults", "sites": [{"name": "any"}]})
    return {r["parameter"]: r["default"] for r in parameters(bare) if not r["parameter"].startswith("sites[")}


def assumptions_table(scenario: Scenario) -> Table:
    """The assumptions table: each parameter's value and its source, or ``assumption``; values a scenario
    sets away from the documented default say so, since the default's source is then not the value's."""
    defaults = _documented_defaults()
    rows, marked, groups = [], [], []
    for r in parameters(scenario):
        source = r["source"] or ASSUMPTION
        default = defaults.get(r["parameter"])
        if default is not None and default != r["default"]:
            source = f"set by the scenario (documented default {default}: {source})"
        rows.append([r["parameter"], r["description"], r["default"], r["unit"], source])
        marked.append(ASSUMPTION in source)
        groups.append(_group(r["parameter"]))
    return Table(["parameter", "what it is", "value", "unit", "source"], rows, marked, groups)


def changes_table(named: list[tuple[str, Scenario]]) -> Table | None:
    """What each scenario changes from the first (the reference): parameter, reference value, its value."""
    reference_name, reference = named[0]
    ref = {r["parameter"]: r["default"] for r in parameters(reference)}
    rows = []
    for name, scenario in named[1:]:
        mine = {r["parameter"]: r["default"] for r in parameters(scenario)}
        for key in dict.fromkeys([*ref, *mine]):
            if ref.get(key) != mine.get(key):
                rows.append([name, key, ref.get(key, "(no such site)"), mine.get(key, "(no such site)")])
    if not rows:
        return None
    return Table(["scenario", "parameter", f"in {reference_name}", "in the scenario"], rows)


def _number(row: dict[str, str], key: str) -> float | None:
    return None if row.get(key, "") == "" else float(row[key])


def _ends(row: dict[str, str], prefix: str = "") -> tuple[float, float] | None:
    """The 95% CI in ``row``'s ``{prefix}ci_low`` and ``{prefix}ci_high``; None unless both ends are given (a
    Kaplan-Meier interval may have no upper end)."""
    low, high = _number(row, f"{prefix}ci_low"), _number(row, f"{prefix}ci_high")
    return None if low is None or high is None else (low, high)


def key_figures(rows: list[dict[str, str]], window: int, weeks: int) -> Table:
    """The comparison's headline metrics, one column per scenario: mean (95% CI), and the paired difference
    from the first scenario (in percentage points for shares)."""
    head = ["metric", *(r["scenario"] for r in rows)]
    body = []
    for metric, (label, scale, unit) in words.DISPLAY.items():
        line = [label.format(window=window)]
        for i, r in enumerate(rows):
            mean, low, high, diff = (_number(r, f"{metric}_{k}") for k in ("mean", "ci_low", "ci_high", "diff_mean"))
            if mean is None:
                line.append(f"not reached in {weeks} weeks" if metric == "median_tenure_weeks" else "n/a")
                continue
            cell = words.shown(metric, mean)
            if low is not None and high is not None and unit == "%":  # a t interval can stray past 0 or 100%
                low, high = max(0.0, low), min(1.0, high)
            if low is not None:
                cell += f" ({words.shown(metric, low)} to {words.shown(metric, high)})"
            if i > 0 and diff is not None:
                shown = round(scale * diff, 1) + 0.0  # + 0.0: never a negative zero
                cell += f"; difference {shown:+.1f}{' points' if unit == '%' else unit}"
            line.append(cell)
        body.append(line)
    return Table(head, body)


def site_figures(rows: list[dict[str, str]], named: list[tuple[str, Scenario]]) -> list[list[str]]:
    """Key figures rows, one per site entry of the compared scenarios (in the order they first appear, as
    comparison.csv's ``turnover_<entry>_*`` columns): each scenario's annual turnover there with its 95% CI and,
    after the first scenario, the paired difference from it with the paired 95% CI, in points. Each entry is named
    with its sites and positions in the first scenario that has it (after the start-up plan); a cell says so where a
    scenario's sites or positions there differ, and ``no such site`` where a scenario has no such entry."""
    planned = [{site.name: site for site in effective(scenario).sites} for _, scenario in named]
    out = []
    for entry in dict.fromkeys(name for sites in planned for name in sites):
        first = next(sites[entry] for sites in planned if entry in sites)
        line = [f"Annual turnover at {words.site_label(entry, first.count, first.positions)}"]
        for i, (r, sites) in enumerate(zip(rows, planned, strict=True)):
            mean, low, high, diff = (_number(r, f"turnover_{entry}_{k}") for k in ("mean", "ci_low", "ci_high",
                                                                                 "diff_mean"))
            if entry not in sites or mean is None:
                line.append("no such site" if entry not in sites else "n/a (nobody worked there)")
                continue
            cell = words.shown("annual_turnover", mean)
            if low is not None and high is not None:
                cell += f" ({words.shown('annual_turnover', low)} to {words.shown('annual_turnover', high)})"
            site = sites[entry]
            if (site.count, site.positions) != (first.count, first.positions):
                cell += f" at {words.plural(site.count, 'site')} of {site.positions} ES"
            if i > 0 and diff is not None:
                cell += f"; difference {100 * diff:+.1f} points"
                ends = _ends(r, f"turnover_{entry}_diff_")
                if ends:
                    cell += f" ({100 * ends[0]:+.1f} to {100 * ends[1]:+.1f})"
            line.append(cell)
        out.append(line)
    return out


def _list_items(summary_md: str) -> list[str]:
    """The findings of a compare or levers summary.md: its list items (the paragraph before restates the
    method, which the report gives in full)."""
    return [re.sub(r"^(- |\d+\. )", "", line).strip() for line in summary_md.splitlines()
            if re.match(r"^(- |\d+\. )", line)]


SURENESS_HEADING = "## How sure is this?"
"""Where summary.md's words on how sure a comparison is begin: the report words them from the numbers instead."""


def _numbers(rows: list[dict[str, str]], names: tuple[str, ...], columns: tuple[str, ...]
             ) -> list[dict[str, float | str | None]]:
    """The ``names`` columns as text and the ``columns`` as numbers (None where empty) of each row; ReportError if a
    column is missing."""
    missing = [c for c in columns if rows and c not in rows[0]]
    if missing:
        raise ReportError(f"no column {', '.join(missing[:5])} in a comparison under uncertainty's CSV files; "
                          "run the comparison again")
    return [{**{n: r[n] for n in names}, **{c: _number(r, c) for c in columns}} for r in rows]


def _unclear_levers(ranking: list[dict[str, str]]) -> list[str]:
    unclear = [r["lever"] for r in ranking if (ends := _ends(r, "turnover_avoided_")) and ends[0] <= 0 <= ends[1]]
    if not unclear:
        return []
    who = ("The one tested lever makes" if len(ranking) == 1 else
           f"{len(unclear)} of the {len(ranking)} tested levers {'makes' if len(unclear) == 1 else 'make'}")
    own = "its" if len(unclear) == 1 else "their"
    return [(f"{who} no clear difference on {own} own (the 95% CI of the turnover avoided includes zero): "
             f"{', '.join(unclear)}. The table below {'shows it' if len(ranking) == 1 else 'ranks them all'}.")]


def lever_table(rows: list[dict[str, str]], window: int, warm_up_weeks: int) -> Table:
    """The levers ranked by turnover avoided, each with what it is and both avoided figures (paired 95% CIs)."""
    described = {name: str(info.description) for name, info in StartUpPlan.model_fields.items()}

    def avoided(r: dict[str, str], name: str) -> str:
        mean, low, high = (_number(r, f"{name}_{k}") for k in ("mean", "ci_low", "ci_high"))
        if mean is None:
            return "n/a"
        if low is None or high is None:  # one replicate: no interval
            return f"{100 * mean:+.1f}"
        return f"{100 * mean:+.1f} ({100 * low:+.1f} to {100 * high:+.1f})"

    return Table(
        ["lever", "what it is", "leavers avoided per 100 specialists a year",
         f"fewer of the specialists {words.in_post(warm_up_weeks)} gone within {window} weeks (points)"],
        [[r["lever"], described.get(r["lever"], ""), avoided(r, "turnover_avoided"),
          avoided(r, "study_cohort_left_share_avoided")] for r in rows],
    )


# --- the report ---------------------------------------------------------------------------------


def _provenance(manifest: Provenance) -> list[tuple[str, str]]:
    versions = ", ".join(f"{k} {v}" for k, v in manifest.get("versions", {}).items())
    started = manifest.get("started_utc") or manifest.get("created_utc", "")
    return [("base seed", str(manifest.get("base_seed", manifest.get("spec", {}).get("seed", "")))),
            ("started (UTC)", started), ("finished (UTC)", manifest.get("finished_utc", "")),
            ("software", versions)]


def build(folder: Path) -> Report:
    """Gather everything the report shows from ``folder``; ReportError if it is not a finished ipsim folder, or if
    anything it reads is missing or damaged (see report_files)."""
    manifest = read_manifest(folder)
    kind = kind_of(folder, manifest)
    if kind == "run":
        report = _run_report(folder, manifest)
    elif kind in ("compare", "levers"):
        report = _compare_report(folder, manifest, kind)
    elif kind == "patterns":
        report = _patterns_report(folder, manifest)
    elif kind == "calibration":
        report = _calibration_report(folder, manifest)
    else:
        report = _sweep_report(folder, manifest)
    made = shaped(manifest, Provenance, folder / "manifest.json")
    report.reproduce = shlex.join(made.get("command", []))
    report.provenance = _provenance(made)
    if report.assumptions is not None:
        report.references = references.cited([row[4] for row in report.assumptions.rows])
    return report


def _run_report(folder: Path, raw: dict[str, object]) -> Report:
    manifest = shaped(raw, RunManifest, folder / "manifest.json")
    scenario = recorded_scenario(manifest["scenario"], str(folder))
    summary = read_json(folder / "summary.json", RunSummary)
    report = Report(KIND_TITLES["run"].format(name=scenario.name),
                    f"{summary['replicates']} simulated replicates of {scenario.weeks} weeks, "
                    f"{summary['positions']} ES positions")
    report.about = ABOUT["run"].format(name=scenario.name)
    sites = [s.name for s in scenario.sites]
    for key in ("turnover_by_site", "site_entries"):
        check_lists(folder / "summary.json", f"site entries in {key}", list(summary[key]), sites)
    report.findings = run_findings(summary)
    report.key_figures = site_table(summary)
    report.key_figures_title = "Annual turnover by site (mean and 95% confidence interval)"
    report.design_note = words.warm_up_words(scenario.warm_up_weeks, scenario.weeks)
    report.chart_groups = [("Charts", charts_in(folder))]
    report.scenarios = [scenario_view(scenario, manifest["scenario_file"])]
    report.assumptions, report.assumptions_of = assumptions_table(scenario), scenario.name
    report.replicates, report.weeks = summary["replicates"], scenario.weeks
    return report


def _compare_report(folder: Path, raw: dict[str, object], kind: str) -> Report:
    manifest = shaped(raw, CompareManifest, folder / "manifest.json")
    entries = manifest["scenarios"]
    named = [(e["folder"], recorded_scenario(e["scenario"], f"{folder}: {e['folder']}")) for e in entries]
    reference = named[0][1]
    site_entries = list(dict.fromkeys(site.name for _, scenario in named for site in scenario.sites))
    rows = read_csv(folder / "comparison.csv", site_columns(site_entries) if kind == "compare" else ())
    check_lists(folder / "comparison.csv", "scenarios", [r["scenario"] for r in rows], [n for n, _ in named])
    name = " vs ".join(n for n, _ in named) if kind == "compare" else reference.name
    replicates = len(manifest["replicate_seeds"])
    report = Report(KIND_TITLES[kind].format(name=name),
                    f"{len(named)} scenarios, {words.plural(replicates, 'replicate')} each of {reference.weeks} "
                    "weeks, with common random numbers")
    report.about = ABOUT[kind].format(name=reference.name, count=len(named))
    summary_md = read_text(folder / "summary.md")
    report.findings = _list_items(summary_md.split(SURENESS_HEADING)[0])
    ranking = read_csv(folder / "levers.csv") if kind == "levers" else None
    uncertain = manifest.get("uncertainty")
    if uncertain is not None:
        report.sureness_method = words.uncertainty_method(uncertain["draws"], replicates,
                                                          {int(w): v for w, v in uncertain["window_readings"].items()})
        report.sureness = [line.replace("**", "") for line in words.sureness_lines(  # bold is summary.md's
            _numbers(rows, ("scenario",), words.UI_COLUMNS),
            None if ranking is None else _numbers(ranking, ("lever",), words.RANK_COLUMNS))]
    if ranking is not None:
        check_lists(folder / "levers.csv", "levers", sorted(r["lever"] for r in ranking),
               sorted(e["lever"] for e in entries if e.get("lever")))
        not_tested = words.not_tested(reference.name, manifest.get("not_tested", []))
        report.findings = report.findings[:TOP_LEVERS] + _unclear_levers(ranking) + [not_tested] * bool(not_tested)
        report.key_figures = lever_table(ranking, reference.cohort_window_weeks, reference.warm_up_weeks)
        report.key_figures_title = "Each lever on its own, ranked (difference from the reference, paired 95% CI)"
    else:
        figures = key_figures(rows, reference.cohort_window_weeks, reference.weeks)
        report.key_figures = Table(figures.head, figures.rows + site_figures(rows, named))
    report.chart_groups = [("Comparison", charts_in(folder, comparison=True))]
    if len(named) <= MAX_DETAILED_SCENARIOS:
        report.chart_groups += [(f"{n} on its own", charts_in(own_folder(folder, n))) for n, _ in named]
    shown = 1 if kind == "levers" else len(named)  # a lever variant is its base plus one lever: see the changes
    report.scenarios = [scenario_view(s, e["source"]) for (_, s), e in zip(named[:shown], entries, strict=False)]
    report.changes = changes_table(named)
    report.assumptions, report.assumptions_of = assumptions_table(reference), reference.name
    report.replicates, report.weeks, report.compared = replicates, reference.weeks, True
    report.design_note = words.warm_up_words(reference.warm_up_weeks, reference.weeks)
    return report


def _patterns_report(folder: Path, raw: dict[str, object]) -> Report:
    manifest = shaped(raw, PatternsManifest, folder / "manifest.json")
    scenario = recorded_scenario(manifest["scenario"], str(folder))
    replicates = len(manifest["replicate_seeds"])
    report = Report(KIND_TITLES["patterns"].format(name=scenario.name),
                    f"{replicates} replicates each of the scenario and its solo-post and team-of-three variants")
    report.about = ABOUT["patterns"].format(name=scenario.name)
    report.findings_html = _findings_html(folder / "patterns.md")
    report.chart_groups = [("Charts", charts_in(folder))]
    report.scenarios = [scenario_view(scenario, manifest["scenario_file"])]
    report.assumptions, report.assumptions_of = assumptions_table(scenario), scenario.name
    report.replicates, report.weeks, report.compared = replicates, scenario.weeks, True
    return report


def _calibration_report(folder: Path, raw: dict[str, object]) -> Report:
    check_finished(folder, "calibration")
    manifest = shaped(raw, CalibrationManifest, folder / "manifest.json")
    spec = manifest["spec"]
    base = recorded_scenario(manifest["base_scenario"], f"{folder}: base scenario")
    generations = spec["generations"]
    report = Report(KIND_TITLES["calibration"].format(name=spec["name"]),
                    f"ABC-SMC over {generations} generation{'s' * (generations > 1)}, {spec['kernel']} kernel: "
                    f"{spec['replicates']} replicates of {base.weeks} weeks per proposal")
    report.about = ABOUT["calibration"].format(name=base.name)
    report.findings_html = _findings_html(folder / "summary.md")
    _varied(report, folder, base, manifest["base_file"], spec["replicates"],
            [[p["path"], f"{p['range'][0]} to {p['range'][1]}", "uniform prior"] for p in spec["parameters"]],
            f"{spec.get('description') or ''} The calibration varies its free parameters (see Scenario) within their "
            "priors; every other value is the base scenario's.")
    return report


def _sweep_report(folder: Path, raw: dict[str, object]) -> Report:
    check_finished(folder, "sweep")
    manifest = shaped(raw, SweepManifest, folder / "manifest.json")
    spec = manifest["spec"]
    base = recorded_scenario(manifest["base_scenario"], f"{folder}: base scenario")
    report = Report(KIND_TITLES["sweep"].format(name=spec["name"]),
                    f"{spec['design']} design: {manifest['points']} parameter sets x {manifest['replicates']} "
                    f"replicates of {base.weeks} weeks ({manifest['runs']} runs)")
    report.about = ABOUT["sweep"].format(name=base.name)
    report.findings = sweep_findings(folder, spec["design"])
    _varied(report, folder, base, manifest["base_file"], manifest["replicates"],
            [[p["path"], _tried(p), _drawn(p)] for p in spec["parameters"]],
            f"{spec.get('description') or ''} The {spec['design']} design varies the swept parameters (see Scenario) "
            "around the base scenario; every other value is the base scenario's.")
    return report


def _varied(report: Report, folder: Path, base: Scenario, base_file: str, replicates: int, parameters: list[list[str]],
            note: str) -> None:
    """What the report of a sweep and of a calibration share: the charts, the varied parameters (each a row of
    path, values tried and distribution), the base scenario with its assumptions, and the design's note."""
    report.chart_groups = [("Charts", charts_in(folder))]
    report.sweep_parameters = Table(["parameter", "values tried", "distribution"], parameters)
    report.scenarios = [scenario_view(base, base_file)]
    report.assumptions, report.assumptions_of = assumptions_table(base), base.name
    report.replicates, report.weeks = replicates, base.weeks
    report.design_note = note.strip()


def _tried(p: SweepParameter) -> str:
    """The values a swept parameter took: its levels, its range (in a grid, its steps) or its distribution's
    middle (DISTRIBUTION_QUANTILES)."""
    levels, ends = p.get("levels"), p.get("range")
    if levels:
        return ", ".join(str(v) for v in levels)
    if ends:
        low, high = ends
        steps = f" in {p['steps']} steps" if p.get("steps") else ""
        return f"{low} to {high}{steps}"
    low, high = DISTRIBUTION_QUANTILES
    return f"its {100 * low:g}% to {100 * high:g}% quantiles"


def _drawn(p: SweepParameter) -> str:
    """How a swept parameter's values were drawn: from its distribution (with its parameters), its levels, or
    uniformly over its range."""
    distribution = p.get("distribution")
    if distribution:
        params = ", ".join(f"{k} {v}" for k, v in distribution["params"].items())
        return f"{distribution['name']} ({params})" if params else distribution["name"]
    return "levels" if p.get("levels") else "uniform"


def _breakable(text: str) -> markupsafe.Markup:
    """A parameter path that may wrap after its dots (long paths in narrow table columns, on A4)."""
    return markupsafe.Markup(".<wbr>").join(markupsafe.escape(part) for part in text.split("."))


def render(report: Report) -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("simulation.present", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["breakable"] = _breakable
    return env.get_template(TEMPLATE).render(r=report, assumption=ASSUMPTION)


def write(folder: Path, out: Path | None = None) -> Path:
    """Write the report of ``folder`` to ``out`` (default ``folder/report.html``), replacing an earlier report
    at once (a failure leaves no half-written file)."""
    out = out or folder / "report.html"
    report = build(folder)  # first: a folder that is not a run folder is the first thing to say
    write_file(out, render(report), example="report.html", allowed=folder / "report.html",
               earlier=lambda head: head.startswith(b"<!DOCTYPE html>") and EARLIER in head)
    return out


