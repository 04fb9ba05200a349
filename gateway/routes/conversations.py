"""Private dialogue routes: conversations between a member and bank staff, escalation of a
public post, social-listening intake (RPC to conversations).

Bodies are validated with the conversations service's own schemas; who may read or write a
conversation is decided by the service (participants only; anyone else gets 404).
"""
from __future__ import annotations

from marshmallow import Schema, fields
from nameko.rpc import RpcProxy

from services.conversations.saved_replies import ID as SAVED_REPLY_ID
from services.conversations.schemas import (
    ConversationCreateSchema,
    ConversationsQuerySchema,
    CustomersQuerySchema,
    EscalateSchema,
    MentionSchema,
    MessageCreateSchema,
    MessagesQuerySchema,
    NoteCreateSchema,
    PageQuerySchema,
    ParticipantSchema,
    SavedReplyCreateSchema,
)
from services.shared import ids
from services.shared.ids import path_schema

from ..calls import Call
from ..http import route
from .identity import MemberSummary

# path parameters: each id checked for its exact shape (404 otherwise)
CONVERSATION_PATH = path_schema(id=ids.CONVERSATION)
POST_PATH = path_schema(id=ids.POST)
CUSTOMER_PATH = path_schema(id=ids.USER)

TAGS = ["conversations"]


# -- responses --------------------------------------------------------------------------------


class Message(Schema):
    id = fields.String(required=True)
    conversation_id = fields.String()
    author_id = fields.String(allow_none=True)
    author = fields.Nested(MemberSummary, allow_none=True, metadata={
        "description": "the author's public summary (name, badges, avatar)"})
    body = fields.String(allow_none=True)
    channel = fields.String(allow_none=True, metadata={"description": "social intake only"})
    created_at = fields.String(allow_none=True)


class Handled(Schema):
    by = fields.String(required=True, metadata={"description": "the staff member's user id"})
    at = fields.String(required=True)


class ConversationSummary(Schema):
    id = fields.String(required=True)
    subject = fields.String(allow_none=True)
    member_id = fields.String(allow_none=True)
    author = fields.Nested(MemberSummary, allow_none=True, metadata={
        "description": "the member the conversation is with, as a public summary"})
    participant_ids = fields.List(fields.String())
    advisor_id = fields.String(allow_none=True, metadata={
        "description": "the customer's advisor among the participants (who never leaves it; "
                       "the colleagues brought in may: `POST .../participants/me/leave`)"})
    queue = fields.Boolean(metadata={"description": "waiting in the staff queue (CMs)"})
    origin = fields.String(allow_none=True, metadata={"description": "member | escalation | "
                                                      "social | advisor"})
    post_id = fields.String(allow_none=True, metadata={"description": "the escalated post"})
    channel = fields.String(allow_none=True)
    created_at = fields.String(allow_none=True)
    last_message_at = fields.String(allow_none=True)
    message_count = fields.Integer()
    closed = fields.Boolean(metadata={"description": "its member erased their account: no "
                                                     "message is shown or taken any more"})
    waiting_for_staff = fields.Boolean(metadata={"description": "the member wrote last (staff "
                                                 "owe an answer), and staff did not mark it "
                                                 "handled since"})
    waiting_since = fields.String(allow_none=True, metadata={
        "description": "waiting for staff since (the member's first message after staff last "
                       "wrote); null when not waiting"})
    handled = fields.Nested(Handled, allow_none=True, metadata={
        "description": "staff marked it handled, no reply needed (`POST .../handled`), by whom "
                       "and when, until the next message; null otherwise, and always null to "
                       "its customer, who is not told (to them it still waits)"})


class Conversation(ConversationSummary):
    messages = fields.List(fields.Nested(Message), metadata={
        "description": "oldest first; newest first with `order=desc`"})
    next_cursor = fields.String(allow_none=True)
    customer_timeline = fields.Boolean(metadata={
        "description": "the reader may open its member's timeline across channels (their "
                       "advisor, CMs)"})


