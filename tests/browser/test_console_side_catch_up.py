"""The live side of a console conversation (console_side.js) catches up after the live stream was
down: a colleague's note written meanwhile — its live event lost, the server keeps no buffer —
shows once live.js's stream is open again (its agora:live-missed), without a reload, and so
does a note whose event the server dropped for a slow page (its `resync`). And a
colleague's new note is said in a polite status line under the notes (« Nouvelle note de … »,
seen and read by a screen reader even with the panel closed), never one's own: French at the
phone size, English at the desktop size."""
from __future__ import annotations

from ..e2e.clients import LiveClient
from ..e2e.steps import ok
from .console_steps import in_english_at_desktop
from .staff_steps import advisor_and_colleague_on_new_conversation

# Before the page's scripts: every EventSource the page opens is kept (the test closes one), and
# while `liveHeld` the stream is refused (a 404, as from a gateway that does not serve it), so
# live.js keeps retrying on its own until the test lets it through.
HOLDABLE_STREAM = """
const Real = window.EventSource;
window.liveSources = [];
window.liveHeld = false;
window.EventSource = class extends Real {
  constructor(url, options) {
    super(window.liveHeld ? `${url}-held` : url, options);
    window.liveSources.push(this);
  }
};
"""
# the stream dropped as a network failure drops it: closed, and live.js told (its onerror)
DROP = """
window.liveHeld = true;
const source = window.liveSources[window.liveSources.length - 1];
source.close();
source.dispatchEvent(new Event("error"));
"""


def live_state(site) -> str | None:
    return site.find("[data-bell]").get_attribute("data-live")


def page_live(site) -> None:
    site.wait_for(lambda: site.find("#staff-messages").get_attribute("data-live") == "on",
                  "the page live")
    site.wait_for(lambda: live_state(site) == "open", "the stream open")


def notes_shown(site) -> str:
    return " ".join(site.text_of("#note-list").split())


def said(site) -> str:
    return " ".join(site.text_of("#notes-said").split())


def colleague_name(site, colleague) -> str:
    return site.find(f'[data-participant="{colleague.id}"]').get_attribute("data-name")


def test_a_note_written_while_the_stream_was_down_shows_when_it_reopens(
        platform, conversations_db, phone):
    api = platform.api
    driver = phone.driver
    script = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                    {"source": HOLDABLE_STREAM})["identifier"]
    observer = None
    try:
        advisor, colleague, cid, _ = advisor_and_colleague_on_new_conversation(
            platform, conversations_db, phone, "Prélèvement",
            "Un prélèvement inconnu sur mon compte.", colleague_in=True)
        page_live(phone)
        name = colleague_name(phone, colleague)
        # the advisor's other stream: proof the gateway forwarded the note's event (to the
        # streams open then: not the page's)
        observer = LiveClient(platform.base_url, advisor)
        observer.wait("hello", "the observer's stream open")

        driver.execute_script(DROP)
        phone.wait_for(lambda: live_state(phone) == "retrying", "the stream down")
        note = ok(api.post(f"/api/v1/conversations/{cid}/notes", user=colleague,
                           json={"body": "Mandat SEPA signé en 2019, vérifié."}), 201)
        observer.wait("note", "the note's event, forwarded", note_id=note["id"])
        assert "Mandat SEPA" not in notes_shown(phone)

        driver.execute_script("window.liveHeld = false;")
        phone.wait_for(lambda: "Mandat SEPA signé en 2019" in notes_shown(phone),
                       "the note, once the stream is open again")
        assert live_state(phone) == "open"
        assert phone.find("#notes").get_attribute("open") is not None
        assert said(phone) == f"Nouvelle note de {name}."
    finally:
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                               {"identifier": script})
        if observer:
            observer.close()


def test_a_colleagues_new_note_is_announced_not_ones_own(platform, conversations_db, phone):
    api = platform.api
    advisor, colleague, cid, page = advisor_and_colleague_on_new_conversation(
        platform, conversations_db, phone, "Carte bloquée", "Ma carte est bloquée au DAB.",
        colleague_in=True)
    page_live(phone)
    name = colleague_name(phone, colleague)
    status = phone.find("#notes-said")
    assert status.get_attribute("role") == "status" and said(phone) == ""

    # one's own note (here from another session of one's own): shown, not announced
    ok(api.post(f"/api/v1/conversations/{cid}/notes", user=advisor,
                json={"body": "Carte débloquée à distance."}), 201)
    phone.wait_for(lambda: "Carte débloquée" in notes_shown(phone), "one's own note, live")
    assert said(phone) == ""

    # the colleague's: announced, the panel closed or not
    phone.find("#notes summary").click()
    assert phone.find("#notes").get_attribute("open") is None
    ok(api.post(f"/api/v1/conversations/{cid}/notes", user=colleague,
                json={"body": "Client prévenu par SMS."}), 201)
    phone.wait_for(lambda: said(phone) == f"Nouvelle note de {name}.", "the note announced")
    assert phone.find("#notes-said").is_displayed()
    phone.check()
    phone.no_horizontal_scroll()
    phone.screenshot("console-side-note-announced-fr")

    with in_english_at_desktop(phone, page) as english:
        page_live(english)
        assert said(english) == ""
        ok(api.post(f"/api/v1/conversations/{cid}/notes", user=colleague,
                    json={"body": "Nouvelle carte commandée."}), 201)
        english.wait_for(lambda: said(english) == f"New note from {name}.",
                         "the note announced, in English")
        english.check()
        english.no_horizontal_scroll()
        english.screenshot("console-side-note-announced-en")


# Before the page's scripts: while `liveDropping` names an event kind, the page's listeners do not
# get it (as when the gateway drops events for a page too slow to read them; `liveDropped` lists
# those that came), and `resync()` delivers what the gateway then sends in their place.
DROPPING_STREAM = """
const Real = window.EventSource;
window.liveDropping = [];
window.liveDropped = [];
window.liveSources = [];
window.EventSource = class extends Real {
  constructor(url, options) { super(url, options); window.liveSources.push(this); }
  addEventListener(kind, listener, options) {
    super.addEventListener(kind, (event) => {
      if (!window.liveDropping.includes(kind)) listener(event);
      else window.liveDropped.push(kind);
    }, options);
  }
};
window.resync = () => window.liveSources[window.liveSources.length - 1]
  .dispatchEvent(new MessageEvent("resync", {data: "{}"}));
"""


def test_a_note_whose_event_was_dropped_shows_on_the_resync(platform, conversations_db, phone):
    driver = phone.driver
    script = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                    {"source": DROPPING_STREAM})["identifier"]
    try:
        _, colleague, cid, _ = advisor_and_colleague_on_new_conversation(
            platform, conversations_db, phone, "Virement", "Un virement en attente.",
            colleague_in=True)
        page_live(phone)
        name = colleague_name(phone, colleague)
        driver.execute_script("window.liveDropping = ['note'];")
        ok(platform.api.post(f"/api/v1/conversations/{cid}/notes", user=colleague,
                             json={"body": "Virement débloqué par le back-office."}), 201)
        # the page's stream got the note's event, and its listeners never saw it
        phone.wait_for(lambda: "note" in driver.execute_script("return window.liveDropped"),
                       "the note's event, dropped")
        assert "Virement débloqué" not in notes_shown(phone)

        driver.execute_script("window.liveDropping = []; window.resync();")
        phone.wait_for(lambda: "Virement débloqué par le back-office" in notes_shown(phone),
                       "the note, after the resync")
        assert said(phone) == f"Nouvelle note de {name}."
        assert live_state(phone) == "open"
    finally:
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                               {"identifier": script})
