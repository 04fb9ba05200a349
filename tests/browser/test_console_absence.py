"""« Absence », in the browser: from « Mes clients » an advisor opens the form, names a backup
by e-mail and the day they are back — a plain form (no script needed, CSRF as every form):
nobody's address is refused on its field, a colleague's is saved and said back (« absent·e,
de retour le {date} : {backup} répond à vos clients »), in English too, and « Je suis de retour »
ends it (FR phone, then EN desktop)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from gateway.web.i18n import format_date

from .conftest import Site
from .console_steps import in_english_at_desktop

PAGE = "/console/absence"


def _set_date(site: Site, iso: str) -> None:
    """The browser's date picker types in the machine's locale: the value is set directly (what
    the picker would submit: `YYYY-MM-DD`)."""
    site.driver.execute_script("arguments[0].value = arguments[1]",
                               site.find("#field-until"), iso)


def test_an_advisor_declares_an_absence_then_comes_back(phone, platform, advisor_and_customer):
    advisor, _ = advisor_and_customer
    backup = platform.api.new_user(display_name=f"Bruno Relais {uuid.uuid4().hex[:4]}")
    platform.api.grant(platform.admin, backup, "advisor")
    platform.verify_email(backup)
    until = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()

    phone.sign_in(advisor.email, advisor.password, device=advisor.device,
                  next_path="/console/customers")
    phone.wait_for_path("/console/customers")
    link = phone.find("#my-customers-absence")
    assert link.text.strip() == "Absence\u202f: nommer votre remplaçant·e"
    link.click()
    phone.wait_for_path(PAGE)
    assert phone.heading("Absence", 1)
    assert phone.text_of("#absence-none").startswith("Aucune absence déclarée")
    phone.check()
    phone.no_horizontal_scroll()

    # nobody's address: the form again, the refusal on the field, the drafts kept
    _set_date(phone, until)
    phone.fill("Remplaçant·e (adresse e-mail)", f"nobody-{uuid.uuid4().hex[:6]}@e2e.test")
    phone.click_button("Enregistrer")
    phone.wait_for(lambda: "aucun membre du personnel" in phone.text_of(
        "#field-backup_email-error"), "the refusal on the backup's address")
    assert phone.find("#field-until").get_attribute("value") == until
    phone.check()
    phone.screenshot("console-absence-refused-fr")

    phone.fill("Remplaçant·e (adresse e-mail)", backup.email)
    phone.click_button("Enregistrer")
    phone.wait_for(lambda: phone.driver.find_elements("css selector", "#absence-saved"),
                   "saved")
    assert phone.text_of("#absence-current").startswith(
        f"Vous êtes absent·e, de retour le {format_date('fr', until)}\u202f: "
        f"{backup.display_name} répond à vos clients en attendant.")
    phone.check()
    phone.no_horizontal_scroll()
    phone.screenshot("console-absence-fr")

    with in_english_at_desktop(phone, PAGE) as english:
        english.wait_for(lambda: english.heading("Absence", 1) and "back on" in
                         english.text_of("#absence-current"), "in English")
        assert english.text_of("#absence-current").startswith(
            f"You are away, back on {format_date('en', until)}: {backup.display_name} answers "
            "your customers in the meantime.")
        assert english.field("Backup (e-mail address)").get_attribute("value") == backup.email
        english.check()
        english.screenshot("console-absence-en")
        english.click_button("I am back")
        english.wait_for(lambda: english.driver.find_elements("css selector", "#absence-none"),
                         "back")
        assert english.text_of("#absence-saved").startswith("Welcome back")
        english.check()


def test_the_customer_reads_who_answers_while_their_advisor_is_away(
        phone, platform, advisor_and_customer):
    advisor, marc = advisor_and_customer
    backup = platform.api.new_user(display_name=f"Bruno Relais {uuid.uuid4().hex[:4]}")
    platform.api.grant(platform.admin, backup, "advisor")
    platform.verify_email(backup)
    until = (datetime.now(UTC).date() + timedelta(days=6)).isoformat()
    answer = platform.api.put("/api/v1/me/absence", user=advisor,
                              json={"until": until, "backup_email": backup.email})
    assert answer.status_code == 200, answer.text

    phone.sign_in(marc.email, marc.password, next_path="/advisor")
    phone.wait_for_path("/advisor")
    assert phone.text_of("#advisor-away") == (
        f"Votre conseiller·ère est absent·e, de retour le {format_date('fr', until)}\u202f: "
        f"{backup.display_name} vous répond en attendant.")
    phone.check()
    phone.no_horizontal_scroll()
    phone.screenshot("advisor-away-fr")

    with in_english_at_desktop(phone, "/advisor") as english:
        english.wait_for(lambda: english.text_of("#advisor-away").startswith("Your advisor"),
                         "in English")
        assert english.text_of("#advisor-away") == (
            f"Your advisor is away, back on {format_date('en', until)}: {backup.display_name} "
            "answers you in the meantime.")
        english.check()
        english.screenshot("advisor-away-en")
