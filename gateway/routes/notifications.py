"""Notifications routes: my inbox (list, unread count, mark read) and my notification preferences
(RPC to notifications)."""
from __future__ import annotations

from marshmallow import Schema, fields
from nameko.rpc import RpcProxy

from services.notifications.schemas import (
    ChannelChoice,
    InboxQuerySchema,
    MarkReadSchema,
    PreferencesSchema,
    UnsubscribeQuerySchema,
)

from ..calls import Call
from ..http import route
from .identity import MemberSummary

TAGS = ["notifications"]


class Notification(Schema):
    id = fields.String(required=True)
    type = fields.String(metadata={"description": "reply | answer_accepted | mention | "
                                   "followed_activity | watched_activity | idea_status | "
                                   "moderation | private_message | sla_breach"})
    text = fields.String(metadata={"description": "what happened, one line"})
    link = fields.String(metadata={"description": "where to look: a page of the site (a "
                                   "reply's is /replies/{id}, which opens the page of its "
                                   "thread that holds it, at the reply; a conversation's is "
                                   "/conversations/{id} for its customer (even one who holds "
                                   "a staff role), /console/conversations/{id} for the other "
                                   "participants while they hold a staff role, by the reader's "
                                   "roles when read)"})
    read = fields.Boolean()
    at = fields.String()
    actor_id = fields.String(allow_none=True)
    actor_name = fields.String(allow_none=True)
    author = fields.Nested(MemberSummary, allow_none=True, metadata={
        "description": "who acted, as a public summary; null for a decision of the community "
                       "team"})
    post_id = fields.String(allow_none=True)
    reply_id = fields.String(allow_none=True)
    conversation_id = fields.String(allow_none=True, metadata={"description": "private_message"})
    kind = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    status = fields.String(allow_none=True, metadata={"description": "idea_status: the new one"})
    merged_into = fields.String(allow_none=True, metadata={
        "description": "idea_status of a merged idea: the idea its votes and followers moved "
                       "to (`link` points there)"})
    decision = fields.String(allow_none=True, metadata={"description": "moderation: approved | "
                                                        "rejected | redacted | edited (a CM "
                                                        "edited the member's text)"})
    reason = fields.String(allow_none=True, metadata={"description": "moderation: why it was "
                                                      "rejected"})
    channel = fields.String(allow_none=True, metadata={"description": "sla_breach: site | "
                                                       "social | private; private_message: "
                                                       "the social network of a mention "
                                                       "(twitter, facebook...), null for a "
                                                       "message"})
    email = fields.String(allow_none=True, metadata={"description": "how it is e-mailed: off | "
                                                     "immediate | daily"})
    push = fields.Boolean()


class Inbox(Schema):
    items = fields.List(fields.Nested(Notification), required=True)
    next_cursor = fields.String(allow_none=True)
    unread = fields.Integer(required=True)


class Unread(Schema):
    unread = fields.Integer(required=True)


class DigestSettings(Schema):
    hour = fields.Integer(required=True, metadata={"description": "local hour (0-23)"})
    timezone = fields.String(required=True, metadata={"example": "Europe/Paris"})


class NotificationPreferences(Schema):
    types = fields.Dict(keys=fields.String(), values=fields.Nested(ChannelChoice),
                        required=True)
    digest = fields.Nested(DigestSettings, required=True, metadata={
        "description": "when the daily digest (e-mail `daily`) is sent"})


class Unsubscribed(Schema):
    unsubscribed = fields.Boolean(required=True, metadata={
        "description": "true: e-mail is now off for `types` (POST); false: what POST would do"})
    types = fields.List(fields.String(), required=True)


class NotificationsRoutes:
    notifications = RpcProxy("notifications")

    @route("GET", "/api/v1/me/notifications", auth="member", query=InboxQuerySchema,
           response=Inbox, tags=TAGS)
    def list_notifications(self, call: Call):
        """My notifications, newest first (`unread=true`: only unread ones)"""
        return self.notifications.inbox(call.actor, call.query)

    @route("GET", "/api/v1/me/notifications/unread-count", auth="member", response=Unread,
           tags=TAGS)
    def unread_notifications(self, call: Call):
        """How many of my notifications are unread"""
        return self.notifications.unread_count(call.actor)

    @route("POST", "/api/v1/me/notifications/read", auth="member", body=MarkReadSchema,
           response=Unread, tags=TAGS, errors=[409])
    def mark_notifications_read(self, call: Call):
        """Mark notifications read: `{"ids": [...]}`, `{"all": true}` or `{"conversation_id": ...}`

        Idempotent. `conversation_id`: my notifications about that private conversation (the
        site marks them when its page is opened or a message is sent in it).
        """
        return self.notifications.mark_read(call.actor, call.body)

    @route("GET", "/api/v1/me/notification-preferences", auth="member",
           response=NotificationPreferences, tags=TAGS)
    def get_notification_preferences(self, call: Call):
        """My channels per notification type (in-app is always on)"""
        return self.notifications.get_preferences(call.actor)

    @route("PUT", "/api/v1/me/notification-preferences", auth="member", body=PreferencesSchema,
           response=NotificationPreferences, tags=TAGS, errors=[409])
    def set_notification_preferences(self, call: Call):
        """Change channels for some types: e-mail off | immediate | daily (digest), push on/off

        Types not mentioned keep their settings.
        """
        return self.notifications.set_preferences(call.actor, call.body)

    # -- one-click unsubscribe (RFC 8058): the link of every e-mail's List-Unsubscribe header

    @route("POST", "/api/v1/unsubscribe", auth="public", query=UnsubscribeQuerySchema,
           response=Unsubscribed, tags=TAGS, idempotent=False)
    def unsubscribe(self, call: Call):
        """One-click unsubscribe from an e-mail (RFC 8058), no sign-in needed

        The mail client POSTs `List-Unsubscribe=One-Click` (any body is ignored) to the URL of
        the mail's `List-Unsubscribe` header. Its signed, expiring `token` names one member and
        the notification types of that mail; e-mail is turned off for those types only (in-app
        stays). An invalid or expired token answers 400.
        """
        return self.notifications.unsubscribe(call.query, True)

    @route("GET", "/api/v1/unsubscribe", auth="public", query=UnsubscribeQuerySchema,
           response=Unsubscribed, tags=TAGS)
    def unsubscribe_preview(self, call: Call):
        """What the unsubscribe link would turn off, without doing it (link scanners GET)"""
        return self.notifications.unsubscribe(call.query, False)
