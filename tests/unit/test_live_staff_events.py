"""The live channel carries staff's side of a conversation — a note, someone joining or
leaving, « traitée » — to its staff only: the events the domain produces, routed by
`route_event`, reach its advisor and colleagues and never its customer, whose stream (in a hub
with both streams open) gets nothing."""
from __future__ import annotations

from gateway.live import SUBSCRIPTIONS, LiveEvent, LiveHub, LiveSettings, route_event
from services.conversations import domain

CUSTOMER = {"id": "cust", "roles": ["member"]}
ADVISOR = {"id": "adv", "roles": ["member", "advisor"]}
COLLEAGUE = {"id": "col", "roles": ["member", "advisor"]}


def conversation(*staff: str, waiting: bool = False) -> domain.Conversation:
    state = domain.Conversation(id="c1", version=3, member_id="cust",
                                participants=["cust", "adv", *staff], advisor_id="adv")
    state.last_message_id, state.last_author_id = "m1", "cust" if waiting else "adv"
    return state


def routed(events) -> list[tuple[str, LiveEvent]]:
    return [pair for event in events
            for pair in route_event({"type": event.type, "payload": event.payload})]


def test_the_staff_events_are_bound():
    bound = {key for _, key in SUBSCRIPTIONS}
    assert {domain.NOTE_ADDED, domain.PARTICIPANT_ADDED, domain.PARTICIPANT_LEFT,
            domain.WAIT_SETTLED} <= bound


def test_a_note_reaches_the_staff_and_never_the_customer():
    pairs = routed(domain.add_note(ADVISOR, conversation("col"), "n1"))
    assert sorted(member for member, _ in pairs) == ["adv", "col"]
    assert all(event == LiveEvent("note", {
        "conversation_id": "c1", "note_id": "n1", "author_id": "adv"}) for _, event in pairs)


def test_someone_joining_or_leaving_reaches_the_staff_only():
    joined = routed(domain.add_participant(ADVISOR, conversation(), "col", ["advisor"],
                                         participant_erased=False))
    assert sorted(member for member, _ in joined) == ["adv", "col"]
    assert all(event == LiveEvent("participants", {
        "conversation_id": "c1", "participant_id": "col", "change": "added"})
        for _, event in joined)
    left = routed(domain.leave(COLLEAGUE, conversation("col")))
    assert left == [("adv", LiveEvent("participants", {
        "conversation_id": "c1", "participant_id": "col", "change": "left"}))]


def test_marked_handled_reaches_the_staff_only():
    pairs = routed(domain.settle_wait(COLLEAGUE, conversation("col", waiting=True)))
    assert sorted(member for member, _ in pairs) == ["adv", "col"]
    assert all(event == LiveEvent("handled", {
        "conversation_id": "c1", "settled_by": "col"}) for _, event in pairs)


def test_the_customers_open_stream_gets_nothing_of_it():
    live = LiveHub()
    live.settings = LiveSettings()
    live.boot, live.streams, live.count = "b", {}, 0
    customer = live.open({"id": "cust", "sid": "s1"}, None)
    advisor = live.open({"id": "adv", "sid": "s2"}, None)
    state = conversation("col", waiting=True)
    for event in [*domain.add_note(ADVISOR, state, "n1"), *domain.leave(COLLEAGUE, state),
                  *domain.settle_wait(ADVISOR, conversation(waiting=True))]:
        live.dispatch({"type": event.type, "payload": event.payload})
    assert customer.next(0.01) is None
    assert [advisor.next(0.01).kind for _ in range(3)] == ["note", "participants", "handled"]


def test_an_event_without_staff_ids_reaches_nobody():
    # recorded before the events named their staff: as before, a reload shows it
    assert route_event({"type": domain.PARTICIPANT_LEFT, "payload": {
        "conversation_id": "c1", "participant_id": "col",
        "participant_ids": ["cust", "adv"]}}) == []
