"""The request pipeline every API route runs (what `@route` does, in order — see http.py):
authenticate and authorize, validate path, query and body, claim an idempotency key, put the
deadline and the key in the RPC context, run the handler under the RPC timeout, answer (or turn
whatever was raised into problem+json)."""
from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import eventlet
from marshmallow import Schema, ValidationError, fields
from werkzeug.wrappers import Request, Response

from services.shared import commands, i18n
from services.shared.errors import InvalidInput, NotFound
from services.shared.validation import surrogate_errors

from . import dumping
from .auth import SessionRevoked, authorize
from .calls import READER_LANGUAGE, Call, Reply, RouteSpec
from .errors import PayloadTooLarge, UnsupportedMediaType, problem_from_exception
from .security import ACTOR_ENV
from .settings import Settings
from .web.session import api_actor

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_ENV = "agora.request_id"
IDEMPOTENCY_HEADER = "Idempotency-Key"
COMMAND_METHODS = ("POST", "PUT")
_PATH_VALUE_RE = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")


def dispatch(service, spec: RouteSpec, handler: Callable, request: Request,
             values: dict[str, Any]) -> Response:
    request_id = request.environ.get(REQUEST_ID_ENV) or new_request_id()
    actor = None
    try:
        settings: Settings = service.settings
        # probes ("none") never look at credentials: a bad token cannot fail a liveness check
        actor = None if spec.auth == ("none",) else api_actor(service.auth, request)
        request.environ[ACTOR_ENV] = actor
        authorize(spec.auth, actor)
        path = _load_path(spec, values)
        query = _load_query(spec, request)
        document, body = _load_body(service, spec, request, settings)
        key = _command_key(spec, request)
        call = Call(request=request, actor=actor, path=path, query=query, body=body,
                    request_id=request_id, client=client_address(request, settings),
                    idempotency_key=key)
        if key is not None and spec.idempotent:
            return _idempotent(service, spec, handler, call, key, document)
        return _execute(service, spec, handler, call)
    except Exception as error:
        # a revoked session's token is still the member's: answer in their language
        language = getattr(error, "language", None) if isinstance(error, SessionRevoked) else None
        return problem_from_exception(error, request.path, request_id,
                                      language or reader_language(request, actor)).response()


def reader_language(request: Request, actor: dict[str, Any] | None) -> str:
    """The language of the reader: a member's profile setting (carried by the access token),
    else the request's Accept-Language, else French."""
    return (actor or {}).get("language") or i18n.negotiate(request.headers.get(
        "Accept-Language"))


def _execute(service, spec: RouteSpec, handler: Callable, call: Call) -> Response:
    timeout = service.settings.rpc_timeout_seconds
    try:
        with eventlet.Timeout(timeout):
            service.rpc_context.update(commands.rpc_context(
                _command_scope(spec, call), call.idempotency_key, time.time() + timeout))
            result = handler(service, call)
        READER_LANGUAGE.set(reader_language(call.request, call.actor))
        return _respond(spec, result)
    except Exception as error:
        return problem_from_exception(error, call.request.path, call.request_id,
                                      reader_language(call.request, call.actor)).response()
    except eventlet.Timeout as error:  # a BaseException
        return problem_from_exception(error, call.request.path, call.request_id,
                                      reader_language(call.request, call.actor)).response()


