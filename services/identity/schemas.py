"""Identity's marshmallow schemas: event payloads (registered, versioned) and RPC arguments.

Public events (`identity.events`, which other bank systems bind to) carry no e-mail and no
password material; the e-mail travels only in `identity.contact_changed` and session/password
facts only in private events (`identity.private`): sensitive data never travels on an exchange
that other bank systems can bind to (docs/architecture.md, "Events on the wire").
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.shared import i18n, ids
from services.shared.actors import ROLES
from services.shared.members import DISPLAY_NAME_MAX
from services.shared.payloads import REGISTRY
from services.shared.validation import multi_line, single_line

from . import domain

MAX_BATCH_IDS = 100  # GET /users?ids=...


# -- public events ----------------------------------------------------------------------------

@REGISTRY.register(domain.REGISTERED, version=1)
class UserRegisteredV1(Schema):
    user_id = fields.String(required=True)
    display_name = fields.String(required=True)
    customer = fields.Boolean(required=True)
    roles = fields.List(fields.String(), required=True)
    joined_at = fields.String(required=True)


@REGISTRY.register(domain.PROFILE_UPDATED, version=1)
class ProfileUpdatedV1(Schema):
    user_id = fields.String(required=True)
    display_name = fields.String()
    bio = fields.String()


@REGISTRY.register(domain.PROFILE_UPDATED, version=2)
class ProfileUpdatedV2(Schema):
    """Version 2 adds `language` (fr | en): what the member reads Agora in."""

    user_id = fields.String(required=True)
    display_name = fields.String()
    bio = fields.String()
    language = fields.String(validate=validate.OneOf(i18n.LANGUAGES))


@REGISTRY.upcaster(domain.PROFILE_UPDATED, from_version=1)
def _profile_v1_to_v2(payload):
    return dict(payload)  # nothing to add: language is optional


@REGISTRY.register(domain.ROLE_GRANTED, version=1)
class RoleGrantedV1(Schema):
    user_id = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(domain.GRANTABLE))


@REGISTRY.register(domain.ROLE_REVOKED, version=1)
class RoleRevokedV1(Schema):
    user_id = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(domain.GRANTABLE))


@REGISTRY.register(domain.USER_VERIFIED, version=1)
class UserVerifiedV1(Schema):
    user_id = fields.String(required=True)
    badge = fields.String(required=True)


@REGISTRY.register(domain.VERIFICATION_WITHDRAWN, version=1)
class VerificationWithdrawnV1(Schema):
    user_id = fields.String(required=True)
    badge = fields.String(required=True)


@REGISTRY.register(domain.ADVISOR_ASSIGNED, version=1)
class AdvisorAssignedV1(Schema):
    user_id = fields.String(required=True)
    advisor_id = fields.String(required=True)
    branch = fields.String(required=True)


@REGISTRY.register("identity.advisor_absence_set", version=1)
class AdvisorAbsenceSetV1(Schema):
    """The advisor is away until `until` (the day they are back), `backup_id` answering their
    customers meanwhile (absence.py); both null: back early."""

    advisor_id = fields.String(required=True)
    backup_id = fields.String(required=True, allow_none=True)
    until = fields.Date(required=True, allow_none=True)


@REGISTRY.register(domain.USER_ERASED, version=1)
class UserErasedV1(Schema):
    """The GDPR tombstone: no PII, only which account and when."""
    user_id = fields.String(required=True)
    erased_at = fields.String(required=True)


# -- private events (identity.private) ------------------------------------------------------

@REGISTRY.register(domain.CONTACT_CHANGED, version=1, private=True)
class ContactChangedV1(Schema):
    user_id = fields.String(required=True)
    email = fields.String(required=True)


@REGISTRY.register(domain.PASSWORD_CHANGED, version=1, private=True)
class PasswordChangedV1(Schema):
    user_id = fields.String(required=True)


@REGISTRY.register(domain.PASSWORD_CHANGED, version=2, private=True)
class PasswordChangedV2(Schema):
    """Version 2 says how: `change` (with the current password) or `reset` (an e-mailed
    link); the owner's security e-mail says which."""
    user_id = fields.String(required=True)
    method = fields.String(required=True, validate=validate.OneOf(
        [domain.CHANGED_BY_MEMBER, domain.CHANGED_BY_RESET]))


@REGISTRY.upcaster(domain.PASSWORD_CHANGED, from_version=1)
def _password_changed_v1_to_v2(payload):
    return {**payload, "method": domain.CHANGED_BY_MEMBER}  # there was no other way then


@REGISTRY.register(domain.PASSWORD_RESET_REQUESTED, version=1, private=True)
class PasswordResetRequestedV1(Schema):
    """Someone asked for a password-reset link for this account: notifications e-mails it
    to the account's address. `token` is personal (sealed with the member's key everywhere it
    is stored or sent, services/shared/shredding.py); only its hash is kept by identity, and
    it opens nothing once used, replaced or past `expires_at`."""
    user_id = fields.String(required=True)
    token = fields.String(required=True)
    expires_at = fields.String(required=True)


