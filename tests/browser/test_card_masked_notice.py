"""A member who sends a card number, a PIN or a password in a private message is told, once it
is sent, that the bank masked it, and what (findings 38 §4: the service stores it masked, its
answer says `masked`): the notice under « Répondre » naming it, the message shown masked, and
nothing said for a message without one. French at the phone size, then English at the desktop
size; and an advisor replying in the console, alike."""
from __future__ import annotations

import uuid

import pytest

from services.devtools.demo_seed import DemoApi

from ..e2e.steps import customer_with_advisor, ok
from ..platform import PASSWORD
from .conftest import DEVICES, Site, opened
from .console_steps import sign_in_staff, staff_device

CARD = "4970 1012 3456 7893"  # Luhn-valid
NOTICE_FR = "Pour votre sécurité, nous avons masqué le numéro de carte de votre message."
PIN_FR = "Pour votre sécurité, nous avons masqué le code confidentiel de votre message."
NOTICE_EN = "For your security, we masked the card number in your message."
BOTH_EN = "For your security, we masked the card number and the password in your message."


def send(site: Site, text: str) -> None:
    """Type `text` in the reply box and send it; wait until it is in the list."""
    count = len(site.find_all("#message-list [data-message]"))
    site.find("#field-body").send_keys(text)
    site.find("#message-form button[type=submit]").click()
    site.wait_for(lambda: len(site.find_all("#message-list [data-message]")) == count + 1,
                  "the message sent, in the list")


def notice(site: Site) -> str:
    """The notice's text when it is shown, else ""."""
    shown = site.find("#card-masked")
    return shown.text.strip() if shown.is_displayed() else ""


def test_the_member_is_told_the_card_number_was_masked(platform, conversations_db, phone):
    api = platform.api
    member, _ = customer_with_advisor(platform, api, conversations_db)
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Paiement refusé", "message": "Bonjour"}), 201)["id"]

    phone.sign_in(member.email, PASSWORD, next_path=f"/conversations/{cid}")
    phone.wait_for_path(f"/conversations/{cid}")
    assert notice(phone) == ""
    send(phone, f"Ma carte {CARD} est refusée")
    phone.wait_for(lambda: notice(phone) == NOTICE_FR, "the notice, in French")
    assert phone.find_all("#message-list [data-message]")[-1].text.endswith(
        "Ma carte •••• •••• •••• 7893 est refusée")
    send(phone, "Mon code PIN est 4821")  # a PIN alone: the notice names the code
    phone.wait_for(lambda: notice(phone) == PIN_FR, "the notice naming the code, in French")
    assert phone.find_all("#message-list [data-message]")[-1].text.endswith(
        "Mon code PIN est ••••")
    phone.check()
    phone.no_horizontal_scroll()
    phone.screenshot("member-card-masked-fr")

    english = Site(driver=phone.driver, device="desktop", base_url=phone.base_url)
    phone.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DEVICES["desktop"])
    try:
        english.visit(f"/lang/en?next=/conversations/{cid}", check=False)
        english.wait_for_path(f"/conversations/{cid}")
        assert notice(english) == ""
        send(english, f"Card {CARD.replace(' ', '')} again")
        english.wait_for(lambda: notice(english) == NOTICE_EN, "the notice, in English")
        send(english, f"Card {CARD}, password: Sunny2024!")  # both named
        english.wait_for(lambda: notice(english) == BOTH_EN, "the notice naming both")
        assert "Sunny2024" not in english.text()
        english.check()
        english.screenshot("member-card-masked-en")
        send(english, "Thank you")  # nothing masked: the notice goes
        english.wait_for(lambda: notice(english) == "", "no notice for a message without one")
    finally:
        phone.visit("/lang/fr?next=/conversations", check=False)
        phone.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DEVICES["phone"])


@pytest.fixture
def desk(browsers, demo):
    """The console at the desktop size only."""
    return opened(browsers, demo, "desktop")


def test_an_advisor_is_told_in_the_console_too(desk, demo):
    api = DemoApi(demo.base_url)
    api.devices["advisor1@demo.agora"] = staff_device("advisor1@demo.agora")
    cid = api.post("/api/v1/conversations", as_="member1@demo.agora", json={
        "subject": f"Opposition {uuid.uuid4().hex[:6]}", "message": "Bonjour"})["id"]
    sign_in_staff(desk, "advisor1@demo.agora", next_path=f"/console/conversations/{cid}")
    desk.wait_for_path(f"/console/conversations/{cid}")
    assert notice(desk) == ""
    count = len(desk.find_all("#staff-messages [data-message]"))
    desk.find("#field-body").send_keys(f"Je vois la carte {CARD}, je la bloque")
    desk.find("#staff-reply button[type=submit]").click()
    desk.wait_for(lambda: len(desk.find_all("#staff-messages [data-message]")) == count + 1,
                  "the reply sent, in the list")
    desk.wait_for(lambda: notice(desk) == NOTICE_FR, "the notice, in French")
    assert "•••• •••• •••• 7893" in desk.find_all("#staff-messages [data-message]")[-1].text
    desk.check()
    desk.screenshot("console-card-masked")
