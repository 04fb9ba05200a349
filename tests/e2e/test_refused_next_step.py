"""A member whose text moderation refused before anyone saw it gets a next step on the site: it
stays on their list ("Mon fil", GET /api/v1/me/waiting `refused_*`) with the reason, and its
page offers to correct it and send it again — it then waits again, for a person to read it
again however clean it looks — or to write privately: to their advisor (a customer's), else to
the bank's team. A text taken down after it was published stays as it is."""
from __future__ import annotations

import html
import re

from ..conftest import wait_for
from .steps import (
    IBAN,
    customer_with_advisor,
    ok,
    problem,
    queued,
    site_csrf,
    site_login,
    staff,
    submit,
    visible,
)

CONFIDENTIAL = "Contient des données personnelles ou bancaires qui ne peuvent pas être publiées"


def refuse(api, manager, target_id, reason_code):
    item = queued(api, manager, target_id)
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "reject", "reason_code": reason_code}))


def listed(api, user, key, ids):
    """The member's list once its `key` group holds exactly `ids` (posts learns of the
    refusals a moment after moderation decides)."""
    def check():
        found = ok(api.get("/api/v1/me/waiting", user=user, headers={"Accept-Language": "fr"}))
        return [text["id"] for text in found[key]] == ids and found
    return wait_for(check, timeout=20, message=f"{key} lists {ids}")


def page(browser, base, path):
    answer = browser.get(base + path, timeout=10)
    assert answer.status_code == 200, (path, answer.status_code)
    # French punctuation keeps its no-break spaces (`| glue`): read as plain spaces here
    return re.sub("[\u00a0\u202f]", " ", html.unescape(answer.text))


def test_a_refused_question_is_listed_with_its_reason_and_sent_again_corrected(
        platform, api, conversations_db):
    base, manager = platform.base_url, staff(platform)
    author, _ = customer_with_advisor(platform, api, conversations_db)
    question = submit(api, author, title=f"Virement bloqué vers {IBAN}",
                      body=f"Mon virement vers {IBAN} est bloqué depuis lundi.")
    refuse(api, manager, question["id"], "confidential_data")

    found = listed(api, author, "refused_posts", [question["id"]])
    assert found["posts"] == [] and found["replies"] == []  # nothing waits any more
    [refused] = found["refused_posts"]
    assert refused["state"] == "rejected"
    assert refused["review"]["reason_code"] == "confidential_data"
    assert refused["review"]["reason_label"] == CONFIDENTIAL
    assert IBAN not in refused["draft"]["body"]  # given back masked

    # "Mon fil": the refused group, with the reason as the text's box words it, and its link
    browser, _ = site_login(base, author)
    feed = page(browser, base, "/me/feed")
    # as the text's box words it: the reason continues the sentence
    assert "contribution refusée récemment" in feed and \
        "Motif du refus : contient des données personnelles" in feed
    assert "en attente de publication" not in feed  # nothing waits: the heading says refused
    assert f'href="/posts/{question["id"]}"' in feed
    assert IBAN not in feed and "Virement bloqué vers FR76" in feed  # named, masked

    # its page: correct and send again, or write to the advisor
    thread = page(browser, base, f"/posts/{question['id']}")
    assert f'href="/posts/{question["id"]}/edit"' in thread and "Corriger et renvoyer" in thread
    assert "Écrire à votre conseiller" in thread and 'href="/advisor#new-conversation"' in thread
    edit = page(browser, base, f"/posts/{question['id']}/edit")
    assert "Corriger et renvoyer votre question" in edit and "Renvoyer pour relecture" in edit
    # what to correct, where it is corrected: the refusal's words, as the question's page says
    assert "Refusée par l’équipe de la communauté : contient des données personnelles" in edit

    # nobody else's: another member's list is empty, the page is not theirs
    other = api.new_user()
    assert ok(api.get("/api/v1/me/waiting", user=other))["refused_posts"] == []
    stranger, _ = site_login(base, other)
    assert stranger.get(f"{base}/posts/{question['id']}", timeout=10).status_code == 404

    # sent again from the edit page, without the IBAN: it waits again, for a person, who
    # publishes it
    sent = browser.post(f"{base}/posts/{question['id']}/edit", allow_redirects=False, timeout=30,
                        data={"title": "Virement bloqué", "action": "save",
                              "body": "Mon virement est bloqué depuis lundi.",
                              "category": "", "category_was": "", "tags": "", "tags_was": "",
                              "csrf_token": site_csrf(browser, base, "/me/feed")})
    assert sent.status_code == 303, sent.text
    found = listed(api, author, "refused_posts", [])
    assert [text["id"] for text in found["posts"]] == [question["id"]]  # waits for a person
    wait_for(lambda: "Renvoyée pour relecture" in page(browser, base, f"/posts/{question['id']}"),
             timeout=20, message="its page says it is read again")
    item = queued(api, manager, question["id"])
    assert item["reasons"] == ["sent_again"]
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "approve"}))
    published = visible(api, question["id"])
    assert published["title"] == "Virement bloqué"
    assert listed(api, author, "refused_posts", [])["posts"] == []
    assert "refusée récemment" not in page(browser, base, "/me/feed")


