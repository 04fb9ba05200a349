"""« Note interne — jamais montrée au client » on the staff conversation page, in the browser:
a closed panel below the reply box (which stays where it was) while there is no note; the
advisor opens it, saves a note (a plain form: the page again, at the note, the panel open),
which is listed with its author and time and never among the messages; the customer's page
shows nothing of it. French at the phone size, then English at the desktop size."""
from __future__ import annotations

from ..e2e.steps import ok
from .conftest import DEVICES, Site, window
from .staff_steps import advisor_on_new_conversation, top

PANEL = "details#notes"
SAVE = "#staff-note button[type=submit]"


def test_an_advisor_leaves_an_internal_note(platform, conversations_db, phone):
    api = platform.api
    member, _advisor, cid, page = advisor_on_new_conversation(
        platform, conversations_db, phone, "Prêt immobilier", "Où en est mon dossier de prêt ?")
    panel = phone.find(PANEL)
    assert panel.get_attribute("open") is None  # no note yet: closed
    assert " ".join(phone.text_of(f"{PANEL} summary").split()) \
        == "Note interne — jamais montrée au client"
    assert top(phone, "#staff-reply") < top(phone, PANEL)  # the reply box keeps its place
    phone.check()
    phone.no_horizontal_scroll()
    phone.screenshot("console-notes-closed-fr")

    phone.find(f"{PANEL} summary").click()
    phone.fill("Votre note", "Rappelé le 3 : attend son avis d’imposition.")
    assert phone.find(SAVE).text == "Enregistrer la note"
    phone.find(SAVE).click()
    phone.wait_for(lambda: phone.find_all(".staff-note"), "the note listed")
    assert "#note-" in phone.driver.current_url
    assert phone.find(PANEL).get_attribute("open") is not None
    note = phone.find(".staff-note")
    assert note.find_element("css selector", "strong").text == "Vous"
    assert note.find_element("css selector", "time").text
    assert note.find_element("css selector", ".staff-note-body").text \
        == "Rappelé le 3\u202f: attend son avis d’imposition."  # glued « : »
    assert "avis d’imposition" not in phone.text_of("#staff-messages")
    assert phone.find("#field-note").get_attribute("value") == ""
    assert phone.find("#field-body").get_attribute("value") == ""  # the reply box untouched
    phone.check()
    phone.no_horizontal_scroll()
    phone.screenshot("console-notes-saved-fr")

    # never the customer's: their page and their API show no note
    theirs = ok(api.get(f"/api/v1/conversations/{cid}", user=member))
    assert "avis d’imposition" not in str(theirs)

    english = Site(driver=phone.driver, device="desktop", base_url=phone.base_url)
    with window(phone, DEVICES["desktop"]):
        try:
            english.visit(f"/lang/en?next={page}", check=False)
            english.wait_for(lambda: english.find_all(SAVE) and english.find(SAVE).text
                             == "Save note", "in English")
            assert " ".join(english.text_of(f"{PANEL} summary").split()).startswith(
                "Internal note — never shown to the customer")
            assert english.find(PANEL).get_attribute("open") is not None  # notes: open
            english.check()
            english.no_horizontal_scroll()
            english.screenshot("console-notes-en")
        finally:
            phone.visit(f"/lang/fr?next={page}", check=False)
