"""Notifications: event payload schemas (registered, versioned) and RPC argument schemas.

Notifications' own events are a member's settings and reading state, PRIVATE
(``notifications.private``: no other bank system needs them):

- ``prefs.<member>``: ``notifications.preferences_changed`` — the member's complete choices
  after the change (types they changed; the rest are defaults);
- ``inbox.<member>``: ``notifications.marked_read`` — ids, or everything up to a moment.

Notifications themselves are derived from other services' events (read model ``inbox``).
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.shared.payloads import REGISTRY
from services.shared.validation import time_zone

from .domain import ALWAYS_EMAILED, EMAIL_MODES, TYPES


class ChannelChoice(Schema):
    in_app = fields.Boolean(metadata={"description": "always true: the inbox cannot be turned "
                                      "off"})
    email = fields.String(validate=validate.OneOf(EMAIL_MODES),
                          metadata={"description": "off | immediate | daily (digest)"})
    push = fields.Boolean()

    @validates_schema
    def _inbox_stays(self, data, **kwargs):
        if data.get("in_app") is False:
            raise ValidationError("in-app notifications cannot be turned off", "in_app")


def _by_type(**kwargs):
    return fields.Dict(keys=fields.String(validate=validate.OneOf(TYPES)),
                       values=fields.Nested(ChannelChoice), **kwargs)


class DigestChoice(Schema):
    hour = fields.Integer(validate=validate.Range(min=0, max=23), metadata={
        "description": "local hour the daily digest is sent at (0-23)"})
    timezone = fields.String(validate=[validate.Length(max=64), time_zone], metadata={
        "description": "IANA time zone, e.g. Europe/Paris"})


@REGISTRY.register("notifications.preferences_changed", version=1, private=True)
class PreferencesChangedV1(Schema):
    member_id = fields.String(required=True)
    types = _by_type(required=True)  # every type the member ever set, as now set


@REGISTRY.register("notifications.preferences_changed", version=2, private=True)
class PreferencesChangedV2(Schema):
    """Version 2 adds the digest's local hour and time zone (null: the defaults)."""

    member_id = fields.String(required=True)
    types = _by_type(required=True)  # every type the member ever set, as now set
    digest = fields.Nested(DigestChoice, required=True, allow_none=True)


@REGISTRY.upcaster("notifications.preferences_changed", from_version=1)
def _preferences_v1_to_v2(payload):
    return {**payload, "digest": None}


@REGISTRY.register("notifications.marked_read", version=1, private=True)
class MarkedReadV1(Schema):
    member_id = fields.String(required=True)
    ids = fields.List(fields.String(), required=True)
    up_to_ts = fields.Integer(required=True, allow_none=True)  # "all": everything until then


# --- RPC / HTTP arguments ----------------------------------------------------------------------

class InboxQuerySchema(Schema):
    unread = fields.Boolean(metadata={"description": "true: only unread notifications"})
    language = fields.String(validate=validate.OneOf(("fr", "en")), metadata={
        "description": "the language of `text` (the reader's, e.g. the site's); default: the "
                       "member's profile language, else French"})
    cursor = fields.String(allow_none=True, validate=validate.Length(max=500))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class MarkReadSchema(Schema):
    ids = fields.List(fields.String(validate=validate.Length(min=1, max=200)),
                      validate=validate.Length(min=1, max=200))
    all = fields.Boolean(metadata={"description": "true: every notification I have now"})
    conversation_id = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "every notification I have about this private conversation (its page "
                       "was opened, I answered in it)"})

    @validates_schema
    def _one_of(self, data, **kwargs):
        if sum(bool(data.get(name)) for name in ("ids", "all", "conversation_id")) != 1:
            raise ValidationError("give one of ids, all: true or conversation_id", "_schema")


class PreferencesSchema(Schema):
    types = _by_type(load_default=dict, metadata={
        "description": "per notification type, the channels to change (others keep theirs); "
                       "`account_security` e-mails are always sent at once (400 for another "
                       "choice)"})
    digest = fields.Nested(DigestChoice, metadata={
        "description": "when the daily digest is sent: local hour and time zone"})

    @validates_schema
    def _something(self, data, **kwargs):
        if not data.get("types") and not data.get("digest"):
            raise ValidationError("give types and/or digest", "_schema")

    @validates_schema
    def _security_stays_on(self, data, **kwargs):
        """Account-security e-mails go out at once, always (domain.ALWAYS_EMAILED)."""
        if any(((data.get("types") or {}).get(kind) or {}).get("email") not in
               (None, "immediate") for kind in ALWAYS_EMAILED):
            raise ValidationError("account security e-mails cannot be turned off", "types")


class UnsubscribeQuerySchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=10, max=2000), metadata={
        "description": "the signed token of the List-Unsubscribe link"})
