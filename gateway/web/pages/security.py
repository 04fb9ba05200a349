"""A member's second factor (TOTP) on the site: see whether it is on, turn it on, turn it off.

Every step is identity's RPC behind the matching `/api/v1/me/mfa` route, with the API's own
schemas; identity decides (a wrong code, the password, staff who must keep theirs — its
message is shown as it comes, in the reader's language).

Turning it on is two posts. The first asks identity for a pending secret and shows it three
ways: an `otpauth://` link (on a phone it opens the authenticator app), a QR code rendered here
as inline SVG (for a desktop; no image request, nothing for the CSP to block) and the secret in
groups of four for typing. The second sends the first code. identity hands a pending secret out
once (no API reads it back: a stolen access token could otherwise pick up a secret before its
owner confirms it), so the confirmation form carries the enrolment back in hidden fields, only
to show it again after a wrong code; identity checks the code against its own copy. The recovery
codes are shown once the factor is on, when they matter. Secrets travel in POST bodies only,
never in a URL, and are never logged.
"""
from __future__ import annotations

import math
import re
from typing import Any

import segno
from markupsafe import Markup
from marshmallow import fields, validate
from nameko.rpc import RpcProxy

from ...routes.identity import CodeBody, DisableSecondFactor
from ..page import PageCall, page

BASE32_SECRET = re.compile(r"^[A-Z2-7]{16,128}$")
RECOVERY_CODE = re.compile(r"^[a-z0-9]{5}-[a-z0-9]{5}$")
OTPAUTH_PREFIX = "otpauth://totp/"


class ConfirmForm(CodeBody):
    """The API's confirmation body (`code`) and, to show the enrolment again after a wrong
    code, what identity answered when it started (never trusted: identity holds the secret)."""

    secret = fields.String(required=True, validate=validate.Regexp(BASE32_SECRET))
    otpauth_uri = fields.String(required=True, validate=[
        validate.Length(max=500), validate.Regexp("^" + re.escape(OTPAUTH_PREFIX))])
    recovery_codes = fields.String(required=True, validate=validate.Length(max=200))


def secret_groups(secret: str) -> str:
    """`JBSW Y3DP EHPK 3PXP`: easier to read and type than 32 letters in a row."""
    return " ".join(secret[start:start + 4] for start in range(0, len(secret), 4))


def qr_svg(uri: str, title: str) -> Markup:
    """The otpauth URI as an inline SVG QR code (segno, pure Python), dark on light with the
    quiet zone the standard asks for; sized by CSS."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=1, border=4, dark="#000", light="#fff", omitsize=True, title=title,
        svgclass="mfa-qr-code", lineclass=None)
    return Markup(svg.replace("<svg ", '<svg role="img" aria-labelledby="mfa-qr-title" ', 1)
                  .replace("<title>", '<title id="mfa-qr-title">', 1))


def enrolment_view(call: PageCall, secret: str, otpauth_uri: str,
                   recovery_codes: list[str]) -> dict[str, Any]:
    return {"secret": secret, "secret_groups": secret_groups(secret),
            "otpauth_uri": otpauth_uri, "recovery": " ".join(recovery_codes),
            "qr": qr_svg(otpauth_uri, call.t("security.qr_title"))}


def as_sentence(detail: str | None) -> str | None:
    """identity's details are clauses ("staff accounts must keep..."): shown as a sentence."""
    detail = (detail or "").strip()
    if not detail:
        return None
    return detail[:1].upper() + detail[1:] + ("" if detail.endswith((".", "!", "?")) else ".")


def throttled(call: PageCall, problem) -> str:
    minutes = math.ceil(int(problem.body.get("retry_after") or 60) / 60)
    return call.t("account.throttled", minutes=minutes)


