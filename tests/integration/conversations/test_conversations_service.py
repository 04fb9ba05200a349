"""Conversations in a nameko container with identity, posts and moderation: real events, real
database. Access rules, audit, bodies kept off the log, escalation, social intake, replay."""
import json
import uuid

import pytest
from nameko.exceptions import RemoteError

from services.conversations import domain
from services.conversations.projections import PROJECTION
from services.identity.admin import verify_locally
from services.shared.event_store import EventStore
from services.shared.projections import replay
from services.shared.shredding import KEYS_SERVICE, SubjectKeys

from ...conftest import wait_for
from ..feeds.fixtures import actor, post, published, register
from .steps import advised

pytestmark = pytest.mark.integration

SERVICE = {"id": "service:crm", "roles": ["service"], "kind": "service"}


def test_participants_only_audited_reads_and_no_body_in_the_log(rpc, conversations_db):
    member, advisor = advised(rpc, conversations_db)
    outsider = register(rpc)
    secret = f"card 4970 1012 3456 7890, code {uuid.uuid4().hex}"
    started = rpc.conversations.start_conversation(
        actor(member), {"subject": "Lost card", "message": secret})
    cid = started["id"]
    assert started["participant_ids"] == [member["id"], advisor["id"]]

    assert [c["id"] for c in rpc.conversations.list_conversations(actor(advisor), None)["items"]
            ] == [cid]
    rpc.conversations.post_message(actor(advisor), cid, {"body": "Blocked it for you."})
    seen = rpc.conversations.get_conversation(actor(member), cid, None)
    assert [m["body"] for m in seen["messages"]] == [secret, "Blocked it for you."]
    assert seen["subject"] == "Lost card" and seen["message_count"] == 2

    for attempt in (lambda: rpc.conversations.get_conversation(actor(outsider), cid, None),
                    lambda: rpc.conversations.post_message(actor(outsider), cid, {"body": "hi"}),
                    lambda: rpc.conversations.get_conversation(None, cid, None)):
        with pytest.raises(Exception, match=r"NotFound|Unauthenticated"):
            attempt()
    with pytest.raises(Exception, match="NotFound"):
        rpc.conversations.get_conversation(actor(outsider), cid, None)

    audit = list(conversations_db.access_audit.find({"conversation_id": cid}))
    assert {(a["user_id"], a["action"]) for a in audit} >= {
        (member["id"], "read"), (advisor["id"], "list")}
    assert {a["action"] for a in audit if a["user_id"] == outsider["id"]} == {"denied"}

    # the log (what the relay publishes) holds references; the bodies live in `messages`
    log = json.dumps(list(conversations_db.events.find({"stream_id": f"conv-{cid}"},
                                                       {"_id": 0})), default=str)
    assert secret not in log and "Lost card" not in log and "Blocked it" not in log
    assert conversations_db.messages.count_documents({"conversation_id": cid}) == 2
    wait_for(lambda: conversations_db.events.count_documents(
        {"stream_id": f"conv-{cid}", "pending": True}) == 0, message="published")


