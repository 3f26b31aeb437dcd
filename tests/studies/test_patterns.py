"""``ipsim check-patterns`` on a small world: a verdict for each validation pattern, in words, JSON and charts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.helpers import invoke, only_folder


def test_check_patterns_reports_each_pattern(tmp_path: Path, small_world: Callable[..., Path]) -> None:
    tiny = small_world(tmp_path, 104, window=52)
    code, out, err = invoke(["check-patterns", str(tiny), "--replicates", "4", "--workers", "1",
                             "--out", str(tmp_path / "runs")])
    assert code == 0, err
    folder = only_folder(tmp_path / "runs")
    results = json.loads((folder / "patterns.json").read_text())
    assert [r["key"] for r in results] == ["turnover_above_public_sector", "service_matures", "solo_posts_lose_more",
                                           "client_employment", "quitting_mostly_gradual"]
    assert all(isinstance(r["met"], bool) and r["note"] for r in results)
    report = (folder / "patterns.md").read_text()
    assert report.count("**met**") + report.count("**not met**") == 5
    assert "patterns met" in out
    for chart in ("maturation.png", "structure.png"):
        assert (folder / "charts" / chart).stat().st_size > 10_000
    assert json.loads((folder / "manifest.json").read_text())["kind"] == "patterns"
