"""A member whose question moderation refused before anyone saw it (exploratory test as a
member on a phone): it vanished from "Mon fil" and its page offered only "Supprimer". Now "Mon
fil" keeps it with the reason, its page offers to correct it and send it again, or to write to
the advisor privately; sent again without the IBAN, it waits for a community manager to read
it again, then is published. Nobody else sees it."""
from __future__ import annotations

import re
import uuid

from ..e2e.steps import IBAN, ok, queued, staff, submit, visible

# the reason as the text's box and the list word it, continuing their sentence
CONFIDENTIAL_FR = "contient des données personnelles ou bancaires qui ne peuvent pas être publiées"
CONFIDENTIAL_EN = "contains personal or banking data that cannot be published"


def _read(element) -> str:
    return re.sub(r"\s+", " ", element.get_attribute("textContent")).strip()


def _refused_question(demo, author) -> dict:
    """A question with an IBAN, held by the detector, refused by a CM for confidential data."""
    api, manager = demo.api, staff(demo)
    question = submit(api, author, title=f"Virement bloqué {uuid.uuid4().hex[:6]}",
                      body=f"Mon virement vers {IBAN} est bloqué depuis lundi.")
    item = queued(api, manager, question["id"])
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "reject", "reason_code": "confidential_data"}))
    return question


def test_a_refused_question_is_corrected_and_sent_again_from_mon_fil(
        site, demo, advisor_and_customer):
    _, customer = advisor_and_customer
    question = _refused_question(demo, customer)
    held = submit(demo.api, customer, title=f"Prélèvement inconnu {uuid.uuid4().hex[:6]}",
                  body=f"Un prélèvement inconnu sur {IBAN}, que faire ?")
    site.sign_in(customer.email, customer.password, next_path="/me/feed")
    site.wait_for_path("/me/feed")

    def listed():  # posts learns of the refusal and the hold just after moderation decides
        site.visit("/me/feed", check=False)
        found = site.find_all("#refused")
        return found and f"Motif du refus : {CONFIDENTIAL_FR}" in _read(found[0]) \
            and "Des données confidentielles y ont été repérées" in _read(site.find("#waiting"))
    site.wait_for(listed, "the refused question listed with its reason, under the held one")
    panel = site.find("#waiting")
    # two groups: what waits, then, a level down, what was refused
    assert _read(panel.find_element("css selector", "h2")) == \
        "Votre contribution en attente de publication"
    assert _read(panel.find_element("css selector", "#refused h3")) == \
        "Votre contribution refusée récemment"
    assert panel.find_elements("css selector", f"#refused a[href='/posts/{held['id']}']") == []
    assert IBAN not in _read(panel)
    site.check()
    site.screenshot("me-feed-refused")

    # its page: the reason, then what to do next
    panel.find_element("css selector", f"a[href='/posts/{question['id']}']").click()
    site.wait_for_path(f"/posts/{question['id']}")
    box = site.find(".review-state")
    assert CONFIDENTIAL_FR in _read(box)
    private = box.find_element("css selector", ".review-state-private")
    assert _read(private) == "Écrire à votre conseiller"
    assert private.get_attribute("href").endswith("/advisor#new-conversation")
    site.check()
    site.screenshot("refused-thread")
    box.find_element("css selector", ".review-state-resubmit").click()
    site.wait_for_path(f"/posts/{question['id']}/edit")
    assert site.heading("Corriger et renvoyer votre question", 1)
    assert site.find("#edit-form button[value=save]").text.strip() == "Renvoyer pour relecture"
    assert IBAN not in site.find("#field-body").get_attribute("value")  # given back masked
    site.check()
    site.screenshot("refused-edit")

    # the same in English, then sent again without the IBAN: held for a person, then published
    site.visit("/lang/en?next=/me/feed")
    assert _read(site.find("#refused h3")) == "Your contribution rejected recently"
    assert f"Reason for the rejection: {CONFIDENTIAL_EN}" in _read(site.find("#refused"))
    site.screenshot("me-feed-refused-en")
    site.visit(f"/posts/{question['id']}")
    box = site.find(".review-state")
    assert _read(box.find_element("css selector", ".review-state-resubmit")) == \
        "Correct and send again"
    assert _read(box.find_element("css selector", ".review-state-private")) == \
        "Write to your advisor"
    site.screenshot("refused-thread-en")
    box.find_element("css selector", ".review-state-resubmit").click()
    site.wait_for_path(f"/posts/{question['id']}/edit")
    assert site.heading("Correct your question and send it again", 1)
    site.screenshot("refused-edit-en")
    body = site.find("#field-body")
    body.clear()
    body.send_keys("Mon virement est bloqué depuis lundi, que faire ?")
    site.click_button("Send again for review")
    site.wait_for(lambda: re.search(rf"/posts/{question['id']}(#|$)", site.driver.current_url),
                  "back on the question")
    # a person refused it: a person reads it again before it is published
    site.wait_for(lambda: "Sent again for review: the community team reads it again" in _read(
        site.find(".review-state")), "held for a person once sent again")
    site.check()
    site.screenshot("resent-held-en")
    site.visit("/me/feed")
    assert not site.find_all("#refused")  # both wait now: the held one and the one sent again
    assert site.find_all(f"#waiting a[href='/posts/{held['id']}']")
    assert site.find_all(f"#waiting a[href='/posts/{question['id']}']")
    site.screenshot("me-feed-after-resubmit")
    manager = staff(demo)
    item = queued(demo.api, manager, question["id"])
    assert item["reasons"] == ["sent_again"]
    ok(demo.api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                     json={"decision": "approve"}))
    visible(demo.api, question["id"])  # published for everyone once a person approved it
    site.visit(f"/posts/{question['id']}")
    assert not site.find_all(".review-state")  # nothing waits any more

    # nobody else ever saw it listed
    other = demo.api.new_user()
    site.driver.delete_all_cookies()
    site.sign_in(other.email, other.password, next_path="/me/feed")
    site.wait_for_path("/me/feed")
    assert not site.find_all("#refused") and question["id"] not in site.driver.page_source