def test_escalation_and_social_cases(rpc, conversations_db, stack_config):
    member, advisor = advised(rpc, conversations_db)
    cm = {"id": "cm-conversations", "roles": ["member", "community_manager"]}
    post_id = published(rpc, post(rpc, member, title="Blocked transfer"))
    with pytest.raises(Exception, match="Forbidden"):
        rpc.conversations.escalate_post(actor(register(rpc)), post_id, None)

    def escalate():
        try:
            return rpc.conversations.escalate_post(cm, post_id, None)
        except Exception as error:
            if "NotFound" not in repr(error):
                raise
            return None
    escalated = wait_for(escalate, message="post received by conversations")
    # Agora's words in the member's language (none set: French, the community's)
    assert escalated["post_id"] == post_id
    assert escalated["subject"] == "Au sujet de « Blocked transfer »"
    assert escalated["participant_ids"] == [member["id"], cm["id"], advisor["id"]]
    assert rpc.conversations.escalate_post(cm, post_id, None)["id"] == escalated["id"]

    mention = {"channel": "twitter", "external_id": "t-1", "handle": "@me", "text": "help",
               "member_id": member["id"]}
    with pytest.raises(Exception, match="Forbidden"):
        rpc.conversations.intake_mention(actor(member), mention)
    first = rpc.conversations.intake_mention(SERVICE, mention)
    second = rpc.conversations.intake_mention(SERVICE, {**mention, "channel": "linkedin",
                                                        "external_id": "l-1"})
    assert first["created"] and not second["created"]
    assert first["conversation_id"] == second["conversation_id"]
    assert rpc.conversations.intake_mention(SERVICE, mention)["duplicate"]
    wait_for(lambda: (conversations_db.members.find_one({"_id": member["id"]}) or {})
             .get("email_hash"), message="e-mail received (identity.private)")
    unverified = rpc.conversations.intake_mention(SERVICE, {
        "channel": "facebook", "external_id": "f-0", "handle": "Marie D.", "text": "hello",
        "matched_email": member["email"]})
    assert not unverified["matched"] and unverified["queue"]  # maybe a squatter's address
    verify_locally(member["email"], stack_config)  # as the confirmation link does
    wait_for(lambda: (conversations_db.members.find_one({"_id": member["id"]}) or {})
             .get("email_verified"), message="address verified (identity.private)")
    by_email = rpc.conversations.intake_mention(SERVICE, {
        "channel": "facebook", "external_id": "f-1", "handle": "Marie D.", "text": "again",
        "matched_email": f"  {member['email'].upper()} "})
    assert by_email["matched"] and by_email["conversation_id"] == first["conversation_id"]
    case = rpc.conversations.get_conversation(actor(advisor), first["conversation_id"], None)
    assert [m["channel"] for m in case["messages"]] == ["twitter", "linkedin", "facebook"]
    assert case["subject"] == "Mention sur les réseaux sociaux (twitter)"  # member's: French
    assert member["email"] not in json.dumps(list(conversations_db.members.find()))


def known(rpc, conversations_db):
    """A member conversations knows (identity's `user_registered` received)."""
    someone = register(rpc)
    wait_for(lambda: conversations_db.members.find_one({"_id": someone["id"]}),
             message="member known to conversations")
    return someone


def test_a_mention_sent_again_lands_where_the_first_did_whatever_else_differs(
        rpc, conversations_db):
    member, advisor = advised(rpc, conversations_db)
    other = known(rpc, conversations_db)
    mention = {"channel": "twitter", "external_id": uuid.uuid4().hex, "handle": "@marie",
               "text": "my card was swallowed", "member_id": member["id"]}
    first = rpc.conversations.intake_mention(SERVICE, mention)
    assert first["matched"] and first["created"] and not first["duplicate"]
    for variant in ({"member_id": "nonexistent"}, {"member_id": other["id"]},
                    {"member_id": None, "handle": "@someone-else"},
                    {"channel": "facebook", "text": "another text"},
                    {"member_id": None, "matched_email": other["email"]}):
        again = rpc.conversations.intake_mention(SERVICE, {**mention, **variant})
        assert again == {**first, "created": False, "duplicate": True}, variant
    case = rpc.conversations.get_conversation(actor(advisor), first["conversation_id"], None)
    assert [m["body"] for m in case["messages"]] == ["my card was swallowed"]
    others = [domain.social_case_id(other["id"], "twitter", "@marie"),
              domain.social_case_id(None, "twitter", "@marie"),
              domain.social_case_id(None, "twitter", "@someone-else")]
    assert conversations_db.conversations.count_documents({"_id": {"$in": others}}) == 0
    # the same id from another bank system is another mention
    crm = {**SERVICE, "id": "service:other-crm"}
    theirs = rpc.conversations.intake_mention(crm, mention)
    assert not theirs["duplicate"] and theirs["conversation_id"] == first["conversation_id"]


def test_twin_mentions_sent_at_once_make_one_message(rpc, conversations_db):
    """Concurrent deliveries of one mention, each naming someone else: the first text stored
    under its message id decides where it goes, once."""
    members = [known(rpc, conversations_db) for _ in range(2)]
    external, handle = uuid.uuid4().hex, f"@twin-{uuid.uuid4().hex[:8]}"
    sent = [rpc.conversations.intake_mention.call_async(SERVICE, {
        "channel": "twitter", "external_id": external, "handle": handle, "text": "twins",
        "member_id": who["id"] if who else None}) for who in [*members, None] * 3]
    answers = [reply.result() for reply in sent]
    assert len({answer["conversation_id"] for answer in answers}) == 1
    assert [answer["duplicate"] for answer in answers].count(False) == 1
    cases = [domain.social_case_id(who["id"] if who else None, "twitter", handle)
             for who in [*members, None]]
    assert conversations_db.conversations.count_documents({"_id": {"$in": cases}}) == 1
    assert conversations_db.messages.count_documents({"external_id": external}) == 1


