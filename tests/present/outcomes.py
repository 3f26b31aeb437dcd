"""Outcomes made by hand from site tallies, for tests of how per-site results are worded and drawn: every figure they
hold follows from the tallies given, so a test can state exactly what the words and charts must say.

Only what the per-site findings and charts read is filled in (summary, annual turnover per replicate, site tallies);
the weekly bands are empty.
"""

from __future__ import annotations

from simulation.analysis import metrics
from simulation.analysis.metrics import Outcome, SiteTally
from simulation.analysis.stats import mean_ci

WEEKS = 52
"""A year's window, so that departures per site and year are the tallies' quits over the sites."""


def made(name: str, sites: dict[str, tuple[int, int]], tallies: list[dict[str, tuple[int, float]]]) -> Outcome:
    """An Outcome named ``name`` with site entries ``sites`` (entry -> (sites, positions each), in order) and, per
    replicate, each entry's (quits, ES-years); annual turnover is every entry's quits over every entry's ES-years."""
    per_site = [{entry: SiteTally(*rep[entry]) for entry in sites} for rep in tallies]
    turnover = [sum(t.quits for t in rep.values()) / sum(t.es_years for t in rep.values()) for rep in per_site]
    summary = {
        "scenario": name, "replicates": len(tallies), "weeks": WEEKS, "warm_up_weeks": 0,
        "positions": sum(count * positions for count, positions in sites.values()),
        "annual_turnover": mean_ci(turnover, bounds=metrics.RATE),
        "turnover_by_site": {e: mean_ci([rep[e].turnover for rep in per_site], bounds=metrics.RATE) for e in sites},
        "site_entries": {e: {"sites": count, "positions": positions} for e, (count, positions) in sites.items()},
    }
    return Outcome(summary, [{"annual_turnover": t} for t in turnover], retention=None, pressures={}, weekly={},
                   net=None, quit_reasons=None, per_site=per_site)  # type: ignore[arg-type] - not read here
