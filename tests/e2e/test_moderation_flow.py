"""Moderation through the gateway: confidential data held and redacted, pre-moderation,
rejection reasons, flags, the audit trail, response-time clocks — against running processes."""
from __future__ import annotations

import json
import random
import re
import string

import pytest
import requests

from ..conftest import wait_for
from ..integration.posts.fixtures import public_subscriber
from .steps import (
    IBAN,
    IBAN_DIGITS,
    IBAN_TAGS,
    ok,
    problem,
    queued,
    reply_visible,
    site_csrf,
    site_login,
    staff,
    submit,
    visible,
)


@pytest.fixture
def bank_system(platform):
    received, close = public_subscriber(platform.amqp_uri)
    yield received
    close()


def test_a_question_with_an_iban_is_held_redacted_and_the_original_kept_only_in_the_audit(
        platform, api, bank_system):
    manager, author, other = staff(platform), api.new_user(), api.new_user()
    assert ok(api.get("/api/v1/moderation/policy", user=manager))["premoderation"] is False
    question = submit(api, author, title="Virement refusé",
                      body=f"Bonjour, mon IBAN est {IBAN}. Pourquoi le virement est refusé ?")
    item = queued(api, manager, question["id"])
    assert item["reasons"] == ["detector"] and item["detector_kinds"] == ["iban"]
    assert IBAN_DIGITS not in item["proposal"]["body"]

    # not visible to other members (nor anonymously, nor in lists or search)
    problem(api.get(f"/api/v1/posts/{question['id']}", user=other), 404)
    problem(api.get(f"/api/v1/posts/{question['id']}"), 404)
    listed = ok(api.get("/api/v1/posts", params={"q": "virement refuse", "limit": 100}))
    assert question["id"] not in [p["id"] for p in listed["items"]]
    mine = wait_for(lambda: ok(api.get(f"/api/v1/posts/{question['id']}", user=author))[
        "review"]["state"] == "held", message="the author sees it held")
    assert mine

    # a member cannot moderate
    problem(api.get("/api/v1/moderation/queue", user=other), 403)
    problem(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=other,
                     json={"decision": "approve"}), 403)
    problem(api.get("/api/v1/moderation/audit", user=other), 403)

    # the CM redacts, starting from the proposed masked version
    still = problem(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                             json={"decision": "redact", "body": f"IBAN: {IBAN}"}), 422)
    assert "body" in still["errors"]
    decided = ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                          json={"decision": "redact", "body": item["proposal"]["body"]}))
    assert decided["state"] == "redacted" and "content" not in decided

    shown = visible(api, question["id"], user=other)
    assert shown["redacted"] is True
    assert shown["redaction_mark"] == "modifié par l’équipe de la communauté"  # reader: French
    assert shown["body"] == item["proposal"]["body"] and "•" in shown["body"]
    for path, user in ((f"/api/v1/posts/{question['id']}", author),
                       (f"/api/v1/posts/{question['id']}", other),
                       (f"/api/v1/posts/{question['id']}/history", None),
                       ("/api/v1/posts?limit=100", None),
                       (f"/api/v1/moderation/items/{item['id']}", manager)):
        text = api.get(path, user=user).text
        assert IBAN_DIGITS not in text, path

    audit = ok(api.get("/api/v1/moderation/audit", user=manager,
                       params={"target_id": question["id"]}))["items"]
    assert [(entry["action"], entry["actor_id"]) for entry in audit] == [("redact", manager.id)]
    assert IBAN in audit[0]["before"]["body"]
    assert IBAN_DIGITS not in json.dumps(audit[0]["after"])

    published = wait_for(lambda: [b for b in bank_system() if question["id"] in b],
                         message="events of the question on the public exchanges")
    assert not [body for body in published if IBAN_DIGITS in body]


def _names_iban_tags(body: str) -> bool:
    return any(f'"{tag}"' in body for tag in IBAN_TAGS[1:])


