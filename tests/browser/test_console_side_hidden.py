"""The live side of a console conversation (console_side.js) reads `/console/conversations/{id}
/side`, not the page's URL: after a refused note (the page shown at `.../notes`, which has no
GET) a colleague's note still shows live. A tab out of sight reads nothing on a colleague's
note: it reads once when shown again (no audited read per event in idle background tabs)."""
from __future__ import annotations

from ..e2e.steps import ok
from .staff_steps import advisor_and_colleague_on_new_conversation

# counts the page's reads of the side, and the colleague's notes the page heard of
WATCH = """
window.sideReads = 0; window.notesHeard = 0;
const fetched = window.fetch;
window.fetch = (url, ...rest) => {
  if (String(url).endsWith("/side")) window.sideReads += 1;
  return fetched(url, ...rest);
};
document.addEventListener("agora:note", () => { window.notesHeard += 1; });
"""
SHOWN = """
Object.defineProperty(document, "visibilityState", {configurable: true, get: () => arguments[0]});
document.dispatchEvent(new Event("visibilitychange"));
"""


def notes_shown(site) -> str:
    return " ".join(site.text_of("#note-list").split())


def test_the_side_follows_after_a_refused_note_and_waits_while_hidden(platform,
                                                                      conversations_db, phone):
    api = platform.api
    _, colleague, cid, page = advisor_and_colleague_on_new_conversation(
        platform, conversations_db, phone, "Virement", "Mon virement n’est pas arrivé.",
        colleague_in=True)

    # an empty note refused: the page again, at the form's URL
    phone.find("#notes summary").click()
    phone.click_button("Enregistrer la note")
    phone.wait_for_path(f"{page}/notes")
    phone.wait_for(lambda: phone.find("#staff-messages").get_attribute("data-live") == "on",
                   "the page live")
    driver = phone.driver
    driver.execute_script(WATCH)
    ok(api.post(f"/api/v1/conversations/{cid}/notes", user=colleague,
                json={"body": "Virement SEPA reçu ce matin."}), 201)
    phone.wait_for(lambda: "Virement SEPA reçu" in notes_shown(phone), "the note, live")
    assert driver.execute_script("return window.sideReads") == 1

    # out of sight: heard, not read; read once when shown again
    driver.execute_script(SHOWN, "hidden")
    ok(api.post(f"/api/v1/conversations/{cid}/notes", user=colleague,
                json={"body": "Client rappelé."}), 201)
    phone.wait_for(lambda: driver.execute_script("return window.notesHeard") == 2,
                   "the second note heard")
    assert driver.execute_script("return window.sideReads") == 1
    assert "Client rappelé." not in notes_shown(phone)
    driver.execute_script(SHOWN, "visible")
    phone.wait_for(lambda: "Client rappelé." in notes_shown(phone), "read when shown")
    assert driver.execute_script("return window.sideReads") == 2
