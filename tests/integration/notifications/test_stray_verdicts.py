"""A verdict half that can no longer meet the other is swept (``verdicts`` does not grow).

Posts ignores a CM's verdict about a revision its author corrected since: moderation's half of
that verdict's document never gets posts' half. Halves older than `VERDICT_KEPT` (by their
event's time) go at the next verdict; younger ones stay and still meet their other half.
Event times are set on the events themselves: no clock to wait for.
"""
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from services.notifications.projections import (
    VERDICT_KEPT,
    ensure_indexes,
    stamp_waiting_verdicts,
)

from .test_verdict_notices import HeldText, apply, told, waiting

pytestmark = pytest.mark.integration


def at(event, ago: timedelta):
    """`event` as if it occurred `ago` before now."""
    return dataclasses.replace(event, occurred_at=(datetime.now(UTC) - ago).isoformat())


def stray(runner, ago: timedelta) -> HeldText:
    """A text whose author corrected it before the CM's verdict about revision 1 came
    (`ago`): that verdict waits for posts, which ignored it."""
    text = HeldText()
    apply(runner, text.submitted(), text.corrected(2),
          at(text.verdict("rejected", 1), ago))
    assert waiting(runner, text) == 1
    return text


def test_a_verdict_that_waited_longer_than_kept_goes_and_a_younger_one_stays(runner):
    old = stray(runner, VERDICT_KEPT + timedelta(days=1))
    young = stray(runner, VERDICT_KEPT - timedelta(days=1))
    assert waiting(runner, old) == 1  # the young one's event is not a month after it

    fresh = HeldText()
    apply(runner, fresh.submitted(), fresh.verdict("rejected"))  # any verdict sweeps
    assert waiting(runner, old) == 0
    assert waiting(runner, young) == 1
    assert waiting(runner, fresh) == 1
    apply(runner, fresh.outcome("rejected"))  # a waiting half still meets the other
    assert waiting(runner, fresh) == 0
    assert told(runner, old) == [] and told(runner, young) == []


def test_halves_left_by_an_earlier_version_are_stamped_by_agora_migrate_then_swept(runner):
    legacy = stray(runner, timedelta(0))
    runner.rm["verdicts"].update_many({"_id": {"$regex": f"^{legacy.id}\\."}},
                                      {"$unset": {"since": ""}})  # as the earlier version wrote
    ensure_indexes(runner.store.db)  # `agora migrate`: they wait from now on
    assert runner.rm["verdicts"].count_documents({"since": None}) == 0
    assert stamp_waiting_verdicts(runner.rm) == 0  # nothing left to stamp
    later = HeldText()  # a verdict a month and a day after the upgrade
    apply(runner, at(later.verdict("rejected"), -(VERDICT_KEPT + timedelta(days=1))))
    assert waiting(runner, legacy) == 0
    assert waiting(runner, later) == 1


def test_a_half_that_comes_later_than_kept_still_meets_its_own_other_half(runner):
    """Posts' half re-driven from a dead letter more than `VERDICT_KEPT` after the CM's
    verdict swept that verdict's own waiting half before joining it: the author's notice was
    lost and the late half became a stray. It sweeps every half but its own."""
    text = HeldText()
    apply(runner, text.submitted(), at(text.verdict("rejected"), VERDICT_KEPT + timedelta(days=1)))
    assert waiting(runner, text) == 1
    apply(runner, text.outcome("rejected"))  # now: a month and a day later
    assert waiting(runner, text) == 0
    assert told(runner, text) != []
