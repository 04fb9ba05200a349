"""What a French customer on a phone stumbled on (member review, s25), done again in the browser
at 390 px (and 320 px: the screenshots `*-w320`) and at a desktop size: a recovery code typed at
sign-in, the real reason a password is refused, an idea's comment worded as a comment and an
empty one asked for, the address kept from sign-up to sign-in, a header that fits 320 px signed
in. (A held edit shown to its author: test_thread_actions.py; the toggles' words:
test_thread_actions.py and tests/unit/test_thread_page.py.)"""
from __future__ import annotations

import uuid
from contextlib import contextmanager

from services.devtools.gateway_client import TotpDevice

from ..e2e.conftest import new_address
from ..e2e.steps import ok, submit, visible

PASSPHRASE = "analytical engine punched cards"
REGISTERED = "Inscription reçue."
NAME_IN_PASSWORD = {
    "fr": "N'utilisez ni votre adresse e-mail ni votre nom dans votre mot de passe.",
    "en": "Do not use your e-mail address or your name in your password."}


def _shots(site, name: str) -> None:
    """The page as the test's device shows it, and at 320 px."""
    site.screenshot(name)
    with site.at_width(320):
        site.screenshot(f"{name}-w320")


@contextmanager
def _own_address(site):
    """Sign-ups from an address of this test's own (a limit counts them per address)."""
    site.driver.execute_cdp_cmd("Network.enable", {})
    site.driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {
        "headers": {"X-Forwarded-For": new_address()}})
    try:
        yield
    finally:
        site.driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {}})


def _sign_up(site, name: str, email: str, password: str) -> None:
    site.fill(site.t("Display name", "Nom affiché"), name)
    site.fill(site.t("E-mail address", "Adresse e-mail"), email)
    site.fill(site.t("Password", "Mot de passe"), password)
    site.find("form[action='/register'] button[type=submit]").click()


def _error(site, field: str) -> str:
    errors = site.find_all(f"#field-{field}-error")
    return errors[0].text if errors else ""


def _box(site, css: str) -> dict:
    return site.driver.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return {left: r.left, right: r.right, width: r.width, height: r.height};", css)


def test_a_recovery_code_is_typed_at_sign_in_on_a_phones_full_keyboard(site, api):
    """The code step offers "6 chiffres, ou un code de secours (xxxxx-xxxxx)": with
    inputmode=numeric a phone showed digits only, and a member who lost the authenticator's
    phone could not type her recovery code. Turning the factor off takes the app's 6 digits
    (identity refuses a recovery code there): its field keeps the keypad."""
    me = api.new_user()
    enrolment = ok(api.post("/api/v1/me/mfa", user=me), 201)
    ok(api.post("/api/v1/me/mfa/confirm", user=me,
                json={"code": TotpDevice(enrolment["secret"]).next_code()}))
    site.visit("/login?next=/me/security")
    site.fill("Adresse e-mail", me.email)
    site.fill("Mot de passe", me.password)
    site.find("form[action='/login'] button[type=submit]").click()
    code = site.find("form[action^='/login/code'] #field-code")
    assert code.get_attribute("inputmode") == "text"  # letters and digits on a phone
    assert code.get_attribute("autocomplete") == "one-time-code"
    assert code.get_attribute("autocapitalize") == "none"
    site.check()
    _shots(site, "login-code")
    code.send_keys(enrolment["recovery_codes"][0])
    site.find("form[action^='/login/code'] button[type=submit]").click()
    site.wait_for_path("/me/security")
    assert "Il vous reste 9 codes de secours." in site.text()
    disable = site.find("form[action='/me/security/disable'] #field-code")
    assert disable.get_attribute("inputmode") == "numeric"


def test_a_refused_password_says_the_real_reason_at_sign_up_and_when_changed(site, api):
    """"Sophie2026!x" for Sophie has 12 characters: the form said "au moins 12 caractères…"
    (the rule) where identity said why (her name is in it), in the reader's language."""
    with _own_address(site):
        for language in ("fr", "en"):
            site.visit(f"/lang/{language}?next=/register")
            _sign_up(site, "Sophie", f"sophie-{uuid.uuid4().hex[:8]}@example.org", "Sophie2026!x")
            site.wait_for(lambda: _error(site, "password"), "the password's reason")
            reason = _error(site, "password")
            assert NAME_IN_PASSWORD[language] in reason, reason
            assert "12" not in reason
            assert site.find("#field-password").get_attribute("aria-invalid") == "true"
            assert NAME_IN_PASSWORD[language] in site.find("#form-alert").text
            site.check()
            _shots(site, f"register-password-reason-{language}")
        # a refused e-mail too (the form's schema stops before identity): the same reason
        site.visit("/lang/fr?next=/register")
        _sign_up(site, "Sophie", "sophie-at-example.org", "Sophie2026!x")
        site.wait_for(lambda: _error(site, "email"), "the e-mail's error")
        assert NAME_IN_PASSWORD["fr"] in _error(site, "password")

    me = api.new_user(display_name="Sophie Martin")
    site.sign_in(me.email, me.password, next_path="/me/profile")
    site.wait_for_path("/me/profile")
    for new_password, reason in (("Sophie2026!x", NAME_IN_PASSWORD["fr"]),
                                 (me.password, "Choisissez un mot de passe différent de "
                                               "l’actuel.")):
        site.fill("Mot de passe actuel", me.password)
        site.fill("Nouveau mot de passe", new_password)
        site.find("form[action='/me/password'] button[type=submit]").click()
        site.wait_for(lambda r=reason: r in _error(site, "new_password"), reason)
        assert "trop faible" not in _error(site, "new_password")
    site.check()
    _shots(site, "password-change-reason")


