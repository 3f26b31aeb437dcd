"""Reading YAML input files safely and saying what is wrong with them in the scenario's own terms.

Every input file (scenario, sweep spec, calibration spec) is read as UTF-8 with PyYAML's safe loader,
refusing duplicate keys; validation errors become one line each, naming the field path and what is allowed.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from simulation.core.scenario import Scenario


class ScenarioError(Exception):
    """A scenario file that cannot be used; the message names the file, the field and what is allowed."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate keys instead of silently keeping the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                line = key_node.start_mark.line + 1
                raise ScenarioError(f"a key must be a plain name, not {type(key).__name__} (line {line})")
            if key in seen:
                line = key_node.start_mark.line + 1
                raise ScenarioError(f"duplicate key '{key}' (line {line})")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def named(chain: list[Path]) -> str:
    """How errors name the last file of a chain: with the files that led to it, if any."""
    if len(chain) == 1:
        return str(chain[0])
    return f"{chain[-1]} (via {' -> '.join(map(str, chain[:-1]))})"


def read_mapping(chain: list[Path], what: str = "scenario") -> dict[str, Any]:
    """The top-level mapping of the chain's last file, read as UTF-8 with the safe, duplicate-refusing loader."""
    path, where = chain[-1], named(chain)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{where}: cannot read file ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{where}: not a UTF-8 text file (byte {exc.start})") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except ScenarioError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ScenarioError(f"{where}: not valid YAML{at}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: expected a mapping of {what} fields at the top level")
    return data


def describe_errors(exc: ValidationError, root: type[BaseModel] | None = None) -> list[str]:
    """One line per validation error: field path, what is wrong and what is allowed (fields of ``root``,
    by default Scenario, for unknown-field hints)."""
    lines = []
    for err in exc.errors():
        loc = err["loc"]
        where = _dotted(loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            known = sorted(_fields_at(loc[:-1], root or Scenario))
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; allowed: {', '.join(known)}"
            lines.append(f"{where}: unknown field{hint}")
        elif err["type"] == "missing":
            lines.append(f"{where}: required field is missing")
        else:
            got = err.get("input")
            shown = "" if isinstance(got, (dict, list)) else f" (got {got!r})"
            lines.append(f"{where}: {err['msg']}{shown}")
    return lines


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _fields_at(loc: tuple, root: type[BaseModel]) -> dict[str, FieldInfo]:
    """The fields of the schema model found by following ``loc`` from ``root``."""
    model: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[part].annotation
        if get_origin(annotation) is list:
            annotation = get_args(annotation)[0]
        models = [a for a in (annotation, *get_args(annotation)) if isinstance(a, type) and issubclass(a, BaseModel)]
        model = models[0] if models else annotation
    return model.model_fields
