"""Reading YAML input files safely and saying what is wrong with them in the scenario's own terms.

Every input file (scenario, sweep spec, calibration spec) is read as UTF-8 with PyYAML's safe loader,
refusing duplicate keys; validation errors become one line each, naming the field path and what is allowed.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from simulation.core.params import NAME_PATTERN
from simulation.core.scenario import Scenario, bounds


class InputError(Exception):
    """Bad input of any kind (a file, a folder, a command line): the command says so in one or a few lines and
    exits with status 2. Defined here, in a module that imports little, so that a front end can catch every kind
    without importing the modules that raise them."""


class ScenarioError(InputError):
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


MAX_FILE_BYTES = 1_000_000
"""The largest input file read (the bundled baseline is about 5 kB): a bigger one is refused before it is read."""
MAX_DEPTH = 50
"""The deepest nesting of mappings and lists an input file may have (a scenario needs 4)."""


def read_mapping(chain: list[Path], what: str = "scenario") -> dict[str, Any]:
    """The top-level mapping of the chain's last file, read as UTF-8 with the safe, duplicate-refusing loader.

    Only a regular file of at most MAX_FILE_BYTES is read (never a pipe or a device, which could hang or never
    end), nested at most MAX_DEPTH deep; anything else is a ScenarioError naming the file and the limit.
    """
    path, where = chain[-1], named(chain)
    try:
        if path.exists() and not path.is_file():
            raise ScenarioError(f"{where}: not a regular file (a folder, a pipe or a device); give a YAML file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(f"{where}: {size:,} bytes; an input file may have at most {MAX_FILE_BYTES:,}")
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
    except RecursionError:
        raise ScenarioError(f"{where}: nested too deeply to read (at most {MAX_DEPTH} levels)") from None
    except ValueError as exc:  # e.g. an integer longer than Python converts (thousands of digits)
        raise ScenarioError(f"{where}: a value cannot be read: {str(exc)[:200]}") from None
    if _depth(data) > MAX_DEPTH:
        raise ScenarioError(f"{where}: nested more than {MAX_DEPTH} levels deep")
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: expected a mapping of {what} fields at the top level")
    return data


def _depth(node: Any, limit: int = MAX_DEPTH + 1) -> int:
    """How deep mappings and lists nest in ``node`` (counted up to ``limit``, which is enough to refuse it)."""
    if limit <= 0 or not isinstance(node, dict | list):
        return 0
    children = node.values() if isinstance(node, dict) else node
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


_MAPPINGS = frozenset({"model_type", "model_attributes_type", "dict_type"})
"""Error types of a section, lever or other mapping given something else (pydantic names the class in some)."""
_SCALARS = {
    **dict.fromkeys(("int_type", "int_parsing", "int_from_float"), "a whole number"),
    **dict.fromkeys(("float_type", "float_parsing"), "a number"),
    **dict.fromkeys(("bool_type", "bool_parsing"), "true or false"),
    "string_type": "text",
}
"""Error types of a value of the wrong kind, and the kind expected (numbers add the field's range)."""


def describe_errors(exc: ValidationError, root: type[BaseModel] | None = None,
                    site_names: Sequence[object] = ()) -> list[str]:
    """One line per validation error: the field path, what is wrong and what is allowed, in the file's terms.

    ``root`` (by default Scenario) is the schema the paths start from. A value of the wrong kind is
    reported as ``expected ..., got ...``: a mapping with the fields it may hold, a number with its
    range, a list with what each entry is. So no line names a Python class: pydantic names one only
    for a mapping given something else, which is reworded. Range and choice errors keep pydantic's
    wording, which already speaks of values. ``site_names``, the names of a merged ``sites`` list's
    entries, are shown after their index (``sites[5] (extra)``), as that index need not be the file's.
    """
    root = root or Scenario
    lines = []
    for err in exc.errors():
        loc = err["loc"]
        where = _dotted(loc, site_names) or "(top level)"
        lines.append(f"{where}: {_problem(err, root)}")
    return lines


def shown(value: Any) -> str:
    """A value as a message shows it: scalars as YAML writes them (strings quoted), collections by kind."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _problem(err: ErrorDetails, root: type[BaseModel]) -> str:
    """What is wrong at ``err``'s path and what is allowed there."""
    kind, loc, got = err["type"], err["loc"], err.get("input")
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1], root)
        known = sorted(parent.model_fields) if parent else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else (f"; allowed: {', '.join(known)}" if known else "")
        return f"unknown field{hint}"
    if kind == "missing":
        return "required field is missing"
    if kind in _MAPPINGS:
        return f"expected {_mapping_of(_model_at(loc, root))}, got {shown(got)}"
    if kind in ("list_type", "tuple_type"):
        item = _model_at((*loc, 0), root)
        each = f", each entry {_mapping_of(item)}" if item else ""
        return f"expected a list{each}, got {shown(got)}"
    if kind in _SCALARS:
        ranged = _range(loc, root) if kind.startswith(("int", "float")) else ""
        return f"expected {_SCALARS[kind]}{ranged}, got {shown(got)}"
    ctx = err.get("ctx", {})
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == NAME_PATTERN:
        return ("must start with a letter or digit and hold only letters, digits and _ . - (no spaces, at most "
                f"80 characters), got {shown(got)}")
    if kind in ("too_short", "too_long"):
        limit = ctx["min_length"] if kind == "too_short" else ctx["max_length"]
        return (f"expected at {'least' if kind == 'too_short' else 'most'} {limit} "
                f"entr{'y' if limit == 1 else 'ies'}, got {ctx['actual_length']}")
    message = err["msg"].removeprefix("Value error, ")
    return message if isinstance(got, dict | list) else f"{message} (got {shown(got)})"


def _mapping_of(model: type[BaseModel] | None) -> str:
    return f"a mapping of its fields ({', '.join(model.model_fields)})" if model else "a mapping"


def _range(loc: tuple, root: type[BaseModel]) -> str:
    """The range the schema declares for the field at ``loc``, as words (`` from 0 to 1``); empty if none."""
    parent = _model_at(loc[:-1], root) if loc else None
    if parent is None or loc[-1] not in parent.model_fields:
        return ""
    low, high = (f"{b:g}" if isinstance(b, float) else b for b in bounds(parent, str(loc[-1])))
    if low is not None and high is not None:
        return f" from {low} to {high}"
    return f" of at least {low}" if low is not None else (f" of at most {high}" if high is not None else "")


def _dotted(loc: tuple, site_names: Sequence[object] = ()) -> str:
    out = ""
    for depth, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
            if depth == 1 and loc[0] == "sites" and part < len(site_names) and isinstance(site_names[part], str):
                out += f" ({site_names[part]})"
        else:
            out += f".{part}" if out else str(part)
    return out


def _model_at(loc: tuple, root: type[BaseModel]) -> type[BaseModel] | None:
    """The schema model found by following ``loc`` from ``root`` (through optional fields and list entries);
    None where ``loc`` leads to anything else (a number, a free mapping) or out of the schema."""
    annotation: Any = root
    for part in loc:
        if isinstance(part, int):
            annotation = next((get_args(a)[0] for a in _options(annotation) if get_origin(a) is list), None)
        else:
            model = _model_in(annotation)
            annotation = model.model_fields[part].annotation if model and part in model.model_fields else None
    return _model_in(annotation)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    return next((a for a in _options(annotation) if isinstance(a, type) and issubclass(a, BaseModel)), None)


def _options(annotation: Any) -> tuple[Any, ...]:
    """The types an annotation allows: a union's members (``X | None``), else the annotation itself."""
    return get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
