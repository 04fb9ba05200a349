"""The identity service (`agora run identity`): accounts, sessions, roles, badges, advisors.

Thin entrypoints: parse arguments, call one rule (`domain`), workflow (`sessions`: log in,
refresh, log out, second factor, step-up; `membership`: register, change password, erase;
`resets`: a forgotten password) or
read (`queries`), answer (`presenters`). The user aggregate is event-sourced (stream
`user-<id>`); secrets and counters live in the account collections (accounts.py explains why).
"""
from __future__ import annotations

import logging
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError
from nameko.rpc import rpc

from services.shared import ids
from services.shared.actors import require_moderator
from services.shared.consumer import reliable_handler
from services.shared.decisions import Decisions
from services.shared.envelope import Envelope, utc_now
from services.shared.errors import (
    EXPECTED_ERRORS,
    Conflict,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    Unauthenticated,
    Unprocessable,
)
from services.shared.event_store_provider import EventStoreProvider
from services.shared.observability import HealthEndpoints
from services.shared.periods import PeriodArgs
from services.shared.projections import ReadModelsProvider

from . import absence, domain, membership, mfa, resets, verification
from .dependencies import IdentityToolkit
from .domain import user_stream
from .presenters import (
    advisor_view,
    login_view,
    my_advisor_view,
    public_profile,
    session_view,
)
from .projections import PROJECTION
from .queries import Users
from .schemas import (
    AbsenceArgs,
    ActorSchema,
    AdvisorArgs,
    EmailLookupArgs,
    EmailVerificationArgs,
    EraseArgs,
    NameLookupArgs,
    PasswordCheckArgs,
    PasswordResetArgs,
    PasswordResetConfirmArgs,
    ProfileArgs,
    RegisterArgs,
    RolesArgs,
    UserIdsArgs,
)
from .sessions import Sessions

