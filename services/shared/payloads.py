"""Versioned event payload schemas (marshmallow) and upcasters.

Each event type has one marshmallow schema per payload version. Producers always write the
latest version; consumers and projections read any stored version, upcast step by step to the
latest. Events marked ``private`` are published on ``<service>.private``, never on the public
``<service>.events`` exchange that other bank systems bind to (docs/architecture.md, "Events on
the wire").

Example::

    >>> from marshmallow import Schema, fields
    >>> registry = PayloadRegistry()
    >>> @registry.register("demo.thing_named", version=1)
    ... class ThingNamedV1(Schema):
    ...     name = fields.String(required=True)
    >>> @registry.register("demo.thing_named", version=2)
    ... class ThingNamedV2(Schema):
    ...     name = fields.String(required=True)
    ...     language = fields.String(required=True)
    >>> @registry.upcaster("demo.thing_named", from_version=1)
    ... def add_language(payload):
    ...     return {**payload, "language": "fr"}
    >>> registry.upcast("demo.thing_named", 1, {"name": "x"})
    (2, {'name': 'x', 'language': 'fr'})
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from marshmallow import RAISE, Schema, ValidationError

from .envelope import Envelope
from .errors import InvalidInput

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class _EventType:
    name: str
    schemas: dict[int, Schema] = field(default_factory=dict)
    upcasters: dict[int, Upcaster] = field(default_factory=dict)
    private: bool = False

    @property
    def latest(self) -> int:
        return max(self.schemas)


class UnknownEventType(KeyError):
    pass


class PayloadRegistry:
    """Event type -> versioned schemas; one process-wide instance: `REGISTRY`."""

    def __init__(self) -> None:
        self._types: dict[str, _EventType] = {}

    def register(self, event_type: str, version: int = 1, *, private: bool = False):
        """Class decorator registering a marshmallow schema as payload `version` of a type."""

        def decorate(schema_cls: type[Schema]) -> type[Schema]:
            entry = self._types.setdefault(event_type, _EventType(event_type))
            entry.schemas[version] = schema_cls(unknown=RAISE)
            entry.private = entry.private or private
            return schema_cls

        return decorate

    def upcaster(self, event_type: str, from_version: int):
        """Function decorator: turns a `from_version` payload into a `from_version + 1` one."""

        def decorate(function: Upcaster) -> Upcaster:
            self._types.setdefault(event_type, _EventType(event_type)).upcasters[from_version] = (
                function
            )
            return function

        return decorate

    def knows(self, event_type: str) -> bool:
        return event_type in self._types and bool(self._types[event_type].schemas)

    def is_private(self, event_type: str) -> bool:
        return event_type in self._types and self._types[event_type].private

    def latest_version(self, event_type: str) -> int:
        return self._entry(event_type).latest

    def event_types(self) -> list[str]:
        return sorted(name for name, entry in self._types.items() if entry.schemas)

    def schema(self, event_type: str, version: int | None = None) -> Schema:
        entry = self._entry(event_type)
        return entry.schemas[version or entry.latest]

    def serialize(self, event_type: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Validate a new payload against the latest schema; returns (version, JSON-safe payload).

        A producer bug (missing or unknown field) raises `InvalidInput` before anything is stored.
        """
        entry = self._entry(event_type)
        schema = entry.schemas[entry.latest]
        try:
            loaded = schema.load(payload)
        except ValidationError as error:
            raise InvalidInput.from_catalogue(
                "invalid_payload", {"fields": error.normalized_messages()},
                event_type=event_type, version=entry.latest) from None
        return entry.latest, schema.dump(loaded)

    def upcast(
        self, event_type: str, version: int, payload: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Bring a stored payload to the latest version, one upcaster at a time."""
        entry = self._types.get(event_type)
        if entry is None or not entry.schemas:
            return version, payload  # a type this process does not know: hand it over as stored
        while version < entry.latest:
            step = entry.upcasters.get(version)
            if step is None:
                raise UnknownEventType(f"no upcaster for {event_type} v{version}")
            payload, version = step(dict(payload)), version + 1
        return version, payload

    def upcast_envelope(self, envelope: Envelope) -> Envelope:
        version, payload = self.upcast(envelope.type, envelope.schema_version, envelope.payload)
        if version == envelope.schema_version:
            return envelope
        return envelope.with_payload(payload, version)

    def _entry(self, event_type: str) -> _EventType:
        entry = self._types.get(event_type)
        if entry is None or not entry.schemas:
            raise UnknownEventType(f"event type {event_type!r} is not registered")
        return entry


REGISTRY = PayloadRegistry()
"""The process-wide registry: each service's schemas.py registers its event payloads here."""
