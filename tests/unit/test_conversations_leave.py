"""Leaving a conversation (`domain.leave`) and inviting by e-mail (`ParticipantSchema`),
without any infrastructure."""
from __future__ import annotations

import pytest
from marshmallow import ValidationError

from services.conversations import domain
from services.conversations.schemas import ParticipantLeftV1, ParticipantSchema
from services.shared.envelope import CommandContext
from services.shared.errors import Forbidden

from .streams import stored

MEMBER = {"id": "m1", "roles": ["member"]}
ADVISOR = {"id": "a1", "roles": ["member", "advisor"]}
COLLEAGUE = {"id": "a2", "roles": ["member", "advisor"]}
CM = {"id": "c1", "roles": ["member", "community_manager"]}


def fold(*decisions):
    events = [event for decision in decisions for event in decision]
    return domain.fold(stored(events, "conv-x", context=CommandContext(actor="t")))


def test_a_colleague_brought_in_leaves_once_and_the_others_never():
    start = domain.start(MEMBER, "x", "msg1", "a1")
    state = fold(start)
    added = domain.add_participant(ADVISOR, state, "a2", ["advisor"], participant_erased=False)
    state = fold(start, added)
    for stays in (MEMBER, ADVISOR):
        with pytest.raises(Forbidden):
            domain.leave(stays, state)
    [left] = domain.leave(COLLEAGUE, state)
    assert left.type == domain.PARTICIPANT_LEFT
    assert left.payload == {"conversation_id": "x", "participant_id": "a2",
                            "participant_ids": ["m1", "a1"], "staff_ids": ["a1"]}
    ParticipantLeftV1().load(left.payload)  # the registered schema takes it
    state = fold(start, added, [left])
    assert state.participants == ["m1", "a1"] and state.pool is None
    assert not domain.can_read(COLLEAGUE, state)
    assert domain.leave(COLLEAGUE, state) == []  # gone already: no second fact
    assert domain.leave(CM, state) == []  # never in it: nothing, and no error
    assert domain.leave(COLLEAGUE, domain.Conversation(id="y")) == []  # no such one: the same


def test_the_last_staff_member_leaving_puts_it_back_in_the_queue():
    start = domain.start(MEMBER, "x", "msg1", None)
    joined = domain.post_message(CM, fold(start), "msg2")
    state = fold(start, joined)
    assert state.pool is None
    state = fold(start, joined, domain.leave(CM, state))
    assert state.pool == domain.STAFF_POOL and state.participants == ["m1"]
    assert domain.can_read(CM, state)  # as any CM: the queue


def test_a_participant_is_named_by_id_or_by_email_never_both_nor_neither():
    assert ParticipantSchema().load({"email": "jeanne@bank.example"})
    assert ParticipantSchema().load({"user_id": "0" * 32})
    for neither_or_both in ({}, {"email": "jeanne@bank.example", "user_id": "0" * 32}):
        with pytest.raises(ValidationError):
            ParticipantSchema().load(neither_or_both)


def test_a_cm_inviting_themselves_joins_once():
    """A CM on a queued conversation invited their own address: they joined as the inviter,
    then again as the invitee, and the Participants line said « Vous » twice."""
    start = domain.start(MEMBER, "x", "msg1", None)
    joined = domain.add_participant(CM, fold(start), "c1", ["community_manager"],
                                    participant_erased=False)
    assert [event.payload["participant_id"] for event in joined] == ["c1"]
    assert fold(start, joined).participants == ["m1", "c1"]
