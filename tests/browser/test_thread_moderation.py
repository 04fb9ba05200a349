"""A community manager acting on a public thread, and undoing a console decision (CM review s25,
finding 6), at the phone and desktop sizes: the "Modération" menu only staff receive, a reply
hidden with a reason (gone for a visitor), a redaction undone from its confirmation and an
approval undone from the item's page once the confirmation's button went away."""
from __future__ import annotations

import uuid

import requests
from selenium.webdriver.support.ui import Select

from ..conftest import wait_for
from ..e2e.steps import (
    IBAN,
    notified,
    ok,
    queued,
    reply_visible,
    site_login,
    staff,
    submit,
    visible,
)
from .conftest import Site
from .console_steps import reloaded


def _thread_with_reply(api):
    asker, replier = api.new_user(), api.new_user()
    post = submit(api, asker, title=f"Retrait refusé au distributeur {uuid.uuid4().hex[:6]}",
                  body="Ma carte est refusée au distributeur depuis hier.")
    visible(api, post["id"])
    reply = ok(api.post(f"/api/v1/posts/{post['id']}/replies", user=replier,
                        json={"body": "T'es vraiment une idiote, crétine."}), 201)
    reply_visible(api, reply["id"])
    return post, reply, replier


def _sign_in_cm(site: Site, manager, next_path: str) -> None:
    site.sign_in(manager.email, manager.password, next_path=next_path, device=manager.device)
    site.wait_for_path(next_path.split("?")[0])


def _public_for_moderation(api, manager, post):
    """Moderation has read the post's publication (what an undo hides: an undo sooner is told
    to try again), as its record of the author's contributions shows the text."""
    wait_for(lambda: next((c for c in ok(api.get(
        f"/api/v1/moderation/members/{post['author_id']}/contributions", user=manager))["items"]
        if c["id"] == post["id"] and c["state"] == "published" and c.get("excerpt")), None),
        timeout=20, message="moderation knows it is public")


def test_a_cm_hides_an_abusive_reply_from_its_thread(site, platform, api):
    post, reply, _ = _thread_with_reply(api)
    path = f"/posts/{post['id']}"
    # members and visitors are never sent the menu
    member, _ = site_login(site.base_url, api.new_user())
    for reader in (member, requests.Session()):
        page = reader.get(site.url(path), timeout=10).text
        assert "vraiment une idiote" in page and "staff-menu" not in page
        assert "/removal" not in page and "/hold" not in page

    _sign_in_cm(site, staff(platform), path)
    menu = site.find(f"#moderate-{reply['id']}")
    menu.find_element("css selector", "summary").click()
    site.find(f"#remove-{reply['id']} summary").click()
    Select(site.find(f"#remove-{reply['id']}-reason")).select_by_value("abusive")
    assert site.find(f"#moderate-{reply['id']} a.staff-console").get_attribute("href").endswith(
        f"/console/moderation?item={reply['id']}.flags")
    site.check()
    site.screenshot("thread-moderation-1-menu")
    site.click_button("Masquer et prévenir l’auteur")
    site.wait_for(lambda: "Retiré de la vue publique" in site.text(), "the removal said")
    site.check()
    site.screenshot("thread-moderation-2-removed")
    wait_for(lambda: "vraiment une idiote" not in requests.get(site.url(path), timeout=10).text,
             timeout=20, message="the reply gone for a visitor")
    assert "vraiment une idiote" not in site.text()

    # the post: "open in the console" on what nobody flagged says so; "mask data" holds it
    # (out of public view) and opens the console's redaction editor on it
    site.find(f"#moderate-{post['id']} summary").click()
    site.find(f"#moderate-{post['id']} a.staff-console").click()
    site.wait_for(lambda: site.find_all("#item-unknown"), "nothing to decide, said")
    site.visit(path)
    site.find(f"#moderate-{post['id']} summary").click()
    site.click_button("Masquer des données…")
    site.wait_for(lambda: site.find("#console").get_attribute("data-current")
                  == f"{post['id']}.flags", "the post open in the console")
    assert "Ma carte est refusée" in site.find("#redact-body").get_attribute("value")
    site.check()
    site.screenshot("thread-moderation-3-redact-in-console")
    wait_for(lambda: requests.get(site.url(path), timeout=10).status_code == 404, timeout=20,
             message="the post out of public view while it is corrected")


