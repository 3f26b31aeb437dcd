"""Scenario composition (``extends``), ``ipsim show``, ``ipsim schema`` and the bundled scenario library.

No simulation runs here: every test only reads, merges and validates scenario files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
import yaml

from simulation.core import levers
from simulation.core.scenario import REMOVED, Scenario, SiteSpec, json_schema, removed
from simulation.inputs.reading import ScenarioError
from simulation.inputs.scenarios import load_scenario, resolve
from tests.helpers import SCENARIOS, invoke

SPEC_FOLDERS = ("sweeps", "calibration")
"""Folders of sweep and calibration specs, which are not scenarios (tests/inputs/test_specs.py loads them)."""
BUNDLED = sorted(p for p in SCENARIOS.glob("**/*.yaml") if p.relative_to(SCENARIOS).parts[0] not in SPEC_FOLDERS)
SCHEMA_FILE = SCENARIOS / "schema.json"

PARENT = """\
name: parent
description: the parent
weeks: 100
cohort_window_weeks: 52
clients:
  caseload_cap: 15
  referrals_per_week: 2.0
sites:
  - {name: a, positions: 2}
  - {name: b, positions: 3}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def rejected(path: Path) -> str:
    """``ipsim validate``'s error for ``path``: exit 2, one ``ipsim: error:`` line per ScenarioError line."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    code, out, err = invoke(["validate", str(path)])
    assert code == 2 and out == ""
    assert err.splitlines() == [f"ipsim: error: {line}" for line in str(info.value).splitlines()]
    return err


# --- extends: merging -------------------------------------------------------------------------


def test_a_child_overrides_a_scalar(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", PARENT)
    child = load_scenario(write(tmp_path, "child.yaml", "extends: parent.yaml\nweeks: 120\n"))
    assert child.weeks == 120
    assert child.cohort_window_weeks == 52 and child.description == "the parent"


def test_nested_mappings_merge_deeply(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", PARENT)
    child = load_scenario(write(tmp_path, "child.yaml", "extends: parent.yaml\nclients:\n  caseload_cap: 25\n"))
    assert child.clients.caseload_cap == 25
    assert child.clients.referrals_per_week == 2.0  # kept from the parent
    assert child.clients.dropout_rate == Scenario.model_fields["clients"].get_default(
        call_default_factory=True).dropout_rate


def test_a_chain_of_three(tmp_path: Path) -> None:
    write(tmp_path, "base/grandparent.yaml", PARENT)
    write(tmp_path, "base/parent.yaml", "extends: grandparent.yaml\nweeks: 80\nclients: {caseload_cap: 10}\n")
    child_path = write(tmp_path, "child.yaml", "extends: base/parent.yaml\nclients: {referrals_per_week: 0.5}\n")
    child = load_scenario(child_path)
    assert child.weeks == 80 and child.cohort_window_weeks == 52
    assert (child.clients.caseload_cap, child.clients.referrals_per_week) == (10, 0.5)
    assert [s.name for s in child.sites] == ["a", "b"]
    _, chain = resolve(child_path)
    assert [p.name for p in chain] == ["child.yaml", "parent.yaml", "grandparent.yaml"]


def test_extends_is_relative_to_the_extending_files_folder(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", PARENT)
    child_path = write(tmp_path, "deep/er/child.yaml", "extends: ../../parent.yaml\n")
    cwd = os.getcwd()
    os.chdir(tmp_path / "deep")  # the working folder does not matter
    try:
        assert load_scenario(child_path).weeks == 100
    finally:
        os.chdir(cwd)


def test_a_child_without_a_name_is_named_after_its_own_file(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", PARENT)
    write(tmp_path, "middle.yaml", "extends: parent.yaml\nname: middle\n")
    assert load_scenario(write(tmp_path, "my-child.yaml", "extends: parent.yaml\n")).name == "my-child"
    assert load_scenario(write(tmp_path, "grandchild.yaml", "extends: middle.yaml\n")).name == "grandchild"
    assert load_scenario(write(tmp_path, "named.yaml", "extends: parent.yaml\nname: given\n")).name == "given"


# --- extends: sites merge by name ------------------------------------------------------------

SITED_PARENT = """\
name: parent
sites:
  - {name: a, count: 2, positions: 1, team_contact: 0.1, readiness: {structures: 0.9, record_access: 0.7}}
  - {name: b, positions: 3}
  - {name: c, positions: 5}
