"""A signed-in member's session lasts while they move around the site.

Refresh tokens rotate, and identity revokes a whole session when a token it has already rotated
comes back (a replay). Page scripts must therefore refresh only when the access cookie has really
expired, and one at a time: a refresh started by a page that is being left may reach identity
while its answer (the new cookies) is dropped with the page, and the next refresh then looks like
a replay — the member is signed out in the middle of what they do.
"""
from __future__ import annotations

import requests

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
