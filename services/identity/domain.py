"""Identity's pure rules: no database, no broker, no clock of its own (`now` is passed in).

- e-mail normalisation (the uniqueness key);
- the user aggregate: `UserState = fold(events)`, and commands deciding new events
  (register, update profile, set roles, verify, assign advisor);
- badges derived from roles and verification.

Beside it, pure too: the password policy (passwords.py), refresh-token families (tokens.py),
login and registration limits (limits.py).

Example::

    public, private = register("u1", "Ada@Example.org", "Ada Lovelace", customer=True, now=now)
    # [NewEvent("identity.user_registered", ...)], [NewEvent("identity.contact_changed", ...)]
    state = fold(store.load(user_stream("u1")))
    set_roles(state, actor=admin, roles=["advisor"])  # [NewEvent("identity.role_granted", ...)]
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from services.moderation.detector import refuse_confidential
from services.shared import slugs
from services.shared.actors import GRANTABLE, is_moderator, is_person, is_staff
from services.shared.envelope import Envelope, NewEvent
from services.shared.errors import Forbidden, InvalidInput, NotFound, Unprocessable
from services.shared.look_alikes import scripts
from services.shared.members import (  # noqa: F401 (badges re-exported)
    BADGE_CUSTOMER,
    ERASED_DISPLAY_NAME,
    badges,
)

from . import names

REGISTERED = "identity.user_registered"
CONTACT_CHANGED = "identity.contact_changed"
PROFILE_UPDATED = "identity.profile_updated"
ROLE_GRANTED = "identity.role_granted"
ROLE_REVOKED = "identity.role_revoked"
USER_VERIFIED = "identity.user_verified"
VERIFICATION_WITHDRAWN = "identity.user_verification_withdrawn"
ADVISOR_ASSIGNED = "identity.advisor_assigned"
PASSWORD_CHANGED = "identity.password_changed"
SESSIONS_REVOKED = "identity.sessions_revoked"
USER_ERASED = "identity.user_erased"
FORMER_MEMBER = ERASED_DISPLAY_NAME  # the display name of an erased account (both languages)


def user_stream(user_id: str) -> str:
    """The public stream of a user: profile, roles, badges, advisor (identity.events)."""
    return f"user-{user_id}"


def account_stream(user_id: str) -> str:
    """The private stream of a user: contact, password and session facts (identity.private).

    Kept apart from `user-<id>` so that each stream is entirely public or entirely private: a
    consumer of identity.events sees every version of the streams it receives, without gaps
    that private events would leave (consumers check each stream's versions to keep its order)."""
    return f"account-{user_id}"


# -- e-mail -------------------------------------------------------------------------------------

_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,253}$")
_IP_LITERAL = re.compile(r"^\[.*\]$|^[0-9.]+$")  # `[127.0.0.1]`, `[IPv6:…]`, a bare IPv4
# what no one sees but which makes another key: format characters (category Cf: zero-width
# spaces and joiners, soft hyphen, BOM…) and the other default-ignorable code points
_IGNORABLE = {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0,
              *range(0x180B, 0x1810), *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)}
EMAIL_REFUSALS = {  # field messages (the gateway reads them back into `field.*`, FR/EN)
    "invalid": "Not a valid email address.",
    "quoted": "Write the address without quotes.",
    "ip_literal": "Use an address with a domain name, not an IP address.",
    "mixed_script": "The domain mixes alphabets (for example Latin and Cyrillic letters).",
}