def test_a_refused_reply_offers_the_bank_team_then_leaves_the_list_once_deleted(platform, api):
    """A member without an advisor writes to the bank's team (as /conversations says); a
    refusal without a precise reason says only that it was refused."""
    base, manager, author = platform.base_url, staff(platform), api.new_user()
    thread = visible(api, submit(api, api.new_user(), title="Carte avalée au distributeur")["id"])
    reply = ok(api.post(f"/api/v1/posts/{thread['id']}/replies", user=author,
                        json={"body": f"Même souci, écrivez-moi : {IBAN}"}), 201)
    refuse(api, manager, reply["id"], "other")
    [refused] = listed(api, author, "refused_replies", [reply["id"]])["refused_replies"]
    assert refused["post_title"] == "Carte avalée au distributeur"

    browser, _ = site_login(base, author)
    feed = page(browser, base, "/me/feed")
    assert "Refusée par l’équipe de la communauté, sans motif précis." in feed
    assert f'href="/replies/{reply["id"]}"' in feed
    thread_page = page(browser, base, f"/posts/{thread['id']}")
    assert f'href="/replies/{reply["id"]}/edit"' in thread_page
    assert "Écrire à l’équipe de la banque" in thread_page
    assert "Écrire à votre conseiller" not in thread_page
    edit = page(browser, base, f"/replies/{reply['id']}/edit")
    assert "Corriger et renvoyer votre réponse" in edit

    # sent again still holding an IBAN: it waits again (held), out of the refused group
    sent = browser.post(f"{base}/replies/{reply['id']}/edit", allow_redirects=False, timeout=30,
                        data={"body": f"Écrivez-moi plutôt, mon IBAN : {IBAN}", "action": "save",
                              "csrf_token": site_csrf(browser, base, "/me/feed")})
    assert sent.status_code == 303, sent.text
    waiting = listed(api, author, "refused_replies", [])
    assert [text["id"] for text in waiting["replies"]] == [reply["id"]]
    assert "Votre contribution en attente de publication" in page(browser, base, "/me/feed")
    # refused again, then deleted by its author: it leaves the list
    refuse(api, manager, reply["id"], "spam")
    listed(api, author, "refused_replies", [reply["id"]])
    ok(api.delete(f"/api/v1/replies/{reply['id']}", user=author), 204)
    assert listed(api, author, "refused_replies", [])["replies"] == []


def test_a_text_taken_down_after_it_was_published_is_not_sent_again(platform, api):
    base, manager, author = platform.base_url, staff(platform), api.new_user()
    post = submit(api, author, title="Frais de tenue de compte",
                  body="Pourquoi ces frais ce mois-ci ?")
    visible(api, post["id"])
    ok(api.post(f"/api/v1/posts/{post['id']}/removal", user=manager,
                json={"reason_code": "off_topic"}))
    wait_for(lambda: ok(api.get(f"/api/v1/posts/{post['id']}", user=author))["state"]
             == "rejected", timeout=20, message="the post taken down")
    assert ok(api.get("/api/v1/me/waiting", user=author))["refused_posts"] == []
    browser, _ = site_login(base, author)
    thread = page(browser, base, f"/posts/{post['id']}")
    assert "Corriger et renvoyer" not in thread and f'/posts/{post["id"]}/edit' not in thread
    problem(api.patch(f"/api/v1/posts/{post['id']}", user=author,
                      json={"title": "Frais de tenue", "body": "Pourquoi ?"}), 422)
