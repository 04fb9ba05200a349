"""Moderation: event payload schemas (registered, versioned) and RPC argument schemas.

Streams (docs/asyncapi.yaml documents every type):

- review item ``<target_id>.r<revision>``: the review of one submitted text (a post or reply,
  first version or edit). PUBLIC: ``item_held`` then a decision, or ``item_approved`` (auto);
  ``item_withdrawn`` when nothing is left to decide (its author erased their account, or the
  contribution is gone).
- flag item ``<target_id>.flags``: members' flags on a published post or reply, the hold when
  enough trusted members flagged it (or, when a flagger of the round has been hiding many
  contributions lately, ``item_escalated``: queued for the CMs, still visible), the CM
  decision, then maybe a new round; ``item_withdrawn`` when the contribution is deleted or
  refused otherwise. PUBLIC.
- ``policy``: ``policy_changed``. PUBLIC.
- ``member.<member_id>``: ``member_noted`` — PRIVATE (``moderation.private``), CM notes on a member.
- ``flag-words.<target_id>.<round>.<flagger_id>``: ``flag_explained`` — PRIVATE, a flagger's own
  words on why (their flag, on the flag item's public stream, carries the reason only).
- ``sla.<clock_id>``: ``sla_breached`` — PUBLIC (no content), for CM alerts; a clock is a
  question (id = the post id) or a wait in a conversation (``conv.<conversation>.<message>``).
- ``sla-targets``: ``sla_targets_changed`` — PUBLIC, the CM-edited response-time targets.

No payload here ever carries the text a member submitted before it was released, nor the
original of a redacted text: ``item_redacted`` carries the *redacted* version only. The original
stays in moderation's restricted audit trail (read by CMs/admins through ``audit``).
"""
from __future__ import annotations

import re
from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from services.shared.payloads import REGISTRY
from services.shared.periods import check_period
from services.shared.validation import FilledString, multi_line, single_line, time_zone

from . import sla

REVIEWS = ("content", "flags")
QUEUE_FILTERS = ("detector", "policy", "flags", "edit")
# staff: a CM took it out of public view from its thread; undo: a CM undid the decision that
# had left it public (domain.take_down)
HOLD_REASONS = ("policy", "detector", "flags", "staff", "undo", "sent_again")
CM_HOLD_REASONS = ("staff", "undo")  # the holds a CM made, not flags nor a rule
ESCALATION_REASONS = ("mass_flagging",)
POLICY_RULES = ("global", "category", "new_member")
DECISIONS = ("approve", "reject", "redact")
REJECT_REASONS = {
    "spam": "Spam or advertising",
    "off_topic": "Off topic for this community",
    "abusive": "Abusive, insulting or discriminating content",
    "confidential_data": "Contains personal or banking data that cannot be published",
    "duplicate": "Duplicate of an existing contribution",
    "not_compliant": "Not compliant with the community rules",
    "other": "Refused by the community managers",
}
FLAG_REASONS = ("spam", "abusive", "off_topic", "confidential_data", "misinformation", "other")
FLAG_WORDS_MAX = 500  # a flagger's own words: a few sentences, what the reasons do not say
# the refusal a flag reason calls for (the reason shown to the author when a CM agrees with the
# flaggers): the same code, but misinformation, which the community rules cover
FLAG_REJECT_REASONS = {reason: reason if reason in REJECT_REASONS else "not_compliant"
                       for reason in FLAG_REASONS}
# why an item was withdrawn from the queue with no decision: its contribution was deleted or
# refused otherwise (by another item's decision), its author erased their account, (an edit)
# a later revision of the text was published over it, or (a text never published) its author
# sent a corrected version while it waited (`resubmitted`: the CMs review that one instead)
WITHDRAWAL_CAUSES = ("contribution_deleted", "contribution_rejected", "member_erased",
                     "edit_superseded", "resubmitted")
DETECTOR_KINDS = ("iban", "rib", "card_number", "email", "account_number", "phone",
                  "customer_number", "card_expiry", "card_security_code", "pin_code", "password")
# What a CM may approve as written once they state it is not confidential (a bank's public
# number, an agency's address): contact details. Every other kind the detector finds (bank
# identifiers) is never approved: it is redacted or the text rejected (domain.decide).
CONFIRMABLE_KINDS = ("email", "phone")


