"""Errors -> RFC 7807 `application/problem+json`: ONE table from error class names to statuses.

Services raise `services.shared.errors` types; nameko re-raises them in the gateway as
`RemoteError(exc_type=<class name>, value=str(exc))`, and the kit's `str()` is JSON carrying the
message and details, so the field errors survive the hop. The gateway raises the same classes
(and the few HTTP-only ones below) for what it checks itself. Every error a route can produce goes
through `problem_from_exception`, so a client never sees a stack trace or an HTML error page:

- a class name in `STATUS_BY_ERROR` -> that status, with the error's message and details; the
  message in the reader's language when the error names its catalogue key (`from_catalogue`)
  or is one of the catalogue's known messages; the per-field `errors` too (marshmallow's and the
  validators' English messages read back into catalogue keys, `localized_field_errors`);
- an unknown remote error (a bug or crash in a service) -> 502, a missing service -> 503,
  an RPC that did not answer in time -> 504, with a generic detail (the service's own logs,
  found by `request_id`, have the rest); each logged as an error with its cause (for a 504:
  which RPC did not answer, `timed_out`);
- anything else raised in the gateway itself -> 500 with a generic detail (logged with trace).

Example::

    >>> error = NotFound("no such user", {"id": "u1"})
    >>> problem = problem_from_exception(error, "/api/v1/users/u1", "r1")
    >>> problem.status, problem.body["type"], problem.body["detail"]
    (404, 'urn:agora:problem:not-found', 'no such user')
"""
from __future__ import annotations

import functools
import json
import logging
import math
import os
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import MethodProxy
from werkzeug.wrappers import Response

from services.shared import i18n
from services.shared.errors import AgoraError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
_PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- errors the gateway raises itself (HTTP concerns no service has) ----------------------------

class PayloadTooLarge(AgoraError):
    """413: the request body is over the gateway's limit."""


class UnsupportedMediaType(AgoraError):
    """415: a body that is not `application/json`."""


class MethodNotAllowed(AgoraError):
    """405: the path exists, not with this method (details['allow'])."""


class BadGateway(AgoraError):
    """502: a service failed in a way it did not declare."""


class ServiceUnavailable(AgoraError):
    """503: the service is not running (no RPC queue) or cannot take work."""


class GatewayTimeout(AgoraError):
    """504: the service did not answer within the gateway's RPC timeout."""


class InternalError(AgoraError):
    """500: a bug in the gateway itself (never caused by input)."""


# -- THE table ----------------------------------------------------------------------------------

STATUS_BY_ERROR: dict[str, int] = {
    # services.shared.errors (the contract between services and the gateway)
    "InvalidInput": 400,
    "Unauthenticated": 401,
    "Forbidden": 403,
    "NotFound": 404,
    "Conflict": 409,
    "ConcurrencyConflict": 409,
    "Gone": 410,
    "Unprocessable": 422,
    "TooManyRequests": 429,
    "CommandExpired": 504,  # the gateway answered 504 before; nobody normally reads this one
    "Misconfigured": 503,   # an operator must fix the service's configuration (its log says)
    # gateway-only
    "MethodNotAllowed": 405,
    "PayloadTooLarge": 413,
    "UnsupportedMediaType": 415,
    "InternalError": 500,
    "BadGateway": 502,
    "ServiceUnavailable": 503,
    "GatewayTimeout": 504,
    # nameko's own, raised when the request reached a service that could not run it
    "MethodNotFound": 502,       # the service is older than the gateway (deploy skew)
    "IncorrectSignature": 502,   # same: arguments the service does not take
    "MalformedRequest": 502,
    "UnknownService": 503,
    # kombu's, raised in the gateway: the broker cannot be reached (a retry later may work)
    "OperationalError": 503,
    "ContainerBeingKilled": 503,
}

