"""A signed-in member's session lasts while they move around the site.

Refresh tokens rotate, and identity revokes a whole session when a token it has already rotated
comes back (a replay). Page scripts must therefore refresh only when the access cookie has really
expired, and one at a time: a refresh started by a page that is being left may reach identity
while its answer (the new cookies) is dropped with the page, and the next refresh then looks like
a replay — the member is signed out in the middle of what they do.
"""
from __future__ import annotations

import uuid

import requests

from gateway.web.page import login_url
from gateway.web.typography import glue_punctuation

from ..e2e.steps import ok, visible

PAGES = ("/", "/notifications", "/questions", "/me/feed", "/ideas", "/me/profile")


def refresh_cookie(site) -> str:
    """The refresh token cookie (HttpOnly, path /session: read through the browser's devtools)."""
    cookies = site.driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]
    return next(c["value"] for c in cookies if c["name"] == "agora_rt")


def live_state(site) -> str | None:
    # live.js marks the bell: "open" when the stream said hello, "retrying" when it was refused
    bells = site.find_all("[data-bell][data-live]")
    return bells[0].get_attribute("data-live") if bells else None


def test_leaving_pages_with_a_live_channel_open_keeps_the_session(site, api):
    """Also: every page gets its live stream at once, however many pages came before (the
    streams of the pages left used to count against the member's limit, 10, and refuse it)."""
    me = api.new_user()
    site.sign_in(me.email, me.password)
    token = refresh_cookie(site)
    for _ in range(2):
        for path in PAGES:
            site.visit(path, check=False)
            state = site.wait_for(lambda: live_state(site), f"the live channel on {path}")
            assert state == "open", f"the live channel was refused on {path}"
    assert refresh_cookie(site) == token, "leaving a page refreshed the session"
    site.visit("/me/profile")
    assert site.find_all(".account-menu"), "signed out while moving around"


def test_files_fetched_beside_a_page_never_replace_its_csrf_token(demo):
    """A browser without the CSRF cookie yet fetches the service worker (update check), the
    manifest and files alongside the first page; if they set a token of their own, the page's
    forms carry a token that is no longer the cookie's and are refused (403)."""
    for path in ("/sw.js", "/manifest.webmanifest", "/robots.txt", "/static/css/site.css",
                 "/favicon.ico"):  # asked by browsers beside the pages' icon link
        answer = requests.get(demo.base_url + path, timeout=10)
        assert answer.status_code == 200, path
        assert "agora_csrf" not in answer.headers.get("Set-Cookie", ""), path
    login = requests.get(demo.base_url + "/login", timeout=10)
    assert "agora_csrf=" in login.headers["Set-Cookie"]  # the page whose form carries it


def _question(api, asker) -> dict:
    post = ok(api.post("/api/v1/posts", user=asker, json={
        "kind": "question", "title": f"Frais de tenue de compte {uuid.uuid4().hex[:6]}",
        "body": "Des frais sont apparus ce mois-ci, est-ce normal ?", "category": "cards"}), 201)
    return visible(api, post["id"], user=asker)


def _sign_out_in_another_tab(site) -> None:
    here = site.driver.current_window_handle
    site.driver.switch_to.new_window("tab")
    try:
        site.visit("/", check=False)
        site.find(".account-menu summary").click()
        site.find(".account-menu form[action='/session/logout'] button").click()
        site.wait_for(lambda: not site.find_all(".account-menu"), "signed out in the other tab")
    finally:
        site.driver.close()
        site.driver.switch_to.window(here)


def test_a_reply_sent_after_signing_out_in_another_tab_is_kept_through_signing_in(site, api):
    """The reply form of a tab whose session ended: the whole page goes to the sign-in page
    (not the sign-in page inside the form's slot), which comes back to the thread (not to the
    POST-only reply action, a 405), where the text typed is back in the form."""
    asker, me = api.new_user(), api.new_user()
    post = _question(api, asker)
    _reply_across_signing_out(site, me, post["id"], "fr", "Votre texte non envoyé est de retour",
                              "Vous êtes connecté·e.")
    _reply_across_signing_out(site, me, post["id"], "en", "Your unsent text is back in the form",
                              "You are signed in.")


def _reply_across_signing_out(site, me, post_id: str, language: str, restored: str,
                              signed_in: str) -> None:
    thread = f"/posts/{post_id}"
    site.driver.delete_all_cookies()
    site.sign_in(me.email, me.password, next_path=thread)
    site.wait_for_path(thread)
    if language == "en":  # the profile's language: signing in again keeps it
        site.find(".lang-switch button[lang='en']").click()
        site.wait_for(lambda: site.t("en", "fr") == "en", "the English page")
    text = f"Mêmes frais chez moi ({language}) : remboursés après un appel à mon conseiller."
    site.find("#reply-body").send_keys(text)
    _sign_out_in_another_tab(site)
    site.find("#reply-form button[type=submit]").click()
    site.wait_for(lambda: site.driver.current_url == site.url(login_url(thread)),
                  "the sign-in page, as a page")
    assert len(site.find_all(".site-header")) == 1 and not site.find_all("#reply-form")
    site.check()
    site.screenshot(f"stale-reply-login-{language}")
    site.fill(site.t("E-mail address", "Adresse e-mail"), me.email)
    site.fill(site.t("Password", "Mot de passe"), me.password)
    site.find("form[action='/login'] button[type=submit]").click()
    site.wait_for(lambda: site.driver.current_url == site.url(thread), "back on the thread")
    site.wait_for(lambda: restored in site.find("#live-status").text, "the text is back")
    assert signed_in in site.find("#live-status").text
    assert site.find("#reply-body").get_attribute("value") == text
    assert site.driver.switch_to.active_element.get_attribute("id") == "reply-body"
    site.check()
    site.screenshot(f"stale-reply-restored-{language}")
    site.find("#reply-form button[type=submit]").click()
    site.wait_for(lambda: glue_punctuation(text) in site.find(".reply-list").text,
                  "the reply sent")  # as the page renders it: « : » glued to its word
    site.visit(thread, check=False)  # once sent, the text is not put back again
    assert site.find("#reply-body").get_attribute("value") == ""
