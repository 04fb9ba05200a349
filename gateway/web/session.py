"""The browser session: HttpOnly cookies instead of tokens in scripts, and CSRF protection.

Cookies (all HttpOnly, SameSite=Lax, `Secure` when the request came over TLS):

- `agora_at`: the access token, path `/`. Kept as long as the refresh token lives, so an
  expired one tells the site "refresh me" instead of silently looking signed out.
- `agora_rt`: the refresh token, path `/session/` only: it travels to the refresh and logout
  endpoints and nowhere else (not to pages, not to the API).
- `agora_csrf`: the CSRF token, `<binding>.<random>` where the binding is the session id (`sid`
  of the access token) or `anon` before sign-in. A state-changing request authenticated by
  cookie must repeat it — in the `X-CSRF-Token` header (fetch, htmx) or the `csrf_token` form
  field — and its binding must be the caller's session: a token stolen from another session,
  or planted before sign-in, is refused. Pages print it in a `<meta name="csrf-token">` and in
  every form (a CSRF token is no credential: reading it does not let a script act elsewhere).
- `agora_notice`: a one-shot message for the next page ("you were signed out").

The API (`/api/v1`) accepts the access cookie too, so page scripts can `fetch` it
same-origin without ever holding a token; `Authorization: Bearer` still wins when sent.
"""
from __future__ import annotations

import hmac
import secrets
from typing import Any

from werkzeug.wrappers import Request, Response

from services.shared.errors import Forbidden

ACCESS_COOKIE = "agora_at"
REFRESH_COOKIE = "agora_rt"
CSRF_COOKIE = "agora_csrf"
NOTICE_COOKIE = "agora_notice"
SESSION_PATH = "/session/"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ANONYMOUS = "anon"
NOTICES = ("signed_out", "session_ended", "roles_changed", "signed_in", "registered", "language",
           "posted", "posted_held", "answer_posted", "comment_posted", "flagged", "edited",
           "edit_published",
           "deleted",  # writing and threads
           "removed",  # a CM took a contribution out of public view from its thread
           "already_gone",  # ... or would have, but it went meanwhile (deleted by its author)
           "password_changed",
           "verification_sent", "verification_throttled",  # the address's confirmation link
           "participant_invited", "conversation_left")  # a conversation's colleagues


def ended_notice(reason: str | None) -> str:
    """The notice for a session that ended under the browser: why, when the member should know
    (an admin changed their roles), else "your session was closed"."""
    return "roles_changed" if reason == "roles_changed" else "session_ended"


class CsrfRejected(Forbidden):
    """403: a state-changing request by cookie without the session's CSRF token."""


def is_tls(request: Request, trusted_proxy_hops: int) -> bool:
    if request.scheme == "https":
        return True
    forwarded = request.headers.get("X-Forwarded-Proto", "")
    return trusted_proxy_hops > 0 and forwarded.split(",")[-1].strip().lower() == "https"


def csrf_binding(actor: dict[str, Any] | None) -> str:
    return (actor or {}).get("sid") or ANONYMOUS


def new_csrf_token(actor: dict[str, Any] | None) -> str:
    return f"{csrf_binding(actor)}.{secrets.token_urlsafe(24)}"


def csrf_token_fits(token: str | None, actor: dict[str, Any] | None) -> bool:
    """Is this cookie value a token of this caller's session (or of no session)?"""
    return bool(token) and token.partition(".")[0] == csrf_binding(actor) and len(token) < 200


def check_csrf(request: Request, actor: dict[str, Any] | None, given: str | None) -> None:
    """Raise CsrfRejected unless `given` equals the CSRF cookie and the cookie is bound to the
    caller's session."""
    expected = request.cookies.get(CSRF_COOKIE)
    if not (given and expected and csrf_token_fits(expected, actor)
            and hmac.compare_digest(given.encode(), expected.encode())):
        raise CsrfRejected("missing or invalid CSRF token; reload the page and try again")


def api_actor(auth, request: Request) -> dict[str, Any] | None:
    """The actor of an API request: the Authorization / service-key headers as always, else
    the site's access cookie — then any state-changing method needs `X-CSRF-Token`."""
    headers = request.headers
    if headers.get("Authorization") or headers.get("X-Agora-Service-Key"):
        return auth.actor_for(headers)
    token = request.cookies.get(ACCESS_COOKIE)
    if not token:
        return None
    actor = auth.actor_for_token(token)
    if request.method.upper() not in SAFE_METHODS:
        check_csrf(request, actor, headers.get(CSRF_HEADER))
    return actor


class CookieJar:
    """The cookies a response sets or clears, with the site's attributes."""

    def __init__(self, secure: bool):
        self.secure = secure
        self.changes: list[tuple[str, str, dict[str, Any]]] = []

    def set(self, name: str, value: str, max_age: int | None = None, path: str = "/") -> None:
        self.changes.append((name, value, {"max_age": max_age, "path": path}))

    def clear(self, name: str, path: str = "/") -> None:
        self.changes.append((name, "", {"max_age": 0, "path": path, "expires": 0}))

    def sign_in(self, tokens: dict[str, Any], actor: dict[str, Any],
                current_csrf: str | None = None) -> None:
        """Store a token pair (identity's login/refresh answer) and a CSRF token bound to its
        session — the current one when it already is (a refresh keeps forms on screen valid)."""
        lifetime = int(tokens.get("refresh_expires_in") or 30 * 86400)
        self.set(ACCESS_COOKIE, tokens["access_token"], max_age=lifetime)
        self.set(REFRESH_COOKIE, tokens["refresh_token"], max_age=lifetime, path=SESSION_PATH)
        if not csrf_token_fits(current_csrf, actor):
            self.set(CSRF_COOKIE, new_csrf_token(actor))

    def sign_out(self) -> None:
        self.clear(ACCESS_COOKIE)
        self.clear(REFRESH_COOKIE, path=SESSION_PATH)
        self.clear(CSRF_COOKIE)

    def notice(self, code: str) -> None:
        self.set(NOTICE_COOKIE, code, max_age=120)

    def apply(self, response: Response) -> Response:
        for name, value, options in self.changes:
            response.set_cookie(name, value, httponly=True,
                                secure=self.secure, samesite="Lax", **options)
        return response
