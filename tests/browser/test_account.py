"""Joining and the session in the browser: register (customer or not), stay signed in across
reloads, sign out, sign in (and a wrong password), switch the language; what a refused sign-up
or profile says."""
from __future__ import annotations

import re
import uuid
from urllib.parse import unquote

import eventlet

from ..e2e.conftest import REGISTER_ADDRESS_LIMIT, new_address
from .accounts import MEMBER1

REGISTERED = ("Inscription reçue. Un e-mail part vers cette adresse : pour un nouveau compte, "
              "il contient le lien qui confirme l’adresse.")
PASSWORD = "analytical engine punched cards"


def _sign_up(site, email: str, password: str = PASSWORD, name: str = "Ada") -> None:
    site.fill(site.t("Display name", "Nom affiché"), f"{name} {uuid.uuid4().hex[:4]}")
    site.fill(site.t("E-mail address", "Adresse e-mail"), email)
    site.fill(site.t("Password", "Mot de passe"), password)
    site.find("form[action='/register'] button[type=submit]").click()


def test_register_then_sign_in_stay_signed_in_across_reloads_then_sign_out(site):
    """Sign-up answers every address alike (docs/security.md): the new member then signs in."""
    site.visit("/")
    site.click_link("Créer un compte") if site.device == "desktop" else site.visit("/register")
    site.wait_for_path("/register")
    site.check()
    site.screenshot("register")
    email = f"ada-{uuid.uuid4().hex[:8]}@example.org"
    site.field("Je suis client·e de la banque").click()
    _sign_up(site, email)
    site.wait_for(lambda: REGISTERED in site.find("#live-status").text, "registration notice")
    assert site.driver.current_url == site.url("/login") and not site.find_all(".account-menu")
    site.check()
    site.screenshot("register-received")
    site.fill("Adresse e-mail", email)
    site.fill("Mot de passe", PASSWORD)
    site.find("form[action='/login'] button[type=submit]").click()
    site.wait_for(lambda: "Vous êtes connecté·e." in site.text(), "signed in")
    site.check()
    site.driver.refresh()
    assert site.find(".account-menu summary").text == "Mon compte"
    site.find(".account-menu summary").click()
    site.click_button("Se déconnecter")
    site.wait_for(lambda: "Vous êtes déconnecté·e." in site.text(), "signed-out notice")
    site.check()
    assert not site.find_all(".account-menu")


def test_a_wrong_password_is_announced_and_a_right_one_signs_in(site):
    site.visit("/login")
    site.fill("Adresse e-mail", MEMBER1)
    site.fill("Mot de passe", "not the password")
    site.find("form[action='/login'] button[type=submit]").click()
    site.wait_for(lambda: any("incorrect" in alert.text and alert.is_displayed()
                              for alert in site.find_all("[role=alert]")), "error message")
    site.check()
    site.screenshot("login-error")
    site.sign_in(MEMBER1, next_path="/ideas")
    site.wait_for_path("/ideas")
    assert site.find(".account-menu summary").text == "Mon compte"
    site.check()


def test_the_language_switch_is_remembered(site):
    site.visit("/questions")
    site.find(".lang-switch a[hreflang='en']").click()
    site.wait_for(lambda: site.driver.execute_script(
        "return document.documentElement.lang") == "en", "English page")
    assert site.heading("Questions", 1) and "Sign in" in site.text()
    site.check()
    site.visit("/")
    assert site.heading("Latest contributions", 2)
    site.screenshot("home-en")
    site.find(".lang-switch a[hreflang='fr']").click()
    site.wait_for(lambda: site.heading("Les dernières contributions", 2), "French page")


def _alert_text(site) -> str:
    alerts = [alert for alert in site.find_all("#form-alert") if alert.is_displayed()]
    return alerts[0].text if alerts else ""


def test_signing_in_without_a_password_asks_for_it_and_never_judges_it(site):
    site.visit("/login")
    site.fill("Adresse e-mail", MEMBER1)
    site.find("form[action='/login'] button[type=submit]").click()
    site.wait_for(lambda: "Saisissez votre mot de passe." in _alert_text(site), "the error")
    assert site.find("#field-password-error").text == "Saisissez votre mot de passe."
    assert "faible" not in site.text() and "12 caractères" not in site.text()
    site.check()
    site.screenshot("login-empty-password")
    site.find(".lang-switch a[hreflang='en']").click()
    site.wait_for_path("/login")
    site.fill("E-mail address", MEMBER1)
    site.find("form[action='/login'] button[type=submit]").click()
    site.wait_for(lambda: "Enter your password." in _alert_text(site), "the English error")
    assert "weak" not in site.text()


