"""`bench replay --against`: which checkout replays first in each round."""
from bench.replay import _in_turn


def test_each_checkout_replays_first_every_other_round():
    checkouts = {"this checkout": "/here", "../before": "/before"}
    firsts = [_in_turn(checkouts, round_)[0][0] for round_ in range(1, 7)]
    assert firsts == ["this checkout", "../before"] * 3
    assert all(sorted(_in_turn(checkouts, round_)) == sorted(checkouts.items())
               for round_ in range(1, 7))  # both replay in every round
