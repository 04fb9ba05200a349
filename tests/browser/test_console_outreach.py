"""« Écrire à {name} », in the browser: from « Mes clients » an advisor opens the form to write
first to a customer, a plain form (no script needed, CSRF as every form): refused empty with
the refusal on the field, then sent, it opens the new conversation's console page with the
message, not waiting for an answer; the customer's journey page offers the same link (FR phone,
then EN desktop)."""
from __future__ import annotations

from urllib.parse import quote

from .conftest import DEVICES, Site

PAGE = "/console/customers"


def test_an_advisor_writes_first_to_a_customer_from_the_console(
        browsers, demo, advisor_and_customer):
    advisor, marc = advisor_and_customer  # Marc Client
    form = f"{PAGE}/{marc.id}/write"
    driver = browsers("phone")
    driver.get(demo.base_url + "/robots.txt")  # on the site's origin, to clear its cookies
    driver.delete_all_cookies()
    phone = Site(driver=driver, device="phone", base_url=demo.base_url)
    phone.sign_in(advisor.email, advisor.password, device=advisor.device, next_path=PAGE)
    phone.wait_for_path(PAGE)
    write = phone.find(f"[data-customer='{marc.id}'] .my-customer-write")
    assert write.text.strip() == "Écrire à Marc Client"
    phone.screenshot("console-outreach-my-customers-fr")
    write.click()
    phone.wait_for_path(form)
    assert phone.heading("Écrire à Marc Client", 1)
    phone.check()
    phone.no_horizontal_scroll()
    phone.screenshot("console-outreach-form-fr")

    # nothing written: the form again, the refusal on the field
    phone.fill("Sujet", "Votre nouvelle carte")
    phone.click_button("Envoyer")
    phone.wait_for(lambda: phone.find("#field-message-error").text.strip()
                   == "Ce champ est obligatoire.", "the refusal on the message")
    assert phone.find("#field-subject").get_attribute("value") == "Votre nouvelle carte"

    phone.fill("Votre message", "Bonjour Marc, votre nouvelle carte est arrivée en agence.")
    phone.click_button("Envoyer")
    phone.wait_for(lambda: "/console/conversations/" in driver.current_url, "the conversation")
    assert phone.heading("Votre nouvelle carte", 1)
    assert "votre nouvelle carte est arrivée en agence" in phone.text_of(".staff-messages")
    assert not driver.find_elements("css selector", "#staff-handle")  # nobody waits
    phone.check()

    # the journey page offers it too
    phone.visit(f"{PAGE}/{marc.id}")
    to_write = phone.find("#customer-write")
    assert to_write.text.strip() == "Écrire à Marc Client"
    assert to_write.get_attribute("href").endswith(form)

    english = Site(driver=driver, device="desktop", base_url=demo.base_url)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DEVICES["desktop"])
    try:
        english.visit("/lang/en?next=" + quote(form), check=False)
        english.wait_for(lambda: english.heading("Write to Marc Client", 1), "in English")
        assert english.field("Subject") and english.field("Your message")
        english.check()
        english.screenshot("console-outreach-form-en")
        english.visit(PAGE)
        assert english.text_of(f"[data-customer='{marc.id}'] .my-customer-write") == \
            "Write to Marc Client"
        english.screenshot("console-outreach-my-customers-en")
    finally:
        english.visit(f"/lang/fr?next={PAGE}", check=False)
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DEVICES["phone"])
