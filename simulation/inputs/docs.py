"""Files generated from the declarations: the tables of docs/model.md (every parameter, every lever),
scenarios/schema.json and the one-lever scenarios in scenarios/levers/.

``python -m simulation.inputs.docs`` rewrites them; tests fail when one is stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from simulation.core.levers import LEVERS, Lever
from simulation.core.scenario import Scenario, bounds, json_schema


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
        moved = ", ".join(f"{name} {'up' if sign > 0 else 'down'}" for name, sign in lv.moves.items()) or "none"
        rows.append(f"| `{lv.name}` | {lv.doc} | {moved} |".replace("``", "`"))
    return "\n".join(rows)


def prior_table() -> str:
    """The table of lever effect-size priors in docs/model.md (section 7), generated from the lever registry."""
    from scipy import stats

    rows = ["| effect size | default | prior | mean | 90% of the prior | source |", "|---|---|---|---|---|---|"]
    for lv in LEVERS:
        for name, prior in lv.priors.items():
            dist = getattr(stats, prior.distribution)(**prior.params)
            low, high = dist.ppf([0.05, 0.95])
            rows.append(f"| `start_up_plan.{lv.name}.{name}` | {getattr(lv.default, name)} | {prior.words()} | "
                        f"{dist.mean():.3g} | {low:.2f} to {high:.2f} | {prior.source} |")
    return "\n".join(rows)


def lever_file(lv: Lever) -> str:
    """The bundled scenario ``scenarios/levers/<lever>.yaml``: the baseline with this one lever set as the bundled
    start-up plan sets it (the lever's ``in_plan``), generated from its declaration."""
    stem = lv.name.replace("_", "-")
    first, *rest = [f"{k}: {json.dumps(v)}" for k, v in lv.in_plan.items()]
    note = f"      # {lv.plan_note}" if lv.plan_note else ""
    return "\n".join([
        "# yaml-language-server: $schema=../schema.json",
        f"# One start-up plan lever alone on the baseline: {lv.name} [{lv.source}].",
        f"# {lv.doc}",
        "#",
        "# Set exactly as in scenarios/startup-plan.yaml, so comparing this file with the baseline isolates the",
        "# lever's share of the full plan. Its effect sizes are the documented defaults (`ipsim params`, the",
        f"# start_up_plan.{lv.name} rows), assumptions. Generated from the lever's declaration in",
        "# simulation/core/levers.py by `python -m simulation.inputs.docs`: edit the declaration, not this file.",
        "extends: ../baseline.yaml",
        f"name: lever-{stem}",
        "description: >",
        f"  The baseline with one start-up plan lever pulled, {lv.name}: {lv.description}.",
        "",
        "start_up_plan:",
        f"  {lv.name}:",
        f"    {first}{note}",
        *(f"    {line}" for line in rest),
        "",
    ])


ROOT = Path(__file__).resolve().parents[2]
MODEL_MD = ROOT / "docs" / "model.md"
LEVER_FILES = ROOT / "scenarios" / "levers"
SCHEMA_JSON = ROOT / "scenarios" / "schema.json"
BLOCKS = {"levers": lever_table, "params": parameter_table, "priors": prior_table}
"""The generated blocks of docs/model.md, each between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``."""


def with_blocks(text: str) -> str:
    """``text`` (docs/model.md) with every generated block replaced by what the code declares now."""
    for name, make in BLOCKS.items():
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        head, found, rest = text.partition(start)
        if not found or end not in rest:
            raise ValueError(f"docs/model.md has no {start} ... {end} block")
        text = f"{head}{start}\n{make()}\n{end}{rest.split(end, 1)[1]}"
    return text


def generated() -> dict[Path, str]:
    """Every file generated from the declarations, with the content it must have: docs/model.md (its tables),
    scenarios/schema.json and scenarios/levers/*.yaml. Tests compare them with the files on disk."""
    files = {MODEL_MD: with_blocks(MODEL_MD.read_text(encoding="utf-8")),
             SCHEMA_JSON: json.dumps(json_schema(), indent=2) + "\n"}
    files.update({LEVER_FILES / f"{lv.name.replace('_', '-')}.yaml": lever_file(lv) for lv in LEVERS})
    return files


def main() -> None:
    """Rewrite every generated file from the declarations (``python -m simulation.inputs.docs``)."""
    for path, content in generated().items():
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
