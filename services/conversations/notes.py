"""Staff's internal notes at rest: ``notes`` (the body of each note, keyed by note id — the event
`conversations.note_added` only references it), as ``messages`` keeps the messages (texts.py).

A note is about the conversation's member (staff between themselves: « rappelé le 3, attend
son avis d'imposition »): it is their personal data, so it is sealed with their key like the
messages — once the member's key is shredded a note reads None, and erasure deletes them with
the messages. Not a read model, never dropped by a replay.
"""
from __future__ import annotations

from typing import Any

from services.shared.shredding import SubjectKeys

COLLECTION = "notes"


def note_context(note_id: str) -> str:
    # bound to the note: a sealed body copied onto another note (or a message) does not open
    return f"conversations.notes.{note_id}.body"


class Notes:
    def __init__(self, db, keys: SubjectKeys | None = None):
        self.notes = db[COLLECTION]
        self.keys = keys if keys is not None else SubjectKeys.beside(db, "conversations")

    def store(self, note: dict[str, Any], member_id: str | None) -> None:
        """Sealed with `member_id`'s key (the conversation's member; None — an unmatched social
        case — kept as it came). Idempotent: a re-decided command keeps the first document."""
        sealed = {**note, "body": self.keys.seal(member_id, note["body"], note_context(note["_id"]))
                  } if member_id else note
        self.notes.update_one({"_id": note["_id"]}, {"$setOnInsert": sealed}, upsert=True)

    def by_id(self, note_ids: list[str]) -> dict[str, str | None]:
        """note id -> its body, opened (None once its member's key is shredded)."""
        return {note["_id"]: self.keys.unseal(note["body"], note_context(note["_id"]))
                for note in self.notes.find({"_id": {"$in": note_ids}}, {"body": 1})}

    def forget(self, conversation_ids: list[str]) -> None:
        """Erasure: the notes of the member's conversations go with their messages."""
        if conversation_ids:
            self.notes.delete_many({"conversation_id": {"$in": conversation_ids}})