def test_an_iban_typed_as_tags_is_held_and_its_tags_reach_no_public_surface(
        platform, api, bank_system):
    """Each tag holds 4 digits at most, yet seven tags made an IBAN: announced on posts.events
    before moderation, then published, counted, suggested and searchable. Tags are reviewed
    with the text now, read as typed; a CM's redaction removes the ones that make it up."""
    manager, author = staff(platform), api.new_user()
    marker = "plafond" + "".join(random.choices(string.ascii_lowercase, k=8))
    post = submit(api, author, title="Quel plafond de retrait ?", tags=[marker, *IBAN_TAGS])
    item = queued(api, manager, post["id"])
    assert item["reasons"] == ["detector"] and item["detector_kinds"] == ["iban"]
    assert [(found["field"], found["kind"]) for found in item["findings"]] == [("tags", "iban")]
    assert item["content"]["tags"] == [marker, *IBAN_TAGS]
    assert item["proposal"]["tags"] == [marker]
    decide = f"/api/v1/moderation/items/{item['id']}/decision"
    refused = problem(api.post(decide, user=manager, json={"decision": "approve"}), 422)
    assert refused["errors_i18n"]["en"]["decision"] == [
        "contains an IBAN, never to be published: redact or reject the text"]
    assert ok(api.get(f"/api/v1/posts/{post['id']}", user=author))["draft"]["tags"] == [
        marker, *IBAN_TAGS]  # its author sees them, nobody else

    def slugs(prefix):
        return [tag["slug"] for tag in ok(api.get("/api/v1/tags", params={
            "prefix": prefix, "limit": 100}))["items"]]

    def post_ids(path, **params):
        return [found["id"] for found in ok(api.get(path, params={**params, "limit": 100}))[
            "items"]]

    def nowhere_public():
        problem(api.get(f"/api/v1/posts/{post['id']}"), 404)
        assert "3456" not in slugs("34") and marker not in slugs("plafond")
        assert post["id"] not in post_ids("/api/v1/posts", tag="3456")
        assert post["id"] not in post_ids("/api/v1/posts", q="3456")
        assert post["id"] not in post_ids("/api/v1/feeds/public")
        assert post["id"] not in requests.get(f"{platform.base_url}/tags/3456", timeout=10).text

    nowhere_public()
    ok(api.post(decide, user=manager, json={"decision": "redact",
                                            "body": item["proposal"]["body"]}))
    shown = visible(api, post["id"])
    assert shown["tags"] == [marker] and shown["redacted"] is True
    # the published tag is counted, found and in the public feed: what the IBAN's tags would be
    wait_for(lambda: marker in slugs(marker[:9]), message="the kept tag counted")
    wait_for(lambda: post["id"] in post_ids("/api/v1/posts", q=marker), message="searchable")
    wait_for(lambda: post["id"] in post_ids("/api/v1/feeds/public"), message="in the feed")
    assert "3456" not in slugs("34")
    assert post["id"] not in post_ids("/api/v1/posts", tag="3456")
    assert post["id"] not in post_ids("/api/v1/posts", q="3456")

    # an edit of the tags (the API's PATCH) waits for moderation too; the published ones stay
    ok(api.patch(f"/api/v1/posts/{post['id']}", user=author, json={
        "tags": [marker, *IBAN_TAGS]}))
    edit = queued(api, manager, post["id"])
    assert edit["revision"] == 2 and edit["detector_kinds"] == ["iban"]
    assert ok(api.get(f"/api/v1/posts/{post['id']}"))["tags"] == [marker]

    seen: list[str] = []
    wait_for(lambda: seen.extend(bank_system()) or any(
        post["id"] in body and "posts.post_edit_submitted" in body for body in seen),
        message="the post's events on the public exchanges")
    ours = [body for body in seen if post["id"] in body]
    assert any("moderation.item_redacted" in body for body in ours)
    assert not [body for body in ours if _names_iban_tags(body)]