def _ident(**kwargs):
    return fields.String(validate=validate.Length(min=1, max=200), **kwargs)


class _Item(Schema):
    """What every item event says about the item under review."""

    item_id = _ident(required=True)
    review = fields.String(required=True, validate=validate.OneOf(REVIEWS))
    target_type = fields.String(required=True, validate=validate.OneOf(["post", "reply"]))
    target_id = _ident(required=True)
    post_id = _ident(required=True)  # the post, or the reply's post
    revision = fields.Integer(required=True)  # the reviewed revision (flags: the visible one)
    author_id = _ident(required=True)  # author of the contribution
    # content: who submitted the revision, when known (a CM may edit another's text)
    submitted_by = _ident()


@REGISTRY.register("moderation.item_held", version=1)
class ItemHeldV1(_Item):
    reasons = fields.List(fields.String(validate=validate.OneOf(HOLD_REASONS)), required=True)
    policy_rules = fields.List(fields.String(validate=validate.OneOf(POLICY_RULES)),
                               required=True)
    detector_kinds = fields.List(fields.String(), required=True)  # kinds only, never values
    flag_count = fields.Integer(required=True)
    # reason undo: the item whose decision this takes back (optional: absent before undo)
    undoes = _ident()


@REGISTRY.register("moderation.item_escalated", version=1)
class ItemEscalatedV1(_Item):
    """Enough trusted flags to hide, but a flagger of the round has hidden many contributions
    lately: the CMs decide before anything is hidden (the contribution stays visible)."""

    reasons = fields.List(fields.String(validate=validate.OneOf(ESCALATION_REASONS)),
                          required=True)
    flag_count = fields.Integer(required=True)


@REGISTRY.register("moderation.item_approved", version=1)
class ItemApprovedV1(_Item):
    auto = fields.Boolean(required=True)  # True: nothing to hold, no CM involved


@REGISTRY.register("moderation.item_approved", version=2)
class ItemApprovedV2(ItemApprovedV1):
    """`not_confidential`: the kinds the detector finds in the approved text (e-mail, phone
    only) that the approving CM stated are not confidential; kinds only, never values."""

    not_confidential = fields.List(fields.String(validate=validate.OneOf(CONFIRMABLE_KINDS)),
                                   required=True)


@REGISTRY.upcaster("moderation.item_approved", from_version=1)
def _approved_v1_to_v2(payload):
    return {**payload, "not_confidential": []}


@REGISTRY.register("moderation.item_rejected", version=1)
class ItemRejectedV1(_Item):
    reason_code = fields.String(required=True, validate=validate.OneOf(list(REJECT_REASONS)))
    reason = fields.String(required=True)  # the label shown to the author


@REGISTRY.register("moderation.item_redacted", version=1)
class ItemRedactedV1(_Item):
    """The CM's redacted text, to be published with the "edited by the community team"
    mark. Never the original."""

    title = fields.String(required=True, allow_none=True)  # None for a reply
    body = fields.String(required=True)
    detector_kinds = fields.List(fields.String(), required=True)


@REGISTRY.register("moderation.item_redacted", version=2)
class ItemRedactedV2(ItemRedactedV1):
    """v2: `tags`, the post's tags as published — without those that made up what the
    detector found (None for a reply)."""

    tags = fields.List(fields.String(), required=True, allow_none=True)


@REGISTRY.upcaster("moderation.item_redacted", from_version=1)
def _redacted_v1_to_v2(payload):
    return {**payload, "tags": None}  # before v2 a redaction kept the tags as submitted


@REGISTRY.register("moderation.item_withdrawn", version=1)
class ItemWithdrawnV1(_Item):
    """Nothing left to decide: the item leaves the queue undecided and its text under review
    is dropped from moderation's views (no text here either). Posts is not asked to do
    anything: the contribution is already deleted or refused, or (`member_erased`) its
    author's pending text is never published."""

    cause = fields.String(required=True, validate=validate.OneOf(WITHDRAWAL_CAUSES))


@REGISTRY.register("moderation.item_flagged", version=1)
class ItemFlaggedV1(Schema):
    item_id = _ident(required=True)
    target_type = fields.String(required=True, validate=validate.OneOf(["post", "reply"]))
    target_id = _ident(required=True)
    post_id = _ident(required=True)
    author_id = _ident(required=True)
    flagger_id = _ident(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(FLAG_REASONS))
    trusted = fields.Boolean(required=True)  # staff, or a member trusted (domain.is_trusted)
    round = fields.Integer(required=True)  # a CM decision closes a round of flags


