"""« Absence », a tab of the console's one navigation for advisors (the page answers 404 to anyone
else: a community manager has no tab for it), current on its page; and an advisor still marked
away reads it on « Mes clients » (the nav does not know it without an RPC on every console
page), with « Je suis de retour » at hand (FR phone, then EN desktop). A backup who erased their
account since has no name to show: both pages say so, with no « {backup} » left blank. A date
refused on the form is framed red, as any refused field."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from gateway.web.i18n import format_date

from .conftest import Site
from .console_steps import in_english_at_desktop

PAGE = "/console/absence"
CUSTOMERS = "/console/customers"
INBOX = "/console/conversations"
TAB = f".console-nav a[href='{PAGE}']"
DANGER = "rgb(160, 29, 39)"  # site.css --danger, as the browser computes it


def _current_tab(site: Site) -> str:
    return site.find(".console-nav a[aria-current=page]").text.strip()


def _colleague(platform):
    backup = platform.api.new_user(display_name=f"Bruno Relais {uuid.uuid4().hex[:4]}")
    platform.api.grant(platform.admin, backup, "advisor")
    platform.verify_email(backup)
    return backup


def _away(platform, advisor, backup, days: int) -> str:
    until = (datetime.now(UTC).date() + timedelta(days=days)).isoformat()
    answer = platform.api.put("/api/v1/me/absence", user=advisor,
                              json={"until": until, "backup_email": backup.email})
    assert answer.status_code == 200, answer.text
    return until


def test_an_advisor_opens_absence_from_the_nav_and_reads_they_are_still_away(
        phone, platform, advisor_and_customer):
    advisor, _ = advisor_and_customer
    backup = _colleague(platform)

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

    until = _away(platform, advisor, backup, 8)
    phone.visit(CUSTOMERS, check=False)  # checked once the sentence is read
    assert phone.text_of("#my-customers-away p") == (
        f"Vous êtes toujours marqué·e absent·e, de retour le {format_date('fr', until)}\u202f: "
        f"{backup.display_name} répond à vos clients. Déjà rentré·e\u202f?")
    assert not phone.find_all("#my-customers-absence")
    phone.no_horizontal_scroll()
    phone.check()
    phone.screenshot("console-absence-still-away-fr")

    with in_english_at_desktop(phone, CUSTOMERS) as english:
        english.wait_for(lambda: english.text_of("#my-customers-away p").startswith("You are"),
                         "in English")
        assert english.text_of("#my-customers-away p") == (
            f"You are still marked away, back on {format_date('en', until)}: "
            f"{backup.display_name} answers your customers. Back already?")
        link = english.find("#my-customers-away a")
        assert link.get_attribute("href").endswith(PAGE)
        assert link.text.strip() == "Change your absence"
        english.check()
        english.screenshot("console-absence-still-away-en")
        # back early from here: still here, told so, the callout gone
        english.click_button("I am back")
        english.wait_for(lambda: english.find_all("#my-customers-back"), "back")
        assert english.driver.current_url.endswith(f"{CUSTOMERS}?absence=ended")
        assert english.text_of("#my-customers-back").startswith("Welcome back")
        assert not english.find_all("#my-customers-away")
        assert _current_tab(english) == "My customers"
        gap = english.driver.execute_script(
            "return arguments[1].getBoundingClientRect().top"
            " - arguments[0].getBoundingClientRect().bottom",
            english.find("#my-customers-back"), english.find("#my-customers-absence"))
        assert gap >= 8, "the welcome stands apart from the link below it"
        english.check()
        english.screenshot("console-absence-back-en")
        english.visit(PAGE, check=False)
        assert english.find_all("#absence-none")
        assert _current_tab(english) == "Absence"
        english.screenshot("console-absence-tab-en")


def test_a_backup_erased_since_leaves_no_blank_and_a_refused_date_is_red(
        phone, platform, advisor_and_customer):
    advisor, _ = advisor_and_customer
    backup = _colleague(platform)
    until = _away(platform, advisor, backup, 5)
    assert platform.api.delete("/api/v1/me", user=backup,
                               json={"password": backup.password}).status_code == 204

    phone.sign_in(advisor.email, advisor.password, device=advisor.device,
                  next_path=CUSTOMERS)
    phone.wait_for_path(CUSTOMERS)
    day = format_date("fr", until)
    assert phone.text_of("#my-customers-away p") == (
        f"Vous êtes toujours marqué·e absent·e, de retour le {day}, mais votre remplaçant·e "
        "n’a plus de compte. Déjà rentré·e\u202f?")
    phone.check()
    phone.no_horizontal_scroll()
    phone.screenshot("console-absence-backup-erased-fr")
    phone.visit(PAGE)
    assert phone.text_of("#absence-current p") == (
        f"Vous êtes absent·e, de retour le {day}, mais votre remplaçant·e n’a plus de "
        "compte\u202f: nommez un·e autre collègue.")

    # no date: the form again, the date field framed as refused (not the plain field's grey)
    phone.driver.execute_script("arguments[0].value = ''", phone.find("#field-until"))
    phone.click_button("Enregistrer")
    phone.wait_for(lambda: phone.find_all("#field-until-error"), "the date refused")
    border = phone.driver.execute_script(
        "const style = getComputedStyle(arguments[0]);"
        "return [style.borderTopColor, style.borderTopWidth];", phone.find("#field-until"))
    assert border == [DANGER, "2px"]
    phone.check()
    phone.screenshot("console-absence-date-refused-fr")

    with in_english_at_desktop(phone, CUSTOMERS) as english:
        english.wait_for(lambda: english.text_of("#my-customers-away p").startswith("You are"),
                         "in English")
        assert english.text_of("#my-customers-away p") == (
            f"You are still marked away, back on {format_date('en', until)}, but your backup no "
            "longer has an account. Back already?")
        english.check()
        english.screenshot("console-absence-backup-erased-en")
        english.visit(PAGE, check=False)
        assert english.text_of("#absence-current p") == (
            f"You are away, back on {format_date('en', until)}, but your backup no longer has "
            "an account: name another colleague.")


def test_a_community_manager_has_no_absence_tab(phone, platform):
    manager = platform.api.new_staff(platform.admin, "community_manager")
    phone.sign_in(manager.email, manager.password, device=manager.device, next_path=INBOX)
    phone.wait_for_path(INBOX)
    assert phone.find_all(".console-nav a[href='/console/conversations']")  # the nav is there
    assert not phone.find_all(TAB)  # the page would answer 404
