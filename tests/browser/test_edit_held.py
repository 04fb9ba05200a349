"""A member typed their IBAN in a question: it is held (« en attente de relecture ») and its page
offered only « Supprimer » (explore s35, 9). Now it offers « Modifier » too: the edit page says
why it waits and that the correction replaces the waiting version; sent again, the question
shows the new text, still waiting while the detector still finds something (here the phone
number left in it), and the community team has only that latest version to review. Nobody
else sees it. French on a phone, English on a desktop."""
from __future__ import annotations

import re
import uuid

from ..conftest import wait_for
from ..e2e.steps import IBAN, ok, problem, queue_pages, queued, staff, submit

PHONE = "06 12 34 56 78"


def _read(element) -> str:
    return re.sub(r"\s+", " ", element.get_attribute("textContent")).strip()


def test_a_member_corrects_their_held_question_themself(site, demo):
    api, manager, author = demo.api, staff(demo), demo.api.new_user()
    title = f"Virement bloqué {uuid.uuid4().hex[:6]}"
    question = submit(api, author, title=title,
                      body=f"Mon virement vers {IBAN} est bloqué depuis lundi.")
    held = queued(api, manager, question["id"])
    english = site.device == "desktop"
    site.sign_in(author.email, author.password, next_path=f"/posts/{question['id']}")
    if english:
        site.visit(f"/lang/en?next=/posts/{question['id']}")
    site.wait_for_path(f"/posts/{question['id']}")
    box = site.find(".review-state")
    assert site.t("Held: it seems to contain confidential data",
                  "Retenue : elle semble contenir des données confidentielles") in _read(box)
    actions = site.find("#post-actions")
    edit = actions.find_element("css selector", "a.correct-waiting")
    assert _read(edit) == site.t("Edit", "Modifier")
    assert actions.find_elements("css selector", "details.delete")  # still there too
    site.check()
    site.screenshot("held-thread")

    edit.click()
    site.wait_for_path(f"/posts/{question['id']}/edit")
    assert site.heading(site.t("Edit your question", "Modifier votre question"), 1)
    assert site.t("your correction replaces the waiting version",
                  "votre correction remplace la version en attente") in _read(site.find(".lead"))
    assert site.t("Held: it seems to contain confidential data",
                  "Retenue : elle semble contenir des données confidentielles") in _read(
        site.find("#waiting-state"))
    body = site.find("#field-body")
    assert IBAN in body.get_attribute("value")  # its own text, as typed: theirs to correct
    save = site.find("#edit-form button[value=save]")
    assert _read(save) == site.t("Send the correction", "Envoyer la correction")
    site.check()
    site.screenshot("held-edit")
    corrected = f"Mon virement est bloqué depuis lundi, rappelez-moi au {PHONE}."
    body.clear()
    body.send_keys(corrected)
    save.click()
    site.wait_for(lambda: re.search(rf"/posts/{question['id']}(#|$)", site.driver.current_url),
                  "back on the question")

    # the new text, still waiting (the detector finds the phone number), never the IBAN
    site.wait_for(lambda: "held" in site.find(".review-state").get_attribute("class"),
                  "the correction held")
    assert site.t("Held: it seems to contain confidential data",
                  "Retenue : elle semble contenir des données confidentielles") in _read(
        site.find(".review-state"))
    assert PHONE in _read(site.find(".thread .prose"))
    assert IBAN not in site.driver.page_source
    assert site.find_all("#post-actions a.correct-waiting")  # still theirs to correct
    site.check()
    site.screenshot("held-corrected")
    # "Mon fil" lists it once, as waiting
    site.visit("/me/feed")
    assert len(site.find_all(f"#waiting a[href='/posts/{question['id']}']")) == 1
    assert site.t("Confidential data was spotted", "Des données confidentielles") in _read(
        site.find("#waiting"))

    # the community team reviews the latest version only; nobody else sees the question
    def latest_only():
        items = [item for _, item in queue_pages(api, manager)
                 if item["target_id"] == question["id"]]
        return [item["revision"] for item in items] == [2] and items[0]
    latest = wait_for(latest_only, timeout=20, message="only the correction in the queue")
    assert latest["detector_kinds"] == ["phone"] and latest["id"] != held["id"]
    problem(api.get(f"/api/v1/posts/{question['id']}", user=api.new_user()), 404)
    assert ok(api.get(f"/api/v1/moderation/items/{held['id']}", user=manager))[
        "withdrawn_because"] == "resubmitted"
