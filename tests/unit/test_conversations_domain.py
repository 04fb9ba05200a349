"""Private dialogue: access rules and decisions, without any infrastructure."""
from __future__ import annotations

import hashlib

import pytest

from services.conversations import domain
from services.conversations.schemas import (
    AdvisorChangedV1,
    ConversationStartedV1,
    EscalatedV1,
    MessagePostedV1,
    ParticipantAddedV1,
)
from services.shared.envelope import CommandContext
from services.shared.errors import Forbidden, NotFound, Unauthenticated, Unprocessable
from services.shared.payloads import REGISTRY
from services.shared.shredding import LookupHash

from .streams import stored

MEMBER = {"id": "m1", "roles": ["member"]}
OTHER = {"id": "m2", "roles": ["member"]}
ADVISOR = {"id": "a1", "roles": ["member", "advisor"]}
OTHER_ADVISOR = {"id": "a2", "roles": ["member", "advisor"]}
CM = {"id": "c1", "roles": ["member", "community_manager"]}
ADMIN = {"id": "ad", "roles": ["member", "admin"]}
SERVICE = {"id": "service:crm", "roles": ["service"], "kind": "service"}


def history(new_events, stream="conv-x"):
    return stored(new_events, stream, context=CommandContext(actor="t"))


def started(advisor_id="a1", actor=MEMBER):
    events = domain.start(actor, "x", "msg1", advisor_id)
    return domain.fold(history(events)), events


def test_a_member_starts_with_their_advisor():
    state, events = started()
    assert [e.type for e in events] == [domain.STARTED, domain.MESSAGE_POSTED]
    assert state.participants == ["m1", "a1"] and state.pool is None
    assert state.member_id == "m1" and state.origin == "member"


def test_without_an_advisor_the_conversation_waits_in_the_staff_queue():
    state, _ = started(advisor_id=None)
    assert state.participants == ["m1"] and state.pool == domain.STAFF_POOL
    assert domain.can_read(CM, state) and domain.can_read(ADMIN, state)
    assert not domain.can_read(ADVISOR, state)  # advisors only when added
    assert not domain.can_read(OTHER, state)


def test_only_participants_read_and_others_get_not_found():
    state, _ = started()
    assert domain.can_read(MEMBER, state) and domain.can_read(ADVISOR, state)
    for outsider in (OTHER, OTHER_ADVISOR, CM, ADMIN, SERVICE, None):
        assert not domain.can_read(outsider, state)
        with pytest.raises(NotFound):  # 404, never 403: existence is private too
            domain.require_access(outsider, state, "x")
        if outsider is not None and outsider.get("kind") != "service":
            with pytest.raises(NotFound):
                domain.post_message(outsider, state, "msg2")


def test_read_model_documents_are_checked_the_same_way():
    doc = {"_id": "x", "participant_ids": ["m1", "a1"], "pool": None}
    assert domain.can_read(MEMBER, doc) and not domain.can_read(OTHER, doc)
    with pytest.raises(NotFound):
        domain.require_access(MEMBER, None, "x")


def test_message_events_carry_references_never_the_text():
    state, _ = started()
    [event] = domain.post_message(ADVISOR, state, "msg2")
    assert event.payload == {"conversation_id": "x", "message_id": "msg2", "author_id": "a1",
                             "participant_ids": ["m1", "a1"], "member_id": "m1",
                             "advisor_id": "a1"}
    assert domain.post_message(ADVISOR, domain.fold(history(
        domain.start(MEMBER, "x", "msg2", "a1"))), "msg2") == []  # a retried command


def test_every_payload_validates_and_no_schema_has_a_text_field():
    for schema in (ConversationStartedV1, MessagePostedV1, ParticipantAddedV1, EscalatedV1,
                   AdvisorChangedV1):
        assert not {"body", "text", "subject", "message", "handle"} & set(schema().fields)
    for event_type in (domain.STARTED, domain.MESSAGE_POSTED, domain.PARTICIPANT_ADDED,
                       domain.ESCALATED, domain.ADVISOR_CHANGED):
        assert not REGISTRY.is_private(event_type)  # public, because they carry no content


