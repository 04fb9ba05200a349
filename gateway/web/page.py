"""`@page`: the site's screens, declared like the API's `@route` (gateway/http.py).

    class ThreadPages:
        posts = RpcProxy("posts")

        @page("GET", "/posts/{id}", auth="public")
        def thread_page(self, call: PageCall):          # page handlers end in _page
            post = self.posts.get_post(call.actor, call.path["id"])   # the API's RPC
            return call.render("posts/thread.html", post=post)

A page mixin is added to the bases of `GatewayService` (gateway/service.py) like a route mixin.
What `@page` does for every request, in order:

1. the reader's language (cookie, Accept-Language) and the browser session: the access cookie
   gives the same actor as `Authorization: Bearer` would (gateway/auth.py); an expired one is
   refreshed transparently (307 to `/session/refresh`, which comes back with the same method and
   body); a revoked one signs the browser out with a notice;
2. the `auth=` requirement, as `@route`'s: without a session a member page redirects to
   `/login?next=...`; a signed-in caller without the role gets the 403 page;
3. path parameters (`path_params=` schema, or safe ids) and the query (`query=` schema, e.g. the
   API's own `PostListQuerySchema`) validated as for the API, except that a page ignores the
   parameters it does not know (a link from a newsletter or a social network adds `utm_*` or
   `fbclid`; the API refuses them, its callers are programs);
4. on POST: the CSRF token (form field `csrf_token` or header `X-CSRF-Token`), then the `form=`
   schema (the API's body schema): the handler gets `call.form` or, when invalid,
   `call.form_errors` (per field) and `call.raw_form` to show the form again;
5. the handler, under the RPC timeout. It returns `call.render(...)`, `call.redirect(...)` or a
   werkzeug Response. Whatever it raises becomes an HTML error page through the same error table
   as the API (gateway/errors.py), in the reader's language, with the request id.

Every HTML answer carries the CSP and security headers of gateway/web/render.py and
`Cache-Control: no-store`; request ids and metrics come from the gateway's WSGI layer.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import eventlet
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from services.shared.errors import InvalidInput

from ..auth import SessionRevoked, TokenExpired, authorize, parse_auth
from ..calls import _PARAM_RE
from ..errors import Problem, problem_from_exception
from ..http import http_entrypoint, lenient_schema, strict_schema
from ..pipeline import (
    REQUEST_ID_ENV,
    _load_path,
    _load_query,
    client_address,
    load_params,
    new_request_id,
)
from ..settings import Settings
from ..wsgi import URL_ADAPTER_ENV
from . import i18n
from .render import render_html
from .session import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    NOTICE_COOKIE,
    NOTICES,
    CookieJar,
    CsrfRejected,
    check_csrf,
    csrf_token_fits,
    ended_notice,
    is_tls,
    new_csrf_token,
)

REFRESH_PATH = "/session/refresh"
LOGIN_PATH = "/login"
_SAFE_NEXT = re.compile(r"^/(?![/\\])[^\s]*$")


@dataclass
class PageSpec:
    method: str
    path: str                  # template, as for routes: /posts/{id}
    rule: str                  # werkzeug rule
    auth: tuple[str, ...]
    query: Schema | None = None
    path_params: Schema | None = None
    form: Schema | None = None
    csrf: bool = True
    name: str = ""


def page(method: str, path: str, *, auth: str = "public", query=None, path_params=None,
         form=None, rule: str | None = None, csrf: bool = True) -> Callable:
    """Declare a screen of the site (see the module docstring). `rule` overrides the werkzeug
    rule made from `path` (e.g. `/static/<path:name>`); `csrf=False` only for endpoints that
    receive other pages' replayed bodies (the session refresh)."""
    method = method.upper()
    spec = PageSpec(method=method, path=path, rule=rule or _PARAM_RE.sub(r"<\1>", path),
                    auth=parse_auth(auth), query=lenient_schema(query),
                    path_params=strict_schema(path_params), form=strict_schema(form), csrf=csrf)

    def decorate(handler: Callable) -> Callable:
        spec.name = handler.__name__

        return http_entrypoint(spec, handler, dispatch_page, "page_spec")

    return decorate


