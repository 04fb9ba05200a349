"""Identity routes: register, log in, refresh, log out, my profile, public profiles, roles,
advisor assignment, verified-customer badge (RPC to the identity service)."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from nameko.exceptions import RemoteError
from nameko.rpc import RpcProxy

from services.identity.schemas import MAX_BATCH_IDS
from services.shared import i18n, ids
from services.shared.actors import ROLES
from services.shared.consumer import reliable_handler
from services.shared.envelope import Envelope
from services.shared.errors import InvalidInput
from services.shared.ids import path_schema
from services.shared.members import ERASED_DISPLAY_NAME, USER_ERASED
from services.shared.validation import multi_line, single_line

from ..calls import Call
from ..errors import localized_field_errors, remote_details
from ..http import route

# path parameters: each id checked for its exact shape (404 otherwise)
USER_PATH = path_schema(id=ids.USER)

# -- request bodies ---------------------------------------------------------------------------


# services/identity/names.py; refusals in `errors.display_name` and, FR/EN, `errors_i18n`
NAME_RULES = ("visible letters or digits, at most 2 accents or marks per letter; refused (400) "
              "when it reads like a current staff member's name (look-alike letters, invisible "
              "characters, accents and punctuation ignored) or, for members, holds a staff word "
              "(conseiller, équipe, agora, admin, modérateur, banque, support, officiel…); "
              "names already held are kept")


class RegisterBody(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024),
                             metadata={"description": ">= 12 characters (or a passphrase of 4+ "
                                       "words) that the zxcvbn strength estimator scores 3 or "
                                       "more (common and breached passwords, French and English "
                                       "words and names, keyboard rows, your e-mail and name "
                                       "refused); refusals list the estimator's feedback in "
                                       "`errors.password` (the reader's language) and, in "
                                       "French and English, in `errors_i18n`",
                                       "format": "password"})
    display_name = fields.String(required=True,
                                 validate=[validate.Length(min=2, max=60), single_line],
                                 metadata={"description": NAME_RULES})
    customer = fields.Boolean(load_default=False,
                              metadata={"description": "the person says they are a customer"})


def password_refusal(identity, document: dict[str, Any], refused: dict[str, Any]
                     ) -> dict[str, Any] | None:
    """Identity's refusal of a registration's password (`fields`, `fields_i18n`) when the
    body's schema let the password through but refused another field: the schema stops
    before identity is asked, and nobody should fix their name only to learn on the next try
    that the password is weak (the API's answer and the site's form both)."""
    password = document.get("password")
    if "password" in refused or not isinstance(password, str):
        return None
    email, name = document.get("email"), document.get("display_name")
    try:  # the e-mail and name only as the estimator's personal words, whatever they are
        identity.check_password(password, email if isinstance(email, str) else "",
                                name if isinstance(name, str) else "")
    except RemoteError as error:
        if error.exc_type != "InvalidInput":
            raise
        return remote_details(error)
    return None


def _refused_registration(service, document: dict[str, Any], refused: dict[str, Any]
                          ) -> dict[str, Any]:
    """A registration body's refusal, every field at once (the password's strength too)."""
    refusal = password_refusal(service.identity, document, refused)
    if not refusal or not isinstance(refusal.get("fields"), dict):
        return {"fields": refused}
    own_i18n = refusal.get("fields_i18n") if isinstance(refusal.get("fields_i18n"), dict) else {}
    by_language = {language: {**localized_field_errors(refused, None, language),
                              **localized_field_errors(refusal["fields"], own_i18n, language)}
                   for language in i18n.LANGUAGES}
    return {"fields": {**refused, **refusal["fields"]}, "fields_i18n": by_language}


PASSWORD_RULES = (">= 12 characters (or a passphrase of 4+ words) that the zxcvbn strength "
                  "estimator scores 3 or more (common and breached passwords, French and "
                  "English words and names, keyboard rows, your e-mail and name refused)")


class PasswordResetBody(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))


class PasswordResetConfirmBody(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "the `token` parameter of the e-mailed link (single use, expires)"})
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024),
                             metadata={"description": f"the new password: {PASSWORD_RULES}; "
                                       "refusals list the estimator's feedback in "
                                       "`errors.password` and, in French and English, in "
                                       "`errors_i18n`", "format": "password"})


class EmailVerificationBody(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "the `token` parameter of the e-mailed confirmation link (single use, "
                       "expires after 48 hours)"})


class EmailVerificationStatus(Schema):
    user_id = fields.String(required=True)
    email_verified = fields.Boolean(required=True)


class LoginBody(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024),
                             metadata={"format": "password"})


class RefreshBody(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=512))


class LogoutBody(Schema):
    refresh_token = fields.String(validate=validate.Length(min=1, max=512))


class ProfilePatch(Schema):
    display_name = fields.String(validate=[validate.Length(min=2, max=60), single_line],
                                 metadata={"description": NAME_RULES})
    bio = fields.String(validate=[validate.Length(max=500), multi_line])
    language = fields.String(validate=validate.OneOf(["fr", "en"]), metadata={
        "description": "what I read Agora in: notifications, e-mails, error messages (the "
                       "access tokens issued from now on carry it)"})


class PasswordChange(Schema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class EraseBody(Schema):
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024),
                             metadata={"description": "the current password, to confirm",
                                       "format": "password"})


class RolesBody(Schema):
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(max=4),
                        metadata={"description": "the complete set of roles (member implied)"})


class AdvisorBody(Schema):
    advisor_id = ids.USER.field(required=True)
    branch = fields.String(required=True, validate=[validate.Length(min=1, max=80), single_line])


class VerificationBody(Schema):
    verified_customer = fields.Boolean(required=True)


# -- responses --------------------------------------------------------------------------------

class LocalizedText(Schema):
    en = fields.String(required=True)
    fr = fields.String(required=True)


class RegistrationReceived(Schema):
    status = fields.String(required=True, metadata={"example": "received"})
    email = fields.String(required=True, metadata={"description": "the address, normalised"})
    message = fields.Nested(LocalizedText, required=True,
                            metadata={"description": "what to tell the person, in English "
                                      "and French"})


class PasswordResetReceived(Schema):
    status = fields.String(required=True, metadata={"example": "received"})
    message = fields.Nested(LocalizedText, required=True,
                            metadata={"description": "what to tell the person, in English "
                                      "and French"})


class PublicProfile(Schema):
    id = fields.String(required=True)
    display_name = fields.String(required=True)
    bio = fields.String()
    badges = fields.List(fields.String(), metadata={"description": "bank_advisor, "
                                                    "verified_customer, community_manager"})
    roles = fields.List(fields.String())
    joined_at = fields.String()


class Avatar(Schema):
    initial = fields.String(required=True, metadata={"example": "A", "description":
                            "first letter or digit of the name, upper-cased; ? when none"})
    color = fields.String(required=True, metadata={
        "example": "#1d4ed8", "description": "derived from the id; contrast >= 4.5:1 with "
        "white text, for use as the background behind the initial"})


class MemberSummary(Schema):
    """The public summary of an author or actor, carried in every list (no extra call)."""

    id = fields.String(required=True)
    display_name = fields.String(required=True, metadata={
        "description": f"an erased member shows the fixed label \"{ERASED_DISPLAY_NAME}\""})
    badges = fields.List(fields.String(), required=True, metadata={
        "description": "bank_advisor | community_manager | verified_customer"})
    avatar = fields.Nested(Avatar, required=True)


class CommaSeparated(fields.List):
    """A query parameter holding a comma-separated list (`?ids=a,b,c`)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list):
            value = ",".join(value)
        if not isinstance(value, str):
            raise ValidationError("a comma-separated list")
        return super()._deserialize([part.strip() for part in value.split(",") if part.strip()],
                                    attr, data, **kwargs)


