"""Refresh-token families, pure: token format, rotation, reuse detection (no database, no clock
of its own). sessions.py runs them against the stored sessions."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

REUSED_KEPT = 50  # hashes of used tokens remembered per family (reuse detection)


def new_refresh_token(family_id: str) -> tuple[str, str]:
    """(token for the client, hash to store). The family id travels in the token so the
    session is found without an index on secrets; only the hash of the secret is stored."""
    secret = secrets.token_urlsafe(32)
    return f"{family_id}.{secret}", token_hash(secret)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_refresh_token(token: str) -> tuple[str, str] | None:
    """(family id, secret hash), or None for something that is not one of our tokens."""
    family_id, _, secret = (token or "").partition(".")
    if not re.fullmatch(r"[0-9a-f]{32}", family_id) or not re.fullmatch(r"[A-Za-z0-9_-]{20,100}",
                                                                        secret):
        return None
    return family_id, token_hash(secret)


@dataclass(frozen=True)
class Session:
    id: str
    user_id: str
    token_hash: str
    used_hashes: tuple[str, ...] = ()
    expires_at: datetime | None = None
    revoked: bool = False
    revoked_reason: str | None = None  # identity.sessions_revoked's reason


def refresh_decision(session: Session | None, presented_hash: str, now: datetime) -> str:
    """What presenting a refresh token means:

    - "rotate": the current token of a live session: issue the next one;
    - "reuse": a token of this family that was already used: stolen or replayed -> revoke the
      whole family (the legitimate holder logs in again);
    - "revoked", "expired", "unknown": refuse (401) without side effects — an unknown secret for
      a known family id is a guess, and revoking on guesses would let anyone log others out.
    """
    if session is None:
        return "unknown"
    if hmac.compare_digest(session.token_hash, presented_hash):
        if session.revoked:
            return "revoked"
        if session.expires_at is not None and now >= session.expires_at:
            return "expired"
        return "rotate"
    if any(hmac.compare_digest(used, presented_hash) for used in session.used_hashes):
        return "revoked" if session.revoked else "reuse"
    return "unknown"


def owns_token(session: Session | None, presented_hash: str) -> bool:
    """True for the current or an earlier token of the family (logout accepts both)."""
    return session is not None and (
        hmac.compare_digest(session.token_hash, presented_hash)
        or any(hmac.compare_digest(used, presented_hash) for used in session.used_hashes))




# -- password-reset links -------------------------------------------------------------------------

RESET_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # what `new_reset_token` makes, nothing else


def new_reset_token() -> tuple[str, str]:
    """(token for the e-mailed link, hash to store): 256 random bits; only the hash is kept,
    so a copy of the database opens no account."""
    token = secrets.token_urlsafe(32)
    return token, reset_token_hash(token)


def reset_token_hash(token: str) -> str:
    return hashlib.sha256(f"agora-password-reset:{token or ''}".encode()).hexdigest()


def reset_usable(reset: dict | None, now: datetime) -> bool:
    """A stored reset (`user_id`, `expires_at`) the link may still use: a member's (a decoy
    made for an address without an account has none) and not expired."""
    return bool(reset) and bool(reset.get("user_id")) and reset["expires_at"] > now
