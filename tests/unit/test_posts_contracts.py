"""Contracts of posts and moderation with their consumers (pure): every key the presenters
produce is declared in the gateway's response schemas (a key missing there would be silently
dropped by the gateway), and docs/asyncapi.yaml documents every event type with its payload
fields and the exchange it travels on."""

import pytest

from gateway.routes import moderation as moderation_routes
from gateway.routes import posts as posts_routes
from services.moderation import presenters as moderation_presenters
from services.moderation import sla
from services.posts import presenters
from services.shared.payloads import REGISTRY

from .contracts import assert_declared, assert_documented, asyncapi

pytestmark = pytest.mark.unit


FULL_POST = {
    "_id": "p1", "kind": "idea", "state": "published", "author_id": "u1", "category": "app",
    "tags": ["a"], "official": False, "created_at": "t", "published_at": "t", "edited_at": "t",
    "revision": 2, "votes": 3, "reply_count": 1, "answer_count": 0, "featured": True,
    "locked": False, "title": "T", "body": "B", "redacted": True, "idea_status": "planned",
    "status_note": {"from": "under_review", "to": "planned", "note": "n", "release": None,
                    "by": "cm", "at": "t"},
    "status_history": [{"from": "submitted", "to": "under_review", "note": "n",
                        "release": None, "by": "cm", "at": "t"}],
    "merged_into": None, "merged_from": ["p0"], "accepted_reply_id": None,
    "pending_edit": {"revision": 3, "state": "rejected"},
    "rejection": {"revision": 3, "reason_code": "spam", "reason": "Spam"},
}


def test_post_presentations_fit_the_post_response_schema():
    author = {"id": "u1", "roles": ["member"]}
    draft = {"revision": 3, "title": "new", "body": "new body"}
    for doc in (FULL_POST, {**FULL_POST, "kind": "question", "accepted_reply_id": "r1"},
                {**FULL_POST, "state": "pending", "reviews": {"r1": {"state": "held",
                                                                      "reasons": ["policy"]}}},
                {**FULL_POST, "state": "rejected", "rejection": {"revision": 1,
                                                                 "reason_code": "spam",
                                                                 "reason": "Spam"}},
                {**FULL_POST, "state": "deleted"}):
        for full in (True, False):
            assert_declared(presenters.post(doc, author, full=full, draft=draft, my_vote=True),
                            posts_routes.Post)
    reply = {"_id": "r1", "post_id": "p1", "kind": "answer", "state": "published",
             "author_id": "u1", "official": True, "accepted": True, "votes": 1, "body": "b",
             "redacted": True, "revision": 1, "pending_edit": {"revision": 2,
                                                               "state": "pending"}}
    assert_declared(presenters.reply(reply, author, draft=draft, my_vote=False),
                    posts_routes.ReplyOut)
    assert_declared(presenters.history_entry({"revision": 1, "title": "t", "body": "b",
                                              "redacted": True, "at": "t", "editor_id": "u"}),
                    posts_routes.Revision)


def test_moderation_presentations_fit_their_response_schemas():
    item = {"_id": "p1.r1", "review": "content", "target_type": "post", "target_id": "p1",
            "post_id": "p1", "revision": 1, "author_id": "u1", "state": "held",
            "reasons": ["detector"], "policy_rules": [], "detector_kinds": ["iban"],
            "flag_count": 0, "flags": {"spam": 1}, "held_at": "t", "held_ts": 1,
            "decided_at": None, "decided_by": None,
            "content": {"title": "t", "body": "IBAN FR76 3000 6000 0112 3456 7890 189"},
            "proposal": {"title": "t", "body": "b"}}
    presented = moderation_presenters.present_item(item, 10.0, sla.default_targets({"site": 60}))
    assert presented["findings"] == [{"field": "body", "kind": "iban", "start": 5, "end": 38}]
    assert presented["target_seconds"] == 60 and presented["breached"] is False
    assert_declared(presented, moderation_routes.Item)
    audit = {"_id": "e1", "at": "t", "actor_id": "cm", "action": "redact", "target_type": "post",
             "target_id": "p1", "item_id": "p1.r1", "before": {}, "after": {}, "details": {},
             "correlation_id": "r"}
    assert_declared(moderation_presenters.present_audit(audit), moderation_routes.AuditEntry)
    note = {"_id": "n1", "member_id": "m", "note": "x", "at": "t", "by": "cm"}
    assert_declared(moderation_presenters.present_note(note), moderation_routes.MemberNote)


def test_asyncapi_documents_every_posts_and_moderation_event():
    document = asyncapi()
    assert document["asyncapi"].startswith("2.6")
    types = [t for t in REGISTRY.event_types() if t.split(".")[0] in ("posts", "moderation")]
    assert len(types) >= 40
    for event_type in types:
        assert_documented(document, event_type)
