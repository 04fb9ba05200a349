"""An advisor writes first to one of their customers through the gateway
(`POST /api/v1/customers/{id}/conversations`): 201 with the conversation, one per
Idempotency-Key; anyone but the customer's advisor gets 404 as for their timeline; the customer
gets the usual private-message notice naming their advisor, an e-mail that never quotes it, and
their list shows a new reply, not « En attente de réponse »."""
from __future__ import annotations

import uuid

from ..conftest import wait_for
from .steps import customer_with_advisor, mail, notified, ok, problem, site_login, staff


def test_the_advisor_writes_first_and_the_customer_is_told(platform, api, conversations_db):
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    path = f"/api/v1/customers/{member.id}/conversations"
    secret = f"Votre carte est prête ({uuid.uuid4().hex})"
    words = {"subject": "Votre nouvelle carte", "message": secret}

    problem(api.post(path, json=words), 401)
    colleague = staff(platform, "advisor")
    problem(api.get(f"/api/v1/customers/{member.id}/timeline", user=colleague), 404)
    for other in (colleague, staff(platform), member):  # a CM reads the timeline, no more
        problem(api.post(path, user=other, json=words), 404)
    problem(api.post(f"/api/v1/customers/{'0' * 32}/conversations", user=advisor, json=words), 404)

    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = api.post(path, user=advisor, json=words, headers=key)
    again = api.post(path, user=advisor, json=words, headers=key)  # a retry: the same one
    started = ok(first, 201)
    assert ok(again, 201)["id"] == started["id"]
    assert started["origin"] == "advisor" and started["masked"] == []
    assert started["participant_ids"] == [member.id, advisor.id]
    assert not started["waiting_for_staff"]
    assert [c["id"] for c in ok(api.get("/api/v1/conversations", user=member))["items"]] == [
        started["id"]]

    # the customer is told as of any message of their advisor, never quoted
    notice = notified(api, member, "private_message", conversation_id=started["id"])
    assert notice["text"] == f"{advisor.display_name}, votre conseiller·ère, vous a écrit."
    assert notice["link"].endswith(f"/conversations/{started['id']}")
    sent = mail(platform, member, "nouveau message privé")
    assert secret not in sent["Subject"] + sent.get_content()
    assert "Votre nouvelle carte" not in sent["Subject"] + sent.get_content()

    # their list: a new reply (unread), not waiting for an answer
    browser, _ = site_login(platform.base_url, member)
    listed = browser.get(platform.base_url + "/conversations", timeout=10)
    assert listed.status_code == 200
    assert "Nouvelle réponse" in listed.text and "En attente de réponse" not in listed.text


def test_one_key_sent_to_two_customers_writes_to_both(platform, api, conversations_db):
    """The gateway records a key per path, the service minted ids per key only: the same
    Idempotency-Key sent to a second customer answered 201 with the first customer's
    conversation and wrote nothing to the second. The same goes for a message sent with one
    key to two conversations."""
    first_member, advisor = customer_with_advisor(platform, api, conversations_db)
    second_member = api.new_user(customer=True)
    ok(api.put(f"/api/v1/users/{second_member.id}/advisor", user=platform.admin,
               json={"advisor_id": advisor.id, "branch": "Lyon Bellecour"}))
    wait_for(lambda: (conversations_db["members"].find_one({"_id": second_member.id}) or {})
             .get("advisor_id") == advisor.id, timeout=20, message="advisor known")
    key = {"Idempotency-Key": uuid.uuid4().hex}
    words = {"subject": "Votre rendez-vous", "message": "Je vous propose jeudi à 10 h."}
    started = [ok(api.post(f"/api/v1/customers/{member.id}/conversations", user=advisor,
                           json=words, headers=key), 201)
               for member in (first_member, second_member)]
    assert started[0]["id"] != started[1]["id"]
    assert [s["participant_ids"][0] for s in started] == [first_member.id, second_member.id]

    sent = [ok(api.post(f"/api/v1/conversations/{s['id']}/messages", user=advisor,
                        json={"body": "Merci de confirmer."}, headers=key), 201)
            for s in started]
    assert sent[0]["id"] != sent[1]["id"]
    for s in started:
        read = ok(api.get(f"/api/v1/conversations/{s['id']}", user=advisor))
        assert [m["body"] for m in read["messages"]][-1] == "Merci de confirmer."
