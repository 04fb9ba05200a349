"""The staff inbox by customer, in the browser: in each row the customer's name leads to their
conversations only (« Conversations avec Marie Dubois », `?customer=`), with the way back
(« Toutes les conversations ») and their « Parcours du client »; the open list, re-read live,
keeps to that customer (another customer's new conversation does not come in); an id the
advisor may not see is the 404 page and a malformed one an error page naming the problem (FR
phone, then EN desktop)."""
from __future__ import annotations

import uuid
from urllib.parse import quote

from ..conftest import wait_for
from ..e2e.steps import ok
from .conftest import DEVICES, Site

INBOX = "/console/conversations"


# the customer's links above the list: the way back, their timeline ([text, href])
LINKS = """return [...document.querySelectorAll('#staff-customer a')]
  .map((link) => [link.textContent.trim(), link.getAttribute('href')])"""


def write(platform, member, subject: str) -> str:
    return ok(platform.api.post("/api/v1/conversations", user=member, json={
        "subject": f"{subject} {uuid.uuid4().hex[:6]}",
        "message": "Bonjour, pouvez-vous m'aider ?"}), 201)["id"]


def rows(site: Site) -> list[str]:
    return site.driver.execute_script(
        "return [...document.querySelectorAll('#staff-inbox [data-conversation]')]"
        ".map((row) => row.dataset.conversation)")


def test_the_customers_name_leads_to_their_conversations_only_and_live(
        browsers, demo, platform, advisor_and_customer, mongo_client):
    advisor, other = advisor_and_customer
    api = platform.api
    marie = api.new_user(display_name="Marie Dubois", customer=True)
    ok(api.put(f"/api/v1/users/{marie.id}/advisor", user=platform.admin,
               json={"advisor_id": advisor.id, "branch": "Lyon Bellecour"}))
    members = mongo_client[f"{platform.db_prefix}_conversations"]["members"]
    wait_for(lambda: (members.find_one({"_id": marie.id}) or {}).get("advisor_id")
             == advisor.id, timeout=30, message="conversations knows Marie's advisor")
    hers = [write(platform, marie, "Carte bloquée"), write(platform, marie, "Prêt immobilier")]
    elsewhere = write(platform, other, "Virement")

    driver = browsers("phone")
    driver.get(demo.base_url + "/robots.txt")  # on the site's origin, to clear its cookies
    driver.delete_all_cookies()
    phone = Site(driver=driver, device="phone", base_url=demo.base_url)
    phone.sign_in(advisor.email, advisor.password, device=advisor.device, next_path=INBOX)
    phone.wait_for_path(INBOX)
    phone.wait_for(lambda: {*hers, elsewhere} <= set(rows(phone)), "every row")
    phone.wait_for(lambda: phone.find("#staff-inbox").get_attribute("data-stream") == "on",
                   "the inbox live")
    # the name in one of Marie's rows: a link of its own, beside the conversation's; a
    # keyboard user standing on it stays on it when the list re-reads itself
    name_link = f'[data-conversation="{hers[0]}"] a.staff-row-customer'
    phone.driver.execute_script("document.querySelector(arguments[0]).focus()", name_link)
    ok(api.post(f"/api/v1/conversations/{elsewhere}/messages", user=other,
                json={"body": "Toujours rien reçu."}), 201)
    phone.wait_for(lambda: "2 messages" in phone.text_of(f'[data-conversation="{elsewhere}"]'),
                   "the list read again")
    focused = phone.driver.switch_to.active_element
    assert focused.get_attribute("class") == "staff-row-customer"
    assert focused.get_attribute("href").endswith(f"/console/conversations?customer={marie.id}")
    name = phone.find(name_link)
    assert name.text == "Marie Dubois"
    phone.screenshot("console-inbox-customer-names-fr")
    name.click()
    phone.wait_for_path(f"?customer={marie.id}")
    phone.wait_for(lambda: phone.heading("Conversations avec Marie Dubois", 1), "her heading")
    phone.wait_for(lambda: phone.find("#staff-inbox").get_attribute("data-stream") == "on",
                   "the list live")
    assert sorted(rows(phone)) == sorted(hers)
    assert not phone.find_all(".staff-row-customer")  # her name leads nowhere new here
    # read at once: the list re-reads itself (its links are replaced) as events arrive
    links = phone.driver.execute_script(LINKS)
    assert links == [["← Toutes les conversations", "/console/conversations"],
                     ["Parcours du client sur tous les canaux", f"/console/customers/{marie.id}"]]

    # live: Marie writes again, and another customer opens a conversation; the list re-reads
    # itself, and stays hers
    ok(api.post(f"/api/v1/conversations/{hers[1]}/messages", user=marie,
                json={"body": "Et pour le taux ?"}), 201)
    later = write(platform, other, "Chéquier")
    phone.wait_for(lambda: "2 messages" in phone.text_of(f'[data-conversation="{hers[1]}"]'),
                   "her new message, live")
    # and the next live read (the other's conversation is announced to the advisor too)
    ok(api.post(f"/api/v1/conversations/{later}/messages", user=other,
                json={"body": "Un autre chéquier ?"}), 201)
    ok(api.post(f"/api/v1/conversations/{hers[0]}/messages", user=marie,
                json={"body": "Merci d'avance."}), 201)
    phone.wait_for(lambda: "2 messages" in phone.text_of(f'[data-conversation="{hers[0]}"]'),
                   "her second new message, live")
    assert sorted(rows(phone)) == sorted(hers), "another customer's rows came back"
    phone.check()
    phone.no_horizontal_scroll()
    phone.screenshot("console-inbox-customer-fr")

    # an id the advisor may not see (nobody's here): the 404 page; a malformed one: 400
    phone.visit(f"{INBOX}?customer={uuid.uuid4().hex}", check=False)
    assert phone.heading("Page introuvable", 1)
    phone.visit(f"{INBOX}?customer=marie", check=False)
    assert phone.heading("Demande incorrecte", 1)

    # the same browser at desktop size (one sign-in), in English
    english = Site(driver=driver, device="desktop", base_url=demo.base_url)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DEVICES["desktop"])
    try:
        english.visit("/lang/en?next=" + quote(f"{INBOX}?customer={marie.id}"), check=False)
        english.wait_for(lambda: english.heading("Conversations with Marie Dubois", 1),
                         "the heading in English")
        assert english.driver.execute_script(LINKS)[1] == [
            "The customer’s journey across channels", f"/console/customers/{marie.id}"]
        assert sorted(rows(english)) == sorted(hers)
        english.check()
        english.screenshot("console-inbox-customer-en")
    finally:
        english.visit(f"/lang/fr?next={INBOX}", check=False)
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DEVICES["phone"])