def normalize_email(email: str) -> str:
    """The uniqueness key of an address: NFKC, invisible characters removed, trimmed,
    lower-cased (local part included: no provider treats case as significant in practice, and
    users do not expect it to be). Look-alikes of another address are refused rather than made
    a key of their own: a quoted local part (`"ada"@x.org` is `ada@x.org`'s mailbox), an IP
    literal domain, a domain label mixing scripts (a Cyrillic `а` among Latin letters)."""
    normalized = "".join(char for char in unicodedata.normalize("NFKC", email or "")
                         if not _ignorable(char)).strip().lower()
    if len(normalized) > 254 or not _EMAIL_RE.match(normalized):
        raise _email_refused("invalid")
    local, domain_part = normalized.rsplit("@", 1)
    if '"' in local:
        raise _email_refused("quoted")
    if _IP_LITERAL.match(domain_part):
        raise _email_refused("ip_literal")
    if "." not in domain_part:
        raise _email_refused("invalid")
    if any(len(scripts(label)) > 1 for label in domain_part.split(".")):
        raise _email_refused("mixed_script")
    return normalized


def _ignorable(char: str) -> bool:
    return unicodedata.category(char) == "Cf" or ord(char) in _IGNORABLE


def _email_refused(reason: str) -> InvalidInput:
    return InvalidInput("not a valid e-mail address",
                        {"fields": {"email": [EMAIL_REFUSALS[reason]]}})


# -- the user aggregate -------------------------------------------------------------------------

@dataclass(frozen=True)
class Advisor:
    advisor_id: str
    branch: str
    assigned_at: str


@dataclass(frozen=True)
class UserState:
    id: str | None = None
    version: int = 0
    display_name: str = ""
    bio: str = ""
    roles: tuple[str, ...] = ()
    customer: bool = False
    verified_customer: bool = False
    advisor: Advisor | None = None
    joined_at: str | None = None
    erased: bool = False
    language: str = "fr"  # what the member reads Agora in (i18n.LANGUAGES)

    @property
    def exists(self) -> bool:
        return self.id is not None

    def has_role(self, role: str) -> bool:
        return role == "member" or role in self.roles


def fold(history: Iterable[Envelope]) -> UserState:
    state = UserState()
    for event in history:
        state = apply(state, event)
    return state


def apply(state: UserState, event: Envelope) -> UserState:
    p = event.payload
    state = replace(state, version=event.stream_version)
    if event.type == REGISTERED:
        return replace(state, id=p["user_id"], display_name=p["display_name"],
                       roles=tuple(r for r in p.get("roles", []) if r != "member"),
                       customer=bool(p.get("customer")), joined_at=p["joined_at"])
    if event.type == PROFILE_UPDATED:
        if state.erased:
            return state
        return replace(state, **{k: p[k] for k in ("display_name", "bio", "language")
                                 if k in p})
    if event.type == USER_ERASED:
        return replace(state, display_name=FORMER_MEMBER, bio="", erased=True, advisor=None)
    if event.type == ROLE_GRANTED:
        return replace(state, roles=tuple(sorted({*state.roles, p["role"]})))
    if event.type == ROLE_REVOKED:
        return replace(state, roles=tuple(r for r in state.roles if r != p["role"]))
    if event.type == USER_VERIFIED:
        return replace(state, verified_customer=True, customer=True)
    if event.type == VERIFICATION_WITHDRAWN:
        return replace(state, verified_customer=False)
    if event.type == ADVISOR_ASSIGNED:
        return replace(state, advisor=Advisor(p["advisor_id"], p["branch"],
                                              event.occurred_at), customer=True)
    return state  # contact, password and session events change no profile state


def register(user_id: str, email: str, display_name: str, customer: bool, now: datetime,
             roles: Iterable[str] = ()) -> tuple[list[NewEvent], list[NewEvent]]:
    """A new member (plus `roles` granted at once: `agora create-admin`): the events of the
    public `user-<id>` stream and those of the private `account-<id>` stream."""
    refuse_confidential({"display_name": display_name})  # public on identity.events
    roles = sorted(set(roles) - {"member"})
    unknown = [role for role in roles if role not in GRANTABLE]
    if unknown:
        raise InvalidInput.from_catalogue("unknown_roles", {"fields": {"roles": unknown}},
                                          roles=", ".join(unknown))
    public = [
        NewEvent(REGISTERED, {"user_id": user_id, "display_name": display_name.strip(),
                              "customer": bool(customer), "roles": ["member"],
                              "joined_at": now.isoformat()}),
        *[NewEvent(ROLE_GRANTED, {"user_id": user_id, "role": role}) for role in roles],
    ]
    private = [NewEvent(CONTACT_CHANGED, {"user_id": user_id, "email": normalize_email(email)})]
    return public, private


