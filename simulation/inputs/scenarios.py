"""Scenario files: reading one, following its ``extends`` chain, and validating the merged result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulation.core.scenario import Scenario
from simulation.inputs.reading import ScenarioError, describe_errors, named, read_mapping


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file and any it extends; raise ScenarioError with every problem found."""
    path = Path(path)
    data, chain = resolve(path)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        where = f"{path} (extends {' -> '.join(map(str, chain[1:]))})" if len(chain) > 1 else str(path)
        raise ScenarioError("\n".join(f"{where}: {line}" for line in describe_errors(exc))) from None


def resolve(path: str | Path) -> tuple[dict[str, Any], list[Path]]:
    """A file's scenario mapping with its ``extends`` chain merged in, not yet validated; and the chain.

    The chain lists the files read, the given one first. Each file overrides the one it extends:
    nested mappings merge key by key, anything else (lists included) replaces. A parent's ``name``
    never leaks into a child, so a file without one is named after its own stem.
    """
    path = Path(path)
    data, chain = _resolve_chain([path])
    data.setdefault("name", path.stem)
    return data, chain


def _resolve_chain(chain: list[Path]) -> tuple[dict[str, Any], list[Path]]:
    """The merged mapping of ``chain[-1]``, which the files before it extend (in that order)."""
    data = read_mapping(chain)
    if "extends" not in data:
        return data, chain
    written = data.pop("extends")
    if not isinstance(written, str) or not written.strip():
        raise ScenarioError(f"{named(chain)}: extends must be the path of a scenario file, got {written!r}")
    parent = chain[-1].parent / written
    if any(parent.resolve() == seen.resolve() for seen in chain):
        raise ScenarioError(f"{chain[0]}: extends makes a cycle: {' -> '.join(map(str, [*chain, parent]))}")
    if not parent.exists():
        raise ScenarioError(f"{named(chain)}: extends {written!r}: no such file (resolved to {parent.resolve()})")
    inherited, full_chain = _resolve_chain([*chain, parent])
    inherited.pop("name", None)
    return _merge(inherited, data), full_chain


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` laid over ``base``: mappings merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in override.items():
        both_mappings = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = _merge(merged[key], value) if both_mappings else value
    return merged
