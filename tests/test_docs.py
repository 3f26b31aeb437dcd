"""The files generated from the declarations (docs/model.md's tables, scenarios/schema.json, the one-lever
scenarios) are current: a change to a factor, lever or parameter that is not regenerated fails here."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.inputs import docs


@pytest.mark.parametrize("path", sorted(docs.generated()), ids=lambda p: str(p.relative_to(docs.ROOT)))
def test_generated_file_is_current(path: Path) -> None:
    assert path.is_file(), f"{path} is missing: run `python -m simulation.inputs.docs`"
    assert path.read_text(encoding="utf-8") == docs.generated()[path], (
        f"{path.relative_to(docs.ROOT)} is out of date: run `python -m simulation.inputs.docs`")


def test_every_bundled_lever_file_is_generated() -> None:
    bundled = set(docs.LEVER_FILES.glob("*.yaml"))
    assert bundled == {p for p in docs.generated() if p.parent == docs.LEVER_FILES}, "a lever file without a lever"