def pages_of(service_cls: type) -> list[PageSpec]:
    """Every page a composed service class serves."""
    return [spec for name in dir(service_cls)
            if isinstance(spec := getattr(getattr(service_cls, name, None), "page_spec", None),
                          PageSpec)]


@dataclass
class PageCall:
    request: Request
    spec: PageSpec
    language: str
    cookies: CookieJar
    request_id: str
    client: str
    actor: dict[str, Any] | None = None
    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    form: dict[str, Any] = field(default_factory=dict)
    form_errors: dict[str, Any] | None = None
    raw_form: dict[str, str] = field(default_factory=dict)
    csrf_token: str = ""
    csrf_cookie_due: bool = False  # a new token, stored by the first HTML page that prints it
    notice: str | None = None
    ended_session_language: str | None = None  # a revoked session's member: their language

    # -- answers

    def render(self, template: str, status: int = 200, headers: dict[str, str] | None = None,
               **context: Any) -> Response:
        """The template with the site's context (render.py) and these values."""
        if self.csrf_cookie_due:
            # Only a page that prints the token sets its cookie: a file, the manifest or the
            # service worker's update check, fetched alongside a page by a browser without the
            # cookie yet, would otherwise replace the token that page's forms carry (403).
            self.cookies.set(CSRF_COOKIE, self.csrf_token)
            self.csrf_cookie_due = False
        base = {
            "actor": self.actor,
            "csrf_token": self.csrf_token,
            "notice": self.notice,
            "request_id": self.request_id,
            "url": self.canonical_url,
            "here": self.here,
            "site_url": self.request.host_url.rstrip("/"),
            "title": None,
            "description": None,
            "hide_account": False,
        }
        return render_html(template, self.language, {**base, **context}, status, headers)

    def redirect(self, location: str, status: int = 303) -> Response:
        return Response(status=status, headers={"Location": location, "Cache-Control": "no-store"})

    def t(self, key: str, **params: Any) -> str:
        return i18n.translate(self.language, key, **params)

    @property
    def here(self) -> str:
        """This page's local URL with its query (what `next=` comes back to)."""
        query = self.request.query_string.decode("latin-1")
        return self.request.path + (f"?{query}" if query else "")

    @property
    def canonical_url(self) -> str:
        return self.request.host_url.rstrip("/") + self.request.path

    def next_url(self, default: str = "/") -> str:
        """The `next` field or parameter when it is a local path, else `default`."""
        candidate = self.request.form.get("next") if self.request.method == "POST" else None
        candidate = candidate or self.request.args.get("next") or ""
        return candidate if _SAFE_NEXT.match(candidate) and len(candidate) < 2000 else default

    # -- calling the services

    def attempt(self, function: Callable, *args: Any, **kwargs: Any) -> tuple[Any, Problem | None]:
        """Call an RPC; a 4xx answer (bad input, wrong password, 409, 429...) comes back as a
        Problem for the form to show, anything worse is raised (-> error page)."""
        try:
            return function(*args, **kwargs), None
        except Exception as error:
            problem = problem_from_exception(error, self.request.path, self.request_id,
                                             self.language)
            if problem.status >= 500:
                raise
            return None, problem


def gather(**replies: Any) -> dict[str, Any]:
    """Results of RPCs sent together (`proxy.method.call_async(...)`): one round trip of
    latency for a page that needs several independent reads."""
    return {name: reply.result() for name, reply in replies.items()}


# How long a page waits for a read it can go without (a badge, a side panel, marking read):
# past it, the page is sent without it rather than held until the RPC timeout (10 s) turns
# the whole page into the error page. Healthy services answer in milliseconds.
SPARE_SECONDS = 3.0

log = logging.getLogger(__name__)