def test_a_cm_undoes_a_redaction_then_an_approval_from_the_console(site, platform, api):
    question = submit(api, api.new_user(), title=f"Virement bloqué {uuid.uuid4().hex[:6]}",
                      body=f"Bonjour, mon IBAN est {IBAN}, pourquoi ce blocage ?")
    manager = staff(platform)
    item_id = queued(api, manager, question["id"])["id"]
    flags_item = f"{question['id']}.flags"
    _sign_in_cm(site, manager, f"/console/moderation?item={item_id}")
    site.find("#decision-bar button[form=redact-form]").click()
    undo = site.find("#undo-now button")
    assert "Version masquée publiée" in site.find("#console-done").text
    site.screenshot("console-undo-1-offered")
    visible(api, question["id"])  # published: what the undo takes back
    _public_for_moderation(api, manager, question)
    undo.click()
    site.wait_for(lambda: "Décision annulée" in site.find("#console-done").text, "undone")
    assert site.find("#console").get_attribute("data-current") == flags_item
    site.check()
    site.screenshot("console-undo-2-undone")
    wait_for(lambda: api.get(f"/api/v1/posts/{question['id']}").status_code == 404,
             timeout=20, message="out of public view again")

    # decided again (approved: the masked text shown again); its undo goes away after a while
    site.find("#approve-form button").click()
    site.wait_for(lambda: "approuvé" in site.find("#console-done").text, "approved")
    site.wait_for(lambda: not site.find_all("#undo-now"), "the undo offered for a while")
    visible(api, question["id"])
    # then from the item's page (once moderation knows it is shown again)
    later = site.wait_for(lambda: reloaded(site, f"/console/moderation?item={flags_item}",
                                           "#undo-later button"), "the undo on the item's page")
    site.check()
    later.click()
    site.wait_for(lambda: "Décision annulée" in site.find("#console-done").text, "undone")
    site.check()
    site.screenshot("console-undo-3-from-history")
    wait_for(lambda: api.get(f"/api/v1/posts/{question['id']}").status_code == 404,
             timeout=20, message="out of public view again")


def test_a_removal_after_the_author_deleted_the_reply_says_there_is_nothing_to_take_down(
        site, platform, api):
    """The reply's author deleted it while the CM chose a reason: sending the removal brings the
    CM back to the thread, told there was nothing to take down (not an error page); holding it
    to redact answers the same."""
    post, reply, replier = _thread_with_reply(api)
    path = f"/posts/{post['id']}"
    _sign_in_cm(site, staff(platform), path)
    site.find(f"#moderate-{reply['id']} summary").click()
    site.find(f"#remove-{reply['id']} summary").click()
    Select(site.find(f"#remove-{reply['id']}-reason")).select_by_value("abusive")
    ok(api.delete(f"/api/v1/replies/{reply['id']}", user=replier), 204)
    site.click_button("Masquer et prévenir l’auteur")
    site.wait_for(lambda: site.find_all(".notice-already_gone"), "nothing to take down, said")
    assert site.driver.current_url == site.url(path)
    assert "supprimé entre-temps" in site.find(".notice-already_gone").text
    assert not site.find_all(f"#moderate-{reply['id']}")  # the thread as it now is
    site.check()
    site.screenshot("thread-moderation-4-already-gone")

    site.visit(path)  # a second tab's menu, from before the deletion: "hold to redact"
    site.find(".lang-switch button[lang='en']").click()  # ... in English this time (signed in)
    site.wait_for(lambda: site.driver.execute_script(
        "return document.documentElement.lang") == "en", "the English thread")
    site.driver.execute_script(
        "const form = document.createElement('form'); form.method = 'post';"
        "form.action = arguments[0];"
        "for (const [name, value] of Object.entries(arguments[1])) {"
        "  const input = document.createElement('input'); input.type = 'hidden';"
        "  input.name = name; input.value = value; form.append(input); }"
        "document.body.append(form); form.submit();",
        f"/replies/{reply['id']}/hold",
        {"csrf_token": site.find("input[name=csrf_token]").get_attribute("value"),
         "thread": post["id"]})
    site.wait_for(lambda: site.find_all(".notice-already_gone"), "the hold answered alike")
    assert site.driver.current_url == site.url(path)
    assert site.find(".notice-already_gone").text.startswith("Nothing to take down:")
    site.check()
    site.screenshot("thread-moderation-4-already-gone-en")


