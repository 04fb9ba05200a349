"""Joining and the browser session: register, log in, log out, refresh, language switch, a
forgotten password.

The forms post to these pages (not to /api/v1), which call identity's RPCs exactly as the API's
auth routes do and keep the tokens in HttpOnly cookies (gateway/web/session.py). Field rules are
the API's own schemas (RegisterBody, LoginBody, PasswordResetBody...); the service decides the
rest (password strength, unique e-mail, throttling, a reset link's validity).

A reset link (`/password/reset?token=...`, e-mailed by notifications) is opened once: its token
moves into a cookie of that page only (`RESET_COOKIE`) and the browser is sent to the bare
address, so the token leaves the address bar and never rides in a `next=` or a Referer from
the page; the form then carries the CSRF token and the new password only.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate
from nameko.rpc import RpcProxy
from werkzeug.wrappers import Response

from services.notifications.domain import (
    EMAIL_VERIFICATION_PAGE,
    FORGOTTEN_PASSWORD_PAGE,
    PASSWORD_RESET_PAGE,
)
from services.shared import i18n as catalogue
from services.shared.actors import is_person, is_staff

from ...routes.identity import (
    LoginBody,
    PasswordResetBody,
    PasswordResetConfirmBody,
    RegisterBody,
    SecondFactorAnswer,
    password_refusal,
)
from .. import i18n
from ..page import LOGIN_PATH, PageCall, page, sign_in_first
from ..session import ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE, ended_notice
from .security import as_sentence, throttled

FIELD_MESSAGES = {
    "email": "account.invalid_email",
    "display_name": "account.invalid_display_name",
    "password": "account.weak_password",
}
# Signing in checks a password, it never judges one: an empty field asks for it.
LOGIN_MESSAGES = {**FIELD_MESSAGES, "password": "account.enter_password"}
REGISTER_FIELDS = ("display_name", "email", "password")  # as the form shows them
RESET_COOKIE = "agora_reset"  # a reset link's token, for its page only (path PASSWORD_RESET_PAGE)
RESET_COOKIE_SECONDS = 3600  # longer than a link lives: identity decides whether it still works
# the address's confirmation link's token, for its page only (path EMAIL_VERIFICATION_PAGE): out
# of the address bar before any page renders — htmx keeps the page's address in sessionStorage
# (`htmx-current-path-for-history`), where page scripts could read a token left in it
VERIFY_COOKIE = "agora_verify"
VERIFY_COOKIE_SECONDS = 48 * 3600  # as long as a confirmation link lives
NEW_PASSWORD_FORM = PasswordResetConfirmBody(only=("password",))  # the token is the cookie's


class ResetLinkQuery(Schema):
    token = fields.String(validate=validate.Length(max=200))


def as_written(problems: Any) -> str:
    """A field's messages as the code wrote them (English), whatever the language the API
    answered in: what the pages read to choose their own sentence."""
    values = problems if isinstance(problems, list) else [problems]
    return " ".join(catalogue.field_text("en", str(value)) for value in values)


def field_errors(call: PageCall, errors: dict[str, Any] | None,
                 keys: dict[str, str] = FIELD_MESSAGES) -> dict[str, str]:
    """Per-field messages in the reader's language, the site's own sentences; `keys` names
    each field's catalogue key."""
    messages = {}
    for name, problems in (errors or {}).items():
        text = as_written(problems)
        if "required" in text.lower() or "missing" in text.lower():
            messages[name] = call.t("account.field_required")
        else:
            messages[name] = call.t(keys.get(name, "account.field_invalid"))
    return messages


def in_own_words(call: PageCall, messages: dict[str, str], by_language: Any) -> dict[str, str]:
    """`messages` (the site's, per field) with the service's own sentences in the reader's
    language where it wrote some (`fields_i18n`; a problem's `errors_i18n`): the real reason
    ("n'utilisez ni votre adresse e-mail ni votre nom dans votre mot de passe"), where the
    site's sentence can only repeat the rule (a name in a 12-character password was told "at
    least 12 characters")."""
    written = (by_language.get(call.language) if isinstance(by_language, dict) else None) or {}
    for name, texts in written.items():
        if name in messages and texts:
            messages[name] = " ".join(as_sentence(str(text)) or "" for text in (
                texts if isinstance(texts, list) else [texts]))
    return messages