@REGISTRY.register("moderation.flag_explained", version=1, private=True)
class FlagExplainedV1(Schema):
    """A flagger's own words on why (`FlagSchema.details`), for the community team: a member's
    free text may name anyone or hold anything, so it never rides on the public flag event."""

    item_id = _ident(required=True)
    target_type = fields.String(required=True, validate=validate.OneOf(["post", "reply"]))
    target_id = _ident(required=True)
    flagger_id = _ident(required=True)
    round = fields.Integer(required=True)
    details = fields.String(required=True, validate=validate.Length(min=1, max=FLAG_WORDS_MAX))


def _policy_fields(required: bool) -> dict[str, fields.Field]:
    return {
        # everything waits for a CM
        "premoderation": fields.Boolean(required=required),
        "premoderated_categories": fields.List(
            fields.String(validate=[validate.Length(min=1, max=60), single_line]),
            required=required,
            validate=validate.Length(max=200)),
        # members with fewer approved contributions wait for a CM (0: off)
        "new_member_threshold": fields.Integer(required=required,
                                               validate=validate.Range(min=0, max=1000)),
        # trusted flags that hide a contribution pending review
        "flags_to_hide": fields.Integer(required=required, validate=validate.Range(min=1, max=100)),
        # approved contributions that make a member's flags trusted
        "trusted_min_approved": fields.Integer(required=required,
                                               validate=validate.Range(min=0, max=10000)),
        # ...and the age of their account, in days (policies saved before it existed lack it)
        "trusted_min_age_days": fields.Integer(validate=validate.Range(min=0, max=3650)),
        # the flags queue's response-time target, in hours (optional likewise)
        "flags_target_hours": fields.Integer(validate=validate.Range(min=1, max=720)),
    }


PolicySchema = Schema.from_dict(_policy_fields(True), name="PolicySchema")


@REGISTRY.register("moderation.policy_changed", version=1)
class PolicyChangedV1(Schema):
    policy = fields.Nested(PolicySchema, required=True)
    previous = fields.Nested(PolicySchema, required=True)


@REGISTRY.register("moderation.member_noted", version=1, private=True)
class MemberNotedV1(Schema):
    member_id = _ident(required=True)
    note_id = _ident(required=True)
    note = fields.String(required=True, validate=validate.Length(min=1, max=4000))


@REGISTRY.register("moderation.sla_breached", version=1)
class SlaBreachedV1(Schema):
    """A question has waited longer than its target for a first staff answer."""

    post_id = _ident(required=True)
    author_id = _ident(required=True)
    category = fields.String(required=True)
    channel = fields.String(required=True)
    published_at = fields.String(required=True)
    target_seconds = fields.Integer(required=True)


@REGISTRY.register("moderation.sla_breached", version=2)
class SlaBreachedV2(Schema):
    """A member has waited longer than the target for bank staff: a question on the site
    (`post_id`), or a private conversation or social case (`conversation_id`; ids only)."""

    clock_id = _ident(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(sla.CHANNELS))
    post_id = _ident(required=True, allow_none=True)
    conversation_id = _ident(required=True, allow_none=True)
    author_id = _ident(required=True)  # who waits: the question's author, the conversation's member
    staff_ids = fields.List(fields.String(), required=True)  # staff in the conversation
    category = fields.String(required=True, allow_none=True)
    # when the wait started: the member's submission of the question (held for review or not),
    # the member's message in a conversation
    published_at = fields.String(required=True)
    target_seconds = fields.Integer(required=True)
    business_hours = fields.Boolean(required=True)  # the target counts opening hours only


@REGISTRY.upcaster("moderation.sla_breached", from_version=1)
def _breach_v1_to_v2(payload):
    return {**payload, "clock_id": payload["post_id"], "conversation_id": None, "staff_ids": [],
            "business_hours": False}


# --- response-time targets (CM-edited) -----------------------------------------------------------

_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MAX_TARGET_SECONDS = 30 * 86400