log = logging.getLogger(__name__)


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

    @property
    def users(self) -> Users:
        return Users(self.views)

    @property
    def sessions(self) -> Sessions:
        return Sessions(self.store, self.views, self.kit, self._context, self.correlation)

    def _state(self, user_id: str) -> domain.UserState:
        ids.USER.require(user_id)  # `user-<id>` must be a user's stream
        return domain.require_user(domain.fold(self.store.load(user_stream(user_id))), user_id)

    def _decide_user(self, user_id: str, actor_id: str | None, decide) -> None:
        """Decide on an existing user's stream (`decide` gets the folded state)."""
        def decision(history):
            return decide(domain.require_user(domain.fold(history), user_id))

        ids.USER.require(user_id)
        self._decide(user_stream(user_id), decision, actor_id)

    @rpc
    def ping(self) -> dict[str, Any]:
        return {"pong": True, "service": self.name}

    # -- registration and sessions (membership.py, sessions.py)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def register(self, data: dict[str, Any], client: str | None = None) -> dict[str, Any]:
        return membership.register(self.sessions, _load(RegisterArgs, data), client)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def check_password(self, password: str, email: str = "", display_name: str = "") -> None:
        """`register`'s password rule alone, nothing stored: the sign-up form asks it when the
        form's other fields were refused, so that a weak password is reported with them."""
        args = _load(PasswordCheckArgs, {"password": password, "email": email,
                                         "display_name": display_name})
        membership.check_password(args["password"], args["email"], args["display_name"])

    def create_user(self, args: dict[str, Any], actor_id: str | None,
                    roles: tuple[str, ...] = ()) -> str:
        return membership.register_user(self.store, self.views, self.kit, args, self._context,
                                        actor_id, roles)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def login(self, email: str, password: str, client: str | None = None) -> dict[str, Any]:
        return self.sessions.login(email, password, client)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def login_second_factor(self, token: str, code: str, client: str | None = None
                            ) -> dict[str, Any]:
        return self.sessions.login_second_factor(token, code, client)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def enrol_with_challenge(self, token: str) -> dict[str, Any]:
        """A staff account without a second factor, after its password: a new secret."""
        challenge = self.sessions.challenge(token, utc_now())
        if challenge["purpose"] != mfa.SETUP:
            raise Conflict("this account already has a second factor: answer with a code")
        return self.sessions.enrol(challenge["user_id"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_my_second_factor(self, actor: dict[str, Any]) -> dict[str, Any]:
        return self.sessions.second_factor_status(_user_actor(actor)["id"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def start_my_second_factor(self, actor: dict[str, Any]) -> dict[str, Any]:
        """Members (and staff replacing nothing): a pending secret, confirmed by a code."""
        return self.sessions.enrol(_user_actor(actor)["id"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def confirm_my_second_factor(self, actor: dict[str, Any], code: str) -> dict[str, Any]:
        actor = _user_actor(actor)
        self.sessions.confirm_mine(actor, code)
        return self.sessions.second_factor_status(actor["id"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def disable_my_second_factor(self, actor: dict[str, Any], password: str, code: str,
                                 client: str | None = None) -> None:
        self.sessions.disable_mine(_user_actor(actor)["id"], password, code, client)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def reset_second_factor(self, actor: dict[str, Any], user_id: str, code: str | None = None
                            ) -> dict[str, Any]:
        """An admin resets a member's second factor (lost device): the next login enrols
        again (staff) or logs in with the password (members). Step-up for the admin."""
        actor = _user_actor(actor)
        if not domain.is_admin(actor):
            raise Forbidden("only admins reset a second factor")
        self.sessions.step_up(actor, code)
        self._state(user_id)
        if actor["id"] == user_id:
            raise Unprocessable("ask another admin to reset your own second factor")
        self.sessions.reset_second_factor(actor["id"], user_id)
        # For the staff audit trail, on the user's public stream: the account stream also holds
        # private events, which consumers of identity.events never see (their per-stream order
        # would wait for them forever).
        self._decide_user(user_id, actor["id"], lambda state: domain.second_factor_reset(user_id))
        return {"user_id": user_id, "second_factor": "reset"}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def refresh(self, refresh_token: str, client: str | None = None) -> dict[str, Any]:
        return self.sessions.refresh(refresh_token, client)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def logout(self, actor: dict[str, Any] | None, refresh_token: str | None = None) -> None:
        self.sessions.logout(_actor(actor), refresh_token)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def change_password(self, actor: dict[str, Any], current_password: str, new_password: str,
                        client: str | None = None) -> None:
        membership.change_password(self.sessions, _user_actor(actor)["id"], current_password,
                                   new_password, client)

    # -- forgotten password (resets.py)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def request_password_reset(self, data: dict[str, Any], client: str | None = None
                               ) -> dict[str, Any]:
        """A reset link by e-mail to the account of `email`, if any: the same answer either
        way."""
        return resets.request_reset(self.sessions, _load(PasswordResetArgs, data)["email"],
                                    client)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def check_password_reset(self, token: str) -> None:
        """Nothing when the link's token can still be used, else its refusal (400 on
        `token`): the site says so before a new password is typed."""
        resets.usable_reset(self.sessions, str(token or "")[:200])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def confirm_password_reset(self, data: dict[str, Any], client: str | None = None) -> None:
        args = _load(PasswordResetConfirmArgs, data)
        resets.confirm_reset(self.sessions, args["token"], args["password"], client)

    # -- the account's address proved (verification.py)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def resend_email_verification(self, actor: dict[str, Any]) -> dict[str, Any]:
        """A new confirmation link to my address (limited per account), unless verified."""
        return verification.send_again(self.sessions, _user_actor(actor)["id"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def confirm_email_verification(self, data: dict[str, Any]) -> dict[str, Any]:
        """Consume a confirmation link's token: the account's address is verified; else a
        400 on `token` (unknown, used, expired)."""
        return verification.confirm(self.sessions, _load(EmailVerificationArgs, data)["token"])

    # -- GDPR: export and erasure

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_member(self, actor: dict[str, Any]) -> dict[str, Any]:
        """Identity's part of the member's export (the gateway gathers every service's):
        everything identity holds about them (no password hash, no token material)."""
        user_id = _user_actor(actor)["id"]
        accounts = self.kit.accounts
        return {
            "profile": self.users.private(user_id),
            "sessions": [session_view(doc) for doc in accounts.sessions_of(user_id)],
            "logins": [login_view(doc) for doc in accounts.audit_of(user_id)],
        }

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def erase_me(self, actor: dict[str, Any], data: dict[str, Any],
                 client: str | None = None) -> None:
        """Erase my account, confirmed with the password (membership.py `erase`)."""
        user_id = _user_actor(actor)["id"]
        args = _load(EraseArgs, data)
        membership.erase(self.sessions, self._decide_user, user_id, args["password"], client)

    # -- profiles (queries.py, presenters.py)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_me(self, actor: dict[str, Any]) -> dict[str, Any]:
        return self.users.private(_user_actor(actor)["id"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def update_me(self, actor: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        actor = _user_actor(actor)
        args = _load(ProfileArgs, changes)
        staff_names = self.users.staff_names(exclude=actor["id"]) if "display_name" in args \
            else ()
        self._decide_user(actor["id"], actor["id"],
                          lambda state: domain.update_profile(state, args, staff_names))
        return self.users.private(actor["id"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_user(self, user_id: str) -> dict[str, Any]:
        return public_profile(self.users.get(user_id))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_profile(self, user_id: str) -> dict[str, Any]:
        """The profile page's read: Gone (410) for an erased member — their page would still
        tie their contributions together under one id (each stays, signed "former member");
        `get_user` keeps answering for the names shown beside those contributions."""
        user = self.users.get(user_id)
        if user.get("erased"):
            raise Gone.from_catalogue("member_erased")
        return public_profile(user)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def find_users_by_email(self, actor: dict[str, Any], email: str,
                            client: str | None = None) -> dict[str, Any]:
        """Admins, community managers and bank systems (the CRM linking its customer to their
        Agora id) look a member up by e-mail: the member's private profile, or nothing — for
        an address its owner has not verified too (verification.py: it may be a squatter's);
        every lookup is audited as a privileged read (a bank system's under `service:<name>`),
        an unverified match as finding nobody."""
        actor = _actor(actor)
        if actor is None:
            raise Unauthenticated("a signed-in user is required")
        if not domain.finds_members_by_email(actor):
            raise Forbidden("only admins, community managers and bank systems look members up "
                            "by e-mail")
        email_key = domain.normalize_email(_load(EmailLookupArgs, {"email": email})["email"])
        user_id = self.users.verified(self.kit.accounts.user_id_for(email_key))
        self._audit_read(actor, "user_by_email", user_id, client)
        return {"items": [self.users.private(user_id)] if user_id else []}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def find_users_by_name(self, actor: dict[str, Any], query: dict[str, Any]) -> dict[str, Any]:
        """Admins and community managers look members up by the start of their display name
        (accents and case ignored): public summaries in name order, in pages."""
        actor = _user_actor(actor)
        if not domain.looks_members_up(actor):
            raise Forbidden("only admins and community managers look members up by name")
        return self.users.by_name(_load(NameLookupArgs, query))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def community_statistics(self, actor: dict[str, Any], period: dict[str, Any]
                             ) -> dict[str, Any]:
        """Members at the end of the period (erased accounts left out) and those who joined
        within it (CMs and admins: the console's community health)."""
        require_moderator(actor)
        return self.users.joined(_load(PeriodArgs, period))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_private_profile(self, actor: dict[str, Any], user_id: str,
                            client: str | None = None) -> dict[str, Any]:
        """A member's private profile (e-mail, customer, badge, advisor) for the admins and
        community managers who look after them; audited as a privileged read."""
        actor = _user_actor(actor)
        if not domain.looks_members_up(actor):
            raise Forbidden("only admins and community managers read private profiles")
        user = self.users.get(user_id)  # 404 for an unknown or erased member
        self._audit_read(actor, "user_by_id", user["_id"], client)
        return self.users.private(user_id)

    def _audit_read(self, actor: dict[str, Any], action: str, found_user_id: str | None,
                    client: str | None) -> None:
        self.kit.accounts.audit_privileged_read(actor, action, found_user_id, utc_now(),
                                                self.correlation, client)
        log.info("privileged read", extra={"actor_id": actor["id"], "action": action,
                                           "found_user_id": found_user_id})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_users(self, user_ids: list[str]) -> dict[str, Any]:
        """Public summaries of several members at once (unknown ids are left out), in the
        order asked."""
        return self.users.summaries(_load(UserIdsArgs, {"ids": user_ids})["ids"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_my_advisor(self, actor: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(_user_actor(actor)["id"])
        assignment = user.get("advisor")
        if not assignment:
            raise NotFound("no advisor is assigned to you yet")
        advisor = self.users.get(assignment["advisor_id"])
        return my_advisor_view(assignment, advisor, self._away(advisor.get("absence")))

    def _away(self, declared: dict[str, Any] | None) -> dict[str, Any] | None:
        """The advisor's absence as their customers read it (`until`, the backup's public
        profile), None when they are not away (absence.py `away`) or the backup is gone or no
        longer staff (conversations then brings them in no more: `absence.may_cover`)."""
        if not absence.away(declared, utc_now()):
            return None
        try:
            backup = self.users.get(declared["backup_id"])
        except NotFound:
            return None
        if not absence.may_cover(backup):
            return None
        return {"until": declared["until"], "backup": public_profile(backup)}

    # -- an advisor's absence with a backup (absence.py)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_my_absence(self, actor: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """An advisor is away until `until` (the day they are back, ≤ 90 days ahead); the
        colleague with the verified address `backup_email` answers their customers meanwhile."""
        actor = _user_actor(actor)
        absence.require_advisor(actor)
        args = _load(AbsenceArgs, data)
        now = utc_now()
        until = absence.check_until(args["until"], now)
        try:
            email_key = domain.normalize_email(args["backup_email"])
        except InvalidInput:  # no address at all is nobody's: the same refusal
            email_key = None
        found = self.users.verified(self.kit.accounts.user_id_for(email_key)) \
            if email_key else None
        backup_id = absence.check_backup(actor["id"], self.users.get(found) if found else None)
        self._decide(user_stream(actor["id"]), lambda history: absence.set_absence(
            history, actor["id"], backup_id, until), actor["id"])
        return self.get_my_absence(actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_my_absence(self, actor: dict[str, Any]) -> dict[str, Any]:
        """My absence being declared (`until: null` when none, or once I am back)."""
        actor = _user_actor(actor)
        absence.require_advisor(actor)
        current = absence.current(self.store.load(user_stream(actor["id"])))
        backup = None
        # an erased backup: no name to show (its row keeps « Ancien membre », not a colleague)
        if current and self.users.live(current["backup_id"]):
            backup = self.users.private(current["backup_id"])
        return absence.absence_view(current, backup, utc_now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def end_my_absence(self, actor: dict[str, Any]) -> None:
        """Back early: my customers' messages no longer bring my backup in. Idempotent."""
        actor = _user_actor(actor)
        absence.require_advisor(actor)
        self._decide(user_stream(actor["id"]), lambda history: absence.end_absence(
            history, actor["id"]), actor["id"])

    # -- administration

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_roles(self, actor: dict[str, Any], user_id: str, roles: list[str],
                  code: str | None = None) -> dict[str, Any]:
        actor = _user_actor(actor)
        args = _load(RolesArgs, {"roles": roles})
        if domain.is_admin(actor):
            self.sessions.step_up(actor, code)
        before = set(self._state(user_id).roles)
        self._decide_user(user_id, actor["id"], lambda state: domain.set_roles(state, actor,
                                                                          args["roles"]))
        if before - set(args["roles"]):  # a role taken away applies now, not at token expiry
            self.sessions.revoke_all(user_id, "roles_changed", actor["id"])
        return public_profile(self.users.get(user_id))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_verification(self, actor: dict[str, Any], user_id: str, verified: bool
                         ) -> dict[str, Any]:
        actor = _actor(actor)
        if actor is None:
            raise Unauthenticated("a credential is required")
        self._decide_user(user_id, actor["id"],
                          lambda state: domain.set_verification(state, actor, bool(verified)))
        return public_profile(self.users.get(user_id))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def assign_advisor(self, actor: dict[str, Any], user_id: str, advisor_id: str,
                       branch: str, code: str | None = None) -> dict[str, Any]:
        actor = _actor(actor)
        if actor is None:
            raise Unauthenticated("a credential is required")
        if not (domain.is_admin(actor) or domain.is_service(actor)):
            raise Forbidden("only admins and bank systems assign advisors")
        self.sessions.step_up(actor, code)
        args = _load(AdvisorArgs, {"advisor_id": advisor_id, "branch": branch})
        advisor = domain.fold(self.store.load(user_stream(args["advisor_id"])))
        self._decide_user(user_id, actor["id"], lambda state: domain.assign_advisor(
            state, advisor, actor, args["branch"]))
        user = self.users.get(user_id)
        return {"user_id": user_id,
                **advisor_view(user["advisor"], self.users.get(args["advisor_id"]))}

    # -- own events, also from the bus (if this process died between commit and projection)

    @reliable_handler("identity", "identity.*")
    def project(self, event: Envelope) -> None:
        if event.type == domain.USER_ERASED:  # the tombstone is committed: the key must go
            self.store.keys.shred(event.payload["user_id"])
        self.views.apply(event)

    @reliable_handler("identity", "identity.*", private=True, idempotent=True)
    def project_private(self, event: Envelope) -> None:
        self.views.apply(event)


