"""Cursor pagination over (sort field, _id): opaque cursors, no skip/limit drift.

A cursor is base64url(JSON [sort value, id]) of the last item of a page; the next page is what
sorts strictly after it on (field, _id), so pages neither skip nor repeat items that share a
sort value. Used by every list RPC (posts, replies, the moderation queue, the audit trail).

Example::

    conditions = after_cursor("published_ts", -1, query.get("cursor"))
    documents = list(collection.find({"$and": [base, conditions]} if conditions else base)
                     .sort([("published_ts", -1), ("_id", -1)]).limit(limit + 1))
    items, next_cursor = page(documents, "published_ts", limit)
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .errors import InvalidInput


def encode_cursor(value: Any, doc_id: str) -> str:
    raw = json.dumps([value, doc_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, str]:
    """(sort value, id); `InvalidInput` (400) for anything we did not issue."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, doc_id = json.loads(raw)
        if not isinstance(doc_id, str) or isinstance(value, (dict, list)):
            raise ValueError("bad cursor shape")
    except (ValueError, binascii.Error, TypeError, UnicodeDecodeError):
        raise InvalidInput("invalid cursor",
                           {"fields": {"cursor": ["not a cursor we issued"]}}) from None
    return value, doc_id


def after_cursor(field: str, direction: int, cursor: str | None) -> dict[str, Any]:
    """The filter for "strictly after this cursor" in (field, _id) order (direction 1 / -1)."""
    if not cursor:
        return {}
    value, doc_id = decode_cursor(cursor)
    op = "$lt" if direction < 0 else "$gt"
    return {"$or": [{field: {op: value}}, {field: value, "_id": {op: doc_id}}]}


def page(documents: list[dict[str, Any]], field: str, limit: int
         ) -> tuple[list[dict[str, Any]], str | None]:
    """Cut a `limit + 1` fetch into (items, next cursor or None)."""
    items = documents[:limit]
    if len(documents) <= limit or not items:
        return items, None
    last = items[-1]
    return items, encode_cursor(last.get(field), last["_id"])