@REGISTRY.register(domain.EMAIL_VERIFICATION_REQUESTED, version=1, private=True)
class EmailVerificationRequestedV1(Schema):
    """A confirmation link for the account's address (at sign-up, or asked again):
    notifications e-mails it. `token` is personal and sealed like a reset's; identity keeps
    its hash only; it opens nothing once used, replaced or past `expires_at`."""
    user_id = fields.String(required=True)
    token = fields.String(required=True)
    expires_at = fields.String(required=True)


@REGISTRY.register(domain.EMAIL_VERIFIED, version=1, private=True)
class EmailVerifiedV1(Schema):
    """The owner proved the mailbox of the account's current address: by the confirmation
    link, a password reset's link, or (demo and test accounts only) locally. Until then no
    lookup by address finds the account."""
    user_id = fields.String(required=True)
    method = fields.String(required=True, validate=validate.OneOf(
        [domain.VERIFIED_BY_LINK, domain.VERIFIED_BY_RESET, domain.VERIFIED_LOCALLY]))


@REGISTRY.register(domain.RECOVERY_CODE_USED, version=1, private=True)
class RecoveryCodeUsedV1(Schema):
    """A recovery code replaced the authenticator at a login (the owner is told by e-mail);
    how many are left. Never the code."""
    user_id = fields.String(required=True)
    remaining = fields.Integer(required=True, validate=validate.Range(min=0))


@REGISTRY.register(domain.REGISTRATION_ATTEMPTED, version=1, private=True)
class RegistrationAttemptedV1(Schema):
    """Someone tried to register this account's e-mail address: its owner is told by e-mail
    (notifications). Nothing about the caller."""
    user_id = fields.String(required=True)
    attempted_at = fields.String(required=True)


@REGISTRY.register(domain.SESSIONS_REVOKED, version=1, private=True)
class SessionsRevokedV1(Schema):
    user_id = fields.String(required=True)
    session_ids = fields.List(fields.String(), required=True)
    reason = fields.String(required=True, validate=validate.OneOf(
        ["logout", "password_changed", "refresh_token_reused", "roles_changed",
         "account_erased", "second_factor_reset"]))


@REGISTRY.register(domain.MFA_ENABLED, version=1, private=True)
class MfaEnabledV1(Schema):
    """A second factor was turned on. No secret, no code (encrypted in identity's store)."""
    user_id = fields.String(required=True)
    method = fields.String(required=True, validate=validate.OneOf(["totp"]))


@REGISTRY.register(domain.MFA_DISABLED, version=1, private=True)
class MfaDisabledV1(Schema):
    """A second factor was removed: by its owner (password + code) or reset by an admin (the
    event's actor) after a lost device."""
    user_id = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(["self", "admin_reset"]))


@REGISTRY.register(domain.SECOND_FACTOR_RESET, version=1)
class SecondFactorResetV1(Schema):
    """An admin (the event's actor) reset this account's second factor after a lost device:
    the id only, for the staff audit trail."""
    user_id = fields.String(required=True)


# -- RPC arguments ------------------------------------------------------------------------------

class RegisterArgs(Schema):
    email = fields.String(required=True, validate=[validate.Length(min=3, max=254), single_line])
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    display_name = fields.String(required=True, validate=[
        validate.Length(min=2, max=DISPLAY_NAME_MAX), single_line])
    customer = fields.Boolean(load_default=False)


class PasswordCheckArgs(Schema):
    """A password judged before the rest of a registration is valid: the e-mail and name are
    only the estimator's personal words, whatever they are (bounded like the password)."""
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    email = fields.String(load_default="", validate=validate.Length(max=1024))
    display_name = fields.String(load_default="", validate=validate.Length(max=1024))


class ProfileArgs(Schema):
    display_name = fields.String(validate=[validate.Length(min=2, max=DISPLAY_NAME_MAX),
                                           single_line])
    bio = fields.String(validate=[validate.Length(max=500), multi_line])
    language = fields.String(validate=validate.OneOf(i18n.LANGUAGES))

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("give display_name, bio and/or language", "_schema")


class PasswordResetArgs(Schema):
    email = fields.String(required=True, validate=[validate.Length(min=3, max=254), single_line])


class PasswordResetConfirmArgs(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class EmailVerificationArgs(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class EraseArgs(Schema):
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class ActorSchema(Schema):
    id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    roles = fields.List(fields.String(), load_default=list)
    kind = fields.String(load_default="user", validate=validate.OneOf(["user", "service"]))
    sid = fields.String(allow_none=True, load_default=None)


class EmailLookupArgs(Schema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))


class NameLookupArgs(Schema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=100), single_line])
    cursor = fields.String(allow_none=True, validate=validate.Length(max=500))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class UserIdsArgs(Schema):
    ids = fields.List(fields.String(validate=validate.Length(min=1, max=128)), required=True,
                      validate=validate.Length(min=1, max=MAX_BATCH_IDS))


class RolesArgs(Schema):
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(max=len(ROLES)))


class AdvisorArgs(Schema):
    advisor_id = ids.USER.field(required=True)  # builds `user-<advisor_id>`
    branch = fields.String(required=True, validate=[validate.Length(min=1, max=80), single_line])


class AbsenceArgs(Schema):
    """`PUT /me/absence`: the day the advisor is back and their backup's verified address."""

    until = fields.Date(required=True)
    backup_email = fields.String(required=True, validate=validate.Length(min=3, max=254))
