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
