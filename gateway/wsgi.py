"""nameko plumbing for the gateway: the web server (bind address), its WSGI layer — request ids,
CORS, 404/405 problems, security headers, refusal logs, the access log, the HTTP metrics — and
the `@http` entrypoint every route and page is served by.

The access log: one line per request on the `agora.access` logger, written when the answer's
status is known (for a stream, when it starts), e.g.

    {"logger": "agora.access", "message": "GET /api/v1/posts?limit=1 504 10003 ms",
     "correlation_id": "<request id>", "method": "GET", "route": "/api/v1/posts",
     "path": "/api/v1/posts?limit=1", "status": 504, "duration_ms": 10003.2, "client": "..."}

`correlation_id` is the request id the answer carries (`X-Request-ID`, the problem's
`request_id`), set for every line the gateway writes about the request and sent with its RPCs, so
the services' lines carry it too; a 5xx also has a line with its cause (gateway/errors.py).
Credentials in the query string are redacted (`loggable_target`, gateway/security.py).
"""
from __future__ import annotations

import json
import logging
import re
import socket
import time
from http import HTTPStatus
from typing import Any

from eventlet.wsgi import HeaderLineTooLong, HeadersTooLarge
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp, parse_address
from prometheus_client import Counter, Histogram
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed
from werkzeug.wrappers import Request, Response

from services.shared import i18n
from services.shared.observability import correlation_id

from .auth import Authenticator
from .calls import RouteSpec
from .errors import PROBLEM_JSON, MethodNotAllowed, problem, problem_from_exception
from .pipeline import (
    REQUEST_ID_ENV,
    REQUEST_ID_HEADER,
    client_address,
    new_request_id,
    reader_language,
)
from .security import log_refusal, loggable_target, secure_headers
from .settings import Settings

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# The request's URL adapter: a page asks it which page lies above a form's action (the site's
# `return_path`, where signing in comes back to).
URL_ADAPTER_ENV = "agora.url_adapter"
ACCESS_LOG = logging.getLogger("agora.access")