def test_the_site_form_sends_the_tags_as_typed_and_warns_about_them_without_javascript(
        platform, api):
    """The compose form's "plafond, FR76 3000 …" reaches moderation as the tags typed, in their
    order; without JavaScript the preview warns under the tags field."""
    base, manager = platform.base_url, staff(platform)
    browser, _ = site_login(base, api.new_user())
    form = {"csrf_token": site_csrf(browser, base, "/write"), "kind": "question",
            "title": "Quel plafond de retrait ?", "category": "cards",
            "body": "Bonjour, quel est le plafond hebdomadaire d'une carte classique ?",
            "tags": f"plafond, {IBAN} plafond"}
    preview = browser.post(f"{base}/write", data={**form, "action": "preview"}, timeout=10)
    assert preview.status_code == 200, preview.text
    under_tags = re.search(r'id="confidential-tags-status".*?</div>', preview.text, re.S)
    assert "données confidentielles (un IBAN)" in under_tags.group(0)
    assert "callout" not in re.search(r'id="confidential-status".*?</div>', preview.text,
                                      re.S).group(0)  # the text itself holds nothing
    posted = browser.post(f"{base}/write", data={**form, "action": "publish"},
                          allow_redirects=False, timeout=10)
    assert posted.status_code == 303, posted.text
    item = queued(api, manager, posted.headers["Location"].removeprefix("/posts/"))
    assert item["content"]["tags"] == ["plafond", *IBAN_TAGS, "plafond"]
    assert item["detector_kinds"] == ["iban"]


def test_premoderation_on_then_approve_makes_it_visible(platform, api):
    manager, author = staff(platform), api.new_user()
    ok(api.put("/api/v1/moderation/policy", user=manager, json={"premoderation": True}))
    try:
        post = submit(api, author, kind="discussion", title="Livret A ou LDDS ?")
        item = queued(api, manager, post["id"])
        assert item["reasons"] == ["policy"] and item["policy_rules"] == ["global"]
        problem(api.get(f"/api/v1/posts/{post['id']}", user=api.new_user()), 404)
        ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                    json={"decision": "approve"}))
        assert visible(api, post["id"])["title"] == "Livret A ou LDDS ?"
        problem(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                         json={"decision": "approve"}), 409)
    finally:
        ok(api.put("/api/v1/moderation/policy", user=manager, json={"premoderation": False}))
    actions = [e["action"] for e in ok(api.get("/api/v1/moderation/audit", user=manager,
                                               params={"limit": 10}))["items"]]
    assert actions[:3] == ["change_policy", "approve", "change_policy"]


CARD = "4970 1012 3456 7893"


def test_an_approval_never_publishes_an_iban_or_a_card_number(platform, api):
    """What was observed: a reply with an IBAN and a card number, held by the detector, was
    published in clear by a CM's "approve". Now the approval is refused with a clear 422 (in
    the reader's language), nothing is published, and the CM redacts it."""
    manager, replier = staff(platform), api.new_user()
    question = submit(api, api.new_user(), title="Frais de virement",
                      body="Combien coûte un virement vers l'étranger ?")
    visible(api, question["id"])
    reply = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=replier,
                        json={"body": f"IBAN {IBAN} carte {CARD}"}), 201)
    item = queued(api, manager, reply["id"])
    assert item["detector_kinds"] == ["iban", "card_number"]
    decide = f"/api/v1/moderation/items/{item['id']}/decision"

    refused = problem(api.post(decide, user=manager, json={"decision": "approve"},
                               headers={"Accept-Language": "en"}), 422)
    assert refused["detail"] == ("this text contains confidential data that is never published "
                                 "as written: redact it (publish the masked version) or reject it")
    assert refused["errors"] == {"decision": [
        "contains an IBAN and a card number, never to be published: redact or reject the text"]}
    french = problem(api.post(decide, user=manager, json={"decision": "approve"},
                              headers={"Accept-Language": "fr"}), 422)
    assert french["detail"].startswith("ce texte contient des données confidentielles")
    assert french["errors"]["decision"] == [
        "contient un IBAN et un numéro de carte, à ne jamais publier : masquez ou refusez le "
        "texte"]
    # a reason code with an approval: the CM may have meant to reject (it used to publish)
    wrong = problem(api.post(decide, user=manager,
                             json={"decision": "approve", "reason_code": "spam"}), 422)
    assert list(wrong["errors"]) == ["reason_code"]
    assert ok(api.get(f"/api/v1/moderation/items/{item['id']}", user=manager))["state"] == "held"
    problem(api.get(f"/api/v1/replies/{reply['id']}"), 404)

    ok(api.post(decide, user=manager, json={"decision": "redact",
                                            "body": item["proposal"]["body"]}))
    reply_visible(api, reply["id"])
    for path in (f"/api/v1/posts/{question['id']}/replies", "/api/v1/feeds/public?limit=100",
                 f"/api/v1/users/{replier.id}/activity"):
        text = wait_for(lambda path=path: reply["id"] in (got := api.get(path).text) and got,
                        timeout=20, message=f"the reply in {path}")
        assert IBAN_DIGITS not in text and "1012 3456" not in text, path