def test_a_cm_picking_up_a_queued_conversation_joins_it_first():
    state, _ = started(advisor_id=None)
    events = domain.post_message(CM, state, "msg2")
    assert [e.type for e in events] == [domain.PARTICIPANT_ADDED, domain.MESSAGE_POSTED]
    assert events[1].payload["participant_ids"] == ["m1", "c1"]
    picked = domain.fold(history([*domain.start(MEMBER, "x", "msg1", None), *events]))
    assert picked.pool is None and domain.can_read(CM, picked)
    assert not domain.can_read(ADMIN, picked)  # out of the queue: participants only


def test_staff_add_staff_only_and_members_add_no_one():
    state, _ = started()
    with pytest.raises(Forbidden):
        domain.add_participant(MEMBER, state, "a2", ["advisor"], participant_erased=False)
    with pytest.raises(Unprocessable):
        domain.add_participant(ADVISOR, state, "m2", ["member"], participant_erased=False)
    with pytest.raises(NotFound):
        domain.add_participant(OTHER_ADVISOR, state, "a2", ["advisor"], participant_erased=False)
    [event] = domain.add_participant(ADVISOR, state, "c1", ["community_manager"],
                                     participant_erased=False)
    assert event.payload["participant_ids"] == ["m1", "a1", "c1"]
    assert domain.add_participant(ADVISOR, domain.fold(history(
        [*domain.start(MEMBER, "x", "m", "a1"), event])), "c1", ["community_manager"],
        participant_erased=False) == []


def test_escalation_is_staff_only_idempotent_and_public_event_has_no_content():
    post = {"_id": "p1", "author_id": "m1", "advisor_id": "a1", "title": "t"}
    cid = domain.escalation_conversation_id("p1")
    with pytest.raises(Forbidden):
        domain.escalate(MEMBER, domain.Conversation(), cid, post, "msg1")
    with pytest.raises(Unauthenticated):
        domain.escalate(None, domain.Conversation(), cid, post, "msg1")
    events = domain.escalate(CM, domain.Conversation(), cid, post, "msg1")
    assert [e.type for e in events] == [domain.STARTED, domain.MESSAGE_POSTED, domain.ESCALATED]
    assert events[0].payload["participant_ids"] == ["m1", "c1", "a1"]
    assert events[2].payload == {"conversation_id": cid, "post_id": "p1", "escalated_by": "c1"}
    state = domain.fold(history(events))
    assert domain.escalate(CM, state, cid, post, "msg2") == []
    assert domain.escalate(ADVISOR, state, cid, post, "msg2") == []  # the member's advisor
    assert cid == domain.escalation_conversation_id("p1")


def test_a_second_escalation_by_other_staff_reveals_nothing_and_joins_nothing():
    post = {"_id": "p1", "author_id": "m1", "advisor_id": "a1", "title": "t"}
    cid = domain.escalation_conversation_id("p1")
    state = domain.fold(history(domain.escalate(CM, domain.Conversation(), cid, post, "msg1")))
    for outsider in (OTHER_ADVISOR, ADMIN, {"id": "c2", "roles": ["community_manager"]}):
        with pytest.raises(NotFound) as refused:
            domain.escalate(outsider, state, cid, post, "msg2")
        assert refused.value.details == {"post_id": "p1"}  # nothing of the conversation
        assert not domain.can_read(outsider, state)


def reassigned(events, advisor_id):
    state = domain.fold(history(events))
    moved = domain.change_advisor(state, advisor_id)
    return moved, domain.fold(history([*events, *moved]))


def test_a_new_advisor_takes_the_seat_and_the_former_one_loses_access():
    events = domain.start(MEMBER, "x", "msg1", "a1")
    [moved], state = reassigned(events, "a2")
    assert moved.type == domain.ADVISOR_CHANGED
    assert moved.payload == {"conversation_id": "x", "member_id": "m1", "advisor_id": "a2",
                             "former_advisor_id": "a1", "participant_ids": ["m1", "a2"]}
    assert domain.can_read(OTHER_ADVISOR, state) and not domain.can_read(ADVISOR, state)
    with pytest.raises(NotFound):
        domain.post_message(ADVISOR, state, "msg2")
    [posted] = domain.post_message(MEMBER, state, "msg2")  # written after the move
    assert posted.payload["participant_ids"] == ["m1", "a2"]
    assert domain.change_advisor(state, "a2") == []  # a re-delivered assignment


