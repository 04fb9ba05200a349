"""A private message box (and a new conversation's subject) warns while a card number, a code or
a password is typed in it — the bank never asks for them; not an IBAN, which a customer may send
their advisor — in the reader's language, in a polite live region, and
never stops the message from being sent: the member's conversation and new-conversation forms,
and the advisor's reply box in the console. And the card numbers already sent show masked on
the pages that show private messages, subjects and page titles too — the stored text and the
API unchanged."""
from __future__ import annotations

import uuid

from selenium.webdriver.common.keys import Keys

from gateway.web.typography import glue_punctuation

from ..platform import PASSWORD
from .accounts import ADVISOR1, MEMBER1, signed_in_api
from .console_steps import sign_in_staff
from .test_private_pages import ok

api = signed_in_api  # the fixture

CARD = "Ma carte c’est 4970 1012 3456 7893, merci"  # Luhn-valid, a Visa's length
WARNING_FR = ("Ne communiquez jamais votre code ni votre numéro de carte complet, même à votre "
              "conseiller.")
WARNING_EN = "Never share your code or your full card number, not even with your advisor."


def warning(site, status_id: str) -> str:
    return site.find(f"#{status_id}").text


def type_in(site, field, text: str) -> None:
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.DELETE)
    if text:
        field.send_keys(text)


def warns(site, field, status_id: str, text: str, expected: str) -> None:
    type_in(site, field, text)
    site.wait_for(lambda: expected in warning(site, status_id), f"the warning for {text!r}")


def quiet(site, field, status_id: str, text: str) -> None:
    """`text` typed, and once the check ran (a text that warns, then this one), no warning."""
    type_in(site, field, CARD)
    site.wait_for(lambda: warning(site, status_id), "the warning")
    type_in(site, field, text)
    site.wait_for(lambda: not warning(site, status_id), f"no warning for {text!r}")


def test_a_customer_is_warned_while_typing_a_card_number_or_a_code(site, platform,
                                                                    advisor_and_customer):
    api = platform.api
    _, member = advisor_and_customer
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Opposition sur ma carte", "message": "Bonjour"}), 201)["id"]
    site.sign_in(member.email, PASSWORD, next_path=f"/conversations/{cid}")
    site.wait_for_path(f"/conversations/{cid}")
    status = site.find("#field-body-secret")
    assert status.get_attribute("aria-live") == "polite" and status.text == ""
    field = site.find("#field-body")
    for text in (CARD, "mon code est 1234", "Code : 0000", "mon mot de passe : Soleil2024"):
        warns(site, field, "field-body-secret", text, WARNING_FR)
    for text in ("Ma carte 4970 1012 3456 7890 est bloquée",  # Luhn fails: no card number
                 "Mon IBAN : FR76 3000 6000 0112 3456 7890 189",  # theirs, for their advisor
                 "mon code postal est 75001", "mon mot de passe est bloqué", ""):
        quiet(site, field, "field-body-secret", text)

    warns(site, field, "field-body-secret", CARD + ", code 1234", WARNING_FR)
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("private-secret-warning")
    # a warning, not a barrier: the message is sent, and the box and its warning empty
    site.click_button("Envoyer le message")
    site.wait_for(lambda: "code 1234" in site.find_all("[data-message]")[-1].text, "sent")
    site.wait_for(lambda: not warning(site, "field-body-secret"), "the warning gone")
    assert field.get_attribute("value") == ""

    site.find(".lang-switch button[lang='en']").click()
    site.wait_for(lambda: site.driver.execute_script(
        "return document.documentElement.lang") == "en", "English page")
    warns(site, site.find("#field-body"), "field-body-secret", "my PIN is 4321", WARNING_EN)
    site.check()
    site.screenshot("private-secret-warning-en")


def test_the_new_conversation_form_warns_too(site, platform, advisor_and_customer):
    _, member = advisor_and_customer
    site.sign_in(member.email, PASSWORD, next_path="/conversations")
    site.wait_for_path("/conversations")
    subject = site.field("Sujet")  # shown on lists and in the page's title: private too
    warns(site, subject, "field-message-secret", CARD, WARNING_FR)
    type_in(site, subject, "")
    site.wait_for(lambda: not warning(site, "field-message-secret"), "no warning")
    field = site.field("Votre message")
    warns(site, field, "field-message-secret", CARD, WARNING_FR)
    site.check()
    site.screenshot("private-new-secret-warning")
    site.fill("Sujet", f"Carte {uuid.uuid4().hex[:4]}")
    site.click_button("Envoyer")
    site.wait_for_path("/conversations/")
    # sent all the same; the card number shows masked (MASKED below)
    site.wait_for(lambda: "•••• •••• •••• 7893" in site.text(), "sent all the same")