"""


def sites_of(scenario: Scenario) -> list[dict]:
    return [site.model_dump() for site in scenario.sites]


def test_a_site_entry_naming_a_parent_site_updates_only_the_fields_it_gives(tmp_path: Path) -> None:
    parent = load_scenario(write(tmp_path, "parent.yaml", SITED_PARENT))
    child = load_scenario(write(tmp_path, "child.yaml", (
        "extends: parent.yaml\nsites:\n  - {name: b, supervisor_availability: 0.9}\n"
        "  - {name: a, readiness: {structures: 0.1}}\n")))
    expected = sites_of(parent)
    expected[1]["supervisor_availability"] = 0.9
    expected[0]["readiness"]["structures"] = 0.1  # readiness merges: record_access stays 0.7
    assert sites_of(child) == expected
    assert child.sites[0].readiness.record_access == 0.7 and child.sites[0].team_contact == 0.1
    assert child.positions == parent.positions == 10


def test_a_site_entry_with_a_new_name_adds_a_site_after_the_parents(tmp_path: Path) -> None:
    parent = load_scenario(write(tmp_path, "parent.yaml", SITED_PARENT))
    child = load_scenario(write(tmp_path, "child.yaml", (
        "extends: parent.yaml\nsites:\n  - {name: z, positions: 4}\n  - {name: b, positions: 1}\n"
        "  - {name: y, count: 2, positions: 2}\n")))
    assert [(s.name, s.count, s.positions) for s in child.sites] == [
        ("a", 2, 1), ("b", 1, 1), ("c", 1, 5), ("z", 1, 4), ("y", 2, 2)]
    assert sites_of(child)[0] == sites_of(parent)[0]
    assert child.positions == 2 + 1 + 5 + 4 + 4


def test_replace_sites_gives_the_whole_list(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", SITED_PARENT)
    child = load_scenario(write(tmp_path, "child.yaml", (
        "extends: parent.yaml\nreplace_sites: true\nsites:\n  - {name: b, positions: 4}\n")))
    assert sites_of(child) == [SiteSpec(name="b", positions=4).model_dump()]  # b's fields are not inherited either


def test_replace_sites_applies_to_its_own_file_only(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", SITED_PARENT)
    write(tmp_path, "middle.yaml", "extends: parent.yaml\nreplace_sites: true\nsites: [{name: m, positions: 2}]\n")
    child = load_scenario(write(tmp_path, "child.yaml", "extends: middle.yaml\nsites: [{name: n, positions: 1}]\n"))
    assert [s.name for s in child.sites] == ["m", "n"]
    assert load_scenario(write(tmp_path, "alone.yaml", SITED_PARENT + "replace_sites: true\n")).positions == 10


def test_replace_sites_false_merges(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", SITED_PARENT)
    text = "extends: parent.yaml\nreplace_sites: false\nsites: [{name: d}]\n"
    child = load_scenario(write(tmp_path, "child.yaml", text))
    assert [s.name for s in child.sites] == ["a", "b", "c", "d"]


@pytest.mark.parametrize(("sites", "index"), [
    ("[{name: a, positions: 2}, {positions: 4}]", 1),
    ("[{positions: 4}]", 0),
    ("[{name: a}, {name: null, positions: 4}]", 1),
])
def test_a_site_entry_without_a_name_is_an_error_naming_the_file_and_the_entry(
    sites: str, index: int, tmp_path: Path
) -> None:
    write(tmp_path, "parent.yaml", SITED_PARENT)
    child = write(tmp_path, "child.yaml", f"extends: parent.yaml\nsites: {sites}\n")
    err = rejected(child)
    assert len(err.splitlines()) == 1
    assert err.startswith(f"ipsim: error: {child}: sites[{index}]: no name")
    assert "(a, b, c)" in err and "replace_sites: true" in err


def test_a_site_entry_without_a_name_in_a_parent_names_the_parent(tmp_path: Path) -> None:
    write(tmp_path, "grandparent.yaml", SITED_PARENT)
    parent = write(tmp_path, "parent.yaml", "extends: grandparent.yaml\nsites: [{count: 3}]\n")
    child = write(tmp_path, "child.yaml", "extends: parent.yaml\n")
    assert rejected(child).startswith(f"ipsim: error: {parent} (via {child}): sites[0]: no name")


@pytest.mark.parametrize(("text", "message"), [
    ("sites: [{name: d}, {name: b}, {name: d, positions: 2}]", "sites[2]: site 'd' is already given at sites[0]"),
    ("sites: [a, {name: b}]", "sites[0]: expected a mapping of its fields (name, count, positions, "),
    ("replace_sites: yes please\nsites: [{name: d}]", "replace_sites must be true or false, got 'yes please'"),
    ("replace_sites: true\n", "replace_sites: true needs the sites list that replaces the inherited one"),
])
def test_bad_site_entries_and_replace_sites_are_errors(text: str, message: str, tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", SITED_PARENT)
    child = write(tmp_path, "child.yaml", f"extends: parent.yaml\n{text}\n")
    err = rejected(child)
    assert len(err.splitlines()) == 1 and err.startswith(f"ipsim: error: {child}: {message}")


def test_an_error_in_a_merged_site_names_the_site(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", SITED_PARENT)
    child = write(tmp_path, "child.yaml", "extends: parent.yaml\nsites: [{name: z, positions: 500}]\n")
    assert "): sites[3] (z).positions: " in rejected(child)  # index 3 of the merged list, which the file lacks


# --- extends: errors --------------------------------------------------------------------------


def test_a_cycle_is_an_error_naming_the_chain(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "extends: b.yaml\n")
    b = write(tmp_path, "b.yaml", "extends: c.yaml\n")
    c = write(tmp_path, "c.yaml", "extends: a.yaml\n")
    err = rejected(a)
    assert len(err.splitlines()) == 1
    assert "cycle" in err
    assert f"{a} -> {b} -> {c} -> {tmp_path / 'a.yaml'}" in err


def test_a_file_extending_itself_is_a_cycle(tmp_path: Path) -> None:
    path = write(tmp_path, "self.yaml", PARENT + "extends: self.yaml\n")
    err = rejected(path)
    assert "cycle" in err and f"{path} -> {path}" in err


def test_a_missing_parent_names_the_path_as_written_and_resolved(
    tmp_path: Path
) -> None:
    child = write(tmp_path, "child.yaml", "extends: ../nowhere/parent.yaml\n")
    err = rejected(child)
    assert len(err.splitlines()) == 1
    assert str(child) in err
    assert "'../nowhere/parent.yaml'" in err
    assert str((tmp_path.parent / "nowhere" / "parent.yaml").resolve()) in err


@pytest.mark.parametrize("value", ["3", "[parent.yaml]", "{file: parent.yaml}", "null", "''", "true"])
def test_extends_must_be_a_path(value: str, tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", PARENT)
    child = write(tmp_path, "child.yaml", f"extends: {value}\n")
    err = rejected(child)
    assert len(err.splitlines()) == 1
    assert str(child) in err and "extends must be the path of a scenario file" in err


def test_errors_in_the_merged_scenario_name_the_field_and_the_chain(
    tmp_path: Path
) -> None:
    parent = write(tmp_path, "parent.yaml", PARENT)
    child = write(tmp_path, "child.yaml", "extends: parent.yaml\nclients: {caseload_cap: 500, caseload_capp: 1}\n")
    err = rejected(child)
    lines = err.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert line.startswith(f"ipsim: error: {child} (extends {parent}): clients.caseload_cap")


@pytest.mark.parametrize("bad", [
    pytest.param(PARENT + "weeks: 90\n", id="duplicate_key"),
    pytest.param(PARENT + 'description: !!python/object/apply:os.system ["true"]\n', id="python_tag"),
    pytest.param(PARENT.encode() + b"description: caf\xe9\n", id="not_utf8"),
    pytest.param("[1, 2]\n", id="not_a_mapping"),
    pytest.param("weeks: [\n", id="invalid_yaml"),
])
def test_a_bad_parent_file_is_named_with_the_chain(
    bad: str | bytes, tmp_path: Path
) -> None:
    parent = tmp_path / "parent.yaml"
    parent.write_bytes(bad if isinstance(bad, bytes) else bad.encode())
    write(tmp_path, "middle.yaml", "extends: parent.yaml\n")
    child = write(tmp_path, "child.yaml", "extends: middle.yaml\n")
    err = rejected(child)
    assert len(err.splitlines()) == 1
    assert err.startswith(f"ipsim: error: {parent} (via {child} -> {tmp_path / 'middle.yaml'}): ")


def test_duplicate_key_in_a_parent_gives_the_line(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", PARENT + "weeks: 90\n")
    err = rejected(write(tmp_path, "child.yaml", "extends: parent.yaml\n"))
    assert f"duplicate key 'weeks' (line {len(PARENT.splitlines()) + 1})" in err


# --- ipsim show -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_show_round_trips(path: Path, tmp_path: Path) -> None:
    code, out, err = invoke(["show", str(path)])
    assert code == 0 and err == ""
    printed = write(tmp_path, "printed.yaml", out)
    assert load_scenario(printed) == load_scenario(path)


def test_show_prints_every_field_in_schema_order(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", PARENT)
    child = write(tmp_path, "child.yaml", "extends: parent.yaml\nclients: {caseload_cap: 25}\n")
    code, out, _ = invoke(["show", str(child)])
    assert code == 0
    shown = yaml.safe_load(out)
    assert list(shown) == list(Scenario.model_fields)
    assert list(shown["clients"]) == list(Scenario.model_fields["clients"].annotation.model_fields)
    assert shown["name"] == "child" and shown["clients"]["caseload_cap"] == 25
    assert shown["clients"]["referrals_per_week"] == 2.0
    assert "extends" not in shown


def test_validate_and_show_give_the_parents_positions_when_they_differ(tmp_path: Path) -> None:
    parent = write(tmp_path, "parent.yaml", SITED_PARENT)
    child = write(tmp_path, "child.yaml", "extends: parent.yaml\nname: my-plan\nsites: [{name: b, positions: 5}]\n")
    code, out, err = invoke(["validate", str(child)])
    assert (code, err) == (0, "")
    assert out == f"{child}: ok (my-plan: 3 site entries, 12 positions; {parent} it extends has 10)\n"
    code, out, err = invoke(["show", str(child)])
    assert (code, err) == (0, "")
    first, rest = out.split("\n", 1)
    assert first == f"# positions: 10 in {parent} -> 12 here"
    assert yaml.safe_load(rest) == load_scenario(child).model_dump(mode="json")


def test_validate_and_show_say_nothing_of_the_parent_when_the_positions_are_the_same(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", SITED_PARENT)
    child = write(tmp_path, "child.yaml", "extends: parent.yaml\nsites: [{name: b, team_contact: 0.9}]\n")
    assert invoke(["validate", str(child)])[1] == f"{child}: ok (child: 3 site entries, 10 positions)\n"
    assert invoke(["show", str(child)])[1].startswith("name: child\n")


def test_a_parent_that_is_no_scenario_by_itself_has_no_positions_to_compare(tmp_path: Path) -> None:
    write(tmp_path, "fragment.yaml", "weeks: 60\ncohort_window_weeks: 52\n")  # no sites: not valid alone
    child = write(tmp_path, "child.yaml", "extends: fragment.yaml\nsites: [{name: a, positions: 3}]\n")
    assert invoke(["validate", str(child)]) == (0, f"{child}: ok (child: 1 site entries, 3 positions)\n", "")
    assert invoke(["show", str(child)])[1].startswith("name: child\n")


def test_show_rejects_a_bad_file_like_validate(tmp_path: Path) -> None:
    child = write(tmp_path, "child.yaml", "extends: missing.yaml\n")
    code, out, err = invoke(["show", str(child)])
    assert code == 2 and out == ""
    assert err.startswith(f"ipsim: error: {child}: ") and "Traceback" not in err


# --- ipsim schema -----------------------------------------------------------------------------


def test_the_schema_command_prints_the_json_schema() -> None:
    """(That scenarios/schema.json is this output is checked with the other generated files, tests/inputs/test_docs.py.)"""
    code, out, _ = invoke(["schema"])
    assert code == 0
    assert json.loads(out) == json_schema()


def test_schema_out_writes_the_same_text(tmp_path: Path) -> None:
    _, printed, _ = invoke(["schema"])
    target = tmp_path / "schema.json"
    code, out, err = invoke(["schema", "--out", str(target)])
    assert code == 0 and err == "" and str(target) in out
    assert target.read_text(encoding="utf-8") == printed


def test_schema_out_to_a_missing_folder_exits_2(tmp_path: Path) -> None:
    code, _, err = invoke(["schema", "--out", str(tmp_path / "no" / "schema.json")])
    assert code == 2 and err.startswith("ipsim: error: --out") and "Traceback" not in err


def test_schema_accepts_extends_and_a_file_without_name() -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    assert validator.is_valid({"extends": "baseline.yaml", "weeks": 52})
    assert validator.is_valid({"sites": [{"name": "a"}]})
    assert not validator.is_valid({"weeks": 52})  # neither sites nor extends
    assert not validator.is_valid({"extends": 3})
    assert not validator.is_valid({"extends": "baseline.yaml", "clients": {"caseload_capp": 20}})
    assert not validator.is_valid({"extends": "baseline.yaml", "clients": {"caseload_cap": 500}})
    assert validator.is_valid({"extends": "baseline.yaml", "sites": [{"name": "solo-rural", "positions": 2}]})
    assert validator.is_valid({"extends": "baseline.yaml", "replace_sites": True, "sites": [{"name": "a"}]})
    assert not validator.is_valid({"extends": "baseline.yaml", "replace_sites": True})  # nothing to replace with
    assert not validator.is_valid({"extends": "baseline.yaml", "replace_sites": "yes", "sites": [{"name": "a"}]})
    assert not validator.is_valid({"extends": "baseline.yaml", "sites": [{"positions": 2}]})  # an entry needs a name


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_bundled_scenarios_match_the_schema(path: Path) -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    validator.validate(raw)  # as an editor sees the file
    merged, _ = resolve(path)
    validator.validate(merged)  # as the loader validates it


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_bundled_scenarios_point_editors_at_the_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    relative = Path(os.path.relpath(SCHEMA_FILE, path.parent)).as_posix()
    assert first == f"# yaml-language-server: $schema={relative}"


# --- the scenario library ---------------------------------------------------------------------


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_bundled_scenarios_validate(path: Path) -> None:
    code, out, err = invoke(["validate", str(path)])
    assert code == 0 and err == "" and out.startswith(f"{path}: ok (")
    assert load_scenario(path).name == (path.stem if path.parent.name != "levers" else f"lever-{path.stem}")


def test_the_startup_plan_pulls_every_lever(baseline: Scenario, startup_plan: Scenario) -> None:
    steps = startup_plan.start_up_plan
    for lever in levers.LEVERS:
        setting = getattr(steps, lever.name)
        if "enabled" in type(setting).model_fields:
            assert setting.enabled, lever.name
    assert steps.network_seminars.every_weeks == 8
    assert steps.fidelity_review.week == 40
    assert startup_plan.model_dump(exclude={"name", "description", "start_up_plan"}) == baseline.model_dump(
        exclude={"name", "description", "start_up_plan"})


@pytest.mark.parametrize("lever", [lv.name for lv in levers.LEVERS])
def test_each_lever_has_a_scenario_changing_only_that_lever(lever: str, baseline: Scenario,
                                                            startup_plan: Scenario) -> None:
    path = SCENARIOS / "levers" / f"{lever.replace('_', '-')}.yaml"
    assert path.is_file(), f"no scenario for lever {lever}"
    scenario = load_scenario(path)
    assert scenario.name == f"lever-{lever.replace('_', '-')}"
    changed = scenario.start_up_plan.model_dump()
    base = baseline.start_up_plan.model_dump()
    assert {k for k in base if changed[k] != base[k]} == {lever}
    assert changed[lever] == startup_plan.start_up_plan.model_dump()[lever]
    assert scenario.model_dump(exclude={"name", "description", "start_up_plan"}) == baseline.model_dump(
        exclude={"name", "description", "start_up_plan"})


@pytest.mark.parametrize("name", ["all-solo", "teams-of-three", "urban"])
def test_the_contexts_are_the_baseline_with_their_own_site_list(name: str, baseline: Scenario) -> None:
    """Each context gives its whole site list: ``ipsim show`` prints the baseline with the file's name,
    description and sites (every default filled in), and nothing of the baseline's sites; 45 positions."""
    path = SCENARIOS / "contexts" / f"{name}.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert raw["replace_sites"] is True
    expected = baseline.model_dump(mode="json") | {
        "name": raw["name"], "description": raw["description"],
        "sites": [SiteSpec.model_validate(site).model_dump(mode="json") for site in raw["sites"]],
    }
    code, out, err = invoke(["show", str(path)])
    assert (code, err) == (0, "")
    assert out == yaml.safe_dump(expected, sort_keys=False, allow_unicode=True)  # no "# positions" line either
    assert load_scenario(path).positions == baseline.positions == 45
    assert invoke(["validate", str(path)])[1].endswith(" 45 positions)\n")


