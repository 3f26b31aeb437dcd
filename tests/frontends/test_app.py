"""The workshop app: its controls build exactly the scenarios they say, and the page works in a browser.

The unit tests check that untouched controls reproduce the base scenario run for run, that each
control changes only what it names, and that the schema still guards every value. The browser
test starts ``solara run simulation/app.py`` as a facilitator would and drives it in headless
Chromium: load, pull a lever, Reset, Step, Play, and no errors in the console.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import solara
from pydantic import ValidationError

from simulation import app
from simulation.cli import main
from simulation.core import levers
from simulation.core import scenario as sc
from simulation.core.model import IPSModel
from simulation.core.records import observed
from simulation.core.scenario import Scenario
from tests.helpers import BASELINE_FILE, ROOT, invoke, stop, with_horizon

WEEKS = 8


def run(model: IPSModel, weeks: int = WEEKS) -> IPSModel:
    """``weeks`` weeks of the observation window (after the warm-up, which the workshop's model runs when built)."""
    if model.week < 0:
        model.run_for(-model.week)
    for _ in range(weeks):
        model.step()
    return model


# --- the model behind the controls ------------------------------------------------------------------


SWITCHES = [lv.name for lv in levers.LEVERS if lv.control.field == "enabled"]
"""The on/off levers (a checkbox each); the scheduled ones have a slider."""


def test_every_lever_of_the_schema_has_a_control_and_nothing_else_does(baseline: Scenario) -> None:
    on_off = {n for n, info in sc.StartUpPlan.model_fields.items() if "enabled" in info.annotation.model_fields}
    assert set(SWITCHES) == on_off
    params = app.model_params(baseline)
    assert set(params) == {"base", "seed", *sc.StartUpPlan.model_fields, *app.SITE_CONTROLS}
    assert {n for n, p in params.items() if isinstance(p, dict) and p["type"] == "Checkbox"} == on_off
    parameters = inspect.signature(app.WorkshopModel).parameters
    assert all(parameters[n].kind is inspect.Parameter.KEYWORD_ONLY for n in parameters)
    assert set(parameters) == set(params)
    with pytest.raises(TypeError, match="unknown controls"):
        app.WorkshopModel(base=baseline, seed=0, seminar_every_weeks=8)


@pytest.mark.parametrize("fixture", ["baseline", "startup_plan"], ids=["baseline", "startup-plan"])
def test_untouched_controls_reproduce_the_base_scenario_run_for_run(fixture: str,
                                                                   request: pytest.FixtureRequest) -> None:
    """The start-up plan has every lever on, seminars every 8 weeks, a review in week 40: the controls' defaults
    must follow the base, not the schema."""
    base: Scenario = request.getfixturevalue(fixture)
    params = app.model_params(base)
    defaults = app.initial_parameters(params)
    workshop = app.WorkshopModel(**defaults)
    plain = IPSModel(base, defaults["seed"])
    assert workshop.varied.model_dump() == base.model_dump()
    assert workshop.settings.model_dump() == plain.settings.model_dump()
    assert run(workshop).weekly == run(plain).weekly
    assert workshop.spells == plain.spells
    for name in SWITCHES:
        assert params[name]["value"] is getattr(base.start_up_plan, name).enabled


def test_without_controls_the_model_is_ipsmodel_with_the_seed_as_given(baseline: Scenario) -> None:
    workshop, plain = app.WorkshopModel(base=baseline, seed=417), IPSModel(baseline, 417)
    assert workshop.seeds == [417]
    assert run(workshop).weekly == run(plain).weekly


@pytest.mark.parametrize("lever", SWITCHES)
def test_a_lever_checkbox_turns_that_lever_on_and_nothing_else(lever: str, baseline: Scenario) -> None:
    model = app.WorkshopModel(base=baseline, seed=0, **{lever: True})
    expected = baseline.model_dump()
    expected["start_up_plan"][lever]["enabled"] = True
    assert model.varied.model_dump() == expected
    assert getattr(model.settings.start_up_plan, lever).enabled


def test_unticking_a_lever_the_base_pulls_turns_it_off(startup_plan: Scenario) -> None:
    model = app.WorkshopModel(base=startup_plan, seed=0, implementation_lead=False)
    assert not model.settings.start_up_plan.implementation_lead.enabled
    assert model.settings.start_up_plan.manager_training.enabled


def test_the_lever_acts_through_the_start_up_plan(baseline: Scenario) -> None:
    """The app only flips the flag; core.levers raises supervisor availability at every site."""
    level = baseline.start_up_plan.implementation_lead.availability
    model = app.WorkshopModel(base=baseline, seed=0, implementation_lead=True)
    assert all(s.supervisor_availability >= level for s in model.settings.sites)
    assert min(s.supervisor_availability for s in baseline.sites) < level


def test_context_settings_apply_at_every_site_and_as_in_scenario_keeps_each_sites_own(baseline: Scenario) -> None:
    model = app.WorkshopModel(base=baseline, seed=0, positions_per_site="2", travel_burden="0.2",
                              team_contact=app.AS_IN_SCENARIO)
    assert {s.positions for s in model.varied.sites} == {2}
    assert {s.travel_burden for s in model.varied.sites} == {0.2}
    assert [s.team_contact for s in model.varied.sites] == [s.team_contact for s in baseline.sites]
    assert len(model.slots) == 2 * sum(s.count for s in baseline.sites)
    assert model.context == {"positions_per_site": "2", "travel_burden": "0.2"}


def test_levers_act_after_the_context_is_set(baseline: Scenario) -> None:
    model = app.WorkshopModel(base=baseline, seed=0, positions_per_site="1", no_solo_posts=True)
    assert {s.positions for s in model.varied.sites} == {1}
    assert {s.positions for s in model.settings.sites} == {baseline.start_up_plan.no_solo_posts.minimum}


def test_seminars_and_review_week(baseline: Scenario) -> None:
    model = app.WorkshopModel(base=baseline, seed=0, network_seminars=0, fidelity_review=30)
    assert model.settings.start_up_plan.network_seminars.every_weeks == 0
    assert model.settings.start_up_plan.fidelity_review.week == 30


@pytest.mark.parametrize("value", [
    {"travel_burden": 1.5}, {"supervisor_availability": -0.1}, {"team_contact": "often"},
    {"positions_per_site": 0}, {"positions_per_site": "2.5"}, {"network_seminars": -1},
    {"network_seminars": 500}, {"fidelity_review": -3},
])
def test_out_of_range_values_are_refused_by_the_schema(value: dict, baseline: Scenario) -> None:
    with pytest.raises(ValidationError):
        app.WorkshopModel(base=baseline, seed=0, **value)


def test_control_ranges_come_from_the_schema_and_every_choice_is_valid(baseline: Scenario) -> None:
    params = app.model_params(baseline)
    assert (params["network_seminars"]["min"], params["fidelity_review"]["min"]) == (0, 0)
    assert params["network_seminars"]["max"] <= sc.bounds(levers.NetworkSeminars, "every_weeks")[1]
    assert params["fidelity_review"]["max"] == baseline.weeks
    assert params["seed"]["type"] == "SliderInt"
    for control in app.SITE_CONTROLS:
        assert params[control]["type"] == "Select"
        assert params[control]["values"][0] == params[control]["value"] == app.AS_IN_SCENARIO
        for choice in params[control]["values"]:
            app.WorkshopModel(base=baseline, seed=0, **{control: choice})
    low, high = sc.bounds(sc.SiteSpec, "travel_burden")
    assert params["travel_burden"]["values"][1:] == ["0", "0.2", "0.4", "0.6", "0.8", "1"] and (low, high) == (0, 1)


def test_a_slider_always_includes_the_bases_own_value(baseline: Scenario) -> None:
    data = baseline.model_dump()
    data["start_up_plan"]["network_seminars"]["every_weeks"] = 80
    params = app.model_params(Scenario.model_validate(data))
    assert params["network_seminars"]["max"] == params["network_seminars"]["value"] == 80


def test_mesa_accepts_the_parameters_and_reset_rebuilds_the_same_model(baseline: Scenario) -> None:
    """What SolaraViz does: check the parameters against the constructor, then Reset as type(model)(**kwargs)."""
    from mesa.visualization.solara_viz import _build_model_init_kwargs, _check_model_params

    params = app.model_params(baseline)
    model = app.WorkshopModel(**app.initial_parameters(params))
    _check_model_params(model, params)
    kwargs = _build_model_init_kwargs(model, {**app.initial_parameters(params), "implementation_lead": True},
                                      add_scenario_when_empty=True, require_model_accepts_scenario=True)
    rebuilt = type(model)(**kwargs)
    assert rebuilt.settings.start_up_plan.implementation_lead.enabled


def test_the_run_stops_at_the_horizon(baseline: Scenario) -> None:
    model = run(app.WorkshopModel(base=with_horizon(baseline, 3), seed=0), 2)
    assert model.running
    model.step()
    assert not model.running


# --- what the page shows ----------------------------------------------------------------------------


def test_every_component_renders_before_week_one_and_after(baseline: Scenario) -> None:
    model = app.WorkshopModel(base=baseline, seed=0)
    for draw in (app.staffing_figure, app.strain_figure, app.pressure_figure):
        assert draw(model).axes
    assert all(row["notice"] for row in app.leavers(model))  # after the warm-up, only ES working their notice
    _, rc = solara.render(app.Dashboard(model), handle_error=False)
    later = run(app.WorkshopModel(base=baseline, seed=0), 40)
    rc.render(app.Dashboard(later))
    rc.close()


def test_who_quit_lists_the_newest_first_with_those_working_their_notice_on_top(baseline: Scenario) -> None:
    model = run(app.WorkshopModel(base=baseline, seed=1), 30)
    rows = app.leavers(model)
    quits = [r for r in rows if not r["notice"]]
    notice = [r for r in rows if r["notice"]]
    spells = observed(model.spells[0])  # the window's: the warm-up's leavers are not listed
    assert len(quits) == len(spells) and quits and notice
    assert rows[: len(notice)] == notice
    assert [r["week"] for r in quits] == sorted((r["week"] for r in quits), reverse=True)
    assert all(r["tenure"] == r["week"] - s["start_week"] for r, s in zip(
        quits, sorted(spells, key=lambda s: (s["end_week"], s["decision_week"]), reverse=True), strict=True))
    assert re.fullmatch(r"[A-Z][a-z ]+ \d+%, [A-Z][a-z ]+ \d+%", app.top_drains(quits[0]["shares"]))
    assert app.top_drains({"travel": 0.0}) == "\u2014"


def test_the_page_builds_from_a_scenario_file_and_names_a_bad_one(monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    import ipyvuetify as v

    _, rc = solara.render(app.make_page(BASELINE_FILE), handle_error=False)
    rc.close()
    monkeypatch.setenv(app.SCENARIO_ENV, str(tmp_path / "missing.yaml"))
    _, rc = solara.render(app.Page(), handle_error=False)
    alert = rc.find(v.Alert).widget
    assert "missing.yaml: cannot read file" in str(alert.children)
    rc.close()


def test_the_scenario_file_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(app.SCENARIO_ENV, raising=False)
    assert app.scenario_path() == app.DEFAULT_SCENARIO and app.DEFAULT_SCENARIO.is_file()
    monkeypatch.setenv(app.SCENARIO_ENV, "elsewhere.yaml")
    assert app.scenario_path() == Path("elsewhere.yaml")


# --- ipsim app: the command -----------------------------------------------------------------------------


def test_app_command_refuses_a_bad_scenario_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: missing.yaml\nname: bad\n")
    code, out, err = invoke(["app", str(bad), "--port", str(free_port())])
    assert code == 2 and out == ""
    assert err.startswith("ipsim: error: ") and "missing.yaml" in err and len(err.splitlines()) == 1, err


def test_app_command_refuses_a_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = invoke(["app", "--port", str(port)])
    assert code == 2 and out == ""
    assert f"--port {port}: cannot listen there" in err and "choose another port" in err, err


@pytest.mark.parametrize(("host", "warned"), [("0.0.0.0", "every network address of this computer"),
                                              ("127.0.0.1", None), ("localhost", None)])
def test_app_command_warns_when_it_listens_beyond_this_computer(host: str, warned: str | None,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The server is started by exec; stop just before it, to read what the command said."""
    class Started(Exception):
        pass

    def execve(*_: object) -> None:
        raise Started

    monkeypatch.setattr(os, "execve", execve)
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), pytest.raises(Started):
        main(["app", "--host", host, "--port", str(free_port())])
    err = stderr.getvalue()
    if warned:
        assert f"ipsim: warning: --host {host}: the app listens on {warned}" in err, err
    else:
        assert "--host" not in err, err


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_app_command_refuses_an_impossible_port(port: str) -> None:
    code, _, err = invoke(["app", "--port", port])
    assert code == 2 and "--port" in err and "Traceback" not in err


def test_front_end_note_warns_only_when_the_page_cannot_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(*_: object, **__: object) -> socket.socket:
        raise OSError("no route")

    monkeypatch.setattr(app.socket, "create_connection", unreachable)
    empty = tmp_path / "cdn"
    note = app.front_end_note(empty, "https://cdn.example.org/npm/")
    assert note and "cdn.example.org cannot be reached" in note and str(empty) in note
    (empty / "requirejs@2.3.6").mkdir(parents=True)
    assert app.front_end_note(empty, "https://cdn.example.org/npm/") is None  # cached: the page loads offline


# --- the page in a browser ----------------------------------------------------------------------------

STARTUP_SECONDS = 60
BROWSER_WEEKS = 26
"""Half a year: long enough for the first quits with the default seed, short enough to play through."""


CDN_PACKAGE = re.compile(r"_solara/cdn/((?:@[\w-]+/)?[\w.-]+@\d[\w.-]*)/")
"""A package@version in a URL of Solara's CDN proxy (jsdelivr's /npm/ paths: npm packages, file for file)."""


@pytest.fixture(scope="session")
def solara_cdn(request: pytest.FixtureRequest) -> Path:
    """Where the server's CDN proxy finds Solara's front end: a folder in pytest's cache.

    The server proxies the browser's requests for Solara's front end (Vuetify app, RequireJS,
    Font Awesome) to a CDN and keeps what it fetched. This machine's network reaches the npm
    registry but no CDN, so ``unpack_from_npm`` fills the folder with the same packages first.
    """
    return Path(request.config.cache.mkdir("solara-cdn"))


def unpack_from_npm(cache: Path, page: str) -> None:
    """Unpack each package the page loads through the CDN proxy into ``cache`` (once), if npm is here.

    Without npm the server fetches from the CDN itself, where the network allows.
    """
    npm = shutil.which("npm")
    for spec in sorted(set(CDN_PACKAGE.findall(page))):
        target = cache / spec
        if npm is None or (target / ".unpacked").exists():
            continue
        with tempfile.TemporaryDirectory() as tmp:
            packed = subprocess.run([npm, "pack", "--silent", "--pack-destination", tmp, spec], capture_output=True,
                                    text=True, timeout=180, check=True).stdout.split()[-1]
            with tarfile.open(Path(tmp) / packed) as tar:
                members = [m for m in tar.getmembers() if m.name.startswith("package/")]
                for m in members:
                    m.name = m.name.removeprefix("package/")
                tar.extractall(target, members=members, filter="data")
        (target / ".unpacked").touch()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served_app(tmp_path: Path, solara_cdn: Path) -> Iterator[str]:
    """``ipsim app`` on a free port with a half-year scenario; its URL."""
    scenario = tmp_path / "workshop.yaml"
    scenario.write_text(f"extends: {BASELINE_FILE}\nname: workshop-test\n"
                        f"weeks: {BROWSER_WEEKS}\ncohort_window_weeks: {BROWSER_WEEKS}\n")
    port = free_port()
    env = {**os.environ, "SOLARA_ASSETS_PROXY_CACHE_DIR": str(solara_cdn)}
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(  # as a facilitator starts it: ipsim app SCENARIO --port P
        [sys.executable, "-m", "simulation", "app", str(scenario), "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if server.poll() is not None:
                pytest.fail(f"solara run exited with {server.returncode}:\n{(tmp_path / 'server.log').read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        unpack_from_npm(solara_cdn, response.read().decode())
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"solara run did not answer in {STARTUP_SECONDS} s:\n{(tmp_path / 'server.log').read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        stop(server, group=True, timeout=10)
        log.close()


def test_the_page_runs_a_lever_change_in_the_browser(browser, served_app: str, artifacts: Path) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1440, "height": 1500})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    try:
        page.goto(served_app)
        week = page.locator(".ipsim-value").first
        expect(week).to_have_text("Week 0", timeout=30_000)
        for control in ["Implementation lead", "Permanent contracts", "ES positions at every site"]:
            expect(page.get_by_label(control)).to_be_visible()
        # after the warm-up, the panel can already list ES working their notice
        expect(page.locator(".ipsim-quits")).to_contain_text("Who quit and why")
        expect(page.locator(".ipsim-plan")).to_contain_text("Scenario workshop-test: Start-up plan: no lever pulled")
        chart = page.locator(".ipsim-dashboard img").first
        expect(chart).to_be_visible()
        page.screenshot(path=artifacts / "app-start.png")
        before = chart.get_attribute("src")

        page.get_by_label("Implementation lead").check()
        page.get_by_role("button", name="Reset").click()
        expect(page.locator(".ipsim-plan")).to_contain_text("Start-up plan: Implementation lead")
        for n in range(1, 4):
            page.get_by_role("button", name="Step").click()
            expect(week).to_have_text(f"Week {n}")
        expect(chart).not_to_have_attribute("src", before or "")
        page.get_by_role("button", name="\u25b6").click()
        expect(week).to_have_text(f"Week {BROWSER_WEEKS}", timeout=45_000)
        expect(page.locator(".ipsim-hint")).to_contain_text("End of the scenario's horizon")
        expect(page.get_by_role("button", name="Step")).to_be_disabled()
        expect(page.locator(".ipsim-quits")).not_to_contain_text("Nobody has quit yet")
        page.screenshot(path=artifacts / "app-after-run.png")
        assert not errors, "\n".join(errors)
    finally:
        context.close()
