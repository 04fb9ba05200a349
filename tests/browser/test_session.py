"""A signed-in member's session lasts while they move around the site.

Refresh tokens rotate, and identity revokes a whole session when a token it has already rotated
comes back (a replay). Page scripts must therefore refresh only when the access cookie has really
expired, and one at a time: a refresh started by a page that is being left may reach identity
while its answer (the new cookies) is dropped with the page, and the next refresh then looks like
a replay — the member is signed out in the middle of what they do.
"""
from __future__ import annotations

PAGES = ("/", "/notifications", "/questions", "/me/feed", "/ideas", "/me/profile")


def refresh_cookie(site) -> str:
    """The refresh token cookie (HttpOnly, path /session: read through the browser's devtools)."""
    cookies = site.driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]
    return next(c["value"] for c in cookies if c["name"] == "agora_rt")


def live_channel_open(site) -> bool:
    # live.js marks the bell with the unread count when the stream's first event arrives
    return bool(site.find_all("[data-bell][data-unread]"))


def test_leaving_pages_with_a_live_channel_open_keeps_the_session(site, api):
    me = api.new_user()
    site.sign_in(me.email, me.password)
    token = refresh_cookie(site)
    for _ in range(2):
        for path in PAGES:
            site.visit(path, check=False)
            site.wait_for(lambda: live_channel_open(site), f"the live channel open on {path}")
    assert refresh_cookie(site) == token, "leaving a page refreshed the session"
    site.visit("/me/profile")
    assert site.find_all(".account-menu"), "signed out while moving around"
