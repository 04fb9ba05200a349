"""A conversation's notification links by its reader's side and roles: the customer reads it
on the member's page, even once they hold a staff role (staff bank here too); other staff
answer in the console; an ex-advisor reads the member's page (the console answers them 404),
and a console link of before sends its customer to their page. The lists keep the sides apart
too: a staff member's own conversation is on their member's page, not in their console."""
from __future__ import annotations

from urllib.parse import urlsplit

import requests

from gateway.web.session import ACCESS_COOKIE
from services.notifications.domain import CONSOLE_CONVERSATION_PAGE, CONVERSATION_PAGE

from ..conftest import wait_for
from .steps import customer_with_advisor, inbox, notified, ok


def linked_page(api, user, notice_id: str) -> str:
    """The path the notification `notice_id` links to in `user`'s inbox, read now."""
    items = inbox(api, user, limit=100)["items"]
    return urlsplit(next(n for n in items if n["id"] == notice_id)["link"]).path


def listed(api, user, **params) -> list[str]:
    """The ids of `user`'s conversations `GET /api/v1/conversations` lists with `params`."""
    return [c["id"] for c in ok(api.get("/api/v1/conversations", user=user,
                                        params={"limit": 100, **params}))["items"]]


def opened(platform, user, path: str) -> requests.Response:
    """`path` on the site with `user`'s session (its access cookie), not followed further."""
    browser = requests.Session()
    browser.cookies.set(ACCESS_COOKIE, user.access_token)
    return browser.get(platform.base_url + path, allow_redirects=False, timeout=10)


def test_a_conversation_notice_links_by_the_readers_side_and_roles(platform, api,
                                                                  conversations_db):
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Plafond de ma carte", "message": "Pouvez-vous l'augmenter ?"}), 201)["id"]
    member_page = CONVERSATION_PAGE.format(id=cid)
    console_page = CONSOLE_CONVERSATION_PAGE.format(id=cid)
    to_advisor = notified(api, advisor, "private_message", conversation_id=cid)
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=advisor,
                json={"body": "Je regarde."}), 201)
    to_member = notified(api, member, "private_message", conversation_id=cid)
    assert linked_page(api, advisor, to_advisor["id"]) == console_page
    assert linked_page(api, member, to_member["id"]) == member_page

    api.grant(platform.admin, member, "advisor")  # signs them in again: the roles of the token
    assert linked_page(api, member, to_member["id"]) == member_page  # still their own
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=advisor,
                json={"body": "C'est fait."}), 201)
    as_staff = wait_for(lambda: next((n for n in inbox(api, member, limit=100)["items"]
                                      if n["conversation_id"] == cid
                                      and n["id"] != to_member["id"]), None),
                        timeout=20, message="the notice of the second answer")
    assert linked_page(api, member, as_staff["id"]) == member_page  # notified as staff
    moved = opened(platform, member, console_page)  # a console link of before
    assert moved.status_code == 303 and moved.headers["Location"] == member_page
    assert opened(platform, member, member_page).status_code == 200  # and no loop
    # each list shows its side: their own on the member's page, not in their console inbox
    assert cid in listed(api, member, side="customer")
    assert cid not in listed(api, member, side="staff", sort="waiting")
    assert cid in listed(api, advisor, side="staff", sort="waiting")
    assert cid not in listed(api, advisor, side="customer")
    assert cid in listed(api, member) and cid in listed(api, advisor)  # no side: all of them
    assert member_page in opened(platform, member, "/conversations").text
    console = opened(platform, member, "/console/conversations")
    assert console.status_code == 200 and cid not in console.text

    api.grant(platform.admin, advisor)  # every staff role taken away
    assert linked_page(api, advisor, to_advisor["id"]) == member_page
