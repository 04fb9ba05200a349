"""A member is told when the bank usually answers (findings 38 §6): after their conversation
list and their advisor's card (a customer without an advisor: the bank's team's card), and
under the reply form of a conversation awaiting the bank — not under one the bank answered,
until the member writes again. The figure is the private conversations' target, the one
staff's clocks count against (the platform's default: every second counts, « 8 h »). French
and English, at the phone and the desktop sizes."""
from __future__ import annotations

from selenium.webdriver.common.by import By

from ..e2e.steps import customer_with_advisor, notified, ok, staff
from ..platform import PASSWORD
from .conftest import DEVICES, Site


def line(site: Site) -> str:
    """The usual-reply line, as read (no-break spaces as spaces); "" when hidden or absent."""
    found = site.find_all("#usual-reply")
    if not found or not found[0].is_displayed():
        return ""
    return found[0].text.replace("\u00a0", " ").strip()


def usual_hours(platform) -> int:
    """The private conversations' target in hours (the platform's default: whole hours, every
    second counts — what the line says as « 8 h »)."""
    private = ok(platform.api.get("/api/v1/moderation/sla/targets",
                                  user=staff(platform)))["channels"]["private"]
    assert not private["business_hours"] and private["target_seconds"] % 3600 == 0
    return private["target_seconds"] // 3600


def test_the_member_reads_the_usual_reply_time_in_both_languages(platform, conversations_db,
                                                                  phone):
    api = platform.api
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    hours = usual_hours(platform)
    in_french, in_english = f"Réponse habituelle sous {hours} h", f"Usual reply within {hours} h"
    waiting = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Virement international", "message": "Quels frais pour la Suisse ?"}),
        201)["id"]
    answered = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Chéquier", "message": "Pouvez-vous m'envoyer un chéquier ?"}), 201)["id"]
    ok(api.post(f"/api/v1/conversations/{answered}/messages", user=advisor,
                json={"body": "C'est fait, vous le recevrez sous huit jours."}), 201)
    notified(api, member, "private_message", conversation_id=answered)

    phone.sign_in(member.email, PASSWORD, next_path="/conversations")
    phone.wait_for_path("/conversations")
    assert line(phone) == in_french
    phone.screenshot("usual-reply-list-fr")
    phone.visit("/advisor")
    assert line(phone) == in_french
    phone.screenshot("usual-reply-advisor-fr")
    phone.visit(f"/conversations/{waiting}")
    assert line(phone) == in_french
    phone.no_horizontal_scroll()
    phone.screenshot("usual-reply-conversation-fr")
    # answered: no promise under the form — until the member writes again (the page's script)
    phone.visit(f"/conversations/{answered}")
    assert line(phone) == ""
    phone.driver.find_element(By.ID, "field-body").send_keys("Merci beaucoup.")
    phone.driver.find_element(By.CSS_SELECTOR, "#message-form button[type=submit]").click()
    phone.wait_for(lambda: line(phone) == in_french, "the line once the message went")

    english = Site(driver=phone.driver, device="desktop", base_url=phone.base_url)
    phone.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DEVICES["desktop"])
    try:
        english.visit("/lang/en?next=/conversations", check=False)
        english.wait_for(lambda: line(english) == in_english, "English")
        english.check()
        english.screenshot("usual-reply-list-en")
        english.visit("/advisor")
        assert line(english) == in_english
        english.screenshot("usual-reply-advisor-en")
        english.visit(f"/conversations/{waiting}")
        assert line(english) == in_english
        english.screenshot("usual-reply-conversation-en")
    finally:
        phone.visit("/lang/fr?next=/conversations", check=False)
        phone.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DEVICES["phone"])


def test_a_customer_without_an_advisor_reads_it_on_the_contact_card(platform, site):
    """A customer no advisor follows writes to the bank's team (« Contacter la banque »): the
    card saying what they may ask says when the team usually answers, in both languages."""
    api = platform.api
    member = api.new_user(customer=True)  # a customer, no advisor assigned
    hours = usual_hours(platform)
    site.sign_in(member.email, PASSWORD, next_path="/advisor")
    site.wait_for_path("/advisor")
    assert site.heading("Contacter la banque", 1)
    assert line(site) == f"Réponse habituelle sous {hours} h"
    assert site.find_all("#contact-what-title ~ #usual-reply")  # on the card, after its words
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("usual-reply-contact-fr")
    site.visit("/lang/en?next=/advisor", check=False)
    site.wait_for(lambda: line(site) == f"Usual reply within {hours} h", "English")
    assert site.heading("Contact the bank", 1)
    site.check()