MASKED = fields.List(fields.String(), required=True, metadata={
    "description": "what was masked in the text before it was stored (PCI DSS): "
                   "`card_number` (a card number whose checksum holds: its last four digits "
                   "kept, none when its expiry or security code is in the text too), "
                   "`card_security_code` (beside a card number), `pin_code` and `password` "
                   "(wherever they are); empty when nothing was. "
                   "IBANs and account numbers are stored as written"})


class StartedConversation(Conversation):
    masked = MASKED


class PostedMessage(Message):
    masked = MASKED


class ConversationNote(Schema):
    """A staff's internal note: never shown to the customer."""

    id = fields.String(required=True)
    conversation_id = fields.String()
    author_id = fields.String(allow_none=True)
    author = fields.Nested(MemberSummary, allow_none=True, metadata={
        "description": "the staff author's public summary (name)"})
    body = fields.String(allow_none=True, metadata={
        "description": "null once its customer's key is erased"})
    created_at = fields.String(allow_none=True)


class SavedReply(Schema):
    """A staff member's own saved reply, inserted into their answers."""

    id = fields.String(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True, metadata={
        "description": "card numbers masked, as in messages"})
    created_at = fields.String(allow_none=True)


class SavedReplyList(Schema):
    items = fields.List(fields.Nested(SavedReply), required=True, metadata={
        "description": "every saved reply of yours, oldest first (50 at most)"})


SAVED_REPLY_PATH = path_schema(id=SAVED_REPLY_ID)


class ConversationNotePage(Schema):
    items = fields.List(fields.Nested(ConversationNote), required=True, metadata={
        "description": "every note of the conversation, oldest first (newest last)"})


class ListedCustomer(MemberSummary):
    """The customer a list is filtered by (`customer=`)."""

    customer_timeline = fields.Boolean(metadata={
        "description": "the reader may open their timeline across channels (their advisor, "
                       "CMs)"})


class ConversationPage(Schema):
    items = fields.List(fields.Nested(ConversationSummary), required=True)
    next_cursor = fields.String(allow_none=True)
    customer = fields.Nested(ListedCustomer, allow_none=True, metadata={
        "description": "with `customer=`: who they are, or null for an id you may not see "
                       "(the list is then empty)"})


class MentionReceipt(Schema):
    conversation_id = fields.String(required=True)
    message_id = fields.String(required=True)
    matched = fields.Boolean(metadata={"description": "matched to a known member"})
    created = fields.Boolean(metadata={"description": "a new case was opened"})
    duplicate = fields.Boolean(metadata={"description": "this mention was received before"})
    queue = fields.Boolean(metadata={"description": "the case waits in the staff queue"})


class CustomerRef(MemberSummary):
    """The customer's public summary (name, badges, avatar)."""


class CustomerConversation(Schema):
    id = fields.String(required=True)
    subject = fields.String(allow_none=True)
    origin = fields.String(allow_none=True, metadata={"description": "member | escalation | "
                                                      "social | advisor"})
    channel = fields.String(allow_none=True)
    post_id = fields.String(allow_none=True)
    created_at = fields.String(allow_none=True)
    last_message_at = fields.String(allow_none=True)
    message_count = fields.Integer()
    waiting_for_staff = fields.Boolean(metadata={"description": "the customer wrote last"})
    waiting_since = fields.String(allow_none=True, metadata={
        "description": "waiting: since the customer's first message after staff last wrote"})


class PublicActivity(Schema):
    type = fields.String(metadata={"description": "post | reply"})
    id = fields.String(required=True)
    post_id = fields.String()
    kind = fields.String(allow_none=True, metadata={"description": "the post's kind, or the "
                                                    "reply's (answer | comment)"})
    title = fields.String(allow_none=True, metadata={"description": "the post's title"})
    at = fields.String(allow_none=True)


class Customer(Schema):
    customer = fields.Nested(CustomerRef, required=True)
    branch = fields.String(allow_none=True)
    assigned_at = fields.String(allow_none=True)
    open_conversations = fields.List(fields.Nested(CustomerConversation), metadata={
        "description": "conversations with this advisor, most recently active first"})
    recent_activity = fields.List(fields.Nested(PublicActivity), metadata={
        "description": "published posts and replies, newest first"})


class CustomerPage(Schema):
    items = fields.List(fields.Nested(Customer), required=True)
    next_cursor = fields.String(allow_none=True)


