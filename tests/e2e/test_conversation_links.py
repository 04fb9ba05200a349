"""A conversation's notification links by its reader's roles when they read it, not when they
were notified: a member made staff since answers in the console, an ex-advisor reads the
member's page (the console answers them 404)."""
from __future__ import annotations

from urllib.parse import urlsplit

from services.notifications.domain import CONSOLE_CONVERSATION_PAGE, CONVERSATION_PAGE

from .steps import customer_with_advisor, inbox, notified, ok


def linked_page(api, user, notice_id: str) -> str:
    """The path the notification `notice_id` links to in `user`'s inbox, read now."""
    items = inbox(api, user, limit=100)["items"]
    return urlsplit(next(n for n in items if n["id"] == notice_id)["link"]).path


def test_a_conversation_notice_links_by_the_readers_roles_when_read(platform, api,
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
    assert linked_page(api, member, to_member["id"]) == console_page

    api.grant(platform.admin, advisor)  # every staff role taken away
    assert linked_page(api, advisor, to_advisor["id"]) == member_page
