"""A member's private pages say what is true (findings 38 §4, §6, §9): the list of their
conversations tells, in words, which one awaits the bank's reply and which is answered — still
awaiting when staff marked it handled (staff's bookkeeping, never shown to the customer); the
conversation page says where a document goes (no attachments here); the bank's contact page
warns against codes, passwords and full card numbers, not account numbers (an IBAN may be sent
to one's advisor). French at the phone size, then English at the desktop size. The advisor's
side is arranged through the API; the member only reads and clicks."""
from __future__ import annotations

from ..conftest import wait_for
from ..e2e.steps import customer_with_advisor, notified, ok
from ..platform import PASSWORD
from .conftest import DEVICES, Site

NEVER_CODES_FR = ("Ne donnez jamais de code, de mot de passe ni de numéro de carte complet\u202f: "
                  "la banque ne vous les demandera jamais.")
NEVER_CODES_EN = ("Never give a code, a password or a full card number: the bank will never ask "
                  "you for them.")
DOCUMENTS_FR = "Pour envoyer un document, utilisez l’espace sécurisé de votre banque en ligne."
DOCUMENTS_EN = "To send a document, use your online banking’s secure area."


def state_of(site: Site, cid: str) -> str:
    """The state the member's list shows for conversation `cid` ("" if none)."""
    found = site.find_all(f"li:has(a[href='/conversations/{cid}']) [data-conversation-state]")
    return found[0].text.strip() if found else ""


def link_of(site: Site, cid: str) -> str:
    return site.text_of(f"a[href='/conversations/{cid}']")


def test_the_member_reads_where_each_conversation_stands_and_what_not_to_send(
        platform, conversations_db, phone):
    api = platform.api
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    waiting = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Plafond de retrait", "message": "Puis-je l'augmenter ?"}), 201)["id"]
    answered = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Opposition carte", "message": "J'ai perdu ma carte."}), 201)["id"]
    ok(api.post(f"/api/v1/conversations/{answered}/messages", user=advisor,
                json={"body": "Votre carte est mise en opposition."}), 201)
    notified(api, member, "private_message", conversation_id=answered)
    # the advisor marks the waiting one handled: the customer is not told, it still awaits
    assert api.post(f"/api/v1/conversations/{waiting}/handled", user=advisor).status_code == 204
    wait_for(lambda: ok(api.get(f"/api/v1/conversations/{waiting}", user=advisor))["handled"],
             timeout=20, message="marked handled")

    # a member who is not a customer: the bank's contact page, its warning (French, then English)
    stranger = api.new_user()
    phone.sign_in(stranger.email, PASSWORD, next_path="/advisor")
    phone.wait_for_path("/advisor")
    assert NEVER_CODES_FR in phone.text_of("main")
    assert "numéro de compte" not in phone.text_of("main")
    phone.visit("/lang/en?next=/advisor")
    assert NEVER_CODES_EN in phone.text_of("main")
    assert "account number" not in phone.text_of("main")
    phone.driver.delete_all_cookies()

    # the customer, French, phone: the answer not opened yet is « Nouvelle réponse »
    phone.sign_in(member.email, PASSWORD, next_path="/conversations")
    phone.wait_for_path("/conversations")
    assert state_of(phone, waiting) == "En attente de réponse"
    assert link_of(phone, answered).startswith("Nouvelle réponse")
    assert state_of(phone, answered) == ""
    phone.find(f"a[href='/conversations/{answered}']").click()
    phone.wait_for_path(f"/conversations/{answered}")
    assert phone.text_of("#field-body-documents") == DOCUMENTS_FR
    phone.check()
    phone.no_horizontal_scroll()
    phone.screenshot("member-conversation-documents-fr")
    phone.wait_for(lambda: phone.visit("/conversations", check=False)
                   or state_of(phone, answered) == "Répondu", "« Répondu » once opened")
    assert state_of(phone, waiting) == "En attente de réponse"  # handled: not theirs to know
    assert not link_of(phone, answered).startswith("Nouvelle réponse")
    phone.check()
    phone.no_horizontal_scroll()
    phone.screenshot("member-conversations-states-fr")

    # English, desktop size
    english = Site(driver=phone.driver, device="desktop", base_url=phone.base_url)
    phone.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DEVICES["desktop"])
    try:
        english.visit("/lang/en?next=/conversations", check=False)
        english.wait_for(lambda: state_of(english, waiting) == "Awaiting a reply", "English")
        assert state_of(english, answered) == "Answered"
        english.check()
        english.no_horizontal_scroll()
        english.screenshot("member-conversations-states-en")
        english.visit(f"/conversations/{waiting}")
        assert english.text_of("#field-body-documents") == DOCUMENTS_EN
        english.screenshot("member-conversation-documents-en")
    finally:
        phone.visit("/lang/fr?next=/conversations", check=False)
        phone.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DEVICES["phone"])
