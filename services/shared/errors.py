"""Typed errors that cross the RPC boundary.

The gateway maps each class *name* to an HTTP status in one table (gateway/errors.py); nameko
re-raises remote errors as `RemoteError` carrying `exc_type`, so names here are part of the
contract between services and gateway. Services list them in `@rpc(expected_exceptions=...)`.
"""
from __future__ import annotations

from typing import Any


class AgoraError(Exception):
    """Base of errors a client may see; `details` is JSON-safe (field errors, ids)."""

    def __init__(self, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def __str__(self) -> str:
        # nameko serialises str(exc) as the remote message: keep it JSON so the gateway can
        # recover the field details without a second channel.
        import json

        return json.dumps({"message": self.message, "details": self.details}, default=str)


class InvalidInput(AgoraError):
    """400: the command's data is malformed (field errors in details['fields'])."""


class Unprocessable(AgoraError):
    """422: well-formed but breaks a business rule (e.g. voting on a deleted post)."""


class NotFound(AgoraError):
    """404."""


class Forbidden(AgoraError):
    """403: authenticated but not allowed (role or ownership)."""


class Unauthenticated(AgoraError):
    """401."""


class Conflict(AgoraError):
    """409: the state changed under the writer, or a uniqueness rule (e-mail taken)."""


class ConcurrencyConflict(Conflict):
    """409: another writer appended to the stream first (optimistic concurrency)."""

    def __init__(self, stream_id: str, expected_version: int):
        super().__init__(
            f"stream {stream_id} has moved past version {expected_version}; reload and retry",
            {"stream_id": stream_id, "expected_version": expected_version},
        )
        self.stream_id = stream_id
        self.expected_version = expected_version


class TooManyRequests(AgoraError):
    """429: details['retry_after'] seconds."""


class CommandExpired(AgoraError):
    """504: the command reached its service after the gateway stopped waiting; not executed."""


EXPECTED_ERRORS = (
    InvalidInput,
    Unprocessable,
    NotFound,
    Forbidden,
    Unauthenticated,
    Conflict,
    ConcurrencyConflict,
    TooManyRequests,
    CommandExpired,
)
