"""The site charts, drawn from outcomes made by hand: a run's turnover by site entry, and a comparison's per-site
changes, including an entry a scenario lacks, one where nobody worked, several scenarios and one replicate."""

from __future__ import annotations

from pathlib import Path

from simulation.present.charts import compare as compare_charts
from simulation.present.charts import run as run_charts
from simulation.present.charts.style import draw_into
from tests.helpers import PNG_MAGIC
from tests.present.outcomes import made

SITES = {"solo": (2, 1), "pair": (3, 2), "trio": (1, 3)}
BASE = made("base", SITES, [{"solo": (2, 2.0), "pair": (3, 6.0), "trio": (1, 3.0)}] * 3)
PLAN = made("plan", SITES, [{"solo": (3, 5.0), "pair": (3, 6.0), "trio": (1, 3.0)},
                            {"solo": (2, 4.0), "pair": (2, 6.0), "trio": (1, 3.0)},
                            {"solo": (2, 5.0), "pair": (4, 6.0), "trio": (0, 3.0)}])
"""Clearly fewer leave the solo posts; the pairs and the trio change by chance."""
NO_TRIO = made("no-trio", {"solo": (2, 2), "pair": (3, 2)}, [{"solo": (4, 4.0), "pair": (3, 6.0)}] * 3)
"""No trio, and a second position at each solo post."""
EMPTY_TRIO = made("empty-trio", SITES, [{"solo": (2, 2.0), "pair": (3, 6.0), "trio": (0, 0.0)}] * 3)
"""Nobody ever worked at the trio."""


def drawn(folder: Path, charts: dict) -> list[Path]:
    paths = draw_into(folder, charts)
    for path in paths:
        assert path.read_bytes().startswith(PNG_MAGIC), path
    return paths


def test_a_runs_site_chart(tmp_path: Path) -> None:
    drawn(tmp_path, {"sites": lambda p: run_charts.sites(p, BASE), "empty": lambda p: run_charts.sites(p, EMPTY_TRIO),
                     "one": lambda p: run_charts.sites(p, made("one", {"solo": (2, 1)}, [{"solo": (2, 2.0)}]))})


def test_a_comparisons_site_chart(tmp_path: Path) -> None:
    one = [made(o.name, SITES, [{e: (t.quits, t.es_years) for e, t in o.per_site[0].items()}]) for o in (BASE, PLAN)]
    drawn(tmp_path, {
        "two": lambda p: compare_charts.compare_sites(p, [BASE, PLAN]),
        "four": lambda p: compare_charts.compare_sites(p, [BASE, PLAN, NO_TRIO, EMPTY_TRIO]),
        "one_replicate": lambda p: compare_charts.compare_sites(p, one),
    })


def test_the_site_chart_title_names_the_largest_clear_change() -> None:
    entries = list(SITES)

    def title(*others: object) -> str:
        diffs = [[compare_charts.metrics.site_difference(BASE, o, e) for e in entries] for o in others]
        return compare_charts._sites_title(BASE, others, entries, diffs)

    assert title(PLAN) == ("With plan, turnover changes most at solo: 50 fewer leavers per 100 specialists a year "
                           "than with base")
    assert title(PLAN, NO_TRIO) == ("The largest clear change at a site: solo with plan, 50 fewer leavers per 100 "
                                    "specialists a year than with base")
    assert title(EMPTY_TRIO) == "With empty-trio, no site's turnover clearly differs from base's"
