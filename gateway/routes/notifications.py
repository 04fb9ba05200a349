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
)

from ..http import Call, route

TAGS = ["notifications"]


class Notification(Schema):
    id = fields.String(required=True)
    type = fields.String(metadata={"description": "reply | answer_accepted | mention | "
                                   "followed_activity | watched_activity | idea_status | "
                                   "moderation | private_message | sla_breach"})
    text = fields.String(metadata={"description": "what happened, one line"})
    link = fields.String(metadata={"description": "where to look"})
    read = fields.Boolean()
    at = fields.String()
    actor_id = fields.String(allow_none=True)
    actor_name = fields.String(allow_none=True)
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
                                                        "rejected | redacted"})
    reason = fields.String(allow_none=True, metadata={"description": "moderation: why it was "
                                                      "rejected"})
    channel = fields.String(allow_none=True, metadata={"description": "sla_breach: site | "
                                                       "social | private"})
    email = fields.String(allow_none=True, metadata={"description": "how it is e-mailed: off | "
                                                     "immediate | daily"})
    push = fields.Boolean()


class Inbox(Schema):
    items = fields.List(fields.Nested(Notification), required=True)
    next_cursor = fields.String(allow_none=True)
    unread = fields.Integer(required=True)


class Unread(Schema):
    unread = fields.Integer(required=True)


class NotificationPreferences(Schema):
    types = fields.Dict(keys=fields.String(), values=fields.Nested(ChannelChoice),
                        required=True)


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
        """Mark notifications read: `{"ids": [...]}` or `{"all": true}` (idempotent)"""
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