def test_solo_and_team_contexts_differ_only_in_team_structure(baseline: Scenario) -> None:
    solo = load_scenario(SCENARIOS / "contexts" / "all-solo.yaml")
    trios = load_scenario(SCENARIOS / "contexts" / "teams-of-three.yaml")
    assert solo.positions == trios.positions == baseline.positions == 45
    assert [(s.count, s.positions) for s in solo.sites] == [(45, 1)]
    assert [(s.count, s.positions) for s in trios.sites] == [(15, 3)]
    structure = {"name": True, "description": True, "sites": {0: {"count", "positions"}}}
    assert solo.model_dump(exclude=structure) == trios.model_dump(exclude=structure)
    rural_pair = next(s for s in baseline.sites if s.name == "rural-pair")
    opening = {"name", "count", "positions", "opens_week", "opens_every_weeks"}  # both open at once, no warm-up
    assert solo.sites[0].model_dump(exclude=opening) == rural_pair.model_dump(exclude=opening)
    everything_but_sites = {"name", "description", "sites"}
    assert solo.model_dump(exclude=everything_but_sites) == baseline.model_dump(exclude=everything_but_sites)


def test_the_urban_context_keeps_the_positions_and_is_compact(baseline: Scenario) -> None:
    urban = load_scenario(SCENARIOS / "contexts" / "urban.yaml")
    assert [(s.count, s.positions) for s in urban.sites] == [(s.count, s.positions) for s in baseline.sites]
    for town, rural in zip(urban.sites, baseline.sites, strict=True):
        assert town.travel_burden < rural.travel_burden
        assert town.job_market > rural.job_market
        assert town.team_contact > rural.team_contact
        assert town.supervisor_availability == rural.supervisor_availability


