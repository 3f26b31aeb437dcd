"""What a value in an input file means: plain scalars as YAML 1.2 reads them (as editors checking the files with
scenarios/schema.json do), merge keys, strict types, and long values cut in messages.

A bad input gives one clear error (exit 2, ``ipsim: error: ...``, no traceback, at most 2000 characters).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml
from pydantic import ValidationError

from simulation.core.scenario import Scenario
from simulation.inputs import specs
from simulation.inputs.reading import (
    MAX_DEPTH,
    MAX_MERGED,
    MAX_SHOWN,
    MAX_VALUES,
    ScenarioError,
    describe_errors,
    read_mapping,
)
from simulation.inputs.scenarios import load_scenario
from tests.helpers import BASELINE_FILE, invoke

EXTENDS = f"extends: {BASELINE_FILE}\n"
"""The start of a scenario file that changes the bundled baseline (named after its file)."""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def one_clear_error(argv: list[str]) -> str:
    """Run ``ipsim ARGV``, check it fails with one clear error, and return stderr."""
    code, _, err = invoke(argv)
    assert code == 2, err
    assert err.startswith("ipsim: error: ") and "Traceback" not in err, err
    assert len(err) <= 2000, err[:3000]
    return err


# --- YAML 1.2 core schema ---------------------------------------------------------------------------------


FORMS = [
    # (plain scalar, value, type): YAML 1.2's core schema, where YAML 1.1 (PyYAML) differs in many
    ("0156", 156, int),           # 1.1: octal 110
    ("+0156", 156, int),
    ("-12", -12, int),
    ("0o17", 15, int),
    ("0x1F", 31, int),
    ("1e3", 1000.0, float),
    ("012.5", 12.5, float),
    ("-1.5E-2", -0.015, float),
    (".5", 0.5, float),
    ("1.", 1.0, float),
    ("2:36", "2:36", str),        # 1.1: sexagesimal 156
    ("1_000", "1_000", str),      # 1.1: 1000
    ("0b101", "0b101", str),      # 1.1: binary 5
    ("yes", "yes", str),          # 1.1: true (and the rest of this block booleans)
    ("no", "no", str),
    ("on", "on", str),
    ("off", "off", str),
    ("y", "y", str),
    ("n", "n", str),
    ("Yes", "Yes", str),
    ("tRue", "tRue", str),
    ("2024-01-31", "2024-01-31", str),  # 1.1: a date
    ("=", "=", str),
    ("true", True, bool),
    ("True", True, bool),
    ("TRUE", True, bool),
    ("false", False, bool),
    ("False", False, bool),
    ("FALSE", False, bool),
    ("~", None, type(None)),
    ("null", None, type(None)),
    ("Null", None, type(None)),
    ("NULL", None, type(None)),
    ("", None, type(None)),
    ("nULL", "nULL", str),
    ("'0156'", "0156", str),      # quoted: always a string
    ("'true'", "true", str),
]


@pytest.mark.parametrize(("form", "value", "kind"), FORMS, ids=[f"{f or 'empty'}" for f, _, _ in FORMS])
def test_plain_scalars_mean_what_yaml_1_2_says(form: str, value: object, kind: type, tmp_path: Path) -> None:
    got = read_mapping([write(tmp_path / "f.yaml", f"value: {form}\n")])["value"]
    assert type(got) is kind and got == value, (form, got)


@pytest.mark.parametrize(("form", "check"), [
    (".inf", lambda v: v == math.inf), ("-.inf", lambda v: v == -math.inf), ("+.INF", lambda v: v == math.inf),
    (".Inf", lambda v: v == math.inf), (".nan", math.isnan), (".NaN", math.isnan), (".NAN", math.isnan),
])
def test_infinities_and_nan_are_floats(form: str, check: Callable[[float], bool], tmp_path: Path) -> None:
    got = read_mapping([write(tmp_path / "f.yaml", f"value: {form}\n")])["value"]
    assert type(got) is float and check(got), (form, got)


def test_explicit_tags_still_read(tmp_path: Path) -> None:
    got = read_mapping([write(tmp_path / "f.yaml", "a: !!int 0156\nb: !!float 2\nc: !!str 12\n")])
    assert got == {"a": 156, "b": 2.0, "c": "12"} and type(got["b"]) is float


def test_pyyamls_own_safe_loader_is_left_as_it_was() -> None:
    assert yaml.safe_load("a: yes\nb: 0156\nc: 2:36\n") == {"a": True, "b": 110, "c": 156}


def test_a_leading_zero_is_decimal_in_a_scenario(tmp_path: Path) -> None:
    path = write(tmp_path / "child.yaml", EXTENDS + "weeks: 0156\n")
    assert load_scenario(path).weeks == 156
    code, _, err = invoke(["validate", str(path)])
    assert code == 0, err


@pytest.mark.parametrize(("text", "message"), [
    ("weeks: 2:36\n", "weeks: expected a whole number from 1 to 1040, got '2:36'"),
    ("weeks: 1_000\n", "weeks: expected a whole number from 1 to 1040, got '1_000'"),
    ("weeks: 0b101\n", "weeks: expected a whole number from 1 to 1040, got '0b101'"),
    ("start_up_plan: {permanent_contracts: {enabled: yes}}\n",
     "start_up_plan.permanent_contracts.enabled: expected true or false, got 'yes'"),
    ("start_up_plan: {no_solo_posts: {enabled: on}}\n",
     "start_up_plan.no_solo_posts.enabled: expected true or false, got 'on'"),
    ("start_up_plan: {digital_meetings: {enabled: n}}\n",
     "start_up_plan.digital_meetings.enabled: expected true or false, got 'n'"),
    ("replace_sites: yes\nsites: [{name: a}]\n", "replace_sites must be true or false, got 'yes'"),
])
def test_yaml_1_1_forms_are_text_and_refused_where_a_number_or_boolean_goes(text: str, message: str,
                                                                            tmp_path: Path) -> None:
    path = write(tmp_path / "child.yaml", EXTENDS + text)
    err = one_clear_error(["validate", str(path)])
    assert message in err and str(path) in err, err


# --- merge keys --------------------------------------------------------------------------------------------

MERGED_SITES = """\
replace_sites: true
sites:
  - &rural {name: north, positions: 1, travel_burden: 0.9, team_contact: 0.2}
  - &town {name: town, positions: 4, travel_burden: 0.3, job_market: 1.2}
  - <<: *rural
    name: south
    positions: 3
  - <<: [*town, *rural]
    name: mixed
