"""Contracts of feeds and notifications with their consumers (pure): every key their presenters
produce is declared in the gateway's response schemas, and docs/asyncapi.yaml documents every
event type with its payload fields and the exchange it travels on."""

import pytest

from gateway.routes import feeds as feeds_routes
from gateway.routes import notifications as notifications_routes
from services.feeds import timeline
from services.notifications import domain as notifications_domain
from services.notifications import presenters as notifications_presenters
from services.shared.payloads import REGISTRY

from .contracts import assert_declared, assert_documented, asyncapi

pytestmark = pytest.mark.unit


def test_feed_items_fit_the_feed_response_schema():
    post = {"_id": "p1", "type": "post", "post_id": "p1", "kind": "idea", "author_id": "u1",
            "published_at": "t", "excerpt": "e", "official": False, "redacted": True,
            "title": "T", "category": "c", "tags": ["x"], "featured": True, "status": "planned",
            "ts": 1, "state": "published"}
    reply = {"_id": "r1", "type": "reply", "post_id": "p1", "kind": "answer", "author_id": "u2",
             "published_at": "t", "excerpt": "e", "official": True, "redacted": False,
             "post_title": "T", "post_kind": "question", "post_author_id": "u1", "ts": 2}
    for item in (post, reply):
        for reasons in (None, ["following:u1"]):
            assert_declared(timeline.present(item, reasons), feeds_routes.FeedItem)
    assert timeline.present(post)["redaction_mark"] == "edited by the community team"


def test_notifications_fit_the_inbox_response_schema():
    for kind in notifications_domain.TYPES:
        doc = {"_id": "e1:m1", "type": kind, "read": False, "at": "t", "actor_id": "u1",
               "actor_name": "Ann", "post_id": "p1", "reply_id": "r1", "kind": "question",
               "title": "T", "status": "planned", "reason": "Spam", "decision": "rejected",
               "channels": {"in_app": True, "email": "daily", "push": True}}
        shown = notifications_presenters.present(doc, "https://x.test")
        assert_declared(shown, notifications_routes.Notification)
        assert shown["email"] == "daily" and shown["push"] is True
    private = notifications_presenters.present({"_id": "n", "type": "private_message",
                                             "title": "secret"}, "https://x.test")
    assert private["title"] is None and "secret" not in private["text"]
    preferences = {"types": notifications_domain.preferences(None)}
    assert notifications_routes.NotificationPreferences().dump(preferences) == preferences


@pytest.mark.parametrize("service", ["feeds", "notifications"])
def test_asyncapi_documents_every_event(service):
    document = asyncapi()
    types = [t for t in REGISTRY.event_types() if t.startswith(service + ".")]
    assert types
    for event_type in types:
        assert_documented(document, event_type)