def require_user(state: UserState, user_id: str) -> UserState:
    if not state.exists:
        raise NotFound("no such user", {"id": user_id})
    return state


def update_profile(state: UserState, changes: dict[str, Any],
                   staff_names: Iterable[str] = ()) -> list[NewEvent]:
    """`staff_names`: the other current staff's names, which a new name may not look like."""
    update_profile_allowed(state)
    changed = {}
    if "display_name" in changes and changes["display_name"].strip() != state.display_name:
        name = changes["display_name"].strip()
        if not 2 <= len(name) <= 60:
            raise InvalidInput("invalid display name",
                               {"fields": {"display_name": ["2 to 60 characters"]}})
        names.check_display_name(name, is_staff({"roles": state.roles}), staff_names)
        changed["display_name"] = name
    if "bio" in changes and changes["bio"] != state.bio:
        changed["bio"] = changes["bio"]
    if not changed and changes.get("language", state.language) == state.language:
        return []
    refuse_confidential(changed)  # a profile is public and has no moderation queue to hold it
    if changes.get("language", state.language) != state.language:
        changed["language"] = changes["language"]
    return [NewEvent(PROFILE_UPDATED, {"user_id": state.id, **changed})]


def erase(state: UserState, now: datetime) -> list[NewEvent]:
    """GDPR erasure: the public tombstone (no PII: the id and when). Erasing twice changes
    nothing (a retried request after a crash half-way finishes the job without a second event)."""
    if state.erased:
        return []
    return [NewEvent(USER_ERASED, {"user_id": state.id, "erased_at": now.isoformat()})]


def update_profile_allowed(state: UserState) -> None:
    if state.erased:
        raise NotFound("no such user", {"id": state.id})


def is_admin(actor: dict[str, Any] | None) -> bool:
    return bool(actor) and actor.get("kind", "user") == "user" and "admin" in (
        actor.get("roles") or ())


def looks_members_up(actor: dict[str, Any] | None) -> bool:
    """Admins (advisor assignment) and community managers (the console's member screen) find
    members by e-mail or name and read their private profile — every read audited."""
    return is_person(actor) and is_moderator(actor)


def name_key(display_name: str | None) -> str:
    """How a name is looked up: accents and case ignored, spaces collapsed.

    >>> name_key("  Chloé   Dupont-Lévy ")
    'chloe dupont-levy'
    """
    return " ".join(slugs.fold(display_name or "").split())


def is_service(actor: dict[str, Any] | None) -> bool:
    return bool(actor) and actor.get("kind") == "service"


def finds_members_by_email(actor: dict[str, Any] | None) -> bool:
    """Who may turn an e-mail address into a member: the staff who look members up, and the
    bank's systems (a CRM knows its customer by address and needs the Agora id to verify them
    or assign their advisor). Members never: it would tell them who else has an account."""
    return looks_members_up(actor) or is_service(actor)


