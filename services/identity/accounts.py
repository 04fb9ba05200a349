"""Account data that must not be events: e-mail claims, password hashes, refresh-token families,
login failures and the login audit — all in identity's own database.

Why not in the event log: events are published (even private ones leave the process) and kept
forever; a password hash or a refresh-token hash must do neither, and throttling counters are
not facts anyone replays. The log still records *that* something happened
(`identity.password_changed`, `identity.sessions_revoked`, without material).

- `email_claims`: `_id` = normalised e-mail. The unique `_id` is what makes an address unique
  (two concurrent registrations race on one insert; exactly one wins). A claim is `confirmed`
  once the user's events are committed; an unconfirmed claim older than `CLAIM_STALE` (a
  registration that crashed half-way) may be taken over.
- `credentials`: `_id` = user id, argon2id hash.
- `sessions`: one document per refresh-token family (`_id` = session id, the `sid` claim of the
  access tokens): hash of the current refresh token, hashes of used ones, expiry, revocation.
  Rotation is a compare-and-set on the current hash, so two concurrent refreshes with one token
  cannot both succeed: the loser finds its token among the used ones -> reuse -> revoked.
- `login_failures` (`key`, `at`) feeds the login throttling windows, `registration_attempts`
  the registration limit per address, `password_reset_requests` the reset requests' limits
  (all `services.shared.throttle.Throttle`); `login_audit` keeps every attempt (success, bad
  credentials, throttled) with address and correlation id.
- `email_verifications`: the same for a link confirming the account's address (its keyed
  hash too: the link proves that mailbox only); `email_verification_requests` limits
  the links a member asks for again.
- `password_resets`: `_id` = SHA-256 of a reset link's token (never the token), the user, its
  expiry (a TTL index deletes it after). One per account at most: a new request, a reset or a
  password change deletes the others; using one deletes it (single use: of two concurrent
  uses, one deletes it, the other finds nothing).

Personal data outside the log is sealed with the member's key (crypto-shredding, see
services/shared/shredding.py): the e-mail address and client address of a login attempt on a
known account, the client address of a session, of a second-factor challenge and of a staff
member's read of personal data (`privileged_reads`, with the reader's key). What is only looked
up — an address in the throttling keys, the audit lines of an address at erasure, "has this
account logged in from this client" — is a keyed hash (`LookupHash`, `email_hash`,
`client_hash`), never the value. A failed login for an address that matches no account has no
data subject whose key could seal it: only its keyed hash is kept (enough to count and to find
it), never the address.
"""
from __future__ import annotations

import base64
import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventlet import tpool
from pymongo import ASCENDING, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.shared.envelope import new_id
from services.shared.errors import Conflict
from services.shared.shredding import LookupHash, SubjectKeys
from services.shared.throttle import Throttle, ThrottlePolicy

from . import domain, limits, mfa, tokens

log = logging.getLogger(__name__)

CLAIM_STALE = timedelta(seconds=30)


class EmailTaken(Conflict):
    """The address is claimed by another account (`agora create-admin` turns it into "already
    exists"; registration answers as for a new address and tells the owner)."""
FAILURES_KEPT = timedelta(days=1)


def ensure_indexes(db: Database) -> None:
    db.sessions.create_index([("user_id", ASCENDING)], name="by_user")
    db.email_claims.create_index([("user_id", ASCENDING)], name="by_user")
    for collection in (db.login_failures, db.registration_attempts, db.mfa_failures,
                       db.password_reset_requests, db.email_verification_requests):
        Throttle(collection, {}, kept=FAILURES_KEPT).ensure_indexes()
    db.password_resets.create_index("expires_at", expireAfterSeconds=0, name="expires_ttl")
    db.password_resets.create_index([("user_id", ASCENDING)], name="by_user")
    db.email_verifications.create_index("expires_at", expireAfterSeconds=0, name="expires_ttl")
    db.email_verifications.create_index([("user_id", ASCENDING)], name="by_user")
    db.login_audit.create_index([("at", ASCENDING)], name="at")
    db.mfa_challenges.create_index("expires_at", expireAfterSeconds=0, name="expires_ttl")
    db.mfa_challenges.create_index([("user_id", ASCENDING)], name="by_user")
    db.login_audit.create_index([("user_id", ASCENDING), ("at", ASCENDING)], name="user_at")
    db.login_audit.create_index([("user_id", ASCENDING), ("client", ASCENDING),
                                 ("outcome", ASCENDING)], name="user_client_outcome")
    db.privileged_reads.create_index([("actor_id", ASCENDING), ("at", ASCENDING)],
                                     name="actor_at")
    db.login_audit.create_index([("email", ASCENDING)], name="email")  # lines before hashing
    db.login_audit.create_index([("user_id", ASCENDING), ("client_hash", ASCENDING),
                                 ("outcome", ASCENDING)], name="user_client_hash_outcome")
    db.login_audit.create_index([("email_hash", ASCENDING)], name="email_hash")  # erasure


