"""The second factor: TOTP (RFC 6238, `pyotp`, pinned) with recovery codes. Pure rules, no I/O.

- Who needs it: staff (advisor, community_manager, admin) always — a staff account without one
  is asked to enrol at its next login; members once they turned it on (`second_factor`).
- Codes: 6 digits, 30-second steps, one step of clock drift either way; a code (a time step) is
  accepted once per account (`matching_step` > the last step used), so a code seen over a
  shoulder or in a proxy log cannot be replayed.
- Recovery codes: 10 random codes shown once at enrolment, stored as SHA-256 hashes (they are
  random, 50 bits each: a slow hash adds nothing), each usable once instead of a TOTP code.
- Secrets are stored encrypted (`SecretBox`, Fernet: AES-128-CBC + HMAC-SHA256) with a key of
  identity's own (`AGORA_MFA_KEY_FILE`), never in an event.
- Challenges: what a correct password buys when a second factor is needed — an opaque random
  token (only its hash is stored), valid `CHALLENGE_SECONDS`, a few attempts.

Example::

    secret = new_secret()
    code = pyotp.TOTP(secret).now()
    matching_step(secret, code, now, last_step=None)   # the step number, or None
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Iterable
from datetime import datetime

import pyotp
from cryptography.fernet import Fernet, InvalidToken

from services.shared.actors import STAFF_ROLES, holds_any
from services.shared.errors import Misconfigured

ISSUER = "Agora"
STEP_SECONDS = 30
DRIFT_STEPS = 1
CHALLENGE_SECONDS = 300
CHALLENGE_ATTEMPTS = 5
RECOVERY_CODES = 10
LOGIN, SETUP = "login", "setup"  # what a challenge leads to


def second_factor(roles: Iterable[str], enrolled: bool) -> str | None:
    """After a correct password: LOGIN (ask for a code), SETUP (a staff account without a
    second factor enrols first), or None (tokens at once: a member who did not turn it on)."""
    if enrolled:
        return LOGIN
    if holds_any(roles, STAFF_ROLES):
        return SETUP
    return None


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, RFC 4226's recommendation


def otpauth_uri(secret: str, account: str) -> str:
    """What an authenticator app scans (as a QR code) or imports."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def step_of(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def typed_code(code: str | None) -> str:
    """A code as typed, its digits read as ASCII: a phone's keyboard may give full-width
    ("１２３４５６") or other scripts' digits, which `str.isdigit` accepts and `compare_digest`
    refuses with a TypeError (it was a 502); spaces dropped."""
    return "".join(str(unicodedata.digit(c)) if c.isdigit() else c
                   for c in "".join((code or "").split()))


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step `code` belongs to (within the drift allowed), if it was not used yet."""
    code = typed_code(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp, current = pyotp.TOTP(secret), step_of(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code) and (
                last_step is None or step > last_step):
            return step
    return None


def looks_like_totp(code: str) -> bool:
    code = typed_code(code)
    return len(code) == 6 and code.isdigit()


# -- recovery codes -----------------------------------------------------------------------------

_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud, typed back


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """`xxxxx-xxxxx`: 10 characters of a 31-letter alphabet, about 50 bits each."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def recovery_hash(code: str) -> str:
    normalized = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    return hashlib.sha256(f"agora-recovery:{normalized}".encode()).hexdigest()


def matching_recovery(code: str, hashes: Iterable[str]) -> str | None:
    """The stored hash `code` matches (to remove it: each works once), or None."""
    digest = recovery_hash(code)
    for stored in hashes:
        if hmac.compare_digest(stored, digest):
            return stored
    return None


# -- challenges -----------------------------------------------------------------------------------

def new_challenge() -> tuple[str, str]:
    """(token for the client, hash to store)."""
    token = secrets.token_urlsafe(32)
    return token, challenge_hash(token)


def challenge_hash(token: str) -> str:
    return hashlib.sha256(f"agora-mfa-challenge:{token or ''}".encode()).hexdigest()


# -- secrets at rest ------------------------------------------------------------------------------

class SecretBox:
    """Encrypts TOTP secrets for storage (Fernet, a key of identity's own)."""

    def __init__(self, key: bytes):
        self.fernet = Fernet(key.strip())

    @staticmethod
    def generate_key() -> bytes:
        return Fernet.generate_key()

    def seal(self, secret: str) -> str:
        return self.fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self.fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            # not a member's mistake nor a bug: the key file or Secret was replaced or lost
            raise Misconfigured("a TOTP secret cannot be decrypted with the configured "
                                "AGORA_MFA_KEY (was the key replaced?)") from None