def test_an_idea_takes_comments_and_an_empty_one_is_asked_for(site, demo):
    """An idea's replies are comments ("0 commentaire"): its form says so, also when htmx
    swaps it back with an error; a question's are answers. An empty text is asked for, not
    told the 20 000-character maximum it is far from."""
    api = demo.api
    author, reader = api.new_user(), api.new_user()
    idea = visible(api, submit(api, author, "idea", title="Virements le dimanche")["id"])
    site.sign_in(reader.email, reader.password, next_path=f"/posts/{idea['id']}")
    site.wait_for_path(f"/posts/{idea['id']}")
    assert site.find("#reply-form-title").text == "Votre commentaire"
    site.find("#reply-form button[type=submit]").click()  # empty
    site.wait_for(lambda: site.find_all("#reply-body-error"), "the empty text refused")
    assert site.find("#reply-body-error").text == "Écrivez votre texte."
    assert site.find("#reply-form-title").text == "Votre commentaire"  # htmx's fragment too
    assert site.find("#reply-form button[type=submit]").text == "Envoyer mon commentaire"
    site.check()
    site.no_horizontal_scroll()
    _shots(site, "idea-comment-empty")
    question = visible(api, submit(api, author, "question")["id"])
    site.visit(f"/posts/{question['id']}")
    assert site.find("#reply-form-title").text == "Votre réponse"
    assert site.find("#reply-form button[type=submit]").text == "Envoyer ma réponse"
    site.visit("/write?kind=idea")  # the compose page says the same of an empty text
    site.fill("Titre", "Virements le samedi aussi")
    site.click_button("Publier")
    site.wait_for(lambda: site.find_all("#field-body-error"), "the empty text refused")
    assert site.find("#field-body-error").text == "Écrivez votre texte."
    site.check()
    _shots(site, "write-empty-body")


def test_after_signing_up_the_sign_in_page_has_the_address(site):
    """On a phone the new member typed her address twice. It comes from this tab (never in a
    URL: logs, history), once: the sign-in page opened later is empty."""
    email = f"sophie-{uuid.uuid4().hex[:8]}@example.org"
    with _own_address(site):
        site.visit("/register")
        _sign_up(site, "Sophie", email, PASSPHRASE)
        site.wait_for(lambda: REGISTERED in site.find("#live-status").text, "the notice")
    field = site.field("Adresse e-mail")
    site.wait_for(lambda: field.get_attribute("value") == email, "the address filled in")
    assert email not in site.driver.current_url and "%40" not in site.driver.current_url
    site.check()
    _shots(site, "login-after-sign-up")
    site.fill("Mot de passe", PASSPHRASE)
    site.find("form[action='/login'] button[type=submit]").click()
    site.wait_for(lambda: "Vous êtes connecté·e." in site.text(), "signed in")
    site.find(".account-menu summary").click()
    site.click_button("Se déconnecter")
    site.wait_for(lambda: "Vous êtes déconnecté·e." in site.text(), "signed out")
    site.visit("/login")
    assert site.field("Adresse e-mail").get_attribute("value") == ""


def test_signed_in_at_320_px_the_logo_and_my_account_fit_on_one_line(site, demo):
    """At 320 px signed in, the logo (the way home) shrank to nothing and "Mon compte" wrapped
    onto two lines; signed out, "Se connecter" stays on one line too. Both languages; a thread
    with its toggles on says they are on."""
    api = demo.api
    author, me = api.new_user(), api.new_user()
    post = visible(api, submit(api, author, "question")["id"])
    for language in ("fr", "en"):
        site.visit(f"/lang/{language}?next=/posts/{post['id']}")
        for width in (320, 360, 390):
            with site.at_width(width):
                site.driver.refresh()
                assert _box(site, ".brand img")["width"] >= 32
                assert _box(site, ".tools .button-quiet")["height"] <= 46, \
                    f"'{site.find('.tools .button-quiet').text}' wraps at {width}px"
                site.no_horizontal_scroll()
    site.visit("/lang/fr?next=/")
    site.sign_in(me.email, me.password, next_path=f"/posts/{post['id']}")
    site.wait_for_path(f"/posts/{post['id']}")
    site.find("#toggle-watch button").click()
    site.wait_for(lambda: site.find("#toggle-watch button").text == "Question suivie",
                  "the thread followed, said so")
    for language in ("fr", "en"):
        for width in (320, 360, 390):
            with site.at_width(width):
                site.driver.refresh()
                logo, menu = _box(site, ".brand img"), _box(site, ".account-menu summary")
                assert logo["width"] >= 32, f"the logo is {logo['width']}px wide at {width}px"
                assert menu["height"] <= 46, f"'{site.find('.account-menu summary').text}' " \
                                             f"wraps at {width}px"
                assert _box(site, ".brand")["right"] <= _box(site, ".tools")["left"]
                other = site.find(".lang-switch button")
                assert other.is_displayed() and other.get_attribute("lang") != language
                site.no_horizontal_scroll()
                site.screenshot(f"thread-signed-in-{language}-w{width}")
        site.check()
        site.find(".lang-switch button").click()
        site.wait_for(lambda lang=language: site.driver.execute_script(
            "return document.documentElement.lang") != lang, "the other language")
    assert site.find("#toggle-watch button").text == "Question suivie"
