"""The identity service (`agora run identity`): accounts, sessions, roles, badges, advisors.

Thin entrypoints: parse arguments, call `domain`, append, apply the commit inline, answer. The
user aggregate is event-sourced (stream `user-<id>`); secrets and counters live in the account
collections (accounts.py explains why).
"""
from __future__ import annotations

import logging
from typing import Any

from eventlet import tpool
from marshmallow import EXCLUDE, Schema, ValidationError
from nameko.rpc import rpc
from prometheus_client import Counter

from services.shared import commands, ids, pagination
from services.shared.actors import STAFF_ROLES, holds_any
from services.shared.consumer import reliable_handler
from services.shared.decisions import Decisions
from services.shared.envelope import CommandContext, Envelope, NewEvent, utc_now
from services.shared.errors import (
    EXPECTED_ERRORS,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthenticated,
    Unprocessable,
    session_revoked,
)
from services.shared.members import summary
from services.shared.observability import HealthEndpoints
from services.shared.outbox import EventStoreProvider
from services.shared.projections import ReadModelsProvider

from . import domain, mfa
from .accounts import EmailTaken
from .dependencies import IdentityToolkit
from .domain import account_stream, user_stream
from .projections import (
    PROJECTION,
    advisor_view,
    login_view,
    private_profile,
    public_profile,
    session_view,
)
from .schemas import (
    ActorSchema,
    AdvisorArgs,
    EmailLookupArgs,
    EraseArgs,
    NameLookupArgs,
    ProfileArgs,
    RegisterArgs,
    RolesArgs,
    UserIdsArgs,
)

log = logging.getLogger(__name__)

STEP_UP_HEADER = "X-Agora-TOTP"  # where the gateway takes a step-up code from
LOGINS = Counter("agora_identity_logins", "Login attempts by outcome", ["outcome"])
REFRESHES = Counter("agora_identity_refreshes", "Refresh attempts by outcome", ["outcome"])


def _load(schema: type[Schema], data: Any) -> dict[str, Any]:
    try:
        return schema().load(data if isinstance(data, dict) else {})
    except ValidationError as error:
        raise InvalidInput("invalid arguments", {"fields": error.normalized_messages()}) from None


def _actor(actor: Any) -> dict[str, Any] | None:
    if actor is None:
        return None
    try:
        return ActorSchema(unknown=EXCLUDE).load(actor)
    except ValidationError:
        raise Unauthenticated("invalid actor") from None


def _user_actor(actor: Any) -> dict[str, Any]:
    actor = _actor(actor)
    if actor is None or actor["kind"] != "user":
        raise Unauthenticated("a signed-in user is required")
    return actor


