"""One-click unsubscribe links (RFC 8058): signed, expiring, single-purpose tokens. Pure.

An e-mail carries ``List-Unsubscribe: <{base}/api/v1/unsubscribe?token=...>`` and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``; the receiving mail client POSTs to that
URL (the gateway's public route), and notifications turns e-mail off for the types the token
names. The token says who and what, and nothing else: it cannot sign anyone in, read anything,
or change any other setting, and it expires.

    token = issue(secret, "u1", ["reply"], now=0, lifetime=86400)
    verify(secret, token, now=10) == Unsubscribe(member_id="u1", types=("reply",), ...)

Format: ``base64url(JSON claims) "." base64url(HMAC-SHA256)``, the HMAC keyed with a key derived
from the service's secret for this purpose only (``unsubscribe-v1``), so the same secret used
for another purpose later can never produce a valid unsubscribe token, nor the reverse.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

PURPOSE = "unsubscribe-v1"


class InvalidToken(ValueError):
    """Not a token we issued, altered, for another purpose, or expired (`expired`)."""

    def __init__(self, message: str, expired: bool = False):
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class Unsubscribe:
    member_id: str
    types: tuple[str, ...]
    expires_at: int


def _key(secret: str) -> bytes:
    if not secret:
        raise ValueError("no unsubscribe secret configured")
    return hmac.new(secret.encode(), PURPOSE.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(secret: str, member_id: str, types: list[str], now: float, lifetime: float) -> str:
    claims = {"p": PURPOSE, "m": member_id, "t": sorted(set(types)),
              "e": int(now + lifetime)}
    body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64(hmac.new(_key(secret), body.encode(), hashlib.sha256).digest())}"


def verify(secret: str, token: str, now: float) -> Unsubscribe:
    body, _, signature = (token or "").partition(".")
    expected = _b64(hmac.new(_key(secret), body.encode(), hashlib.sha256).digest())
    # compared as bytes: compare_digest refuses str holding non-ASCII ("é" in a forged link was
    # a TypeError, a 502); a signature is URL-safe base64, so such a link is simply not valid
    if not body or not hmac.compare_digest(signature.encode(), expected.encode()):
        raise InvalidToken("this unsubscribe link is not valid")
    try:
        claims = json.loads(_unb64(body))
        result = Unsubscribe(str(claims["m"]), tuple(claims["t"]), int(claims["e"]))
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidToken("this unsubscribe link is not valid") from error
    if claims.get("p") != PURPOSE:
        raise InvalidToken("this link is not an unsubscribe link")
    if result.expires_at < now:
        raise InvalidToken("this unsubscribe link has expired; change your choices in your "
                           "notification settings", expired=True)
    return result
