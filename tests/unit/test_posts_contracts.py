"""Contracts of posts and moderation with their consumers (pure): every key the presenters
produce is declared in the gateway's response schemas (a key missing there would be silently
dropped by the gateway), and docs/asyncapi.yaml documents every event type with its payload
fields and the exchange it travels on."""
from pathlib import Path

import pytest
import yaml

from gateway.routes import moderation as moderation_routes
from gateway.routes import posts as posts_routes
from services.moderation import service as moderation_service
from services.moderation import sla
from services.posts import presenters
from services.shared.payloads import REGISTRY

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]

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


def _keys(schema_cls) -> set[str]:
    return {field.data_key or name for name, field in schema_cls().fields.items()}


def _check(output: dict, schema_cls) -> None:
    assert set(output) <= _keys(schema_cls), set(output) - _keys(schema_cls)
    for name, field in schema_cls().fields.items():
        nested = getattr(field, "nested", None) or getattr(getattr(field, "inner", None),
                                                           "nested", None)
        value = output.get(field.data_key or name)
        if nested is not None and isinstance(nested, type) and value:
            for item in value if isinstance(value, list) else [value]:
                _check(item, nested)


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
            _check(presenters.post(doc, author, full=full, draft=draft, my_vote=True),
                   posts_routes.Post)
    reply = {"_id": "r1", "post_id": "p1", "kind": "answer", "state": "published",
             "author_id": "u1", "official": True, "accepted": True, "votes": 1, "body": "b",
             "redacted": True, "revision": 1, "pending_edit": {"revision": 2,
                                                               "state": "pending"}}
    _check(presenters.reply(reply, author, draft=draft, my_vote=False), posts_routes.ReplyOut)
    _check(presenters.history_entry({"revision": 1, "title": "t", "body": "b",
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
    presented = moderation_service.present_item(item, 10.0, sla.default_targets({"site": 60}))
    assert presented["findings"] == [{"field": "body", "kind": "iban", "start": 5, "end": 38}]
    assert presented["target_seconds"] == 60 and presented["breached"] is False
    _check(presented, moderation_routes.Item)
    audit = {"_id": "e1", "at": "t", "actor_id": "cm", "action": "redact", "target_type": "post",
             "target_id": "p1", "item_id": "p1.r1", "before": {}, "after": {}, "details": {},
             "correlation_id": "r"}
    _check(moderation_service.present_audit(audit), moderation_routes.AuditEntry)
    note = {"_id": "n1", "member_id": "m", "note": "x", "at": "t", "by": "cm"}
    _check(moderation_service.present_note(note), moderation_routes.MemberNote)


def test_asyncapi_documents_every_posts_and_moderation_event():
    document = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text())
    assert document["asyncapi"].startswith("2.6")
    types = [t for t in REGISTRY.event_types() if t.split(".")[0] in ("posts", "moderation")]
    assert len(types) >= 40
    for event_type in types:
        channel = document["channels"][event_type]
        exchange = channel["bindings"]["amqp"]["exchange"]["name"]
        service = event_type.split(".")[0]
        expected = f"{service}.private" if REGISTRY.is_private(event_type) else \
            f"{service}.events"
        assert exchange == expected, event_type
        message = document["components"]["messages"][event_type]
        payload = message["payload"]["allOf"][1]["properties"]["payload"]
        schema = REGISTRY.schema(event_type)
        assert set(payload["properties"]) == set(schema.fields), event_type
        assert set(payload["required"]) == {n for n, f in schema.fields.items() if f.required}
        assert message["payload"]["allOf"][1]["properties"]["schema_version"]["const"] == \
            REGISTRY.latest_version(event_type)
