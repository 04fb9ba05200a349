"""« Marquer comme traitée » on the staff conversation page, in the browser: the button shows
while the customer waits, a click marks the conversation handled (the page says by whom and
when, the button goes), and the customer's next message brings the button back. French at the
phone size, then English at the desktop size (one sign-in)."""
from __future__ import annotations

from ..e2e.steps import customer_with_advisor, ok
from .conftest import DEVICES, Site

BUTTON = "#staff-handle button[type=submit]"


def handled_line(site: Site) -> str:
    found = site.find_all("#staff-handled")
    return " ".join(found[0].text.split()) if found else ""


def test_an_advisor_marks_a_thank_you_handled(platform, conversations_db, phone):
    api = platform.api
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Opposition carte", "message": "J'ai perdu ma carte hier soir."}), 201)["id"]
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=advisor,
                json={"body": "Votre carte est mise en opposition, une nouvelle arrive."}), 201)
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=member,
                json={"body": "Merci beaucoup !"}), 201)
    page = f"/console/conversations/{cid}"

    phone.sign_in(advisor.email, advisor.password, device=advisor.device, next_path=page)
    phone.wait_for_path(page)
    phone.wait_for(lambda: phone.find_all(BUTTON), "the button, the customer waiting")
    assert phone.find(BUTTON).text == "Marquer comme traitée"
    assert "Le client n’en est pas informé." in phone.text_of("#staff-handle-hint")
    assert handled_line(phone) == ""
    phone.check()
    phone.no_horizontal_scroll()
    phone.screenshot("console-handled-before-fr")
    phone.find(BUTTON).click()
    phone.wait_for(lambda: handled_line(phone), "marked handled")
    assert handled_line(phone).startswith("Marquée comme traitée par vous le ")
    assert handled_line(phone).endswith(" : pas de réponse nécessaire")
    assert "\u202f: pas de réponse" in phone.find("#staff-handled").text  # glued « : »
    assert not phone.find_all(BUTTON)
    assert not ok(api.get(f"/api/v1/conversations/{cid}", user=advisor))["waiting_for_staff"]
    assert ok(api.get(f"/api/v1/conversations/{cid}", user=member))["handled"] is None
    phone.check()
    phone.no_horizontal_scroll()
    phone.screenshot("console-handled-after-fr")

    # the customer writes again: it waits again, the button is back (English, desktop size)
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=member,
                json={"body": "Et pour mon chéquier ?"}), 201)
    english = Site(driver=phone.driver, device="desktop", base_url=phone.base_url)
    phone.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DEVICES["desktop"])
    try:
        english.visit(f"/lang/en?next={page}", check=False)
        english.wait_for(lambda: english.find_all(BUTTON), "the button again, in English")
        assert english.find(BUTTON).text == "Mark as handled"
        assert handled_line(english) == ""
        english.check()
        english.screenshot("console-handled-before-en")
        english.find(BUTTON).click()
        english.wait_for(lambda: handled_line(english), "marked handled, in English")
        assert handled_line(english).startswith("Marked as handled by you on ")
        assert handled_line(english).endswith(": no reply needed")
        english.check()
        english.no_horizontal_scroll()
        english.screenshot("console-handled-after-en")
    finally:
        phone.visit(f"/lang/fr?next={page}", check=False)
        phone.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DEVICES["phone"])