class IdentityService(Decisions, HealthEndpoints):
    name = "identity"
    store = EventStoreProvider()
    views = ReadModelsProvider(PROJECTION)
    kit = IdentityToolkit()

    # -- helpers -------------------------------------------------------------------------------

    def _user(self, user_id: str) -> dict[str, Any]:
        user = self.views["users"].find_one({"_id": user_id}) if ids.USER.matches(user_id) \
            else None
        if user is None or "display_name" not in user:
            raise NotFound("no such user", {"id": user_id})
        return user

    def _state(self, user_id: str) -> domain.UserState:
        ids.USER.require(user_id)  # `user-<id>` must be a user's stream
        return domain.require_user(domain.fold(self.store.load(user_stream(user_id))), user_id)

    def _decide_user(self, user_id: str, actor_id: str | None, decide) -> None:
        """Decide on an existing user's stream (`decide` gets the folded state)."""
        def decision(history):
            return decide(domain.require_user(domain.fold(history), user_id))

        ids.USER.require(user_id)
        self._decide(user_stream(user_id), decision, actor_id)

    def _private(self, user_id: str) -> dict[str, Any]:
        user = self._user(user_id)
        advisor = None
        if user.get("advisor"):
            advisor = self.views["users"].find_one({"_id": user["advisor"]["advisor_id"]})
        return private_profile(user, advisor)

    def _token_pair(self, user_id: str, session_id: str, refresh_token: str) -> dict[str, Any]:
        user = self._user(user_id)
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

    def _revoke_sessions(self, user_id: str, session_ids: list[str], reason: str,
                         actor_id: str | None, extra: list[NewEvent] | None = None) -> None:
        revoked = self.kit.accounts.revoke(session_ids, reason, utc_now())
        events = list(extra or [])
        if revoked:
            events.append(NewEvent(domain.SESSIONS_REVOKED, {
                "user_id": user_id, "session_ids": revoked, "reason": reason}))
        if events:
            commit = self.store.execute(account_stream(user_id), lambda history: events,
                                        self._context(actor_id))
            self.views.apply_commit(commit)

    # -- operations ----------------------------------------------------------------------------

    @rpc
    def ping(self) -> dict[str, Any]:
        return {"pong": True, "service": self.name}

    # -- registration and sessions

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def register(self, data: dict[str, Any], client: str | None = None) -> dict[str, Any]:
        args = _load(RegisterArgs, data)
        registrations, now = self.kit.accounts.registrations, utc_now()
        keys = domain.registration_keys(client)
        registrations.check(keys, now, "too_many_registrations")
        registrations.record(keys, now)  # every attempt counts, taken address or not
        try:
            self.create_user(args, actor_id=None)
        except EmailTaken:
            self._tell_owner(domain.normalize_email(args["email"]), args["password"], now)
        return domain.registration_received(domain.normalize_email(args["email"]))

    def _tell_owner(self, email_key: str, password: str, now) -> None:
        """A registration for a taken address: the same work as a new account (a password
        hash, an append) so both answer in the same time class, and the owner is told by
        e-mail — at most once an hour (a script registering the address in a loop must not
        flood its owner)."""
        accounts = self.kit.accounts
        self.kit.passwords.hash(password)  # the cost of a new account's hash, result unused
        owner = accounts.user_id_for(email_key)
        if owner is None:  # an unconfirmed claim: another registration is in flight
            return
        notice = {"notice": f"notice:{owner}"}
        if accounts.registrations.wait(notice, now) is not None:
            return
        accounts.registrations.record(notice, now)
        commit = self.store.execute(account_stream(owner), lambda history: (
            domain.registration_attempted(owner, now)), CommandContext(
                actor="anonymous", correlation_id=self.correlation))
        self.views.apply_commit(commit)

    def create_user(self, args: dict[str, Any], actor_id: str | None,
                    roles: tuple[str, ...] = ()) -> str:
        return register_user(self.store, self.views, self.kit, args, self._context, actor_id,
                             roles)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def login(self, email: str, password: str, client: str | None = None) -> dict[str, Any]:
        toolkit, now = self.kit, utc_now()
        accounts = toolkit.accounts
        email = str(email or "")[:254]
        try:
            email_key = domain.normalize_email(email)
        except InvalidInput:
            email_key = email.strip().lower()
        user_id = accounts.user_id_for(email_key)
        keys = domain.throttle_keys(email_key, client, accounts.known_client(user_id, client))
        wait = accounts.logins.wait(keys, now)
        if wait is not None:
            self._audit(email_key, client, "throttled", None, now, {"retry_after": wait})
            raise TooManyRequests("too many failed logins; retry later",
                                  {"retry_after": round(wait)})
        password_hash = accounts.password_hash(user_id)
        if not toolkit.passwords.verify(password_hash, str(password or "")) or user_id is None:
            accounts.logins.record(keys, now)
            self._audit(email_key, client, "bad_credentials", user_id, now)
            raise Unauthenticated("wrong e-mail or password")
        accounts.logins.clear(keys["pair"])  # the account-wide count keeps what an attack did
        if toolkit.passwords.needs_rehash(password_hash):
            accounts.set_password_hash(user_id, toolkit.passwords.hash(password), now)
        user = self._user(user_id)
        step = mfa.second_factor(user.get("roles") or (), accounts.mfa_enrolled(user_id))
        if step is not None:
            challenge = accounts.new_challenge(user_id, step, client, now,
                                               toolkit.challenge_seconds)
            self._audit(email_key, client, "second_factor_required", user_id, now,
                        {"second_factor": step})
            flag = "mfa_required" if step == mfa.LOGIN else "mfa_setup_required"
            return {flag: True, "challenge": challenge, "expires_in": toolkit.challenge_seconds}
        return self._open_session(user_id, client, now, email_key)

    def _second_factor_missing(self, session: domain.Session) -> bool:
        """A session opened before its user became staff never proved a second factor: it
        must not go on with staff powers (roles are read afresh at each refresh)."""
        roles = self._user(session.user_id).get("roles")
        return holds_any(roles, STAFF_ROLES) \
            and self.kit.accounts.second_factor_at(session.id) is None

    def _open_session(self, user_id: str, client: str | None, now, email_key: str,
                      second_factor: bool = False) -> dict[str, Any]:
        session_id, refresh_token = self.kit.accounts.start_session(user_id, client, now)
        if second_factor:
            self.kit.accounts.mark_second_factor(session_id, now)
        self._audit(email_key, client, "success", user_id, now, {
            "session_id": session_id, "second_factor": second_factor})
        return self._token_pair(user_id, session_id, refresh_token)

    # -- the second factor (mfa.py)

    def _check_code(self, user_id: str, code: str, now, client: str | None,
                    recovery: bool = True) -> bool:
        """A TOTP code (each time step once) or, when `recovery`, a recovery code (each once);
        wrong codes are throttled per account (429)."""
        accounts = self.kit.accounts
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
        if not ok:
            accounts.codes.record(keys, now)
            log.warning("wrong second-factor code", extra={"user_id": user_id,
                                                           "client": client})
        return ok

    def _enrol(self, user_id: str) -> dict[str, Any]:
        """A new pending TOTP secret and recovery codes (shown once: only hashes are kept)."""
        user = self._user(user_id)
        secret, codes = mfa.new_secret(), mfa.new_recovery_codes()
        self.kit.accounts.start_enrolment(user_id, self.kit.secret_box.seal(secret),
                                          [mfa.recovery_hash(code) for code in codes],
                                          utc_now())
        return {"secret": secret, "otpauth_uri": mfa.otpauth_uri(secret, user.get("email") or
                                                                 user_id),
                "recovery_codes": codes}

    def _confirm(self, user_id: str, code: str, now) -> bool:
        """The first code of a pending enrolment turns it on (event without material)."""
        accounts = self.kit.accounts
        record = accounts.mfa(user_id) or {}
        if record.get("confirmed") is not False:
            return False
        step = mfa.matching_step(self.kit.secret_box.open(record["secret"]), code, now, None)
        if step is None or not accounts.confirm_enrolment(user_id, step, now):
            accounts.codes.record({"account": f"account:{user_id}"}, now)
            return False
        self._account_event(user_id, user_id, domain.mfa_enabled(user_id))
        return True

    def _account_event(self, user_id: str, actor_id: str | None, events) -> None:
        commit = self.store.execute(account_stream(user_id), lambda history: events,
                                    self._context(actor_id))
        self.views.apply_commit(commit)

    def _challenge(self, token: str, now) -> dict[str, Any]:
        challenge = self.kit.accounts.challenge(str(token or ""), now)
        if challenge is None:
            raise Unauthenticated("this challenge is unknown or has expired; log in again")
        return challenge

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def login_second_factor(self, token: str, code: str, client: str | None = None
                            ) -> dict[str, Any]:
        """The second step of a login: the challenge and a TOTP code (or a recovery code) ->
        the token pair. For a staff account that just enrolled: its first code."""
        accounts, now = self.kit.accounts, utc_now()
        challenge = self._challenge(token, now)
        user_id = challenge["user_id"]
        accounts.codes.check({"account": f"account:{user_id}"}, now, "too_many_codes")
        if challenge["purpose"] == mfa.SETUP:
            ok = self._confirm(user_id, str(code or ""), now)
        else:
            ok = self._check_code(user_id, str(code or ""), now, client)
        if not ok:
            accounts.challenge_failed(challenge)
            raise Unauthenticated("wrong code", {"fields": {"code": ["wrong or already used "
                                                                     "code"]}})
        if not accounts.consume_challenge(challenge):
            raise Unauthenticated("this challenge was already used; log in again")
        email = self._user(user_id).get("email", "")
        return self._open_session(user_id, client, now, email, second_factor=True)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def enrol_with_challenge(self, token: str) -> dict[str, Any]:
        """A staff account without a second factor, after its password: a new secret."""
        challenge = self._challenge(token, utc_now())
        if challenge["purpose"] != mfa.SETUP:
            raise Conflict("this account already has a second factor: answer with a code")
        return self._enrol(challenge["user_id"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_my_second_factor(self, actor: dict[str, Any]) -> dict[str, Any]:
        user_id = _user_actor(actor)["id"]
        record = self.kit.accounts.mfa(user_id) or {}
        return {"enabled": bool(record.get("confirmed")),
                "required": holds_any(self._user(user_id).get("roles"), STAFF_ROLES),
                "enabled_at": record.get("confirmed_at"),
                "recovery_codes_left": len(record.get("recovery") or ())
                if record.get("confirmed") else 0}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def start_my_second_factor(self, actor: dict[str, Any]) -> dict[str, Any]:
        """Members (and staff replacing nothing): a pending secret, confirmed by a code."""
        return self._enrol(_user_actor(actor)["id"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def confirm_my_second_factor(self, actor: dict[str, Any], code: str) -> dict[str, Any]:
        actor = _user_actor(actor)
        now = utc_now()
        self.kit.accounts.codes.check({"account": f"account:{actor['id']}"}, now,
                                      "too_many_codes")
        if not self._confirm(actor["id"], str(code or ""), now):
            raise InvalidInput("wrong code, or no enrolment waiting for one",
                               {"fields": {"code": ["wrong code"]}})
        if actor.get("sid"):
            self.kit.accounts.mark_second_factor(actor["sid"], now)
        return self.get_my_second_factor(actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def disable_my_second_factor(self, actor: dict[str, Any], password: str, code: str,
                                 client: str | None = None) -> None:
        """With the password and a current code. Staff cannot (their second factor is
        mandatory: a lost device is an admin reset, see the runbook)."""
        actor = _user_actor(actor)
        user_id, toolkit, now = actor["id"], self.kit, utc_now()
        user = self._user(user_id)
        if holds_any(user.get("roles"), STAFF_ROLES):
            raise Forbidden("staff accounts must keep their second factor; an admin can reset "
                            "it if the device is lost")
        keys = {"pair": domain.pair_key(user.get("email") or user_id, client)}
        toolkit.accounts.logins.check(keys, now, "too_many_attempts")
        if not toolkit.passwords.verify(toolkit.accounts.password_hash(user_id),
                                        str(password or "")):
            toolkit.accounts.logins.record(keys, now)
            raise InvalidInput("the password is not correct",
                               {"fields": {"password": ["incorrect"]}})
        if not self._check_code(user_id, str(code or ""), now, client, recovery=False):
            raise InvalidInput("wrong code", {"fields": {"code": ["wrong or already used code"]}})
        toolkit.accounts.drop_mfa(user_id)
        self._account_event(user_id, user_id, domain.mfa_disabled(user_id, "self"))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def reset_second_factor(self, actor: dict[str, Any], user_id: str, code: str | None = None
                            ) -> dict[str, Any]:
        """An admin resets a member's second factor (lost device): it is deleted, the
        member's sessions are revoked, the next login enrols again (staff) or logs in with the
        password (members). Step-up for the admin; audited (`identity.mfa_disabled`, actor =
        the admin, reason admin_reset) and logged."""
        actor = _user_actor(actor)
        if not domain.is_admin(actor):
            raise Forbidden("only admins reset a second factor")
        self._step_up(actor, code)
        self._state(user_id)
        if actor["id"] == user_id:
            raise Unprocessable("ask another admin to reset your own second factor")
        accounts = self.kit.accounts
        accounts.drop_mfa(user_id)
        self._revoke_sessions(user_id, accounts.live_sessions(user_id, utc_now()),
                              "second_factor_reset", actor["id"],
                              extra=domain.mfa_disabled(user_id, "admin_reset"))
        log.warning("second factor reset by an admin", extra={
            "user_id": user_id, "admin_id": actor["id"]})
        return {"user_id": user_id, "second_factor": "reset"}

    def _step_up(self, actor: dict[str, Any], code: str | None) -> None:
        """Privileged changes by a user need a second factor proved in this session within
        `step_up_seconds` (at login, or by the `X-Agora-TOTP` code sent with this request)."""
        if actor.get("kind") == "service":
            return
        accounts, now = self.kit.accounts, utc_now()
        proved = accounts.second_factor_at(actor.get("sid"))
        if proved is not None and (now - proved).total_seconds() <= self.kit.step_up_seconds:
            return
        if not code:
            raise Forbidden("this change needs a fresh code from your authenticator app: send "
                            "it in the X-Agora-TOTP header",
                            {"fields": {STEP_UP_HEADER: ["a current code is required"]}})
        if not self._check_code(actor["id"], code, now, None, recovery=False):
            raise Forbidden("the X-Agora-TOTP code is wrong or already used",
                            {"fields": {STEP_UP_HEADER: ["wrong or already used code"]}})
        if actor.get("sid"):
            accounts.mark_second_factor(actor["sid"], now)

    def _audit(self, email_key, client, outcome, user_id, now, detail=None) -> None:
        LOGINS.labels(outcome).inc()
        attempt = domain.LoginAttempt(email_key, client, outcome, user_id, detail or {})
        self.kit.accounts.audit(attempt, now, self.correlation)
        if outcome != "success":
            log.warning("login %s", outcome, extra={"user_id": user_id, "client": client})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def refresh(self, refresh_token: str, client: str | None = None) -> dict[str, Any]:
        accounts, now = self.kit.accounts, utc_now()
        parsed = domain.parse_refresh_token(str(refresh_token or ""))
        if parsed is None:
            REFRESHES.labels("invalid").inc()
            raise Unauthenticated("invalid refresh token")
        session_id, digest = parsed
        for _ in range(2):
            session = accounts.session(session_id)
            decision = domain.refresh_decision(session, digest, now)
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
            self._revoke_sessions(session.user_id, [session_id], "refresh_token_reused", None)
            raise Unauthenticated("this refresh token was already used; the session has been "
                                  "revoked, log in again")
        if decision == "expired":
            raise Unauthenticated("the session has expired; log in again")
        if decision == "revoked":  # the reason too: "your roles changed" is not a fault
            raise session_revoked(session.revoked_reason)
        raise Unauthenticated("invalid refresh token")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def logout(self, actor: dict[str, Any] | None, refresh_token: str | None = None) -> None:
        actor = _actor(actor)
        accounts = self.kit.accounts
        by_user: dict[str, list[str]] = {}
        if actor is not None and actor["kind"] == "user" and actor.get("sid"):
            by_user.setdefault(actor["id"], []).append(actor["sid"])
        if refresh_token:
            parsed = domain.parse_refresh_token(str(refresh_token))
            session = accounts.session(parsed[0]) if parsed else None
            if parsed and domain.owns_token(session, parsed[1]):
                by_user.setdefault(session.user_id, []).append(session.id)
            elif not by_user:
                raise Unauthenticated("invalid refresh token")
        if not by_user:
            raise Unauthenticated("send the access token or the refresh token to log out")
        for user_id, session_ids in by_user.items():
            self._revoke_sessions(user_id, sorted(set(session_ids)), "logout",
                                  actor["id"] if actor else user_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def change_password(self, actor: dict[str, Any], current_password: str, new_password: str,
                        client: str | None = None) -> None:
        actor = _user_actor(actor)
        toolkit, now = self.kit, utc_now()
        user = self._user(actor["id"])
        keys = {"pair": domain.pair_key(user.get("email", actor["id"]), client)}
        wait = toolkit.accounts.logins.wait(keys, now)
        if wait is not None:
            raise TooManyRequests("too many failed attempts; retry later",
                                  {"retry_after": round(wait)})
        if not toolkit.passwords.verify(toolkit.accounts.password_hash(actor["id"]),
                                        str(current_password or "")):
            toolkit.accounts.logins.record(keys, now)
            self._audit(user.get("email", ""), client, "bad_credentials", actor["id"], now,
                        {"action": "change_password"})
            raise InvalidInput("the current password is not correct",
                               {"fields": {"current_password": ["incorrect"]}})
        if new_password == current_password:
            raise InvalidInput("choose a new password",
                               {"fields": {"new_password": ["same as the current one"]}})
        tpool.execute(domain.check_password, new_password, user.get("email"),
                      user.get("display_name"), field_name="new_password")
        toolkit.accounts.set_password_hash(actor["id"], toolkit.passwords.hash(new_password), now)
        self._revoke_sessions(actor["id"], toolkit.accounts.live_sessions(actor["id"], now),
                              "password_changed", actor["id"],
                              extra=[NewEvent(domain.PASSWORD_CHANGED, {"user_id": actor["id"]})])

    # -- GDPR: export and erasure

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_member(self, actor: dict[str, Any]) -> dict[str, Any]:
        """Identity's part of the member's export (the gateway gathers every service's):
        everything identity holds about them (no password hash, no token material)."""
        user_id = _user_actor(actor)["id"]
        accounts = self.kit.accounts
        return {
            "profile": self._private(user_id),
            "sessions": [session_view(doc) for doc in accounts.sessions_of(user_id)],
            "logins": [login_view(doc) for doc in accounts.audit_of(user_id)],
        }

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def erase_me(self, actor: dict[str, Any], data: dict[str, Any],
                 client: str | None = None) -> None:
        """Erase my account: confirm with the password; sessions revoked (the gateway refuses
        the access tokens at once), the public tombstone `identity.user_erased` appended (the
        read model blanks e-mail, name and bio), the member's key shredded (every sealed copy
        of their personal fields, in any log or queue, is unreadable from now on), the password
        hash deleted, the e-mail claim released (the address may register again), the login
        audit anonymised."""
        actor = _user_actor(actor)
        args = _load(EraseArgs, data)
        user_id, toolkit, now = actor["id"], self.kit, utc_now()
        user = self._user(user_id)
        email_key = user.get("email")
        keys = {"pair": domain.pair_key(email_key or user_id, client)}
        wait = toolkit.accounts.logins.wait(keys, now)
        if wait is not None:
            raise TooManyRequests("too many failed attempts; retry later",
                                  {"retry_after": round(wait)})
        if not toolkit.passwords.verify(toolkit.accounts.password_hash(user_id),
                                        args["password"]):
            toolkit.accounts.logins.record(keys, now)
            self._audit(email_key or "", client, "bad_credentials", user_id, now,
                        {"action": "erase_account"})
            raise InvalidInput("the password is not correct",
                               {"fields": {"password": ["incorrect"]}})
        self._revoke_sessions(user_id, toolkit.accounts.live_sessions(user_id, now),
                              "account_erased", user_id)
        self._decide_user(user_id, user_id, lambda state: domain.erase(state, now))
        self.store.keys.shred(user_id)  # again from the bus (`project`) if we die before this
        toolkit.accounts.delete_credentials(user_id)
        toolkit.accounts.drop_mfa(user_id)
        toolkit.accounts.drop_email(user_id)
        toolkit.accounts.forget(user_id, email_key)
        log.info("account erased", extra={"user_id": user_id})

    # -- profiles

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_me(self, actor: dict[str, Any]) -> dict[str, Any]:
        return self._private(_user_actor(actor)["id"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def update_me(self, actor: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        actor = _user_actor(actor)
        args = _load(ProfileArgs, changes)
        self._decide_user(actor["id"], actor["id"],
                          lambda state: domain.update_profile(state, args))
        return self._private(actor["id"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_user(self, user_id: str) -> dict[str, Any]:
        return public_profile(self._user(user_id))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def find_users_by_email(self, actor: dict[str, Any], email: str,
                            client: str | None = None) -> dict[str, Any]:
        """Admins (to assign advisors from the bank's CRM) and community managers look a
        member up by e-mail: the member's private profile, or nothing; every lookup is audited
        as a privileged read."""
        actor = _user_actor(actor)
        if not domain.looks_members_up(actor):
            raise Forbidden("only admins and community managers look members up by e-mail")
        email_key = domain.normalize_email(_load(EmailLookupArgs, {"email": email})["email"])
        user_id = self.kit.accounts.user_id_for(email_key)
        user = self.views["users"].find_one({"_id": user_id}) if user_id else None
        found = user is not None and "display_name" in user and not user.get("erased")
        self.kit.accounts.audit_privileged_read(actor, "user_by_email",
                                                user_id if found else None, utc_now(),
                                                self.correlation, client)
        log.info("privileged read", extra={"actor_id": actor["id"], "action": "user_by_email",
                                           "found_user_id": user_id if found else None})
        return {"items": [self._private(user_id)] if found else []}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def find_users_by_name(self, actor: dict[str, Any], query: dict[str, Any]) -> dict[str, Any]:
        """Admins and community managers look members up by the start of their display name
        (accents and case ignored): public summaries in name order, in pages."""
        actor = _user_actor(actor)
        if not domain.looks_members_up(actor):
            raise Forbidden("only admins and community managers look members up by name")
        query = _load(NameLookupArgs, query)
        prefix = domain.name_key(query["name"])
        if not prefix:
            raise InvalidInput("give a name", {"fields": {"name": ["a name"]}})
        wanted = {"name_key": {"$gte": prefix, "$lt": prefix + "\uffff"}}
        after = pagination.after_cursor("name_key", 1, query.get("cursor"))
        documents = list(self.views["users"].find({"$and": [wanted, after]} if after else wanted)
                         .sort([("name_key", 1), ("_id", 1)]).limit(query["limit"] + 1))
        found, cursor = pagination.page(documents, "name_key", query["limit"])
        return {"items": [summary(doc["_id"], doc) for doc in found], "next_cursor": cursor}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_private_profile(self, actor: dict[str, Any], user_id: str,
                            client: str | None = None) -> dict[str, Any]:
        """A member's private profile (e-mail, customer, badge, advisor) for the admins and
        community managers who look after them; audited as a privileged read."""
        actor = _user_actor(actor)
        if not domain.looks_members_up(actor):
            raise Forbidden("only admins and community managers read private profiles")
        user = self._user(user_id)  # 404 for an unknown or erased member
        self.kit.accounts.audit_privileged_read(actor, "user_by_id", user["_id"], utc_now(),
                                                self.correlation, client)
        log.info("privileged read", extra={"actor_id": actor["id"], "action": "user_by_id",
                                           "found_user_id": user["_id"]})
        return self._private(user_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_users(self, user_ids: list[str]) -> dict[str, Any]:
        """Public summaries of several members at once (unknown ids are left out), in the
        order asked."""
        ids = _load(UserIdsArgs, {"ids": user_ids})["ids"]
        found = {doc["_id"]: doc for doc in self.views["users"].find(
            {"_id": {"$in": ids}, "display_name": {"$exists": True}})}
        return {"items": [summary(user_id, found[user_id]) for user_id in dict.fromkeys(ids)
                          if user_id in found]}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_my_advisor(self, actor: dict[str, Any]) -> dict[str, Any]:
        user = self._user(_user_actor(actor)["id"])
        assignment = user.get("advisor")
        if not assignment:
            raise NotFound("no advisor is assigned to you yet")
        return advisor_view(assignment, self._user(assignment["advisor_id"]))

    # -- administration

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_roles(self, actor: dict[str, Any], user_id: str, roles: list[str],
                  code: str | None = None) -> dict[str, Any]:
        actor = _user_actor(actor)
        args = _load(RolesArgs, {"roles": roles})
        if domain.is_admin(actor):
            self._step_up(actor, code)
        before = set(self._state(user_id).roles)
        self._decide_user(user_id, actor["id"], lambda state: domain.set_roles(state, actor,
                                                                          args["roles"]))
        if before - set(args["roles"]):  # a role taken away applies now, not at token expiry
            self._revoke_sessions(user_id, self.kit.accounts.live_sessions(user_id, utc_now()),
                                  "roles_changed", actor["id"])
        return public_profile(self._user(user_id))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_verification(self, actor: dict[str, Any], user_id: str, verified: bool
                         ) -> dict[str, Any]:
        actor = _actor(actor)
        if actor is None:
            raise Unauthenticated("a credential is required")
        self._decide_user(user_id, actor["id"],
                     lambda state: domain.set_verification(state, actor, bool(verified)))
        return public_profile(self._user(user_id))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def assign_advisor(self, actor: dict[str, Any], user_id: str, advisor_id: str,
                       branch: str, code: str | None = None) -> dict[str, Any]:
        actor = _actor(actor)
        if actor is None:
            raise Unauthenticated("a credential is required")
        if not (domain.is_admin(actor) or domain.is_service(actor)):
            raise Forbidden("only admins and bank systems assign advisors")
        self._step_up(actor, code)
        args = _load(AdvisorArgs, {"advisor_id": advisor_id, "branch": branch})
        advisor = domain.fold(self.store.load(user_stream(args["advisor_id"])))
        self._decide_user(user_id, actor["id"], lambda state: domain.assign_advisor(
            state, advisor, actor, args["branch"]))
        user = self._user(user_id)
        return {"user_id": user_id,
                **advisor_view(user["advisor"], self._user(args["advisor_id"]))}

    # -- own events, also from the bus (if this process died between commit and projection)

    @reliable_handler("identity", "identity.*")
    def project(self, event: Envelope) -> None:
        if event.type == domain.USER_ERASED:  # the tombstone is committed: the key must go
            self.store.keys.shred(event.payload["user_id"])
        self.views.apply(event)

    @reliable_handler("identity", "identity.*", private=True)
    def project_private(self, event: Envelope) -> None:
        self.views.apply(event)


def register_user(store, views, kit, args: dict[str, Any], context, actor_id: str | None,
                  roles: tuple[str, ...] = ()) -> str:
    """Register a user (the service's RPC and `agora create-admin` share this): claim the
    e-mail (unique), store the password hash, commit the private then the public events,
    confirm the claim. A crash before the public commit leaves the claim unconfirmed and the
    user stream absent, so a later registration takes the address over (accounts.py)."""
    email_key = domain.normalize_email(args["email"])
    # the estimator is pure CPU (a few ms, tens for long inputs): in an OS thread, so the
    # other green threads of the process keep running
    tpool.execute(domain.check_password, args["password"], email_key, args["display_name"])
    commands.check_deadline()  # a stale request must not even claim the e-mail
    user_id, now = commands.fresh_uuid("user").hex, utc_now()  # retried: the same id
    accounts = kit.accounts
    accounts.claim_email(email_key, user_id, now,
                         stream_exists=lambda uid: store.stream_version(user_stream(uid)) > 0)
    try:
        accounts.set_password_hash(user_id, kit.passwords.hash(args["password"]), now)
        public, private = domain.register(user_id, email_key, args["display_name"],
                                          args.get("customer", False), now, roles)
        context_ = context(actor_id or user_id)
        private_commit = store.append(account_stream(user_id), 0, private, context_)
        commit = store.append(user_stream(user_id), 0, public, context_)
    except BaseException:
        accounts.release_email(email_key, user_id)
        raise
    accounts.confirm_email(email_key, user_id)
    views.apply_commit(private_commit)
    views.apply_commit(commit)
    return user_id
