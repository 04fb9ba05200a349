"""conversations: private dialogue between a member and bank staff (nameko entrypoints).

Thin: parse arguments, load the conversation, let `domain` decide (access included), store the
text in ``messages``, append the reference-only events, apply inline, present. Every read of
private content is recorded in ``access_audit``. See docs/architecture.md, "Private dialogue".
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any

from nameko.rpc import rpc

from services.shared import i18n, ids, members, pagination
from services.shared.actors import is_moderator, roles
from services.shared.consumer import reliable_handler
from services.shared.decisions import Decisions
from services.shared.envelope import CommandContext, Envelope, utc_now
from services.shared.errors import EXPECTED_ERRORS, NotFound
from services.shared.mongo import MongoDatabase
from services.shared.observability import HealthEndpoints
from services.shared.outbox import EventStoreProvider
from services.shared.projections import ReadModelsProvider
from services.shared.security_log import security_event
from services.shared.validation import load_input

from . import domain
from .projections import VIEWS
from .schemas import (
    SUBJECT_MAX,
    ConversationCreateSchema,
    CustomersQuerySchema,
    EscalateSchema,
    MentionSchema,
    MessageCreateSchema,
    PageQuerySchema,
    ParticipantSchema,
)

log = logging.getLogger(__name__)

CUSTOMER_CONVERSATION_FIELDS = ("id", "subject", "origin", "channel", "post_id", "created_at",
                                "last_message_at", "message_count")


class ConversationsService(Decisions, HealthEndpoints):
    name = "conversations"
    store = EventStoreProvider()
    views = ReadModelsProvider(VIEWS)
    db = MongoDatabase()

    # -- helpers -----------------------------------------------------------------------------

    def _state(self, conversation_id: str) -> domain.Conversation:
        ids.CONVERSATION.require(conversation_id)  # `conv-<id>` must be a conversation
        state = domain.fold(self.store.load(domain.stream(conversation_id)))
        state.id = state.id or conversation_id
        return state

    def _execute(self, conversation_id: str, decide, actor, texts: list[dict[str, Any]]):
        """Decide on the stream; when there are events, store their texts *before* appending
        the events that reference them (a body never exists only on the wire)."""
        def decision(history):
            state = domain.fold(history)
            state.id = state.id or conversation_id
            events = decide(state)
            if events:
                self._store_texts(texts)
            return events

        commit = self.store.execute(domain.stream(conversation_id), decision,
                                    self._context(actor))
        self.views.apply_commit(commit)
        return commit

    def _store_texts(self, texts: list[dict[str, Any]]) -> None:
        for text in texts:  # idempotent: a re-decided command writes the same document
            self.db["messages"].update_one({"_id": text["_id"]}, {"$setOnInsert": text},
                                           upsert=True)

    def _member(self, user_id: str | None) -> dict[str, Any] | None:
        return self.views["members"].find_one({"_id": user_id}) if user_id else None

    def _readable(self, actor, conversation_id: str) -> dict[str, Any]:
        doc = self.views["conversations"].find_one({"_id": conversation_id}) \
            if ids.CONVERSATION.matches(conversation_id) else None
        with self._denials_recorded(actor, conversation_id):
            domain.require_access(actor, doc, conversation_id)
        return doc

    @contextmanager
    def _denials_recorded(self, actor, conversation_id: str):
        """A refused access (404 to the caller) is audited and logged as a security event:
        an advisor probing other customers' conversations shows up in both."""
        try:
            yield
        except NotFound:
            if actor and actor.get("id"):
                self._audit(actor, [conversation_id], "denied")
                security_event("authorization_failed", actor=actor, request_id=self.correlation,
                               reason="not allowed in this conversation",
                               conversation_id=conversation_id)
            raise

    def _audit(self, actor, conversation_ids: list[str], action: str) -> None:
        """Append-only: who read which conversation's private content, when."""
        if not conversation_ids:
            return
        now = utc_now()
        self.db["access_audit"].insert_many([
            {"user_id": actor["id"], "roles": sorted(roles(actor)),
             "conversation_id": conversation_id, "action": action, "at": now,
             "correlation_id": self.correlation} for conversation_id in conversation_ids])

    def _subjects(self, conversation_ids: list[str]) -> dict[str, str]:
        found = self.db["messages"].find(
            {"conversation_id": {"$in": conversation_ids}, "subject": {"$exists": True}},
            {"conversation_id": 1, "subject": 1})
        return {doc["conversation_id"]: doc["subject"] for doc in found}

    def _texts(self, message_ids: list[str]) -> dict[str, dict[str, Any]]:
        """message id -> its stored text (subject, body): the one place texts are read."""
        return {t["_id"]: t for t in self.db["messages"].find({"_id": {"$in": message_ids}})}

    @staticmethod
    def _summary(doc: dict[str, Any], subject: str | None,
                 authors: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {"id": doc["_id"], "subject": subject, "member_id": doc.get("member_id"),
                # the member the conversation is with (its author), as a public summary
                "author": authors.get(doc.get("member_id")),
                "participant_ids": doc.get("participant_ids", []),
                "queue": doc.get("pool") == domain.STAFF_POOL,
                "origin": doc.get("origin"), "post_id": doc.get("post_id"),
                "channel": doc.get("channel"), "created_at": doc.get("created_at"),
                "last_message_at": doc.get("last_message_at"),
                "message_count": doc.get("message_count", 0),
                "closed": bool(doc.get("closed")),
                # the member wrote last: staff owe an answer (the console's unread marker)
                "waiting_for_staff": bool(doc.get("member_id"))
                and doc.get("last_author_id") == doc.get("member_id")}

    @staticmethod
    def _message_view(index: dict[str, Any], text: dict[str, Any] | None,
                      authors: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {"id": index["_id"], "author_id": index.get("author_id"),
                "author": authors.get(index.get("author_id")),
                "body": (text or {}).get("body"), "channel": index.get("channel"),
                "created_at": index.get("created_at")}

    def _present(self, actor, conversation_id: str, query: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
        query = query or {"limit": 50}
        doc = self._readable(actor, conversation_id)
        if doc.get("closed"):  # its member erased their account: nothing left to read
            authors = members.summaries(self.views.rm, [doc.get("member_id")])
            return {**self._summary(doc, None, authors), "messages": [], "next_cursor": None}
        after = pagination.after_cursor("ts", 1, query.get("cursor"))
        conditions = [{"conversation_id": conversation_id}] + ([after] if after else [])
        limit = query["limit"]
        documents = list(self.views["message_index"].find({"$and": conditions})
                         .sort([("ts", 1), ("_id", 1)]).limit(limit + 1))
        items, cursor = pagination.page(documents, "ts", limit)
        texts = self._texts([i["_id"] for i in items])
        self._audit(actor, [conversation_id], "read")
        authors = members.summaries(self.views.rm, [doc.get("member_id")]
                                    + [i.get("author_id") for i in items])
        return {**self._summary(doc, self._subjects([conversation_id]).get(conversation_id),
                                authors),
                "messages": [self._message_view(i, texts.get(i["_id"]), authors)
                             for i in items],
                "next_cursor": cursor}

    # -- GDPR: the member's export ------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_member(self, actor):
        """The member's own conversations (GDPR export): every conversation they are the member
        of, with all its messages, oldest first — staff's answers included, since they are part
        of the member's exchange with the bank. Staff see their customers' conversations at
        work, which is not their own data: an advisor's export holds only conversations in
        which they are the member. The read is audited like any other (`export`)."""
        actor = domain.require_user(actor)
        documents = list(self.views["conversations"].find({"member_id": actor["id"]}))
        listed = [doc["_id"] for doc in documents]
        index = list(self.views["message_index"].find({"conversation_id": {"$in": listed}})
                     .sort([("ts", 1), ("_id", 1)])) if listed else []
        texts = self._texts([entry["_id"] for entry in index])
        self._audit(actor, listed, "export")
        authors = members.summaries(self.views.rm, [actor["id"]]
                                    + [entry.get("author_id") for entry in index])
        subjects = self._subjects(listed)
        messages: dict[str, list[dict[str, Any]]] = {}
        for entry in index:
            messages.setdefault(entry["conversation_id"], []).append(
                self._message_view(entry, texts.get(entry["_id"]), authors))
        return {"conversations": [
            {**self._summary(doc, subjects.get(doc["_id"]), authors),
             "messages": messages.get(doc["_id"], [])}
            for doc in sorted(documents, key=lambda doc: doc.get("created_at") or "")]}

    # -- members and staff -------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def start_conversation(self, actor, data):
        """A member opens a conversation with their advisor (or the staff queue)."""
        data = load_input(ConversationCreateSchema, data)
        actor = domain.require_user(actor)
        conversation_id, message_id = domain.new_conversation_id(), domain.new_message_id()
        advisor_id = (self._member(actor["id"]) or {}).get("advisor_id")
        self._execute(conversation_id,
                      lambda state: domain.start(actor, conversation_id, message_id, advisor_id),
                      actor, [self._text(message_id, conversation_id, actor["id"],
                                         data["message"], subject=data["subject"])])
        return self._present(actor, conversation_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_conversations(self, actor, query=None):
        """Mine, most recently active first; CMs and admins also see the staff queue."""
        query = load_input(PageQuerySchema, query)
        actor = domain.require_user(actor)
        visible: dict[str, Any] = {"participant_ids": actor["id"]}
        if is_moderator(actor):
            visible = {"$or": [visible, {"pool": domain.STAFF_POOL}]}
        after = pagination.after_cursor("last_ts", -1, query.get("cursor"))
        conditions = [visible] + ([after] if after else [])
        limit = query["limit"]
        documents = list(self.views["conversations"].find({"$and": conditions})
                         .sort([("last_ts", -1), ("_id", -1)]).limit(limit + 1))
        items, cursor = pagination.page(documents, "last_ts", limit)
        listed = [doc["_id"] for doc in items]
        subjects = self._subjects(listed)
        self._audit(actor, listed, "list")  # subjects are private content too
        authors = members.summaries(self.views.rm, [doc.get("member_id") for doc in items])
        return {"items": [self._summary(doc, subjects.get(doc["_id"]), authors)
                          for doc in items],
                "next_cursor": cursor}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_conversation(self, actor, conversation_id, query=None):
        query = load_input(PageQuerySchema, query)
        return self._present(domain.require_user(actor), conversation_id, query)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def post_message(self, actor, conversation_id, data):
        data = load_input(MessageCreateSchema, data)
        actor = domain.require_user(actor)
        if not self._state(conversation_id).exists:
            raise NotFound("no such conversation", {"id": conversation_id})
        message_id = domain.new_message_id()
        closed = bool((self.views["conversations"].find_one(
            {"_id": conversation_id}, {"closed": 1}) or {}).get("closed"))
        with self._denials_recorded(actor, conversation_id):
            self._execute(conversation_id,
                          lambda state: domain.post_message(actor, state, message_id, closed),
                          actor,
                          [self._text(message_id, conversation_id, actor["id"], data["body"])])
        index = self.views["message_index"].find_one({"_id": message_id}) or {"_id": message_id}
        authors = members.summaries(self.views.rm, [actor["id"]])
        return {**self._message_view(index, {"body": data["body"]}, authors),
                "conversation_id": conversation_id}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def add_participant(self, actor, conversation_id, data):
        data = load_input(ParticipantSchema, data)
        actor = domain.require_user(actor)
        state = self._state(conversation_id)
        with self._denials_recorded(actor, conversation_id):
            domain.require_access(actor, state, conversation_id)
        participant_roles = (self._member(data["user_id"]) or {}).get("roles") or []
        self._execute(conversation_id, lambda s: domain.add_participant(
            actor, s, data["user_id"], participant_roles), actor, [])
        return self._present(actor, conversation_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def escalate_post(self, actor, post_id, data=None):
        """Staff take a public post into a private conversation with its author."""
        data = load_input(EscalateSchema, data)
        actor = domain.require_staff(actor)
        post = self.views["posts"].find_one({"_id": ids.POST.require(post_id)})
        if not post or post.get("state") != "published" or not post.get("author_id"):
            raise NotFound("no such post", {"id": post_id})
        post["advisor_id"] = (self._member(post["author_id"]) or {}).get("advisor_id")
        conversation_id = domain.escalation_conversation_id(post_id)
        message_id = domain.new_message_id()
        # Agora's words in the member's language (they are written once, into the dialogue)
        language = (self._member(post["author_id"]) or {}).get("language")
        title = post.get("title")
        body = data.get("message") or (
            i18n.text(language, "conversation.escalated", title=title) if title
            else i18n.text(language, "conversation.escalated_untitled"))
        subject = i18n.text(language, "conversation.escalated_subject",
                            title=title or i18n.text(language, "conversation.your_post"))
        with self._denials_recorded(actor, conversation_id):
            self._execute(conversation_id, lambda s: domain.escalate(
                actor, s, conversation_id, post, message_id), actor,
                [self._text(message_id, conversation_id, actor["id"], body,
                            subject=subject[:SUBJECT_MAX])])
        return self._present(actor, conversation_id)

    # -- advisors: their customers -------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def my_customers(self, actor, query=None):
        """The advisor's customers, most recently assigned first: each with their open
        conversations with this advisor (subjects: audited like any list) and their recent
        public activity."""
        query = load_input(CustomersQuerySchema, query)
        actor = domain.require_advisor(actor)
        after = pagination.after_cursor("assigned_ts", -1, query.get("cursor"))
        mine = {"advisor_id": actor["id"]}
        documents = list(self.views["members"].find({"$and": [mine, after]} if after else mine)
                         .sort([("assigned_ts", -1), ("_id", -1)]).limit(query["limit"] + 1))
        customers, cursor = pagination.page(documents, "assigned_ts", query["limit"])
        ids = [doc["_id"] for doc in customers]
        conversations: dict[str, list[dict[str, Any]]] = {}
        for doc in self.views["conversations"].find(
                {"member_id": {"$in": ids}, "participant_ids": actor["id"]}
                ).sort("last_ts", -1) if ids else []:
            conversations.setdefault(doc["member_id"], []).append(doc)
        shown = [doc["_id"] for docs in conversations.values() for doc in docs]
        subjects = self._subjects(shown)
        self._audit(actor, shown, "list")
        authors = members.summaries(self.views.rm, ids)
        return {"items": [{
            "customer": authors.get(doc["_id"]) or self._customer(doc),
            "branch": doc.get("branch"),
            "assigned_at": doc.get("assigned_at"),
            "open_conversations": [{
                **{key: value for key, value in self._summary(
                    conversation, subjects.get(conversation["_id"]), authors).items()
                   if key in CUSTOMER_CONVERSATION_FIELDS},
                "waiting_for_staff": conversation.get("last_author_id") == doc["_id"]}
                for conversation in conversations.get(doc["_id"], [])],
            "recent_activity": self._activity(doc["_id"], query["activity"]),
        } for doc in customers], "next_cursor": cursor}

    @staticmethod
    def _customer(member: dict[str, Any]) -> dict[str, Any]:
        return {"id": member["_id"]}

    def _activity(self, member_id: str, limit: int) -> list[dict[str, Any]]:
        if not limit:
            return []
        found = self.views["activity"].find({"author_id": member_id, "hidden": {"$ne": True}}
                                            ).sort("ts", -1).limit(limit)
        return [{"type": doc["type"], "id": doc["_id"], "post_id": doc["post_id"],
                 "kind": doc.get("kind"), "title": doc.get("title"), "at": doc.get("at")}
                for doc in found]

    # -- social listening intake -------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def intake_mention(self, actor, data):
        """A mention from a social channel: appended to the member's open social case (with
        their advisor), or an unmatched case in the staff queue. Answers references only."""
        data = load_input(MentionSchema, data)
        domain.require_service(actor)
        member = self._member(data.get("member_id"))
        if member is None and data.get("matched_email"):
            member = self.views["members"].find_one(
                {"email_hash": domain.email_hash(data["matched_email"])})
        member_id = member["_id"] if member else None
        conversation_id = domain.social_case_id(member_id, data["channel"], data["handle"])
        message_id = domain.social_message_id(data["channel"], data["external_id"])
        created = not self._state(conversation_id).exists
        text = self._text(message_id, conversation_id, member_id or f"external:{data['channel']}",
                          data["text"], channel=data["channel"],
                          external_id=data["external_id"], handle=data["handle"])
        if created:  # in the member's language when known, else the community's (French)
            text["subject"] = i18n.text((member or {}).get("language"),
                                        "conversation.social_subject", channel=data["channel"])
        commit = self._execute(conversation_id, lambda s: domain.intake_mention(
            s, conversation_id, member_id, (member or {}).get("advisor_id"), data["channel"],
            data["handle"], message_id), actor, [text])
        doc = self.views["conversations"].find_one({"_id": conversation_id}) or {}
        return {"conversation_id": conversation_id, "message_id": message_id,
                "matched": member_id is not None,
                "created": bool(commit and commit.events[0].type == domain.STARTED),
                "duplicate": commit is None,
                "queue": doc.get("pool") == domain.STAFF_POOL}

    @staticmethod
    def _text(message_id: str, conversation_id: str, author_id: str, body: str,
              **extra: Any) -> dict[str, Any]:
        return {"_id": message_id, "conversation_id": conversation_id, "author_id": author_id,
                "body": body, "created_at": utc_now(), **extra}

    # -- events --------------------------------------------------------------------------------

    @reliable_handler("conversations", "conversations.*")
    def project(self, event: Envelope):
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
        closed = [doc["_id"] for doc in self.views["conversations"].find(
            {"member_id": member_id}, {"_id": 1})]
        if closed:
            self.db["messages"].delete_many({"conversation_id": {"$in": closed}})

    def _move_advisor_seat(self, member_id: str, context: CommandContext) -> None:
        """Decided on the *current* assignment (the `members` read model, applied in identity's
        stream order), not on the event's: a late re-delivery of an older assignment cannot
        give the seat back to a former advisor. Idempotent per conversation."""
        advisor_id = (self._member(member_id) or {}).get("advisor_id")
        if not advisor_id:
            return
        for doc in self.views["conversations"].find({"member_id": member_id}, {"_id": 1}):
            commit = self.store.execute(
                domain.stream(doc["_id"]),
                lambda history: domain.change_advisor(domain.fold(history), advisor_id), context)
            if commit is not None:
                self.views.apply_commit(commit)

    @reliable_handler("identity", "identity.*", private=True)
    def on_identity_private_event(self, event: Envelope):
        """E-mail addresses (kept hashed in `members`), to match social mentions by e-mail."""
        self.views.record_and_apply(event)

    @reliable_handler("posts", "posts.*")
    def on_posts_event(self, event: Envelope):
        """Authors and titles of published posts, for escalations."""
        self.views.record_and_apply(event)