def test_an_advisor_is_warned_while_typing_a_card_number_in_a_reply(console, api):
    cid = api.post("/api/v1/conversations", as_=MEMBER1, json={
        "subject": f"Carte {uuid.uuid4().hex[:6]}", "message": "Bonjour"})["id"]
    sign_in_staff(console, ADVISOR1, next_path=f"/console/conversations/{cid}")
    console.wait_for_path(f"/console/conversations/{cid}")
    field = console.find("#field-body")
    staff_fr = "Ne communiquez jamais de code ni de numéro de carte complet dans un message privé"
    warns(console, field, "field-body-secret", "Votre carte 4970 1012 3456 7893 est prête",
          staff_fr)
    console.check()
    console.screenshot("console-secret-warning")
    console.click_button("Envoyer")
    console.wait_for(lambda: "7893" in console.find_all(
        "#staff-messages [data-message]")[-1].text, "sent all the same")
    console.wait_for(lambda: not warning(console, "field-body-secret"), "the warning gone")


MASKED = "Ma carte c’est •••• •••• •••• 7893, merci"


def bodies(site, css: str) -> list[str]:
    return [element.text for element in site.find_all(css)]


def test_a_customer_sees_card_numbers_masked_in_their_conversation(site, platform,
                                                                  advisor_and_customer):
    api = platform.api
    advisor, member = advisor_and_customer
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Ma carte 4970 1012 3456 7893", "message": CARD}), 201)["id"]
    # stored masked at write time (PCI DSS): the API answers it masked too
    stored = ok(api.get(f"/api/v1/conversations/{cid}", user=member))["messages"]
    assert stored[0]["body"] == MASKED
    site.sign_in(member.email, PASSWORD, next_path=f"/conversations/{cid}")
    site.wait_for_path(f"/conversations/{cid}")
    assert bodies(site, "[data-message] .message-body") == [MASKED]
    assert site.find("h1").text == "Ma carte •••• •••• •••• 7893"
    assert "4970" not in site.text() and "4970" not in site.driver.title
    site.wait_for(lambda: site.driver.execute_script(
        "return document.querySelector('[data-bell]').dataset.live === 'open'"), "live")
    # a message that arrives live, masked the same way
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=advisor,
                json={"body": "Bien reçu pour la 4970101234567893."}), 201)
    site.wait_for(lambda: bodies(site, "[data-message] .message-body")[-1]
                  == "Bien reçu pour la ••••••••••••7893.", "the advisor's message, masked")
    site.check()
    site.screenshot("private-card-masked")
    site.visit("/conversations")
    assert "Ma carte •••• •••• •••• 7893" in site.text() and "4970" not in site.text()


def test_an_advisor_sees_card_numbers_masked_in_the_conversation_and_the_journey(console, api):
    subject = f"Carte {uuid.uuid4().hex[:6]} 4970 1012 3456 7893"
    cid = api.post("/api/v1/conversations", as_=MEMBER1, json={
        "subject": subject, "message": CARD})["id"]
    sign_in_staff(console, ADVISOR1, next_path=f"/console/conversations/{cid}")
    console.wait_for_path(f"/console/conversations/{cid}")
    shown = "#staff-messages [data-message] .staff-message-body"
    assert bodies(console, shown) == [MASKED]
    console.wait_for(lambda: console.find("#staff-messages").get_attribute("data-live") == "on",
                     "live stream open")
    api.post(f"/api/v1/conversations/{cid}/messages", as_=MEMBER1,
             json={"body": "Et l’autre : 5555 5555 5555 4444 exp 09/28"})
    console.wait_for(lambda: bodies(console, shown)[-1]  # its « : » glued, as rendered
                     == glue_punctuation("Et l’autre : •••• •••• •••• •••• exp 09/28"),
                     "the live message, masked")
    assert "4970" not in console.text() and "5555" not in console.text()
    assert "4970" not in console.driver.title
    console.check()
    console.screenshot("console-card-masked")
    console.click_link("Parcours du client sur tous les canaux")
    console.wait_for_path("/console/customers/")
    journey = bodies(console, "#customer-timeline .staff-message-body")
    assert MASKED in journey and CARD not in journey
    assert "4970 1012" not in console.text()
    assert subject.replace("4970 1012 3456", "•••• •••• ••••") in console.text()  # its subject
    console.check()
    console.screenshot("console-journey-card-masked")
    console.visit("/console/conversations")  # waiting, on the first page (the demo's few)
    assert subject.replace("4970 1012 3456", "•••• •••• ••••") in console.text()
    assert "4970 1012" not in console.text()
