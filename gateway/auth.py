"""Who is calling, and may they call this route: tokens, service credentials, role requirements.

- **Access tokens** are JWTs signed by identity with its Ed25519 private key; the gateway verifies
  them itself with the public key (no RPC per request): algorithm pinned to EdDSA (so `alg: none`
  and HMAC-with-the-public-key forgeries fail), `exp`, `iat`, `iss`, `aud`, `sub` required and
  checked, plus `roles` and `sid` (the session, i.e. refresh-token family).
- **Revoked sessions** (log out, password change, refresh-token reuse) reach the gateway as the
  private event `identity.sessions_revoked`; the gateway keeps them in its own database until
  the longest access token they could concern has expired, and every replica keeps an in-memory
  copy refreshed every second (`Revocations`), so a revoked access token stops working within
  about a second, still without a per-request RPC.
- **Service credentials** (other bank systems: CRM, social-listening intake) send
  `X-Agora-Service-Key: <name>:<secret>`; the gateway knows only `sha256(secret)` per name
  (`AGORA_SERVICE_CREDENTIALS="crm:<hex>,social:<hex>"`). Their actor is
  `{"id": "service:<name>", "roles": ["service"], "kind": "service"}`.
- **Route requirements** live in one place, the `auth=` argument of `@route`: `"none"` (probes
  and the OpenAPI document: credentials are not even read), `"public"` (anyone; a token, if
  sent, must be valid — a stale or forged one is a 401, so a client learns it must refresh
  instead of silently seeing the anonymous view; documented on every public operation),
  `"member"` (any signed-in user), a role name (`"advisor"`, `"community_manager"`, `"admin"`,
  `"staff"` = any of the three), `"service"`, or several joined with `|` (`"admin|service"`:
  either). Admins satisfy every role requirement except `service`. Object-level checks (is this
  *your* post?) belong to the owning service.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import eventlet
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nameko.extensions import DependencyProvider

from services.shared.actors import ROLES, STAFF_ROLES
from services.shared.envelope import utc_now
from services.shared.errors import Forbidden, Unauthenticated, session_revoked
from services.shared.expiring import ExpiringCache
from services.shared.key_files import read_key
from services.shared.mongo import database_name, mongo_uri, release_client, shared_client

log = logging.getLogger(__name__)

ALGORITHM = "EdDSA"
AUTH_LEVELS = ("none", "public", "member", "staff", "service", *ROLES)
SERVICE_KEY_HEADER = "X-Agora-Service-Key"
MAX_TOKEN_LENGTH = 4096
REVOCATIONS = "revoked_sessions"

_ROLE_RE = re.compile(r"^[a-z_]{1,32}$")


class TokenExpired(Unauthenticated):
    """401: the access token is past `exp` (the site refreshes it from its refresh cookie)."""


class SessionRevoked(Unauthenticated):
    """401: the token's session was revoked (log out elsewhere, password change, reuse, roles
    changed); `details['reason']` is identity's reason, also given to clients. The token is
    genuine, only ended: its `language` is the member's, for the answer's text."""

    language: str | None = None


def parse_auth(spec: str | Iterable[str]) -> tuple[str, ...]:
    levels = tuple(spec.split("|")) if isinstance(spec, str) else tuple(spec)
    unknown = [level for level in levels if level not in AUTH_LEVELS]
    if not levels or unknown:
        raise ValueError(f"unknown auth level(s) {unknown or levels}; use {AUTH_LEVELS}")
    for alone in ("none", "public"):
        if alone in levels and len(levels) > 1:
            raise ValueError(f"'{alone}' cannot be combined with other levels")
    return levels


def authorize(levels: tuple[str, ...], actor: dict[str, Any] | None) -> None:
    """Raise Unauthenticated (no identity) or Forbidden (identity without the role)."""
    if levels in (("public",), ("none",)):
        return
    if actor is None:
        if levels == ("service",):  # the header named as is (SERVICE_KEY_HEADER)
            raise Unauthenticated("this route needs a bank-system credential "
                                  "(X-Agora-Service-Key: <name>:<secret>)")
        if "service" in levels:
            raise Unauthenticated("this route needs an access token (Authorization: Bearer "
                                  "...) or a bank-system credential (X-Agora-Service-Key)")
        raise Unauthenticated("this route needs an access token (Authorization: Bearer ...)")
    if actor.get("kind") == "service":
        if "service" in levels:
            return
        raise Forbidden("a service credential cannot call this route")
    roles = set(actor.get("roles") or ())
    for level in levels:
        if level == "member":
            return
        if level == "staff" and roles & STAFF_ROLES:
            return
        if level in roles or (level in ROLES and "admin" in roles):
            return
    # the roles in words, in the reader's language ("admins or bank systems")
    raise Forbidden.from_catalogue("route_for_roles",
                                   terms={"roles": [f"audience.{level}" for level in levels]})


# -- keys ---------------------------------------------------------------------------------------

# A token verified once is not verified again (an Ed25519 signature check and the claims' parse
# cost ≈ 0.3 ms of the gateway's CPU per request): its claims are kept, keyed by the exact token,
# until the token expires and at most VERIFIED_TOKENS_SECONDS, for at most VERIFIED_TOKENS_MAX
# tokens. What a token says cannot change, so this changes no answer: an expired token is
# verified again (and refused), and a revoked session is checked on every request, after.
VERIFIED_TOKENS_SECONDS = 300.0
VERIFIED_TOKENS_MAX = 10_000


class TokenVerifier:
    def __init__(self, public_key_pem: bytes, issuer: str, audience: str, leeway: float = 5.0,
                 clock: Callable[[], float] = time.time,
                 verified: ExpiringCache | None = None):
        key = serialization.load_pem_public_key(public_key_pem)
        if not isinstance(key, Ed25519PublicKey):
            raise RuntimeError("the JWT public key must be an Ed25519 key (EdDSA)")
        self.key = key  # parsed once, not per request
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self._clock = clock
        self._verified = verified if verified is not None else ExpiringCache(
            VERIFIED_TOKENS_SECONDS, VERIFIED_TOKENS_MAX)

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a genuine, current access token; raises TokenExpired or
        Unauthenticated."""
        claims = self._verified.get(token)
        if claims is not None:
            return claims
        claims = self._decode(token)
        # jwt checks `exp` with the leeway against the wall clock: keep the claims no longer
        lifetime = claims["exp"] + self.leeway - self._clock()
        if lifetime > 0:
            self._verified.put(token, claims, ttl_seconds=lifetime)
        return claims

    def _decode(self, token: str) -> dict[str, Any]:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise Unauthenticated("invalid access token")
        try:
            claims = jwt.decode(
                token, self.key, algorithms=[ALGORITHM], audience=self.audience,
                issuer=self.issuer, leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            # `reason` for clients: the detail is in the reader's language, not to be matched
            raise TokenExpired("the access token has expired; refresh it",
                               {"reason": "token_expired"}) from None
        except jwt.PyJWTError as error:
            raise Unauthenticated.from_catalogue(
                "invalid_token_because", terms={"reason": f"token_problem.{_reason(error)}"}
            ) from None
        roles = claims.get("roles")
        if not isinstance(claims.get("sub"), str) or not isinstance(roles, list) or not all(
                isinstance(role, str) and _ROLE_RE.match(role) for role in roles):
            raise Unauthenticated("invalid access token (claims)")
        return claims


def _reason(error: Exception) -> str:
    return {
        jwt.InvalidAudienceError: "wrong_audience",
        jwt.InvalidIssuerError: "wrong_issuer",
        jwt.InvalidAlgorithmError: "algorithm",
        jwt.InvalidSignatureError: "signature",
        jwt.MissingRequiredClaimError: "missing_claim",
        jwt.ImmatureSignatureError: "not_valid_yet",
    }.get(type(error), "malformed")


def actor_from_claims(claims: dict[str, Any]) -> dict[str, Any]:
    roles = list(dict.fromkeys(["member", *claims["roles"]]))
    actor = {"id": claims["sub"], "roles": roles, "kind": "user", "sid": claims.get("sid")}
    if claims.get("lang"):  # the member's language (profile setting), for the answers' texts
        actor["language"] = claims["lang"]
    return actor


# -- service credentials ------------------------------------------------------------------------

def parse_service_credentials(spec: str | None) -> dict[str, str]:
    """`"crm:<sha256 hex>,social:<sha256 hex>"` -> {name: hex digest}."""
    credentials = {}
    for entry in (spec or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        name, _, digest = entry.partition(":")
        if not re.fullmatch(r"[a-z0-9_-]{1,40}", name) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ValueError(f"AGORA_SERVICE_CREDENTIALS: bad entry for {name!r} "
                             "(want name:sha256-hex)")
        credentials[name] = digest
    return credentials


def service_credential_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def service_actor(header: str, credentials: dict[str, str]) -> dict[str, Any]:
    name, _, secret = header.partition(":")
    expected = credentials.get(name)
    given = service_credential_digest(secret)
    if expected is None or not secret or not hmac.compare_digest(expected, given):
        raise Unauthenticated("invalid service credential")
    return {"id": f"service:{name}", "roles": ["service"], "kind": "service"}


# -- the dependency the routes use ---------------------------------------------------------------

class Authenticator(DependencyProvider):
    """Verifies credentials of a request; keeps the revoked-session list fresh in memory."""

    refresh_interval = 1.0

    def setup(self) -> None:
        config = self.container.config
        settings = config.get("GATEWAY", {}) or {}
        jwt_settings = config.get("AGORA_JWT", {}) or {}
        self.verifier = TokenVerifier(
            read_key(jwt_settings.get("public_key") or os.environ.get("AGORA_JWT_PUBLIC_KEY"),
                     jwt_settings.get("public_key_file"), "JWT public key"),
            issuer=jwt_settings.get("issuer") or "agora-identity",
            audience=jwt_settings.get("audience") or "agora-api",
        )
        self.revocation_ttl = timedelta(
            seconds=float(jwt_settings.get("max_access_token_seconds") or 3600))
        self.credentials = parse_service_credentials(
            settings.get("service_credentials") or os.environ.get("AGORA_SERVICE_CREDENTIALS"))
        self.uri = mongo_uri(config)
        self.db = shared_client(self.uri)[database_name(config, self.container.service_name)]
        self.revoked: dict[str, str] = {}  # session id -> why it was revoked
        self._running = False

    def start(self) -> None:
        self._running = True
        self._reload()
        self._thread = self.container.spawn_managed_thread(self._poll)

    def stop(self) -> None:
        self._running = False
        thread = getattr(self, "_thread", None)
        if thread is not None:
            thread.kill()
        release_client(self.uri)

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx) -> Authenticator:
        return self

    # -- per request

    def actor_for(self, headers) -> dict[str, Any] | None:
        """The actor of a request, None if it carries no credential; raises Unauthenticated."""
        service_key = headers.get(SERVICE_KEY_HEADER)
        if service_key:
            return service_actor(service_key, self.credentials)
        authorization = headers.get("Authorization")
        if not authorization:
            return None
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("use Authorization: Bearer <access token>")
        return self.actor_for_token(token.strip())

    def actor_for_token(self, token: str) -> dict[str, Any]:
        """The actor of an access token (header or the site's cookie); raises TokenExpired,
        SessionRevoked or Unauthenticated."""
        claims = self.verifier.verify(token)
        if claims.get("sid") and claims["sid"] in self.revoked:
            error = session_revoked(self.revoked[claims["sid"]], SessionRevoked,
                                    "this session has been revoked; log in again")
            error.language = claims.get("lang")
            raise error
        return actor_from_claims(claims)

    # -- revocations

    def record_revoked(self, session_ids: Iterable[str], reason: str | None = None) -> None:
        """Sessions revoked at identity, with identity's reason (`identity.sessions_revoked`):
        a 401 for one of their tokens says why (roles changed: sign in again)."""
        expires_at = utc_now() + self.revocation_ttl
        ids = [sid for sid in session_ids if sid]
        for sid in ids:
            self.db[REVOCATIONS].update_one(
                {"_id": sid}, {"$set": {"expires_at": expires_at, "reason": reason}},
                upsert=True)
        self.revoked = {**self.revoked, **{sid: reason or "" for sid in ids}}

    def _reload(self) -> None:
        documents = self.db[REVOCATIONS].find({"expires_at": {"$gt": utc_now()}},
                                              {"_id": 1, "reason": 1})
        self.revoked = {document["_id"]: document.get("reason") or "" for document in documents}

    def _poll(self) -> None:
        while self._running:
            eventlet.sleep(self.refresh_interval)
            try:
                self._reload()
            except Exception as error:
                log.warning("could not refresh revoked sessions: %s", error)