def test_a_rejection_shows_its_reason_to_the_author(platform, api):
    manager, author = staff(platform), api.new_user()
    ok(api.put("/api/v1/moderation/policy", user=manager,
               json={"premoderated_categories": ["insurance"]}))
    try:
        post = submit(api, author, category="insurance", title="Buy my insurance!!!")
        item = queued(api, manager, post["id"])
        problem(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                         json={"decision": "reject", "reason_code": "whatever"}), 400)
        ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                    json={"decision": "reject", "reason_code": "spam"}))
        seen = wait_for(lambda: (p := ok(api.get(f"/api/v1/posts/{post['id']}", user=author)))[
            "state"] == "rejected" and p, message="rejected")
        assert seen["review"] == {"state": "rejected", "reason_code": "spam",
                                  "reason": "Spam or advertising",
                                  "reason_label": "Spam ou publicité"}  # the reader's language
        problem(api.get(f"/api/v1/posts/{post['id']}", user=api.new_user()), 404)
    finally:
        ok(api.put("/api/v1/moderation/policy", user=manager,
                   json={"premoderated_categories": []}))


def test_flags_from_trusted_members_hide_a_post_pending_review(platform, api):
    manager, author = staff(platform), api.new_user()
    advisers = [staff(platform, "advisor") for _ in range(3)]  # staff flags are trusted
    post = submit(api, author, kind="discussion", title="Something questionable")
    visible(api, post["id"])
    problem(api.post(f"/api/v1/posts/{post['id']}/flags", user=author,
                     json={"reason": "spam"}), 422)
    results = [ok(api.post(f"/api/v1/posts/{post['id']}/flags", user=adviser,
                           json={"reason": "abusive"}), 201) for adviser in advisers]
    assert [r["held"] for r in results] == [False, False, True]
    wait_for(lambda: api.get(f"/api/v1/posts/{post['id']}").status_code == 404,
             message="hidden from the public")
    item = queued(api, manager, post["id"])
    assert item["review"] == "flags" and item["flags"] == {"abusive": 3}
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "approve"}))
    visible(api, post["id"])


def _waiting_clocks(api, manager) -> list[str]:
    """Every waiting clock's post, oldest first, page after page."""
    posts, params = [], {"limit": 200}
    while True:
        page = ok(api.get("/api/v1/moderation/sla", user=manager, params=params))
        posts += [clock["post_id"] for clock in page["oldest_unanswered"]]
        if not page["next_cursor"]:
            return posts
        params = {"limit": 200, "cursor": page["next_cursor"]}


def test_sla_clock_and_member_notes(platform, api):
    manager, member = staff(platform), api.new_user()
    question = submit(api, member)
    visible(api, question["id"])
    # other tests' questions share the session, older ones first: this one's clock may be on
    # any page of the waiting list, however many questions the tests before this one left
    wait_for(lambda: question["id"] in _waiting_clocks(api, manager),
             message="the clock of this question runs")
    report = ok(api.get("/api/v1/moderation/sla", user=manager))
    assert report["targets_seconds"]["site"] == 43200
    assert report["unanswered"] >= 1
    note = ok(api.post(f"/api/v1/moderation/members/{member.id}/notes", user=manager,
                       json={"note": "Prefers phone calls"}), 201)
    notes = ok(api.get(f"/api/v1/moderation/members/{member.id}/notes", user=manager))
    assert [n["id"] for n in notes["notes"]] == [note["id"]]
    problem(api.get(f"/api/v1/moderation/members/{member.id}/notes", user=member), 403)
