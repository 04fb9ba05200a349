"""The exact shape of every id a client can put in a path, defined once.

An id names a stream (a post's stream is its id, a conversation's `conv-<id>`, a user's
`user-<id>`...), and stream ids of other kinds are built from ids with suffixes and prefixes
(`<post>.r1` is the post's private content stream, `<post>.flags` a moderation item). An id that
is not *exactly* of its kind's shape must never reach a store: `/posts/<post>.r1/vote` would
otherwise fold a content stream as a post. So the gateway validates every path id with these
shapes (`path_schema`, a 404 problem when one does not match), and the services check them again
where they turn an id into a stream id (`IdShape.require`, `NotFound`) — RPC is an entrypoint too.

Example::

    >>> POST.matches("p0123456789abcdef0123"), POST.matches("p0123456789abcdef0123.r1")
    (True, False)
    >>> PostPath = path_schema(id=POST)          # the gateway's path schema for /posts/{id}
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, fields, validate

from .errors import NotFound


@dataclass(frozen=True)
class IdShape:
    kind: str      # what it names, for messages ("post")
    pattern: str   # the whole id, anchored when used
    example: str

    def matches(self, value: Any) -> bool:
        return isinstance(value, str) and re.fullmatch(self.pattern, value) is not None

    def require(self, value: Any) -> str:
        """`value` if it has this shape, else `NotFound` (no such thing can exist)."""
        if not self.matches(value):
            raise NotFound.from_catalogue(f"no_such_{self.kind.replace(' ', '_')}",
                                          {"id": str(value)[:128]})
        return value

    def field(self, **kwargs: Any) -> fields.String:
        """A marshmallow field accepting exactly this shape (OpenAPI: `pattern`, `example`)."""
        return fields.String(validate=validate.Regexp(f"^(?:{self.pattern})$"),
                             metadata={"example": self.example,
                                       "description": f"a {self.kind} id"}, **kwargs)


_HEX32 = "[0-9a-f]{32}"

USER = IdShape("user", _HEX32, "3f1c2a9e8b7d4c6f9a0b1c2d3e4f5a6b")
POST = IdShape("post", "p[0-9a-f]{20}", "p3f1c2a9e8b7d4c6f9a0b")
REPLY = IdShape("reply", "r[0-9a-f]{20}", "r3f1c2a9e8b7d4c6f9a0b")
CONVERSATION = IdShape("conversation", _HEX32, "9d2e4f6a8b0c1d3e5f7a9b1c3d5e7f90")
MODERATION_ITEM = IdShape("moderation item",
                          rf"(?:{POST.pattern}|{REPLY.pattern})\.(?:r[0-9]{{1,9}}|flags)",
                          "p3f1c2a9e8b7d4c6f9a0b.r1")

SHAPES = (USER, POST, REPLY, CONVERSATION, MODERATION_ITEM)


def contribution(target_type: str) -> IdShape:
    """The shape of a post or a reply id, by the target type the services use."""
    return {"post": POST, "reply": REPLY}[target_type]


def path_schema(**shapes: IdShape) -> type[Schema]:
    """A marshmallow schema for a route's path parameters: `path_schema(id=POST)`."""
    name = "Path" + "".join(f"{key.title()}{shape.kind.title()}".replace("_", "").replace(" ", "")
                            for key, shape in shapes.items())
    return Schema.from_dict({key: shape.field(required=True) for key, shape in shapes.items()},
                            name=name)