class AdvisorAssignment(Schema):
    advisor = fields.Nested(PublicProfile, required=True)
    branch = fields.String(required=True)
    assigned_at = fields.String()


class AdvisorAway(Schema):
    until = fields.String(required=True, metadata={"description": "the day the advisor is back"})
    backup = fields.Nested(PublicProfile, required=True, metadata={
        "description": "the colleague who answers meanwhile"})


class MyAdvisor(AdvisorAssignment):
    away = fields.Nested(AdvisorAway, required=True, allow_none=True, metadata={
        "description": "the advisor is away (their backup answers meanwhile); null when not"})


class AbsenceBody(Schema):
    until = fields.Date(required=True, metadata={
        "description": "the day I am back (tomorrow at the earliest, at most 90 days ahead)"})
    backup_email = fields.String(required=True, validate=validate.Length(min=3, max=254),
                                 metadata={"description": "a colleague's verified address"})


class AbsenceBackup(Schema):
    id = fields.String(required=True)
    display_name = fields.String(allow_none=True, metadata={
        "description": "null (and `email` too) once the backup erased their account"})
    email = fields.String(allow_none=True)


class Absence(Schema):
    until = fields.String(required=True, allow_none=True, metadata={
        "description": "the day I am back; null: not away"})
    backup_id = fields.String(required=True, allow_none=True)
    backup = fields.Nested(AbsenceBackup, required=True, allow_none=True)


