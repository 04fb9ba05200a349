"""An undone decision tells every party the same story (exploratory test s37): right after
« Annuler » the item says the contribution is out of public view (never « Visible publiquement »
in red), and who undid it, when; the flags screen files it as undone, not « masquée par les
signalements » with no flag; approving it again is « Republiée après annulation » in the audit
log, an action its filter offers; its author sees it hidden again while the team reviews it."""
from __future__ import annotations

import uuid

from ..conftest import wait_for
from ..e2e.steps import IBAN, ok, queued, staff, submit, visible
from .conftest import Site
from .console_steps import reloaded


def _public_for_moderation(api, manager, post):
    """Moderation has read the post's publication (what an undo hides)."""
    wait_for(lambda: next((c for c in ok(api.get(
        f"/api/v1/moderation/members/{post['author_id']}/contributions", user=manager))["items"]
        if c["id"] == post["id"] and c["state"] == "published" and c.get("excerpt")), None),
        timeout=20, message="moderation knows it is public")


def _redacted_question(api, manager, author):
    question = submit(api, author, title=f"Virement non reçu {uuid.uuid4().hex[:6]}",
                      body=f"Bonjour, j'attends un virement sur {IBAN} depuis trois jours.")
    item = queued(api, manager, question["id"])
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "redact", "body": item["proposal"]["body"]}))
    visible(api, question["id"])
    _public_for_moderation(api, manager, question)
    return question, item


def test_an_undone_redaction_reads_the_same_on_the_queue_the_flags_and_the_audit(
        console: Site, platform, api):
    manager = staff(platform)
    question, item = _redacted_question(api, manager, api.new_user())
    flags_item = f"{question['id']}.flags"
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path=f"/console/moderation?item={item['id']}")
    console.find("#undo-later button").click()
    console.wait_for(lambda: "Décision annulée" in console.find("#console-done").text, "undone")
    assert console.find("#console").get_attribute("data-current") == flags_item
    # at once: out of public view (the item's own state), and who undid it
    shown = console.find("#review-context .public-now")
    assert "public-hidden" in shown.get_attribute("class"), shown.text
    assert "Décision annulée par" in console.find("#review-cause").text
    console.check()
    console.screenshot("console-undo-story-1-undone")

    # the flags screen: filed as undone, by whom, not as hidden by flags nobody raised
    entry = console.wait_for(lambda: reloaded(
        console, "/console/flags", f'.flag-target[data-item="{flags_item}"]'), "on /console/flags")
    assert "décision annulée" in entry.find_element("css selector", ".flag-state").text
    assert "masquée par les signalements" not in entry.text
    assert "Décision annulée par" in entry.find_element("css selector", ".flag-cause").text
    assert not entry.find_elements("css selector", ".flag-columns")  # no "0 signalement"
    console.driver.execute_script("arguments[0].scrollIntoView()", entry)
    console.check()
    console.screenshot("console-undo-story-2-flags")

    # approved again: the audit log says it was republished after the undo
    console.visit(f"/console/moderation?item={flags_item}")
    console.find("#approve-form button").click()
    console.wait_for(lambda: "approuvé" in console.find("#console-done").text, "approved")
    row = console.wait_for(lambda: reloaded(
        console, f"/console/audit?target={question['id']}",
        '#audit-entries tr[data-action="republish"]'), "the republication in the audit log")
    assert "Republiée après annulation" in row.text and "Signalements ignorés" not in row.text
    options = {option.get_attribute("value"): option.text for option in
               console.find_all("#audit-action option")}
    assert options["republish"] == "Republiée après retrait ou annulation"
    assert options["approve"] == "Approbation ou signalements ignorés"
    assert options["reject"] == "Refus ou masquage après signalements"
    console.check()
    console.screenshot("console-undo-story-3-audit")


def test_the_author_of_an_undone_post_sees_it_hidden_again_while_the_team_reviews_it(
        site: Site, platform, api):
    manager, author = staff(platform), api.new_user()
    question, item = _redacted_question(api, manager, author)
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/undo", user=manager))
    wait_for(lambda: api.get(f"/api/v1/posts/{question['id']}").status_code == 404,
             timeout=20, message="out of public view")
    site.sign_in(author.email, author.password, next_path=f"/posts/{question['id']}")
    box = site.find(f"#review-state-{question['id']}")
    assert "Masquée à nouveau pendant que l’équipe de la communauté la réexamine" in box.text
    site.check()
    site.screenshot("thread-undone-author")
    site.find(".lang-switch button[lang='en']").click()
    site.wait_for(lambda: "Hidden again while the community team reviews it" in site.find(
        f"#review-state-{question['id']}").text, "the English box")
    site.screenshot("thread-undone-author-en")
