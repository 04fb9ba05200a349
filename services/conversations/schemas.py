"""conversations: RPC arguments and event payloads.

Every event is public (``conversations.events``) because none carries content: ids only.
Staff's saved replies' events are private (``conversations.private``): ids only too, but
what a staff member keeps for themselves is nobody else's business.
The subject and bodies stay in the service's own ``messages`` collection.
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

# `id_kinds`: a schema below has a field named `ids`, which would shadow the module in its class
from services.shared import ids as id_kinds
from services.shared.payloads import REGISTRY
from services.shared.validation import FilledString, multi_line, single_line

from . import domain, saved_replies

SUBJECT_MAX = 200
BODY_MAX = 10000
CHANNELS = ("twitter", "x", "facebook", "instagram", "linkedin", "trustpilot", "other")
# the networks' own names, the same in every language (the notices and the console say them);
# "other" has none: each reader's words ("les réseaux sociaux", "un réseau social")
NETWORK_NAMES = {"twitter": "Twitter", "x": "X", "facebook": "Facebook",
                 "instagram": "Instagram", "linkedin": "LinkedIn", "trustpilot": "Trustpilot"}


def _ident(**kwargs):
    return fields.String(validate=validate.Length(min=1, max=120), **kwargs)


# -- events (public: references only) ----------------------------------------------------------

@REGISTRY.register(domain.STARTED, version=1)
class ConversationStartedV1(Schema):
    conversation_id = _ident(required=True)
    member_id = _ident(required=True)  # or "external:<channel>" for an unmatched social case
    participant_ids = fields.List(fields.String(), required=True)
    pool = fields.String(allow_none=True, required=True)  # "staff": waiting in the staff queue
    origin = fields.String(required=True, validate=validate.OneOf(domain.ORIGINS))
    post_id = _ident()   # escalation: the public post
    channel = fields.String(validate=validate.OneOf(CHANNELS))  # social
    advisor_id = _ident(allow_none=True)  # the member's advisor among the participants


@REGISTRY.register(domain.MESSAGE_POSTED, version=1)
class MessagePostedV1(Schema):
    conversation_id = _ident(required=True)
    message_id = _ident(required=True)
    author_id = _ident(required=True)
    participant_ids = fields.List(fields.String(), required=True)  # whom to notify
    # the customer's side: a staff member who is a customer reads their own conversation on
    # the member's page (absent from the messages written before it was carried)
    member_id = _ident()
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    # the member's advisor among the participants when it was written (the conversation's
    # `advisor_id`), None when there is none: the customer's notice names their advisor;
    # absent from the messages written before it was carried
    advisor_id = _ident(allow_none=True)


@REGISTRY.register(domain.PARTICIPANT_ADDED, version=1)
class ParticipantAddedV1(Schema):
    conversation_id = _ident(required=True)
    participant_id = _ident(required=True)
    added_by = _ident(required=True)
    participant_ids = fields.List(fields.String(), required=True)
    staff_ids = fields.List(fields.String())  # staff participants (1.6.0: live channel)


@REGISTRY.register(domain.ESCALATED, version=1)
class EscalatedV1(Schema):
    """A public post is being handled privately (for posts to mark the thread)."""

    conversation_id = _ident(required=True)
    post_id = _ident(required=True)
    escalated_by = _ident(required=True)


@REGISTRY.register(domain.ADVISOR_CHANGED, version=1)
class AdvisorChangedV1(Schema):
    """The member was assigned another advisor: the new one joins, the former one leaves."""

    conversation_id = _ident(required=True)
    member_id = _ident(required=True)
    advisor_id = _ident(required=True)
    former_advisor_id = _ident(required=True, allow_none=True)
    participant_ids = fields.List(fields.String(), required=True)


@REGISTRY.register(domain.WAIT_SETTLED, version=1)
class WaitSettledV1(Schema):
    """Staff marked the conversation handled: its customer's messages up to `up_to_message_id`
    need no reply (it stops waiting for staff; its response-time clock stops, not answered).
    The time is the envelope's `occurred_at`."""

    conversation_id = _ident(required=True)
    settled_by = _ident(required=True)
    up_to_message_id = _ident(required=True)
    staff_ids = fields.List(fields.String())  # staff participants (1.6.0: live channel)


