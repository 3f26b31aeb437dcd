"""Reading YAML input files safely and saying what is wrong with them in the scenario's own terms.

Every input file (scenario, sweep spec, calibration spec) is read as UTF-8 with PyYAML's safe loader, reading
plain scalars as YAML 1.2 does (as editors do), accepting merge keys and refusing duplicate keys; validation errors
become one line each, naming the field path and what is allowed, and showing at most the start of a long value.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from pathlib import Path
from types import UnionType
from typing import Any, ClassVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from simulation.core.params import NAME_PATTERN
from simulation.core.scenario import Scenario, bounds, removed


class InputError(Exception):
    """Bad input of any kind (a file, a folder, a command line): the command says so in one or a few lines and
    exits with status 2. Defined here, in a module that imports little, so that a front end can catch every kind
    without importing the modules that raise them."""


class ScenarioError(InputError):
    """A scenario file that cannot be used; the message names the file, the field and what is allowed."""


_MERGE = "tag:yaml.org,2002:merge"
_CORE_SCHEMA = (
    ("tag:yaml.org,2002:null", r"~|null|Null|NULL|", ("~", "n", "N", "")),
    ("tag:yaml.org,2002:bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("tag:yaml.org,2002:int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    ("tag:yaml.org,2002:float", r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                                r"|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN", "-+.0123456789"),
    (_MERGE, r"<<", "<"),
)
"""The plain scalars that are not strings, by tag, as YAML 1.2's core schema reads them, with their first characters
(the empty scalar is null); and the merge key ``<<``, a YAML 1.1 type that YAML 1.2 dropped but its tools (the YAML
language server among them) still read."""
_DECIMAL = re.compile(r"[-+]?[0-9]+")
MAX_MERGED = 100_000
"""The most entries merge keys (``<<``) may merge in one file, counting a mapping's entries each time it is merged
(a scenario has a few hundred fields): more would let a small file that merges one long mapping into many others
grow to gigabytes in memory."""


class _Yaml12Loader(yaml.SafeLoader):
    """PyYAML's safe loader reading plain scalars as YAML 1.2 does, accepting merge keys and refusing duplicate keys.

    Editors check scenario files with YAML 1.2 tools (a YAML language server with ``scenarios/schema.json``), and
    PyYAML reads YAML 1.1, where many plain scalars mean something else; so a file means here what the editor
    says. A plain (unquoted) scalar is, as in YAML 1.2's core schema:

    - null: ``~``, ``null``, ``Null``, ``NULL`` or nothing;
    - a boolean: ``true``, ``True``, ``TRUE``, ``false``, ``False``, ``FALSE`` (never ``yes``, ``no``, ``on``,
      ``off``, ``y``, ``n``);
    - a whole number: decimal digits with an optional sign, leading zeros included (``0156`` is 156, not octal
      110), ``0o`` and octal digits (``0o17`` is 15), or ``0x`` and hex digits (``0x1F`` is 31);
    - a number with a fraction or exponent (``012.5``, ``1e3`` is 1000.0), ``.inf``, ``-.inf``, ``.nan`` (in
      those capitalisations);
    - otherwise a string: ``yes``, ``2:36`` (not sexagesimal 156), ``1_000``, ``0b101``, ``2024-01-31`` (not a date).

    An explicitly tagged scalar (``!!int``, ``!!float``, ...) is read by PyYAML's constructors, except that
    ``!!int 0156`` is 156 too. A merge key (``<<: *anchor`` or ``<<: [*a, *b]``) lays the merged mappings
    under the mapping's own keys, which win over them; the first merged mapping listed wins over later ones.
    A key given twice in one mapping (``<<`` too) is refused, naming it and its line.
    """

    # its own table (first character -> tags and patterns), filled below: PyYAML's SafeLoader keeps YAML 1.1's
    yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {}

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._flattened: set[int] = set()
        self._merged = 0

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        """Decimal digits as a decimal number (``0156`` is 156); any other form as PyYAML reads it."""
        value = self.construct_scalar(node)
        return int(value) if _DECIMAL.fullmatch(value) else super().construct_yaml_int(node)

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        """Refuse a key given twice in ``node``, then replace its merge key by the entries it merges, in place.

        Of equal keys, ``node``'s own wins, then the first mapping listed (each flattened first): YAML's rule,
        which PyYAML's own expansion keeps only by chance (it tells keys apart by object identity). A mapping
        is flattened once, however often it is merged.
        """
        if id(node) in self._flattened:
            return
        self._flattened.add(id(node))
        taken = self._own_keys(node) - {"<<"}
        merges = [value for key, value in node.value if key.tag == _MERGE]
        if merges:
            own = [pair for pair in node.value if pair[0].tag != _MERGE]
            node.value = self._inherited(merges[0], taken) + own

    def _own_keys(self, node: yaml.MappingNode) -> set[object]:
        """The keys ``node`` gives itself (``<<`` for a merge key); ScenarioError, naming the line, for a key
        given twice or one that is not a scalar."""
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = "<<" if key_node.tag == _MERGE else self.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise ScenarioError(f"a key must be a plain name, not {type(key).__name__} (line {line})")
            if key in seen:
                hint = "; merge several mappings with one <<: [*a, *b]" if key == "<<" else ""
                raise ScenarioError(f"duplicate key '{cut(str(key))}' (line {line}){hint}")
            seen.add(key)
        return seen

    def _inherited(self, merged: yaml.Node, taken: set[object]) -> list[tuple[yaml.Node, yaml.Node]]:
        """The entries a merge key's value (a mapping or a list of them) gives whose keys are not yet ``taken``;
        ScenarioError beyond MAX_MERGED entries merged in the file."""
        sources = merged.value if isinstance(merged, yaml.SequenceNode) else [merged]
        entries = []
        for source in sources:
            line = source.start_mark.line + 1
            if not isinstance(source, yaml.MappingNode):
                raise ScenarioError(f"a merge key (<<) takes a mapping or a list of mappings, not a {source.id} "
                                    f"(line {line})")
            self.flatten_mapping(source)
            self._merged += len(source.value)
            if self._merged > MAX_MERGED:
                raise ScenarioError(f"merge keys (<<) merge more than {MAX_MERGED:,} entries (line {line}); "
                                    f"merge fewer or smaller mappings")
            for key_node, value_node in source.value:
                key = self.construct_object(key_node)
                if key not in taken:
                    taken.add(key)
                    entries.append((key_node, value_node))
        return entries


for _tag, _pattern, _first in _CORE_SCHEMA:
    _Yaml12Loader.add_implicit_resolver(_tag, re.compile(rf"^(?:{_pattern})$"), list(_first))
_Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _Yaml12Loader.construct_yaml_int)


def named(chain: list[Path]) -> str:
    """How errors name the last file of a chain: with the files that led to it, if any."""
    if len(chain) == 1:
        return str(chain[0])
    return f"{chain[-1]} (via {' -> '.join(map(str, chain[:-1]))})"


MAX_FILE_BYTES = 1_000_000
"""The largest input file read (the bundled baseline is about 5 kB): a bigger one is refused before it is read."""
MAX_DEPTH = 50
"""The deepest nesting of mappings and lists an input file may have (a scenario needs 4)."""
MAX_VALUES = MAX_FILE_BYTES
"""The most values (scalars, mappings and lists) an input file may hold once its aliases (``*name``) are expanded: a
file of MAX_FILE_BYTES without aliases holds fewer, and aliases to aliases could make billions for validation to walk
or a message to show."""
MAX_SHOWN = 60
"""The most characters of an input value (or key) a message shows: a longer one is cut, so that a megabyte
string in a file never reaches the terminal."""
MAX_MESSAGE = 300
"""The most characters of a message that may hold input (YAML's, a validator's), cut like a value."""
MAX_ERRORS = 8
"""The most problems of one file listed: the first ones say what is wrong, thousands would hide it."""


def read_mapping(chain: list[Path], what: str = "scenario") -> dict[str, Any]:
    """The top-level mapping of the chain's last file, read as UTF-8 with the safe YAML 1.2 loader (_Yaml12Loader).

    Only a regular file of at most MAX_FILE_BYTES is read (never a pipe or a device, which could hang or never
    end), nested at most MAX_DEPTH deep and holding at most MAX_VALUES values with its aliases expanded; anything
    else is a ScenarioError naming the file and the limit.
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
        data = yaml.load(text, Loader=_Yaml12Loader)
        depth, values = _shape(data, {})
    except ScenarioError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = cut(str(getattr(exc, "problem", exc)), MAX_MESSAGE)
        raise ScenarioError(f"{where}: not valid YAML{at}: {problem}") from None
    except RecursionError:
        raise ScenarioError(f"{where}: nested too deeply to read (at most {MAX_DEPTH} levels)") from None
    except ValueError as exc:  # e.g. an integer longer than Python converts (thousands of digits)
        raise ScenarioError(f"{where}: a value cannot be read: {cut(str(exc), MAX_MESSAGE)}") from None
    if depth > MAX_DEPTH:
        raise ScenarioError(f"{where}: nested more than {MAX_DEPTH} levels deep")
    if values > MAX_VALUES:
        raise ScenarioError(f"{where}: holds more than {MAX_VALUES:,} values once its aliases (*name) are expanded")
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: expected a mapping of {what} fields at the top level")
    return data


