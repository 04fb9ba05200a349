"""notifications: the in-app inbox, preferences, and delivery by e-mail and push.

Thin: notifications are created by the projection from other services' events (recorded in
our own log, `record_and_apply`), then delivered by `delivery.DeliveryProvider` in the
background; the RPCs read the inbox (`queries`, shaped by `presenters`), mark it read and change
preferences (our own events, decided by `domain`).
"""
from __future__ import annotations

import time
from typing import Any

from nameko.rpc import rpc

from services.posts.schemas import CATEGORY_EVENTS, REPLY_VOTE_EVENTS, public_events_but
from services.shared import members
from services.shared.actors import is_staff, require_member
from services.shared.consumer import reliable_handler
from services.shared.decisions import Decisions
from services.shared.envelope import Envelope, NewEvent
from services.shared.errors import EXPECTED_ERRORS, InvalidInput
from services.shared.event_store_provider import EventStoreProvider
from services.shared.observability import HealthEndpoints
from services.shared.projections import ReadModelsProvider
from services.shared.validation import load_input

from . import domain, unsubscribe
from .delivery import LINK_MAILS, DeliveryProvider
from .projections import MAY_NOTIFY, VIEWS
from .queries import NotificationsQueries
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

    @property
    def queries(self) -> NotificationsQueries:
        return NotificationsQueries(self.views, self.delivery.settings)

    # -- the inbox -----------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def inbox(self, actor, query=None):
        member_id = require_member(actor)["id"]
        return self.queries.inbox(member_id, load_input(InboxQuerySchema, query),
                                  is_staff(actor))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def unread_count(self, actor):
        return {"unread": self.queries.unread(require_member(actor)["id"])}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def mark_read(self, actor, data):
        """Mark some (ids), all, or a private conversation's (`conversation_id`: the reader
        opened it or wrote in it) of my notifications read; idempotent. A conversation's are
        found here and recorded by their ids: the same `marked_read` as a choice of ids."""
        member_id = require_member(actor)["id"]
        data = load_input(MarkReadSchema, data)
        if data.get("all"):
            unread = self.queries.any_unread(member_id)
        elif data.get("ids"):
            unread = self.queries.unread_ids(member_id, data["ids"])
        else:
            unread = self.queries.unread_of_conversation(member_id, data["conversation_id"])
        if unread:
            every = bool(data.get("all"))
            payload = {"member_id": member_id, "ids": [] if every else unread,
                       "up_to_ts": int(time.time() * 1_000_000) if every else None}
            self._decide(f"inbox.{member_id}", lambda history: [
                NewEvent("notifications.marked_read", payload)], member_id)
        return {"unread": self.queries.unread(member_id)}

    # -- preferences ---------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_preferences(self, actor):
        return self.queries.preferences(require_member(actor)["id"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_preferences(self, actor, data):
        member_id = require_member(actor)["id"]
        self._change_preferences(member_id, load_input(PreferencesSchema, data), member_id)
        return self.queries.preferences(member_id)

    def _change_preferences(self, member_id: str, changes: dict[str, Any],
                            actor_id: str | None) -> None:
        self._decide(f"prefs.{member_id}", lambda history: domain.preferences_changed(
            member_id, history[-1].payload if history else None, changes), actor_id)

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
        types = [kind for kind in request.types
                 if kind in domain.TYPES and kind not in domain.ALWAYS_EMAILED]
        if confirm:
            self._change_preferences(request.member_id, {"types": {
                kind: {"email": "off"} for kind in types}}, None)
        return {"unsubscribed": bool(confirm), "types": types}

    # -- GDPR: the member's export ----------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_member(self, actor):
        """What notifications holds about the member (GDPR export): their preferences and every
        notification in their inbox, newest first, as the inbox shows them."""
        return self.queries.export(require_member(actor)["id"], is_staff(actor))

    # -- operations ----------------------------------------------------------------------------

    @rpc
    def deliver_now(self, digests: bool = False) -> dict[str, int]:
        """One delivery pass now (with `digests`: every waiting digest now, whatever the
        members' hours)."""
        return self.delivery.deliveries.pass_once(digests=digests)

    # -- events --------------------------------------------------------------------------------

    def _received(self, event: Envelope) -> None:
        self._received_all([event])

    def _received_all(self, events: list[Envelope]) -> None:
        """What waits in a queue, applied together (`batch=True`); one wake-up of the delivery
        pass for them all."""
        if self.views.record_and_apply_all(events) and any(
                event.type in MAY_NOTIFY for event in events):
            self.delivery.nudge()

    @reliable_handler("notifications", "notifications.*", private=True, idempotent=True)
    def project(self, event: Envelope):
        self.views.apply(event)

    @reliable_handler("posts", "posts.*", idempotent=True, batch=True,
                      only=public_events_but(REPLY_VOTE_EVENTS, CATEGORY_EVENTS))
    def on_posts_event(self, events: list[Envelope]):
        """Posts' and replies' streams and votes on posts; votes on replies and categories are
        streams of their own that notifications does not use: not bound."""
        self._received_all(events)

    @reliable_handler("moderation", "moderation.*", idempotent=True, batch=True)
    def on_moderation_event(self, events: list[Envelope]):
        self._received_all(events)

    @reliable_handler("conversations", "conversations.*", idempotent=True, batch=True)
    def on_conversations_event(self, events: list[Envelope]):
        """References only (who wrote in which conversation): never a message's text."""
        self._received_all(events)

    @reliable_handler("feeds", "feeds.*", idempotent=True, batch=True)
    def on_feeds_event(self, events: list[Envelope]):
        self._received_all(events)

    @reliable_handler("identity", "identity.*")
    def on_identity_event(self, event: Envelope):
        self._received(event)
        if event.type == members.USER_ERASED:  # the outboxes are no read model: purge them
            self.delivery.deliveries.forget_member(event.payload["user_id"])

    @reliable_handler("identity", "identity.*", private=True, idempotent=True)
    def on_identity_private_event(self, event: Envelope):
        """The account stream (e-mail address; password and session facts are recorded too,
        so the stream has no gap): contacts are kept here and never logged. A reset or address
        confirmation link goes to the mail outbox, never to the inbox (delivery.py says why);
        here rather than in the projection, so that a replay sends no old link."""
        self._received(event)
        if event.type in LINK_MAILS and self.delivery.deliveries.queue_link(event):
            self.delivery.nudge()