class Spare:
    """An RPC a page can go without, asked at once (alongside the page's own reads) and taken
    with `answer(default)`: its result if it comes within SPARE_SECONDS, else `default` and a
    warning logged. Sending it fails too when the service has no running instance
    (`UnknownService`): that is the same missing answer, not the page's error."""

    def __init__(self, method, *args: Any) -> None:
        self.what = f"{method.service_name}.{method.method_name}"
        try:
            self._reply = method.call_async(*args)
        except Exception:  # UnknownService, a broker hiccup: the page goes without it
            log.warning("%s not asked, the page goes without it", self.what, exc_info=True)
            self._reply = None

    def answer(self, default: Any = None) -> Any:
        if self._reply is None:
            return default
        with eventlet.Timeout(SPARE_SECONDS, False):
            try:
                return self._reply.result()
            except Exception:  # the service failed: the page goes without it
                log.warning("%s failed, the page goes without it", self.what, exc_info=True)
                return default
        log.warning("%s did not answer within %s s, the page goes without it", self.what,
                    SPARE_SECONDS)
        return default


# -- the pipeline -------------------------------------------------------------------------------

def dispatch_page(service, spec: PageSpec, handler: Callable, request: Request,
                  values: dict[str, Any]) -> Response:
    settings: Settings = service.settings
    call = _new_call(request, spec, settings)
    notice = request.cookies.get(NOTICE_COOKIE)
    if notice:
        call.cookies.clear(NOTICE_COOKIE)
        call.notice = notice if notice in NOTICES else None
    try:
        early = _open_session(service.auth, call)
        if early is not None:
            return call.cookies.apply(early)
        authorize(spec.auth, call.actor)
        call.path = _load_path(spec, values)  # type: ignore[arg-type]
        call.query = _load_query(spec, request)  # type: ignore[arg-type]
        if request.method == "POST" and spec.csrf:
            _load_form(call, settings)
        with eventlet.Timeout(settings.rpc_timeout_seconds):
            response = handler(service, call)
    except eventlet.Timeout as error:  # a BaseException
        response = error_page(call, error)
    except Exception as error:
        response = error_page(call, error)
    return call.cookies.apply(response)


def _new_call(request: Request, spec: PageSpec, settings: Settings) -> PageCall:
    language = i18n.negotiate(request.cookies.get(i18n.LANGUAGE_COOKIE),
                              request.headers.get("Accept-Language"))
    return PageCall(request=request, spec=spec, language=language,
                    cookies=CookieJar(secure=is_tls(request, settings.trusted_proxy_hops)),
                    request_id=request.environ.get(REQUEST_ID_ENV) or new_request_id(),
                    client=client_address(request, settings))


def _open_session(auth, call: PageCall) -> Response | None:
    """Set `call.actor`, `call.csrf_token` and the reader's language from the cookies (`auth`:
    the gateway's Authenticator); a response when the browser must first refresh its
    session."""
    early = _read_session(auth, call)
    call.language = i18n.negotiate(call.request.cookies.get(i18n.LANGUAGE_COOKIE),
                                   call.request.headers.get("Accept-Language"),
                                   (call.actor or {}).get("language")
                                   or call.ended_session_language)
    return early


def _read_session(auth, call: PageCall) -> Response | None:
    request = call.request
    token = request.cookies.get(ACCESS_COOKIE)
    if token:
        try:
            call.actor = auth.actor_for_token(token)
        except TokenExpired:
            if request.path != REFRESH_PATH:
                # 307: a POST comes back with its body once the tokens are fresh
                return call.redirect(f"{REFRESH_PATH}?{urlencode({'next': call.here})}", 307)
        except SessionRevoked as revoked:
            call.cookies.sign_out()
            call.notice = ended_notice(revoked.details.get("reason"))
            call.ended_session_language = revoked.language
        except Exception:  # a forged or foreign cookie: forget it
            call.cookies.sign_out()
    if not call.spec.csrf:
        return None  # the refresh endpoint sets the session's cookies itself
    existing = request.cookies.get(CSRF_COOKIE)
    if csrf_token_fits(existing, call.actor):
        call.csrf_token = existing  # type: ignore[assignment]
    else:
        call.csrf_token = new_csrf_token(call.actor)
        call.csrf_cookie_due = True
    return None


def _load_form(call: PageCall, settings: Settings) -> None:
    request = call.request
    request.max_content_length = settings.max_body_bytes
    form = request.form
    check_csrf(request, call.actor, form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER))
    call.raw_form = {name: form.get(name, "") for name in form if name != CSRF_FIELD}
    if call.spec.form is not None:
        try:
            call.form = load_params(call.spec.form, form, ignore=(CSRF_FIELD, "next"))
        except ValidationError as error:
            call.form_errors = error.normalized_messages()