def _shape(node: Any, known: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """How deep mappings and lists nest in ``node`` and how many values it holds with its aliases expanded.

    ``known`` holds each collection already walked, so a collection an alias shares is walked once and a file of
    aliases to aliases takes no longer than its size; a collection inside itself (``&a [*a]``) counts as deeper
    than MAX_DEPTH, as it nests without end.
    """
    if not isinstance(node, dict | list):
        return 0, 1
    if id(node) not in known:
        known[id(node)] = (MAX_DEPTH + 1, 1)  # until walked: met again inside itself
        depth, values = 0, 1
        for child in node.values() if isinstance(node, dict) else node:
            child_depth, child_values = _shape(child, known)
            depth, values = max(depth, child_depth), values + child_values
        known[id(node)] = (depth + 1, values)
    return known[id(node)]


_MAPPINGS = frozenset({"model_type", "model_attributes_type", "dict_type"})
"""Error types of a section, lever or other mapping given something else (pydantic names the class in some)."""
_SCALARS = {"int_type": "a whole number", "float_type": "a number", "bool_type": "true or false", "string_type": "text"}
"""Error types of a value of the wrong kind, and the kind expected (numbers add the field's range). The schemas are
strict, so a value of another kind is this error, never converted (nor a parsing error)."""


def describe_errors(exc: ValidationError, root: type[BaseModel] | None = None,
                    site_names: Sequence[object] = ()) -> list[str]:
    """One line per validation error: the field path, what is wrong and what is allowed, in the file's terms.

    ``root`` (by default Scenario) is the schema the paths start from. A value of the wrong kind is
    reported as ``expected ..., got ...``: a mapping with the fields it may hold, a number with its
    range, a list with what each entry is. So no line names a Python class: pydantic names one only
    for a mapping given something else, which is reworded. Range and choice errors keep pydantic's
    wording, which already speaks of values. ``site_names``, the names of a merged ``sites`` list's
    entries, are shown after their index (``sites[5] (extra)``), as that index need not be the file's.
    At most MAX_ERRORS lines: the last says how many more problems there are.
    """
    root = root or Scenario
    errors = exc.errors()
    lines = []
    for err in errors[:MAX_ERRORS]:
        loc = err["loc"]
        where = _dotted(loc, site_names) or "(top level)"
        lines.append(f"{where}: {_problem(err, root)}")
    if len(errors) > MAX_ERRORS:
        lines.append(f"and {len(errors) - MAX_ERRORS:,} more problems like these")
    return lines


def shown(value: Any) -> str:
    """A value as a message shows it: scalars as YAML writes them (strings quoted), collections by kind; a long
    string by its first MAX_SHOWN characters and its length, any other long value cut to MAX_SHOWN characters."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and len(value) > MAX_SHOWN:
        return f"{value[:MAX_SHOWN]!r}... ({len(value):,} characters)"
    return cut(repr(value))


def cut(text: str, limit: int = MAX_SHOWN) -> str:
    """Input echoed in a message: ``text`` with any character that is not printable escaped (a line break must not
    start a new message line, nor an escape sequence reach the terminal), cut to ``limit`` characters with ``...``."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:limit + 1])
    return text if len(text) <= limit else f"{text[:limit]}..."


def _problem(err: ErrorDetails, root: type[BaseModel]) -> str:
    """What is wrong at ``err``'s path and what is allowed there."""
    kind, loc, got = err["type"], err["loc"], err.get("input")
    if kind == "extra_forbidden":
        gone = removed(".".join(str(part) for part in loc)) if root is Scenario else None
        if gone:
            return gone
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
    message = cut(err["msg"].removeprefix("Value error, "), MAX_MESSAGE)
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
    """``loc`` as a dotted path (``sites[5] (extra).positions``), each key and site name cut to MAX_SHOWN."""
    out = ""
    for depth, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
            if depth == 1 and loc[0] == "sites" and part < len(site_names) and isinstance(site_names[part], str):
                out += f" ({cut(site_names[part])})"
        else:
            out += f".{cut(str(part))}" if out else cut(str(part))
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
