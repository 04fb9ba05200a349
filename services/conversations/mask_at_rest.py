"""`agora mask-at-rest conversations`: the card numbers that texts stored before the release that
masks at write time still hold whole, masked in place (PCI DSS 3.4: a PAN unreadable at rest;
a sealed one is readable by whoever unseals it).

Where a customer's free text rests in conversations' database: ``messages`` (each message's
body, and the conversation's subject on its first message; social mentions too) and ``notes``
(staff's notes' bodies). The events only reference them (domain.py), so no event payload is
rewritten, and no read model holds a copy (projections.py: ``message_index`` and ``note_index``
keep no body). Each stored value is opened with its member's key, masked by the rule the service
applies when it stores one (`mask_card_data`), limited to the card's data (`CARD_KINDS`: the
number, and its security code beside it; the PINs and passwords masked at write time since are not
looked for in old history), and sealed again — only when masking changed it.

- one document, one update: all its changed fields in one ``$set``, sent in bulk;
- compare-and-set: the update matches the sealed values it read (their nonce and data: a value
  sealed again has a new nonce), so a write made meanwhile is never overwritten (counted as
  `conflicts`: run again);
- idempotent and resumable: a masked text masks to itself, so a second run (or a run after an
  interrupted one) rewrites nothing more;
- a member whose key was shredded (erased) has nothing readable left: skipped, untouched;
- plain values (an unmatched social case's, or stored before sealing existed) stay plain.

Answers counts only, never a text.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from pymongo import UpdateOne

from services.shared.card_masking import CARD_KINDS, mask_card_data
from services.shared.shredding import SubjectKeys, is_sealed

from .notes import COLLECTION as NOTES
from .notes import note_context
from .texts import SEALED_FIELDS, message_context

BATCH_SIZE = 500
_SHREDDED = object()  # what `unseal` gives once the member's key is gone


@dataclass(frozen=True)
class Place:
    """A collection of free texts: its sealed fields and the context each is sealed in."""

    collection: str
    fields: tuple[str, ...]
    context: Callable[[str, str], str]  # (document id, field) -> sealing context


PLACES = (
    Place("messages", SEALED_FIELDS, message_context),
    Place(NOTES, ("body",), lambda note_id, _field: note_context(note_id)),
)


@dataclass
class Counts:
    collection: str
    scanned: int = 0  # documents read
    masked: int = 0  # documents rewritten (with --dry-run: to be rewritten)
    skipped: int = 0  # documents of an erased member (nothing readable to mask)
    conflicts: int = 0  # written meanwhile by someone else: left as they are (run again)


def mask_at_rest(db, keys: SubjectKeys | None = None, dry_run: bool = False,
                 batch_size: int = BATCH_SIZE) -> list[dict[str, Any]]:
    """Mask, in place, the card numbers of every stored text of conversations' `db`; one
    count per collection (`dry_run`: count only, write nothing)."""
    keys = keys if keys is not None else SubjectKeys.beside(db, "conversations")
    return [asdict(_mask_place(db[place.collection], place, keys, dry_run, batch_size))
            for place in PLACES]


def _mask_place(collection, place: Place, keys: SubjectKeys, dry_run: bool,
                batch_size: int) -> Counts:
    counts = Counts(place.collection)
    for documents in _pages(collection, dict.fromkeys(place.fields, 1), batch_size):
        keys.prefetch(str(value["subject"]) for document in documents
                      for name in place.fields
                      if is_sealed(value := document.get(name)) and not value.get("erased"))
        updates = []
        for document in documents:
            counts.scanned += 1
            update = masked_update(document, place, keys)
            if update is _SHREDDED:
                counts.skipped += 1
            elif update is not None:
                updates.append(update)
        if dry_run:
            counts.masked += len(updates)
        elif updates:
            written = collection.bulk_write(updates, ordered=False).modified_count
            counts.masked += written
            counts.conflicts += len(updates) - written
    return counts


def masked_update(document: dict[str, Any], place: Place, keys: SubjectKeys) -> Any:
    """The document's compare-and-set update (its changed fields, matched on the values read),
    None when masking changes nothing, `_SHREDDED` when its member's key is gone."""
    match: dict[str, Any] = {"_id": document["_id"]}
    changes: dict[str, Any] = {}
    for name in place.fields:
        stored = document.get(name)
        if stored is None:
            continue
        context = place.context(document["_id"], name)
        text = keys.unseal(stored, context, placeholder=_SHREDDED)
        if text is _SHREDDED:
            return _SHREDDED
        masked, _ = mask_card_data(text, CARD_KINDS) if isinstance(text, str) else (text, [])
        if masked == text:
            continue
        if is_sealed(stored):  # sealed again, with the same member's key and context
            changes[name] = keys.seal(str(stored["subject"]), masked, context)
            match[f"{name}.nonce"], match[f"{name}.data"] = stored["nonce"], stored["data"]
        else:
            changes[name], match[name] = masked, stored
    return UpdateOne(match, {"$set": changes}) if changes else None


def _pages(collection, projection: dict[str, int], size: int
           ) -> Iterator[list[dict[str, Any]]]:
    """The collection a page at a time in `_id` order, each page read after the last `_id` of
    the one before: every read walks the `_id` index and stops at `size` (one long cursor
    would hold the whole walk, and time out on a large collection)."""
    after: dict[str, Any] = {}
    while True:
        page = list(collection.find(after, projection).sort("_id", 1).limit(size))
        if page:
            yield page
        if len(page) < size:
            return
        after = {"_id": {"$gt": page[-1]["_id"]}}