def test_signing_up_reports_every_field_error_at_once(site):
    """The name is refused by the form's schema, the password by identity's strength rule:
    both at the first try, not the password only once the name is fixed."""
    site.visit("/register")
    site.fill("Adresse e-mail", f"ada-{uuid.uuid4().hex[:8]}@example.org")
    site.fill("Mot de passe", "court")
    site.find("form[action='/register'] button[type=submit]").click()
    site.wait_for(lambda: "2 erreurs" in _alert_text(site), "both errors")
    summary = _alert_text(site)
    assert "Entre 2 et 60 caractères." in summary and "Utilisez au moins 12 caractères" in summary
    assert summary.index("Entre 2 et 60") < summary.index("au moins 12")  # the form's order
    for name in ("display_name", "password"):
        assert site.find(f"#field-{name}").get_attribute("aria-invalid") == "true"
    site.check()
    site.screenshot("register-all-errors")


def test_every_main_menu_item_is_on_screen(site, api):
    """On a phone the menu wraps: "Écrire", a signed-in member's only way to compose, used to
    sit past the edge of a row that scrolled without a visible scrollbar."""
    me = api.new_user()
    site.sign_in(me.email, me.password)
    links = site.find_all(".main-nav a")
    assert [link.text for link in links][-1] == "Écrire"
    width = site.driver.execute_script("return document.documentElement.clientWidth")
    for link in links:
        box = site.driver.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return [r.left, r.right]", link)
        assert link.is_displayed() and box[0] >= 0 and box[1] <= width, (link.text, box, width)
    menu = site.find(".main-nav ul")
    assert site.driver.execute_script(
        "return arguments[0].scrollWidth <= arguments[0].clientWidth", menu)
    site.no_horizontal_scroll()
    site.check()
    site.screenshot("main-menu-member")


def test_an_unknown_address_keeps_the_session_in_the_header(site, api):
    """A mistyped address is answered by the WSGI layer, not a page: it reads the session too."""
    site.visit("/nope-page")
    assert site.heading("Page introuvable", 1)
    assert site.find_all("a[href^='/login']") and not site.find_all(".account-menu")
    me = api.new_user()
    site.sign_in(me.email, me.password)
    site.visit("/nope-page")
    assert site.heading("Page introuvable", 1)
    assert site.find(".account-menu summary").text == "Mon compte"
    assert site.find_all("a.bell") and not site.find_all(".site-header a[href^='/login']")
    site.screenshot("unknown-address-member")
    site.find(".account-menu summary").click()
    site.click_button("Se déconnecter")  # the header's forms carry the session's CSRF token
    site.wait_for(lambda: "Vous êtes déconnecté·e." in site.text(), "signed out")


def test_signing_up_with_a_taken_address_answers_as_for_a_new_one(site, api):
    """Whatever the password, even the account's own: no session, the same page and notice."""
    member = api.new_user()
    for password in ("an intruder's own passphrase 42", member.password):
        site.visit("/register")
        _sign_up(site, member.email, password, name="Someone")
        site.wait_for(lambda: REGISTERED in site.find("#live-status").text, "the same notice")
        assert site.driver.current_url == site.url("/login")
        assert not site.find_all(".account-menu")
    site.check()
    site.screenshot("register-taken")
    site.find(".lang-switch a[hreflang='en']").click()
    site.wait_for_path("/login")
    site.visit("/register")
    _sign_up(site, member.email, "an intruder's own passphrase 42", name="Someone")
    site.wait_for(lambda: "Registration received. An e-mail is on its way to this address"
                  in site.find("#live-status").text, "the English notice")
    site.check()
    site.screenshot("register-taken-en")


def _as_client(site, address: str | None) -> None:
    """Requests from this browser as if from `address` (the platform trusts one proxy hop)."""
    site.driver.execute_cdp_cmd("Network.enable", {})
    site.driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {
        "headers": {"X-Forwarded-For": address} if address else {}})


def test_a_throttled_sign_up_says_when_to_try_again(site, api):
    """No made-up field error ("this value is not valid" linking to no field): the wait."""
    address = new_address()

    def register(_):  # only valid attempts count (a refused one does not: member review F1)
        return api.post("/api/v1/auth/register", headers={"X-Forwarded-For": address},
                        json={"email": api.unique_email("bot"), "password": PASSWORD,
                              "display_name": "Bot"}).status_code

    statuses = list(eventlet.GreenPool(4).imap(register, range(REGISTER_ADDRESS_LIMIT)))
    assert statuses == [202] * REGISTER_ADDRESS_LIMIT, statuses
    _as_client(site, address)
    try:
        _throttled_sign_up(site, "fr", "Trop de tentatives. Réessayez dans ")
        _throttled_sign_up(site, "en", "Too many attempts. Try again in ")
    finally:
        _as_client(site, None)


def _throttled_sign_up(site, language: str, expected: str) -> None:
    site.visit(f"/lang/{language}?next=/register")
    _sign_up(site, f"nadia-{uuid.uuid4().hex[:8]}@example.org", name="Nadia")
    site.wait_for(lambda: expected in _alert_text(site), f"the wait ({language})")
    assert "min" in _alert_text(site) and not site.find_all("#form-alert a")
    assert not site.find_all("[aria-invalid=true]")
    site.check()
    site.screenshot(f"register-throttled-{language}")


