"""Security events: authentication and authorization failures as structured log lines.

One logger (``agora.security``) and one shape, so an SRE or a SIEM finds every refusal with one
filter (`"logger": "agora.security"`) whatever process logged it: which event, who (user id and
roles, or the client address when nobody could be identified), what (route, method, object),
why (a short reason), and the request id (also the `correlation_id` of every line the request
caused). Never a secret: callers pass ids and reasons only — no token, password, e-mail address
or header value — and `security_event` drops any detail whose name says it could hold one.

Example::

    security_event("authorization_failed", actor=actor, reason="not a participant",
                   request_id=self.correlation, conversation_id=conversation_id)
"""
from __future__ import annotations

import logging
from typing import Any

SECURITY_LOGGER = "agora.security"
_SECRET_WORDS = ("token", "password", "secret", "authorization", "cookie", "key", "email")

log = logging.getLogger(SECURITY_LOGGER)


def security_event(event: str, *, reason: str, actor: dict[str, Any] | None = None,
                   request_id: str | None = None, client: str | None = None,
                   **details: Any) -> dict[str, Any]:
    """Log one security event at WARNING and return the fields logged (for tests)."""
    fields: dict[str, Any] = {
        "security_event": event,
        "reason": reason,
        "actor_id": (actor or {}).get("id"),
        "actor_roles": sorted((actor or {}).get("roles") or ()),
        "request_id": request_id,
        "client": client,
    }
    fields.update({name: value for name, value in details.items()
                   if not any(word in name.lower() for word in _SECRET_WORDS)})
    log.warning("%s: %s", event, reason, extra=fields)
    return fields