def test_reassignment_keeps_other_staff_and_takes_queued_conversations_out_of_the_queue():
    post = {"_id": "p1", "author_id": "m1", "advisor_id": "a1", "title": "t"}
    cid = domain.escalation_conversation_id("p1")
    escalation = domain.escalate(CM, domain.Conversation(), cid, post, "msg1")
    _, state = reassigned(escalation, "a2")
    assert state.participants == ["m1", "c1", "a2"] and state.advisor_id == "a2"
    queued = domain.start(MEMBER, "x", "msg1", None)
    _, state = reassigned(queued, "a1")
    assert state.participants == ["m1", "a1"] and state.pool is None
    assert not domain.can_read(CM, state)


def test_conversations_started_before_the_advisor_seat_was_recorded():
    [started_event, *rest] = domain.start(MEMBER, "x", "msg1", "a1")
    del started_event.payload["advisor_id"]
    assert domain.fold(history([started_event, *rest])).advisor_id == "a1"
    [moved] = domain.change_advisor(domain.fold(history([started_event, *rest])), "a2")
    assert moved.payload["participant_ids"] == ["m1", "a2"]


def test_social_mentions_reuse_one_case_per_member_across_channels():
    assert domain.social_case_id("m1", "twitter", "@a") == \
        domain.social_case_id("m1", "facebook", "other")
    assert domain.social_case_id(None, "twitter", "@A") == \
        domain.social_case_id(None, "twitter", "@a") != domain.social_case_id("m1", "twitter", "@a")
    cid = domain.social_case_id("m1", "twitter", "@a")
    first = domain.intake_mention(domain.Conversation(), cid, "m1", "a1", "twitter", "@a", "s1")
    assert [e.type for e in first] == [domain.STARTED, domain.MESSAGE_POSTED]
    assert first[0].payload["participant_ids"] == ["m1", "a1"]
    state = domain.fold(history(first))
    second = domain.intake_mention(state, cid, "m1", "a1", "facebook", "x", "s2")
    assert [e.type for e in second] == [domain.MESSAGE_POSTED]
    assert domain.intake_mention(state, cid, "m1", "a1", "twitter", "@a", "s1") == []


def test_emails_are_matched_by_keyed_hash_of_the_normalised_address():
    lookup = LookupHash(b"secret", "conversations.member_email")
    assert domain.email_hash(" Marie@Example.ORG ", lookup) == domain.email_hash(
        "marie@example.org", lookup)
    assert "marie" not in domain.email_hash("marie@example.org", lookup)
    # not a bare SHA-256 of the address: without the secret, a list of addresses reverses nothing
    assert domain.email_hash("marie@example.org", lookup) != hashlib.sha256(
        b"marie@example.org").hexdigest()
    assert domain.email_hash("marie@example.org", lookup) != domain.email_hash(
        "marie@example.org", LookupHash(b"other", "conversations.member_email"))


def test_unmatched_mentions_open_a_case_in_the_staff_queue():
    events = domain.intake_mention(domain.Conversation(), "c", None, None, "twitter", "@a", "s1")
    state = domain.fold(history(events))
    assert state.pool == domain.STAFF_POOL and state.participants == []
    assert domain.can_read(CM, state) and not domain.can_read(ADVISOR, state)
    assert domain.social_message_id("twitter", "123") == domain.social_message_id("twitter", "123")


def test_a_mention_is_known_by_its_sender_and_id_and_a_member_id_must_name_a_member():
    """Sent again by the same bank system, a mention is the same message whatever else
    differs (its channel included); another system's id is another mention."""
    assert domain.social_message_id("service:crm", "123") == \
        domain.social_message_id("service:crm", "123") != \
        domain.social_message_id("service:other", "123")
    assert domain.mention_member(domain.external_author("twitter")) is None
    assert domain.mention_member("m1") == "m1"
    domain.require_mentioned_member(None, None)  # no member named: an unmatched case
    domain.require_mentioned_member("m1", {"_id": "m1"})
    with pytest.raises(Unprocessable) as error:
        domain.require_mentioned_member("nonexistent", None)
    assert list(error.value.details["fields"]) == ["member_id"]
    assert error.value.catalogue["key"] == "unknown_member_to_match"