@REGISTRY.register(domain.NOTE_ADDED, version=1)
class NoteAddedV1(Schema):
    """Staff left an internal note on the conversation (its body stays in the service's
    ``notes``; never shown to the customer, who is not told). The time is the envelope's."""

    conversation_id = _ident(required=True)
    note_id = _ident(required=True)
    author_id = _ident(required=True)
    staff_ids = fields.List(fields.String())  # staff participants (1.6.0: live channel)


@REGISTRY.register(saved_replies.SAVED, version=1, private=True)
class SavedReplySavedV1(Schema):
    """A staff member saved a reply of their own (its title and body stay in the service's
    ``saved_reply_texts``). PRIVATE (``conversations.private``): nobody else's business."""

    user_id = _ident(required=True)
    saved_reply_id = _ident(required=True)


@REGISTRY.register(saved_replies.REMOVED, version=1, private=True)
class SavedReplyRemovedV1(Schema):
    """A staff member removed one of their saved replies (its text is deleted). PRIVATE."""

    user_id = _ident(required=True)
    saved_reply_id = _ident(required=True)


@REGISTRY.register(domain.PARTICIPANT_LEFT, version=1)
class ParticipantLeftV1(Schema):
    """A colleague who had been brought in left: they read nothing more of it."""

    conversation_id = _ident(required=True)
    participant_id = _ident(required=True)
    participant_ids = fields.List(fields.String(), required=True)  # those who remain
    staff_ids = fields.List(fields.String())  # those who remain but its customer (1.6.0)


# -- RPC arguments (also the gateway's request schemas) ------------------------------------------

class ConversationCreateSchema(Schema):
    subject = FilledString(required=True,
                           validate=[validate.Length(min=3, max=SUBJECT_MAX), single_line])
    message = FilledString(required=True,
                           validate=[validate.Length(min=1, max=BODY_MAX), multi_line])


class MessageCreateSchema(Schema):
    body = FilledString(required=True, validate=[validate.Length(min=1, max=BODY_MAX), multi_line])


class NoteCreateSchema(Schema):
    """A staff's internal note: limits as a message's."""
    body = FilledString(required=True, validate=[validate.Length(min=1, max=BODY_MAX), multi_line])


class SavedReplyCreateSchema(Schema):
    """A staff member's saved reply: a short title to find it, a body as long as a message."""
    title = FilledString(required=True, validate=[
        validate.Length(min=1, max=saved_replies.TITLE_MAX), single_line])
    body = FilledString(required=True, validate=[validate.Length(min=1, max=BODY_MAX), multi_line])


class EscalateSchema(Schema):
    message = fields.String(load_default=None, allow_none=True,
                            validate=[validate.Length(min=1, max=BODY_MAX), multi_line])


class ParticipantSchema(Schema):
    """Who to bring in: their user id, or their e-mail address (what a colleague knows)."""

    user_id = id_kinds.USER.field()
    email = fields.String(validate=[validate.Length(min=3, max=254), single_line], metadata={
        "description": "instead of user_id: the colleague's verified e-mail address; an "
                       "address of no staff member is refused (422, on `email`), and one of "
                       "a colleague already taking part is a 409"})

    @validates_schema
    def _one_of(self, data, **kwargs):
        if ("user_id" in data) == ("email" in data):
            raise ValidationError("give user_id or email (one of them)", "user_id")


