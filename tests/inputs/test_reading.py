"""Reading scenario files: the safe loader, its error messages in the scenario's own terms, and `ipsim validate`.

Every rejected file must give a ScenarioError from ``load_scenario``, and exit status 2 from
``ipsim validate`` and ``ipsim run`` with ``ipsim: error: ...`` on stderr naming the file and the
dotted field path, no traceback, and nothing written to the ``--out`` folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel

from simulation.core.scenario import Scenario
from simulation.inputs.reading import ScenarioError
from simulation.inputs.scenarios import load_scenario
from tests.helpers import BASELINE_FILE, invoke

BASE = BASELINE_FILE.read_text(encoding="utf-8")
"""The bundled baseline's text, which the bad files are made from."""


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, f"baseline.yaml no longer contains {old!r}"
    return text.replace(old, new, 1)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the n-th line containing ``needle``."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    return hits[occurrence - 1]


# --- the error classes ------------------------------------------------------------------------
# Each case builds the file content from baseline.yaml and returns (content, expected fragments).
# A fragment starting with "re:" is a regular expression.


def _duplicate_top() -> tuple[str, list[str]]:
    text = BASE + "weeks: 100\n"
    return text, ["duplicate key", "weeks", rf"re:line {len(text.splitlines())}\b"]


def _duplicate_in_site() -> tuple[str, list[str]]:
    text = replace_once(BASE, "    positions: 1\n", "    positions: 1\n    positions: 2\n")
    return text, ["duplicate key", "positions", rf"re:line {line_of(text, 'positions: 2')}\b"]


def _unknown_key() -> tuple[str, list[str]]:
    return BASE + "clients: {caseload_capp: 20}\n", ["clients.caseload_capp", "did you mean 'caseload_cap'"]


def _unknown_key_in_site() -> tuple[str, list[str]]:
    text = replace_once(BASE, "    team_contact: 0.4", "    team_contakt: 0.0")
    return text, ["sites[0].team_contakt", "did you mean 'team_contact'"]


def _unknown_key_nested_in_site() -> tuple[str, list[str]]:
    text = replace_once(BASE, "    job_market: 0.7\n", "    job_market: 0.7\n    readiness: {manager_knowlege: 0.5}\n")
    return text, ["sites[1].readiness.manager_knowlege", "did you mean 'manager_knowledge'"]


def _wrong_type() -> tuple[str, list[str]]:
    return replace_once(BASE, "weeks: 156", "weeks: many"), ["re:\\bweeks: ", "whole number from 1 to 1040", "many"]


def _out_of_range() -> tuple[str, list[str]]:
    return BASE + "clients:\n  caseload_cap: 500\n", ["clients.caseload_cap", "60", "500"]


def _missing_sites() -> tuple[str, list[str]]:
    return "name: nosites\nweeks: 52\ncohort_window_weeks: 52\n", ["re:\\bsites\\b", "missing"]


def _top_level_list() -> tuple[str, list[str]]:
    return "- weeks: 52\n- sites: []\n", ["mapping"]


def _top_level_scalar() -> tuple[str, list[str]]:
    return "just a sentence\n", ["mapping"]


def _empty_file() -> tuple[str, list[str]]:
    return "", ["mapping"]


def _invalid_yaml() -> tuple[str, list[str]]:
    text = replace_once(BASE, "cohort_window_weeks: 104", "cohort_window_weeks: 104: 5")
    return text, [rf"re:line {line_of(text, 'cohort_window_weeks: 104: 5')}\b"]


def _unclosed_bracket() -> tuple[str, list[str]]:
    return "name: x\nsites: [{name: a}\nweeks: 10\n", ["re:line \\d+"]


def _window_longer_than_horizon() -> tuple[str, list[str]]:
    text = replace_once(BASE, "cohort_window_weeks: 104", "cohort_window_weeks: 200")
    return text, ["cohort_window_weeks", "200"]


