"""The member's export (pure): every key the services' `export_member` sections produce is
declared in the gateway's `MemberExport` schema, which nests the routes' own schemas — a key
missing there would be silently dropped from the member's archive."""
import pytest

from gateway.routes.export import EXPORT_SECTIONS, MemberExport
from services.conversations import presenters as conversation_presenters
from services.identity.presenters import private_profile
from services.moderation.presenters import present_own_flag
from services.notifications.presenters import present as present_notification
from services.posts import presenters

from .contracts import assert_declared, schema_keys

pytestmark = pytest.mark.unit

USER = {"_id": "u1", "display_name": "Ada", "bio": "b", "roles": ["member"], "customer": True,
        "verified_customer": False, "joined_at": "t", "email": "a@b.example",
        "advisor": {"advisor_id": "a1", "branch": "Lyon", "assigned_at": "t"}}
ADVISOR = {"_id": "a1", "display_name": "Al", "roles": ["member", "advisor"], "joined_at": "t"}
AUTHOR = {"id": "u1", "roles": ["member"]}
POST = {"_id": "p1", "kind": "question", "state": "published", "author_id": "u1",
        "category": "cards", "tags": ["carte"], "created_at": "t", "published_at": "t",
        "revision": 1, "title": "T", "body": "B", "votes": 1, "accepted_reply_id": None}
REPLY = {"_id": "r1", "post_id": "p2", "kind": "answer", "state": "pending", "author_id": "u1",
         "created_at": "t", "revision": 1, "submitted_revision": 1}
REVISION = {"revision": 1, "title": "T", "body": "B", "at": "t", "editor_id": "u1"}


def test_every_section_fits_the_archive_schema():
    draft = {"revision": 1, "body": "waiting text"}
    conversation = conversation_presenters.summary(
        {"_id": "c1", "member_id": "u1", "participant_ids": ["u1", "a1"], "origin": "member",
         "created_at": "t", "last_message_at": "t", "message_count": 1}, "Subject", {})
    message = conversation_presenters.message(
        {"_id": "m1", "conversation_id": "c1", "author_id": "u1", "created_at": "t"},
        {"body": "hello"}, {})
    archive = {
        "member_id": "u1", "exported_at": "t",
        "identity": {"profile": private_profile(USER, ADVISOR), "sessions": [], "logins": []},
        "posts": {
            "posts": [{**presenters.post(POST, AUTHOR),
                       "revisions": [presenters.history_entry(REVISION)]}],
            "replies": [{**presenters.reply(REPLY, AUTHOR, draft=draft), "revisions": []}],
            "votes": [{"target_type": "post", "target_id": "p2", "at": "t"}]},
        "feeds": {"subscriptions": [{"list": "members", "target": "u2", "since": "t"}],
                  "muted": ["p3"]},
        "notifications": {
            "preferences": {"types": {"reply": {"email": "off", "push": True}},
                            "digest": {"hour": 8, "timezone": "Europe/Paris"}},
            "notifications": [present_notification(
                {"_id": "n1", "type": "reply", "read": False, "at": "t", "actor_id": "u2",
                 "post_id": "p1", "title": "T"}, "https://agora.example")]},
        "conversations": {"conversations": [{**conversation, "messages": [message]}]},
        "moderation": {"flags": [present_own_flag(
            {"_id": "f1", "item_id": "p2.flags", "target_type": "post", "target_id": "p2",
             "post_id": "p2", "author_id": "u2", "flagger_id": "u1", "reason": "other",
             "trusted": False, "round": 0, "details": "my words", "at": "t", "at_ts": 1})]},
    }
    assert set(archive) == schema_keys(MemberExport)
    assert set(EXPORT_SECTIONS) < set(archive)
    assert_declared(archive, MemberExport)
    dumped = MemberExport().dump(archive)
    assert dumped["posts"]["replies"][0]["draft"]["body"] == "waiting text"
    assert dumped["conversations"]["conversations"][0]["messages"][0]["body"] == "hello"
    # a flag is the flagger's own data only: never the author nor staff's assessment
    assert dumped["moderation"]["flags"] == [{"target_type": "post", "target_id": "p2",
                                              "post_id": "p2", "reason": "other",
                                              "details": "my words", "at": "t"}]
