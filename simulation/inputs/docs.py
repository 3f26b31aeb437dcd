"""The tables of docs/model.md, generated from the declarations: every parameter, every lever."""

from __future__ import annotations

from typing import Any, get_args, get_origin

from pydantic import BaseModel

from simulation.core.levers import LEVERS
from simulation.core.scenario import Scenario, bounds


def parameter_rows(
    model: type[BaseModel] = Scenario,
    prefix: str = "",
    defaults: BaseModel | None = None,
    unit: str = "",
    source: str = "",
) -> list[dict[str, str]]:
    """Every leaf parameter with its path, default, range, unit, description and source.

    A nested section's unit and source apply to its fields unless they give their own; its
    default instance supplies their defaults (e.g. each trait's own mean and spread).
    """
    rows = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        own_unit = "" if extra.get("unit") in (None, "-") else str(extra["unit"])
        own_source = "" if extra.get("source") in (None, "see fields") else str(extra["source"])
        if defaults is not None:
            default: Any = getattr(defaults, name)
        else:
            default = None if info.is_required() else info.get_default(call_default_factory=True)
        annotation = info.annotation
        if get_origin(annotation) is list:
            annotation, path, default = get_args(annotation)[0], f"{path}[]", None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows += parameter_rows(annotation, f"{path}.", default, own_unit or unit, own_source or source)
            continue
        low, high = bounds(model, name)
        rows.append({
            "parameter": path,
            "default": "required" if default is None else (repr(default) if default == "" else str(default)),
            "range": "" if low is None and high is None else f"{'' if low is None else low} to {'' if high is None else high}",
            "unit": own_unit or unit,
            "description": info.description or "",
            "source": own_source or source,
        })
    return rows


def parameter_table() -> str:
    """The parameter table of docs/model.md, generated from the schema."""
    head = "| parameter | default | range | unit | description | source |\n|---|---|---|---|---|---|"
    body = [
        "| " + " | ".join(f"`{r['parameter']}`" if k == "parameter" else r[k].replace("|", "/") for k in r) + " |"
        for r in parameter_rows()
    ]
    return "\n".join([head, *body])


def lever_table() -> str:
    """The lever table of docs/model.md, generated from the registry."""
    rows = ["| lever | what it changes in the world | factors it moves |", "|---|---|---|"]
    for lv in LEVERS:
        moved = ", ".join(f"{name} {'up' if sign > 0 else 'down'}" for name, sign in lv.affects.items()) or "none"
        rows.append(f"| `{lv.name}` | {' '.join(lv.doc.split())} | {moved} |".replace("``", "`"))
    return "\n".join(rows)