def set_roles(state: UserState, actor: dict[str, Any], roles: Iterable[str]) -> list[NewEvent]:
    """Make the user's roles exactly `roles` (member is implied). Only admins; an admin cannot
    take their own admin role away (a deployment must not lose its last way in by accident)."""
    if not is_admin(actor):
        raise Forbidden("only admins grant or revoke roles")
    wanted = set(roles) - {"member"}
    unknown = sorted(wanted - set(GRANTABLE))
    if unknown:
        raise InvalidInput.from_catalogue("unknown_roles", {"fields": {"roles": unknown}},
                                          roles=", ".join(unknown))
    current = set(state.roles)
    if actor.get("id") == state.id and "admin" in current and "admin" not in wanted:
        raise Unprocessable("you cannot remove your own admin role; ask another admin")
    events = [NewEvent(ROLE_GRANTED, {"user_id": state.id, "role": role})
              for role in sorted(wanted - current)]
    events += [NewEvent(ROLE_REVOKED, {"user_id": state.id, "role": role})
               for role in sorted(current - wanted)]
    return events


def set_verification(state: UserState, actor: dict[str, Any], verified: bool) -> list[NewEvent]:
    if not (is_admin(actor) or is_service(actor)):
        raise Forbidden("only admins and bank systems verify customers")
    if verified == state.verified_customer:
        return []
    if verified:
        return [NewEvent(USER_VERIFIED, {"user_id": state.id, "badge": BADGE_CUSTOMER})]
    return [NewEvent(VERIFICATION_WITHDRAWN, {"user_id": state.id, "badge": BADGE_CUSTOMER})]


def assign_advisor(customer: UserState, advisor: UserState, actor: dict[str, Any],
                   branch: str) -> list[NewEvent]:
    if not (is_admin(actor) or is_service(actor)):
        raise Forbidden("only admins and bank systems assign advisors")
    if not advisor.exists:
        raise Unprocessable("no such advisor", {"fields": {"advisor_id": ["no such user"]}})
    if not advisor.has_role("advisor"):
        raise Unprocessable("this user is not an advisor",
                            {"fields": {"advisor_id": ["not an advisor"]}})
    if advisor.id == customer.id:
        raise Unprocessable("an advisor cannot advise themselves",
                            {"fields": {"advisor_id": ["same user"]}})
    if not (customer.customer or customer.verified_customer):
        raise Unprocessable("only customers have an advisor; verify the customer first")
    branch = branch.strip()
    if customer.advisor and (customer.advisor.advisor_id, customer.advisor.branch) == (
            advisor.id, branch):
        return []
    return [NewEvent(ADVISOR_ASSIGNED, {"user_id": customer.id, "advisor_id": advisor.id,
                                        "branch": branch})]


# -- registration answers alike whether or not the address has an account -----------------------

REGISTRATION_ATTEMPTED = "identity.registration_attempted"


def registration_received(email_key: str) -> dict[str, Any]:
    """THE answer to a registration with a well-formed request, new address or taken: the
    caller learns nothing about which addresses have an account (the owner of a taken one is
    told by e-mail instead, `registration_attempted`)."""
    return {
        "status": "received",
        "email": email_key,
        "message": {
            "en": "If this address can be used, your account is ready: log in with it. If it "
                  "already had an account, its owner has been told by e-mail.",
            "fr": "Si cette adresse peut être utilisée, votre compte est prêt : connectez-vous "
                  "avec elle. Si elle avait déjà un compte, son titulaire a été prévenu par "
                  "e-mail.",
        },
    }


MFA_ENABLED = "identity.mfa_enabled"
MFA_DISABLED = "identity.mfa_disabled"
SECOND_FACTOR_RESET = "identity.second_factor_reset"
RECOVERY_CODE_USED = "identity.recovery_code_used"
PASSWORD_RESET_REQUESTED = "identity.password_reset_requested"
CHANGED_BY_MEMBER, CHANGED_BY_RESET = "change", "reset"  # how a password changed


def second_factor_reset(user_id: str) -> list[NewEvent]:
    """An admin reset a staff member's second factor (public, the id only: the staff audit
    trail records it beside roles and badges; `mfa_disabled` stays on the private exchange)."""
    return [NewEvent(SECOND_FACTOR_RESET, {"user_id": user_id})]


