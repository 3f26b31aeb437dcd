"""How a scenario parameter is declared: its default, allowed range, unit, description and source, in one place.

Every section of the scenario schema derives from ``Schema``; every field is made with ``param``. The
schema (core.scenario), the factors' weights (core.pressures) and the levers' settings (core.levers) all
declare their parameters this way, so validation, error messages and the docs tables follow from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

ASSUMPTION = "assumption"

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$"
"""Every short name that can become part of a file or folder name (scenario, site, sweep and calibration names):
a letter or digit first, so never ``.``, ``..`` or a hidden name, then letters, digits and ``_ . -``, at most 80
characters. No separator can appear, so a name can never point outside the folder it names a part of."""


def name_field(description: str) -> Any:
    """A short name's field (NAME_PATTERN)."""
    return Field(pattern=NAME_PATTERN, description=description)


@dataclass(frozen=True)
class Prior:
    """What is believed about an uncertain effect size: a continuous ``scipy.stats`` distribution by name and keyword
    parameters (``beta`` with ``a``, ``b`` and optionally ``loc`` and ``scale``, ``uniform``, ``triang``...), and
    where the belief comes from: which published figure bounds it and whether that figure was checked, or that it
    is an assumption. Declared with each lever (``core.levers``); ``ipsim compare --uncertainty`` and ``ipsim
    levers --uncertainty`` draw the effect size from it (analysis.uncertainty), while the value a scenario gives
    stays the point estimate."""

    distribution: str
    params: dict[str, float] = field(default_factory=dict)
    source: str = ASSUMPTION

    def as_json(self) -> dict[str, Any]:
        return {"distribution": self.distribution, "params": dict(self.params), "source": self.source}

    def words(self) -> str:
        """``beta(a=2, b=5)``: how the docs and outputs name it."""
        return f"{self.distribution}({', '.join(f'{k}={v:g}' for k, v in self.params.items())})"


def param(
    default: Any,
    *,
    unit: str,
    description: str,
    source: str,
    ge: float | None = None,
    le: float | None = None,
) -> Any:
    """A scenario parameter: default, allowed range, unit, description and source in one place."""
    extra = {"unit": unit, "source": source}
    if isinstance(default, BaseModel):
        return Field(default_factory=lambda: default.model_copy(), description=description, json_schema_extra=extra)
    return Field(default, ge=ge, le=le, description=description, json_schema_extra=extra)


class Schema(BaseModel):
    """Base of every scenario section: unknown keys are errors, objects are immutable, and types are strict.

    Strict: a value must already be of its field's type (a whole number may stand for a number), so ``"52"``,
    ``true`` or ``1.0`` is no whole number, ``1`` or ``"yes"`` no boolean and ``"0.5"`` no number: a file means
    what it says, as its editor's schema check (scenarios/schema.json) reads it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _partial_sections_keep_defaults(cls, data: Any) -> Any:
        """A section given in part keeps its field's documented defaults for the rest.

        Without this, ``structures_in_place: {enabled: true}`` would rebuild the lever from its
        class and lose the level documented for that lever (its field default).
        """
        if not isinstance(data, dict):
            return data
        merged = dict(data)
        for name, info in cls.model_fields.items():
            given = merged.get(name)
            if isinstance(given, dict) and not info.is_required():
                default = info.get_default(call_default_factory=True)
                if isinstance(default, BaseModel):
                    merged[name] = {**default.model_dump(), **given}
        return merged