class MentionSchema(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    external_id = fields.String(required=True, validate=[validate.Length(min=1, max=200),
                                                         single_line], metadata={
        "description": "the sending system's id of the mention, unique across its channels: "
                       "sent again by the same system, whatever else differs, the mention "
                       "changes nothing and the answer is the first one with "
                       "`duplicate: true`"})
    handle = fields.String(required=True, validate=[validate.Length(min=1, max=200), single_line])
    text = fields.String(required=True, validate=[validate.Length(min=1, max=BODY_MAX), multi_line])
    member_id = _ident(load_default=None, allow_none=True, metadata={
        "description": "the member the mention is from, by the id identity gave them; an id "
                       "that names no member is refused (422), never an unmatched case"})
    # matched by the hash of the address normalised as identity does (spaces, case)
    matched_email = fields.String(load_default=None, allow_none=True,
                                  validate=[validate.Length(min=3, max=254), single_line],
                                  metadata={"description": "used when no member_id is given; "
                                            "an address that matches nobody makes an "
                                            "unmatched case (staff queue)"})


class PageQuerySchema(Schema):
    cursor = fields.String(allow_none=True, validate=validate.Length(max=500))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


# a conversation's side: its customer, or staff answering them
SIDES = (CUSTOMER_SIDE, STAFF_SIDE) = ("customer", "staff")
# conversations asked for by id in one list (`ids`): a screen's worth, read by `_id`
IDS_MAX = 100


class ConversationsQuerySchema(PageQuerySchema):
    sort = fields.String(load_default="recent", validate=validate.OneOf(("recent", "waiting")),
                         metadata={"description": "recent: most recently active first; "
                                   "waiting (the advisors' inbox): those waiting for staff "
                                   "first, the longest wait first, then the others by last "
                                   "activity"})
    side = fields.String(validate=validate.OneOf(SIDES), metadata={
        "description": "customer: only the conversations you are the customer of (yours as a "
                       "member, whatever roles you hold); staff: only those you answer as staff "
                       "(the others you take part in; CMs and admins: the staff queue too); "
                       "absent: all of them"})
    customer = id_kinds.USER.field()
    customer.metadata["description"] = (
        "a user id: only the conversations with this customer among those you may read; "
        "`customer` in the answer names them, or is null (and the list empty) for an id you "
        "may not see, whoever it names")
    ids = fields.List(id_kinds.CONVERSATION.field(), validate=validate.Length(min=1, max=IDS_MAX),
                      metadata={"description": (
                          f"conversation ids (1 to {IDS_MAX}; repeat the parameter): only these, "
                          "among those you may read — the others are left out, as if they did "
                          "not exist; the access audit records a list of those returned only")})


class MessagesQuerySchema(PageQuerySchema):
    """A page of one conversation's messages: from the oldest (the default), from the newest
    (`order=desc`: a chat's last page, then older ones with its cursor), or what came after a
    message already shown (`after`: a live catch-up, oldest first)."""
    order = fields.String(load_default="asc", validate=validate.OneOf(("asc", "desc")), metadata={
        "description": "asc: oldest first; desc: newest first, `next_cursor` pages back to "
                       "older messages"})
    after = fields.String(load_default=None, allow_none=True,
                          validate=validate.Length(min=1, max=120), metadata={
        "description": "a message id of this conversation: only the messages that came after "
                       "it, oldest first (with `order=asc`)"})


# an advisor's filter of their customers by name (`CustomersQuerySchema.q`): a name's length
NAME_FILTER_MAX = 100


class CustomersQuerySchema(PageQuerySchema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    activity = fields.Integer(load_default=5, validate=validate.Range(min=0, max=20), metadata={
        "description": "recent public contributions shown per customer"})
    q = fields.String(load_default=None, validate=validate.Length(max=NAME_FILTER_MAX),
                      metadata={"description": (
                          "only the customers whose name holds this text, whatever its case "
                          "and accents (« helene » finds « Hélène »), in the whole portfolio; "
                          "the cursor pages through those")})
