"""A new member's unconfirmed address in the browser: the banner asks to confirm it and resends
the e-mail; the link's page confirms with a button (opening it changes nothing: mail scanners
open links), and says clearly when a link no longer works (phone: 390 px)."""
from __future__ import annotations

import re
from urllib.parse import quote, unquote

from ..conftest import wait_for

# everything a page script can read that could hold a token
IN_REACH_OF_SCRIPTS_TEXT = """
const stored = [sessionStorage, localStorage].flatMap((storage) => Object.keys(storage).map(
  (key) => key + "=" + storage.getItem(key)));
return [location.href, document.cookie, document.documentElement.outerHTML, ...stored].join("\\n");
"""
IN_REACH_OF_SCRIPTS = """
const stored = [sessionStorage, localStorage].flatMap((storage) => Object.keys(storage).map(
  (key) => storage.getItem(key)));
return stored.filter((value) => /token=/.test(value));
"""
LINK = re.compile(r"https?://[^\s]+/verify-email\?token=([A-Za-z0-9_%-]+)")


def _tokens(platform, user) -> list[str]:
    return [unquote(found.group(1)) for message in platform.mailsink.messages(to=user.email)
            if (found := LINK.search(message.get_content()))]


def _verified(api, user) -> bool:
    response = api.get("/api/v1/me", user=user)
    assert response.status_code == 200, response.text
    return response.json()["email_verified"]


def test_the_banner_and_the_confirmation_page(site, api, demo):
    member = api.new_user()
    site.sign_in(member.email, member.password, next_path="/me/profile")
    site.wait_for_path("/me/profile")
    banner = site.find(".verify-banner")
    assert "Confirmez votre adresse e-mail" in banner.text and member.email in banner.text
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("verify-banner")

    site.click_button("Renvoyer l’e-mail")
    site.wait_for(lambda: "Un nouvel e-mail de confirmation est parti" in site.text(),
                  "the notice that the e-mail was sent again")
    token = wait_for(lambda: _tokens(demo, member)[1:], timeout=20,
                     message="the second confirmation link")[-1]

    site.visit(f"/verify-email?token={quote(token, safe='')}")  # opening it: a button only
    assert site.heading("Confirmer votre adresse e-mail", 1)
    # the token is out of every page script's reach: not in the address (htmx copies it into
    # sessionStorage), not in either storage, not in the page (an HttpOnly cookie holds it)
    assert site.driver.execute_script(IN_REACH_OF_SCRIPTS) == [], token
    assert token not in site.driver.execute_script(IN_REACH_OF_SCRIPTS_TEXT)
    assert not _verified(api, member)
    site.no_horizontal_scroll()
    site.screenshot("verify-email-page")
    site.click_button("Confirmer mon adresse")
    site.wait_for(lambda: site.heading("Adresse e-mail confirmée", 1), "confirmed")
    site.check()
    site.screenshot("verify-email-done")
    assert _verified(api, member)
    site.visit("/me/profile")
    assert not site.find_all(".verify-banner")

    # the same link again: a clear page, not an error
    site.visit(f"/verify-email?token={quote(token, safe='')}")
    site.click_button("Confirmer mon adresse")
    site.wait_for(lambda: site.heading("Ce lien ne fonctionne plus", 1), "the link refused")
    assert "a déjà servi ou a expiré" in site.text()
    site.check()
    site.screenshot("verify-email-refused")
