"""What colleagues do on a conversation shows live on its open console page — it showed only at
the next reload: a colleague brought in appears on the « Participants » line, their internal
note in the notes panel, their « Marquer comme traitée » (clicked in their own session) takes
the button away and says who marked it, and their leaving takes them off the line with a notice
« {name} a quitté la conversation. » (read politely). French at the phone size, then a second
colleague's leaving in English at the desktop size. The customer's stream never gets any of it
(tests/unit/test_live_staff_events.py)."""
from __future__ import annotations

from ..e2e.steps import ok
from .console_steps import in_english_at_desktop
from .staff_steps import advisor_and_colleague_on_new_conversation
from .test_conversation_handled import BUTTON, handled_line


def listed(site, user_id: str) -> bool:
    return bool(site.find_all(f'#participant-list [data-participant="{user_id}"]'))


def said(site) -> str:
    return " ".join(site.find("#participants-said").text.split())


def test_a_colleagues_doing_shows_live(platform, conversations_db, phone):
    api = platform.api
    advisor, colleague, cid, page = advisor_and_colleague_on_new_conversation(
        platform, conversations_db, phone, "Succession",
        "Quels documents pour la succession de mon père ?", colleague_in=False)
    phone.wait_for(lambda: phone.find("#staff-messages").get_attribute("data-live") == "on",
                   "the page live")
    assert phone.find_all(BUTTON) and not phone.find_all("#note-list .staff-note")

    # brought in (here by the advisor's other session): on the line, the page open
    ok(api.post(f"/api/v1/conversations/{cid}/participants", user=advisor,
                json={"user_id": colleague.id}), 201)
    phone.wait_for(lambda: listed(phone, colleague.id), "the colleague listed, live")
    name = phone.find(f'[data-participant="{colleague.id}"]').get_attribute("data-name")
    assert phone.text_of(f'[data-participant="{colleague.id}"]').endswith(
        "(collègue invité·e)")

    # their note, in the panel (opened as the server opens it once there are notes)
    ok(api.post(f"/api/v1/conversations/{cid}/notes", user=colleague,
                json={"body": "Client déjà venu en agence : acte de notoriété en cours."}), 201)
    phone.wait_for(lambda: phone.find_all("#note-list .staff-note"), "the note, live")
    assert "acte de notoriété" in phone.text_of("#note-list")
    assert phone.find("#notes").get_attribute("open") is not None
    assert phone.text_of("#notes summary .badge") == "1"

    # their « Marquer comme traitée », in their own session: no button here any more
    ok(api.post(f"/api/v1/conversations/{cid}/handled", user=colleague), 204)
    phone.wait_for(lambda: not phone.find_all(BUTTON), "the button gone, live")
    phone.wait_for(lambda: handled_line(phone), "who marked it")
    assert handled_line(phone).startswith(f"Marquée comme traitée par {name} le ")

    # they leave: off the line, and said
    ok(api.post(f"/api/v1/conversations/{cid}/participants/me/leave", user=colleague), 204)
    phone.wait_for(lambda: not listed(phone, colleague.id), "the colleague gone, live")
    assert said(phone) == f"{name} a quitté la conversation."
    assert phone.find("#participants-said").get_attribute("role") == "status"
    phone.check()
    phone.no_horizontal_scroll()
    phone.screenshot("console-staff-side-live-fr")

    # another colleague, in English at the desktop size
    other = api.new_staff(platform.admin, "advisor")
    with in_english_at_desktop(phone, page) as english:
        english.wait_for(lambda: english.find("#staff-messages").get_attribute("data-live")
                         == "on", "the page live, in English")
        ok(api.post(f"/api/v1/conversations/{cid}/participants", user=advisor,
                    json={"user_id": other.id}), 201)
        english.wait_for(lambda: listed(english, other.id), "the other colleague listed")
        other_name = english.find(f'[data-participant="{other.id}"]').get_attribute("data-name")
        ok(api.post(f"/api/v1/conversations/{cid}/participants/me/leave", user=other), 204)
        english.wait_for(lambda: not listed(english, other.id), "the other colleague gone")
        assert said(english) == f"{other_name} left the conversation."
        english.check()
        english.no_horizontal_scroll()
        english.screenshot("console-staff-side-live-en")
