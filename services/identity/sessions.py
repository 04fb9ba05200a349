"""The session workflows: log in (with the second factor when the account has or needs one),
refresh (rotation, reuse detection), log out, step-up for privileged changes, and revoking a
member's sessions. Each is several steps over the account collections (accounts.py), the pure
rules (domain.py, mfa.py) and the event store; service.py's entrypoints parse, call one of these
and return.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter

from services.shared.actors import STAFF_ROLES, holds_any
from services.shared.envelope import CommandContext, NewEvent, utc_now
from services.shared.errors import (
    Forbidden,
    InvalidInput,
    TooManyRequests,
    Unauthenticated,
    session_revoked,
)
from services.shared.event_store import EventStore
from services.shared.projections import ReadModels

from . import domain, mfa, tokens
from .dependencies import Toolkit
from .domain import account_stream
from .queries import Users

log = logging.getLogger(__name__)

STEP_UP_HEADER = "X-Agora-TOTP"  # where the gateway takes a step-up code from
LOGINS = Counter("agora_identity_logins", "Login attempts by outcome", ["outcome"])
REFRESHES = Counter("agora_identity_refreshes", "Refresh attempts by outcome", ["outcome"])


class Sessions:
    """One request's session workflows (made per worker: `correlation` is the request's)."""

    def __init__(self, store: EventStore, views: ReadModels, kit: Toolkit,
                 context: Callable[[str | None], CommandContext], correlation: str | None):
        self.store, self.views, self.kit = store, views, kit
        self.context, self.correlation = context, correlation
        self.accounts = kit.accounts
        self.users = Users(views)

    # -- log in, refresh, log out

    def login(self, email: str, password: str, client: str | None) -> dict[str, Any]:
        """The token pair, or a challenge when the account must prove (or enrol) a second
        factor; failures are throttled per address, per client and per account."""
        toolkit, accounts, now = self.kit, self.accounts, utc_now()
        email = str(email or "")[:254]
        try:
            email_key = domain.normalize_email(email)
        except InvalidInput:
            email_key = email.strip().lower()
        user_id = accounts.user_id_for(email_key)
        keys = accounts.throttle_keys(email_key, client, accounts.known_client(user_id, client))
        wait = accounts.logins.wait(keys, now)
        if wait is not None:
            self.audit(email_key, client, "throttled", None, now, {"retry_after": wait})
            raise TooManyRequests("too many failed logins; retry later",
                                  {"retry_after": round(wait)})
        password_hash = accounts.password_hash(user_id)
        if not toolkit.passwords.verify(password_hash, str(password or "")) or user_id is None:
            accounts.logins.record(keys, now)
            self.audit(email_key, client, "bad_credentials", user_id, now)
            raise Unauthenticated("wrong e-mail or password")
        accounts.logins.clear(keys["pair"])  # the account-wide count keeps what an attack did
        if toolkit.passwords.needs_rehash(password_hash):
            accounts.set_password_hash(user_id, toolkit.passwords.hash(password), now)
        user = self.users.get(user_id)
        step = mfa.second_factor(user.get("roles") or (), accounts.mfa_enrolled(user_id))
        if step is not None:
            challenge = accounts.new_challenge(user_id, step, client, now,
                                               toolkit.challenge_seconds)
            self.audit(email_key, client, "second_factor_required", user_id, now,
                       {"second_factor": step})
            flag = "mfa_required" if step == mfa.LOGIN else "mfa_setup_required"
            return {flag: True, "challenge": challenge, "expires_in": toolkit.challenge_seconds}
        return self._open_session(user_id, client, now, email_key)

    def login_second_factor(self, token: str, code: str, client: str | None) -> dict[str, Any]:
        """The second step of a login: the challenge and a TOTP code (or a recovery code) ->
        the token pair. For a staff account that just enrolled: its first code."""
        accounts, now = self.accounts, utc_now()
        challenge = self.challenge(token, now)
        user_id = challenge["user_id"]
        accounts.codes.check({"account": f"account:{user_id}"}, now, "too_many_codes")
        if challenge["purpose"] == mfa.SETUP:
            ok = self.confirm_enrolment(user_id, str(code or ""), now)
        else:
            ok = self.check_code(user_id, str(code or ""), now, client)
        if not ok:
            accounts.challenge_failed(challenge)
            raise Unauthenticated("wrong code", {"fields": {"code": ["wrong or already used "
                                                                     "code"]}})
        if not accounts.consume_challenge(challenge):
            raise Unauthenticated("this challenge was already used; log in again")
        email = self.users.get(user_id).get("email", "")
        return self._open_session(user_id, client, now, email, second_factor=True)

    def refresh(self, refresh_token: str, client: str | None) -> dict[str, Any]:
        """A new token pair for a live refresh token (rotated by compare-and-set); a reused
        token revokes its session."""
        accounts, now = self.accounts, utc_now()
        parsed = tokens.parse_refresh_token(str(refresh_token or ""))
        if parsed is None:
            REFRESHES.labels("invalid").inc()
            raise Unauthenticated("invalid refresh token")
        session_id, digest = parsed
        for _ in range(2):
            session = accounts.session(session_id)
            decision = tokens.refresh_decision(session, digest, now)
            if decision != "rotate":
                break
            if self._second_factor_missing(session):
                REFRESHES.labels("second_factor_missing").inc()
                raise Unauthenticated("staff accounts log in with a second factor: log in again")
            token = accounts.rotate(session, digest, now)
            if token is not None:
                REFRESHES.labels("rotated").inc()
                return self._token_pair(session.user_id, session_id, token)
            # another refresh with this very token won the compare-and-set: decide again
        REFRESHES.labels(decision).inc()
        if decision == "reuse":
            log.warning("refresh token reused: session revoked",
                        extra={"session_id": session_id, "user_id": session.user_id,
                               "client": client})
            self.revoke(session.user_id, [session_id], "refresh_token_reused", None)
            raise Unauthenticated("this refresh token was already used; the session has been "
                                  "revoked, log in again")
        if decision == "expired":
            raise Unauthenticated("the session has expired; log in again")
        if decision == "revoked":  # the reason too: "your roles changed" is not a fault
            raise session_revoked(session.revoked_reason)
        raise Unauthenticated("invalid refresh token")

    def logout(self, actor: dict[str, Any] | None, refresh_token: str | None) -> None:
        """Revoke the session of the access token and/or of the refresh token sent."""
        by_user: dict[str, list[str]] = {}
        if actor is not None and actor["kind"] == "user" and actor.get("sid"):
            by_user.setdefault(actor["id"], []).append(actor["sid"])
        if refresh_token:
            parsed = tokens.parse_refresh_token(str(refresh_token))
            session = self.accounts.session(parsed[0]) if parsed else None
            if parsed and tokens.owns_token(session, parsed[1]):
                by_user.setdefault(session.user_id, []).append(session.id)
            elif not by_user:
                raise Unauthenticated("invalid refresh token")
        if not by_user:
            raise Unauthenticated("send the access token or the refresh token to log out")
        for user_id, session_ids in by_user.items():
            self.revoke(user_id, sorted(set(session_ids)), "logout",
                        actor["id"] if actor else user_id)

    def _second_factor_missing(self, session: tokens.Session) -> bool:
        """A session opened before its user became staff never proved a second factor: it
        must not go on with staff powers (roles are read afresh at each refresh)."""
        roles = self.users.get(session.user_id).get("roles")
        return holds_any(roles, STAFF_ROLES) \
            and self.accounts.second_factor_at(session.id) is None

    def _open_session(self, user_id: str, client: str | None, now, email_key: str,
                      second_factor: bool = False) -> dict[str, Any]:
        session_id, refresh_token = self.accounts.start_session(user_id, client, now)
        if second_factor:
            self.accounts.mark_second_factor(session_id, now)
        self.audit(email_key, client, "success", user_id, now, {
            "session_id": session_id, "second_factor": second_factor})
        return self._token_pair(user_id, session_id, refresh_token)

    def _token_pair(self, user_id: str, session_id: str, refresh_token: str) -> dict[str, Any]:
        user = self.users.get(user_id)
        toolkit = self.kit
        return {
            "access_token": toolkit.tokens.issue(user_id, user.get("roles") or ["member"],
                                                 session_id, utc_now(), user.get("language")),
            "token_type": "Bearer",
            "expires_in": toolkit.access_seconds,
            "refresh_token": refresh_token,
            "refresh_expires_in": toolkit.refresh_seconds,
            "user_id": user_id,
        }

    def audit(self, email_key, client, outcome, user_id, now, detail=None) -> None:
        """One login attempt into the login audit (and the metric; a log line unless it
        succeeded)."""
        LOGINS.labels(outcome).inc()
        attempt = domain.LoginAttempt(email_key, client, outcome, user_id, detail or {})
        self.accounts.audit(attempt, now, self.correlation)
        if outcome != "success":
            log.warning("login %s", outcome, extra={"user_id": user_id, "client": client})

    # -- revocation and account events

    def revoke(self, user_id: str, session_ids: list[str], reason: str,
               actor_id: str | None, extra: list[NewEvent] | None = None) -> None:
        """Revoke these sessions and record it (`identity.sessions_revoked`, after `extra`)."""
        revoked = self.accounts.revoke(session_ids, reason, utc_now())
        events = list(extra or [])
        if revoked:
            events.append(NewEvent(domain.SESSIONS_REVOKED, {
                "user_id": user_id, "session_ids": revoked, "reason": reason}))
        if events:
            self.account_event(user_id, actor_id, events)

    def revoke_all(self, user_id: str, reason: str, actor_id: str | None,
                   extra: list[NewEvent] | None = None) -> None:
        """Revoke every live session of the member."""
        self.revoke(user_id, self.accounts.live_sessions(user_id, utc_now()), reason, actor_id,
                    extra)

    def account_event(self, user_id: str, actor_id: str | None, events) -> None:
        commit = self.store.execute(account_stream(user_id), lambda history: events,
                                    self.context(actor_id))
        self.views.apply_commit(commit)

    # -- the second factor (mfa.py)

    def challenge(self, token: str, now) -> dict[str, Any]:
        challenge = self.accounts.challenge(str(token or ""), now)
        if challenge is None:
            raise Unauthenticated("this challenge is unknown or has expired; log in again")
        return challenge

    def check_code(self, user_id: str, code: str, now, client: str | None,
                   recovery: bool = True) -> bool:
        """A TOTP code (each time step once) or, when `recovery`, a recovery code (each once);
        wrong codes are throttled per account (429)."""
        accounts = self.accounts
        keys = {"account": f"account:{user_id}"}
        accounts.codes.check(keys, now, "too_many_codes")
        record = accounts.mfa(user_id) or {}
        ok = False
        if record.get("confirmed"):
            if mfa.looks_like_totp(code):
                step = mfa.matching_step(self.kit.secret_box.open(record["secret"]), code, now,
                                         record.get("last_step"))
                ok = step is not None and accounts.use_step(user_id, step)
            elif recovery:
                digest = mfa.matching_recovery(code, record.get("recovery") or ())
                ok = digest is not None and accounts.use_recovery_code(user_id, digest)
                if ok:  # its owner is told: a code they did not use means a stolen one
                    self.account_event(user_id, user_id, domain.recovery_code_used(
                        user_id, len(record.get("recovery") or ()) - 1))
        if not ok:
            accounts.codes.record(keys, now)
            log.warning("wrong second-factor code", extra={"user_id": user_id,
                                                           "client": client})
        return ok

    def enrol(self, user_id: str) -> dict[str, Any]:
        """A new pending TOTP secret and recovery codes (shown once: only hashes are kept)."""
        user = self.users.get(user_id)
        secret, codes = mfa.new_secret(), mfa.new_recovery_codes()
        self.accounts.start_enrolment(user_id, self.kit.secret_box.seal(secret),
                                      [mfa.recovery_hash(code) for code in codes], utc_now())
        return {"secret": secret, "otpauth_uri": mfa.otpauth_uri(secret, user.get("email") or
                                                                 user_id),
                "recovery_codes": codes}

    def confirm_enrolment(self, user_id: str, code: str, now) -> bool:
        """The first code of a pending enrolment turns it on (event without material)."""
        accounts = self.accounts
        record = accounts.mfa(user_id) or {}
        if record.get("confirmed") is not False:
            return False
        step = mfa.matching_step(self.kit.secret_box.open(record["secret"]), code, now, None)
        if step is None or not accounts.confirm_enrolment(user_id, step, now):
            accounts.codes.record({"account": f"account:{user_id}"}, now)
            return False
        self.account_event(user_id, user_id, domain.mfa_enabled(user_id))
        return True

    def second_factor_status(self, user_id: str) -> dict[str, Any]:
        record = self.accounts.mfa(user_id) or {}
        enabled_at = record.get("confirmed_at")  # a datetime: ISO 8601 on the wire, not str()
        return {"enabled": bool(record.get("confirmed")),
                "required": holds_any(self.users.get(user_id).get("roles"), STAFF_ROLES),
                "enabled_at": enabled_at.isoformat() if enabled_at else None,
                "recovery_codes_left": len(record.get("recovery") or ())
                if record.get("confirmed") else 0}

    def confirm_mine(self, actor: dict[str, Any], code: str) -> None:
        """A member confirms their pending enrolment; the session that did it has proved a
        second factor."""
        now = utc_now()
        self.accounts.codes.check({"account": f"account:{actor['id']}"}, now, "too_many_codes")
        if not self.confirm_enrolment(actor["id"], str(code or ""), now):
            raise InvalidInput("wrong code, or no enrolment waiting for one",
                               {"fields": {"code": ["wrong code"]}})
        if actor.get("sid"):
            self.accounts.mark_second_factor(actor["sid"], now)

    def disable_mine(self, user_id: str, password: str, code: str, client: str | None) -> None:
        """With the password and a current code. Staff cannot (their second factor is
        mandatory: a lost device is an admin reset, see the runbook)."""
        toolkit, now = self.kit, utc_now()
        user = self.users.get(user_id)
        if holds_any(user.get("roles"), STAFF_ROLES):
            raise Forbidden("staff accounts must keep their second factor; an admin can reset "
                            "it if the device is lost")
        keys = {"pair": self.accounts.pair_key(user.get("email") or user_id, client)}
        self.accounts.logins.check(keys, now, "too_many_attempts")
        if not toolkit.passwords.verify(self.accounts.password_hash(user_id),
                                        str(password or "")):
            self.accounts.logins.record(keys, now)
            raise InvalidInput("the password is not correct",
                               {"fields": {"password": ["incorrect"]}})
        if not self.check_code(user_id, str(code or ""), now, client, recovery=False):
            raise InvalidInput("wrong code", {"fields": {"code": ["wrong or already used code"]}})
        self.accounts.drop_mfa(user_id)
        self.account_event(user_id, user_id, domain.mfa_disabled(user_id, "self"))

    def reset_second_factor(self, admin_id: str, user_id: str) -> None:
        """An admin resets a member's second factor (lost device): deleted, the member's
        sessions revoked; audited (`identity.mfa_disabled`, reason admin_reset) and logged."""
        self.accounts.drop_mfa(user_id)
        self.revoke_all(user_id, "second_factor_reset", admin_id,
                        extra=domain.mfa_disabled(user_id, "admin_reset"))
        log.warning("second factor reset by an admin", extra={
            "user_id": user_id, "admin_id": admin_id})

    def step_up(self, actor: dict[str, Any], code: str | None) -> None:
        """Privileged changes by a user need a second factor proved in this session within
        `step_up_seconds` (at login, or by the `X-Agora-TOTP` code sent with this request)."""
        if actor.get("kind") == "service":
            return
        accounts, now = self.accounts, utc_now()
        proved = accounts.second_factor_at(actor.get("sid"))
        if proved is not None and (now - proved).total_seconds() <= self.kit.step_up_seconds:
            return
        if not code:
            raise Forbidden("this change needs a fresh code from your authenticator app: send "
                            "it in the X-Agora-TOTP header",
                            {"fields": {STEP_UP_HEADER: ["a current code is required"]}})
        if not self.check_code(actor["id"], code, now, None, recovery=False):
            raise Forbidden("the X-Agora-TOTP code is wrong or already used",
                            {"fields": {STEP_UP_HEADER: ["wrong or already used code"]}})
        if actor.get("sid"):
            accounts.mark_second_factor(actor["sid"], now)

    def password_matches(self, user: dict[str, Any], password: str, client: str | None,
                         action: str) -> bool:
        """Re-authentication before a sensitive change: throttled per address and client like
        a login, a wrong password counted and audited as one."""
        user_id, now = user["_id"], utc_now()
        email_key = user.get("email")
        keys = {"pair": self.accounts.pair_key(email_key or user_id, client)}
        wait = self.accounts.logins.wait(keys, now)
        if wait is not None:
            raise TooManyRequests("too many failed attempts; retry later",
                                  {"retry_after": round(wait)})
        if not self.kit.passwords.verify(self.accounts.password_hash(user_id), password):
            self.accounts.logins.record(keys, now)
            self.audit(email_key or "", client, "bad_credentials", user_id, now,
                       {"action": action})
            return False
        return True