def test_a_cm_corrects_a_members_reply_in_place_and_its_author_is_told(site, platform, api):
    asker, replier = api.new_user(), api.new_user()
    post = submit(api, asker, title=f"Opposition sur carte {uuid.uuid4().hex[:6]}",
                  body="J'ai perdu ma carte dans le train, que faire en premier ?")
    visible(api, post["id"])
    reply = ok(api.post(f"/api/v1/posts/{post['id']}/replies", user=replier,
                        json={"body": "Apellez le numéro d'opposition au dos de vos relevés."}),
               201)
    reply_visible(api, reply["id"])
    edit_path = f"/replies/{reply['id']}/edit"
    # another member is told they may not, not shown a form whose saving would fail
    member, _ = site_login(site.base_url, api.new_user())
    refused = member.get(site.url(edit_path), timeout=10)
    assert refused.status_code == 403 and "field-body" not in refused.text
    # the member's own edit waits for review (a phone number): the CM is warned it goes
    manager = staff(platform)
    ok(api.patch(f"/api/v1/replies/{reply['id']}", user=replier,
                 json={"body": "Appelez-moi au 06 12 34 56 78 pour en parler."}))
    wait_for(lambda: ok(api.get(f"/api/v1/replies/{reply['id']}", user=manager)).get(
        "pending_edit"), timeout=20, message="the member's edit waits for review")

    path = f"/posts/{post['id']}"
    _sign_in_cm(site, manager, path)
    site.find(f"#moderate-{reply['id']} summary").click()
    site.find(f"#moderate-{reply['id']} .staff-edit a").click()
    site.wait_for_path(edit_path)
    # the page says whose text it is and that its author will be told
    assert site.find("h1").text == f"Modifier le texte de {replier.display_name}"
    assert "il en est prévenu" in site.find(".lead").text
    pending = site.find("#edit-pending")
    assert "en attente de vérification" in pending.text
    assert pending.find_element("css selector", "a").get_attribute("href").endswith(
        f"/console/moderation?item={reply['id']}.r2")
    site.check()
    site.screenshot("thread-moderation-5-cm-edit")
    # the same page in English
    site.find(".lang-switch button[lang='en']").click()
    site.wait_for(lambda: site.find("h1").text == f"Edit {replier.display_name}’s text",
                  "the English page")
    assert "they are told" in site.find(".lead").text
    assert "waiting for review" in site.find("#edit-pending").text
    site.check()
    site.screenshot("thread-moderation-5-cm-edit-en")
    site.fill("The text", "Appelez le numéro d'opposition au dos de vos relevés.")
    site.click_button("Save")
    site.wait_for_path(path)
    assert "Appelez le numéro" in site.find(f"#reply-{reply['id']} .prose").text
    # live at once (nothing to hold in it): the notice says so, not "sent"
    assert site.find(".notices .notice").text == "Your change is published."
    site.check()

    told = notified(api, replier, "moderation", reply_id=reply["id"], decision="edited")
    assert told["text"].startswith("L’équipe de la communauté a modifié votre réponse"), told
    assert told["author"] is None  # the team acted, not a named CM
    # readers see the member's version and who changed it
    site.visit(f"/replies/{reply['id']}/history")
    revisions = site.find_all(".history li")
    assert "Appelez" in revisions[0].text and "Edited by the community team" in revisions[0].text
    assert "Apellez" in revisions[1].text and "Edited by" not in revisions[1].text
    french = requests.get(site.url(f"/replies/{reply['id']}/history"), timeout=10).text
    assert french.count("Modifiée par l’équipe de la communauté") == 1
    site.check()
    site.screenshot("thread-moderation-6-cm-edit-history")


def test_a_cm_reading_a_thread_sees_a_held_reply_as_a_members_with_where_to_decide_it(
        site, platform, api):
    asker, replier = api.new_user(), api.new_user()
    post = submit(api, asker, title=f"Virement bloqué {uuid.uuid4().hex[:6]}",
                  body="Mon virement est bloqué depuis lundi, que faire ?")
    visible(api, post["id"])
    reply = ok(api.post(f"/api/v1/posts/{post['id']}/replies", user=replier,
                        json={"body": f"Pareil pour moi, mon IBAN est {IBAN}."}), 201)
    manager = staff(platform)
    item = queued(api, manager, reply["id"])
    path = f"/posts/{post['id']}"
    _sign_in_cm(site, manager, path)
    box = site.find(f"#review-state-{reply['id']}")
    # about the member's text, not "yours" (the author's own box), and where it is decided
    assert box.text.startswith("État de cette contribution"), box.text
    assert "données confidentielles" in box.text and "Seuls son auteur et l’équipe" in box.text
    assert "Vous seul" not in box.text and "votre" not in box.text.lower()
    link = box.find_element("css selector", "a.review-state-item")
    assert link.text == "Décider dans la file de modération"
    assert link.get_attribute("href").endswith(f"/console/moderation?item={item['id']}")
    # the reply form tells staff they answer in the bank's name (posts marks it official)
    assert site.find("#reply-reminder").text.startswith("Vous écrivez au nom de la banque")
    site.check()
    site.screenshot("thread-moderation-7-cm-held-reply")
    site.find(".lang-switch button[lang='en']").click()
    site.wait_for(lambda: site.find(f"#review-state-{reply['id']}").text.startswith(
        "Status of this contribution"), "the English box")
    assert "Only its author and the community team" in \
        site.find(f"#review-state-{reply['id']}").text
    site.find(f"#review-state-{reply['id']} a.review-state-item").click()
    site.wait_for_path("/console/moderation")
    assert f"item={item['id']}" in site.driver.current_url
    # its author still reads it as their own
    author_page = site_login(site.base_url, replier)[0].get(site.url(path), timeout=10).text
    assert "État de votre contribution" in author_page and "review-state-item" not in author_page
    assert "N’écrivez jamais vos coordonnées bancaires" in author_page
    assert "au nom de la banque" not in author_page
