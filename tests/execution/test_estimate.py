"""The wall-time estimate of a study: timed runs of its base scenario, scaled to its runs and workers."""

from __future__ import annotations

import pytest

from simulation.core.scenario import Scenario
from simulation.execution import estimate
from tests.helpers import with_horizon


def test_the_estimate_scales_the_timed_runs_to_the_runs_and_workers(baseline: Scenario,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([10.0, 13.0])  # two timed runs in 3 s
    monkeypatch.setattr(estimate.time, "perf_counter", lambda: next(clock))
    found = estimate.estimate(with_horizon(baseline, 4), runs=1000, workers=4)
    assert (found.timed_runs, found.seconds_per_run, found.seconds) == (2, 1.5, 375.0)
    assert found.describe().startswith("estimated wall time: about 6 min (an estimate: 2 runs of the base scenario "
                                       "took 1.50 s each here; 1,000 runs x that / 4 workers")


def test_the_estimate_times_real_runs(baseline: Scenario) -> None:
    found = estimate.estimate(with_horizon(baseline, 4), runs=10, workers=1, timed_runs=1)
    assert 0 < found.seconds_per_run < 30 and found.seconds == pytest.approx(10 * found.seconds_per_run)


def test_the_estimate_times_whole_lockstep_groups(baseline: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs are timed as the runner makes them, ``together`` in one model: at least the timed runs, in whole
    groups."""
    groups: list[int] = []
    monkeypatch.setattr(estimate, "run_lockstep", lambda scenario, seeds: groups.append(len(seeds)))
    found = estimate.estimate(with_horizon(baseline, 4), runs=100, workers=2, timed_runs=2, together=5)
    assert groups == [5] and found.timed_runs == 5
    groups.clear()
    assert estimate.estimate(with_horizon(baseline, 4), runs=100, workers=2, timed_runs=3, together=2).timed_runs == 4
    assert groups == [2, 2]


@pytest.mark.parametrize(("seconds", "words"), [(40, "40 s"), (720, "12 min"), (3.5 * 3600, "3.5 h"),
                                                (2.1 * 86400, "2.1 days")])
def test_durations_in_words(seconds: float, words: str) -> None:
    assert estimate.duration(seconds) == words


def test_an_estimate_needs_a_worker(baseline: Scenario) -> None:
    with pytest.raises(ValueError, match="workers >= 1"):
        estimate.estimate(baseline, runs=10, workers=0)