"""
"""Sites that merge others: explicit keys win over merged ones, and the first mapping listed over later ones."""


def test_merge_keys_lay_anchored_mappings_under_the_mappings_own_keys(tmp_path: Path) -> None:
    path = write(tmp_path / "child.yaml", EXTENDS + MERGED_SITES)
    north, town, south, mixed = load_scenario(path).sites
    assert (south.name, south.positions, south.travel_burden, south.team_contact) == ("south", 3, 0.9, 0.2)
    assert (mixed.name, mixed.positions, mixed.travel_burden) == ("mixed", 4, 0.3), "the first listed wins"
    assert (mixed.job_market, mixed.team_contact) == (1.2, 0.2), "each merged mapping gives its own keys"
    assert north.positions == 1 and town.positions == 4
    code, _, err = invoke(["validate", str(path)])
    assert code == 0, err


def test_a_merged_mapping_that_merges_another_keeps_its_own_keys(tmp_path: Path) -> None:
    text = "a: &a {x: 1, y: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b, z: 3}\nd: {<<: [*a, *b]}\ne: {<<: [*b, *a]}\n"
    got = read_mapping([write(tmp_path / "f.yaml", text)])
    assert got["b"] == {"x": 1, "y": 2} and got["c"] == {"x": 1, "y": 2, "z": 3}
    assert got["d"] == {"x": 1, "y": 1} and got["e"] == {"x": 1, "y": 2}


@pytest.mark.parametrize("merge", ["<<: *rural\n    name: south\n    positions: 3\n    positions: 2\n",
                                   "name: south\n    positions: 3\n    <<: *rural\n    positions: 2\n"])
def test_a_key_given_twice_next_to_a_merge_key_is_still_a_duplicate(merge: str, tmp_path: Path) -> None:
    text = EXTENDS + f"replace_sites: true\nsites:\n  - &rural {{name: north, positions: 1}}\n  - {merge}"
    path = write(tmp_path / "child.yaml", text)
    line = text.splitlines().index("    positions: 2") + 1
    err = one_clear_error(["validate", str(path)])
    assert f"{path}: duplicate key 'positions' (line {line})" in err, err


@pytest.mark.parametrize(("text", "message"), [
    ("a: &a {x: 1}\nb: {<<: *a, <<: *a}\n",
     "duplicate key '<<' (line 2); merge several mappings with one <<: [*a, *b]"),
    ("b: {<<: 5}\n", "a merge key (<<) takes a mapping or a list of mappings, not a scalar (line 1)"),
    ("a: &a {x: 1}\nb: {<<: [*a, [1]]}\n", "a merge key (<<) takes a mapping or a list of mappings, not a sequence"),
])
def test_a_bad_merge_is_one_clear_error(text: str, message: str, tmp_path: Path) -> None:
    path = write(tmp_path / "bad.yaml", text)
    err = one_clear_error(["validate", str(path)])
    assert f"{path}: {message}" in err, err


def test_merging_a_long_mapping_into_many_is_refused(tmp_path: Path) -> None:
    long = "{" + ", ".join(f"k{i}: {i}" for i in range(1000)) + "}"
    text = f"a: &a {long}\nb:\n" + "  - <<: *a\n" * (MAX_MERGED // 1000 + 1)
    with pytest.raises(ScenarioError, match=f"merge keys \\(<<\\) merge more than {MAX_MERGED:,} entries"):
        read_mapping([write(tmp_path / "f.yaml", text)])


def test_chained_merges_keep_the_size_of_their_keys(tmp_path: Path) -> None:
    """Each level merging the one below twice would double a list of entries 60 times without deduplication."""
    text = "m0: &m0 {x: 0, y: 0}\n" + "".join(f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], y: {i}}}\n"
                                              for i in range(1, 61))
    got = read_mapping([write(tmp_path / "f.yaml", text)])
    assert got["m60"] == {"x": 0, "y": 60}


# --- strict types ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    ("weeks: '52'\n", "weeks: expected a whole number from 1 to 1040, got '52'"),
    ("weeks: true\n", "weeks: expected a whole number from 1 to 1040, got true"),
    ("weeks: 52.0\n", "weeks: expected a whole number from 1 to 1040, got 52.0"),
    ("clients: {referrals_per_week: '0.5'}\n", "clients.referrals_per_week: expected a number from 0 to 10, got '0.5'"),
    ("clients: {referrals_per_week: false}\n", "clients.referrals_per_week: expected a number from 0 to 10, got false"),
    ("start_up_plan: {permanent_contracts: {enabled: 1}}\n",
     "start_up_plan.permanent_contracts.enabled: expected true or false, got 1"),
    ("start_up_plan: {permanent_contracts: {enabled: 'true'}}\n",
     "start_up_plan.permanent_contracts.enabled: expected true or false, got 'true'"),
    ("description: 5\n", "description: expected text, got 5"),
    ("replace_sites: true\nsites: [{name: 7}]\n", "sites[0].name: expected text, got 7"),
])
def test_a_value_of_another_type_is_refused_not_converted(text: str, message: str, tmp_path: Path) -> None:
    path = write(tmp_path / "child.yaml", EXTENDS + text)
    err = one_clear_error(["validate", str(path)])
    assert f"{path} (extends {BASELINE_FILE}): {message}" in err, err


def test_a_whole_number_stands_for_a_number(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path / "child.yaml", EXTENDS + "clients: {referrals_per_week: 2}\n"))
    assert type(scenario.clients.referrals_per_week) is float and scenario.clients.referrals_per_week == 2.0


@pytest.mark.parametrize(("value", "message"), [
    (True, "weeks: expected a whole number from 1 to 1040, got true"),
    ("52", "weeks: expected a whole number from 1 to 1040, got '52'"),
])
def test_describe_errors_words_a_strict_refusal(value: object, message: str, baseline: Scenario) -> None:
    with pytest.raises(ValidationError) as caught:
        Scenario.model_validate({**baseline.model_dump(), "weeks": value})
    assert describe_errors(caught.value) == [message]


def test_a_scenario_built_in_code_round_trips(baseline: Scenario) -> None:
    assert Scenario.model_validate(baseline.model_dump()) == baseline
    assert Scenario.model_validate(baseline.model_dump(mode="json")) == baseline
    assert Scenario.model_validate_json(baseline.model_dump_json()) == baseline


@pytest.mark.parametrize(("body", "message"), [
    ("design: lhs\nsamples: '4'\nparameters:\n  - {path: weeks, type: int, range: [20, 26]}\n",
     "samples: expected a whole number from 1 to 1000000, got '4'"),
    ("design: sobol\nsamples: 4\nsecond_order: yes\nparameters:\n  - {path: weeks, type: int, range: [20, 26]}\n"
     "  - {path: staff.notice_weeks, type: int, range: [1, 4]}\n",
     "second_order: expected true or false, got 'yes'"),
    ("design: lhs\nsamples: 4\nparameters:\n  - {path: staff.quit_threshold.mean, range: ['1', 2]}\n",
     "parameters[0].range[0]: expected a number, got '1'"),
    ("design: lhs\nsamples: 4\nparameters:\n  - {path: staff.quit_threshold.mean, range: [true, 2]}\n",
     "parameters[0].range[0]: expected a number, got true"),
])
def test_a_spec_is_strict_too(body: str, message: str, tmp_path: Path, sweep_spec: Callable[..., Path]) -> None:
    spec = sweep_spec(tmp_path, body)
    err = one_clear_error(["sweep", str(spec), "--workers", "1", "--out", str(tmp_path / "runs")])
    assert f"{spec}: {message}" in err, err


def test_a_spec_range_is_a_yaml_list(tmp_path: Path, sweep_spec: Callable[..., Path]) -> None:
    loaded = specs.load_sweep(sweep_spec(tmp_path, "design: lhs\nsamples: 2\nparameters:\n"
                                                   "  - {path: staff.quit_threshold.mean, range: [1, 2]}\n"))
    assert loaded.spec.parameters[0].range == (1.0, 2.0)


def test_a_sweep_sets_numpy_values_as_python_values(tmp_path: Path, sweep_spec: Callable[..., Path]) -> None:
    """Designs and results give numpy scalars; the strict schema would refuse numpy.int64 and numpy.bool_."""
    loaded = specs.load_sweep(sweep_spec(tmp_path, "design: lhs\nsamples: 2\nparameters:\n"
                                                   "  - {path: staff.quit_threshold.mean, range: [1, 2]}\n"))
    paths = ["weeks", "staff.quit_threshold.mean", "start_up_plan.implementation_lead.enabled",
             "clients.referrals_per_week", "description"]
    values = [np.int64(52), np.float64(1.5), np.bool_(True), np.int64(2), np.str_("swept")]
    with pytest.raises(ValidationError):
        Scenario.model_validate({**loaded.base, "weeks": np.int64(52)})
    scenario = specs.apply(loaded.base, paths, values)
    assert type(scenario.weeks) is int and scenario.weeks == 52
    assert type(scenario.staff.quit_threshold.mean) is float and scenario.staff.quit_threshold.mean == 1.5
    assert scenario.start_up_plan.implementation_lead.enabled is True
    assert type(scenario.clients.referrals_per_week) is float and scenario.clients.referrals_per_week == 2.0
    assert type(scenario.description) is str and scenario.description == "swept"


def test_a_sweep_over_every_kind_of_parameter_runs(tmp_path: Path, sweep_spec: Callable[..., Path]) -> None:
    spec = sweep_spec(tmp_path, "design: grid\nreplicates: 1\nparameters:\n"
                                "  - {path: staff.notice_weeks, type: int, range: [1, 4], steps: 2}\n"
                                "  - {path: start_up_plan.implementation_lead.enabled, type: bool}\n"
                                "  - {path: staff.quit_threshold.mean, range: [1, 2], steps: 2}\n")
    code, _, err = invoke(["sweep", str(spec), "--workers", "1", "--out", str(tmp_path / "runs")])
    assert code == 0, err
    (results,) = (tmp_path / "runs").rglob("results.csv")
    rows = results.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 1 + 8 and all(row.endswith(",ok") for row in rows[1:]), rows


# --- long values in messages -------------------------------------------------------------------------------

HUGE = "x" * 500_000
"""A value of half a megabyte (an input file may have 1 MB)."""


@pytest.mark.parametrize(("text", "message"), [
    (f"name: {HUGE}\n", "name: must start with a letter or digit"),
    (f"weeks: {HUGE}\n", "weeks: expected a whole number from 1 to 1040, got 'xxxx"),
    (f"clients:\n  ? {HUGE}\n  : 1\n", f"clients.{'x' * 60}...: unknown field"),
    (f"replace_sites: true\nsites: [{{name: {HUGE}}}]\n",
     f"sites[0] ({'x' * 60}...).name: must start with a letter or digit"),
    (f"a: !{HUGE} 1\n", "not valid YAML"),
    (f"? {HUGE[:400_000]}\n: 1\n? {HUGE[:400_000]}\n: 2\n", f"duplicate key '{'x' * 60}...' (line 4)"),
])
def test_a_huge_value_is_cut_in_the_message(text: str, message: str, tmp_path: Path) -> None:
    path = write(tmp_path / "child.yaml", EXTENDS + text)
    err = one_clear_error(["validate", str(path)])
    assert message in err, err[:2000]


def test_a_huge_string_is_shown_by_its_start_and_its_length(tmp_path: Path) -> None:
    err = one_clear_error(["validate", str(write(tmp_path / "child.yaml", EXTENDS + f"weeks: {HUGE}\n"))])
    assert err.rstrip().endswith(f"got '{'x' * MAX_SHOWN}'... (500,000 characters)"), err


def test_a_huge_value_in_a_spec_is_cut_in_the_message(tmp_path: Path, sweep_spec: Callable[..., Path]) -> None:
    spec = sweep_spec(tmp_path, f"design: grid\nparameters:\n  - {{path: weeks, type: int, levels: [{HUGE}]}}\n")
    err = one_clear_error(["sweep", str(spec), "--workers", "1", "--out", str(tmp_path / "runs")])
    assert "levels of a int parameter must be int values" in err, err


# --- aliases -----------------------------------------------------------------------------------------------


def test_aliases_to_aliases_are_refused_at_once(tmp_path: Path) -> None:
    """Nine levels of nine aliases each are 387 million values once expanded: refused without walking them."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"] + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]"
                                                        for i in range(1, 9)]
    path = write(tmp_path / "laughs.yaml", EXTENDS + "\n".join(lines) + "\n")
    err = one_clear_error(["validate", str(path)])
    assert f"holds more than {MAX_VALUES:,} values once its aliases (*name) are expanded" in err, err


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n"])
def test_a_collection_inside_itself_is_too_deep(text: str, tmp_path: Path) -> None:
    err = one_clear_error(["validate", str(write(tmp_path / "loop.yaml", EXTENDS + text))])
    assert f"nested more than {MAX_DEPTH} levels deep" in err, err


def test_shared_collections_are_fine(tmp_path: Path) -> None:
    got = read_mapping([write(tmp_path / "f.yaml", "a: &a [1, 2]\nb: [*a, *a]\n")])
    assert got == {"a": [1, 2], "b": [[1, 2], [1, 2]]}
