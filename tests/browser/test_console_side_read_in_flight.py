"""The live side of a console conversation (console_side.js) loses no event that arrives while
it is reading the side: a colleague's second note, posted while the read started by the first
is still under way (that read's page predates it), shows once that read is done — the marks are
taken before a read, so the next read applies it. And a read that fails keeps its marks: the
note it was for shows with the next event's read, even one of another kind (a colleague
leaving)."""
from __future__ import annotations

from ..e2e.steps import ok
from .staff_steps import advisor_and_colleague_on_new_conversation
from .test_console_side_catch_up import notes_shown, page_live

# Before the page's scripts: the side's reads (`…/side`) are counted; while `sideHold` is a
# promise a read's answer, fetched at once (so it is the page as the server had it then), is
# handed to the page only when the promise resolves; `sideFail` makes the next read fail (a
# 503, as from a gateway that is restarting). The page's note events are counted too.
SIDE_READS = """
const realFetch = window.fetch.bind(window);
window.sideHold = null;
window.sideFail = false;
window.sideReads = 0;
window.sideFailed = 0;
window.notesHeard = 0;
document.addEventListener("agora:note", () => { window.notesHeard += 1; });
window.fetch = async (input, init) => {
  const url = String(input?.url ?? input);
  if (!url.endsWith("/side")) return realFetch(input, init);
  if (window.sideFail) {
    window.sideFail = false;
    window.sideFailed += 1;
    return new Response("", { status: 503 });
  }
  const hold = window.sideHold;
  const response = await realFetch(input, init);
  const body = await response.text();
  window.sideReads += 1;
  if (hold) await hold;
  return new Response(body, { status: response.status, headers: response.headers });
};
"""


def counted(site, name: str) -> int:
    return site.driver.execute_script(f"return window.{name};")


def test_no_note_is_lost_while_the_side_is_being_read(platform, conversations_db, phone):
    api = platform.api
    driver = phone.driver
    script = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                    {"source": SIDE_READS})["identifier"]
    try:
        _, colleague, cid, _ = advisor_and_colleague_on_new_conversation(
            platform, conversations_db, phone, "Virement en attente",
            "Mon virement n'est pas arrivé.", colleague_in=True)
        page_live(phone)
        notes = f"/api/v1/conversations/{cid}/notes"

        # the first note's read has its page (without the second note) but is held
        driver.execute_script(
            "window.sideHold = new Promise((resolve) => { window.releaseSide = resolve; });")
        ok(api.post(notes, user=colleague, json={"body": "Virement reçu par la banque."}), 201)
        phone.wait_for(lambda: counted(phone, "sideReads") == 1, "the first note's read")
        ok(api.post(notes, user=colleague, json={"body": "Crédité demain matin."}), 201)
        phone.wait_for(lambda: counted(phone, "notesHeard") == 2, "the second note's event")
        driver.execute_script("window.sideHold = null; window.releaseSide();")
        phone.wait_for(lambda: "Crédité demain matin" in notes_shown(phone),
                       "the second note, read after the first read")
        assert "Virement reçu par la banque" in notes_shown(phone)

        # a failed read: its note shows with the next read, here for a colleague leaving
        driver.execute_script("window.sideFail = true;")
        ok(api.post(notes, user=colleague, json={"body": "Client rappelé à 15 h."}), 201)
        phone.wait_for(lambda: counted(phone, "sideFailed") == 1, "the note's read failed")
        assert "Client rappelé" not in notes_shown(phone)
        ok(api.post(f"/api/v1/conversations/{cid}/participants/me/leave", user=colleague), 204)
        phone.wait_for(lambda: not phone.find_all(f'[data-participant="{colleague.id}"]'),
                       "the colleague gone from the « Participants » line")
        phone.wait_for(lambda: "Client rappelé à 15 h" in notes_shown(phone),
                       "the note whose read failed, with the next read")
    finally:
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                               {"identifier": script})
