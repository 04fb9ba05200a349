"""Conversations' reads: the read models (projections.py) and the stored texts (`messages`), with
every read of private content recorded in `access_audit` (who read which conversation, when)
and every refused access audited and logged as a security event. The entrypoints in service.py
call these and return; the shapes are presenters.py's.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from services.shared import ids, members, pagination
from services.shared.actors import STAFF_ROLES, holds_any, is_moderator, roles
from services.shared.envelope import utc_now
from services.shared.errors import InvalidInput, NotFound, Unprocessable
from services.shared.projections import ReadModels
from services.shared.security_log import security_event
from services.shared.slugs import fold

from . import domain, presenters
from .notes import Notes
from .projections import email_lookup
from .schemas import CUSTOMER_SIDE, STAFF_SIDE
from .texts import Texts


def name_holds(name: str | None, wanted: str) -> bool:
    """Whether a display name holds what an advisor typed, whatever its case and accents
    (« dubois » finds « Dubois », « helene » « Hélène »)."""
    return fold(wanted.strip()) in fold(name or "")


class ConversationQueries:
    """`db`: the service's own database (texts, access audit); `correlation`: the request's."""

    def __init__(self, views: ReadModels, db, correlation: str | None):
        self.views, self.db, self.correlation = views, db, correlation
        self.texts = Texts(db)

    # -- access and its audit

    def member(self, user_id: str | None) -> dict[str, Any] | None:
        return self.views["members"].find_one({"_id": user_id}) if user_id else None

    def readable(self, actor, conversation_id: str) -> dict[str, Any]:
        doc = self.views["conversations"].find_one({"_id": conversation_id}) \
            if ids.CONVERSATION.matches(conversation_id) else None
        with self.denials_recorded(actor, conversation_id):
            domain.require_access(actor, doc, conversation_id)
        return doc

    @contextmanager
    def denials_recorded(self, actor, conversation_id: str) -> Iterator[None]:
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

    def _subjects(self, conversation_ids: list[str]) -> dict[str, str | None]:
        return self.texts.subjects(conversation_ids)

    def _texts(self, message_ids: list[str]) -> dict[str, dict[str, Any]]:
        """message id -> its stored text (subject, body), opened (texts.py)."""
        return self.texts.by_message(message_ids)

    # -- conversations

    def conversation(self, actor, conversation_id: str, query: dict[str, Any] | None = None
                     ) -> dict[str, Any]:
        """One conversation with a page of its messages (audited: `read`): oldest first, or
        newest first with `order=desc` (a chat's last page; its cursor pages back), or only
        those after a message already shown (`after`, oldest first: a live catch-up)."""
        query = query or {"limit": 50}
        doc = self.readable(actor, conversation_id)
        if doc.get("closed"):  # its member erased their account: nothing left to read
            authors = members.summaries(self.views.rm, [doc.get("member_id")])
            return {**presenters.summary(doc, None, authors, actor["id"]), "messages": [],
                    "next_cursor": None}
        direction = -1 if query.get("order") == "desc" else 1
        after = pagination.after_cursor("ts", direction, query.get("cursor")
                                        or self._message_cursor(conversation_id,
                                                                query.get("after")))
        conditions = [{"conversation_id": conversation_id}] + ([after] if after else [])
        limit = query["limit"]
        documents = list(self.views["message_index"].find({"$and": conditions})
                         .sort([("ts", direction), ("_id", direction)]).limit(limit + 1))
        items, cursor = pagination.page(documents, "ts", limit)
        texts = self._texts([i["_id"] for i in items])
        self._audit(actor, [conversation_id], "read")
        authors = members.summaries(self.views.rm, [doc.get("member_id")]
                                    + [i.get("author_id") for i in items])
        return {**presenters.summary(doc, self._subjects([conversation_id]).get(
                    conversation_id), authors, actor["id"]),
                "messages": [presenters.message(i, texts.get(i["_id"]), authors)
                             for i in items],
                "next_cursor": cursor,
                # the reader may open its member's timeline (the timeline's own rule)
                "customer_timeline": ids.USER.matches(doc.get("member_id") or "")
                and domain.can_see_timeline(actor, self.member(doc.get("member_id")))}

    def _message_cursor(self, conversation_id: str, message_id: str | None) -> str | None:
        """The cursor at a message of this conversation (`after`); 400 for any other id."""
        if not message_id:
            return None
        doc = self.views["message_index"].find_one(
            {"_id": message_id, "conversation_id": conversation_id}, {"ts": 1})
        if doc is None:
            raise InvalidInput("unknown message", {"fields": {
                "after": ["not a message of this conversation"]}})
        return pagination.encode_cursor(doc.get("ts"), doc["_id"])

    def conversations(self, actor, query: dict[str, Any]) -> dict[str, Any]:
        """Mine, most recently active first, or (`sort=waiting`, the advisors' inbox) those
        waiting for staff first, the longest wait first, then the others by last activity
        (`inbox_rank`, projections.py); CMs and admins also see the staff queue (audited:
        `list`, subjects are private content too). `side`: customer, only those the actor is
        the customer of (staff bank here too); staff, only the others. `ids`: only these (a
        screen naming the conversations it shows reads, and the audit records, those alone)."""
        visible: dict[str, Any] = {"participant_ids": actor["id"]}
        if is_moderator(actor):
            visible = {"$or": [visible, {"pool": domain.STAFF_POOL}]}
        if query.get("side") == CUSTOMER_SIDE:
            visible = {"member_id": actor["id"]}  # its customer is always a participant
        elif query.get("side") == STAFF_SIDE:
            visible = {"$and": [visible, {"member_id": {"$ne": actor["id"]}}]}
        if query.get("customer"):  # within what the actor may read (index `member_inbox`)
            visible = {"$and": [visible, {"member_id": query["customer"]}]}
        if query.get("ids"):  # within what the actor may read, by `_id`: the others left out
            visible = {"$and": [visible, {"_id": {"$in": query["ids"]}}]}
        key = "inbox_rank" if query.get("sort") == "waiting" else "last_ts"
        after = pagination.after_cursor(key, -1, query.get("cursor"))
        conditions = [visible] + ([after] if after else [])
        limit = query["limit"]
        documents = list(self.views["conversations"].find({"$and": conditions})
                         .sort([(key, -1), ("_id", -1)]).limit(limit + 1))
        items, cursor = pagination.page(documents, key, limit)
        listed = [doc["_id"] for doc in items]
        subjects = self._subjects(listed)
        self._audit(actor, listed, "list")  # subjects are private content too
        authors = members.summaries(self.views.rm, [doc.get("member_id") for doc in items]
                                    + [query.get("customer")])
        found = {"items": [presenters.summary(doc, subjects.get(doc["_id"]), authors,
                                               actor["id"])
                           for doc in items],
                 "next_cursor": cursor}
        if query.get("customer"):
            found["customer"] = self._listed_customer(actor, query["customer"], authors, items)
        return found

    def _listed_customer(self, actor, member_id: str, authors: dict[str, dict[str, Any]],
                         listed: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The customer a list is filtered by, named only to who may see them: one of their
        conversations is listed, or the reader may open their timeline (their advisor, CMs:
        `customer_timeline`, the conversation page's rule). Anyone else gets None whoever the
        id names (nobody, or another advisor's customer: the same answer), a refusal logged
        as the timeline logs it. Oneself is no refusal: a member filtering by their own id
        (with no conversation yet) is named to themselves and nothing is logged."""
        timeline = domain.can_see_timeline(actor, self.member(member_id))
        if not (listed or timeline or member_id == actor["id"]):
            security_event("authorization_failed", actor=actor, request_id=self.correlation,
                           reason="not a customer one may see", member_id=member_id)
            return None
        return {**(authors.get(member_id) or {"id": member_id}), "customer_timeline": timeline}

    def posted_message(self, actor, conversation_id: str, message_id: str, body: str
                       ) -> dict[str, Any]:
        index = self.views["message_index"].find_one({"_id": message_id}) or {"_id": message_id}
        authors = members.summaries(self.views.rm, [actor["id"]])
        return {**presenters.message(index, {"body": body}, authors),
                "conversation_id": conversation_id}

    # -- staff's internal notes

    def notes_readable(self, actor, conversation_id: str) -> dict[str, Any]:
        """The conversation when the actor may read its notes; `NotFound` (audited, logged as
        for a conversation) for anyone else, the member included."""
        doc = self.views["conversations"].find_one({"_id": conversation_id}) \
            if ids.CONVERSATION.matches(conversation_id) else None
        with self.denials_recorded(actor, conversation_id):
            domain.require_notes_access(actor, doc, conversation_id)
        return doc

    def notes(self, actor, conversation_id: str) -> dict[str, Any]:
        """Every note of the conversation, oldest first, newest last (audited: `notes`)."""
        self.notes_readable(actor, conversation_id)
        index = list(self.views["note_index"].find({"conversation_id": conversation_id})
                     .sort([("ts", 1), ("_id", 1)]))
        return {"items": self._notes(actor, [conversation_id], index)}

    def added_note(self, actor, conversation_id: str, note_id: str) -> dict[str, Any]:
        index = self.views["note_index"].find_one({"_id": note_id}) \
            or {"_id": note_id, "conversation_id": conversation_id, "author_id": actor["id"]}
        return self._notes(actor, [conversation_id], [index])[0]

    def _notes(self, actor, conversation_ids: list[str], index: list[dict[str, Any]]
               ) -> list[dict[str, Any]]:
        bodies = Notes(self.db).by_id([entry["_id"] for entry in index])
        self._audit(actor, conversation_ids, "notes")
        authors = members.summaries(self.views.rm, [entry.get("author_id") for entry in index])
        return [presenters.note(entry, bodies.get(entry["_id"]), authors) for entry in index]

    def closed(self, conversation_id: str) -> bool:
        return bool((self.views["conversations"].find_one(
            {"_id": conversation_id}, {"closed": 1}) or {}).get("closed"))

    def in_queue(self, conversation_id: str) -> bool:
        doc = self.views["conversations"].find_one({"_id": conversation_id}) or {}
        return doc.get("pool") == domain.STAFF_POOL

    def published_post(self, post_id: str) -> dict[str, Any]:
        """A published post with an author (for an escalation), else 404."""
        post = self.views["posts"].find_one({"_id": ids.POST.require(post_id)})
        if not post or post.get("state") != "published" or not post.get("author_id"):
            raise NotFound("no such post", {"id": post_id})
        return post

    def member_by_email(self, email: str) -> dict[str, Any] | None:
        """The member whose *verified* address this is (an unverified one may be a squatter's:
        the mention then waits unmatched in the staff queue)."""
        return self.views["members"].find_one(
            {"email_hash": domain.email_hash(email, email_lookup(self.db)),
             "email_verified": True})

    def colleague_by_email(self, email: str) -> str:
        """The staff member whose verified address this is. An address of nobody and one of a
        member who is not staff get the same refusal: the lookup tells staff nothing about
        who has an account (identity keeps that to admins and CMs)."""
        found = self.member_by_email(email)
        if not found or not holds_any(found.get("roles") or (), STAFF_ROLES):
            raise Unprocessable.from_catalogue("no_such_colleague", {"fields": {"email": [
                "no bank staff member has this verified address"]}})
        return found["_id"]

    def conversation_ids_of(self, member_id: str) -> list[str]:
        return [doc["_id"] for doc in self.views["conversations"].find(
            {"member_id": member_id}, {"_id": 1})]

    # -- the member's export, the advisor's customers

    def export(self, actor) -> dict[str, Any]:
        """Every conversation the actor is the member of, with all its messages, oldest first
        (audited: `export`)."""
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
                presenters.message(entry, texts.get(entry["_id"]), authors))
        notes = self._exported_notes(actor, listed)
        return {"conversations": [
            {**presenters.summary(doc, subjects.get(doc["_id"]), authors, actor["id"]),
             "messages": messages.get(doc["_id"], []), "notes": notes.get(doc["_id"], [])}
            for doc in sorted(documents, key=lambda doc: doc.get("created_at") or "")]}

    def _exported_notes(self, actor, listed: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Staff's internal notes on the member's conversations: never shown to them in the
        app, but what the bank wrote about them is their personal data (GDPR Art. 15: the
        right of access), so their export holds them, with their authors and times."""
        index = list(self.views["note_index"].find({"conversation_id": {"$in": listed}})
                     .sort([("ts", 1), ("_id", 1)])) if listed else []
        notes: dict[str, list[dict[str, Any]]] = {}
        for note in self._notes(actor, [], index):
            notes.setdefault(note["conversation_id"], []).append(note)
        return notes

    def customers(self, actor, query: dict[str, Any]) -> dict[str, Any]:
        """The advisor's customers, most recently assigned first: each with their open
        conversations with this advisor (subjects: audited like any list) and their recent
        public activity."""
        after = pagination.after_cursor("assigned_ts", -1, query.get("cursor"))
        mine: dict[str, Any] = {"advisor_id": actor["id"]}
        if (query.get("q") or "").strip():
            mine["_id"] = {"$in": self._customers_named(actor, query["q"])}
        documents = list(self.views["members"].find({"$and": [mine, after]} if after else mine)
                         .sort([("assigned_ts", -1), ("_id", -1)]).limit(query["limit"] + 1))
        customers, cursor = pagination.page(documents, "assigned_ts", query["limit"])
        customer_ids = [doc["_id"] for doc in customers]
        activity = {doc["_id"]: self._activity(doc["_id"], query["activity"])
                    for doc in customers}
        titles = self._titles([entry for entries in activity.values() for entry in entries])
        conversations: dict[str, list[dict[str, Any]]] = {}
        for doc in self.views["conversations"].find(
                {"member_id": {"$in": customer_ids}, "participant_ids": actor["id"],
                 "closed": {"$ne": True}}).sort("last_ts", -1) if customer_ids else []:
            conversations.setdefault(doc["member_id"], []).append(doc)
        shown = [doc["_id"] for docs in conversations.values() for doc in docs]
        subjects = self._subjects(shown)
        self._audit(actor, shown, "list")
        authors = members.summaries(self.views.rm, customer_ids)
        return {"items": [{
            "customer": authors.get(doc["_id"]) or {"id": doc["_id"]},
            "branch": doc.get("branch"),
            "assigned_at": doc.get("assigned_at"),
            "open_conversations": [presenters.customer_conversation(
                conversation, subjects.get(conversation["_id"]), authors)
                for conversation in conversations.get(doc["_id"], [])],
            "recent_activity": [presenters.activity(entry, titles)
                                for entry in activity[doc["_id"]]],
        } for doc in customers], "next_cursor": cursor}

    def _customers_named(self, actor, wanted: str) -> list[str]:
        """The advisor's customers whose name holds `wanted` (`name_holds`), in their whole
        portfolio: the names are the members' summaries (identity's), not in the `members`
        view, so the portfolio's ids (its index alone) and their summaries are read, then the
        page is cut among those that match — a filter of one page of them missed the others."""
        portfolio = [doc["_id"] for doc in self.views["members"].find(
            {"advisor_id": actor["id"]}, {"_id": 1})]
        names = members.summaries(self.views.rm, portfolio)
        return [member_id for member_id in portfolio
                if name_holds(names[member_id].get("display_name"), wanted)]

    def own_customer(self, actor, member_id: str) -> dict[str, Any]:
        """The customer an advisor writes to first (`domain.require_own_customer`): their
        `members` document, or `NotFound` for anyone but their advisor, logged as a security
        event as the timeline's refusals are."""
        member = self.member(member_id) if ids.USER.matches(member_id) else None
        try:
            domain.require_own_customer(actor, member)
        except NotFound:
            security_event("authorization_failed", actor=actor, request_id=self.correlation,
                           reason="not this customer's advisor", member_id=member_id)
            raise NotFound("no such customer", {"id": member_id}) from None
        return member

    def timeline(self, actor, member_id: str, query: dict[str, Any]) -> dict[str, Any]:
        """The customer's public posts and replies and the messages of their conversations the
        reader may read, newest first: two reads ordered by `(ts, _id)`, each cut at the page
        size, merged (audited: `read` for every conversation shown)."""
        member = self.member(member_id) if ids.USER.matches(member_id) else None
        if not domain.can_see_timeline(actor, member):
            security_event("authorization_failed", actor=actor, request_id=self.correlation,
                           reason="not this customer's advisor", member_id=member_id)
            raise NotFound("no such customer", {"id": member_id})
        readable = {doc["_id"]: doc for doc in self.views["conversations"].find(
            {"member_id": member_id}) if domain.can_read(actor, doc) and not doc.get("closed")}
        after = pagination.after_cursor("ts", -1, query.get("cursor"))
        limit, newest = query["limit"], [("ts", -1), ("_id", -1)]

        def recent(collection: str, scope: dict[str, Any]) -> list[dict[str, Any]]:
            return list(self.views[collection].find({"$and": [scope, after]} if after else scope)
                        .sort(newest).limit(limit + 1))
        public = recent("activity", {"author_id": member_id, "hidden": {"$ne": True}})
        private = recent("message_index", {"conversation_id": {"$in": sorted(readable)}}) \
            if readable else []
        merged = sorted([*public, *private], key=lambda doc: (doc["ts"], doc["_id"]),
                        reverse=True)
        items, cursor = pagination.page(merged, "ts", limit)
        shown = sorted({doc["conversation_id"] for doc in items if doc.get("conversation_id")})
        texts = self._texts([doc["_id"] for doc in items if doc.get("conversation_id")])
        subjects = self._subjects(shown)
        self._audit(actor, shown, "read")
        authors = members.summaries(self.views.rm, [member_id] + [
            doc.get("author_id") for doc in items])
        titles = self._titles([doc for doc in items if not doc.get("conversation_id")])
        return {"member": authors.get(member_id) or {"id": member_id},
                "writable": domain.is_own_customer(actor, member),  # « Écrire à »
                "items": [presenters.activity(doc, titles) | {"channel": "site"}
                          if not doc.get("conversation_id") else presenters.timeline_message(
                              doc, readable[doc["conversation_id"]], texts.get(doc["_id"]),
                              subjects.get(doc["conversation_id"]), authors)
                          for doc in items], "next_cursor": cursor}

    def _activity(self, member_id: str, limit: int) -> list[dict[str, Any]]:
        if not limit:
            return []
        return list(self.views["activity"].find({"author_id": member_id, "hidden": {"$ne": True}}
                                                ).sort("ts", -1).limit(limit))

    def _titles(self, activity: list[dict[str, Any]]) -> dict[str, str]:
        """The current titles of the posts of `activity` (a post's, or a reply's post's): one
        read, so that an edit or a redaction shows on every entry at once."""
        post_ids = sorted({doc["post_id"] for doc in activity})
        return {doc["_id"]: doc["title"] for doc in self.views["posts"].find(
            {"_id": {"$in": post_ids}}, {"title": 1}) if doc.get("title")} if post_ids else {}
