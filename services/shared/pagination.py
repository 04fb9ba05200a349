"""Cursor pagination over (sort field, _id): opaque cursors, no skip/limit drift.

A cursor is base64url(JSON [sort value, id]) of the last item of a page; the next page is what
sorts strictly after it on (field, _id), so pages neither skip nor repeat items that share a
sort value. Used by every list RPC (posts, replies, the moderation queue, the audit trail).
A cursor coming back is checked against the shape its list issues (`kind` of the sort value:
int by default, str where a list sorts on text), so a forged one is a 400, never a query the
database refuses.

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
from .validation import has_lone_surrogate

# The sort values our lists page on: `int` — microsecond timestamps and vote counts, which the
# database holds as 64-bit signed integers (anything larger and MongoDB refuses the query) —
# or `str` (a name key, a search's "score:ts"). A list says which one it issues.
INT64 = range(-2**63, 2**63)


def encode_cursor(value: Any, doc_id: str) -> str:
    raw = json.dumps([value, doc_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: type[int] | type[str] = int) -> tuple[Any, str]:
    """(sort value, id) of a cursor whose sort value is of `kind`, as the list issues them;
    `InvalidInput` (400) for anything we did not issue: another shape, another type (a bool, a
    float, NaN), an integer out of 64 bits, a text with a lone surrogate.

    >>> decode_cursor(encode_cursor(1733364000000000, "p1"))
    (1733364000000000, 'p1')
    >>> decode_cursor(encode_cursor("ada", "u1"), str)
    ('ada', 'u1')
    >>> decode_cursor(encode_cursor(2**70, "p1"))
    Traceback (most recent call last):
    services.shared.errors.InvalidInput: {"message": "invalid cursor", ...}
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        pair = json.loads(raw, parse_constant=_not_ours)
    except (ValueError, binascii.Error, TypeError, UnicodeDecodeError):
        raise not_ours() from None
    if not (type(pair) is list and len(pair) == 2 and _issued(pair[0], kind)
            and _issued(pair[1], str)):
        raise not_ours()
    return pair[0], pair[1]


def _issued(value: Any, kind: type[int] | type[str]) -> bool:
    if type(value) is not kind:  # not isinstance: JSON's true is an int to Python
        return False
    return value in INT64 if kind is int else not has_lone_surrogate(value)


def _not_ours(name: str) -> None:
    raise ValueError(f"{name} is not in a cursor we issue")


def not_ours() -> InvalidInput:
    """The error of a cursor we did not issue (a list that reads more in it says it too)."""
    return InvalidInput("invalid cursor", {"fields": {"cursor": ["not a cursor we issued"]}})


def after_cursor(field: str, direction: int, cursor: str | None,
                 kind: type[int] | type[str] = int) -> dict[str, Any]:
    """The filter for "strictly after this cursor" in (field, _id) order (direction 1 / -1);
    `kind`: the type of the sort field's values (`decode_cursor`)."""
    if not cursor:
        return {}
    value, doc_id = decode_cursor(cursor, kind)
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
