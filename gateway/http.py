"""`@route`: one decorator gives every gateway route the same auth, validation, errors, metrics,
idempotency and OpenAPI entry.

    @route("POST", "/api/v1/posts", auth="member", body=PostCreateSchema, response=Post,
           status=201, tags=["posts"])
    def create_post(self, call: Call):
        '''Submit a post'''
        return self.posts.create_post(call.actor, call.body)

The handler gets a `Call` (actor, validated `path`/`query`/`body`, `request_id`, client address,
the raw werkzeug `request`) and returns a JSON-safe value (sent with `status`, dumped through
`response` when given), a `Reply` (other status/headers), or a werkzeug `Response` as is. It
makes *one* RPC (a request is one hop to the service that owns the data: no chains of calls
that add up their latencies). Whatever it raises — kit errors, nameko `RemoteError`s,
an RPC timeout — becomes problem+json through `gateway/errors.py`.

What `@route` does, in order, for every request:

1. authenticate (`Authorization: Bearer <JWT>` or `X-Agora-Service-Key`) and check the route's
   `auth` requirement (gateway/auth.py) -> 401 / 403;
2. validate path parameters (`path=` schema, or ids of at most 128 safe characters -> 404),
   the query string (`query=` schema, unknown parameters -> 400) and the body (`body=` schema:
   at most `GATEWAY.max_body_bytes` -> 413, `application/json` -> 415, valid UTF-8 JSON object
   -> 400, schema with unknown fields refused -> 400 with per-field `errors`);
3. on POST with an `Idempotency-Key` header: claim the key (gateway/idempotency.py); a retry
   gets the first response back (`Idempotent-Replayed: true`), the same key with another body
   422, a concurrent duplicate waits for the first;
4. put the RPC deadline (now + the RPC timeout) and, on POST and PUT, the caller-scoped
   `Idempotency-Key` in the RPC context: the service records the key with the effect and does
   not start a command past its deadline (services/shared/commands.py);
5. run the handler under the RPC timeout (`GATEWAY.rpc_timeout_seconds` -> 504).

Around all routes, the WSGI layer (`GatewayWebServer`) assigns the request id (`X-Request-ID`,
taken from the client when well-formed, else generated; echoed on every response and set as
the worker's `correlation_id`, which nameko carries in RPC headers to the services), answers CORS
preflights and adds CORS headers for the origins in `AGORA_CORS_ORIGINS`, turns unknown paths
and methods into 404/405 problems, and records `agora_http_requests_total{route,method,status}`
and `agora_http_request_duration_seconds{route,method}` (route = the path template).
"""
from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import eventlet
from marshmallow import RAISE, Schema, ValidationError, fields
from nameko.extensions import DependencyProvider
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp, parse_address
from prometheus_client import Counter, Histogram
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed
from werkzeug.wrappers import Request, Response

from services.shared import commands, i18n
from services.shared.errors import InvalidInput, NotFound

from .auth import SessionRevoked, authorize, parse_auth
from .errors import (
    PayloadTooLarge,
    UnsupportedMediaType,
    problem,
    problem_from_exception,
)
from .security import ACTOR_ENV, log_refusal, secure_headers
from .web.session import api_actor

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_ENV = "agora.request_id"
IDEMPOTENCY_HEADER = "Idempotency-Key"
COMMAND_METHODS = ("POST", "PUT")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_PATH_VALUE_RE = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")
_PARAM_RE = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")

