"""Joining and the session in the browser: register (customer or not), stay signed in across
reloads, sign out, sign in (and a wrong password), switch the language."""
from __future__ import annotations

import uuid


def test_register_stay_signed_in_across_reloads_then_sign_out(site):
    site.visit("/")
    site.click_link("Créer un compte") if site.device == "desktop" else site.visit("/register")
    site.wait_for_path("/register")
    site.check()
    site.screenshot("register")
    site.fill("Nom affiché", "Ada " + uuid.uuid4().hex[:4])
    site.fill("Adresse e-mail", f"ada-{uuid.uuid4().hex[:8]}@example.org")
    site.fill("Mot de passe", "analytical engine punched cards")
    site.field("Je suis client·e de la banque").click()
    site.find("form[action='/register'] button[type=submit]").click()
    site.wait_for(lambda: "Bienvenue" in site.text(), "welcome notice")
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
    site.fill("Adresse e-mail", "member1@demo.agora")
    site.fill("Mot de passe", "not the password")
    site.find("form[action='/login'] button[type=submit]").click()
    site.wait_for(lambda: any("incorrect" in alert.text and alert.is_displayed()
                              for alert in site.find_all("[role=alert]")), "error message")
    site.check()
    site.screenshot("login-error")
    site.sign_in("member1@demo.agora", next_path="/ideas")
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
    site.fill("Adresse e-mail", "member1@demo.agora")
    site.find("form[action='/login'] button[type=submit]").click()
    site.wait_for(lambda: "Saisissez votre mot de passe." in _alert_text(site), "the error")
    assert site.find("#field-password-error").text == "Saisissez votre mot de passe."
    assert "faible" not in site.text() and "12 caractères" not in site.text()
    site.check()
    site.screenshot("login-empty-password")
    site.find(".lang-switch a[hreflang='en']").click()
    site.wait_for_path("/login")
    site.fill("E-mail address", "member1@demo.agora")
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
    assert "Entre 2 et 60 caractères." in summary and "trop faible" in summary
    assert summary.index("Entre 2 et 60") < summary.index("trop faible")  # the form's order
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