# -- passwords ----------------------------------------------------------------------------------

class Passwords:
    """argon2id hashing, run in OS threads (eventlet's tpool) so a hash does not freeze every
    other green thread of the process for its duration."""

    def __init__(self, time_cost: int = 2, memory_kib: int = 19456, parallelism: int = 1):
        # OWASP's argon2id baseline (19 MiB, t=2, p=1): tens of ms per hash, bounded memory.
        self.hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib,
                                     parallelism=parallelism)
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return tpool.execute(self.hasher.hash, password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Constant work whether or not the account exists (no user enumeration by timing)."""
        if password_hash is None:
            if self._dummy is None:
                self._dummy = self.hasher.hash(new_id())
            password_hash, password = self._dummy, password + "\x00"
        try:
            return bool(tpool.execute(self.hasher.verify, password_hash, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)


# -- access tokens ------------------------------------------------------------------------------

class TokenIssuer:
    def __init__(self, private_key_pem: bytes, issuer: str, audience: str,
                 access_seconds: int = 900):
        key = serialization.load_pem_private_key(private_key_pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise RuntimeError("the JWT private key must be an Ed25519 key (EdDSA)")
        self.key = key
        public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                               serialization.PublicFormat.Raw)
        self.kid = base64.urlsafe_b64encode(hashlib.sha256(public).digest()[:12]).decode()
        self.issuer = issuer
        self.audience = audience
        self.access_seconds = access_seconds

    def issue(self, user_id: str, roles: list[str], session_id: str, now: datetime,
              language: str | None = None) -> str:
        issued = int(now.timestamp())
        claims = {
            "iss": self.issuer, "aud": self.audience, "sub": user_id,
            "iat": issued, "nbf": issued, "exp": issued + self.access_seconds,
            "roles": sorted(set(roles) | {"member"}), "sid": session_id, "jti": new_id(),
        }
        if language:  # the gateway answers in it (problem+json) without asking identity
            claims["lang"] = language
        return jwt.encode(claims, self.key, algorithm="EdDSA",
                          headers={"kid": self.kid, "typ": "at+jwt"})


# -- the account collections ----------------------------------------------------------------

AUDIT_EMAIL = "identity.login_audit.email"  # where a sealed value belongs (its context)
AUDIT_CLIENT = "identity.login_audit.client"
SESSION_CLIENT = "identity.sessions.client"
CHALLENGE_CLIENT = "identity.mfa_challenges.client"
READER_CLIENT = "identity.privileged_reads.client"


class Accounts:
    def __init__(self, db: Database, lookup: LookupHash, refresh_days: float = 30,
                 pair_policy: ThrottlePolicy = limits.DEFAULT_PAIR_POLICY,
                 address_policy: ThrottlePolicy = limits.DEFAULT_ADDRESS_POLICY,
                 account_policy: ThrottlePolicy = limits.DEFAULT_ACCOUNT_POLICY,
                 registration_policy: ThrottlePolicy = limits.DEFAULT_REGISTRATION_POLICY,
                 reset_policies: dict[str, ThrottlePolicy] | None = None):
        self.db = db
        self.lookup = lookup
        self.keys = SubjectKeys.beside(db, "identity")
        self.refresh_ttl = timedelta(days=refresh_days)
        self.logins = Throttle(db.login_failures, {"pair": pair_policy,
                                                   "address": address_policy,
                                                   "account": account_policy},
                               kept=FAILURES_KEPT)
        self.codes = Throttle(db.mfa_failures, {"account": limits.DEFAULT_CODE_POLICY},
                              kept=FAILURES_KEPT)
        self.registrations = Throttle(db.registration_attempts, {
            "address": registration_policy,
            "notice": limits.REGISTRATION_NOTICE_POLICY}, kept=FAILURES_KEPT)
        self.reset_requests = Throttle(db.password_reset_requests, reset_policies or {
            "pair": limits.RESET_PAIR_POLICY, "address": limits.RESET_ADDRESS_POLICY,
            "account": limits.RESET_ACCOUNT_POLICY}, kept=FAILURES_KEPT)
        self.verification_requests = Throttle(db.email_verification_requests, {
            "account": limits.VERIFICATION_ACCOUNT_POLICY}, kept=FAILURES_KEPT)

    # e-mail claims

    def claim_email(self, email_key: str, user_id: str, now: datetime,
                    stream_exists) -> None:
        """Reserve `email_key` for `user_id` or raise EmailTaken (a Conflict)."""
        claims = self.db.email_claims
        existing = None
        while existing is None:
            try:
                claims.insert_one({"_id": email_key, "user_id": user_id, "claimed_at": now,
                                   "confirmed": False})
                return
            except DuplicateKeyError:
                pass
            existing = claims.find_one({"_id": email_key})  # None: released since: claim again
        if existing.get("user_id") == user_id:
            return  # this registration, executed again (its id comes from its idempotency key)
        if (not existing.get("confirmed") and existing.get("claimed_at")
                and existing["claimed_at"] < now - CLAIM_STALE
                and not stream_exists(existing["user_id"])):
            taken = claims.find_one_and_update(
                {"_id": email_key, "user_id": existing["user_id"], "confirmed": False},
                {"$set": {"user_id": user_id, "claimed_at": now}})
            if taken is not None:
                log.warning("took over an abandoned e-mail claim", extra={
                    "abandoned_user_id": existing["user_id"]})
                return
        raise EmailTaken("an account with this e-mail address already exists",
                         {"fields": {"email": ["already registered"]}})

    def confirm_email(self, email_key: str, user_id: str) -> None:
        self.db.email_claims.update_one({"_id": email_key, "user_id": user_id},
                                        {"$set": {"confirmed": True}})

    def release_email(self, email_key: str, user_id: str) -> None:
        self.db.email_claims.delete_one({"_id": email_key, "user_id": user_id,
                                         "confirmed": False})

    def drop_email(self, user_id: str) -> None:
        """Erasure: the user's address is free to register again (only this user's claim)."""
        self.db.email_claims.delete_many({"user_id": user_id})

    def user_id_for(self, email_key: str) -> str | None:
        claim = self.db.email_claims.find_one({"_id": email_key, "confirmed": True})
        return None if claim is None else claim["user_id"]

    # credentials

    def set_password_hash(self, user_id: str, password_hash: str, now: datetime) -> None:
        self.db.credentials.update_one({"_id": user_id}, {"$set": {
            "hash": password_hash, "changed_at": now}}, upsert=True)

    def password_hash(self, user_id: str | None) -> str | None:
        if user_id is None:
            return None
        document = self.db.credentials.find_one({"_id": user_id})
        return None if document is None else document["hash"]

    def delete_credentials(self, user_id: str) -> None:
        self.db.credentials.delete_one({"_id": user_id})

    # password-reset links (`password_resets`, see the module's docstring)

    def new_reset(self, user_id: str | None, now: datetime, seconds: int) -> str:
        """A reset link's token for `user_id`, replacing the account's earlier ones. Without a
        user: a decoy of the same writes, which no link can use (an address without an account
        costs a request the same work as one with)."""
        token, digest = tokens.new_reset_token()
        self.drop_resets(user_id)
        self.db.password_resets.insert_one({"_id": digest, "user_id": user_id,
                                            "created_at": now,
                                            "expires_at": now + timedelta(seconds=seconds)})
        return token

    def reset(self, token: str, now: datetime) -> dict[str, Any] | None:
        """The live reset of a link's token, or None (unknown, used, expired, a decoy)."""
        return _live_link(self.db.password_resets, token, now)

    def use_reset(self, reset: dict[str, Any]) -> bool:
        """Single use: True for the one caller that deleted it."""
        return _used_once(self.db.password_resets, reset)

    def drop_resets(self, user_id: str | None) -> None:
        """Every pending reset link of the account stops working (a new one was asked for,
        or the password changed)."""
        if user_id:
            self.db.password_resets.delete_many({"user_id": user_id})

    # address confirmation links (`email_verifications`, see the module's docstring)

    def new_verification(self, user_id: str, email_key: str, now: datetime, seconds: int
                         ) -> str:
        """A confirmation link's token for the account's address `email_key`, replacing the
        account's earlier ones."""
        token, digest = tokens.new_reset_token()
        self.drop_verifications(user_id)
        self.db.email_verifications.insert_one({
            "_id": digest, "user_id": user_id, "email_hash": self.lookup(email_key),
            "created_at": now, "expires_at": now + timedelta(seconds=seconds)})
        return token

    def verification(self, token: str, now: datetime) -> dict[str, Any] | None:
        """The live confirmation of a link's token, or None (unknown, used, expired)."""
        return _live_link(self.db.email_verifications, token, now)

    def use_verification(self, verification: dict[str, Any]) -> bool:
        """Single use: True for the one caller that deleted it."""
        return _used_once(self.db.email_verifications, verification)

    def drop_verifications(self, user_id: str) -> None:
        self.db.email_verifications.delete_many({"user_id": user_id})

    def for_address(self, verification: dict[str, Any], email_key: str | None) -> bool:
        """Whether a confirmation was sent to `email_key` (a link proves the mailbox it went
        to, not an address the account has since)."""
        return bool(email_key) and verification.get("email_hash") == self.lookup(email_key)

    # sessions (refresh-token families)

    def start_session(self, user_id: str, client: str | None, now: datetime) -> tuple[str, str]:
        """(session id, first refresh token)."""
        session_id = new_id()
        token, digest = tokens.new_refresh_token(session_id)
        self.db.sessions.insert_one({
            "_id": session_id, "user_id": user_id, "token_hash": digest, "used_hashes": [],
            "created_at": now, "refreshed_at": now, "expires_at": now + self.refresh_ttl,
            "revoked_at": None, "client": self._sealed(user_id, client, SESSION_CLIENT),
        })
        return session_id, token

    def session(self, session_id: str) -> tokens.Session | None:
        document = self.db.sessions.find_one({"_id": session_id})
        if document is None:
            return None
        return tokens.Session(
            id=document["_id"], user_id=document["user_id"], token_hash=document["token_hash"],
            used_hashes=tuple(document.get("used_hashes") or ()),
            expires_at=document.get("expires_at"), revoked=document.get("revoked_at") is not None,
            revoked_reason=document.get("revoked_reason"))

    def rotate(self, session: tokens.Session, presented_hash: str, now: datetime) -> str | None:
        """Compare-and-set: the next refresh token, or None when another refresh won."""
        token, digest = tokens.new_refresh_token(session.id)
        updated = self.db.sessions.find_one_and_update(
            {"_id": session.id, "token_hash": presented_hash, "revoked_at": None},
            {"$set": {"token_hash": digest, "refreshed_at": now},
             "$push": {"used_hashes": {"$each": [presented_hash],
                                       "$slice": -tokens.REUSED_KEPT}}},
            return_document=ReturnDocument.AFTER)
        return None if updated is None else token

    def revoke(self, session_ids: list[str], reason: str, now: datetime) -> list[str]:
        """Revoke live sessions among `session_ids`; returns the ones this call revoked."""
        revoked = []
        for session_id in session_ids:
            result = self.db.sessions.update_one(
                {"_id": session_id, "revoked_at": None},
                {"$set": {"revoked_at": now, "revoked_reason": reason}})
            if result.modified_count:
                revoked.append(session_id)
        return revoked

    def sessions_of(self, user_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """A user's sessions for the data export, newest first, without token material."""
        found = self.db.sessions.find({"user_id": user_id}, {"token_hash": 0, "used_hashes": 0})
        return [{**document, "client": self.keys.unseal(document.get("client"), SESSION_CLIENT)}
                for document in found.sort("created_at", -1).limit(limit)]

    def live_sessions(self, user_id: str, now: datetime) -> list[str]:
        return [document["_id"] for document in self.db.sessions.find(
            {"user_id": user_id, "revoked_at": None, "expires_at": {"$gt": now}}, {"_id": 1})]

    # second factor (mfa.py): `mfa` (_id = user id: sealed secret, confirmed, last step used,
    # hashes of the recovery codes left) and `mfa_challenges` (_id = hash of the token)

    def mfa(self, user_id: str | None) -> dict[str, Any] | None:
        return None if user_id is None else self.db.mfa.find_one({"_id": user_id})

    def mfa_enrolled(self, user_id: str | None) -> bool:
        document = self.mfa(user_id)
        return bool(document and document.get("confirmed"))

    def start_enrolment(self, user_id: str, sealed_secret: str, recovery_hashes: list[str],
                        now: datetime) -> None:
        """A new pending enrolment (replacing a pending one); Conflict when one is active."""
        try:
            self.db.mfa.update_one({"_id": user_id, "confirmed": {"$ne": True}}, {"$set": {
                "secret": sealed_secret, "recovery": recovery_hashes, "confirmed": False,
                "last_step": None, "started_at": now}}, upsert=True)
        except DuplicateKeyError:
            raise Conflict("a second factor is already active on this account; disable it "
                           "first") from None

    def confirm_enrolment(self, user_id: str, step: int, now: datetime) -> bool:
        return self.db.mfa.update_one(
            {"_id": user_id, "confirmed": False},
            {"$set": {"confirmed": True, "last_step": step, "confirmed_at": now}}
        ).modified_count == 1

    def use_step(self, user_id: str, step: int) -> bool:
        """Compare-and-set: a time step is used once (two concurrent uses: one wins)."""
        return self.db.mfa.update_one(
            {"_id": user_id, "confirmed": True,
             "$or": [{"last_step": None}, {"last_step": {"$lt": step}}]},
            {"$set": {"last_step": step}}).modified_count == 1

    def use_recovery_code(self, user_id: str, digest: str) -> bool:
        return self.db.mfa.update_one({"_id": user_id, "confirmed": True, "recovery": digest},
                                      {"$pull": {"recovery": digest}}).modified_count == 1

    def drop_mfa(self, user_id: str) -> bool:
        self.db.mfa_challenges.delete_many({"user_id": user_id})
        return self.db.mfa.delete_one({"_id": user_id}).deleted_count == 1

    def new_challenge(self, user_id: str, purpose: str, client: str | None, now: datetime,
                      seconds: int) -> str:
        token, digest = mfa.new_challenge()
        self.db.mfa_challenges.insert_one({
            "_id": digest, "user_id": user_id, "purpose": purpose,
            "client": self._sealed(user_id, client, CHALLENGE_CLIENT),
            "attempts": 0, "created_at": now, "expires_at": now + timedelta(seconds=seconds)})
        return token

    def challenge(self, token: str, now: datetime) -> dict[str, Any] | None:
        document = self.db.mfa_challenges.find_one({"_id": mfa.challenge_hash(token)})
        if document is None or document["expires_at"] <= now:
            return None
        return document

    def challenge_failed(self, document: dict[str, Any]) -> None:
        """One more wrong code; the challenge is gone after CHALLENGE_ATTEMPTS of them."""
        updated = self.db.mfa_challenges.find_one_and_update(
            {"_id": document["_id"]}, {"$inc": {"attempts": 1}},
            return_document=ReturnDocument.AFTER)
        if updated is not None and updated["attempts"] >= mfa.CHALLENGE_ATTEMPTS:
            self.db.mfa_challenges.delete_one({"_id": document["_id"]})

    def consume_challenge(self, document: dict[str, Any]) -> bool:
        """Single use: of two concurrent answers to one challenge, one gets the tokens."""
        return self.db.mfa_challenges.delete_one({"_id": document["_id"]}).deleted_count == 1

    def mark_second_factor(self, session_id: str, now: datetime) -> None:
        """The session proved the second factor now (step-up: `second_factor_at`)."""
        self.db.sessions.update_one({"_id": session_id}, {"$set": {"second_factor_at": now}})

    def second_factor_at(self, session_id: str | None) -> datetime | None:
        if not session_id:
            return None
        document = self.db.sessions.find_one({"_id": session_id}, {"second_factor_at": 1})
        return (document or {}).get("second_factor_at")

    # throttling: `self.logins` (failures) and `self.registrations` (attempts), see __init__

    def throttle_keys(self, email_key: str, client: str | None, known_client: bool = False
                      ) -> dict[str, str]:
        """`limits.throttle_keys` of the keyed hashes: no address in the throttling store."""
        return limits.throttle_keys(self.lookup(email_key), self._hash(client), known_client)

    def pair_key(self, email_key: str, client: str | None) -> str:
        return limits.pair_key(self.lookup(email_key), self._hash(client))

    def registration_keys(self, client: str | None) -> dict[str, str]:
        return limits.registration_keys(self._hash(client))

    def reset_keys(self, email_key: str, client: str | None, user_id: str | None
                   ) -> dict[str, str]:
        """A reset request's throttling keys: the login's (`throttle_keys`), the account's
        exempt from an address it logged in from."""
        return self.throttle_keys(email_key, client, self.known_client(user_id, client))

    def audit(self, attempt: domain.LoginAttempt, now: datetime,
              correlation_id: str | None) -> None:
        """The address and client sealed with the account's key; for an unknown address only
        their keyed hashes (see the module's docstring)."""
        document: dict[str, Any] = {
            "at": now, "email_hash": self._hash(attempt.email),
            "client_hash": self._hash(attempt.client),
            "email": self._sealed(attempt.user_id, attempt.email, AUDIT_EMAIL),
            "client": self._sealed(attempt.user_id, attempt.client, AUDIT_CLIENT),
            "outcome": attempt.outcome, "user_id": attempt.user_id,
            "correlation_id": correlation_id, **attempt.detail,
        }
        self.db.login_audit.insert_one(document)

    def _hash(self, value: str | None) -> str | None:
        return self.lookup(value) if value else None

    def _sealed(self, user_id: str | None, value: str | None, context: str
                ) -> dict[str, Any] | None:
        """`value` sealed with the member's key; None without a member (nobody to seal it
        for: the caller keeps a keyed hash instead) or without a value."""
        return self.keys.seal(user_id, value, context) if user_id and value else None

    def audit_privileged_read(self, actor: dict[str, Any], action: str,
                              found_user_id: str | None, now: datetime,
                              correlation_id: str | None, client: str | None) -> None:
        """Insert-only: an admin read personal data (who, what, whom it found, when). The
        address looked up is not kept: the member found says whom it concerned, and an
        address that matched nobody is nobody's data."""
        self.db.privileged_reads.insert_one({
            "at": now, "actor_id": actor["id"], "actor_roles": sorted(actor.get("roles") or []),
            "action": action, "found_user_id": found_user_id,
            "client": self._sealed(actor["id"], client, READER_CLIENT),  # the reader's address
            "correlation_id": correlation_id})

    def known_client(self, user_id: str | None, client: str | None) -> bool:
        """Has this account logged in successfully from this address (within the audit)?"""
        if not user_id or not client:
            return False
        return self.db.login_audit.find_one(
            {"user_id": user_id, "outcome": "success",
             # lines written before the client was sealed still hold it in clear
             "$or": [{"client_hash": self.lookup(client)}, {"client": client}]},
            {"_id": 1}) is not None

    def audit_of(self, user_id: str, limit: int = 50) -> list[dict[str, Any]]:
        found = self.db.login_audit.find({"user_id": user_id},
                                         {"email": 0, "email_hash": 0, "client_hash": 0})
        return [{**document, "client": self.keys.unseal(document.get("client"), AUDIT_CLIENT)}
                for document in found.sort("at", -1).limit(limit)]

    def forget(self, user_id: str, email_key: str | None) -> None:
        """Erasure: the login audit keeps that attempts happened (security), not who from where;
        pending failures of the address go — the account's count and the count of each
        (address, client) pair, whose key names the address (the clients' hashes are read from
        the audit before it forgets them); sessions keep no client address. Sealed values are
        unreadable once the key is shredded; these copies go all the same."""
        anonymous = {"$set": {"email": None, "client": None},
                     "$unset": {"email_hash": "", "client_hash": ""}}
        if email_key:
            address = self.lookup(email_key)
            # lines written before the address was hashed hold it (and the client) in clear
            lines = {"$or": [{"email_hash": address}, {"email": email_key}]}
            failures = {f"account:{address}", f"account:{email_key}"}
            for doc in self.db.login_audit.find(lines, {"client_hash": 1, "client": 1}):
                failures.add(limits.pair_key(address, doc.get("client_hash")))
                if isinstance(doc.get("client"), str):
                    failures.add(limits.pair_key(email_key, doc["client"]))
            self.db.login_failures.delete_many({"key": {"$in": sorted(failures)}})
            self.db.login_audit.update_many(lines, anonymous)
        self.db.login_audit.update_many({"user_id": user_id}, anonymous)
        self.db.sessions.update_many({"user_id": user_id}, {"$set": {"client": None}})


# a single-use link (a password reset's, an address confirmation's): its token's hash is the
# document's id, it expires, and the one caller that deletes it uses it

def _live_link(links: Collection, token: str, now: datetime) -> dict[str, Any] | None:
    """The live link of `token`, or None (malformed, unknown, used, expired, a decoy)."""
    if not tokens.RESET_TOKEN.fullmatch(token or ""):
        return None
    found = links.find_one({"_id": tokens.reset_token_hash(token)})
    return found if tokens.reset_usable(found, now) else None


def _used_once(links: Collection, link: dict[str, Any]) -> bool:
    return links.delete_one({"_id": link["_id"]}).deleted_count == 1