def test_only_a_service_credential_feeds_the_intake():
    domain.require_service(SERVICE)
    for actor in (None, MEMBER, ADMIN):
        with pytest.raises(Forbidden):
            domain.require_service(actor)
    with pytest.raises(Unauthenticated):
        domain.require_user(SERVICE)


def test_an_escalation_opens_with_staff_words_or_agoras_in_the_members_language():
    assert domain.escalation_words("en", "Card blocked", None, 200) == (
        "We are following up on your post “Card blocked” privately here.",
        "About: Card blocked")
    assert domain.escalation_words(None, None, None, 200) == (
        "Nous poursuivons ici, en privé, l’échange sur votre publication.",
        "Au sujet de « votre publication »")
    body, subject = domain.escalation_words("en", "x" * 300, "Hello, let us talk here.", 120)
    assert body == "Hello, let us talk here." and subject == ("About: " + "x" * 300)[:120]


def test_every_message_names_the_conversations_customer():
    """Whoever writes, `message_posted` carries the customer's id: notifications link the
    customer (staff or not) to the member's page of their own conversation."""
    state, events = started()
    assert events[1].payload["member_id"] == "m1"
    [answer] = domain.post_message(ADVISOR, state, "msg2")
    assert answer.payload["member_id"] == "m1" and answer.payload["author_id"] == "a1"
    post = {"_id": "p1", "author_id": "m1", "advisor_id": None, "title": "t"}
    escalated = domain.escalate(CM, domain.Conversation(), "e", post, "msg1")
    assert escalated[1].payload["member_id"] == "m1"
    unmatched = domain.intake_mention(domain.Conversation(), "c", None, None, "twitter", "@a",
                                      "s1")
    assert unmatched[1].payload["member_id"] == unmatched[0].payload["member_id"] == \
        domain.external_author("twitter")
    later = domain.intake_mention(domain.fold(history(unmatched)), "c", None, None, "twitter",
                                  "@a", "s2")
    assert later[0].payload["member_id"] == domain.external_author("twitter")
    for event in (*events, answer, *escalated, *unmatched, *later):
        if event.type == domain.MESSAGE_POSTED:
            assert MessagePostedV1().validate(event.payload) == {}


def test_every_message_names_the_customers_advisor_in_it_or_none():
    """`message_posted` carries the advisor's seat as it is when written (null when none):
    notifications name the customer's advisor to them, and other staff as the bank's team."""
    state, events = started()
    assert events[1].payload["advisor_id"] == "a1"
    [answer] = domain.post_message(ADVISOR, state, "msg2")
    assert answer.payload["advisor_id"] == "a1" == answer.payload["author_id"]
    queued, first = started(advisor_id=None)
    assert first[1].payload["advisor_id"] is None
    [_, picked_up] = domain.post_message(CM, queued, "msg2")
    assert picked_up.payload["advisor_id"] is None
    moved = domain.fold(history([*events, *domain.change_advisor(state, "a2")]))
    [later] = domain.post_message(OTHER_ADVISOR, moved, "msg3")
    assert later.payload["advisor_id"] == "a2"
    post = {"_id": "p1", "author_id": "m1", "advisor_id": "a1", "title": "t"}
    escalated = domain.escalate(CM, domain.Conversation(), "e", post, "msg1")
    assert escalated[1].payload["advisor_id"] == "a1" and escalated[1].payload["author_id"] == "c1"
    mention = domain.intake_mention(domain.Conversation(), "s", "m1", "a1", "twitter", "@m",
                                    "s1")
    assert mention[1].payload["advisor_id"] == "a1"
    for event in (*events, answer, *first, picked_up, later, *escalated, *mention):
        if event.type == domain.MESSAGE_POSTED:
            assert MessagePostedV1().validate(event.payload) == {}