HTTP_REQUESTS = Counter(
    "agora_http_requests", "HTTP requests answered by the gateway",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "agora_http_request_duration_seconds", "Time to answer an HTTP request at the gateway",
    ["route", "method"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


# -- texts in answers ----------------------------------------------------------------------------

# The language of the request a worker answers (each green thread has its own context): a
# response schema's `ReaderText` fields are written in it.
READER_LANGUAGE: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "reader_language", default=None)


class ReaderText(fields.String):
    """A text of the catalogue shown with data (e.g. the redaction mark): services send it in
    English, or any truthy value; the answer carries catalogue `key` in the reader's language.

        redaction_mark = ReaderText("mark.redacted")  # "modifié par l'équipe de la communauté"
    """

    def __init__(self, key: str, **kwargs: Any):
        super().__init__(dump_only=True, **kwargs)
        self.key = key

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return i18n.text(READER_LANGUAGE.get(), self.key) if value else None


# -- settings -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    max_body_bytes: int = 64 * 1024
    rpc_timeout_seconds: float = 10.0
    trusted_proxy_hops: int = 0
    cors_origins: tuple[str, ...] = ()
    cors_max_age: int = 600

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        raw = config.get("GATEWAY", {}) or {}
        origins = raw.get("cors_origins") or ""
        if isinstance(origins, str):
            origins = [origin.strip().rstrip("/") for origin in origins.split(",")]
        return cls(
            max_body_bytes=int(raw.get("max_body_bytes") or cls.max_body_bytes),
            rpc_timeout_seconds=float(raw.get("rpc_timeout_seconds") or cls.rpc_timeout_seconds),
            trusted_proxy_hops=int(raw.get("trusted_proxy_hops") or 0),
            cors_origins=tuple(origin for origin in origins if origin),
        )

    def allows_origin(self, origin: str | None) -> bool:
        return bool(origin) and ("*" in self.cors_origins or origin in self.cors_origins)


class SettingsProvider(DependencyProvider):
    def setup(self) -> None:
        self.settings = Settings.from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings


# -- what handlers get and return -------------------------------------------------------------

@dataclass
class Call:
    request: Request
    actor: dict[str, Any] | None
    path: dict[str, Any]
    query: dict[str, Any]
    body: dict[str, Any]
    request_id: str
    client: str
    idempotency_key: str | None = None  # POST/PUT: travels with the RPC (shared/commands.py)


@dataclass
class Reply:
    body: Any = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


# -- the route registry ---------------------------------------------------------------------

@dataclass
class RouteSpec:
    method: str
    path: str                      # OpenAPI template: /api/v1/users/{id}
    auth: tuple[str, ...]
    status: int = 200
    body: Schema | None = None
    query: Schema | None = None
    path_params: Schema | None = None
    response: Schema | None = None
    summary: str = ""
    description: str | None = None
    tags: tuple[str, ...] = ()
    idempotent: bool = False
    body_required: bool = True
    openapi: bool = True
    errors: tuple[int, ...] = ()
    name: str = ""
    media_type: str = "application/json"   # of the success response (OpenAPI)

    @property
    def rule(self) -> str:
        """The werkzeug rule for the template ({id} -> <id>)."""
        return _PARAM_RE.sub(r"<\1>", self.path)

    @property
    def path_names(self) -> list[str]:
        return _PARAM_RE.findall(self.path)


def _schema(value: Any) -> Schema | None:
    if value is None:
        return None
    instance = value() if isinstance(value, type) else value
    instance.unknown = RAISE
    return instance


def route(method: str, path: str, *, auth: str, body=None, query=None, path_params=None,
          response=None, status: int = 200, summary: str = "", description: str | None = None,
          tags=(), idempotent: bool | None = None, body_required: bool = True,
          openapi: bool = True, errors=(), media_type: str = "application/json") -> Callable:
    """Declare a gateway route (see the module docstring)."""
    method = method.upper()
    spec = RouteSpec(
        method=method, path=path, auth=parse_auth(auth), status=status, body=_schema(body),
        query=_schema(query), path_params=_schema(path_params), response=_schema(response),
        summary=summary, description=description, tags=tuple(tags),
        idempotent=(method == "POST") if idempotent is None else idempotent,
        body_required=body_required, openapi=openapi, errors=tuple(errors),
        media_type=media_type,
    )

    def decorate(handler: Callable) -> Callable:
        spec.name = handler.__name__
        if not spec.summary:
            spec.summary = (handler.__doc__ or handler.__name__).strip().splitlines()[0]
        spec.description = spec.description or handler.__doc__

        return http_entrypoint(spec, handler, dispatch, "route_spec")

    return decorate


def http_entrypoint(spec, handler: Callable, dispatcher: Callable, spec_attribute: str):
    """The nameko `@http` entrypoint shared by API routes and site pages: it hands the request to
    `dispatcher(self, spec, handler, request, values)` and keeps the handler's name and doc."""
    def entry(self, request, **values):
        return dispatcher(self, spec, handler, request, values)

    entry.__name__ = handler.__name__
    entry.__qualname__ = handler.__qualname__
    entry.__doc__ = handler.__doc__
    setattr(entry, spec_attribute, spec)
    return GatewayHttp.decorator(spec.method, spec.rule, spec=spec)(entry)


def routes_of(service_cls: type) -> list[RouteSpec]:
    """Every route a composed service class serves, in a stable order."""
    specs = {}
    for name in dir(service_cls):
        spec = getattr(getattr(service_cls, name, None), "route_spec", None)
        if isinstance(spec, RouteSpec):
            specs[(spec.path, spec.method)] = spec
    return [specs[key] for key in sorted(specs)]


# -- the pipeline -----------------------------------------------------------------------------

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
        document, body = _load_body(spec, request, settings)
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
                _caller_scope(call), call.idempotency_key, time.time() + timeout))
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
        result = spec.response.dump(result)
    return Response(json.dumps(result, default=str), status=status, headers=headers,
                    content_type="application/json")


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
    if response.status_code < 500 and response.status_code != 429:
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


