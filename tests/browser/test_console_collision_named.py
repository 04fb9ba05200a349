"""Two community managers on one queue item, and the "a" key on an item approval is closed to
(staff exploration, 7 Dec 2026): the CM who arrived second read « Un autre community manager
vient de traiter cet élément » — nobody named, no decision, no time — and "a" on a text holding
an IBAN did nothing visible. Now the page names who decided what and at what time (« vous… dans
un autre onglet » for their own decision), and "a" says on screen why it cannot approve and
which keys can."""
from __future__ import annotations

import re
import uuid

from ..e2e.steps import ok, staff
from .conftest import DEVICES, Site
from .console_steps import held_iban_question, opened


def press(site: Site, *keys: str) -> None:
    site.driver.switch_to.active_element.send_keys(*keys)


def on_item(browsers, demo, platform, device: str, manager, item_id: str,
            language: str = "fr") -> Site:
    """`manager` signed in at `device` size, in `language`, with `item_id` open."""
    site = Site(driver=browsers(device), device=device, base_url=demo.base_url)
    site.driver.get(demo.base_url + "/robots.txt")
    site.driver.delete_all_cookies()
    site.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DEVICES[device])
    path = f"/console/moderation?item={item_id}"
    site.sign_in(manager.email, manager.password, device=manager.device, next_path=path)
    if language != "fr":
        site.visit(f"/lang/{language}?next={path}", check=False)
    site.wait_for(lambda: opened(site, item_id), "the item open")
    return site


def said(site: Site):
    """The visible line the page's status region holds, or None."""
    found = site.find_all("#live-status .notice")
    return found[0] if found and found[0].is_displayed() else None


def gone_told(site: Site):
    """The item-gone message once on screen."""
    return site.wait_for(lambda: (found := site.find_all("#item-gone")) and
                         found[0].is_displayed() and found[0], "the decision told")


def test_the_second_cm_reads_who_refused_the_item_and_when_and_a_says_why_it_cannot_approve(
        browsers, demo, platform, api):
    _, item_id = held_iban_question(platform, api)
    manager = staff(platform)
    other = platform.api.new_staff(platform.admin, "community_manager",
                                   display_name=f"Camille Durand {uuid.uuid4().hex[:4]}")
    phone = on_item(browsers, demo, platform, "phone", manager, item_id)
    phone.driver.execute_script("window.__sameDocument = true")

    phone.find("#item-heading")
    press(phone, "a")  # an IBAN is never approved as written: the key says so, on screen
    line = phone.wait_for(lambda: said(phone), "why approval is unavailable, on screen")
    assert line.text == ("Approbation impossible\u202f: le texte contient IBAN. Masquez-le "
                         "d’abord (touche e, puis Ctrl + Entrée) ou refusez-le (touche r)."), \
        line.text
    assert not phone.find_all("#form-alert") and opened(phone, item_id)  # no round trip
    phone.check()
    phone.screenshot("console-a-blocked-fr")

    ok(api.post(f"/api/v1/moderation/items/{item_id}/decision", user=other,
                json={"decision": "reject", "reason_code": "confidential_data"}))
    gone = gone_told(phone)  # while the page is open: the polling notices, the page names
    first = gone.find_element("css selector", "p").text
    assert re.fullmatch(rf"{re.escape(other.display_name)} a refusé cet élément "
                        r"à \d{1,2} h \d{2}\.", first), first
    assert "Un autre community manager" not in gone.text
    assert all(not button.is_enabled() for button in phone.find_all("#decision-bar button"))
    assert first in phone.find("#live-status").get_attribute("textContent")  # announced
    assert phone.driver.execute_script("return window.__sameDocument === true"), "reloaded"
    phone.check()
    phone.screenshot("console-collision-named-fr")


def test_a_cm_reads_they_decided_the_item_in_another_tab_in_english(browsers, demo, platform,
                                                                   api):
    _, item_id = held_iban_question(platform, api)
    manager = staff(platform)
    desktop = on_item(browsers, demo, platform, "desktop", manager, item_id, language="en")
    desktop.find("#item-heading")
    press(desktop, "a")
    line = desktop.wait_for(lambda: said(desktop), "why approval is unavailable, on screen")
    assert line.text == ("Cannot approve: the text contains IBAN. Mask it first (key e, then "
                         "Ctrl + Enter) or reject it (key r)."), line.text
    desktop.screenshot("console-a-blocked-en")

    # the same CM, elsewhere (another tab: the API with their own authenticator)
    ok(api.post(f"/api/v1/moderation/items/{item_id}/decision", user=manager,
                json={"decision": "reject", "reason_code": "confidential_data"}))
    gone = gone_told(desktop)
    first = gone.find_element("css selector", "p").text
    assert re.fullmatch(r"You already rejected this item at \d{1,2}:\d{2}\u202f[AP]M "
                        r"\(in another tab\)\.", first), first
    assert not said(desktop)  # the approval's reason no longer stands beside it
    desktop.check()
    desktop.screenshot("console-collision-self-en")

    # a decision posted too late (the buttons still on) says the same, once
    desktop.visit(f"/console/moderation?item={item_id}")
    assert re.fullmatch(r"You already rejected this item at \d{1,2}:\d{2}\u202f[AP]M "
                        r"\(in another tab\)\.", desktop.find("#item-gone p").text)