def _iso_date(value: str) -> None:
    try:
        date.fromisoformat(value)
    except ValueError as error:
        raise ValidationError("a date, YYYY-MM-DD") from error


class ChannelTargetSchema(Schema):
    target_seconds = fields.Integer(required=True, validate=validate.Range(
        min=1, max=MAX_TARGET_SECONDS))
    business_hours = fields.Boolean(load_default=False, metadata={
        "description": "true: only the calendar's opening hours count"})


class CategoryTargetSchema(Schema):
    target_seconds = fields.Integer(required=True, validate=validate.Range(
        min=1, max=MAX_TARGET_SECONDS))
    business_hours = fields.Boolean(load_default=None, allow_none=True, metadata={
        "description": "null: as the site channel"})


class OpeningHoursSchema(Schema):
    open = fields.String(required=True, validate=validate.Regexp(_HHMM),
                         metadata={"example": "09:00"})
    close = fields.String(required=True, validate=validate.Regexp(_HHMM),
                          metadata={"example": "18:00"})

    @validates_schema
    def _closes_after_opening(self, data, **kwargs):
        if data["close"] <= data["open"]:
            raise ValidationError("closes after it opens", "close")


class CalendarSchema(Schema):
    timezone = fields.String(required=True, validate=time_zone,
                             metadata={"example": "Europe/Paris"})
    week = fields.Dict(keys=fields.String(validate=validate.OneOf(sla.WEEKDAYS)),
                       values=fields.Nested(OpeningHoursSchema), required=True,
                       metadata={"description": "opening hours per weekday (mon..sun); a day "
                                 "absent is closed"})
    holidays = fields.List(fields.String(validate=_iso_date), load_default=list,
                           validate=validate.Length(max=400),
                           metadata={"description": "closed dates, YYYY-MM-DD"})

    @validates("week")
    def _open_some_day(self, value, **kwargs):
        if not value:
            raise ValidationError("open at least one day a week")


def _targets_fields(required: bool) -> dict:
    return {
        "channels": fields.Dict(
            keys=fields.String(validate=validate.OneOf(sla.CHANNELS)),
            values=fields.Nested(ChannelTargetSchema), required=required,
            metadata={"description": "per channel: site (questions), social (social-media "
                      "cases), private (conversations)"}),
        "categories": fields.Dict(
            keys=fields.String(validate=[single_line, validate.Regexp(_SLUG)]),  # "$" allows "\n"
            values=fields.Nested(CategoryTargetSchema), required=required,
            metadata={"description": "site questions of a category: overrides the site "
                      "channel"}),
        "calendar": fields.Nested(CalendarSchema, required=required, metadata={
            "description": "business hours for targets counted in opening hours"}),
    }


SlaTargetsSchema = Schema.from_dict(_targets_fields(True), name="SlaTargetsSchema")
SlaTargetsUpdateSchema = Schema.from_dict(_targets_fields(False), name="SlaTargetsUpdateSchema")
"""PUT /moderation/sla/targets: the sections given replace the current ones (channels one by
one)."""



class ReplyTargetSchema(Schema):
    """GET /me/reply-target: the private conversations' target as a member reads it
    (`sla.member_reply_target`)."""

    target_seconds = fields.Integer(required=True, metadata={
        "description": "the bank's target for answering a private conversation", "example": 28800})
    business_hours = fields.Boolean(required=True, metadata={
        "description": "counted in the bank's opening hours only"})
    working_days = fields.Integer(allow_none=True, metadata={
        "description": "with business_hours, the target as a whole number of opening days, "
                       "when it is one; else null"})

@REGISTRY.register("moderation.sla_targets_changed", version=1)
class SlaTargetsChangedV1(Schema):
    targets = fields.Nested(SlaTargetsSchema, required=True)
    previous = fields.Nested(SlaTargetsSchema, required=True)


# --- RPC / HTTP arguments ----------------------------------------------------------------------

