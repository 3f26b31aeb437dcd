"""``ipsim report``: one self-contained HTML file for every kind of folder, what it says, bad input, and
the compare report of the bundled baseline against the full start-up plan as a browser shows and prints it.

Folders are made once per module (charts cost a few seconds each); small worlds keep them quick, except
the baseline-vs-plan comparison, which is the report a workshop would show.
"""

from __future__ import annotations

import csv
import json
import re
import shlex
from pathlib import Path

import pytest

from simulation.core import references
from simulation.inputs.docs import parameter_rows
from simulation.present import report, words
from simulation.present.report_files import read_csv, recorded_scenario
from tests.helpers import invoke, only_folder
from tests.helpers import small_world_yaml as small_world

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
PLAN = ROOT / "scenarios" / "startup-plan.yaml"

TINY = small_world(40, description="A small world for tests <b>not bold</b> & co.")
TINY_PLAN = """
extends: tiny.yaml
name: tiny-plan
start_up_plan:
  implementation_lead: {enabled: true}
  network_seminars: {every_weeks: 8}
"""
SWEEP = """
base: tiny.yaml
name: tiny-sweep
design: grid
replicates: 2
seed: 3
metrics: [annual_turnover, cohort_left_share]
parameters:
  - {path: staff.quit_threshold.mean, range: [0.8, 1.6], steps: 2}
  - {path: 'sites[*].team_contact', range: [0.2, 0.8], steps: 2}
"""
CALIBRATION = """
base: tiny.yaml
window_weeks: 40
samples: 8
generations: 1
replicates: 2
seed: 5
parameters:
  - {path: staff.quit_threshold.mean, range: [0.4, 1.6]}
targets:
  - {metric: cohort_left_share, successes: 18, trials: 40, source: B22a}
"""
URL_ATTRIBUTE = re.compile(r"""\b(?:src|href|action|srcset|poster|data)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


KINDS = ["run", "compare", "levers", "uncertain", "sweep", "calibration", "patterns"]


def make(tmp: Path, *argv: str) -> Path:
    out = tmp / "runs"
    code, _, err = invoke([*argv, "--out", str(out)])
    assert code == 0, err
    return only_folder(out)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One finished folder of each kind the report reads."""
    tmp = tmp_path_factory.mktemp("report")
    (tmp / "tiny.yaml").write_text(TINY)
    (tmp / "tiny-plan.yaml").write_text(TINY_PLAN)
    (tmp / "sweep.yaml").write_text(SWEEP)
    (tmp / "calibration.yaml").write_text(CALIBRATION)
    small = ["--replicates", "3", "--workers", "1"]
    made = {
        "run": make(tmp / "run", "run", str(tmp / "tiny.yaml"), *small),
        "compare": make(tmp / "compare", "compare", str(BASELINE), str(PLAN), "--replicates", "5"),
        "levers": make(tmp / "levers", "levers", str(tmp / "tiny.yaml"), "--plan", str(tmp / "tiny-plan.yaml"),
                       "--replicates", "2", "--workers", "1"),
        "uncertain": make(tmp / "uncertain", "levers", str(tmp / "tiny.yaml"), "--plan", str(tmp / "tiny-plan.yaml"),
                          "--uncertainty", "3", "--replicates", "2", "--workers", "1"),
        "sweep": make(tmp / "sweep", "sweep", str(tmp / "sweep.yaml"), "--workers", "1"),
        "calibration": make(tmp / "calibration", "calibrate", str(tmp / "calibration.yaml"), "--workers", "1"),
        "patterns": make(tmp / "patterns", "check-patterns", str(tmp / "tiny.yaml"), *small),
    }
    for folder in made.values():
        code, out, err = invoke(["report", str(folder)])
        assert code == 0, err
        assert out.startswith(f"wrote {folder / 'report.html'}")
    return made


def html_of(folder: Path) -> str:
    return (folder / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_folder_gives_one_self_contained_file(folders: dict[str, Path], kind: str) -> None:
    html = html_of(folders[kind])
    urls = URL_ATTRIBUTE.findall(html)
    assert urls, "the report should at least embed its charts"
    assert all(u.startswith(("data:", "#")) for u in urls), [u[:40] for u in urls if not u.startswith(("data:", "#"))]
    assert "@import" not in html and "url(" not in html  # no stylesheet or font fetched either
    assert "<script" not in html  # nothing runs: the page is the same offline, printed or mailed


@pytest.mark.parametrize("kind", KINDS)
def test_every_chart_of_the_folder_is_embedded(folders: dict[str, Path], kind: str) -> None:
    folder = folders[kind]
    charts = sorted(folder.glob("charts/*.png"))
    own = sorted(folder.glob("*/charts/*.png"))  # each scenario's own charts, shown for a few scenarios only
    scenarios = {p.parent.parent for p in own}
    if 0 < len(scenarios) <= report.MAX_DETAILED_SCENARIOS:
        charts += own
    html = html_of(folder)
    assert charts
    assert html.count('src="data:image/png;base64,') == len(charts)
    for chart in charts:
        assert report.base64.b64encode(chart.read_bytes()).decode("ascii") in html


def test_run_findings_state_the_summary_in_words(folders: dict[str, Path]) -> None:
    folder = folders["run"]
    summary = json.loads((folder / "summary.json").read_text())
    html = html_of(folder)
    turnover = summary["annual_turnover"]
    assert f"About {100 * turnover['mean']:.0f} in 100 specialists leave each year" in html
    low, high = max(0.0, turnover["ci_low"]), min(1.0, turnover["ci_high"])  # a share's CI is shown within 0-100%
    assert f"95% CI {100 * low:.0f}% to {100 * high:.0f}%" in html
    cohort = summary["study_cohort_left_share"]  # the study's cohort: here, with no warm-up, those in post at the start
    assert (f"{100 * cohort['mean']:.0f}% of the specialists in post at the start have left within "
            f"{cohort['window_weeks']} weeks") in html


def test_run_findings_say_what_turnover_costs_clients(folders: dict[str, Path]) -> None:
    """With clients followed 12 months, the findings give their share in work then and their ES changes; a run
    folder of an older version, without client outcomes, still gives its findings, without that sentence."""
    summary = json.loads((folders["run"] / "summary.json").read_text())
    summary["clients_employed_12m"] = {"mean": 0.23, "ci_low": 0.228, "ci_high": 0.232}
    summary["es_changes_per_client"] = {"mean": 0.208, "ci_low": 0.201, "ci_high": 0.215}
    text = " ".join(report.run_findings(summary))
    assert ("23.0% of clients are in an ordinary job 12 months after they were referred (95% CI 22.8% to 23.2%), and a "
            "client's specialist leaves them 21 times per 100 clients in their first year (95% CI 20 to 22)") in text
    for key in ("clients_employed_12m", "es_changes_per_client"):
        del summary[key]
    older = report.run_findings(summary)
    assert older and not any("clients are in an ordinary job" in line for line in older)


def test_the_run_report_shows_the_turnover_of_every_site(folders: dict[str, Path]) -> None:
    folder = folders["run"]
    summary = json.loads((folder / "summary.json").read_text())
    html = html_of(folder)
    assert "<h3>Annual turnover by site (mean and 95% confidence interval)</h3>" in html
    assert list(summary["turnover_by_site"]) == ["pair", "solo"]  # the tiny world's, in its order
    for entry, m in summary["turnover_by_site"].items():
        size = summary["site_entries"][entry]
        cells = [entry, str(size["sites"]), str(size["positions"]),
                 f"{words.shown('annual_turnover', m['mean'])} ({words.shown('annual_turnover', m['ci_low'])} to "
                 f"{words.shown('annual_turnover', m['ci_high'])})"]
        assert "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>" in html, entry
    assert "<td>all sites</td><td>5</td>" in html
    assert "Turnover is highest at " in html


def test_compare_report_has_the_findings_key_figures_and_both_scenarios(folders: dict[str, Path]) -> None:
    folder = folders["compare"]
    html = html_of(folder)
    findings = [line[2:] for line in (folder / "summary.md").read_text().splitlines() if line.startswith("- ")]
    assert findings and all(report.markupsafe.escape(f) in html for f in findings)
    rows = {r["scenario"]: r for r in read_csv(folder / "comparison.csv")}
    plan_turnover = words.shown("annual_turnover", float(rows["startup-plan"]["annual_turnover_mean"]))
    assert plan_turnover in html
    assert "<h3>baseline</h3>" in html and "<h3>startup-plan</h3>" in html
    assert "start_up_plan.<wbr>implementation_lead.<wbr>enabled" in html  # in what the plan changes


def test_assumptions_table_lists_every_parameter_with_a_source(folders: dict[str, Path]) -> None:
    html = html_of(folders["run"])
    section = html[html.index('id="assumptions"'):html.index('id="method"')]
    for row in parameter_rows():
        path = row["parameter"]
        if path in ("name", "description") or path.startswith("sites[]"):
            continue
        assert str(report._breakable(path)) in section, path
    assert str(report._breakable("sites[pair].travel_burden")) in section
    assert section.count('class="marked"') > 10  # most effect sizes are assumptions, and say so
    table = report.assumptions_table(recorded_scenario(json.loads(
        (folders["run"] / "manifest.json").read_text())["scenario"], "test"))
    assert all(row[4] for row in table.rows)  # every value has a source or is an assumption


def test_values_set_away_from_the_default_say_so(folders: dict[str, Path]) -> None:
    html = html_of(folders["sweep"])  # the sweep's base is tiny.yaml: 40 weeks where the default is 156
    assert "set by the scenario (documented default 156" in html


def test_reproduce_gives_the_command_that_made_the_folder(folders: dict[str, Path]) -> None:
    for folder in folders.values():
        manifest = json.loads((folder / "manifest.json").read_text())
        assert report.markupsafe.escape(shlex.join(manifest["command"])) in html_of(folder)


def test_scenario_text_is_escaped_not_interpreted(folders: dict[str, Path]) -> None:
    html = html_of(folders["run"])
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; co." in html
    assert "<b>not bold</b>" not in html


def test_sweep_findings_name_the_most_influential_parameter(folders: dict[str, Path]) -> None:
    folder = folders["sweep"]
    rows = [r for r in read_csv(folder / "sensitivity.csv")
            if r["metric"] == "annual_turnover" and r["index"] == "spearman"]
    top = max(rows, key=lambda r: abs(float(r["value"])))
    assert f"Annual turnover depends most on {top['parameter']}" in html_of(folder)


def test_out_writes_elsewhere_and_replaces_an_older_report_but_nothing_else(folders: dict[str, Path],
                                                                            tmp_path: Path) -> None:
    target = tmp_path / "for-the-room.html"
    for folder in ("compare", "run"):  # the second replaces the first
        code, _, err = invoke(["report", str(folders[folder]), "--out", str(target)])
        assert code == 0, err
    assert target.read_text(encoding="utf-8") == html_of(folders["run"])
    assert [p.name for p in tmp_path.iterdir()] == ["for-the-room.html"]  # no temporary file left behind
    notes = tmp_path / "notes.html"
    notes.write_text("<!DOCTYPE html><p>the planner's own notes</p>")
    code, _, err = invoke(["report", str(folders["run"]), "--out", str(notes)])
    assert code == 2 and "exists and is not an earlier report.html" in err, err
    assert notes.read_text() == "<!DOCTYPE html><p>the planner's own notes</p>"


def test_the_report_does_not_depend_on_when_it_is_written(folders: dict[str, Path], tmp_path: Path) -> None:
    code, _, err = invoke(["report", str(folders["compare"]), "--out", str(tmp_path / "again.html")])
    assert code == 0, err
    assert (tmp_path / "again.html").read_text(encoding="utf-8") == html_of(folders["compare"])


def bad_folders(tmp: Path, folders: dict[str, Path]) -> dict[str, tuple[list[str], str]]:
    empty = tmp / "empty"
    empty.mkdir()
    unfinished = tmp / "unfinished"
    unfinished.mkdir()
    sweep = folders["sweep"]
    (unfinished / "manifest.json").write_text((sweep / "manifest.json").read_text())
    (unfinished / "status.json").write_text(json.dumps({"state": "running", "runs_done": 3, "runs_total": 8, "runs_failed": 0}))
    odd = tmp / "odd"
    odd.mkdir()
    (odd / "manifest.json").write_text(json.dumps({"kind": "mystery"}))
    return {
        "missing": ([str(tmp / "nope")], "no such folder"),
        "no manifest": ([str(empty)], "no manifest.json"),
        "unfinished sweep": ([str(unfinished)], f"finish it with: ipsim sweep --resume {unfinished}"),
        "unknown kind": ([str(odd)], "kind 'mystery'"),
        "out in a missing folder": ([str(folders["run"]), "--out", str(tmp / "no" / "r.html")], "no such folder"),
        "out is a folder": ([str(folders["run"]), "--out", str(tmp)], "is a folder"),
    }


@pytest.mark.parametrize("case", ["missing", "no manifest", "unfinished sweep", "unknown kind",
                                  "out in a missing folder", "out is a folder"])
def test_bad_input_is_one_clear_line(case: str, folders: dict[str, Path], tmp_path: Path) -> None:
    argv, expected = bad_folders(tmp_path, folders)[case]
    code, out, err = invoke(["report", *argv])
    assert code == 2 and out == ""
    assert err.startswith("ipsim: error: ") and expected in err and len(err.splitlines()) == 1, err
    assert not list(tmp_path.rglob("report.html")) and not list(tmp_path.rglob(".tmp-*"))


def test_the_compare_report_in_a_browser(folders: dict[str, Path], browser, artifacts: Path) -> None:
    """The workshop's report, baseline vs the full start-up plan, opened from disk in headless Chromium:
    every chart is drawn and visible, nothing is logged as an error, nothing is fetched but the file
    itself, and it prints to A4."""
    path = folders["compare"] / "report.html"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    images = page.eval_on_selector_all(
        "img", "els => els.map(e => ({ok: e.complete && e.naturalWidth > 0, w: e.getBoundingClientRect().width,"
               " h: e.getBoundingClientRect().height, alt: e.alt}))")
    assert len(images) == len(list(folders["compare"].glob("**/charts/*.png")))
    for image in images:
        assert image["ok"] and image["w"] > 600 and image["h"] > 200, image
    assert errors == []
    assert [u for u in requests if not u.startswith("data:")] == [path.as_uri()]
    assert page.title() == "baseline vs startup-plan: a comparison"
    page.screenshot(path=str(artifacts / "report-compare.png"), full_page=True)
    page.screenshot(path=str(artifacts / "report-compare-top.png"))
    pdf = page.pdf(format="A4", print_background=True)
    (artifacts / "report-compare.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 5 <= pages <= 40, pages  # charts and tables paginate; a runaway layout would give hundreds
    page.close()


def test_the_uncertainty_report_in_a_browser(folders: dict[str, Path], browser, artifacts: Path) -> None:
    """A levers comparison under uncertainty: its uncertainty chart is drawn and visible, and "How sure is this?"
    is worded from levers.csv's uncertainty columns (how often the leader ranks first, each lever's UI)."""
    folder = folders["uncertain"]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((folder / "report.html").as_uri(), wait_until="load")
    alts = page.eval_on_selector_all("img", "els => els.filter(e => e.complete && e.naturalWidth > 0"
                                            " && e.getBoundingClientRect().width > 600).map(e => e.alt)")
    assert any("Uncertainty" in alt for alt in alts), alts
    sure = page.inner_text("#how-sure")
    with (folder / "levers.csv").open(newline="") as handle:
        ranking = list(csv.DictReader(handle))
    leader = max(ranking, key=lambda r: float(r["p_rank_first"]))
    assert f"{leader['lever']} ranks first most often, in {100 * float(leader['p_rank_first']):.0f}% of draws" in sure
    assert "3 draws of the assumptions that are not known, 2 replicates each" in sure
    for r in ranking:
        assert f"{r['lever']}:" in sure and "over the draws it avoids" in sure
    assert errors == []
    page.locator("#how-sure").screenshot(path=str(artifacts / "report-uncertainty-how-sure.png"))
    page.close()


def test_every_cited_study_is_written_out_in_the_report_and_in_the_docs(folders: dict[str, Path]) -> None:
    sources = [row["source"] for row in parameter_rows()]
    codes = {code for text in sources for code in references.CODE.findall(text)}
    assert codes <= set(references.CITATIONS), codes - set(references.CITATIONS)
    docs = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    assert all(f"**[{code}]**" in docs for code in references.CITATIONS)
    html = html_of(folders["run"])
    for code in ("M21", "B24"):
        assert str(report.markupsafe.escape(references.CITATIONS[code])) in html


def test_the_compare_report_shows_every_sites_turnover_and_difference(folders: dict[str, Path]) -> None:
    """baseline against the full plan, whose no_solo_posts gives each solo site a second position: every site entry
    has a key figures row with both scenarios' turnover and the paired difference with its CI, as comparison.csv
    holds them; the findings say where the change happens and how much of it is the staff mix."""
    folder = folders["compare"]
    html = html_of(folder)
    rows = {r["scenario"]: r for r in csv.DictReader((folder / "comparison.csv").open(newline=""))}
    baseline = json.loads((folder / "baseline" / "summary.json").read_text())
    plan = json.loads((folder / "startup-plan" / "summary.json").read_text())
    assert list(baseline["site_entries"]) == ["solo-rural", "rural-pair", "town-trio", "town-five", "regional-centre"]
    key = html[html.index('<table class="key">'):]
    key = key[:key.index("</table>")]
    for entry, size in baseline["site_entries"].items():
        label = f"Annual turnover at {words.site_label(entry, size['sites'], size['positions'])}"
        assert f"<td>{label}</td>" in key, entry
        r = rows["startup-plan"]
        diff = float(r[f"turnover_{entry}_diff_mean"])
        low, high = float(r[f"turnover_{entry}_diff_ci_low"]), float(r[f"turnover_{entry}_diff_ci_high"])
        assert f"difference {100 * diff:+.1f} points ({100 * low:+.1f} to {100 * high:+.1f})" in key, entry
    assert "at 2 sites of 2 ES; difference" in key  # the solo sites, no longer solo with the plan
    assert (baseline["site_entries"]["solo-rural"], plan["site_entries"]["solo-rural"]) == (
        {"sites": 2, "positions": 1}, {"sites": 2, "positions": 2})
    findings = (folder / "summary.md").read_text()
    assert "Of the change in annual turnover (" in findings and "from the staff mix" in findings
    assert "Per site, solo-rural loses about " in findings
    assert report.markupsafe.escape("Of the change in annual turnover (") in html


def test_the_plan_scenario_says_how_many_positions_it_runs(folders: dict[str, Path]) -> None:
    html = html_of(folders["compare"])  # no solo posts turns the baseline's 45 positions into 47
    assert "45 ES positions at 14 sites (47 once the start-up plan has added positions" in html
