"""Scenario files: reading one, following its ``extends`` chain (sites merge by name), and validating the result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulation.core.scenario import Scenario, SiteSpec
from simulation.inputs.reading import ScenarioError, describe_errors, named, read_mapping, shown

REPLACE_SITES = "replace_sites"
"""The loader-level key that makes a file's ``sites`` list replace the inherited one instead of merging into it."""


MAX_CHAIN = 20
"""The most files one ``extends`` chain may hold (the bundled scenarios need 2 or 3)."""


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file and any it extends; raise ScenarioError with every problem found.

    In a file that extends another, an error in a site entry names the entry's index in the merged list
    together with the site's name (``sites[5] (extra).positions``), as the index need not be the file's.
    """
    path = Path(path)
    data, chain = resolve(path)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        where = f"{path} (extends {' -> '.join(map(str, chain[1:]))})" if len(chain) > 1 else str(path)
        sites = data.get("sites")
        names = [s.get("name") if isinstance(s, dict) else None for s in sites] if isinstance(sites, list) else []
        lines = describe_errors(exc, site_names=names if len(chain) > 1 else [])
        raise ScenarioError("\n".join(f"{where}: {line}" for line in lines)) from None


def resolve(path: str | Path) -> tuple[dict[str, Any], list[Path]]:
    """A file's scenario mapping with its ``extends`` chain merged in, not yet validated; and the chain.

    The chain lists the files read, the given one first. Each file overrides the one it extends:
    nested mappings merge key by key and other values replace, except ``sites``, which merges by site
    name. A child's site entry whose ``name`` is an inherited site's updates that site field by field
    (its ``readiness`` too); an entry with a new name adds a site after the inherited ones, in the
    child's order. Every such entry needs a name, and a name may appear once per file.

    ``replace_sites: true`` next to ``sites:`` makes that file's list replace the inherited one whole.
    It is a flag rather than a second list key (such as ``sites_replace:``) so the list keeps its one
    name everywhere: in ``ipsim show``, in error paths (``sites[2]``) and in the JSON schema, and
    switching between merging and replacing is one line. It applies to its own file only (it is not
    inherited), needs a ``sites`` list in that file, and has no effect in a file that extends nothing.
    A site cannot be removed while merging: replace the list to drop one.

    A parent's ``name`` never leaks into a child, so a file without one is named after its own stem.
    """
    path = Path(path)
    data, chain = _resolve_chain([path])
    data.setdefault("name", path.stem)
    return data, chain


def positions_before(path: str | Path, scenario: Scenario) -> tuple[Path, int] | None:
    """The file ``path`` extends and that file's positions, when ``scenario`` (``path`` loaded) has another number.

    The parent is resolved the same way as ``path`` (its own chain merged). None when ``path`` extends
    nothing, the numbers are equal, or the parent is not a valid scenario by itself (e.g. a fragment
    without sites), since then it has no number of positions.
    """
    _, chain = resolve(path)
    if len(chain) == 1:
        return None
    try:
        before = load_scenario(chain[1]).positions
    except ScenarioError:
        return None
    return None if before == scenario.positions else (chain[1], before)


def _resolve_chain(chain: list[Path]) -> tuple[dict[str, Any], list[Path]]:
    """The merged mapping of ``chain[-1]``, which the files before it extend (in that order)."""
    data = read_mapping(chain)
    replace = data.pop(REPLACE_SITES, False)
    if not isinstance(replace, bool):
        raise ScenarioError(f"{named(chain)}: {REPLACE_SITES} must be true or false, got {shown(replace)}")
    if replace and "sites" not in data:
        raise ScenarioError(f"{named(chain)}: {REPLACE_SITES}: true needs the sites list that replaces the "
                            f"inherited one, in the same file")
    if "extends" not in data:
        return data, chain
    written = data.pop("extends")
    if not isinstance(written, str) or not written.strip():
        raise ScenarioError(f"{named(chain)}: extends must be the path of a scenario file, got {shown(written)}")
    parent = chain[-1].parent / written
    if len(chain) >= MAX_CHAIN:
        raise ScenarioError(f"{chain[0]}: extends chains more than {MAX_CHAIN} files; a scenario needs a few")
    try:
        resolved, found = parent.resolve(), parent.exists()
    except (OSError, ValueError) as exc:  # a name too long for the file system, a NUL byte in it
        why = exc.strerror if isinstance(exc, OSError) else "it holds a NUL byte"
        raise ScenarioError(f"{named(chain)}: extends {shown(written)}: not a usable path ({why})") from None
    if any(resolved == seen.resolve() for seen in chain):
        raise ScenarioError(f"{chain[0]}: extends makes a cycle: {' -> '.join(map(str, [*chain, parent]))}")
    if not found:
        raise ScenarioError(f"{named(chain)}: extends {shown(written)}: no such file (resolved to {resolved})")
    inherited, full_chain = _resolve_chain([*chain, parent])
    inherited.pop("name", None)
    if "sites" in data and not replace:
        data["sites"] = _merge_sites(inherited.get("sites"), data["sites"], chain)
    return _merge(inherited, data), full_chain


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` laid over ``base``: mappings merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in override.items():
        both_mappings = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = _merge(merged[key], value) if both_mappings else value
    return merged


def _merge_sites(inherited: Any, given: Any, chain: list[Path]) -> Any:
    """The inherited site list with the entries of ``chain[-1]`` merged in by name (see :func:`resolve`).

    A ``given`` that is not a list is returned as is, for validation to report; an inherited value that
    is not a list counts as no sites. Raises ScenarioError, naming the file and ``sites[i]``, for an entry
    that is not a mapping, has no name, or repeats a name given earlier in the same file.
    """
    if not isinstance(given, list):
        return given
    merged = list(inherited) if isinstance(inherited, list) else []
    index = {s["name"]: i for i, s in enumerate(merged) if isinstance(s, dict) and isinstance(s.get("name"), str)}
    seen: dict[str, int] = {}
    for i, entry in enumerate(given):
        where = f"{named(chain)}: sites[{i}]"
        if not isinstance(entry, dict):
            raise ScenarioError(f"{where}: expected a mapping of its fields ({', '.join(SiteSpec.model_fields)}), "
                                f"got {shown(entry)}")
        name = entry.get("name")
        if name is None:
            inherited_names = f" ({', '.join(index)})" if index else ""
            raise ScenarioError(f"{where}: no name; in a file that extends another, a site entry names the "
                                f"inherited site it changes{inherited_names} or a new site it adds "
                                f"(or set {REPLACE_SITES}: true to give the whole list)")
        if isinstance(name, str):
            if name in seen:
                raise ScenarioError(f"{where}: site '{name}' is already given at sites[{seen[name]}]")
            seen[name] = i
            if name in index:
                merged[index[name]] = _merge(merged[index[name]], entry)
                continue
        merged.append(entry)
    return merged
