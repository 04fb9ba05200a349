"""Internal notes' rules (pure): staff who may read the conversation, never its member (even a
staff member who is its customer), one note per id, none on a closed conversation; the live
channel gives a note's event to its staff only (the customer's stream never hears of it)."""
import pytest

from gateway.live import SUBSCRIPTIONS, route_event
from services.conversations import domain
from services.shared.errors import Conflict, NotFound

ADVISOR = {"id": "adv", "roles": ["member", "advisor"]}
CUSTOMER = {"id": "cust", "roles": ["member"]}


def conversation(member=CUSTOMER):
    return domain.Conversation(id="c1", version=2, member_id=member["id"],
                               participants=[member["id"], ADVISOR["id"]])


def test_staff_who_read_it_note_it_once():
    [event] = domain.add_note(ADVISOR, conversation(), "n1")
    assert (event.type, event.payload) == (domain.NOTE_ADDED, {
        "conversation_id": "c1", "note_id": "n1", "author_id": "adv", "staff_ids": ["adv"]})
    retried = conversation()
    retried.note_ids.add("n1")
    assert domain.add_note(ADVISOR, retried, "n1") == []


@pytest.mark.parametrize("reader", [
    CUSTOMER,                                      # its customer
    {"id": "other", "roles": ["member", "advisor"]},  # staff who may not read it
    None])
def test_anyone_else_finds_no_conversation(reader):
    with pytest.raises(NotFound):
        domain.add_note(reader, conversation(), "n1") if reader else \
            domain.require_notes_access(reader, conversation(), "c1")


def test_staff_reading_their_own_conversation_as_a_customer_see_no_note():
    staff_customer = {"id": "cust", "roles": ["member", "advisor"]}
    assert domain.can_read(staff_customer, conversation(staff_customer))
    assert not domain.can_read_notes(staff_customer, conversation(staff_customer))


def test_a_closed_conversation_takes_none():
    with pytest.raises(Conflict):
        domain.add_note(ADVISOR, conversation(), "n1", closed=True)


def test_the_live_channel_carries_a_note_to_its_staff_never_its_customer():
    assert domain.NOTE_ADDED in {key for _, key in SUBSCRIPTIONS}
    [event] = domain.add_note(ADVISOR, conversation(), "n1")
    assert [member for member, _ in route_event({"type": event.type,
                                                 "payload": event.payload})] == ["adv"]
    # an event from before `staff_ids`: nobody (a reload shows the note)
    assert route_event({"type": domain.NOTE_ADDED, "payload": {
        "conversation_id": "c1", "note_id": "n1", "author_id": "adv"}}) == []
