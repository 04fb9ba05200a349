"""Staff's saved replies: texts an advisor or a CM wrote once and inserts into their answers
(« Réponses enregistrées »). Each staff member's are theirs alone: the stream
``saved-replies-<user>`` (its events ``conversations.saved_reply_saved|removed``, PRIVATE and
ids only), the texts at rest in ``saved_reply_texts`` (not a read model: never dropped by a
replay), and the read model ``saved_replies`` (whose, since when) that lists them.

The texts are the staff member's own words, not a customer's data: they are not sealed with a
member's key. Card numbers are masked before they are stored all the same (PCI DSS), as in
messages. Pure decisions (`fold`, `save`, `remove`) and the storage (`SavedReplies`) only; the
RPCs are service.py's, the projection's handlers projections.py's.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.shared.commands import fresh_uuid
from services.shared.envelope import Envelope, NewEvent, utc_now
from services.shared.errors import NotFound, Unprocessable
from services.shared.ids import IdShape

SAVED = "conversations.saved_reply_saved"
REMOVED = "conversations.saved_reply_removed"

TITLE_MAX = 80
PER_PERSON_MAX = 50  # a panel above the reply box, read at a glance: not a library
TEXTS = "saved_reply_texts"  # the titles and bodies, keyed by saved reply id
VIEW = "saved_replies"  # the read model: one document per saved reply still kept
ID = IdShape("saved reply", "[0-9a-f]{32}", "5b0e2c9d7a1f4e3b8c6d2a0f9e1b7c4d")


def stream(user_id: str) -> str:
    return f"saved-replies-{user_id}"


def new_id() -> str:
    return fresh_uuid("saved_reply").hex  # the same on a retry of the same command


def fold(events: Iterable[Envelope]) -> list[str]:
    """The ids of the staff member's saved replies still kept, oldest first."""
    kept: list[str] = []
    for event in events:
        reply_id = event.payload["saved_reply_id"]
        if event.type == SAVED and reply_id not in kept:
            kept.append(reply_id)
        elif event.type == REMOVED and reply_id in kept:
            kept.remove(reply_id)
    return kept


def save(user_id: str, kept: list[str], reply_id: str) -> list[NewEvent]:
    """Saved once (a retry of the same command saves nothing more); past `PER_PERSON_MAX`, 422
    on the title, the field the person would change first (by removing one)."""
    if reply_id in kept:
        return []
    if len(kept) >= PER_PERSON_MAX:
        raise Unprocessable.from_catalogue("saved_replies_full", {"fields": {"title": [
            f"at most {PER_PERSON_MAX} saved replies: remove one first"]}}, max=PER_PERSON_MAX)
    return [NewEvent(SAVED, {"user_id": user_id, "saved_reply_id": reply_id})]


def remove(user_id: str, kept: list[str], reply_id: str) -> list[NewEvent]:
    """Only one's own: another's (or one removed already) is as unknown (404)."""
    ID.require(reply_id)
    if reply_id not in kept:
        raise NotFound.from_catalogue("no_such_saved_reply", {"id": reply_id[:128]})
    return [NewEvent(REMOVED, {"user_id": user_id, "saved_reply_id": reply_id})]


class SavedReplies:
    """The texts (``saved_reply_texts``) and the read model (``saved_replies``) read together."""

    def __init__(self, db, views):
        self.texts = db[TEXTS]
        self.views = views

    def store(self, user_id: str, reply_id: str, title: str, body: str) -> None:
        """Before the event that references it. Idempotent: a re-decided command keeps the
        first document."""
        self.texts.update_one({"_id": reply_id}, {"$setOnInsert": {
            "user_id": user_id, "title": title, "body": body, "created_at": utc_now()}},
            upsert=True)

    def forget(self, reply_id: str) -> None:
        """Once removed, its text goes too (nobody reads it again)."""
        self.texts.delete_one({"_id": reply_id})

    def forget_all(self, user_id: str) -> None:
        """Erasure of the person's account: their texts go."""
        self.texts.delete_many({"user_id": user_id})

    def of(self, user_id: str) -> list[dict[str, Any]]:
        """The person's saved replies, oldest first (the order they built their panel in)."""
        index = list(self.views[VIEW].find({"user_id": user_id}).sort([("ts", 1), ("_id", 1)]))
        texts = {doc["_id"]: doc for doc in self.texts.find(
            {"_id": {"$in": [entry["_id"] for entry in index]}})}
        return [present(entry, texts.get(entry["_id"])) for entry in index
                if entry["_id"] in texts]

    def one(self, user_id: str, reply_id: str) -> dict[str, Any]:
        doc = self.texts.find_one({"_id": reply_id, "user_id": user_id})
        if doc is None:
            raise NotFound.from_catalogue("no_such_saved_reply", {"id": reply_id[:128]})
        return present({"_id": reply_id, "created_at": doc.get("created_at")}, doc)


def present(entry: dict[str, Any], text: dict[str, Any] | None) -> dict[str, Any]:
    text = text or {}
    return {"id": entry["_id"], "title": text.get("title"), "body": text.get("body"),
            "created_at": entry.get("created_at") or text.get("created_at")}