class PrivateProfile(PublicProfile):
    email = fields.String(required=True)
    email_verified = fields.Boolean(metadata={
        "description": "the owner followed the e-mailed confirmation link (or reset the "
                       "password by e-mail); until then no lookup by address finds the account"})
    customer = fields.Boolean()
    verified_customer = fields.Boolean()
    advisor = fields.Nested(AdvisorAssignment, allow_none=True)
    language = fields.String(metadata={"description": "fr (default) | en"})


class UsersQuery(Schema):
    """GET /users: `ids` (public summaries), `email` (staff, bank systems; audited) or `name`
    (staff), one of them."""

    ids = CommaSeparated(
        fields.String(validate=validate.Regexp(r"^[A-Za-z0-9._:@-]{1,128}$",
                                               error="not a member id")),
        validate=validate.Length(min=1, max=MAX_BATCH_IDS),
        metadata={"description": f"comma-separated member ids, at most {MAX_BATCH_IDS}: their "
                                 "public summaries"})
    email = fields.String(validate=validate.Length(min=3, max=254), metadata={
        "description": "admins, community managers and bank systems (X-Agora-Service-Key): "
                       "the member with this e-mail address (0 or 1 item); every lookup is "
                       "audited as a privileged read"})
    name = fields.String(validate=validate.Length(min=1, max=100), metadata={
        "description": "admins and community managers: members whose display name starts "
                       "with this (accents and case ignored), in name order, in pages"})
    cursor = fields.String(allow_none=True, validate=validate.Length(max=500), metadata={
        "description": "with name: the next page (`next_cursor` of the previous one)"})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100), metadata={
        "description": "with name: members per page"})

    @validates_schema
    def _one_of(self, data, **kwargs):
        if sum(bool(data.get(key)) for key in ("ids", "email", "name")) > 1:
            raise ValidationError("give one of ids, email or name", "_schema")


class UserListItem(PrivateProfile):
    """A public summary (with ids or name: anyone sees them) or, found by e-mail, a private
    profile (admins and community managers only): the private fields come with email only."""

    email = fields.String(metadata={"description": "with email only"})
    avatar = fields.Nested(Avatar, metadata={"description": "with ids or name"})


class UserLookup(Schema):
    items = fields.List(fields.Nested(UserListItem), required=True, metadata={
        "description": "with ids: public summaries (id, display_name, badges, avatar) in the "
                       "order asked, each once, unknown ids left out; with email: the member "
                       "found (private profile: e-mail, roles, advisor), or none; with "
                       "name: public summaries in name order"})
    next_cursor = fields.String(allow_none=True, metadata={
        "description": "with name: the next page (null: the last one)"})


class LoginResult(Schema):
    """Either the token pair, or (a second factor is needed) a challenge without tokens."""

    access_token = fields.String(metadata={"description": "absent when a second factor is "
                                           "needed"})
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_in = fields.Integer(metadata={"description": "seconds: of the access token, or "
                                          "of the challenge (300)"})
    refresh_token = fields.String()
    refresh_expires_in = fields.Integer(metadata={"description": "seconds"})
    user_id = fields.String()
    mfa_required = fields.Boolean(metadata={"description": "true: answer the challenge with a "
                                            "code at POST /auth/login/mfa"})
    mfa_setup_required = fields.Boolean(metadata={
        "description": "true: a staff account without a second factor: POST /auth/mfa/enroll "
                       "with the challenge, then POST /auth/login/mfa with the first code"})
    challenge = fields.String(metadata={"description": "opaque, single use, expires_in seconds"})