def refusal(call: PageCall, problem, keys: dict[str, str] = FIELD_MESSAGES
            ) -> tuple[dict[str, str], str | None]:
    """A service's refusal as a form shows it: (per-field messages, a message for the form).

    A refusal about fields: the service's own sentence in the reader's language where it wrote
    one (`errors_i18n`: "contient un numéro de téléphone : retirez-le, il serait public"),
    else the site's (`field_errors`). A refusal about no field says its own reason — the wait
    of a throttle, else the problem's detail —, never a made-up field."""
    if problem.status == 429:
        return {}, throttled(call, problem)
    errors = problem.body.get("errors")
    if not isinstance(errors, dict) or not errors:
        return {}, as_sentence(problem.body.get("detail"))
    return in_own_words(call, field_errors(call, errors, keys),
                        problem.body.get("errors_i18n")), None


def landing(actor: dict[str, Any] | None) -> str:
    """Where a sign-in without a `next` lands: the bank's people on their console (whose
    `/console` opens the tab their roles work in: an advisor's inbox, a CM's queue), members
    on the home page. An explicit safe `next` always wins (`PageCall.next_url`)."""
    return "/console" if is_person(actor) and is_staff(actor) else "/"


class AccountPages:
    identity = RpcProxy("identity")

    # -- log in

    @page("GET", "/login")
    def login_form_page(self, call: PageCall):
        if call.actor:
            return call.redirect(call.next_url(landing(call.actor)))
        return self._login_page(call)

    def _login_page(self, call: PageCall, status: int = 200, errors=None, message=None):
        return call.render("account/login.html", status=status, form=call.raw_form,
                           errors=errors or {}, message=message, next=call.next_url(""),
                           title=call.t("account.login_title"), noindex=True)

    @page("POST", "/login", form=LoginBody)
    def login_page(self, call: PageCall):
        if call.form_errors:
            return self._login_page(call, 400,
                                    field_errors(call, call.form_errors, LOGIN_MESSAGES))
        tokens, problem = call.attempt(self.identity.login, call.form["email"],
                                       call.form["password"], call.client)
        if problem is not None:
            message = (throttled(call, problem) if problem.status == 429
                       else call.t("account.bad_credentials"))
            return self._login_page(call, problem.status, message=message)
        # Staff (and members who turned it on) prove a second factor before any cookie is set.
        if tokens.get("mfa_setup_required"):
            enrolment, problem = call.attempt(self.identity.enrol_with_challenge,
                                              tokens["challenge"])
            if problem is not None:
                return self._login_page(call, problem.status,
                                        message=call.t("account.bad_credentials"))
            return self._code_page(call, tokens["challenge"], enrolment=enrolment)
        if tokens.get("mfa_required"):
            return self._code_page(call, tokens["challenge"])
        actor = self._start_session(call, tokens)
        call.cookies.notice("signed_in")
        return call.redirect(call.next_url(landing(actor)))

    def _code_page(self, call: PageCall, challenge: str, status: int = 200, enrolment=None,
                   message=None, setup: bool = False, code_error=None):
        """The second step: a code from the authenticator app (or a recovery code); at the
        first staff login, the new secret and recovery codes first, shown this once.
        `code_error`: what is wrong with the code typed, shown at its field."""
        return call.render("mfa/code.html", status=status, challenge=challenge,
                           enrolment=enrolment, setup=setup or enrolment is not None,
                           message=message, errors={"code": code_error} if code_error else {},
                           next=call.next_url(""), title=call.t("mfa.title"), noindex=True)

    @page("POST", "/login/code", form=SecondFactorAnswer)
    def login_code_page(self, call: PageCall):
        challenge = call.raw_form.get("challenge", "")
        setup = call.request.args.get("setup") == "1"  # the form is the API's body
        if call.form_errors:
            if "challenge" in call.form_errors:
                return self._login_page(call, 400, message=call.t("mfa.expired"))
            return self._code_page(call, challenge, 400, setup=setup,
                                   code_error=call.t("mfa.code_invalid"))
        tokens, problem = call.attempt(self.identity.login_second_factor,
                                       call.form["challenge"], call.form["code"], call.client)
        if problem is not None:
            if problem.status == 429:
                return self._code_page(call, challenge, 429, setup=setup,
                                       message=throttled(call, problem))
            if "code" in (problem.body.get("errors") or {}):
                return self._code_page(call, challenge, problem.status, setup=setup,
                                       code_error=call.t("mfa.code_wrong"))
            # the challenge expired or was used up: start again from the password
            return self._login_page(call, problem.status, message=call.t("mfa.expired"))
        actor = self._start_session(call, tokens)
        call.cookies.notice("signed_in")
        return call.redirect(call.next_url(landing(actor)))

    def _start_session(self, call: PageCall, tokens: dict[str, Any]) -> dict[str, Any]:
        """Set the session's cookies; the actor signed in, for where the sign-in lands."""
        actor = self.auth.actor_for_token(tokens["access_token"])
        call.cookies.sign_in(tokens, actor)
        # The language is a profile setting (the token's `lang` claim): signing in on any
        # device brings it back, whatever this browser's cookie said.
        language = actor.get("language")
        if language in i18n.LANGUAGES and language != call.language:
            call.cookies.set(i18n.LANGUAGE_COOKIE, language, max_age=365 * 86400)
        return actor

    # -- register

    @page("GET", "/register")
    def register_form_page(self, call: PageCall):
        if call.actor:
            return call.redirect("/")
        return self._register_page(call)

    def _register_page(self, call: PageCall, status: int = 200, errors=None, message=None):
        return call.render("account/register.html", status=status, form=call.raw_form,
                           errors=errors or {}, message=message,
                           title=call.t("account.register_title"))

    @page("POST", "/register", form=RegisterBody)
    def register_page(self, call: PageCall):
        if call.form_errors:
            return self._register_page(call, 400, self._all_field_errors(call))
        _, problem = call.attempt(self.identity.register, call.form, call.client)
        if problem is not None:
            return self._register_page(call, problem.status, *refusal(call, problem))
        # identity answers a new address and a taken one alike (the owner of a taken one is
        # told by e-mail), and so does the page: no session whatever the password, the same
        # redirect and notice. The member signs in next, as with the API (docs/security.md).
        call.cookies.notice("registered")
        return call.redirect(LOGIN_PATH)

    def _all_field_errors(self, call: PageCall) -> dict[str, str]:
        """The form's refusals with identity's verdict on the password (`password_refusal`, in
        its own words), in the form's order."""
        errors = dict(call.form_errors or {})
        weak = password_refusal(self.identity, call.raw_form, errors)
        if weak is not None:
            errors.update(weak.get("fields") or {"password": ["invalid"]})
        messages = in_own_words(call, field_errors(call, errors), (weak or {}).get("fields_i18n"))
        order = [*(name for name in REGISTER_FIELDS if name in messages), *messages]
        return {name: messages[name] for name in dict.fromkeys(order)}

    # -- a forgotten password (identity's resets.py, as POST /api/v1/auth/password-reset*)

    @page("GET", FORGOTTEN_PASSWORD_PAGE)
    def forgotten_password_page(self, call: PageCall):
        return self._forgotten_page(call)

    def _forgotten_page(self, call: PageCall, status: int = 200, errors=None, message=None,
                        sent: str | None = None):
        return call.render("account/forgot.html", status=status, form=call.raw_form,
                           errors=errors or {}, message=message, sent=sent,
                           title=call.t("account.forgot_title"), noindex=True)

    @page("POST", FORGOTTEN_PASSWORD_PAGE, form=PasswordResetBody)
    def request_reset_page(self, call: PageCall):
        if call.form_errors:
            return self._forgotten_page(call, 400, field_errors(call, call.form_errors))
        answer, problem = call.attempt(self.identity.request_password_reset, call.form,
                                       call.client)
        if problem is not None:
            return self._forgotten_page(call, problem.status, *refusal(call, problem))
        # identity's one answer, whether or not the address has an account
        return self._forgotten_page(call, sent=answer["message"][call.language])

    @page("GET", PASSWORD_RESET_PAGE, query=ResetLinkQuery)
    def reset_link_page(self, call: PageCall):
        token = call.query.get("token")
        if token:  # out of the address bar (see the module's docstring)
            call.cookies.set(RESET_COOKIE, token, max_age=RESET_COOKIE_SECONDS,
                             path=PASSWORD_RESET_PAGE)
            return call.redirect(PASSWORD_RESET_PAGE)
        token = call.request.cookies.get(RESET_COOKIE)
        problem = call.attempt(self.identity.check_password_reset, token)[1] if token else None
        if not token or problem is not None:
            return self._reset_page(call, 400, link_refused=True)
        return self._reset_page(call)

    def _reset_page(self, call: PageCall, status: int = 200, errors=None, message=None,
                    link_refused: bool = False):
        if link_refused:
            call.cookies.clear(RESET_COOKIE, path=PASSWORD_RESET_PAGE)
        # no Referer at all from this page: its links must not tell where the reader came from
        return call.render("account/reset.html", status=status, errors=errors or {},
                           message=message, link_refused=link_refused, noindex=True,
                           title=call.t("account.reset_title"),
                           headers={"Referrer-Policy": "no-referrer"})

    @page("POST", PASSWORD_RESET_PAGE, form=NEW_PASSWORD_FORM)
    def reset_password_page(self, call: PageCall):
        token = call.request.cookies.get(RESET_COOKIE)
        if not token:
            return self._reset_page(call, 400, link_refused=True)
        if call.form_errors:
            return self._reset_page(call, 400, field_errors(call, call.form_errors))
        _, problem = call.attempt(self.identity.confirm_password_reset,
                                  {"token": token, "password": call.form["password"]},
                                  call.client)
        if problem is None:
            call.cookies.clear(RESET_COOKIE, path=PASSWORD_RESET_PAGE)
            call.cookies.sign_out()  # this browser's session, if any, was revoked with the rest
            call.cookies.notice("password_changed")
            return call.redirect(LOGIN_PATH)
        if "token" in (problem.body.get("errors") or {}):
            return self._reset_page(call, problem.status, link_refused=True)
        return self._reset_page(call, problem.status, *refusal(call, problem))

    # -- the address's confirmation link (services/identity/verification.py)
    #
    # Opening the link only shows a button: mail scanners and link previews open every link of
    # a message, and must not confirm an address for whoever registered it. The button POSTs.

    @page("GET", EMAIL_VERIFICATION_PAGE, query=ResetLinkQuery)
    def verify_email_page(self, call: PageCall):
        token = call.query.get("token")
        if token:  # out of the address bar (and of every page script's reach), as a reset's
            call.cookies.set(VERIFY_COOKIE, token, max_age=VERIFY_COOKIE_SECONDS,
                             path=EMAIL_VERIFICATION_PAGE)
            return call.redirect(EMAIL_VERIFICATION_PAGE)
        kept = call.request.cookies.get(VERIFY_COOKIE)
        return self._verify_page(call, 200 if kept else 400, link_refused=not kept)

    @page("POST", EMAIL_VERIFICATION_PAGE)
    def confirm_email_page(self, call: PageCall):
        token = call.request.cookies.get(VERIFY_COOKIE)
        if not token:
            return self._verify_page(call, 400, link_refused=True)
        _, problem = call.attempt(self.identity.confirm_email_verification, {"token": token})
        call.cookies.clear(VERIFY_COOKIE, path=EMAIL_VERIFICATION_PAGE)  # single use either way
        if problem is not None:
            return self._verify_page(call, problem.status, link_refused=True)
        return self._verify_page(call, confirmed=True)

    def _verify_page(self, call: PageCall, status: int = 200, link_refused: bool = False,
                     confirmed: bool = False):
        # no Referer from this page (as the reset's): nothing of the link leaves it
        return call.render("account/verify.html", status=status,
                           link_refused=link_refused, confirmed=confirmed, noindex=True,
                           title=call.t("account.verify_title"),
                           headers={"Referrer-Policy": "no-referrer"})

    @page("POST", "/me/email-verification", auth="member")
    def resend_verification_page(self, call: PageCall):
        """The banner's "Renvoyer l'e-mail": a new link, limited per account."""
        _, problem = call.attempt(self.identity.resend_email_verification, call.actor)
        call.cookies.notice("verification_throttled" if problem is not None
                            and problem.status == 429 else "verification_sent")
        return call.redirect(call.next_url("/me/profile"))

    # -- the session

    @page("POST", "/session/logout")
    def logout_page(self, call: PageCall):
        """Log out: the session is revoked at identity (every token of it), cookies cleared."""
        refresh = call.request.cookies.get(REFRESH_COOKIE)
        if call.actor or refresh:
            call.attempt(self.identity.logout, call.actor, refresh)
        call.cookies.sign_out()
        call.cookies.notice("signed_out")
        return call.redirect("/")

    @page("GET", "/session/refresh", csrf=False)
    def refresh_navigation_page(self, call: PageCall):
        return self._refresh(call)

    @page("POST", "/session/refresh", csrf=False)
    def refresh_replay_page(self, call: PageCall):
        """Also the target of 307s: the original request's body is not read here; it goes back
        to its page once the tokens are fresh. Page scripts call it (no `next`) after a 401."""
        return self._refresh(call)

    def _refresh(self, call: PageCall) -> Response:
        next_url = call.next_url("")
        refresh = call.request.cookies.get(REFRESH_COOKIE)
        tokens, problem = (call.attempt(self.identity.refresh, refresh, call.client)
                           if refresh else (None, None))
        if tokens is None:
            if refresh or call.request.cookies.get(ACCESS_COOKIE):  # only to who had a session
                call.cookies.sign_out()
                call.cookies.notice(ended_notice(problem.body.get("reason") if problem else None))
            if not next_url:
                return Response(status=401, headers={"Cache-Control": "no-store"})
            if call.request.method == "POST":  # a form's body, for an action that is no page
                return sign_in_first(call, next_url)
            return call.redirect(next_url, 303)
        actor = self.auth.actor_for_token(tokens["access_token"])
        call.cookies.sign_in(tokens, actor, call.request.cookies.get(CSRF_COOKIE))
        if not next_url:
            return Response(status=204, headers={"Cache-Control": "no-store"})
        return call.redirect(next_url, 307 if call.request.method == "POST" else 303)

    # -- language

    @page("GET", "/lang/{code}")
    def switch_language_page(self, call: PageCall):
        """The language switch (a link, so it works without JavaScript), remembered a year."""
        code = call.path["code"]
        if code not in i18n.LANGUAGES:
            return call.redirect(call.next_url())
        call.cookies.set(i18n.LANGUAGE_COOKIE, code, max_age=365 * 86400)
        return call.redirect(call.next_url())

    @page("POST", "/lang/{code}", auth="member")
    def save_language_page(self, call: PageCall):
        """Signed in, the switch is a form (CSRF): it changes the profile's language too, so
        the site, notifications and e-mails follow it on every device and after signing in."""
        code = call.path["code"]
        if code in i18n.LANGUAGES:
            self.identity.update_me(call.actor, {"language": code})
            call.cookies.set(i18n.LANGUAGE_COOKIE, code, max_age=365 * 86400)
        return call.redirect(call.next_url())
