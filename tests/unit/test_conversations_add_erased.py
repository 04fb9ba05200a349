"""A colleague whose account was erased is not brought into a conversation: refused as a
member is (the same 422, message and field: no telling who erased their account)."""
from __future__ import annotations

import pytest

from services.conversations import domain
from services.shared.envelope import CommandContext
from services.shared.errors import Unprocessable

from .streams import stored

MEMBER = {"id": "m1", "roles": ["member"]}
ADVISOR = {"id": "a1", "roles": ["member", "advisor"]}


def conversation() -> domain.Conversation:
    return domain.fold(stored(domain.start(MEMBER, "x", "msg1", "a1"), "conv-x",
                              context=CommandContext(actor="t")))


def test_an_erased_colleague_is_refused_as_a_member_is():
    with pytest.raises(Unprocessable) as erased:
        domain.add_participant(ADVISOR, conversation(), "a2", ["member", "advisor"],
                               participant_erased=True)
    with pytest.raises(Unprocessable) as member:
        domain.add_participant(ADVISOR, conversation(), "a2", ["member"],
                               participant_erased=False)
    assert (erased.value.message, erased.value.details) == (member.value.message,
                                                         member.value.details)
    [joined] = domain.add_participant(ADVISOR, conversation(), "a2", ["member", "advisor"],
                                      participant_erased=False)
    assert joined.payload["participant_ids"] == ["m1", "a1", "a2"]


def test_erasure_is_always_said_by_name():
    """No default: a caller that forgot the flag would let an erased account in."""
    with pytest.raises(TypeError):
        domain.add_participant(ADVISOR, conversation(), "a2", ["advisor"])  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        domain.add_participant(ADVISOR, conversation(), "a2", ["advisor"], False)  # type: ignore[misc]