def _load_body(spec: RouteSpec, request: Request, settings: Settings) -> tuple[Any, dict]:
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
        return document, spec.body.load(document)
    except ValidationError as error:
        raise InvalidInput("the body has invalid fields",
                           {"fields": error.normalized_messages()}) from None
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


# -- nameko plumbing: the entrypoint and the web server ----------------------------------------

class GatewayWebServer(WebServer):
    """nameko's web server with the gateway's WSGI layer and bind address.

    Binds `WEB_SERVER_ADDRESS` when set, else `GATEWAY_HOST:GATEWAY_PORT` (127.0.0.1:8000).
    """

    @property
    def bind_addr(self):
        config = self.container.config
        address = config.get("WEB_SERVER_ADDRESS")
        if not address:
            gateway = config.get("GATEWAY", {}) or {}
            address = f"{gateway.get('host') or '127.0.0.1'}:{gateway.get('port') or 8000}"
        return parse_address(str(address))

    def setup(self) -> None:
        super().setup()
        self.settings = Settings.from_config(self.container.config)

    def get_wsgi_app(self):
        return GatewayWsgiApp(self)

    def context_data_from_headers(self, request) -> dict[str, Any]:
        return {"correlation_id": request.environ.get(REQUEST_ID_ENV)}


CORS_ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Request-ID, X-Agora-TOTP"
CORS_EXPOSE_HEADERS = "X-Request-ID, Retry-After, Location, Idempotent-Replayed"


class GatewayWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        started = time.perf_counter()
        supplied = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = supplied if _REQUEST_ID_RE.match(supplied) else new_request_id()
        environ[REQUEST_ID_ENV] = request_id
        method = environ.get("REQUEST_METHOD", "GET").upper()
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        route_label = "unmatched"
        try:
            if method == "OPTIONS":
                route_label, response = self._options(adapter, request)
            else:
                provider, values = adapter.match()
                route_label = provider.spec.path
                request.path_values = values
                response = provider.handle_request(request)
        except WerkzeugMethodNotAllowed as error:
            allow = sorted(set(error.valid_methods or ()) - {"HEAD"})
            response = problem(405, f"{method} is not allowed here", request.path, request_id,
                               headers={"Allow": ", ".join(allow)},
                               language=reader_language(request, None)).response()
        except HTTPException as error:
            code = error.code or 404
            response = problem(code, "no such resource" if code == 404 else error.description,
                               request.path, request_id,
                               language=reader_language(request, None)).response()
            if method in ("GET", "HEAD"):
                response = _site_error_page(request, code, request_id) or response
        except Exception as error:
            response = problem_from_exception(error, request.path, request_id,
                                              reader_language(request, None)).response()
        response.headers[REQUEST_ID_HEADER] = request_id
        secure_headers(request, response)
        log_refusal(request, response, route_label, request_id,
                    client_address(request, self.server.settings))
        self._cors(environ.get("HTTP_ORIGIN"), response)
        metric_method = method if method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD",
                                             "OPTIONS") else "OTHER"
        HTTP_REQUESTS.labels(route_label, metric_method, str(response.status_code)).inc()
        HTTP_DURATION.labels(route_label, metric_method).observe(time.perf_counter() - started)
        return response(environ, start_response)

    def _options(self, adapter, request) -> tuple[str, Response]:
        allowed = sorted(set(adapter.allowed_methods()) - {"HEAD", "OPTIONS"})
        if not allowed:
            raise NotFoundHTTP()
        label = "unmatched"
        for method in allowed:
            try:
                provider, _ = adapter.match(method=method)
                label = provider.spec.path
                break
            except HTTPException:
                continue
        headers = {"Allow": ", ".join([*allowed, "OPTIONS"])}
        if self.server.settings.allows_origin(request.headers.get("Origin")):
            headers.update({
                "Access-Control-Allow-Methods": ", ".join(allowed),
                "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
                "Access-Control-Max-Age": str(self.server.settings.cors_max_age),
            })
        return label, Response(status=204, headers=headers)

    def _cors(self, origin: str | None, response: Response) -> None:
        if self.server.settings.allows_origin(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS
            response.headers.add("Vary", "Origin")


def _site_error_page(request: Request, status: int, request_id: str) -> Response | None:
    """A browser navigating to an unknown page gets the site's HTML error page."""
    from .web.page import wants_html, wsgi_error_page  # the site builds on this module

    return wsgi_error_page(request, status, request_id) if wants_html(request) else None


class NotFoundHTTP(HTTPException):
    code = 404
    description = "no such resource"


class GatewayHttp(HttpRequestHandler):
    """nameko's `@http` entrypoint, served by the gateway's web server."""

    server = GatewayWebServer()

    def __init__(self, method, url, spec: RouteSpec | None = None, **kwargs):
        self.spec = spec
        super().__init__(method, url, **kwargs)

    def response_from_exception(self, exc):
        return problem_from_exception(exc, None, None).response()
