"""Run folders: a new run folder never takes the name of an existing one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from simulation.execution import folders


def test_new_run_folder_never_returns_an_existing_folder(tmp_path: Path) -> None:
    now = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    first = folders.new_run_folder(tmp_path, "baseline", now)
    assert first.parent == tmp_path
    assert first.name == "20310506T070809Z-baseline"
    assert not first.exists()
    first.mkdir()
    second = folders.new_run_folder(tmp_path, "baseline", now)
    assert second != first and not second.exists() and second.parent == tmp_path
    assert second.name.startswith("20310506T070809Z-baseline")
    second.mkdir()
    third = folders.new_run_folder(tmp_path, "baseline", now)
    assert third not in (first, second) and not third.exists()