def mfa_enabled(user_id: str) -> list[NewEvent]:
    """A second factor was turned on (private; no secret, no code: those stay encrypted in
    identity's own `mfa` collection)."""
    return [NewEvent(MFA_ENABLED, {"user_id": user_id, "method": "totp"})]


def mfa_disabled(user_id: str, reason: str) -> list[NewEvent]:
    """reason: self (password + code) | admin_reset (lost device; the actor is the admin)."""
    return [NewEvent(MFA_DISABLED, {"user_id": user_id, "reason": reason})]


def recovery_code_used(user_id: str, remaining: int) -> list[NewEvent]:
    """A recovery code replaced the authenticator at a login (private: the owner is told by
    e-mail — a code they did not use means someone has their password and their codes)."""
    return [NewEvent(RECOVERY_CODE_USED, {"user_id": user_id, "remaining": max(0, remaining)})]


def password_changed(user_id: str, method: str) -> list[NewEvent]:
    """The password changed (private, no material): `change` (with the current one) or
    `reset` (with an e-mailed link); the owner is told by e-mail either way."""
    return [NewEvent(PASSWORD_CHANGED, {"user_id": user_id, "method": method})]


def password_reset_requested(user_id: str, token: str, expires_at: datetime) -> list[NewEvent]:
    """Someone asked for a reset link for this account (private). The raw token travels
    once, to notifications, which e-mails the link: the event store seals it with the
    member's key (services/shared/shredding.py) in every log and on the exchange, identity
    keeps only its hash, and it opens nothing after `expires_at` or once used."""
    return [NewEvent(PASSWORD_RESET_REQUESTED, {"user_id": user_id, "token": token,
                                                "expires_at": expires_at.isoformat()})]


EMAIL_VERIFICATION_REQUESTED = "identity.email_verification_requested"
EMAIL_VERIFIED = "identity.email_verified"
VERIFIED_BY_LINK, VERIFIED_BY_RESET, VERIFIED_LOCALLY = "link", "reset", "local"


def email_verification_requested(user_id: str, token: str, expires_at: datetime
                                 ) -> list[NewEvent]:
    """A confirmation link for the account's address (private): sent at sign-up and when the
    member asks again. Like a reset's, the raw token travels once, sealed, to notifications;
    identity keeps its hash only."""
    return [NewEvent(EMAIL_VERIFICATION_REQUESTED, {"user_id": user_id, "token": token,
                                                    "expires_at": expires_at.isoformat()})]


def email_verified(user_id: str, method: str) -> list[NewEvent]:
    """The owner proved the mailbox of the account's current address (private): `link` (the
    confirmation link), `reset` (a reset link, e-mailed there too) or `local` (demo and test
    accounts, refused in production). Only a verified address is trusted to name a member."""
    return [NewEvent(EMAIL_VERIFIED, {"user_id": user_id, "method": method})]


def password_reset_received(minutes: int) -> dict[str, Any]:
    """THE answer to a reset request, whether or not the address has an account (the
    caller learns nothing about which addresses have one)."""
    return {
        "status": "received",
        "message": {
            "en": "If an account exists for this address, an e-mail has just been sent to it "
                  f"with a link to choose a new password (valid {minutes} minutes).",
            "fr": "Si un compte existe pour cette adresse, un e-mail vient de lui être envoyé "
                  f"avec un lien pour choisir un nouveau mot de passe (valable {minutes} "
                  "minutes).",
        },
    }


def registration_attempted(user_id: str, now: datetime) -> list[NewEvent]:
    """Someone tried to register the address of account `user_id` (private: the notification
    to its owner; nothing about who tried)."""
    return [NewEvent(REGISTRATION_ATTEMPTED, {"user_id": user_id,
                                              "attempted_at": now.isoformat()})]


@dataclass
class LoginAttempt:
    """One line of the login audit (identity's own `login_audit` collection)."""

    email: str
    client: str | None
    outcome: str  # success | bad_credentials | throttled
    user_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
