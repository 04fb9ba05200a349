"""« Absence », a tab of the console's one navigation for advisors (the page answers 404 to anyone
else: a community manager has no tab for it), current on its page; and an advisor still marked
away reads it on « Mes clients » (the nav does not know it without an RPC on every console
page), with « Je suis de retour » at hand (FR phone, then EN desktop)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from gateway.web.i18n import format_date

from .conftest import DEVICES, Site

PAGE = "/console/absence"
CUSTOMERS = "/console/customers"
INBOX = "/console/conversations"
TAB = f".console-nav a[href='{PAGE}']"


def _fresh(driver, demo) -> None:
    driver.get(demo.base_url + "/robots.txt")  # on the site's origin, to clear its cookies
    driver.delete_all_cookies()


def _current_tab(site: Site) -> str:
    return site.find(".console-nav a[aria-current=page]").text.strip()


def test_an_advisor_opens_absence_from_the_nav_and_reads_they_are_still_away(
        browsers, demo, platform, advisor_and_customer):
    advisor, _ = advisor_and_customer
    backup = platform.api.new_user(display_name=f"Bruno Relais {uuid.uuid4().hex[:4]}")
    platform.api.grant(platform.admin, backup, "advisor")
    platform.verify_email(backup)

    driver = browsers("phone")
    _fresh(driver, demo)
    phone = Site(driver=driver, device="phone", base_url=demo.base_url)
    phone.sign_in(advisor.email, advisor.password, device=advisor.device, next_path=INBOX)
    phone.wait_for_path(INBOX)
    tab = phone.find(TAB)
    assert tab.text.strip() == "Absence"
    tab.click()
    phone.wait_for_path(PAGE)
    assert phone.heading("Absence", 1)
    assert _current_tab(phone) == "Absence"  # not « Mes clients » any more
    phone.no_horizontal_scroll()  # one more tab: the row scrolls sideways, the page does not
    phone.check()
    phone.screenshot("console-absence-tab-fr")

    # not away: « Mes clients » says what the tab is for, and nothing about being away
    phone.visit(CUSTOMERS)
    assert _current_tab(phone) == "Mes clients"
    assert not phone.find_all("#my-customers-away")
    assert phone.find("#my-customers-absence").get_attribute("href").endswith(PAGE)

    until = (datetime.now(UTC).date() + timedelta(days=8)).isoformat()
    answer = platform.api.put("/api/v1/me/absence", user=advisor,
                              json={"until": until, "backup_email": backup.email})
    assert answer.status_code == 200, answer.text
    phone.visit(CUSTOMERS, check=False)  # checked once the sentence is read
    assert phone.text_of("#my-customers-away p") == (
        f"Vous êtes toujours marqué·e absent·e, de retour le {format_date('fr', until)}\u202f: "
        f"{backup.display_name} répond à vos clients. Déjà rentré·e\u202f?")
    assert not phone.find_all("#my-customers-absence")
    phone.no_horizontal_scroll()
    phone.check()
    phone.screenshot("console-absence-still-away-fr")

    english = Site(driver=driver, device="desktop", base_url=demo.base_url)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DEVICES["desktop"])
    try:
        english.visit("/lang/en?next=" + quote(CUSTOMERS), check=False)
        english.wait_for(lambda: english.text_of("#my-customers-away p").startswith("You are"),
                         "in English")
        assert english.text_of("#my-customers-away p") == (
            f"You are still marked away, back on {format_date('en', until)}: "
            f"{backup.display_name} answers your customers. Back already?")
        assert english.find("#my-customers-away a").get_attribute("href").endswith(PAGE)
        english.check()
        english.screenshot("console-absence-still-away-en")
        # back early from here: the absence page says so, its tab current
        english.click_button("I am back")
        english.wait_for(lambda: english.driver.find_elements("css selector", "#absence-none"),
                         "back")
        assert english.text_of("#absence-saved").startswith("Welcome back")
        assert _current_tab(english) == "Absence"
        english.screenshot("console-absence-tab-en")
        english.visit(CUSTOMERS, check=False)
        assert not english.find_all("#my-customers-away")
    finally:
        english.visit(f"/lang/fr?next={PAGE}", check=False)
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DEVICES["phone"])


def test_a_community_manager_has_no_absence_tab(browsers, demo, platform):
    manager = platform.api.new_staff(platform.admin, "community_manager")
    driver = browsers("phone")
    _fresh(driver, demo)
    phone = Site(driver=driver, device="phone", base_url=demo.base_url)
    phone.sign_in(manager.email, manager.password, device=manager.device, next_path=INBOX)
    phone.wait_for_path(INBOX)
    assert phone.find_all(".console-nav a[href='/console/conversations']")  # the nav is there
    assert not phone.find_all(TAB)  # the page would answer 404
