"""notifications: the in-app inbox, preferences, and delivery by e-mail and push.

Thin: notifications are created by the projection from other services' events (recorded in
our own log, `record_and_apply`), then delivered by `delivery.DeliveryProvider` in the
background; the RPCs read the inbox, mark it read and change preferences (our own events).
"""
from __future__ import annotations

import time
from typing import Any

from nameko.rpc import rpc

from services.shared import members, pagination
from services.shared.actors import require_member
from services.shared.consumer import reliable_handler
from services.shared.decisions import Decisions
from services.shared.envelope import Envelope, NewEvent
from services.shared.errors import EXPECTED_ERRORS, InvalidInput
from services.shared.observability import HealthEndpoints
from services.shared.outbox import EventStoreProvider
from services.shared.projections import ReadModelsProvider
from services.shared.validation import load_input

from . import domain, unsubscribe
from .delivery import DeliveryProvider
from .projections import VIEWS, member_language, member_names
from .schemas import (
    InboxQuerySchema,
    MarkReadSchema,
    PreferencesSchema,
    UnsubscribeQuerySchema,
)


class NotificationsService(Decisions, HealthEndpoints):
    name = "notifications"
    store = EventStoreProvider()
    views = ReadModelsProvider(VIEWS)
    delivery = DeliveryProvider()

    def _unread(self, member_id: str) -> int:
        return self.views["inbox"].count_documents({"member_id": member_id, "read": False})

    # -- the inbox -----------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def inbox(self, actor, query=None):
        member_id = require_member(actor)["id"]
        query = load_input(InboxQuerySchema, query)
        conditions: list[dict[str, Any]] = [{"member_id": member_id}]
        if query.get("unread") is not None:
            conditions.append({"read": not query["unread"]})
        after = pagination.after_cursor("ts", -1, query.get("cursor"))
        if after:
            conditions.append(after)
        limit = query["limit"]
        documents = list(self.views["inbox"].find({"$and": conditions})
                         .sort([("ts", -1), ("_id", -1)]).limit(limit + 1))
        items, cursor = pagination.page(documents, "ts", limit)
        return {"items": self._presented(items, member_id, query.get("language")),
                "next_cursor": cursor, "unread": self._unread(member_id)}

    def _presented(self, items: list[dict[str, Any]], member_id: str,
                   language: str | None) -> list[dict[str, Any]]:
        base = self.delivery.settings.web_base_url
        actor_ids = [doc.get("actor_id") for doc in items if not doc.get("by_team")]
        names = member_names(self.views.rm, actor_ids)
        authors = members.summaries(self.views.rm, actor_ids)
        language = language or member_language(self.views.rm, member_id)
        return [present(domain.with_actor_name(doc, names, language), base, language, authors)
                for doc in items]

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def unread_count(self, actor):
        return {"unread": self._unread(require_member(actor)["id"])}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def mark_read(self, actor, data):
        """Mark some (ids) or all of my notifications read; idempotent."""
        member_id = require_member(actor)["id"]
        data = load_input(MarkReadSchema, data)
        mine: dict[str, Any] = {"member_id": member_id, "read": False}
        if data.get("ids"):
            mine["_id"] = {"$in": data["ids"]}
        unread = [doc["_id"] for doc in self.views["inbox"].find(mine, {"_id": 1})]
        if unread:
            payload = {"member_id": member_id, "ids": unread if data.get("ids") else [],
                       "up_to_ts": None if data.get("ids") else int(time.time() * 1_000_000)}
            self._decide(f"inbox.{member_id}", lambda history: [
                NewEvent("notifications.marked_read", payload)], member_id)
        return {"unread": self._unread(member_id)}

    # -- preferences ---------------------------------------------------------------------------

    def _chosen(self, member_id: str) -> dict[str, Any]:
        return (self.views["prefs"].find_one({"_id": member_id}) or {}).get("types") or {}

    def _preferences(self, member_id: str) -> dict[str, Any]:
        doc = self.views["prefs"].find_one({"_id": member_id}) or {}
        settings = self.delivery.settings
        return {"types": domain.preferences(doc.get("types")),
                "digest": domain.digest_settings(doc.get("digest"), settings.digest_hour,
                                                 settings.default_timezone)}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_preferences(self, actor):
        return self._preferences(require_member(actor)["id"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_preferences(self, actor, data):
        member_id = require_member(actor)["id"]
        self._change_preferences(member_id, load_input(PreferencesSchema, data), member_id)
        return self._preferences(member_id)

    def _change_preferences(self, member_id: str, changes: dict[str, Any],
                            actor_id: str | None) -> None:
        def decide(history: list[Envelope]) -> list[NewEvent]:
            last = history[-1].payload if history else {}
            chosen, digest = last.get("types") or {}, last.get("digest")
            updated = domain.change_preferences(chosen, changes.get("types") or {})
            new_digest = {**(digest or {}), **changes["digest"]} if changes.get("digest") \
                else digest
            if updated is None and new_digest == digest:
                return []
            return [NewEvent("notifications.preferences_changed", {
                "member_id": member_id, "types": chosen if updated is None else updated,
                "digest": new_digest})]

        self._decide(f"prefs.{member_id}", decide, actor_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def unsubscribe(self, query, confirm=True):
        """One-click unsubscribe (RFC 8058), public: the signed token of an e-mail's
        List-Unsubscribe link turns e-mail off for the types it names; nothing else. Without
        `confirm`, only says what it would do (a link scanner's GET must not unsubscribe)."""
        token = load_input(UnsubscribeQuerySchema, query)["token"]
        try:
            request = unsubscribe.verify(self.delivery.settings.unsubscribe_secret, token,
                                         time.time())
        except unsubscribe.InvalidToken as error:
            raise InvalidInput(str(error), {"fields": {"token": [str(error)]}}) from None
        types = [kind for kind in request.types if kind in domain.TYPES]
        if confirm:
            self._change_preferences(request.member_id, {"types": {
                kind: {"email": "off"} for kind in types}}, None)
        return {"unsubscribed": bool(confirm), "types": types}

    # -- GDPR: the member's export ----------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_member(self, actor):
        """What notifications holds about the member (GDPR export): their preferences and every
        notification in their inbox, newest first, as the inbox shows them."""
        member_id = require_member(actor)["id"]
        items = list(self.views["inbox"].find({"member_id": member_id})
                     .sort([("ts", -1), ("_id", -1)]))
        return {"preferences": self._preferences(member_id),
                "notifications": self._presented(items, member_id, None)}

    # -- operations ----------------------------------------------------------------------------

    @rpc
    def deliver_now(self, digests: bool = False) -> dict[str, int]:
        """One delivery pass now (with `digests`: every waiting digest now, whatever the
        members' hours)."""
        return self.delivery.deliveries.pass_once(digests=digests)

    # -- events --------------------------------------------------------------------------------

    def _received(self, event: Envelope) -> None:
        if self.views.record_and_apply(event):
            self.delivery.nudge()

    @reliable_handler("notifications", "notifications.*", private=True)
    def project(self, event: Envelope):
        self.views.apply(event)

    @reliable_handler("posts", "posts.*")
    def on_posts_event(self, event: Envelope):
        self._received(event)

    @reliable_handler("moderation", "moderation.*")
    def on_moderation_event(self, event: Envelope):
        self._received(event)

    @reliable_handler("conversations", "conversations.*")
    def on_conversations_event(self, event: Envelope):
        """References only (who wrote in which conversation): never a message's text."""
        self._received(event)

    @reliable_handler("feeds", "feeds.*")
    def on_feeds_event(self, event: Envelope):
        self._received(event)

    @reliable_handler("identity", "identity.*")
    def on_identity_event(self, event: Envelope):
        self._received(event)
        if event.type == members.USER_ERASED:  # the outboxes are no read model: purge them
            self.delivery.deliveries.forget_member(event.payload["user_id"])

    @reliable_handler("identity", "identity.*", private=True)
    def on_identity_private_event(self, event: Envelope):
        """The account stream (e-mail address; password and session facts are recorded too,
        so the stream has no gap): contacts are kept here and never logged."""
        self._received(event)


def present(doc: dict[str, Any], base_url: str, language: str | None = None,
            authors: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    out = {key: doc.get(key) for key in (
        "type", "read", "at", "actor_id", "actor_name", "post_id", "reply_id", "conversation_id",
        "kind", "title", "status", "reason", "decision", "merged_into", "channel")}
    # who acted, as a public summary; None for a decision of the community team
    out["author"] = None if doc.get("by_team") else (authors or {}).get(doc.get("actor_id"))
    if doc.get("type") in domain.CONFIDENTIAL:
        out["title"] = None
    out.update(id=doc["_id"], text=domain.render(doc, language),
               link=domain.link(base_url, doc),
               email=(doc.get("channels") or {}).get("email"),
               push=bool((doc.get("channels") or {}).get("push")))
    return out
