"""Typed errors that cross the RPC boundary.

The gateway maps each class *name* to an HTTP status in one table (gateway/errors.py); nameko
re-raises remote errors as `RemoteError` carrying `exc_type`, so names here are part of the
contract between services and gateway. Services list them in `@rpc(expected_exceptions=...)`.
"""
from __future__ import annotations

from typing import Any


class AgoraError(Exception):
    """Base of errors a client may see; `details` is JSON-safe (field errors, ids)."""

    def __init__(self, message: str, details: dict[str, Any] | None = None,
                 catalogue: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.catalogue = catalogue  # {"key", "params", "terms"}: see from_catalogue

    def __str__(self) -> str:
        # nameko serialises str(exc) as the remote message: keep it JSON so the gateway can
        # recover the field details (and the message's catalogue key) without a second channel.
        import json

        document = {"message": self.message, "details": self.details}
        if self.catalogue:
            document["catalogue"] = self.catalogue
        return json.dumps(document, default=str)

    @classmethod
    def from_catalogue(cls, key: str, details: dict[str, Any] | None = None, *,
                       terms: dict[str, str | list[str]] | None = None,
                       **params: Any) -> AgoraError:
        """The error whose message is the catalogue's `error.<key>`, in English for logs and
        other services; the key, `params` and `terms` (placeholders filled with another
        catalogue text, e.g. a noun) travel with it so the gateway answers in the reader's
        language (gateway/errors.py); `details` stay what clients see.

            >>> error = NotFound.from_catalogue("no_such_category", {"slug": "x"}, slug="x")
            >>> error.message, error.catalogue["key"], error.details
            ('no such category: x', 'no_such_category', {'slug': 'x'})
        """
        from . import i18n  # the kit's errors stay importable without the catalogues

        terms = dict(terms or {})
        message = i18n.error_text("en", key, params, terms)
        return cls(message, details, {"key": key, "params": params, "terms": terms})


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
        params = {"stream_id": stream_id, "expected_version": expected_version}
        super().__init__(
            f"stream {stream_id} has moved past version {expected_version}; reload and retry",
            params, {"key": "stream_moved", "params": params, "terms": {}})
        self.stream_id = stream_id
        self.expected_version = expected_version


class Gone(AgoraError):
    """410: it existed and is gone for good (an erased member's profile)."""


class TooManyRequests(AgoraError):
    """429: details['retry_after'] seconds."""


class CommandExpired(AgoraError):
    """504: the command reached its service after the gateway stopped waiting; not executed."""


class Misconfigured(AgoraError):
    """503: the service cannot do this with the configuration it was given (a key that does not
    open what it stored): no retry helps, an operator must act (the message says what; what to
    do: docs/runbook.md#agoragatewayhigherrorrate, its `503 (Misconfigured)`)."""


# Why a session was revoked, when a member should be told (identity.sessions_revoked `reason`
# -> catalogue key): an admin's role change signs the member out, and "revoked" alone reads like
# a fault or an attack.
REVOCATIONS_EXPLAINED = {"roles_changed": "session_revoked_roles_changed"}


def session_revoked(reason: str | None, error_type: type[Unauthenticated] = Unauthenticated,
                    message: str = "the session has been revoked; log in again"
                    ) -> Unauthenticated:
    """The 401 for a revoked session: `details['reason']` is identity's reason, and the
    message says why when the member can act on it (else `message`).

        >>> session_revoked("roles_changed").message
        'your roles changed: sign in again'
        >>> session_revoked("logout").details
        {'reason': 'logout'}
    """
    details = {"reason": reason} if reason else {}
    key = REVOCATIONS_EXPLAINED.get(reason or "")
    if key is None:
        return error_type(message, details)
    return error_type.from_catalogue(key, details)


EXPECTED_ERRORS = (
    InvalidInput,
    Unprocessable,
    NotFound,
    Forbidden,
    Unauthenticated,
    Conflict,
    ConcurrencyConflict,
    Gone,
    TooManyRequests,
    CommandExpired,
    Misconfigured,
)
