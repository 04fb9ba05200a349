"""« Marquer comme traitée » in the pure domain: who may mark a conversation handled, and only
a waiting one yields the (reference-only) event."""
from __future__ import annotations

import pytest

from services.conversations import domain
from services.shared.errors import Forbidden, NotFound

from .test_conversations_domain import ADVISOR, CM, MEMBER, OTHER_ADVISOR, history


def folded(*commands):
    events = domain.start(MEMBER, "x", "msg1", "a1" if "queue" not in commands else None)
    for command in commands:
        if command == "answer":
            events += domain.post_message(ADVISOR, domain.fold(history(events)), "msg2")
        elif command == "thanks":
            events += domain.post_message(MEMBER, domain.fold(history(events)), "msg3")
        elif command == "settle":
            events += domain.settle_wait(ADVISOR, domain.fold(history(events)))
    return domain.fold(history(events))


def test_the_advisor_settles_the_customers_last_word_once():
    state = folded("answer", "thanks")
    assert state.waiting
    events = domain.settle_wait(ADVISOR, state)
    assert [(e.type, e.payload) for e in events] == [(domain.WAIT_SETTLED, {
        "conversation_id": "x", "settled_by": "a1", "up_to_message_id": "msg3",
        "staff_ids": ["a1"]})]
    settled = folded("answer", "thanks", "settle")
    assert not settled.waiting
    assert domain.settle_wait(ADVISOR, settled) == []  # a second click: no new fact


def test_nothing_to_settle_when_nobody_waits_or_it_is_closed():
    assert domain.settle_wait(ADVISOR, folded("answer")) == []
    assert domain.settle_wait(ADVISOR, folded("answer", "thanks"), closed=True) == []


def test_the_customers_next_message_waits_again():
    events = domain.start(MEMBER, "x", "msg1", "a1")
    events += domain.settle_wait(ADVISOR, domain.fold(history(events)))
    events += domain.post_message(MEMBER, domain.fold(history(events)), "msg4")
    assert domain.fold(history(events)).waiting


def test_only_staff_who_may_read_it_settle_it():
    state = folded("thanks")
    with pytest.raises(NotFound):
        domain.settle_wait(OTHER_ADVISOR, state)
    with pytest.raises(NotFound):
        domain.settle_wait(CM, state)  # not in the queue: the advisor's
    with pytest.raises(Forbidden):
        domain.settle_wait(MEMBER, state)  # its customer
    queued = folded("queue")
    assert [e.type for e in domain.settle_wait(CM, queued)] == [domain.WAIT_SETTLED]
