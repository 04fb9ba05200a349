"""« Réponse habituelle sous 8 h » beside the send button follows the conversation live: it
stayed under a conversation the bank had just answered while the page was open (a promise no
longer due); the bank's answer arriving live takes it away, the customer's own message from
another device brings it back."""
from __future__ import annotations

from ..e2e.steps import customer_with_advisor, ok
from ..platform import PASSWORD
from .test_usual_reply import line, usual_hours


def messages_shown(site) -> int:
    return len(site.find_all("#message-list [data-message]"))


def test_the_usual_reply_line_follows_live_messages(platform, conversations_db, phone):
    api = platform.api
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    hours = usual_hours(platform)
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Carte bloquée", "message": "Ma carte est refusée depuis ce matin."}),
        201)["id"]
    page = f"/conversations/{cid}"
    phone.sign_in(member.email, PASSWORD, next_path=page)
    phone.wait_for_path(page)
    phone.wait_for(lambda: phone.find("[data-bell]").get_attribute("data-live") == "open",
                   "the page live")
    assert line(phone) == f"Réponse habituelle sous {hours} h"

    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=advisor,
                json={"body": "Je la débloque, réessayez dans cinq minutes."}), 201)
    phone.wait_for(lambda: messages_shown(phone) == 2, "the bank's answer, live")
    assert line(phone) == "", "the promise stays after the bank answered"
    phone.check()
    phone.no_horizontal_scroll()
    phone.screenshot("usual-reply-live-answered")

    # the customer writes from another device: it awaits the bank again
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=member,
                json={"body": "Toujours refusée, hélas."}), 201)
    phone.wait_for(lambda: messages_shown(phone) == 3, "their own message, live")
    assert line(phone) == f"Réponse habituelle sous {hours} h"
    phone.screenshot("usual-reply-live-waiting")
