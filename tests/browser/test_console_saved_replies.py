"""« Réponses enregistrées » on the staff conversation page, in the browser: a closed panel
above the reply box which says how to save one while there is none; the advisor saves one (a
plain form: the page again, at the panel), « Insérer » pre-fills the reply box through its link
`?reply=<id>` (without JavaScript) and, with JavaScript, puts the text at the cursor after what
was typed; « Supprimer » removes it. French at the phone size, then English at the desktop."""
from __future__ import annotations

from ..e2e.steps import ok
from .conftest import DEVICES, Site, window
from .staff_steps import advisor_on_new_conversation, top

PANEL = "details#saved-replies"
SAVE = "#saved-reply-new button[type=submit]"
INSERT = "[data-saved-reply-insert]"
TEXT = "Un virement SEPA arrive en un jour ouvré."


def test_an_advisor_saves_and_inserts_a_reply(platform, conversations_db, phone):
    api = platform.api
    _member, advisor, _cid, page = advisor_on_new_conversation(
        platform, conversations_db, phone, "Virement", "Quand arrive mon virement ?")
    panel = phone.find(PANEL)
    assert panel.get_attribute("open") is None
    assert " ".join(phone.text_of(f"{PANEL} summary").split()) == "Réponses enregistrées"
    assert top(phone, PANEL) < top(phone, "#staff-reply")  # above the reply box
    phone.find(f"{PANEL} summary").click()
    assert "Enregistrer comme réponse" in phone.text_of("#saved-replies-empty")
    phone.check()
    phone.no_horizontal_scroll()
    phone.screenshot("console-saved-replies-empty-fr")

    phone.fill("Titre", "Délai de virement")
    phone.fill("Texte", TEXT)
    assert phone.find(SAVE).text == "Enregistrer comme réponse"
    phone.find(SAVE).click()
    phone.wait_for(lambda: phone.find_all(".saved-reply"), "the saved reply listed")
    assert "#saved-replies" in phone.driver.current_url
    [reply] = phone.find_all(".saved-reply")
    assert reply.find_element("css selector", ".saved-reply-name").text == "Délai de virement"

    # without JavaScript, « Insérer » is a link that pre-fills the reply box
    href = phone.find(INSERT).get_attribute("href")
    assert "?reply=" in href
    phone.visit(href[len(phone.base_url):])
    assert phone.find("#field-body").get_attribute("value") == TEXT

    # with JavaScript: at the cursor, after what was typed, the link not followed
    phone.visit(page)
    box = phone.find("#field-body")
    phone.driver.execute_script(
        "arguments[0].value = ''; arguments[0].dispatchEvent(new Event('input'))", box)
    box.send_keys("Bonjour, ")
    phone.find(f"{PANEL} summary").click()
    phone.find(INSERT).click()
    assert phone.find("#field-body").get_attribute("value") == "Bonjour, " + TEXT
    assert "reply=" not in phone.driver.current_url
    phone.check()
    phone.no_horizontal_scroll()
    phone.screenshot("console-saved-replies-fr")

    english = Site(driver=phone.driver, device="desktop", base_url=phone.base_url)
    with window(phone, DEVICES["desktop"]):
        try:
            english.visit(f"/lang/en?next={page}", check=False)
            english.wait_for(lambda: english.find_all(SAVE) and " ".join(english.text_of(
                f"{PANEL} summary").split()).startswith("Saved replies"), "in English")
            english.find(f"{PANEL} summary").click()
            assert english.find(INSERT).text == "Insert"
            assert english.find(SAVE).text == "Save as reply"
            english.check()
            english.no_horizontal_scroll()
            english.screenshot("console-saved-replies-en")
            english.click_button("Delete")
            english.wait_for(lambda: english.find_all("#saved-replies-empty"), "removed")
        finally:
            phone.visit(f"/lang/fr?next={page}", check=False)
    assert ok(api.get("/api/v1/me/saved-replies", user=advisor))["items"] == []