@pytest.mark.parametrize("path", sorted(REMOVED))
def test_a_removed_field_is_named_with_what_replaces_it(tmp_path: Path, path: str) -> None:
    """A file written for an earlier version is told which field is gone and what replaces it (CHANGELOG.md)."""
    section, field = path.split(".")
    value = {"mean": 0.5} if field == "expectation_gap" else 0.1
    file = tmp_path / "old.yaml"
    file.write_text(yaml.safe_dump({"extends": str(SCENARIOS / "baseline.yaml"), section: {field: value}}))
    with pytest.raises(ScenarioError) as err:
        load_scenario(file)
    message = str(err.value)
    assert f"{path}: {removed(path)}" in message and "removed in ipsim 0." in message
    assert len(message.splitlines()) == 1


def test_the_cli_reports_a_removed_field_in_one_line_and_exits_2(tmp_path: Path) -> None:
    file = tmp_path / "old.yaml"
    file.write_text(f"extends: {SCENARIOS / 'baseline.yaml'}\nstrain:\n  loss_weight: 1.5\n")
    code, out, err = invoke(["validate", str(file)])
    assert code == 2 and "Traceback" not in err
    assert "strain.loss_weight: removed in ipsim 0.2.0" in err and "pressures.resource_losses" in err


def test_every_removed_field_is_in_the_changelog() -> None:
    changelog = (SCENARIOS.parent / "CHANGELOG.md").read_text()
    assert all(f"`{path}`" in changelog for path in REMOVED)


def test_a_sweep_over_a_removed_field_names_what_replaces_it(tmp_path: Path) -> None:
    spec = tmp_path / "old-sweep.yaml"
    spec.write_text(f"base: {SCENARIOS / 'baseline.yaml'}\ndesign: lhs\nsamples: 4\nreplicates: 1\n"
                    "parameters:\n  - path: strain.loss_weight\n    range: [1, 2]\n")
    code, _, err = invoke(["sweep", str(spec), "--out", str(tmp_path / "runs")])
    assert code == 2 and "Traceback" not in err
    assert "strain has no field 'loss_weight'; removed in ipsim 0.2.0" in err and "resource_losses" in err
