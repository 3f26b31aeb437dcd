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
    assert [(r["group"], r["key"]) for r in results] == [
        ("shape", "gradual_quits_continue"), ("shape", "gradual_quits_every_year"),
        ("independent", "integration_lags"), ("independent", "service_matures"), ("independent", "client_employment"),
        ("consistency", "honeymoon_hangover"), ("consistency", "turnover_above_public_sector"),
        ("consistency", "quitting_mostly_gradual"), ("consistency", "solo_posts_lose_more")]
    assert all(isinstance(r["met"], bool) and r["note"] for r in results)
    report = (folder / "patterns.md").read_text()
    assert report.count("**met**") + report.count("**not met**") == 9
    for heading in ("## Shapes the mechanism must produce", "## Independent patterns",
                    "## Consistency checks (not validation)"):
        assert heading in report and heading in out
    for chart in ("quitting.png", "maturation.png", "structure.png"):
        assert (folder / "charts" / chart).stat().st_size > 10_000
    assert json.loads((folder / "manifest.json").read_text())["kind"] == "patterns"