def _trait_low_above_mean() -> tuple[str, list[str]]:
    text = BASE.replace("staff:\n", "staff:\n  intrinsic_motivation: {mean: 0.3, sd: 0.1, low: 0.5, high: 1.0}\n", 1)
    return text, ["staff.intrinsic_motivation", "low"]


def _not_utf8() -> tuple[bytes, list[str]]:
    # Not in the explicit list, but "never a Python traceback" covers any unreadable file.
    return BASE.encode() + b"description: caf\xe9\n", []


def _unhashable_key() -> tuple[str, list[str]]:
    # Not in the explicit list: a YAML complex key (a list) must be an error, not a crash.
    return "? [a, b]\n: 1\n" + BASE, []


CASES: dict[str, Callable[[], tuple[str | bytes, list[str]]]] = {
    "duplicate_key": _duplicate_top,
    "duplicate_key_in_site": _duplicate_in_site,
    "unknown_key": _unknown_key,
    "unknown_key_in_site": _unknown_key_in_site,
    "unknown_key_nested_in_site": _unknown_key_nested_in_site,
    "wrong_type": _wrong_type,
    "out_of_range": _out_of_range,
    "missing_sites": _missing_sites,
    "top_level_list": _top_level_list,
    "top_level_scalar": _top_level_scalar,
    "empty_file": _empty_file,
    "invalid_yaml": _invalid_yaml,
    "invalid_yaml_unclosed": _unclosed_bracket,
    "window_longer_than_horizon": _window_longer_than_horizon,
    "trait_low_above_mean": _trait_low_above_mean,
    "not_utf8": _not_utf8,
    "unhashable_key": _unhashable_key,
}


@pytest.fixture(params=sorted(CASES))
def bad_file(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, list[str]]:
    content, expected = CASES[request.param]()
    path = tmp_path / "bad.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path, expected


def assert_mentions(message: str, expected: list[str]) -> None:
    for fragment in expected:
        if fragment.startswith("re:"):
            assert re.search(fragment[3:], message), f"{fragment[3:]!r} not found in:\n{message}"
        else:
            assert fragment in message, f"{fragment!r} not found in:\n{message}"


def test_the_cases_start_from_a_valid_baseline(baseline: Scenario) -> None:
    assert baseline.name == "baseline"
    assert baseline.weeks == 156 and baseline.cohort_window_weeks == 104


def test_load_scenario_rejects(bad_file: tuple[Path, list[str]]) -> None:
    path, expected = bad_file
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert str(path) in message
    assert_mentions(message, expected)


def test_validate_rejects(bad_file: tuple[Path, list[str]]) -> None:
    path, expected = bad_file
    code, out, err = invoke(["validate", str(path)])
    assert code == 2
    assert "Traceback" not in err
    assert err.startswith("ipsim: error: ")
    assert str(path) in err
    assert_mentions(err, expected)
    assert "ok" not in out


def test_run_rejects_and_writes_nothing(
    bad_file: tuple[Path, list[str]], tmp_path: Path
) -> None:
    path, expected = bad_file
    out_dir = tmp_path / "runs"
    out_dir.mkdir()
    (out_dir / "earlier-run").mkdir()
    code, _out, err = invoke(
        ["run", str(path), "--replicates", "2", "--weeks", "20", "--workers", "1", "--out", str(out_dir)]
    )
    assert code == 2
    assert "Traceback" not in err
    assert "ipsim: error: " in err
    assert str(path) in err
    assert_mentions(err, expected)
    assert sorted(os.listdir(out_dir)) == ["earlier-run"]  # no run folder, no hidden .partial-* folder
    assert not any((out_dir / "earlier-run").iterdir())


