"""« Marquer comme traitée » follows the messages that arrive live on the staff conversation
page: the page showed the customer's new message but still said « Marquée comme traitée » with
no button (or kept the button after a colleague's answer) until it was reloaded. Now a customer
message brings the button back and takes the "handled" line away, a staff message takes the
button away; the button brought back works (phone size)."""
from __future__ import annotations

from ..e2e.steps import customer_with_advisor, ok
from .test_conversation_handled import BUTTON, handled_line


def messages_shown(site) -> int:
    return len(site.find_all("#staff-messages [data-message]"))


def test_the_handled_state_follows_live_messages(platform, conversations_db, phone):
    api = platform.api
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Plafond de retrait",
        "message": "Pouvez-vous relever mon plafond ?"}), 201)["id"]
    page = f"/console/conversations/{cid}"
    phone.sign_in(advisor.email, advisor.password, device=advisor.device, next_path=page)
    phone.wait_for_path(page)
    phone.wait_for(lambda: phone.find_all(BUTTON), "the button, the customer waiting")
    phone.find(BUTTON).click()
    phone.wait_for(lambda: handled_line(phone), "marked handled")
    assert not phone.find_all(BUTTON)
    phone.wait_for(lambda: phone.find("#staff-messages").get_attribute("data-live") == "on",
                   "the page live")

    # the customer writes again, the page open: their message, the button, no "handled"
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=member,
                json={"body": "Pour un achat important demain."}), 201)
    phone.wait_for(lambda: messages_shown(phone) == 2, "the customer's message, live")
    assert phone.find_all(BUTTON), "no button while the customer waits"
    assert handled_line(phone) == "", "still « handled » after the customer's message"
    assert phone.find(BUTTON).text == "Marquer comme traitée"
    phone.check()
    phone.no_horizontal_scroll()
    phone.screenshot("console-handled-live-waiting")

    # a colleague's (here: the advisor's other device's) answer: the wait ends, the button goes
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=advisor,
                json={"body": "C'est fait pour 48 heures."}), 201)
    phone.wait_for(lambda: messages_shown(phone) == 3, "the staff answer, live")
    assert not phone.find_all(BUTTON), "the button after a staff answer"

    # the customer again, then the button brought back marks it handled
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=member,
                json={"body": "Merci !"}), 201)
    phone.wait_for(lambda: messages_shown(phone) == 4, "the thank-you, live")
    phone.find(BUTTON).click()
    phone.wait_for(lambda: handled_line(phone), "marked handled again")
    assert handled_line(phone).startswith("Marquée comme traitée par vous le ")
    assert not ok(api.get(f"/api/v1/conversations/{cid}", user=advisor))["waiting_for_staff"]
    phone.screenshot("console-handled-live-again")
