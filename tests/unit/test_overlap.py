"""at_once: independent calls of one request run side by side (services/shared/overlap.py)."""
import eventlet
import pytest

from services.shared.overlap import at_once


def test_the_calls_run_side_by_side_and_answer_in_order():
    second_started = eventlet.event.Event()

    def first():
        # waits for the second call: run one after the other, this would time out
        with eventlet.Timeout(5):
            second_started.wait()
        return "first"

    def second():
        second_started.send(True)
        return "second"

    assert at_once(first, second) == ["first", "second"]


def test_an_error_is_raised_once_every_call_has_finished():
    finished, refused = [], eventlet.event.Event()

    def fails():
        refused.send(True)
        raise ValueError("refused")

    def slower():  # still running when the first call has failed
        with eventlet.Timeout(5):
            refused.wait()
        finished.append(True)
        return 1

    with pytest.raises(ValueError, match="refused"):
        at_once(fails, slower)
    assert finished == [True]


def test_no_calls_and_one_call():
    assert at_once() == []
    assert at_once(lambda: 3) == [3]