def test_run_with_bad_file_does_not_create_out_folder(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BASE + "clients: {caseload_capp: 20}\n", encoding="utf-8")
    out_dir = tmp_path / "not-yet"
    code, _, err = invoke(["run", str(path), "--replicates", "2", "--weeks", "20", "--workers", "1",
                           "--out", str(out_dir)])
    assert code == 2
    assert "Traceback" not in err
    assert not out_dir.exists()


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "no-such-scenario.yaml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(path) in str(info.value)

    code, _, err = invoke(["validate", str(path)])
    assert code == 2
    assert err.startswith("ipsim: error: ")
    assert str(path) in err
    assert "Traceback" not in err

    out_dir = tmp_path / "runs"
    out_dir.mkdir()
    code, _, err = invoke(["run", str(path), "--replicates", "2", "--weeks", "20", "--workers", "1",
                           "--out", str(out_dir)])
    assert code == 2
    assert str(path) in err
    assert "Traceback" not in err
    assert list(out_dir.iterdir()) == []


def test_every_problem_is_reported_on_its_own_error_line(tmp_path: Path) -> None:
    path = tmp_path / "two-problems.yaml"
    text = replace_once(BASE, "weeks: 156", "weeks: many") + "clients: {caseload_capp: 20}\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert "weeks" in str(info.value) and "clients.caseload_capp" in str(info.value)

    code, _, err = invoke(["validate", str(path)])
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert any("clients.caseload_capp" in line for line in lines)
    assert any(re.search(r"\bweeks: ", line) for line in lines)
    for line in lines:
        assert line.startswith("ipsim: error: "), f"not an 'ipsim: error:' line: {line!r}"
        assert str(path) in line, f"line does not name the file: {line!r}"


# --- wrong kinds of value, in the scenario's own terms -------------------------------------------


def schema_classes(model: type[BaseModel]) -> set[str]:
    """The names of ``model`` and of every model class its fields hold, however nested (lists, unions)."""
    names = {model.__name__}
    for info in model.model_fields.values():
        pending = [info.annotation]
        while pending:
            annotation = pending.pop()
            pending.extend(get_args(annotation))
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                names |= schema_classes(annotation)
    return names


SCHEMA_CLASSES = sorted(schema_classes(Scenario))
"""The schema's class names (Staff, ImplementationLead, PressureWeights, ...): no message may show one."""

OWN_SITES = "replace_sites: true\n"
"""Site cases give the whole list, so the index in the message is the file's own."""

WRONG_KINDS: dict[str, tuple[str, str, str]] = {
    # case: (what the file gives, the start of the message after the file, its end)
    "section_given_text": ("staff: tired\n",
                           "staff: expected a mapping of its fields (quit_threshold, intrinsic_motivation, ",
                           "got 'tired'"),
    "lever_given_true": ("start_up_plan: {implementation_lead: true}\n",
                        "start_up_plan.implementation_lead: expected a mapping of its fields (enabled, availability)",
                        "got true"),
    "lever_given_a_list": ("start_up_plan: {no_solo_posts: [2, 3]}\n",
                           "start_up_plan.no_solo_posts: expected a mapping of its fields (enabled, minimum)",
                           "got a list"),
    "empty_section": ("clients:\n", "clients: expected a mapping of its fields (caseload_cap, ", "got nothing"),
    "trait_given_a_number": ("staff: {quit_threshold: 1.2}\n",
                             "staff.quit_threshold: expected a mapping of its fields (mean, sd, low, high)", "got 1.2"),
    "site_given_text": (OWN_SITES + "sites: [solo]\n",
                        "sites[0]: expected a mapping of its fields (name, count, positions, ", "got 'solo'"),
    "sites_given_a_mapping": (OWN_SITES + "sites: {name: solo}\n",
                              "sites: expected a list, each entry a mapping of its fields (name, ", "got a mapping"),
    "readiness_given_text": (OWN_SITES + "sites: [{name: a, readiness: high}]\n",
                             "sites[0] (a).readiness: expected a mapping of its fields (manager_knowledge, ",
                             "got 'high'"),
    "number_given_text": ("clients: {job_start_rate: fast}\n",
                          "clients.job_start_rate: expected a number from 0 to 0.5", "got 'fast'"),
    "number_given_a_list": ("strain: {recovery_rate: [0.1]}\n",
                            "strain.recovery_rate: expected a number from 0 to 1", "got a list"),
    "whole_number_given_a_fraction": (OWN_SITES + "sites: [{name: a, positions: 2.5}]\n",
                                      "sites[0] (a).positions: expected a whole number from 1 to 50", "got 2.5"),
    "whole_number_given_false": (OWN_SITES + "sites: [{name: a, count: false}]\n",
                                 "sites[0] (a).count: expected a whole number from 1 to 100", "got false"),
    "switch_given_a_number": ("start_up_plan: {permanent_contracts: {enabled: 2}}\n",
                              "start_up_plan.permanent_contracts.enabled: expected true or false", "got 2"),
    "text_given_a_list": ("description: [a, b]\n", "description: expected text", "got a list"),
    "name_with_spaces": ("name: my plan\n", "name: must start with a letter or digit and hold only letters, digits and _ . - (no spaces",
                         "got 'my plan'"),
    "no_sites": (OWN_SITES + "sites: []\n", "sites: expected at least 1 entry", "got 0"),
}


