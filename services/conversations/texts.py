"""The private texts at rest: conversations' ``messages`` (subject and body of each message,
keyed by message id — the events only reference them).

Subjects and bodies are sealed with the key of the conversation's member (crypto-shredding,
services/shared/shredding.py): the conversation is that member's exchange with the bank, so
staff's answers in it are their personal data too. Once the member's key is shredded, a backup
of ``messages`` holds nothing readable and a read gives None. A social case nobody matched has
no member: its texts (public posts of an outside handle) stay as they came. Texts stored before
sealing existed still read (plain values pass through).
"""
from __future__ import annotations

from contextlib import suppress
from typing import Any

from pymongo.errors import DuplicateKeyError

from services.shared.shredding import SubjectKeys

SEALED_FIELDS = ("subject", "body")  # the rest of a text are references


def message_context(message_id: str, field: str) -> str:
    # bound to the message: a sealed body copied onto another message does not open
    return f"conversations.messages.{message_id}.{field}"


class Texts:
    def __init__(self, db, keys: SubjectKeys | None = None):
        self.messages = db["messages"]
        self.keys = keys if keys is not None else SubjectKeys.beside(db, "conversations")

    def store(self, texts: list[dict[str, Any]], member_id: str | None) -> None:
        """Sealed with `member_id`'s key (the conversation's member; None: kept as it came).
        Idempotent: a re-decided command keeps the first document."""
        for text in texts:
            self.messages.update_one({"_id": text["_id"]},
                                     {"$setOnInsert": self._sealed(text, member_id)},
                                     upsert=True)

    def claim(self, text: dict[str, Any], member_id: str | None) -> dict[str, Any]:
        """Store `text` unless a text has its message id already, and answer the references
        of the one stored first (conversation, author, channel, handle): a social mention sent
        again, even concurrently, goes where the first one went (its id is the unique `_id`)."""
        with suppress(DuplicateKeyError):  # a concurrent twin inserted it first
            self.store([text], member_id)
        return self.reference(text["_id"]) or text

    def reference(self, message_id: str) -> dict[str, Any] | None:
        """Where a message was stored (conversation, author, channel, handle), without its
        subject and body."""
        return self.messages.find_one({"_id": message_id}, {
            "conversation_id": 1, "author_id": 1, "channel": 1, "handle": 1})

    def by_message(self, message_ids: list[str]) -> dict[str, dict[str, Any]]:
        """message id -> its text (subject, body): the one place texts are read."""
        return {text["_id"]: self._opened(text)
                for text in self.messages.find({"_id": {"$in": message_ids}})}

    def subjects(self, conversation_ids: list[str]) -> dict[str, str | None]:
        found = self.messages.find(
            {"conversation_id": {"$in": conversation_ids}, "subject": {"$exists": True}},
            {"conversation_id": 1, "subject": 1})
        return {text["conversation_id"]: self._opened(text)["subject"] for text in found}

    def _sealed(self, text: dict[str, Any], member_id: str | None) -> dict[str, Any]:
        if not member_id:
            return text
        return {**text, **{
            name: self.keys.seal(member_id, text[name], message_context(text["_id"], name))
            for name in SEALED_FIELDS if text.get(name) is not None}}

    def _opened(self, text: dict[str, Any]) -> dict[str, Any]:
        return {**text, **{name: self.keys.unseal(text[name], message_context(text["_id"], name))
                           for name in SEALED_FIELDS if name in text}}