HTTP_REQUESTS = Counter(
    "agora_http_requests", "HTTP requests answered by the gateway",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "agora_http_request_duration_seconds", "Time to answer an HTTP request at the gateway",
    ["route", "method"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


# What the HTTP server refuses before any WSGI code runs -> the catalogue's `error.<key>`
SERVER_REFUSALS = {414: "uri_too_long", 431: "headers_too_large", 400: "malformed_request"}
LINGER_SECONDS = 1  # a bound on reading what a refused client still sends (see _refuse)


class GatewayProtocol(HttpOnlyProtocol):
    """eventlet's HTTP protocol, whose own refusals answer in problem+json like the rest of the
    API. eventlet refuses some requests before the WSGI app sees them, with an empty body and
    not always the right status: a request line of 8 KiB or more (eventlet's
    `url_length_limit`: 414), a header line of 8 KiB or more, or 64 KiB of headers (eventlet
    says 400: it is 431), more than 100 headers (the standard library's 431, in HTML), a
    malformed request line (400). Each is now a problem document with a request id, in the
    reader's language when the headers could be read (French otherwise)."""

    def _read_request_line(self):
        line = super()._read_request_line()
        if len(line) >= self.server.url_length_limit:
            self._refuse(414)
            return ""  # handle_one_request: nothing to answer, the connection closes
        return line

    def parse_request(self):
        try:
            return super().parse_request()
        except (HeaderLineTooLong, HeadersTooLarge):  # eventlet's "400 Headers Too Large"
            self._refuse(431)
            return False

    def send_error(self, code, message=None, explain=None):
        """The standard library's refusals while parsing (too many headers, a bad request
        line or version): the same problem document instead of its HTML page."""
        self._refuse(code if code in SERVER_REFUSALS else 400)

    def _refuse(self, status: int) -> None:
        headers = getattr(self, "headers", None)  # absent before the headers were parsed
        language = i18n.negotiate(headers.get("Accept-Language") if headers else None)
        request_id = new_request_id()
        answer = problem(status, i18n.text("en", f"error.{SERVER_REFUSALS[status]}"),
                         request_id=request_id, language=language)
        body = json.dumps(answer.body).encode()
        head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
                f"Content-Type: {PROBLEM_JSON}", f"Content-Length: {len(body)}",
                "Connection: close", f"{REQUEST_ID_HEADER}: {request_id}",
                "X-Content-Type-Options: nosniff", "Cache-Control: no-store",
                *(f"{name}: {value}" for name, value in answer.headers.items())]
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        self.wfile.flush()
        self.close_connection = 1
        ACCESS_LOG.info("%s refused by the HTTP server", status, extra={
            "correlation_id": request_id, "status": status, "client": self.client_address[0]})
        # The client is still sending the rest of its request: closing now, with unread
        # bytes, would reset the connection and could drop the answer before it is read.
        # Say we are done, then read what remains until it closes — for a second at most in
        # all, however slowly a client trickles its bytes.
        deadline = time.monotonic() + LINGER_SECONDS
        try:
            self.connection.shutdown(socket.SHUT_WR)
            while (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(left)
                if not self.connection.recv(65536):
                    break
        except OSError:
            pass


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

    def get_wsgi_server(self, sock, wsgi_app, protocol=GatewayProtocol, debug=False):
        server = super().get_wsgi_server(sock, wsgi_app, protocol=protocol, debug=debug)
        # the WSGI app writes the access line: eventlet's has no request id and no route, and
        # prints query strings as they came (an unsubscribe link's token)
        server.log_output = False
        return server

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
        token = correlation_id.set(request_id)  # on every line the gateway writes about it
        try:
            return self._answer(environ, start_response, request_id, started)
        finally:
            correlation_id.reset(token)

    def _answer(self, environ, start_response, request_id: str, started: float):
        method = environ.get("REQUEST_METHOD", "GET").upper()
        request = Request(environ, shallow=True)
        adapter = environ[URL_ADAPTER_ENV] = self.url_map.bind_to_environ(environ)
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
            refused = MethodNotAllowed.from_catalogue("method_not_allowed", {"allow": allow},
                                                      method=method)
            response = problem_from_exception(refused, request.path, request_id,
                                              reader_language(request, None)).response()
            if method in ("GET", "HEAD"):  # e.g. a form's action opened as a page
                response = _site_error_page(self.server, request, 405,
                                            response.headers.get("Allow")) or response
        except HTTPException as error:
            code = error.code or 404
            response = problem(code, "no such resource" if code == 404 else error.description,
                               request.path, request_id,
                               language=reader_language(request, None)).response()
            if method in ("GET", "HEAD"):
                response = _site_error_page(self.server, request, code) or response
        except Exception as error:
            response = problem_from_exception(error, request.path, request_id,
                                              reader_language(request, None)).response()
        response.headers[REQUEST_ID_HEADER] = request_id
        secure_headers(request, response)
        client = client_address(request, self.server.settings)
        log_refusal(request, response, route_label, request_id, client)
        self._cors(environ.get("HTTP_ORIGIN"), response)
        metric_method = method if method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD",
                                             "OPTIONS") else "OTHER"
        elapsed = time.perf_counter() - started
        HTTP_REQUESTS.labels(route_label, metric_method, str(response.status_code)).inc()
        HTTP_DURATION.labels(route_label, metric_method).observe(elapsed)
        log_access(request, response.status_code, route_label, elapsed, client)
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


def log_access(request: Request, status: int, route: str, seconds: float, client: str) -> None:
    """The request's access line (see the module docstring)."""
    target = loggable_target(request)
    duration_ms = round(seconds * 1000, 1)
    ACCESS_LOG.info("%s %s %s %.0f ms", request.method, target, status, duration_ms, extra={
        "method": request.method, "route": route, "path": target, "status": status,
        "duration_ms": duration_ms, "client": client})


def _site_error_page(server: GatewayWebServer, request: Request, status: int,
                     allow: str | None = None) -> Response | None:
    """A browser navigating to an unknown page (or to a form's action) gets the site's HTML
    error page, with its session read by the service's Authenticator (a container-wide
    dependency), with the methods the path takes (`allow`, a 405's)."""
    from .web.page import wants_html, wsgi_error_page  # the site builds on this module

    if not wants_html(request):
        return None
    auth = next(dependency for dependency in server.container.dependencies
                if isinstance(dependency, Authenticator))
    page = wsgi_error_page(request, status, auth, server.settings)
    if allow:
        page.headers["Allow"] = allow
    return page


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