def test_a_mention_naming_no_known_member_is_refused_and_stores_nothing(rpc, conversations_db):
    mention = {"channel": "twitter", "external_id": uuid.uuid4().hex, "handle": "@nobody",
               "text": "hello bank", "member_id": "nonexistent"}
    with pytest.raises(RemoteError) as error:
        rpc.conversations.intake_mention(SERVICE, mention)
    assert error.value.exc_type == "Unprocessable"
    assert list(json.loads(error.value.value)["details"]["fields"]) == ["member_id"]
    assert conversations_db.messages.count_documents(
        {"external_id": mention["external_id"]}) == 0
    unmatched = rpc.conversations.intake_mention(SERVICE, {**mention, "member_id": None})
    assert not unmatched["matched"] and unmatched["queue"] and not unmatched["duplicate"]


def test_replay_rebuilds_the_read_models_and_keeps_the_bodies(rpc, conversations_db):
    member, advisor = advised(rpc, conversations_db)
    cid = rpc.conversations.start_conversation(
        actor(member), {"subject": "Mortgage", "message": "Can we talk rates?"})["id"]
    replay(EventStore(conversations_db, "conversations"), PROJECTION, quiesce_seconds=0.6)
    again = rpc.conversations.get_conversation(actor(advisor), cid, None)
    assert [m["body"] for m in again["messages"]] == ["Can we talk rates?"]
    assert again["participant_ids"] == [member["id"], advisor["id"]]


def test_agoras_words_in_a_conversation_follow_the_members_language(rpc, conversations_db):
    """A social case's subject (and an escalation's words) are written in the member's
    language, which conversations learns from identity.profile_updated."""
    member, advisor = advised(rpc, conversations_db)
    rpc.identity.update_me(actor(member), {"language": "en"})
    wait_for(lambda: (conversations_db.members.find_one({"_id": member["id"]}) or {})
             .get("language") == "en", message="the member's language received")
    mention = {"channel": "twitter", "external_id": uuid.uuid4().hex, "handle": "@emily",
               "text": "my card is blocked", "member_id": member["id"]}
    case = rpc.conversations.intake_mention(SERVICE, mention)
    shown = rpc.conversations.get_conversation(actor(advisor), case["conversation_id"], None)
    assert shown["subject"] == "Social mention (twitter)"


def test_subjects_and_bodies_are_sealed_with_the_members_key(rpc, conversations_db,
                                                            mongo_client, db_prefix):
    member, advisor = advised(rpc, conversations_db)
    secret = f"IBAN FR76 {uuid.uuid4().hex}"
    cid = rpc.conversations.start_conversation(
        actor(member), {"subject": f"Subject {secret}", "message": f"Body {secret}"})["id"]
    rpc.conversations.post_message(actor(advisor), cid, {"body": f"Answer {secret}"})
    stored = list(conversations_db.messages.find({"conversation_id": cid}))
    assert len(stored) == 2 and secret not in json.dumps(stored, default=str)
    # staff's answer is the member's personal data too: sealed with the member's key
    assert {text["body"]["subject"] for text in stored} == {member["id"]}
    seen = rpc.conversations.get_conversation(actor(member), cid, None)
    assert seen["subject"] == f"Subject {secret}"
    assert [m["body"] for m in seen["messages"]] == [f"Body {secret}", f"Answer {secret}"]
    assert rpc.conversations.export_member(actor(member))["conversations"][0]["messages"][1][
        "body"] == f"Answer {secret}"

    # a text stored before sealing existed still reads
    answer = next(text for text in stored if text["author_id"] == advisor["id"])
    conversations_db.messages.update_one({"_id": answer["_id"]},
                                         {"$set": {"body": "written in clear"}})
    seen = rpc.conversations.get_conversation(actor(advisor), cid, None)
    assert [m["body"] for m in seen["messages"]] == [f"Body {secret}", "written in clear"]

    # the key gone (as after an erasure), a copy of `messages` taken before reads nothing
    SubjectKeys.in_database(mongo_client[f"{db_prefix}_{KEYS_SERVICE}"]).shred(member["id"])
    seen = rpc.conversations.get_conversation(actor(advisor), cid, None)
    assert seen["subject"] is None
    assert [m["body"] for m in seen["messages"]] == [None, "written in clear"]
