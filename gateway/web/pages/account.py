"""Joining and the browser session: register, log in, log out, refresh, language switch.

The forms post to these pages (not to /api/v1), which call identity's RPCs exactly as the API's
auth routes do and keep the tokens in HttpOnly cookies (gateway/web/session.py). Field rules are
the API's own schemas (RegisterBody, LoginBody); the service decides the rest (password
strength, unique e-mail, throttling).
"""
from __future__ import annotations

from typing import Any

from nameko.rpc import RpcProxy
from werkzeug.wrappers import Response

from services.shared import i18n as catalogue

from ...routes.identity import LoginBody, RegisterBody, SecondFactorAnswer, password_refusal
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
# Fields whose refusal by a service the site words itself (its hint says the rule), rather than
# in the service's own sentences: the password strength estimator's list of feedback.
SITE_WORDED = ("password",)


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
    messages = field_errors(call, errors, keys)
    written = (problem.body.get("errors_i18n") or {}).get(call.language) or {}
    for name, texts in written.items():
        if name in messages and name not in SITE_WORDED and texts:
            messages[name] = " ".join(as_sentence(str(text)) or "" for text in (
                texts if isinstance(texts, list) else [texts]))
    return messages, None


class AccountPages:
    identity = RpcProxy("identity")

    # -- log in

    @page("GET", "/login")
    def login_form_page(self, call: PageCall):
        if call.actor:
            return call.redirect(call.next_url())
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
        self._start_session(call, tokens)
        call.cookies.notice("signed_in")
        return call.redirect(call.next_url())

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
        self._start_session(call, tokens)
        call.cookies.notice("signed_in")
        return call.redirect(call.next_url())

    def _start_session(self, call: PageCall, tokens: dict[str, Any]) -> None:
        actor = self.auth.actor_for_token(tokens["access_token"])
        call.cookies.sign_in(tokens, actor)
        # The language is a profile setting (the token's `lang` claim): signing in on any
        # device brings it back, whatever this browser's cookie said.
        language = actor.get("language")
        if language in i18n.LANGUAGES and language != call.language:
            call.cookies.set(i18n.LANGUAGE_COOKIE, language, max_age=365 * 86400)

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
        """The form's refusals with identity's verdict on the password (`password_refusal`),
        in the form's order."""
        errors = dict(call.form_errors or {})
        weak = password_refusal(self.identity, call.raw_form, errors)
        if weak is not None:
            errors.update(weak.get("fields") or {"password": ["invalid"]})
        messages = field_errors(call, errors)
        order = [*(name for name in REGISTER_FIELDS if name in messages), *messages]
        return {name: messages[name] for name in dict.fromkeys(order)}

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
