"""The pure parts of the open-loop load driver (bench/openloop.py): schedule, mix, percentile and
the search for the highest rate held."""
from __future__ import annotations

import itertools
from collections import Counter

import pytest

from bench.openloop import (
    RateSearch,
    arrival_offsets,
    kinds_in_mix,
    percentile,
    rate_to_report,
)


def test_arrivals_are_evenly_spaced_at_the_rate():
    offsets = arrival_offsets(50, 2)
    assert len(offsets) == 100
    assert offsets[0] == 0
    assert offsets[1] == pytest.approx(0.02)
    assert offsets[-1] == pytest.approx(1.98)
    assert all(b - a == pytest.approx(0.02) for a, b in itertools.pairwise(offsets))


def test_a_fractional_rate_keeps_every_arrival_inside_the_duration():
    offsets = arrival_offsets(7.5, 2)
    assert len(offsets) == 15
    assert max(offsets) < 2


@pytest.mark.parametrize("rate, duration", [(0, 1), (-1, 1), (10, 0)])
def test_arrivals_need_a_positive_rate_and_duration(rate, duration):
    with pytest.raises(ValueError):
        arrival_offsets(rate, duration)


def test_every_block_of_the_mix_holds_each_kind_its_weight():
    mix = {"home": 6, "activity": 3, "post": 1}
    kinds = kinds_in_mix(1000, mix, seed=3)
    assert Counter(kinds) == {"home": 600, "activity": 300, "post": 100}
    for start in range(0, 1000, 10):
        assert Counter(kinds[start:start + 10]) == mix


def test_the_mix_is_shuffled_deterministically_and_cut_to_the_count():
    mix = {"home": 6, "activity": 3, "post": 1}
    assert kinds_in_mix(25, mix, seed=1) == kinds_in_mix(25, mix, seed=1)
    assert len(kinds_in_mix(25, mix, seed=1)) == 25
    blocks = {tuple(kinds_in_mix(10, mix, seed=seed)) for seed in range(20)}
    assert len(blocks) > 1  # the writes are not always in the same place


def test_an_empty_mix_is_refused():
    with pytest.raises(ValueError):
        kinds_in_mix(10, {})


def test_percentile_is_the_nearest_rank():
    values = list(range(1, 101))  # 1..100
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100
    assert percentile([3, 1, 2], 0.5) == 2
    assert percentile(list(range(1, 11)), 0.99) == 10  # 10 values: p99 is the largest
    assert percentile([7.0], 0.99) == 7.0


def test_percentile_refuses_nothing_and_out_of_range_fractions():
    with pytest.raises(ValueError):
        percentile([], 0.5)
    with pytest.raises(ValueError):
        percentile([1, 2], 0)


def _search(search: RateSearch, capacity: float) -> list[float]:
    """Run the search against a server that holds every rate up to `capacity`."""
    tried = []
    while (rate := search.next_rate()) is not None:
        tried.append(rate)
        search.record(rate, rate <= capacity)
        assert len(tried) < 50
    return tried


def test_the_rate_climbs_geometrically_then_bisects_twice():
    search = RateSearch(start=10, factor=2, refinements=2)
    tried = _search(search, capacity=50)
    assert tried == [10, 20, 40, 80, 60, 50]
    assert search.held == 50
    assert search.failed == 60


def test_a_start_rate_that_fails_is_divided_until_one_holds():
    search = RateSearch(start=100, factor=2, refinements=1, floor=1)
    tried = _search(search, capacity=30)
    assert tried == [100, 50, 25, 37.5]
    assert search.held == 25
    assert search.failed == 37.5


def test_nothing_held_above_the_floor_ends_with_none():
    search = RateSearch(start=8, factor=2, floor=1)
    tried = _search(search, capacity=0.5)
    assert tried == [8, 4, 2, 1]
    assert search.held is None


def test_the_climb_stops_at_the_ceiling():
    search = RateSearch(start=10, factor=10, ceiling=1000)
    tried = _search(search, capacity=10_000)
    assert tried == [10, 100, 1000]
    assert search.held == 1000


def test_bisection_stops_when_the_bounds_are_within_five_percent():
    search = RateSearch(start=100, factor=1.04, refinements=5)
    tried = _search(search, capacity=100)
    assert tried == [100, 104]


def test_the_figures_shown_are_the_highest_rate_held_else_the_lowest_tried():
    assert rate_to_report(RateSearch(start=10)) is None
    held = RateSearch(start=10, factor=2, refinements=1)
    _search(held, capacity=30)
    assert rate_to_report(held) == (30, True)  # 10, 20 held; 40 failed; 30 held
    none_held = RateSearch(start=8, factor=2, floor=1)
    _search(none_held, capacity=0.5)
    assert rate_to_report(none_held) == (1, False)
