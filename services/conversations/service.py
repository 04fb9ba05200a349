"""conversations: private dialogue between a member and bank staff (nameko entrypoints).

Thin: parse arguments, load the conversation, let `domain` decide (access included), store the
text in ``messages``, append the reference-only events, apply inline, answer from `queries`
(which records every read of private content in ``access_audit``; shapes in `presenters`).
The texts are sealed with the conversation member's key (`texts`). See docs/architecture.md,
"Private dialogue" and "Erasure by crypto-shredding".
"""
from __future__ import annotations

import logging
from typing import Any

from nameko.rpc import rpc

from services.shared import i18n, ids, members
from services.shared.card_masking import mask_card_data, mask_card_texts
from services.shared.consumer import reliable_handler
from services.shared.decisions import Decisions
from services.shared.envelope import CommandContext, Envelope, utc_now
from services.shared.errors import EXPECTED_ERRORS, Conflict, NotFound
from services.shared.event_store_provider import EventStoreProvider
from services.shared.mongo import MongoDatabase
from services.shared.observability import HealthEndpoints
from services.shared.projections import ReadModelsProvider
from services.shared.validation import load_input
from services.shared.write_limits import WriteLimitsProvider

from . import absence, domain, saved_replies
from .joiners import joiner
from .notes import Notes
from .projections import POSTS_EVENTS, VIEWS
from .queries import ConversationQueries
from .saved_replies import SavedReplies
from .schemas import (
    SUBJECT_MAX,
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
from .texts import Texts

log = logging.getLogger(__name__)

class ConversationsService(Decisions, HealthEndpoints):
    name = "conversations"
    store = EventStoreProvider()
    views = ReadModelsProvider(VIEWS)
    db = MongoDatabase()
    limits = WriteLimitsProvider("conversation", "message")  # how fast a member writes (429)

    @property
    def queries(self) -> ConversationQueries:
        return ConversationQueries(self.views, self.db, self.correlation)

    # -- the write side: texts first, then the events that reference them ---------------------

    def _state(self, conversation_id: str) -> domain.Conversation:
        ids.CONVERSATION.require(conversation_id)  # `conv-<id>` must be a conversation
        state = domain.fold(self.store.load(domain.stream(conversation_id)))
        state.id = state.id or conversation_id
        return state

    def _execute(self, conversation_id: str, decide, actor, texts: list[dict[str, Any]],
                 keep=None):
        """Decide on the stream; when there are events, store their texts *before* appending
        the events that reference them (a body never exists only on the wire). `keep(member_id)`
        stores them where they belong: messages' texts unless told otherwise (notes)."""
        keep = keep or (lambda member_id: Texts(self.db, self.store.keys).store(texts, member_id))

        def decision(history):
            state = domain.fold(history)
            state.id = state.id or conversation_id
            events = decide(state)
            if events:  # sealed with the key of the conversation's member
                keep(state.member_id or next(
                    (event.payload.get("member_id") for event in events
                     if event.type == domain.STARTED), None))
            return events

        commit = self.store.execute(domain.stream(conversation_id), decision,
                                    self._context(actor))
        self.views.apply_commit(commit)
        return commit

    @staticmethod
    def _text(message_id: str, conversation_id: str, author_id: str, body: str,
              **extra: Any) -> dict[str, Any]:
        return {"_id": message_id, "conversation_id": conversation_id, "author_id": author_id,
                "body": body, "created_at": utc_now(), **extra}

    # -- GDPR: the member's export ------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_member(self, actor):
        """The member's own conversations (GDPR export): every conversation they are the member
        of, with all its messages, oldest first — staff's answers included, since they are part
        of the member's exchange with the bank. Staff see their customers' conversations at
        work, which is not their own data: an advisor's export holds only conversations in
        which they are the member. The read is audited like any other (`export`)."""
        return self.queries.export(domain.require_user(actor))

    # -- members and staff -------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def start_conversation(self, actor, data):
        """A member opens a conversation with their advisor (or the staff queue)."""
        data = load_input(ConversationCreateSchema, data)
        actor = domain.require_user(actor)
        conversation_id, message_id = domain.new_conversation_id(), domain.new_message_id()
        advisor_id = (self.queries.member(actor["id"]) or {}).get("advisor_id")
        # card numbers stored masked, never whole (PCI DSS); the author is told (`masked`)
        (subject, message), masked = mask_card_texts(data["subject"], data["message"])
        texts = [self._text(message_id, conversation_id, actor["id"], message, subject=subject)]
        away = absence.backups(self.views, advisor_id, utc_now())  # the backup joins at once
        self.limits.written(actor, "conversation", lambda: self._execute(
            conversation_id, lambda state: absence.start_with_cover(
                actor, conversation_id, message_id, advisor_id, away), actor, texts))
        return {**self.queries.conversation(actor, conversation_id), "masked": masked}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_conversations(self, actor, query=None):
        """Mine, most recently active first (`sort=waiting`: those waiting for staff first, the
        longest wait first); CMs and admins also see the staff queue. `ids`: only these among
        them (the others omitted, as if they did not exist)."""
        query = load_input(ConversationsQuerySchema, query)
        return self.queries.conversations(domain.require_user(actor), query)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_conversation(self, actor, conversation_id, query=None):
        query = load_input(MessagesQuerySchema, query)
        return self.queries.conversation(domain.require_user(actor), conversation_id, query)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def post_message(self, actor, conversation_id, data):
        data = load_input(MessageCreateSchema, data)
        actor = domain.require_user(actor)
        message_id = domain.new_message_id()
        body, masked = mask_card_data(data["body"])  # stored masked (PCI DSS), the author told
        texts = [self._text(message_id, conversation_id, actor["id"], body)]
        # past their limit, a member is told so whatever the id: a 429 for the conversations
        # that exist and a 404 for the others would tell which do
        self.limits.written(actor, "message", lambda: self._post_message(
            actor, conversation_id, message_id, texts))
        return {**self.queries.posted_message(actor, conversation_id, message_id, body),
                "masked": masked}

    def _post_message(self, actor, conversation_id: str, message_id: str,
                      texts: list[dict[str, Any]]) -> None:
        current = self._state(conversation_id)
        if not current.exists:
            raise NotFound("no such conversation", {"id": conversation_id})
        closed = self.queries.closed(conversation_id)
        # its advisor away: their backup joins as the customer writes (absence.py)
        away = absence.backups(self.views, current.advisor_id, utc_now())
        with self.queries.denials_recorded(actor, conversation_id):
            self._execute(conversation_id, lambda state: absence.post_with_cover(
                actor, state, message_id, closed, away), actor, texts)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def add_participant(self, actor, conversation_id, data):
        data = load_input(ParticipantSchema, data)
        actor = domain.require_user(actor)
        state = self._state(conversation_id)
        with self.queries.denials_recorded(actor, conversation_id):
            domain.require_access(actor, state, conversation_id)
        if data.get("email"):  # a colleague by their address: staff only (no member's
            domain.require_staff(actor)  # probe of who has an account), once
            data["user_id"] = self.queries.colleague_by_email(data["email"])
            if data["user_id"] in state.participants:
                raise Conflict.from_catalogue("already_participant", {"email": data["email"]})
        participant_roles, erased = joiner(self.views, data["user_id"])
        self._execute(conversation_id, lambda s: domain.add_participant(
            actor, s, data["user_id"], participant_roles, participant_erased=erased), actor, [])
        return self.queries.conversation(actor, conversation_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def leave_conversation(self, actor, conversation_id):
        """A colleague who was brought in leaves (`domain.leave`): idempotent, answers
        nothing (they may read it no more)."""
        actor = domain.require_user(actor)
        self._execute(conversation_id, lambda state: domain.leave(actor, state), actor, [])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def settle_wait(self, actor, conversation_id):
        """Staff mark the conversation handled, no reply needed (`domain.settle_wait`): it
        stops waiting. Answers nothing (the page reads the conversation again: no body is
        read, and audited, for an action that needs none)."""
        actor = domain.require_user(actor)
        if not self._state(conversation_id).exists:
            raise NotFound("no such conversation", {"id": conversation_id})
        closed = self.queries.closed(conversation_id)
        with self.queries.denials_recorded(actor, conversation_id):
            self._execute(conversation_id, lambda state: domain.settle_wait(
                actor, state, closed), actor, [])

    # -- staff's internal notes (never the customer's) ----------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def add_note(self, actor, conversation_id, data):
        """Staff who may read the conversation leave an internal note for their colleagues
        (`domain.add_note`); anyone else, its member included, gets 404 as for an unknown
        conversation. The body is sealed into ``notes`` before the event referencing it."""
        data = load_input(NoteCreateSchema, data)
        actor = domain.require_user(actor)
        note_id = domain.new_note_id()
        body, _ = mask_card_data(data["body"])  # stored masked, as messages (PCI DSS)
        note = {"_id": note_id, "conversation_id": conversation_id, "author_id": actor["id"],
                "body": body, "created_at": utc_now()}
        with self.queries.denials_recorded(actor, conversation_id):
            if not self._state(conversation_id).exists:
                raise NotFound("no such conversation", {"id": conversation_id})
            closed = self.queries.closed(conversation_id)
            self._execute(conversation_id, lambda state: domain.add_note(
                actor, state, note_id, closed), actor, [], keep=lambda member_id: Notes(
                    self.db, self.store.keys).store(note, member_id))
        return self.queries.added_note(actor, conversation_id, note_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_notes(self, actor, conversation_id):
        """The conversation's internal notes, newest last (staff who may read it; 404 else)."""
        return self.queries.notes(domain.require_user(actor), conversation_id)

    # -- staff's saved replies (their own texts, inserted into answers: saved_replies.py) -------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_saved_replies(self, actor):
        """The staff member's own saved replies, oldest first (403 for members)."""
        actor = domain.require_staff(actor)
        return {"items": SavedReplies(self.db, self.views).of(actor["id"])}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def save_reply(self, actor, data):
        """Save a reply of one's own (title, body; card numbers stored masked): its text
        stored before the event that references it; past the limit, 422."""
        data = load_input(SavedReplyCreateSchema, data)
        actor = domain.require_staff(actor)
        reply_id = saved_replies.new_id()
        (title, body), _ = mask_card_texts(data["title"], data["body"])
        store = SavedReplies(self.db, self.views)

        def decision(history):
            events = saved_replies.save(actor["id"], saved_replies.fold(history), reply_id)
            if events:
                store.store(actor["id"], reply_id, title, body)
            return events

        self._decide(saved_replies.stream(actor["id"]), decision, actor)
        return store.one(actor["id"], reply_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def remove_saved_reply(self, actor, reply_id):
        """Remove one of one's own saved replies; another's, or an unknown one: 404."""
        actor = domain.require_staff(actor)
        self._decide(saved_replies.stream(actor["id"]), lambda history: (
            saved_replies.remove(actor["id"], saved_replies.fold(history), reply_id)), actor)
        SavedReplies(self.db, self.views).forget(reply_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def escalate_post(self, actor, post_id, data=None):
        """Staff take a public post into a private conversation with its author."""
        data = load_input(EscalateSchema, data)
        actor = domain.require_staff(actor)
        post = self.queries.published_post(post_id)
        author = self.queries.member(post["author_id"]) or {}
        post["advisor_id"] = author.get("advisor_id")
        conversation_id = domain.escalation_conversation_id(post_id)
        message_id = domain.new_message_id()
        body, subject = domain.escalation_words(author.get("language"), post.get("title"),
                                                data.get("message"), SUBJECT_MAX)
        (body, subject), _ = mask_card_texts(body, subject)  # staff's words, the post's title
        with self.queries.denials_recorded(actor, conversation_id):
            self._execute(conversation_id, lambda s: domain.escalate(
                actor, s, conversation_id, post, message_id), actor,
                [self._text(message_id, conversation_id, actor["id"], body, subject=subject)])
        return self.queries.conversation(actor, conversation_id)

    # -- advisors: their customers -------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def my_customers(self, actor, query=None):
        """The advisor's customers, most recently assigned first: each with their open
        conversations with this advisor (subjects: audited like any list) and their recent
        public activity."""
        query = load_input(CustomersQuerySchema, query)
        return self.queries.customers(domain.require_advisor(actor), query)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def customer_timeline(self, actor, member_id, query=None):
        """One customer's single timeline across channels, newest first, in pages: their public
        posts and replies, and the messages of their private conversations and social cases
        that the reader may read. Their advisor, and CMs/admins; 404 for anyone else, as for a
        conversation (refusals logged as security events)."""
        query = load_input(PageQuerySchema, query)
        return self.queries.timeline(domain.require_user(actor), member_id, query)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def own_customer(self, actor, member_id):
        """The customer their advisor may write first to (the console's form: « Écrire à »):
        their public summary; 404 for anyone but their advisor, as `reach_out` answers."""
        domain.require_user(actor)
        self.queries.own_customer(actor, member_id)
        return members.summaries(self.views.rm, [member_id]).get(member_id) or {"id": member_id}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def reach_out(self, actor, member_id, data):
        """An advisor writes first to one of their customers (`domain.reach_out`): a new
        conversation, its first message the advisor's, card numbers stored masked as in
        `start_conversation`. Their advisor only; 404 for anyone else, as for the timeline.
        Its ids come from the command's idempotency key (`fresh_uuid`): a retry finds it."""
        data = load_input(ConversationCreateSchema, data)
        actor = domain.require_user(actor)
        member = self.queries.own_customer(actor, member_id)
        conversation_id, message_id = domain.new_conversation_id(), domain.new_message_id()
        (subject, message), masked = mask_card_texts(data["subject"], data["message"])
        texts = [self._text(message_id, conversation_id, actor["id"], message, subject=subject)]
        self._execute(conversation_id, lambda state: domain.reach_out(
            actor, state, conversation_id, message_id, member), actor, texts)
        return {**self.queries.conversation(actor, conversation_id), "masked": masked}

    # -- social listening intake -------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def intake_mention(self, actor, data):
        """A mention from a social channel: appended to the member's open social case (with
        their advisor), or an unmatched case in the staff queue. Answers references only.

        Known by (sending system, external id): sent again, whatever else differs, it goes
        where the first one went and answers `duplicate: true` (the first text stored under
        its message id is the claim, `Texts.claim`). A `member_id` that names nobody: 422."""
        data = load_input(MentionSchema, data)
        actor = domain.require_service(actor)
        message_id = domain.social_message_id(actor["id"], data["external_id"])
        texts = Texts(self.db, self.store.keys)
        first = texts.reference(message_id)
        if first is None:
            member = self.queries.member(data.get("member_id"))
            domain.require_mentioned_member(data.get("member_id"), member)
            if member is None and data.get("matched_email"):
                member = self.queries.member_by_email(data["matched_email"])
            member_id = member["_id"] if member else None
            conversation_id = domain.social_case_id(member_id, data["channel"], data["handle"])
            text = self._text(message_id, conversation_id,
                              member_id or domain.external_author(data["channel"]),
                              mask_card_data(data["text"])[0], channel=data["channel"],
                              external_id=data["external_id"], handle=data["handle"])
            if not self._state(conversation_id).exists:  # in the member's language when
                text["subject"] = i18n.text(  # known, else the community's (French)
                    (member or {}).get("language"), "conversation.social_subject",
                    channel=data["channel"])
            first = texts.claim(text, member_id)
        conversation_id = first["conversation_id"]
        member_id = domain.mention_member(first["author_id"])
        advisor_id = (self.queries.member(member_id) or {}).get("advisor_id")
        commit = self._execute(conversation_id, lambda s: domain.intake_mention(
            s, conversation_id, member_id, advisor_id, first["channel"], first["handle"],
            message_id), actor, [])  # the text is stored already (the claim)
        return {"conversation_id": conversation_id, "message_id": message_id,
                "matched": member_id is not None,
                "created": bool(commit and commit.events[0].type == domain.STARTED),
                "duplicate": commit is None,
                "queue": self.queries.in_queue(conversation_id)}

    # -- events --------------------------------------------------------------------------------

    @reliable_handler("conversations", "conversations.*", idempotent=True)
    def project(self, event: Envelope):
        self.views.apply(event)

    @reliable_handler("conversations", "conversations.*", private=True, idempotent=True)
    def project_private(self, event: Envelope):
        """Own private events (staff's saved replies), if the writer died before applying them:
        published on `conversations.private`, which `project`'s binding does not reach."""
        self.views.apply(event)

    @reliable_handler("identity", "identity.*")
    def on_identity_event(self, event: Envelope):
        """Advisor assignments and staff roles (who the member's advisor is, who may be added);
        a new advisor takes the advisor's seat in every conversation of the member."""
        self.views.record_and_apply(event)
        if event.type == members.USER_ERASED:
            self._forget_texts(event.payload["user_id"])
        if event.type == "identity.advisor_assigned":
            self._move_advisor_seat(event.payload["user_id"],
                                    CommandContext(correlation_id=self.correlation)
                                    .caused_by(event))

    def _forget_texts(self, member_id: str) -> None:
        """Erasure: the subjects and bodies of the member's conversations are deleted (both
        sides: a conversation is the member's private matter, and it is closed — read model,
        `_member_erased` — so nobody reads it again). Idempotent."""
        closed = self.queries.conversation_ids_of(member_id)
        if closed:
            self.db["messages"].delete_many({"conversation_id": {"$in": closed}})
        Notes(self.db, self.store.keys).forget(closed)  # staff's notes about them too
        SavedReplies(self.db, self.views).forget_all(member_id)  # a staff member's own texts

    def _move_advisor_seat(self, member_id: str, context: CommandContext) -> None:
        """Decided on the *current* assignment (the `members` read model, applied in identity's
        stream order), not on the event's: a late re-delivery of an older assignment cannot
        give the seat back to a former advisor. Idempotent per conversation."""
        advisor_id = (self.queries.member(member_id) or {}).get("advisor_id")
        if not advisor_id:
            return
        for doc in self.views["conversations"].find({"member_id": member_id}, {"_id": 1}):
            commit = self.store.execute(
                domain.stream(doc["_id"]),
                lambda history: domain.change_advisor(domain.fold(history), advisor_id), context)
            if commit is not None:
                self.views.apply_commit(commit)

    @reliable_handler("identity", "identity.*", private=True, idempotent=True)
    def on_identity_private_event(self, event: Envelope):
        """E-mail addresses (kept hashed in `members`), to match social mentions by e-mail."""
        self.views.record_and_apply(event)

    @reliable_handler("posts", "posts.*", idempotent=True, batch=True, only=POSTS_EVENTS)
    def on_posts_event(self, events: list[Envelope]):
        """Published, edited, hidden and removed posts and replies (escalations, members'
        public activity), and nothing else: a submission, a vote, a category costs nothing
        here. Applied as they come, not in their streams' order (projections.py, "posts")."""
        self.views.record_and_apply_all(events)