def _respond(spec: RouteSpec, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    status, headers = spec.status, {}
    if isinstance(result, Reply):
        status, headers, result = result.status or status, result.headers, result.body
    if result is None and (status == 204 or spec.response is None):
        return Response(status=204, headers=headers)
    if spec.response is not None:
        result = dumping.dump(spec.response, result)
    return Response(json.dumps(result, default=str), status=status, headers=headers,
                    content_type="application/json")


# Answers that decided nothing, so the key stays free: a request refused as invalid (400) is
# corrected and resent under the same key (a stored 400 would make the fix a "different body"),
# a throttled one (429) is retried as it was.
UNDECIDED_STATUSES = frozenset({400, 429})


def _command_key(spec: RouteSpec, request: Request) -> str | None:
    """The `Idempotency-Key` of a command a client may retry (POST, PUT): it travels with the
    RPC to the service that records it with the effect (services/shared/commands.py)."""
    if spec.method not in COMMAND_METHODS:
        return None
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None and not re.fullmatch(r"[\x21-\x7e]{1,255}", key):
        raise InvalidInput("the Idempotency-Key header must be 1-255 visible ASCII characters",
                           {"fields": {IDEMPOTENCY_HEADER: ["1-255 visible ASCII characters"]}})
    return key


def _command_scope(spec: RouteSpec, call: Call) -> str:
    """The key's scope for the service, as the gateway records it (`IdempotencyStore.key_id`:
    caller, method, path): one key sent to two paths — two customers, two conversations — is
    two commands, each minting its own ids, not the first one's answer again."""
    return f"{_caller_scope(call)}\n{spec.method} {call.request.path}"


def _caller_scope(call: Call) -> str:
    """Whose key it is: the user of the token, else the client address (anonymous routes)."""
    return f"user:{call.actor['id']}" if call.actor else f"client:{call.client}"


def _idempotent(service, spec: RouteSpec, handler: Callable, call: Call, key: str,
                document: Any) -> Response:
    scope = _caller_scope(call)
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    store = service.idempotency
    outcome = store.begin(scope, key, spec.method, call.request.path, digest)
    if not outcome.claimed:
        return outcome.response()
    try:
        response = _execute(service, spec, handler, call)
    except BaseException:
        store.release(outcome)
        raise
    if response.status_code < 500 and response.status_code not in UNDECIDED_STATUSES:
        store.complete(outcome, response)
    else:
        store.release(outcome)  # nothing was decided: a retry may run it again
    return response


def _load_path(spec: RouteSpec, values: dict[str, Any]) -> dict[str, Any]:
    if spec.path_params is not None:
        try:
            return spec.path_params.load(values)
        except ValidationError:
            raise NotFound("no such resource") from None
    for value in values.values():
        if not isinstance(value, str) or not _PATH_VALUE_RE.match(value):
            raise NotFound("no such resource")
    return dict(values)


def _load_query(spec: RouteSpec, request: Request) -> dict[str, Any]:
    if spec.query is None:
        return {}
    try:
        return load_params(spec.query, request.args)
    except ValidationError as error:
        raise InvalidInput("invalid query parameters",
                           {"fields": error.normalized_messages()}) from None


def load_params(schema: Schema, params, ignore: tuple[str, ...] = ()) -> dict[str, Any]:
    """A query string or an HTML form (werkzeug MultiDict) through a schema: the last value of
    each name, every value for List fields. Raises marshmallow's ValidationError."""
    raw: dict[str, Any] = {}
    for name in params:
        if name in ignore:
            continue
        declared = schema.fields.get(name)
        values = params.getlist(name)
        raw[name] = values if isinstance(declared, fields.List) else values[-1]
    return schema.load(raw)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _load_body(service, spec: RouteSpec, request: Request, settings: Settings
               ) -> tuple[Any, dict]:
    if spec.body is None:
        return None, {}
    limit = settings.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge.from_catalogue("body_too_large", {"limit": limit}, limit=limit)
    raw = _read_body(request, limit + 1)
    if len(raw) > limit:
        raise PayloadTooLarge.from_catalogue("body_too_large", {"limit": limit}, limit=limit)
    if not raw.strip():
        if spec.body_required:
            raise InvalidInput("a JSON body is required",
                               {"fields": {"_schema": ["a JSON object is required"]}})
        document: Any = {}
    else:
        mimetype = request.mimetype or ""
        if not (mimetype == "application/json"
                or (mimetype.startswith("application/") and mimetype.endswith("+json"))):
            raise UnsupportedMediaType("send the body as application/json",
                                       {"content_type": mimetype})
        if request.mimetype_params.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
            raise UnsupportedMediaType("send the body encoded as UTF-8")
        try:
            document = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise InvalidInput("the body is not valid JSON",
                               {"fields": {"_schema": ["malformed JSON"]}}) from None
    if not isinstance(document, dict):
        raise InvalidInput("the body must be a JSON object",
                           {"fields": {"_schema": ["a JSON object is required"]}})
    try:
        refused = surrogate_errors(document)
        if refused:  # every text of the body, whatever field (or unknown one) it is in
            raise InvalidInput("the body has invalid fields", {"fields": refused})
        return document, spec.body.load(document)
    except ValidationError as error:
        refused = error.normalized_messages()
        details = ({"fields": refused} if spec.on_refused_body is None
                   else spec.on_refused_body(service, document, refused))
        raise InvalidInput("the body has invalid fields", details) from None
    except RecursionError:
        raise InvalidInput("the body is nested too deeply",
                           {"fields": {"_schema": ["nested too deeply"]}}) from None


def _read_body(request: Request, size: int) -> bytes:
    """Up to `size` bytes of the body, also when it is chunked (no Content-Length: werkzeug's
    `stream` is then empty unless the server says the input is terminated; eventlet decodes
    chunked input in `wsgi.input` itself)."""
    if request.content_length is None and "chunked" in request.headers.get(
            "Transfer-Encoding", "").lower():
        stream, chunks, total = request.environ["wsgi.input"], [], 0
        while total < size:
            chunk = stream.read(min(16384, size - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return b"".join(chunks)
    return request.stream.read(size)


def client_address(request: Request, settings: Settings) -> str:
    """The client's address; behind `trusted_proxy_hops` proxies, from X-Forwarded-For."""
    hops = settings.trusted_proxy_hops
    if hops > 0:
        forwarded = [part.strip() for part in
                     request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops][:64]
    return (request.remote_addr or "unknown")[:64]


def new_request_id() -> str:
    return uuid.uuid4().hex