GENERIC_DETAIL = {
    500: "The gateway failed to handle this request; it has been logged.",
    502: "A service failed to handle this request; it has been logged.",
    503: "The service that handles this request is not available; retry later.",
    504: "The service that handles this request did not answer in time; retry later.",
}

# Statuses whose message comes from a service we trust to phrase it for clients.
_CLIENT_FACING = {400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 429}


def slug(status: int) -> str:
    return HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")


@dataclass
class Problem:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def detail(self) -> str | None:
        """The sentence a person reads (pages show it beside their form)."""
        return self.body.get("detail")

    def response(self) -> Response:
        return Response(json.dumps(self.body, default=str), status=self.status,
                        headers=self.headers, content_type=PROBLEM_JSON)


def problem(status: int, detail: str, instance: str | None = None, request_id: str | None = None,
            errors: dict[str, Any] | None = None, extra: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None, language: str | None = None) -> Problem:
    """The problem document, its `title` and `detail` in `language` (French by default): a
    detail found in the English catalogue (section `error`) is given in that language; any
    other stays as the service wrote it (English)."""
    body: dict[str, Any] = {
        "type": f"urn:agora:problem:{slug(status)}",
        "title": _title(status, language),
        "status": status,
        "detail": localized_detail(detail, language),
        "instance": instance,
        "request_id": request_id,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    headers = {**(headers or {}), "Content-Language": i18n.language_or_default(language)}
    return Problem(status, body, headers)


def _title(status: int, language: str | None) -> str:
    key = f"problem.title.{status}"
    return i18n.text(language, key) if i18n.has(key) else HTTPStatus(status).phrase


@functools.cache
def _error_keys() -> dict[str, str]:
    """English text of a known message -> its catalogue key."""
    return {text: key for key, text in i18n.catalogue("en").items()
            if key.startswith(("error.", "problem.generic."))}


def localized_detail(detail: str, language: str | None) -> str:
    key = _error_keys().get(detail)
    return i18n.text(language, key) if key else detail


def localized_field_errors(errors: dict[str, Any], by_language: Any,
                           language: str | None) -> dict[str, Any]:
    """A problem's `errors` in the reader's language, in the same shape (field -> list of
    messages, nested fields and list items as nested objects): the service's own translation
    when it wrote one (`fields_i18n`), else each English message read back into its catalogue
    key with its parameters (`i18n.field_text`: marshmallow's messages and the project's)."""
    chosen = i18n.language_or_default(language)
    if isinstance(by_language, dict) and isinstance(by_language.get(chosen), dict):
        return by_language[chosen]
    return _localized(errors, chosen)


def _localized(messages: Any, language: str) -> Any:
    if isinstance(messages, str):
        return i18n.field_text(language, messages)
    if isinstance(messages, dict):
        return {name: _localized(value, language) for name, value in messages.items()}
    if isinstance(messages, list):
        return [_localized(value, language) for value in messages]
    return messages


def problem_from_exception(error: BaseException, instance: str | None = None,
                           request_id: str | None = None, language: str | None = None
                           ) -> Problem:
    """The one place an exception becomes an HTTP answer."""
    if isinstance(error, eventlet.Timeout):
        log.error("request failed with 504 (Timeout): %s", timed_out(error))
        return problem(504, GENERIC_DETAIL[504], instance, request_id, language=language)
    catalogue: dict[str, Any] | None = None
    if isinstance(error, RemoteError):
        name = error.exc_type
        message, details, catalogue = _remote_payload(error.value)
    elif isinstance(error, AgoraError):
        name, message, details = type(error).__name__, error.message, error.details
        catalogue = error.catalogue
    elif isinstance(error, UnknownService):
        name, message, details = "UnknownService", "", {}
    else:
        name, message, details = type(error).__name__, "", {}
    status = _status_for(error, name)
    if status >= 500:
        log.error("request failed with %s (%s): %s", status, name, error,
                  exc_info=status == 500 and not isinstance(error, AgoraError))
    detail = message if status in _CLIENT_FACING and message else (
        GENERIC_DETAIL.get(status) or HTTPStatus(status).phrase)
    if status in _CLIENT_FACING and catalogue:
        detail = _catalogued_detail(catalogue, language) or detail
    errors = None
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if 400 <= status < 500 and isinstance(details.get("fields"), dict):
        by_language = details.get("fields_i18n")  # the same errors, per language
        if isinstance(by_language, dict):
            extra["errors_i18n"] = by_language
        errors = localized_field_errors(details["fields"], by_language, language)
    if status == 401:  # RFC 6750: say which scheme to use
        headers["WWW-Authenticate"] = 'Bearer realm="agora"'
        if details.get("reason"):  # why a session ended (e.g. roles_changed): clients can say it
            extra["reason"] = str(details["reason"])
    if status == 429 or (status == 503 and details.get("retry_after")):
        retry_after = max(1, math.ceil(float(details.get("retry_after") or 1)))
        headers["Retry-After"] = str(retry_after)
        extra["retry_after"] = retry_after
    if status == 405 and details.get("allow"):
        headers["Allow"] = ", ".join(details["allow"])
    return problem(status, detail, instance, request_id, errors, extra, headers, language)


def timed_out(timeout: eventlet.Timeout) -> str:
    """What a request waited for when its time ran out, for its log line: the RPC in flight
    (nameko's `MethodProxy` in the traceback), else the innermost frame of the project's code
    (e.g. `gather` of a page's RPCs sent together)."""
    waited, where = None, None
    traceback = timeout.__traceback__
    while traceback is not None:
        frame = traceback.tb_frame
        caller = frame.f_locals.get("self")
        if isinstance(caller, MethodProxy):
            waited = f"{caller.service_name}.{caller.method_name}"
        if frame.f_code.co_filename.startswith(_PROJECT) and (
                "site-packages" not in frame.f_code.co_filename):
            where = f"{frame.f_code.co_name} ({frame.f_code.co_filename}:{traceback.tb_lineno})"
        traceback = traceback.tb_next
    limit = f"{timeout.seconds:g} s" if isinstance(timeout.seconds, (int, float)) else "its time"
    if waited:
        return f"the RPC {waited} did not answer within {limit}"
    return f"no answer within {limit}, waiting in {where or 'the gateway'}"


def _catalogued_detail(catalogue: dict[str, Any], language: str | None) -> str | None:
    """The detail of an error raised with `from_catalogue`, in the reader's language (None
    when the service is newer than this gateway's catalogue: its English message stays)."""
    params, terms = catalogue.get("params"), catalogue.get("terms")
    try:
        return i18n.error_text(language, str(catalogue.get("key")),
                               params if isinstance(params, dict) else {},
                               terms if isinstance(terms, dict) else {})
    except (KeyError, IndexError, ValueError):
        log.warning("no catalogue text for error %r", catalogue.get("key"))
        return None


def _status_for(error: BaseException, name: str) -> int:
    if name in STATUS_BY_ERROR:
        return STATUS_BY_ERROR[name]
    if isinstance(error, RemoteError):
        return 502
    if isinstance(error, AgoraError):  # a subclass added to the kit but not to the table yet
        for cls in type(error).__mro__:
            if cls.__name__ in STATUS_BY_ERROR:
                return STATUS_BY_ERROR[cls.__name__]
    return 500


def remote_details(error: RemoteError) -> dict[str, Any]:
    """The details a service's error carried (e.g. `fields` and `fields_i18n` of a refusal)."""
    return _remote_payload(error.value)[1]


def _remote_payload(value: Any) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
    """The kit's errors serialise as JSON {"message", "details", "catalogue"?}; anything else
    is opaque."""
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return "", {}, None
    if not isinstance(data, dict):
        return "", {}, None
    details, catalogue = data.get("details"), data.get("catalogue")
    return (str(data.get("message") or ""), details if isinstance(details, dict) else {},
            catalogue if isinstance(catalogue, dict) else None)
