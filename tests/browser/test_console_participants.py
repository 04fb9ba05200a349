"""« Inviter un·e collègue » on a conversation's console page, at phone and desktop sizes: the
advisor reads who takes part, invites a colleague by e-mail (a refusal said on the field), the
colleague reads it and leaves it with « Quitter cette conversation »."""
from __future__ import annotations

import uuid

from .accounts import ADMIN, ADVISOR1, ADVISOR2, MEMBER1, signed_in_api
from .console_steps import sign_in_staff

api = signed_in_api  # the fixture


def participant(site, user_id: str) -> str:
    found = site.find_all(f'#participant-list [data-participant="{user_id}"]')
    return found[0].text if found else ""


def test_an_advisor_invites_a_colleague_who_then_leaves(site, api):
    cid = api.post("/api/v1/conversations", as_=MEMBER1, json={
        "subject": f"Prêt immobilier {uuid.uuid4().hex[:6]}",
        "message": "Mon conseiller est absent, qui peut m’aider ?"})["id"]
    member1 = api.get("/api/v1/me", as_=MEMBER1)["id"]
    advisor2 = api.get("/api/v1/users?email=" + ADVISOR2, as_=ADMIN)["items"][0]["id"]
    page = f"/console/conversations/{cid}"

    sign_in_staff(site, ADVISOR1, next_path=page)
    site.wait_for_path(page)
    assert site.heading("Participants", 2)
    assert participant(site, member1).endswith("(client·e)")
    assert site.find_all("#participant-list li")[1].text == "Vous (conseiller·ère)"
    assert not site.find_all("#staff-leave")  # the customer's advisor keeps their seat
    site.find(".staff-invite summary").click()
    site.fill("Adresse e-mail de votre collègue", f"personne-{uuid.uuid4().hex[:6]}@demo.agora")
    site.click_button("Inviter")
    site.wait_for(lambda: site.find_all("#field-colleague_email-error"), "the refusal")
    assert site.text_of("#field-colleague_email-error").startswith(
        "Aucun membre du personnel de la banque n’a cette adresse e-mail vérifiée")
    site.check()  # the refusal tied to its field (axe)
    site.screenshot("console-conversation-invite-refused")

    site.fill("Adresse e-mail de votre collègue", ADVISOR2)
    site.click_button("Inviter")
    site.wait_for(lambda: participant(site, advisor2), "the colleague listed")
    assert participant(site, advisor2).endswith("(collègue invité·e)")
    assert "Votre collègue est invité·e" in site.text_of(".notices")
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("console-conversation-participants")

    site.driver.delete_all_cookies()
    sign_in_staff(site, ADVISOR2, next_path=page)
    site.wait_for_path(page)
    assert participant(site, advisor2) == "Vous (collègue invité·e)"
    site.check()
    site.screenshot("console-conversation-colleague")
    site.click_button("Quitter cette conversation")
    site.wait_for(lambda: site.driver.current_url.endswith("/console/conversations"),
                  "back in the inbox")
    assert "Vous avez quitté la conversation" in site.text_of(".notices")
    site.visit(page, check=False)
    assert not site.find_all("#staff-messages")  # they read it no more (404)