class TimelineEntry(Schema):
    type = fields.String(required=True, metadata={"description": "post | reply | message"})
    channel = fields.String(metadata={"description": "site (public), private (a private "
                                      "conversation) or social (a social case)"})
    id = fields.String(required=True)
    at = fields.String(allow_none=True)
    post_id = fields.String(metadata={"description": "posts and replies"})
    kind = fields.String(allow_none=True, metadata={"description": "posts and replies"})
    title = fields.String(allow_none=True, metadata={"description": "the post's title"})
    conversation_id = fields.String(metadata={"description": "messages"})
    subject = fields.String(allow_none=True, metadata={"description": "messages: the "
                                                       "conversation's subject"})
    author_id = fields.String(allow_none=True, metadata={"description": "messages"})
    author = fields.Nested(MemberSummary, allow_none=True)
    body = fields.String(allow_none=True, metadata={"description": "messages"})
    social_channel = fields.String(allow_none=True, metadata={
        "description": "social messages: the network it came from"})
    created_at = fields.String(allow_none=True)


class CustomerTimeline(Schema):
    member = fields.Nested(CustomerRef, required=True)
    writable = fields.Boolean(metadata={"description": "the reader is this customer's advisor, "
                                        "who may write to them first (POST "
                                        "/api/v1/customers/{id}/conversations)"})
    items = fields.List(fields.Nested(TimelineEntry), required=True)
    next_cursor = fields.String(allow_none=True)


