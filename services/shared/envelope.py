"""The event envelope: what every event looks like in the store and on the wire.

Example::

    >>> event = NewEvent("posts.post_submitted", {"title": "Card blocked abroad?"})
    >>> context = CommandContext(actor="user-1", correlation_id="req-42")
    >>> envelope = Envelope.new(event, stream_id="post-9", stream_version=1, context=context)
    >>> envelope.type, envelope.stream_version, envelope.correlation_id
    ('posts.post_submitted', 1, 'req-42')
"""
from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass, field, replace
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class NewEvent:
    """An event a domain decision produced, before it has an id or a place in a stream."""

    type: str
    payload: dict[str, Any]
    schema_version: int | None = None  # None: the registry's latest version


@dataclass(frozen=True)
class CommandContext:
    """Who asked, and which request or event caused the command (travels into every envelope)."""

    actor: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None

    def caused_by(self, envelope: Envelope) -> CommandContext:
        """Context for a command run in reaction to `envelope` (same correlation, caused by it)."""
        return CommandContext(
            actor=self.actor or envelope.actor,
            correlation_id=envelope.correlation_id or self.correlation_id,
            causation_id=envelope.id,
        )


@dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    schema_version: int
    stream_id: str
    stream_version: int
    occurred_at: str  # ISO 8601, UTC
    actor: str | None
    correlation_id: str | None
    causation_id: str | None
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def source_service(self) -> str:
        """`posts.post_published` was published by the `posts` service."""
        return self.type.split(".", 1)[0]

    @classmethod
    def new(
        cls,
        event: NewEvent,
        *,
        stream_id: str,
        stream_version: int,
        context: CommandContext,
        schema_version: int = 1,
    ) -> Envelope:
        return cls(
            id=new_id(),
            type=event.type,
            schema_version=schema_version,
            stream_id=stream_id,
            stream_version=stream_version,
            occurred_at=utc_now().isoformat(),
            actor=context.actor,
            correlation_id=context.correlation_id,
            causation_id=context.causation_id,
            payload=dict(event.payload),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def header(self) -> dict[str, Any]:
        """Every field but the payload, in `to_dict`'s order: strings, numbers and None, so
        nothing to copy (`to_dict` copies the payload all the way down, which a writer that
        stores a payload of its own does not need)."""
        return {name: getattr(self, name) for name in _HEADER}

    @classmethod
    def from_dict(cls, data: Any) -> Envelope:
        """Parse an envelope from untrusted input (raises `InvalidEnvelope` with field details).

        A well-formed envelope (every consumer's every delivery) is checked field by field
        here; anything else goes through the schema, which says what is wrong.

        >>> Envelope.from_dict({"id": "e1", "type": "posts.post_published", "schema_version": 1,
        ...     "stream_id": "post-1", "stream_version": 2, "occurred_at": "2026-12-02T05:00:00",
        ...     "payload": {"post_id": "post-1"}, "newer": "ignored"}).actor is None
        True
        """
        well_formed = _well_formed(data)
        if well_formed is not None:
            return cls(**well_formed)
        try:
            return cls(**_ENVELOPE_SCHEMA.load(data))
        except ValidationError as error:
            raise InvalidEnvelope(error.normalized_messages()) from None
        except TypeError as error:  # not a mapping at all
            raise InvalidEnvelope({"_schema": [str(error)]}) from None

    @classmethod
    def stored(cls, fields: dict[str, Any]) -> Envelope:
        """An envelope from an event as the event store keeps it (every field, no other):
        `cls(**fields)` without the frozen dataclass's `object.__setattr__` per field, a
        third of building one — and a replay builds one per event it reads. Anything else
        goes through `__init__`, which says what is wrong."""
        if fields.keys() != _FIELDS:
            return cls(**fields)
        envelope = object.__new__(cls)
        envelope.__dict__.update(fields)
        return envelope

    def with_payload(self, payload: dict[str, Any], schema_version: int) -> Envelope:
        return replace(self, payload=payload, schema_version=schema_version)


_HEADER = tuple(f.name for f in dataclass_fields(Envelope) if f.name != "payload")
_FIELDS = frozenset(f.name for f in dataclass_fields(Envelope))


class InvalidEnvelope(ValueError):
    """A message that is not an Agora event envelope; carries marshmallow's field messages."""

    def __init__(self, messages: dict[str, Any]):
        super().__init__(f"invalid event envelope: {messages}")
        self.messages = messages


class _EnvelopeSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # newer producers may add envelope fields; old consumers ignore them

    id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    type = fields.String(required=True, validate=validate.Regexp(r"^[a-z_]+\.[a-z0-9_]+$"))
    schema_version = fields.Integer(required=True, validate=validate.Range(min=1))
    stream_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    stream_version = fields.Integer(required=True, validate=validate.Range(min=1))
    occurred_at = fields.String(required=True)
    actor = fields.String(load_default=None, allow_none=True)
    correlation_id = fields.String(load_default=None, allow_none=True)
    causation_id = fields.String(load_default=None, allow_none=True)
    payload = fields.Dict(required=True)


_ENVELOPE_SCHEMA = _EnvelopeSchema()
_EVENT_TYPE = re.compile(r"^[a-z_]+\.[a-z0-9_]+$")
_OPTIONAL = ("actor", "correlation_id", "causation_id")


def _well_formed(data: Any) -> dict[str, Any] | None:
    """`_EnvelopeSchema().load(data)` when `data` is exactly what producers write (strings,
    whole numbers, a payload mapping), else None: the schema decides, and explains."""
    if type(data) is not dict:
        return None
    get = data.get
    event_id, event_type, stream_id = get("id"), get("type"), get("stream_id")
    schema_version, stream_version = get("schema_version"), get("stream_version")
    occurred_at, payload = get("occurred_at"), get("payload")
    if not (type(event_id) is str and 1 <= len(event_id) <= 64
            and type(event_type) is str and _EVENT_TYPE.match(event_type)
            and type(stream_id) is str and 1 <= len(stream_id) <= 200
            and type(schema_version) is int and schema_version >= 1
            and type(stream_version) is int and stream_version >= 1
            and type(occurred_at) is str and type(payload) is dict):
        return None
    optional = {name: get(name) for name in _OPTIONAL}
    if any(value is not None and type(value) is not str for value in optional.values()):
        return None
    return {"id": event_id, "type": event_type, "schema_version": schema_version,
            "stream_id": stream_id, "stream_version": stream_version,
            "occurred_at": occurred_at, "payload": dict(payload), **optional}