def test_a_refused_profile_says_identitys_reason(site, api):
    """A phone number in the public bio, a card number in the name: identity's reason, in the
    reader's language, at the field (not the form's length rule)."""
    me = api.new_user()
    site.sign_in(me.email, me.password, next_path="/me/profile")
    site.wait_for_path("/me/profile")
    _refused_profile(site, "fr", "Contient un numéro de téléphone : retirez-le, il serait public.",
                     "Contient un numéro de carte : retirez-le, il serait public.")
    site.find(".lang-switch button[lang='en']").click()
    site.wait_for(lambda: site.heading("My profile", 1), "English page")
    _refused_profile(site, "en", "Contains a phone number: remove it, it would be public.",
                     "Contains a card number: remove it, it would be public.")


def _refused_profile(site, language: str, bio_reason: str, name_reason: str) -> None:
    def error(field: str) -> str:
        errors = site.find_all(f"#field-{field}-error")
        return errors[0].text if errors else ""
    site.fill(site.t("About me", "Présentation"),
              "Client depuis 2010, joignable au 06 12 34 56 78 le soir.")
    site.find("form[action='/me/profile'] button[type=submit]").click()
    site.wait_for(lambda: error("bio") == bio_reason, "the bio's reason")
    assert site.find("#field-bio").get_attribute("aria-invalid") == "true"
    site.check()
    site.screenshot(f"profile-refused-bio-{language}")
    site.fill(site.t("Display name", "Nom affiché"), "Ada 4970 1012 3456 7893")
    site.find("form[action='/me/profile'] button[type=submit]").click()
    site.wait_for(lambda: error("display_name") == name_reason, "the name's reason")
    # a staff word (identity/names.py): its own reason, not the form's length rule
    site.fill(site.t("Display name", "Nom affiché"), "Équipe Agora")
    site.find("form[action='/me/profile'] button[type=submit]").click()
    staff_reason = site.t("“equipe” is kept for the bank's staff: choose another name.",
                          "« equipe » est réservé à l’équipe de la banque : choisissez un autre "
                          "nom.")
    site.wait_for(lambda: error("display_name") == staff_reason, "the staff word's reason")


RESET_LINK = re.compile(r"/password/reset\?token=([A-Za-z0-9_%-]+)")


def test_a_forgotten_password_is_reset_from_the_e_mailed_link(site, platform, api):
    """Member review s25, F2: "Mot de passe oublié ?" on the sign-in page, the e-mailed link,
    a new password with the rules stated and the refusal at the field, then sign in."""
    member = api.register()
    site.visit("/login")
    site.screenshot("login-forgot-link")
    site.click_link("Mot de passe oublié ?")
    site.wait_for_path("/password/forgot")
    site.check()
    site.screenshot("password-forgot")
    site.fill("Adresse e-mail", member.email)
    site.find("form[action='/password/forgot'] button[type=submit]").click()
    site.wait_for(lambda: "Si un compte existe pour cette adresse, un e-mail vient de lui être "
                          "envoyé" in site.text(), "the one answer")
    site.check()
    site.screenshot("password-forgot-sent")
    message = site.wait_for(lambda: next((m for m in platform.mailsink.messages(to=member.email)
                                          if RESET_LINK.search(m.get_content())), None),
                            "the e-mailed link")
    token = unquote(RESET_LINK.search(message.get_content()).group(1))
    site.visit(f"/password/reset?token={token}")
    site.wait_for(lambda: site.heading("Choisir un nouveau mot de passe", 1), "the form")
    assert token not in site.driver.current_url  # out of the address bar and the history
    assert "12 caractères" in site.find("#field-password-hint").text
    site.screenshot("password-reset")
    site.fill("Nouveau mot de passe", "azertyuiop12")
    site.find("form[action='/password/reset'] button[type=submit]").click()
    site.wait_for(lambda: site.find_all("#field-password-error"), "the refusal at the field")
    assert site.find("#field-password").get_attribute("aria-invalid") == "true"
    site.check()
    site.fill("Nouveau mot de passe", PASSWORD)
    site.find("form[action='/password/reset'] button[type=submit]").click()
    site.wait_for(lambda: "Votre mot de passe est changé" in site.find("#live-status").text,
                  "the notice on the sign-in page")
    assert site.driver.current_url.startswith(site.url("/login"))
    site.check()
    site.sign_in(member.email, PASSWORD)
    assert site.find(".account-menu summary").text == "Mon compte"
    site.driver.delete_all_cookies()
    site.visit(f"/password/reset?token={token}")  # a link works once
    site.wait_for(lambda: site.heading("Ce lien ne fonctionne plus", 1), "the used link")
    site.check()
    site.screenshot("password-reset-used")