class ConversationsRoutes:
    conversations = RpcProxy("conversations")

    @route("POST", "/api/v1/conversations", auth="member", body=ConversationCreateSchema,
           response=StartedConversation, status=201, tags=TAGS, errors=[429])
    def start_conversation(self, call: Call):
        """Start a private conversation with my advisor (or the staff queue if none)

        A member opens at most `AGORA_CONVERSATION_LIMIT_PER_MINUTE` conversations a minute
        and `AGORA_CONVERSATION_LIMIT_PER_HOUR` an hour (3 and 10 by default; staff are not
        limited): 429 with Retry-After beyond. A card number in the subject or the message is
        stored masked, and the answer says so (`masked`).
        """
        return self.conversations.start_conversation(call.actor, call.body)

    @route("GET", "/api/v1/conversations", auth="member", query=ConversationsQuerySchema,
           response=ConversationPage, tags=TAGS)
    def list_conversations(self, call: Call):
        """My conversations, most recently active first (CMs: also the staff queue)

        `sort=waiting` (the advisors' inbox): the conversations waiting for staff first, the
        longest wait first (`waiting_since`), then the others, most recently active first;
        its cursor pages through that order. `side=customer`: only those you are the customer
        of (a staff member's own, as a customer); `side=staff`: only those you answer.
        `customer=<user id>`: only those with this customer among the ones you may read (an
        id you may not see, whoever it names: an empty list and `customer: null`).
        """
        return self.conversations.list_conversations(call.actor, call.query)

    @route("GET", "/api/v1/conversations/{id}", path_params=CONVERSATION_PATH, auth="member",
           query=MessagesQuerySchema, response=Conversation, tags=TAGS)
    def get_conversation(self, call: Call):
        """A conversation and a page of its messages (participants only; audited)

        Oldest first by default; `order=desc` gives the newest first (a chat's last page) and
        its `next_cursor` pages back to older messages; `after=<message id>` gives only the
        messages that came after that one, oldest first (a live catch-up: never the oldest
        page again). An `after` that is not a message of this conversation is a 400.
        """
        return self.conversations.get_conversation(call.actor, call.path["id"], call.query)

    @route("POST", "/api/v1/conversations/{id}/messages", path_params=CONVERSATION_PATH,
           auth="member", body=MessageCreateSchema, response=PostedMessage, status=201,
           tags=TAGS, errors=[409, 429])
    def post_message(self, call: Call):
        """Write in a conversation (participants; CMs pick up queued ones)

        A member sends at most `AGORA_MESSAGE_LIMIT_PER_MINUTE` messages a minute and
        `AGORA_MESSAGE_LIMIT_PER_HOUR` an hour (10 and 120 by default; staff are not
        limited): 429 with Retry-After beyond. A card number in the body is stored masked,
        and the answer says so (`masked`).
        """
        return self.conversations.post_message(call.actor, call.path["id"], call.body)

    @route("POST", "/api/v1/conversations/{id}/participants", path_params=CONVERSATION_PATH,
           auth="staff", body=ParticipantSchema, response=Conversation, status=201, tags=TAGS,
           errors=[403, 409, 422])
    def add_participant(self, call: Call):
        """Bring another advisor, CM or admin into a conversation (staff participants)

        By `user_id`, or by `email`: the colleague's verified address. An address of no staff
        member is a 422 (field `email`: the same for an address of nobody and for a member's,
        so the lookup tells nothing about who has an account); by `email`, a colleague already
        taking part is a 409. By `user_id`, adding someone already there changes nothing, and
        someone who is not bank staff, or whose account was erased, is one and the same 422
        (field `user_id`).
        """
        return self.conversations.add_participant(call.actor, call.path["id"], call.body)

    @route("POST", "/api/v1/conversations/{id}/participants/me/leave",
           path_params=CONVERSATION_PATH, auth="member", status=204, tags=TAGS, errors=[403])
    def leave_conversation(self, call: Call):
        """Leave a conversation you were brought into (a colleague covering or helping)

        You read it no more (404 from then on), and a breach of its response time no longer
        alerts you. Neither its customer nor the customer's advisor may leave it (403). Leaving
        one you are not (or no longer) in changes nothing and answers 204 too, whether it
        exists or not. With no staff left in it, it waits in the staff queue again.
        """
        self.conversations.leave_conversation(call.actor, call.path["id"])
        return None

    @route("POST", "/api/v1/conversations/{id}/handled", path_params=CONVERSATION_PATH,
           auth="staff", status=204, tags=TAGS, errors=[403])
    def settle_wait(self, call: Call):
        """Mark a conversation handled: no reply needed (staff who may read it)

        For a customer's last word that needs no answer (« Merci ! »): the conversation stops
        waiting for staff (`waiting_for_staff: false`, out of the top of the inbox) and its
        response-time clock stops without counting as an answer (the answer-time figures
        leave it out). The customer is not told: nothing changes on their side. Their next
        message makes it wait again. Marking one that waits for nobody (answered, marked
        already) changes nothing, and answers 204 too. Its advisor, the staff taking part in
        it, CMs and admins for the staff queue; other staff get 404 (as for reading it), and
        members 403.
        """
        self.conversations.settle_wait(call.actor, call.path["id"])
        return None

    # -- staff's internal notes: their own place, never in the conversation's messages ----------

    @route("POST", "/api/v1/conversations/{id}/notes", path_params=CONVERSATION_PATH,
           auth="member", body=NoteCreateSchema, response=ConversationNote, status=201, tags=TAGS,
           errors=[409])
    def add_note(self, call: Call):
        """Leave an internal note on a conversation: never shown to the customer (staff)

        For colleagues (a CM, a colleague covering, the next advisor): it never appears among
        the conversation's messages, on the customer's pages, their live channel, notices or
        e-mails, and changes nothing to who waits. Staff who may read the conversation; anyone
        else — its customer included — gets 404, exactly as for an unknown conversation. A
        closed conversation (its customer erased their account) takes none: 409. The notes
        are in their customer's data export (GDPR right of access).
        """
        return self.conversations.add_note(call.actor, call.path["id"], call.body)

    @route("GET", "/api/v1/conversations/{id}/notes", path_params=CONVERSATION_PATH,
           auth="member", response=ConversationNotePage, tags=TAGS)
    def list_notes(self, call: Call):
        """A conversation's internal notes, newest last (staff who may read it; else 404)"""
        return self.conversations.list_notes(call.actor, call.path["id"])

    # -- staff's saved replies: their own texts, inserted into their answers ---------------------

    @route("GET", "/api/v1/me/saved-replies", auth="staff", response=SavedReplyList, tags=TAGS,
           errors=[403])
    def list_saved_replies(self, call: Call):
        """Your saved replies, oldest first (staff)"""
        return self.conversations.list_saved_replies(call.actor)

    @route("POST", "/api/v1/me/saved-replies", auth="staff", body=SavedReplyCreateSchema,
           response=SavedReply, status=201, tags=TAGS, errors=[403, 422])
    def save_reply(self, call: Call):
        """Save a reply of yours, to insert it into your answers (staff)

        Yours alone: nobody else lists, reads or removes it. A title of 80 characters at most,
        a body as long as a message's; card numbers are stored masked. 50 at most per person:
        the 51st is refused (422, on `title`) until you remove one. An Idempotency-Key gives
        one saved reply.
        """
        return self.conversations.save_reply(call.actor, call.body)

    @route("DELETE", "/api/v1/me/saved-replies/{id}", path_params=SAVED_REPLY_PATH,
           auth="staff", status=204, tags=TAGS, errors=[403])
    def remove_saved_reply(self, call: Call):
        """Remove one of your saved replies (staff); anyone else's is unknown to you (404)"""
        self.conversations.remove_saved_reply(call.actor, call.path["id"])
        return None

    @route("POST", "/api/v1/posts/{id}/escalate", path_params=POST_PATH, auth="staff",
           body=EscalateSchema, response=Conversation, status=201, tags=TAGS, body_required=False,
           errors=[403])
    def escalate_post(self, call: Call):
        """Take a public post into a private conversation with its author (staff)"""
        return self.conversations.escalate_post(call.actor, call.path["id"], call.body)

    @route("POST", "/api/v1/channels/social/mentions", auth="service", body=MentionSchema,
           response=MentionReceipt, status=201, tags=TAGS, errors=[403, 422])
    def intake_mention(self, call: Call):
        """Social listening intake (bank systems, service credential): a mention becomes a case

        A mention is known by the sending system and its `external_id`: sent again by the same
        system, whatever else differs (member, channel, text), it changes nothing and the
        answer is the first one, with `created: false` and `duplicate: true`. A `member_id`
        that names no member is refused (422, field error on `member_id`); without one (or
        with a `matched_email` that matches nobody, or only an account whose owner has not
        verified that address yet) the case waits unmatched in the staff queue.
        """
        return self.conversations.intake_mention(call.actor, call.body)

    @route("GET", "/api/v1/me/customers", auth="advisor", query=CustomersQuerySchema,
           response=CustomerPage, tags=TAGS)
    def my_customers(self, call: Call):
        """My customers (advisor): open conversations and recent public activity of each

        Most recently assigned first, cursor-paginated. Conversations are those the advisor
        takes part in; reading their subjects is recorded in the access audit like any list.
        """
        return self.conversations.my_customers(call.actor, call.query)

    @route("GET", "/api/v1/customers/{id}/timeline", path_params=CUSTOMER_PATH, auth="member",
           query=PageQuerySchema, response=CustomerTimeline, tags=TAGS)
    def customer_timeline(self, call: Call):
        """A customer's single timeline across channels, newest first (their advisor, CMs)

        Public posts and replies, private conversation messages and social mentions routed to
        the reader, in cursor pages. Anyone but the customer's advisor and the community
        managers gets 404, as for a conversation; every conversation shown is audited as read.
        """
        return self.conversations.customer_timeline(call.actor, call.path["id"], call.query)

    # -- an advisor writes first to one of their customers -----------------------------------

    @route("POST", "/api/v1/customers/{id}/conversations", path_params=CUSTOMER_PATH,
           auth="member", body=ConversationCreateSchema, response=StartedConversation,
           status=201, tags=TAGS)
    def reach_out(self, call: Call):
        """Write first to one of my customers: a new conversation (their advisor)

        The conversation starts with `origin: "advisor"`, the customer and their advisor as
        its participants and the advisor's message first: it does not wait for staff (the
        customer has not written), and the customer gets the usual private-message notice
        (never quoting it). Only the customer's own advisor may; anyone else — another
        advisor, a CM, the customer — gets 404, exactly as for their timeline. A card
        number in the subject or the message is stored masked (`masked`). With an
        `Idempotency-Key`, a retry answers the same conversation: one per key.
        """
        return self.conversations.reach_out(call.actor, call.path["id"], call.body)
