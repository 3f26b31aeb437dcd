"""How results are worded: every headline metric has its words, and the findings say where (at which sites) a
comparison's change in turnover happens, with outcomes made by hand so that every figure is known."""

from __future__ import annotations

import pytest

from simulation.analysis import metrics
from simulation.present import words
from tests.present.outcomes import made

SITES = {"solo": (2, 1), "pair": (3, 2)}
BASE = made("base", SITES, [{"solo": (2, 2.0), "pair": (3, 6.0)}] * 3)
"""Turnover 100% at the solo posts and 50% at the pairs, in every replicate."""
PLAN = made("plan", SITES, [{"solo": (3, 5.0), "pair": (3, 6.0)}, {"solo": (2, 4.0), "pair": (3, 6.0)},
                            {"solo": (2, 5.0), "pair": (3, 6.0)}])
"""The solo posts' turnover 60%, 50% and 40% (a clear fall, 50 points on average); the pairs' as in BASE."""
MORE = made("more", {"solo": (2, 2), "pair": (3, 2)}, [{"solo": (4, 4.0), "pair": (3, 6.0)}] * 3)
"""A second position at each solo post, which keeps its turnover (100%): twice the departures per site."""


def test_every_headline_metric_has_its_words_in_order() -> None:
    assert list(words.DISPLAY) == list(metrics.HEADLINE)
    assert words.DISPLAY["study_cohort_left_share"][0].format(window=104) == (
        "ES in post as observation starts gone within 104 weeks")
    assert words.DISPLAY["cohort_left_share"][0].format(window=104) == "The service's first ES gone within 104 weeks"


def test_the_study_cohort_is_named_by_when_observation_starts() -> None:
    assert words.in_post(0) == "in post at the start"
    assert words.in_post(104) == "in post as observation starts"
    assert words.warm_up_words(0, 156) == ""
    assert words.warm_up_words(104, 156).startswith("Each replicate first runs two years of the service's growth")


def test_a_site_label_says_how_many_sites_of_how_many_es() -> None:
    assert words.site_label("solo-rural", 2, 1) == "solo-rural (2 sites of 1 ES)"
    assert words.site_label("regional-centre", 1, 10) == "regional-centre (1 site of 10 ES)"


def test_sites_whose_change_is_clear_are_named_and_the_others_summed_up() -> None:
    text = words.site_findings("plan", BASE, PLAN)
    assert text == ("At solo (2 sites of 1 ES), annual turnover is 100% with base against 50% with plan: 50 fewer "
                    "leavers per 100 specialists a year (95% CI 25 to 75). The other sites (pair) show no clear "
                    "difference.")  # the same sizes: no staff mix to speak of


def test_added_positions_split_the_change_into_the_sites_own_and_the_staff_mix() -> None:
    text = words.site_findings("more", BASE, MORE)
    split = metrics.turnover_decomposition(BASE, MORE)
    assert split is not None and split["within_sites"]["mean"] == 0
    assert split["staff_mix"]["mean"] == pytest.approx(0.075)  # solo's share of the ES-years: 25% -> 40%
    assert text == (
        "With more, no site shows a clear difference in annual turnover from base (solo and pair). "
        "Of the change in annual turnover (+7.5 points), +0.0 points (95% CI +0.0 to +0.0) come from turnover within "
        "the sites, at base's staff mix, and +7.5 points (95% CI +7.5 to +7.5) from the staff mix: with more, more "
        "of the ES work where turnover is higher. "
        "Per site, solo loses about 2.0 ES a year with more (2 ES each) against 1.0 with base (1 each).")
    assert words.departures_per_site(MORE, "solo") == 2.0  # 4 departures a year from 2 sites


def test_one_replicate_names_the_largest_change_without_an_interval() -> None:
    one = [made(o.name, SITES, [{e: (t.quits, t.es_years) for e, t in o.per_site[0].items()}]) for o in (BASE, PLAN)]
    text = words.site_findings("plan", *one)
    assert text == ("Of the sites, the largest change is at solo (2 sites of 1 ES): annual turnover is 100% with base "
                    "against 60% with plan: 40 fewer leavers per 100 specialists a year.")


def test_no_site_findings_without_two_shared_site_entries() -> None:
    alone = made("alone", {"solo": (2, 1)}, [{"solo": (2, 2.0)}] * 3)
    other = made("other", {"elsewhere": (1, 2), "pair": (3, 2)}, [{"elsewhere": (1, 2.0), "pair": (3, 6.0)}] * 3)
    assert words.site_findings("alone", BASE, alone) == ""  # one site entry: its turnover is the annual turnover
    assert words.site_findings("other", BASE, other) == ""  # one entry in common
