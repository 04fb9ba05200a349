"""A member's second factor in the browser, at phone and desktop sizes: turn it on from "my space"
(the otpauth link, the QR code and the grouped key on the page; a wrong code first), sign out and
back in through the code step, turn it off (a wrong code first), then sign in with the password
alone. A staff member cannot turn theirs off: identity says why."""
from __future__ import annotations

import time

import pyotp

from services.devtools.gateway_client import TotpDevice


def wrong_code(secret: str) -> str:
    """Six digits that are none of the codes the server accepts right now (one step either
    way)."""
    totp, now = pyotp.TOTP(secret), time.time()
    accepted = {totp.at(now + offset * totp.interval) for offset in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222") if code not in accepted)


def sign_out(site) -> None:
    site.find(".account-menu summary").click()
    site.click_button("Se déconnecter")
    site.wait_for(lambda: "Vous êtes déconnecté·e." in site.text(), "signed-out notice")


def secret_leaks(site, secret: str) -> bool:
    return secret.lower() in site.driver.current_url.lower()


def test_a_member_turns_the_second_factor_on_signs_in_with_a_code_and_turns_it_off(site, api,
                                                                                   platform):
    me = api.new_user()
    site.sign_in(me.email, me.password, next_path="/me/profile")
    site.wait_for_path("/me/profile")
    site.click_link("Sécurité")
    site.wait_for_path("/me/security")
    assert site.heading("Sécurité du compte", 1)
    assert "Désactivé" in site.find(".mfa-state").text
    assert site.find(".me-nav a[aria-current=page]").text == "Sécurité"
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("security-off")

    site.click_button("Activer le second facteur")
    site.wait_for(lambda: site.heading("Activer le second facteur", 1), "the enrolment page")
    grouped = site.find("#mfa-secret").text
    secret = grouped.replace(" ", "")
    assert all(len(group) == 4 for group in grouped.split()[:-1]), grouped
    link = site.find("a.mfa-app-link").get_attribute("href")
    assert link.startswith("otpauth://totp/") and f"secret={secret}" in link, link
    qr = site.find(".mfa-qr svg")
    assert qr.get_attribute("role") == "img" and site.find_all(".mfa-qr svg path")
    assert not secret_leaks(site, secret)
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("security-enrol")

    # a wrong code: said plainly, the same key shown again to try once more
    site.fill("Code", wrong_code(secret))
    site.click_button("Confirmer et activer")
    site.wait_for(lambda: any("incorrect" in alert.text and alert.is_displayed()
                              for alert in site.find_all("[role=alert]")), "wrong-code message")
    assert site.find("#mfa-secret").text == grouped
    site.check()
    site.screenshot("security-enrol-wrong-code")

    device = TotpDevice(secret)
    site.fill("Code", device.current_code())
    site.click_button("Confirmer et activer")
    site.wait_for(lambda: "Vos codes de secours" in site.text(), "the recovery codes")
    recovery = [item.text for item in site.find_all(".mfa-recovery li")]
    assert len(recovery) == 10 and all(len(code) == 11 for code in recovery), recovery
    assert "Activé" in site.find(".mfa-state").text
    assert "Il vous reste 10 codes de secours." in site.text()
    assert not secret_leaks(site, secret)
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("security-on")

    # the next sign-in asks for a code
    sign_out(site)
    site.sign_in(me.email, me.password, next_path="/me/security", device=device)
    site.wait_for_path("/me/security")
    assert "Activé" in site.find(".mfa-state").text
    # its password form names the account for password managers (Chrome's "[DOM] Password
    # forms should have (optionally hidden) username fields")
    assert site.find_all("form[action='/me/security/disable'] input[autocomplete=username]")

    # turning it off: a wrong code is refused, a right one with the password turns it off
    site.fill("Mot de passe", me.password)
    site.fill("Code", wrong_code(secret))
    site.click_button("Désactiver le second facteur")
    site.wait_for(lambda: site.find_all("#field-code-error"), "wrong-code message")
    assert "incorrect" in site.find("#field-code-error").text
    assert "Activé" in site.find(".mfa-state").text
    site.check()
    site.screenshot("security-disable-wrong-code")
    site.fill("Mot de passe", me.password)
    site.fill("Code", device.current_code())
    site.click_button("Désactiver le second facteur")
    site.wait_for(lambda: "Le second facteur est désactivé" in site.text(), "turned off")
    assert "Désactivé" in site.find(".mfa-state").text
    site.check()

    # the password alone signs in again
    sign_out(site)
    site.sign_in(me.email, me.password, next_path="/me/security")
    site.wait_for_path("/me/security")
    # neither the key nor a recovery code in any process's log
    for log in platform.log_dir.glob("*.log"):
        text = log.read_text(encoding="utf-8", errors="replace")
        assert secret not in text and not any(code in text for code in recovery), log.name


def test_staff_cannot_turn_their_second_factor_off(site, api, platform):
    advisor = api.new_user()
    api.grant(platform.admin, advisor, "advisor")
    device = advisor.device  # enrolled at the advisor's first login (the API's helper)
    site.sign_in(advisor.email, advisor.password, next_path="/me/security", device=device)
    site.wait_for_path("/me/security")
    assert "Activé" in site.find(".mfa-state").text
    assert "obligatoire" in site.text()
    site.fill("Mot de passe", advisor.password)
    site.fill("Code", device.current_code())
    site.click_button("Désactiver le second facteur")
    site.wait_for(lambda: any(alert.is_displayed() and alert.text.strip()
                              for alert in site.find_all("[role=alert]")), "identity's refusal")
    assert "Les comptes du personnel gardent leur second facteur" in site.find("#form-alert").text
    assert "Activé" in site.find(".mfa-state").text
    site.check()
    site.screenshot("security-staff-refused")


def test_the_second_factor_screens_in_english(site, api):
    me = api.new_user()
    site.sign_in(me.email, me.password, next_path="/me/security")
    site.wait_for_path("/me/security")
    site.find(".lang-switch button[lang='en']").click()
    site.wait_for(lambda: site.heading("Account security", 1), "English page")
    assert "Off" in site.find(".mfa-state").text
    site.check()
    site.click_button("Turn on the second factor")
    site.wait_for(lambda: site.heading("Turn on the second factor", 1), "the enrolment page")
    assert "Scan this code with your authenticator app." in site.text()
    assert site.find("a.mfa-app-link").text == "Open in my authenticator app"
    site.fill("Code", wrong_code(site.find("#mfa-secret").text.replace(" ", "")))
    site.click_button("Confirm and turn on")
    site.wait_for(lambda: "This code is wrong" in site.find("#field-code-error").text,
                  "wrong-code message, in English")
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("security-enrol-en")
    site.click_link("Cancel")
    site.wait_for(lambda: site.heading("Account security", 1), "back, still off")
    assert "Off" in site.find(".mfa-state").text


def test_a_wrong_code_at_sign_in_is_tied_to_its_field(site, api, platform):
    """Not only in the form's summary: the field says it is invalid and is described by it."""
    advisor = api.new_user()
    api.grant(platform.admin, advisor, "advisor")
    site.visit("/login")
    site.fill("Adresse e-mail", advisor.email)
    site.fill("Mot de passe", advisor.password)
    site.find("form[action='/login'] button[type=submit]").click()
    site.find("form[action^='/login/code'] #field-code").send_keys(
        wrong_code(advisor.device.secret))
    site.find("form[action^='/login/code'] button[type=submit]").click()
    site.wait_for(lambda: site.find_all("#field-code-error"), "the code's error")
    code = site.find("#field-code")
    assert "Ce code est incorrect" in site.find("#field-code-error").text
    assert code.get_attribute("aria-invalid") == "true"
    assert code.get_attribute("aria-describedby").split()[0] == "field-code-error"
    assert site.find("#form-alert a[href='#field-code']").text == site.find(
        "#field-code-error").text
    site.check()
    site.screenshot("login-code-wrong")