@pytest.mark.parametrize("case", sorted(WRONG_KINDS))
def test_a_wrong_kind_of_value_is_worded_without_class_names(case: str, tmp_path: Path) -> None:
    text, what, got = WRONG_KINDS[case]
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: {BASELINE_FILE}\n{text}", encoding="utf-8")
    code, _, err = invoke(["validate", str(path)])
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"ipsim: error: {path} (extends {BASELINE_FILE}): {what}"), err
    assert lines[0].endswith(got), err
    assert not [name for name in SCHEMA_CLASSES if re.search(rf"\b{name}\b", err)], err
    assert "Input should be a valid" not in err


def test_the_class_name_check_knows_the_schema() -> None:
    expected = {"Scenario", "Staff", "SiteSpec", "Readiness", "ImplementationLead", "ThresholdTrait", "PressureWeights"}
    assert expected <= set(SCHEMA_CLASSES)


# --- the loader is safe -----------------------------------------------------------------------


@pytest.mark.parametrize("where", ["top_level", "field_value"])
def test_python_tags_are_rejected_without_running_anything(
    where: str, tmp_path: Path
) -> None:
    marker = tmp_path / "executed"
    payload = f'!!python/object/apply:os.system ["echo hi > {marker}"]'
    text = payload + "\n" if where == "top_level" else f"name: unsafe\nsites: [{{name: a}}]\nweeks: {payload}\n"
    path = tmp_path / "unsafe.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(path) in str(info.value)
    assert not marker.exists()

    code, _, err = invoke(["validate", str(path)])
    assert code == 2
    assert "Traceback" not in err
    assert not marker.exists()

    out_dir = tmp_path / "runs"
    out_dir.mkdir()
    code, _, err = invoke(["run", str(path), "--replicates", "2", "--weeks", "20", "--workers", "1",
                           "--out", str(out_dir)])
    assert code == 2
    assert "Traceback" not in err
    assert not marker.exists()
    assert list(out_dir.iterdir()) == []


# --- ipsim validate ---------------------------------------------------------------------------


def test_validate_accepts_the_bundled_baseline() -> None:
    code, out, err = invoke(["validate", str(BASELINE_FILE)])
    assert code == 0
    assert "error" not in err
    assert str(BASELINE_FILE) in out


def test_validate_a_mix_of_good_and_bad_files(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(BASE, encoding="utf-8")
    bad_range = tmp_path / "bad-range.yaml"
    bad_range.write_text(BASE + "clients:\n  caseload_cap: 500\n", encoding="utf-8")
    bad_key = tmp_path / "bad-key.yaml"
    bad_key.write_text(BASE + "clients: {caseload_capp: 20}\n", encoding="utf-8")

    code, out, err = invoke(["validate", str(bad_range), str(good), str(bad_key)])
    assert code == 2
    assert "Traceback" not in err
    assert str(bad_range) in err and "clients.caseload_cap" in err
    assert str(bad_key) in err and "clients.caseload_capp" in err
    assert str(good) not in err
    assert str(good) in out  # the good file is still checked and reported
