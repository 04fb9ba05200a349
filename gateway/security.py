"""What the gateway adds to every answer for security: headers, and refusals as security events.

**Headers** (`secure_headers`), on every response, whatever produced it (a route, a 404 for an
unknown path, a CORS preflight):

- `X-Content-Type-Options: nosniff` — a browser never guesses a type other than the declared
  one (a JSON answer, or a member's text inside it, is never run as HTML or script);
- `Cache-Control: no-store` on everything that carries a token or personal data — every answer
  to a request that carried a credential (bearer token, service key, session cookie), every
  `/api/v1/auth/*` and `/api/v1/me*` answer, and every error — and by default on everything
  else too: a route that wants public caching (a static asset of the site) sets its own
  `Cache-Control`, which is kept only when the request carried no credential.

**Security events** (`log_refusal`): every 401 and 403 the gateway answers is logged on the
`agora.security` logger (services/shared/security_log.py) with who (the user id and roles the
request proved, else only the client address), what (method, route template, path), why (the
problem's detail) and the request id — never the token, the service key or a cookie.

**Log lines** name a request by `loggable_target`: its path and query string with the value of
every credential parameter (`CREDENTIAL_PARAMETERS`: the unsubscribe link's signed `token`,
which also names the member, and a password-reset link's) replaced by `[redacted]`, in a local
address carried by another parameter (`next=`) too.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

from werkzeug.wrappers import Request, Response

from services.shared.security_log import security_event

ACTOR_ENV = "agora.actor"  # set by the route pipeline once credentials are verified
NO_STORE = "no-store"
_PRIVATE_PREFIXES = ("/api/v1/auth/", "/api/v1/me")
_CREDENTIAL_HEADERS = ("Authorization", "X-Agora-Service-Key", "Cookie")
# Query parameters that carry a secret. Routes take only `token` today (GET/POST
# /api/v1/unsubscribe, the site's /password/reset); the others are where a future link would
# put one.
CREDENTIAL_PARAMETERS = frozenset({"token", "access_token", "refresh_token", "code", "password",
                                   "secret"})
REDACTED = "[redacted]"


def carries_credentials(request: Request) -> bool:
    return any(request.headers.get(name) for name in _CREDENTIAL_HEADERS) or bool(
        request.cookies.get("agora_at"))  # the site's session (gateway/web/session.py)


def secure_headers(request: Request, response: Response) -> None:
    """Add the security headers to `response` (see the module docstring)."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    private = (carries_credentials(request) or request.path.startswith(_PRIVATE_PREFIXES)
               or response.status_code >= 400)
    if private or "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = NO_STORE
        response.headers.pop("Expires", None)


def loggable_target(request: Request) -> str:
    """The request's path and query string for a log line, credentials redacted (at most
    1000 characters: a client chooses how long its query is)."""
    if not request.query_string:
        return request.path[:1000]
    return f"{request.path}?{_loggable_query(request.args.items(multi=True))}"[:1000]


def _loggable_query(parameters) -> str:
    """Credential values redacted, also in a local address a parameter carries (`next`: a
    sign-in or refresh on the way to a password-reset link would hold its `token`)."""
    query = []
    for name, value in parameters:
        if name.lower() in CREDENTIAL_PARAMETERS:
            value = REDACTED
        elif value.startswith("/") and "?" in value:
            path, _, inner = value.partition("?")
            value = f"{path}?{_loggable_query(parse_qsl(inner, keep_blank_values=True))}"
        query.append((name, value))
    return urlencode(query, safe="[]/,:")


def log_refusal(request: Request, response: Response, route: str, request_id: str,
                client: str) -> dict[str, Any] | None:
    """A 401 or 403 as a security event (None for any other status)."""
    status = response.status_code
    if status not in (401, 403):
        return None
    return security_event(
        "authentication_failed" if status == 401 else "authorization_failed",
        reason=_detail(response), actor=request.environ.get(ACTOR_ENV),
        request_id=request_id, client=client, method=request.method, route=route,
        path=request.path[:300], status=status)


def _detail(response: Response) -> str:
    try:
        return str(json.loads(response.get_data(as_text=True)).get("detail") or "")[:300]
    except (ValueError, AttributeError):
        return ""