class SecondFactorAnswer(Schema):
    challenge = fields.String(required=True, validate=validate.Length(min=1, max=200))
    code = fields.String(required=True, validate=validate.Length(min=6, max=32),
                         metadata={"description": "the 6-digit TOTP code, or a recovery code "
                                   "(xxxxx-xxxxx, each works once)"})


class ChallengeBody(Schema):
    challenge = fields.String(required=True, validate=validate.Length(min=1, max=200))


class Enrolment(Schema):
    secret = fields.String(required=True, metadata={"description": "base32 TOTP secret"})
    otpauth_uri = fields.String(required=True, metadata={"description": "for a QR code"})
    recovery_codes = fields.List(fields.String(), required=True, metadata={
        "description": "shown this once (only their hashes are kept); each replaces a code "
                       "once"})


class SecondFactorStatus(Schema):
    enabled = fields.Boolean(required=True)
    required = fields.Boolean(metadata={"description": "staff: mandatory"})
    enabled_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    recovery_codes_left = fields.Integer()


class CodeBody(Schema):
    code = fields.String(required=True, validate=validate.Length(min=6, max=32))


class DisableSecondFactor(Schema):
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024),
                             metadata={"format": "password"})
    code = fields.String(required=True, validate=validate.Length(min=6, max=32),
                         metadata={"description": "a current TOTP code"})


class SecondFactorReset(Schema):
    user_id = fields.String(required=True)
    second_factor = fields.String(required=True, metadata={"example": "reset"})


class TokenPair(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "seconds"})
    refresh_token = fields.String(required=True)
    refresh_expires_in = fields.Integer(metadata={"description": "seconds"})
    user_id = fields.String()


class CustomerAdvisor(Schema):
    user_id = fields.String(required=True)
    advisor = fields.Nested(PublicProfile, required=True)
    branch = fields.String(required=True)
    assigned_at = fields.String()


class ExportSession(Schema):
    id = fields.String(required=True)
    client = fields.String(allow_none=True, metadata={"description": "client address"})
    created_at = fields.String(allow_none=True)
    refreshed_at = fields.String(allow_none=True)
    expires_at = fields.String(allow_none=True)
    revoked_at = fields.String(allow_none=True)
    revoked_reason = fields.String(allow_none=True)


class ExportLogin(Schema):
    at = fields.String(allow_none=True)
    outcome = fields.String(metadata={"description": "success | bad_credentials | throttled | "
                                      "second_factor_required"})
    client = fields.String(allow_none=True)
    action = fields.String(metadata={"description": "login, change_password, erase_account"})


class Pong(Schema):
    pong = fields.Boolean(required=True)
    service = fields.String()


STEP_UP_HEADER = "X-Agora-TOTP"


def step_up_code(call: Call) -> str | None:
    """The step-up code of a privileged change (a header: the bodies stay the resource's)."""
    code = call.request.headers.get(STEP_UP_HEADER)
    return code.strip()[:32] if code else None