def error_page(call: PageCall, error: BaseException) -> Response:
    """An error as a page in the reader's language (the API's table decides the status)."""
    if isinstance(error, HTTPException):  # e.g. 413 from the form parser
        status = error.code or 400
        problem = Problem(status, {"status": status, "detail": error.description or ""})
    else:
        problem = problem_from_exception(error, call.request.path, call.request_id)
    if problem.status == 401 and not isinstance(error, CsrfRejected):
        if call.request.cookies.get(ACCESS_COOKIE):
            call.cookies.sign_out()
        return sign_in_first(call)
    reason = "csrf" if isinstance(error, CsrfRejected) else (
        "invalid" if isinstance(error, InvalidInput) and problem.status == 400 else None)
    return render_problem(call, problem.status, reason, problem.headers)


def sign_in_first(call: PageCall, action: str | None = None) -> Response:
    """To the login page, then back to what the reader was looking at (`return_path`). An htmx
    request gets a full-page navigation (`HX-Redirect`): a redirect would be followed by its
    XMLHttpRequest and the login page swapped into the form's slot."""
    location = login_url(return_path(call, action))
    if call.request.headers.get("HX-Request") == "true":
        return Response(status=401, headers={"HX-Redirect": location, "Cache-Control": "no-store"})
    return call.redirect(location)


def return_path(call: PageCall, action: str | None = None) -> str:
    """Where to come back after signing in: the page itself for a GET; for a form's `action`
    (this request's path by default; a browser cannot open it, it only takes a POST), the page
    the form was on: the Referer when it is this site's, else the nearest page above the
    action's path (/posts/{id} for /posts/{id}/reply), else the home page."""
    if call.request.method in ("GET", "HEAD") and action is None:
        return call.here
    referrer = urlsplit(call.request.referrer or "")
    if (f"{referrer.scheme}://{referrer.netloc}/" == call.request.host_url
            and _SAFE_NEXT.match(referrer.path)):
        return urlunsplit(("", "", referrer.path, referrer.query, ""))
    adapter = call.request.environ.get(URL_ADAPTER_ENV)
    segments = urlsplit(action or call.request.path).path.rstrip("/").split("/")
    while adapter is not None and len(segments) > 2:
        segments.pop()
        candidate = "/".join(segments)
        try:
            provider, _ = adapter.match(candidate, method="GET")
        except HTTPException:
            continue
        if isinstance(getattr(provider, "spec", None), PageSpec):
            return candidate
    return "/"


def render_problem(call: PageCall, status: int, reason: str | None = None,
                   headers: dict[str, str] | None = None, **context: Any) -> Response:
    known = status if status in ERROR_STATUSES else (500 if status >= 500 else 400)
    return call.render("errors/problem.html", status=status, headers=headers,
                       error_status=known, error_reason=reason, noindex=True,
                       title=call.t(f"errors.title_{known}"), **context)


def wsgi_error_page(request: Request, status: int, auth, settings: Settings) -> Response:
    """The HTML page for a path or method no page serves (gateway/wsgi.py's WSGI layer asks for
    it when a browser navigates, i.e. wants text/html outside /api/). The session is read as
    on any page — `auth` is the container's Authenticator, a local check, no RPC — so that a
    signed-in member keeps their bell and account menu on a mistyped address (and an expired
    access cookie is refreshed, then the page comes back)."""
    call = _new_call(request, PageSpec("GET", request.path, "", ("public",)), settings)
    try:
        early = _open_session(auth, call)
        response = early or render_problem(call, status)
    except Exception as error:  # an error page must not fail: as error_page would answer it
        response = error_page(call, error)
    return call.cookies.apply(response)


def wants_html(request: Request) -> bool:
    return not request.path.startswith("/api/") and "text/html" in (
        request.headers.get("Accept") or "")


ERROR_STATUSES = (400, 403, 404, 405, 409, 413, 429, 500, 502, 503, 504)


def login_url(next_path: str) -> str:
    return f"{LOGIN_PATH}?next={quote(next_path, safe='/')}"
