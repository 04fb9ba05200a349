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

This module is the route registry; the pipeline is pipeline.py, what a handler gets and returns
calls.py, the settings settings.py. Around all routes, the WSGI layer (`GatewayWebServer`,
wsgi.py) assigns the request id (`X-Request-ID`, taken from the client when well-formed, else
generated; echoed on every response and set as
the worker's `correlation_id`, which nameko carries in RPC headers to the services), answers CORS
preflights and adds CORS headers for the origins in `AGORA_CORS_ORIGINS`, turns unknown paths
and methods into 404/405 problems, records `agora_http_requests_total{route,method,status}`
and `agora_http_request_duration_seconds{route,method}` (route = the path template), and writes
the request's access line (`agora.access`, with its id as `correlation_id`).
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema

from .auth import parse_auth
from .calls import RouteSpec
from .pipeline import dispatch
from .wsgi import GatewayHttp

# -- the route registry ---------------------------------------------------------------------

def strict_schema(value: Any) -> Schema | None:
    """A schema instance (from a class or an instance) that refuses unknown fields."""
    if value is None:
        return None
    instance = value() if isinstance(value, type) else value
    instance.unknown = RAISE
    return instance


def lenient_schema(value: Any) -> Schema | None:
    """A schema instance (from a class, or a copy of an instance: the API's stays strict) that
    drops unknown fields: a page's query string, to which links from elsewhere add their own
    (`utm_*`, `fbclid`) — a thread shared in a newsletter must still open."""
    if value is None:
        return None
    instance = copy.copy(value) if isinstance(value, Schema) else value()
    instance.unknown = EXCLUDE
    return instance


def route(method: str, path: str, *, auth: str, body=None, query=None, path_params=None,
          response=None, status: int = 200, summary: str = "", description: str | None = None,
          tags=(), idempotent: bool | None = None, body_required: bool = True,
          openapi: bool = True, errors=(), media_type: str = "application/json",
          conditional: bool = False, on_refused_body: Callable | None = None) -> Callable:
    """Declare a gateway route (see the module docstring)."""
    method = method.upper()
    spec = RouteSpec(
        method=method, path=path, auth=parse_auth(auth), status=status,
        body=strict_schema(body), query=strict_schema(query),
        path_params=strict_schema(path_params), response=strict_schema(response),
        summary=summary, description=description, tags=tuple(tags),
        idempotent=(method == "POST") if idempotent is None else idempotent,
        body_required=body_required, openapi=openapi, errors=tuple(errors),
        media_type=media_type, conditional=conditional, on_refused_body=on_refused_body,
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