class DecisionSchema(Schema):
    """Each decision takes its own fields only (422 on a field of another decision: a reason
    code sent with an approval would publish what the CM meant to reject)."""

    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS), metadata={
        "description": "approve: publish as written (refused, 422, while the detector finds an "
                       "IBAN, RIB, card or account number: redact or reject instead)"})
    reason_code = fields.String(validate=validate.OneOf(list(REJECT_REASONS)),
                                metadata={"description": "reject only: shown to the author"})
    not_confidential = fields.List(
        fields.String(validate=validate.OneOf(CONFIRMABLE_KINDS)),
        validate=validate.Length(max=len(CONFIRMABLE_KINDS)), metadata={
            "description": "approve only: the contact details the detector finds (email, "
                           "phone) that you checked may be public, e.g. the bank's customer "
                           "service number; required for each of them to approve, recorded "
                           "in the audit trail"})
    title = fields.String(validate=[validate.Length(min=1, max=200), single_line],
                          metadata={"description": "redact only (posts): the redacted title; "
                                    "default: the proposed masked title"})
    body = fields.String(validate=[validate.Length(min=1, max=20000), multi_line],
                         metadata={"description": "redact only: the redacted text (start from "
                                   "the item's proposal)"})


PolicyUpdateSchema = Schema.from_dict(_policy_fields(False), name="PolicyUpdateSchema")
"""PUT /moderation/policy: any subset of the policy's fields."""


class TakeDownSchema(Schema):
    """POST /posts/{id}/removal, /replies/{id}/removal: a CM's refusal of a public text."""

    reason_code = fields.String(required=True, validate=validate.OneOf(list(REJECT_REASONS)),
                                metadata={"description": "shown to the author"})


class FlagSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(FLAG_REASONS))
    details = FilledString(validate=[validate.Length(max=FLAG_WORDS_MAX), multi_line], metadata={
        "description": "what is wrong, in the member's words (optional; the site asks for them "
                       "with the reason `other`): read by the community team only, never "
                       "published nor on a public exchange"})


class NoteSchema(Schema):
    note = FilledString(required=True, validate=[validate.Length(min=1, max=4000), multi_line])


class QueueQuerySchema(Schema):
    review = fields.String(validate=validate.OneOf(REVIEWS))
    reason = fields.String(validate=validate.OneOf(QUEUE_FILTERS), metadata={
        "description": "detector: held by the confidential-data detector; policy: by "
                       "pre-moderation; flags: flagged contributions; edit: revision 2 and "
                       "later (edits of published contributions, and texts sent again after a "
                       "refusal)"})
    cursor = fields.String(allow_none=True, validate=validate.Length(max=500))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class SlaQuerySchema(Schema):
    channel = fields.String(validate=validate.OneOf(sla.CHANNELS), metadata={
        "description": "list only the waiting clocks of this channel"})
    category = fields.String(validate=[single_line, validate.Regexp(_SLUG)], metadata={
        "description": "list only the waiting questions of this category"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200), metadata={
        "description": "how many waiting clocks to list, oldest first"})
    cursor = fields.String(allow_none=True, validate=validate.Length(max=500), metadata={
        "description": "the next page of waiting clocks (`next_cursor` of the previous one)"})


class SlaStatisticsQuerySchema(Schema):
    category = fields.String(validate=[single_line, validate.Regexp(_SLUG)], metadata={
        "description": "only the site questions of this category (the other channels have "
                       "no category)"})
    since = fields.AwareDateTime(metadata={
        "description": "with until: one window, the clocks first answered in [since, until), "
                       "instead of the last 7 and 30 days"})
    until = fields.AwareDateTime()

    @validates_schema
    def _a_whole_period(self, data, **kwargs):
        if ("since" in data) != ("until" in data):
            raise ValidationError("give since and until together", "until")
        if "since" in data:
            check_period(data["since"], data["until"])


class MemberPageQuerySchema(Schema):
    """A page of one member's contributions or flags, newest first."""
    cursor = fields.String(allow_none=True, validate=validate.Length(max=500), metadata={
        "description": "the next page (`next_cursor` of the previous one)"})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


MEMBER_FLAG_SIDES = ("on", "by")


class MemberFlagsQuerySchema(MemberPageQuerySchema):
    side = fields.String(load_default="on", validate=validate.OneOf(MEMBER_FLAG_SIDES), metadata={
        "description": "on: flags raised on the member's contributions; by: flags the member "
                       "raised on others'"})


class AuditQuerySchema(Schema):
    target_id = fields.String(validate=validate.Length(max=200))
    actor_id = fields.String(validate=validate.Length(max=200))
    action = fields.String(validate=validate.Length(max=60))
    cursor = fields.String(allow_none=True, validate=validate.Length(max=500))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