class IdentityRoutes:
    identity = RpcProxy("identity")

    # -- auth

    @route("POST", "/api/v1/auth/register", auth="public", body=RegisterBody,
           response=RegistrationReceived, status=202, tags=["auth"], errors=[429],
           on_refused_body=_refused_registration)
    def register(self, call: Call):
        """Create an account (e-mail unique, case-insensitively), then log in

        The answer is the same whether or not the address already has an account (202, same
        body, same work done), so registration cannot tell anyone which addresses are
        customers'. A new address gets its account at once: log in with it. It is also
        e-mailed a confirmation link (`POST /auth/email-verification/confirm`): until its owner
        follows it, no lookup by address finds the account (`GET /me` says `email_verified`).
        Addresses are keyed without invisible characters; quoted local parts, IP-literal
        domains and domains mixing alphabets are refused (400 on `email`). The owner of a
        taken address is told by e-mail (at most once an hour) that someone tried to register
        it; nothing else happens. Weak passwords are refused before anything else (400 with
        the estimator's feedback), together with the other fields' refusals: one answer
        lists every field to correct. Attempts are limited per client address (429).
        """
        return self.identity.register(call.body, call.client)

    @route("POST", "/api/v1/auth/login", auth="public", body=LoginBody, response=LoginResult,
           tags=["auth"], idempotent=False, errors=[401, 429])
    def login(self, call: Call):
        """Log in: a short-lived access token and a rotating refresh token

        When the account needs a second factor (staff always, members who turned it on), a
        correct password answers 200 `{"mfa_required": true, "challenge": "...",
        "expires_in": 300}` without tokens: send the challenge and a code to
        `POST /auth/login/mfa`. A staff account not enrolled yet gets
        `{"mfa_setup_required": true, "challenge", "expires_in"}`: enrol with
        `POST /auth/mfa/enroll`, then `POST /auth/login/mfa` with the first code.

        Failed attempts are counted per (client address, account) pair — 5 in 15 minutes, then
        429 with Retry-After for that pair only, so someone failing on purpose against a known
        member does not lock them out: the member's own address is another pair —, per address
        (30, all accounts) and per account across addresses it never logged in from (100: a
        distributed guess; an address the account logged in from before is exempt).
        """
        return self.identity.login(call.body["email"], call.body["password"], call.client)

    @route("POST", "/api/v1/auth/login/mfa", auth="public", body=SecondFactorAnswer,
           response=TokenPair, tags=["auth"], idempotent=False, errors=[401, 429])
    def login_second_factor(self, call: Call):
        """Log in, second step: the challenge and a TOTP code (or a recovery code) -> tokens

        A wrong code answers 401 (the challenge allows 5 attempts); wrong codes are limited per
        account (429 with Retry-After). Each TOTP code and each recovery code works once.
        """
        return self.identity.login_second_factor(call.body["challenge"], call.body["code"],
                                                 call.client)

    @route("POST", "/api/v1/auth/mfa/enroll", auth="public", body=ChallengeBody,
           response=Enrolment, tags=["auth"], idempotent=False, errors=[401, 409])
    def enrol_with_challenge(self, call: Call):
        """Enrol a second factor during a staff login (`mfa_setup_required`)

        Answers the TOTP secret (and its otpauth:// URI for a QR code) and 10 recovery codes,
        shown this once. Confirm with the first code at `POST /auth/login/mfa`.
        """
        return self.identity.enrol_with_challenge(call.body["challenge"])

    @route("POST", "/api/v1/auth/password-reset", auth="public", body=PasswordResetBody,
           response=PasswordResetReceived, status=202, tags=["auth"], idempotent=False,
           errors=[429])
    def request_password_reset(self, call: Call):
        """Forgotten password: e-mail a link to choose a new one

        The answer is the same whether or not the address has an account (202, same body), so
        it tells nobody which addresses are customers'. An account's address receives, in its
        owner's language, a link to `{AGORA_WEB_URL}/password/reset?token=...` that works once,
        for 30 minutes (`AGORA_PASSWORD_RESET_SECONDS`); asking again, resetting or changing
        the password ends the earlier links. Requests are limited like failed logins, whether
        or not the address has an account: per (client address, address) pair (5 an hour),
        per client address (30) and per address from clients it never logged in from (10);
        429 with Retry-After beyond.
        """
        return self.identity.request_password_reset(call.body, call.client)

    @route("POST", "/api/v1/auth/password-reset/confirm", auth="public",
           body=PasswordResetConfirmBody, status=204, tags=["auth"], idempotent=False)
    def confirm_password_reset(self, call: Call):
        """Choose a new password with the e-mailed link's token

        204: the password is changed, every session of the account is revoked and none is
        opened: log in with the new password — and the second factor when the account has one
        (a reset never bypasses it). 400 with `errors.token` for an unknown, used or expired
        link (ask for a new one), with `errors.password` for a password the strength rules
        refuse (the link still works: try another). The owner is told by e-mail that the
        password was reset.
        """
        self.identity.confirm_password_reset(call.body, call.client)
        return None

    @route("POST", "/api/v1/auth/email-verification/confirm", auth="public",
           body=EmailVerificationBody, response=EmailVerificationStatus, tags=["auth"],
           idempotent=False)
    def confirm_email_verification(self, call: Call):
        """Confirm an account's e-mail address with the e-mailed link's token

        Sign-up e-mails a link to `{AGORA_WEB_URL}/verify-email?token=...` (48 hours,
        `AGORA_EMAIL_VERIFICATION_SECONDS`, once, only the latest); the site's page POSTs it
        here (a GET never consumes it: mail scanners open links). 200: the address is verified
        (`GET /me` says `email_verified`); a completed password reset verifies it too. Until
        then the address matches nobody: `GET /users?email=` and the social intake's
        `matched_email` answer as for an unknown address. 400 with `errors.token` for an
        unknown, used or expired link (ask for a new one: `POST /me/email-verification`).
        """
        return self.identity.confirm_email_verification(call.body)

    @route("POST", "/api/v1/auth/refresh", auth="public", body=RefreshBody, response=TokenPair,
           tags=["auth"], idempotent=False, errors=[401])
    def refresh(self, call: Call):
        """Trade a refresh token for new tokens (rotation)

        Every refresh token works once. Presenting one that was already used revokes the whole
        session (every token descended from the same login): it has been stolen or replayed.
        A revoked session's 401 carries `reason` (e.g. `roles_changed`: "your roles changed:
        sign in again").
        """
        return self.identity.refresh(call.body["refresh_token"], call.client)

    @route("POST", "/api/v1/auth/logout", auth="public", body=LogoutBody, body_required=False,
           status=204, tags=["auth"], errors=[401])
    def logout(self, call: Call):
        """Log out: revoke the session of the access token and/or the refresh token"""
        self.identity.logout(call.actor, call.body.get("refresh_token"))
        return None

    # -- me

    @route("GET", "/api/v1/me", auth="member", response=PrivateProfile, tags=["me"])
    def get_me(self, call: Call):
        """My private profile"""
        return self.identity.get_me(call.actor)

    @route("PATCH", "/api/v1/me", auth="member", body=ProfilePatch, response=PrivateProfile,
           tags=["me"], errors=[409])
    def update_me(self, call: Call):
        """Change my display name or bio"""
        return self.identity.update_me(call.actor, call.body)

    @route("POST", "/api/v1/me/email-verification", auth="member",
           response=EmailVerificationStatus, status=202, tags=["me"], idempotent=False,
           errors=[429])
    def resend_email_verification(self, call: Call):
        """E-mail my address's confirmation link again

        A new link (the earlier ones stop working), unless the address is verified already
        (`email_verified: true`, nothing sent); 5 an hour per account, 429 with Retry-After
        beyond."""
        return self.identity.resend_email_verification(call.actor)

    @route("POST", "/api/v1/me/password", auth="member", body=PasswordChange, status=204,
           tags=["me"], errors=[429])
    def change_password(self, call: Call):
        """Change my password (with the current one); every session is revoked"""
        self.identity.change_password(call.actor, call.body["current_password"],
                                      call.body["new_password"], call.client)
        return None

    @route("DELETE", "/api/v1/me", auth="member", body=EraseBody, status=204, tags=["me"],
           errors=[429])
    def erase_me(self, call: Call):
        """Erase my account (GDPR), confirmed with my password

        Every session is revoked, the e-mail address and password are deleted (the address can
        register again), the public profile shows "Ancien membre · Former member". A wrong
        password answers 400.
        """
        self.identity.erase_me(call.actor, call.body, call.client)
        return None

    @route("GET", "/api/v1/me/mfa", auth="member", response=SecondFactorStatus, tags=["me"])
    def get_my_second_factor(self, call: Call):
        """My second factor: on or off, mandatory (staff), recovery codes left"""
        return self.identity.get_my_second_factor(call.actor)

    @route("POST", "/api/v1/me/mfa", auth="member", response=Enrolment, status=201,
           tags=["me"], idempotent=False, errors=[409])
    def start_my_second_factor(self, call: Call):
        """Turn on a second factor: a TOTP secret and 10 recovery codes, shown this once

        Nothing changes until `POST /me/mfa/confirm` with a first code (409 when one is
        already active).
        """
        return self.identity.start_my_second_factor(call.actor)

    @route("POST", "/api/v1/me/mfa/confirm", auth="member", body=CodeBody,
           response=SecondFactorStatus, tags=["me"], errors=[429])
    def confirm_my_second_factor(self, call: Call):
        """Confirm my second factor with a first code; from then on logins ask for a code"""
        return self.identity.confirm_my_second_factor(call.actor, call.body["code"])

    @route("DELETE", "/api/v1/me/mfa", auth="member", body=DisableSecondFactor, status=204,
           tags=["me"], errors=[429])
    def disable_my_second_factor(self, call: Call):
        """Turn my second factor off, with my password and a current code (members only:
        staff keep theirs, 403)"""
        self.identity.disable_my_second_factor(call.actor, call.body["password"],
                                               call.body["code"], call.client)
        return None

    @route("GET", "/api/v1/me/advisor", auth="member", response=MyAdvisor, tags=["me"])
    def get_my_advisor(self, call: Call):
        """My advisor and branch (404 when none is assigned)"""
        return self.identity.get_my_advisor(call.actor)

    @route("PUT", "/api/v1/me/absence", auth="staff", body=AbsenceBody, response=Absence,
           tags=["me"], errors=[403, 422])
    def set_my_absence(self, call: Call):
        """Declare my absence (advisors): a colleague answers my customers until I am back

        While `until` (the day I am back, in the bank's time zone, Europe/Paris) is ahead, a
        customer of mine writing in a conversation of ours brings my backup into it
        (`participant_added`, `added_by: "absence"`), as long as the backup is still staff with
        an account when the customer writes. A backup who leaves such a conversation is not
        brought back by the same absence (a later declaration may). When the absence ends (the
        return day, or `DELETE`), nobody more is brought in; a backup already in a conversation
        stays a participant until they leave it. The backup is found by their verified
        address: nobody's and a non-staff member's get the same 422; myself too (422). `until`
        in the past, today or beyond 90 days: 422 on the field."""
        return self.identity.set_my_absence(call.actor, {
            "until": call.body["until"].isoformat(), "backup_email": call.body["backup_email"]})

    @route("GET", "/api/v1/me/absence", auth="staff", response=Absence, tags=["me"],
           errors=[403])
    def get_my_absence(self, call: Call):
        """My absence (advisors): `until: null` when I am not away"""
        return self.identity.get_my_absence(call.actor)

    @route("DELETE", "/api/v1/me/absence", auth="staff", status=204, tags=["me"],
           errors=[403])
    def end_my_absence(self, call: Call):
        """Back early (advisors): my backup is no longer brought in; idempotent"""
        self.identity.end_my_absence(call.actor)
        return None

    # -- users

    # `email` is the staff's and the bank systems', `name` the staff's: identity checks who
    # asks (auth "public" lets the `ids` summaries stay open to anyone)
    @route("GET", "/api/v1/users", auth="public", query=UsersQuery, response=UserLookup,
           tags=["users"], errors=[403])
    def find_users(self, call: Call):
        """Look members up: `?ids=a,b,c` (anyone), `?email=` (staff, bank systems), `?name=` (staff)

        `ids`: the public summaries (name, badges, avatar) of up to 100 members, in the order
        asked, unknown ids left out. `email`: admins and community managers (access token)
        and bank systems (`X-Agora-Service-Key`) only — 401 without a credential, 403 for
        members — to find the Agora id of a customer the bank knows by address (then
        `PUT /users/{id}/verification` or `/advisor`) or open a member's console page. The
        address is matched as identity normalises it (case, surrounding spaces, invisible
        characters); only an address its owner has verified matches (the confirmation link
        e-mailed at sign-up, or a password reset): an unverified account is 0 items, as an
        unknown address. The answer is the member's private profile (0 or 1 item), the same
        for staff and bank systems.
        Every lookup, found or not, is audited as a privileged read: who (the staff member's
        id, or `service:<name>` for a bank system), when, which member was found — never the
        address. `name`: admins and community managers, the public summaries of the members
        whose display name starts with it, cursor-paged.
        """
        if call.query.get("ids"):
            return self.identity.get_users(call.query["ids"])
        if call.query.get("name"):
            return self.identity.find_users_by_name(call.actor, {
                key: call.query[key] for key in ("name", "cursor", "limit")
                if call.query.get(key)})
        if not call.query.get("email"):
            raise InvalidInput("give ids, email or name",
                               {"fields": {"ids": ["ids, email or name"]}})
        return self.identity.find_users_by_email(call.actor, call.query["email"], call.client)

    @route("GET", "/api/v1/users/{id}", path_params=USER_PATH, auth="public",
           response=PublicProfile, tags=["users"], errors=[404, 410])
    def get_user(self, call: Call):
        """A member's public profile (410 once they deleted their account: their contributions
        stay, signed "former member", but nothing ties them together any more)"""
        return self.identity.get_profile(call.path["id"])

    @route("GET", "/api/v1/users/{id}/private", path_params=USER_PATH, auth="member",
           response=PrivateProfile, tags=["users"])
    def get_private_profile(self, call: Call):
        """A member's private profile: e-mail, customer, badge, advisor (admins and community
        managers, 403 for others; every read audited as a privileged read)"""
        return self.identity.get_private_profile(call.actor, call.path["id"], call.client)

    @route("PUT", "/api/v1/users/{id}/roles", path_params=USER_PATH, auth="admin", body=RolesBody,
           response=PublicProfile, tags=["users"], errors=[422])
    def set_roles(self, call: Call):
        """Set a user's roles (admin; step-up: a fresh second factor)

        Step-up: the admin's session must have proved its second factor within the last 5
        minutes (at login or by a previous step-up), else send the current code in the
        `X-Agora-TOTP` header; without it 403 with `errors["X-Agora-TOTP"]`. Taking a role
        away signs the member out at once: their next call answers 401 with `reason`
        `roles_changed` ("your roles changed: sign in again", in their language).
        """
        return self.identity.set_roles(call.actor, call.path["id"], call.body["roles"],
                                       step_up_code(call))

    @route("PUT", "/api/v1/users/{id}/advisor", path_params=USER_PATH, auth="admin|service",
           body=AdvisorBody, response=CustomerAdvisor, tags=["users"], errors=[422])
    def assign_advisor(self, call: Call):
        """Assign a customer to an advisor and branch (admin with step-up, or bank system)

        An admin needs a fresh second factor as for roles (`X-Agora-TOTP`); a bank system's
        service credential does not.
        """
        return self.identity.assign_advisor(call.actor, call.path["id"], call.body["advisor_id"],
                                            call.body["branch"], step_up_code(call))

    @route("DELETE", "/api/v1/users/{id}/mfa", path_params=USER_PATH, auth="admin",
           response=SecondFactorReset,
           tags=["users"], errors=[422])
    def reset_second_factor(self, call: Call):
        """Reset a user's second factor after a lost device (admin; step-up; audited)

        The second factor is deleted and the user's sessions revoked; a staff member enrols
        again at the next login. Recorded as `identity.mfa_disabled` (reason admin_reset,
        actor: the admin). An admin cannot reset their own (422).
        """
        return self.identity.reset_second_factor(call.actor, call.path["id"],
                                                 step_up_code(call))

    @route("PUT", "/api/v1/users/{id}/verification", path_params=USER_PATH, auth="admin|service",
           body=VerificationBody, response=PublicProfile, tags=["users"])
    def set_verification(self, call: Call):
        """Confirm (or withdraw) the verified-customer badge (admin or bank system)"""
        return self.identity.set_verification(call.actor, call.path["id"],
                                              call.body["verified_customer"])

    # -- baseline for bench/gateway.py and monitoring: one bare RPC hop

    @route("GET", "/api/v1/ping", auth="public", response=Pong, tags=["operations"])
    def ping(self, call: Call):
        """One RPC round trip to identity, nothing else"""
        return self.identity.ping()

    # -- revoked sessions: access tokens of a revoked session stop working at once

    @reliable_handler("identity", "identity.sessions_revoked", private=True)
    def on_sessions_revoked(self, event: Envelope):
        self.auth.record_revoked(event.payload.get("session_ids") or [],
                                 event.payload.get("reason"))

    @reliable_handler("identity", USER_ERASED)
    def on_user_erased(self, event: Envelope):
        """The answers saved for the erased member's Idempotency-Keys go (they hold their name
        and what they wrote); a redelivery finds nothing left."""
        self.idempotency.forget_owner(event.payload["user_id"])