class SecurityPages:
    identity = RpcProxy("identity")

    @page("GET", "/me/security", auth="member")
    def security_page(self, call: PageCall):
        return self._status_page(call)

    def _status_page(self, call: PageCall, status: int = 200, errors=None, message=None,
                     done=None, recovery_codes=None):
        second_factor = self.identity.get_my_second_factor(call.actor)
        return call.render("security/status.html", status=status,
                           second_factor=second_factor, errors=errors or {}, message=message,
                           done=done, recovery_codes=recovery_codes or [],
                           title=call.t("security.title"), noindex=True)

    # -- turn on

    @page("POST", "/me/security/enrol", auth="member")
    def start_second_factor_page(self, call: PageCall):
        enrolment, problem = call.attempt(self.identity.start_my_second_factor, call.actor)
        if problem is not None:  # 409: it is on already (another tab)
            return self._status_page(call, problem.status,
                                     message=as_sentence(problem.body.get("detail")))
        return self._enrol_page(call, enrolment_view(call, enrolment["secret"],
                                                     enrolment["otpauth_uri"],
                                                     enrolment["recovery_codes"]))

    def _enrol_page(self, call: PageCall, enrolment: dict[str, Any], status: int = 200,
                    error: str | None = None):
        return call.render("security/enrol.html", status=status, enrolment=enrolment,
                           error=error, title=call.t("security.enrol_title"), noindex=True)

    @page("POST", "/me/security/confirm", auth="member", form=ConfirmForm)
    def confirm_second_factor_page(self, call: PageCall):
        raw = call.raw_form
        recovery = [code for code in str(raw.get("recovery_codes", "")).split()
                    if RECOVERY_CODE.match(code)]
        errors = call.form_errors or {}
        if "secret" in errors or "otpauth_uri" in errors or "recovery_codes" in errors:
            return call.redirect("/me/security")  # not our form: start again from the page
        enrolment = enrolment_view(call, raw["secret"], raw["otpauth_uri"], recovery)
        if errors:
            return self._enrol_page(call, enrolment, 400, call.t("security.code_invalid"))
        _, problem = call.attempt(self.identity.confirm_my_second_factor, call.actor,
                                  call.form["code"])
        if problem is not None:
            if problem.status == 429:
                return self._enrol_page(call, enrolment, 429, throttled(call, problem))
            if self.identity.get_my_second_factor(call.actor)["enabled"]:
                return call.redirect("/me/security")  # confirmed already (sent twice)
            return self._enrol_page(call, enrolment, problem.status,
                                    call.t("security.code_wrong"))
        return self._status_page(call, done="enabled", recovery_codes=recovery)

    # -- turn off

    @page("POST", "/me/security/disable", auth="member", form=DisableSecondFactor)
    def disable_second_factor_page(self, call: PageCall):
        if call.form_errors:
            return self._status_page(call, 400, self._field_errors(call, call.form_errors))
        _, problem = call.attempt(self.identity.disable_my_second_factor, call.actor,
                                  call.form["password"], call.form["code"], call.client)
        if problem is None:
            return self._status_page(call, done="disabled")
        if problem.status == 429:
            return self._status_page(call, 429, message=throttled(call, problem))
        fields_ = problem.body.get("errors") or {}
        if fields_:
            return self._status_page(call, problem.status, self._field_errors(call, fields_))
        # staff keep their second factor: identity's own words
        return self._status_page(call, problem.status,
                                 message=as_sentence(problem.body.get("detail")))

    def _field_errors(self, call: PageCall, errors: dict[str, Any]) -> dict[str, str]:
        messages = {}
        for name in ("password", "code"):
            if name not in errors:
                continue
            text = " ".join(map(str, errors[name] if isinstance(errors[name], list)
                                else [errors[name]])).lower()
            if "required" in text or "missing" in text:
                messages[name] = call.t("account.field_required")
            elif name == "password":
                messages[name] = call.t("security.password_wrong")
            elif "length" in text or "shorter" in text or "longer" in text:
                messages[name] = call.t("security.code_invalid")
            else:
                messages[name] = call.t("security.code_wrong")
        return messages
