"""The console's audit log (`/console/audit`) for a question a community manager refused before
it was ever published: posts has no title for it (nothing was published), so its row read as a
bare id. It now shows the title submitted — staff only — masked the detector's way (the
queue's proposal: the title may hold what the detector found), said as never published."""
from __future__ import annotations

import html
import re
import uuid

import requests

from gateway.web.session import ACCESS_COOKIE

from ..conftest import wait_for
from .steps import IBAN, IBAN_DIGITS, ok, queued, redacted_then_undone, staff, submit, visible

AUDIT = "/api/v1/moderation/audit"


def audit_row(platform, manager, target_id: str, language: str) -> str:
    """The text of the audit log's row for `target_id`, in `language`."""
    browser = requests.Session()
    browser.cookies.set(ACCESS_COOKIE, manager.access_token)
    answer = browser.get(f"{platform.base_url}/console/audit", params={"target": target_id},
                         headers={"Accept-Language": language}, timeout=20)
    assert answer.status_code == 200
    row = re.search(r'<tr data-entry=.*?</tr>', answer.text, re.S).group(0)
    return html.unescape(re.sub(r"<[^>]+>", " ", row))


def test_a_question_refused_before_publication_is_listed_by_its_masked_title(platform, api):
    manager, author = staff(platform), api.new_user()
    mark = uuid.uuid4().hex[:6]
    post = submit(api, author, title=f"Virement {mark} vers {IBAN}",
                  body="Pourquoi mon virement est-il bloqué ?")
    item = queued(api, manager, post["id"])
    assert "detector" in item["reasons"]
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "reject", "reason_code": "confidential_data"}))
    wait_for(lambda: ok(api.get(AUDIT, user=manager, params={"target_id": post["id"]}))["items"],
             timeout=30, message="the refusal audited")

    french = audit_row(platform, manager, post["id"], "fr")
    assert "Refus" in french
    assert f"«\u202fVirement {mark} vers FR76" in french and "\u202f» (jamais publiée)" in french
    assert IBAN_DIGITS not in french  # masked as the queue proposed it
    english = audit_row(platform, manager, post["id"], "en")
    assert f"“Virement {mark} vers FR76" in english and "” (never published)" in english
    assert IBAN_DIGITS not in english


def test_an_approval_after_an_undo_written_before_the_trail_told_it_is_read_as_republished(
        platform, api, mongo_client):
    """A row written before the projection told a republication apart: the action "approve",
    the hold's reasons (undo), no `undoes` — read as the undo's republication (« Republiée après
    annulation », found by that filter and not by the approvals'), what it undid taken from the
    undo's own row."""
    manager, author = staff(platform), api.new_user()
    question, item, reopened = redacted_then_undone(api, manager, author)
    ok(api.post(f"/api/v1/moderation/items/{reopened['id']}/decision", user=manager,
                json={"decision": "approve"}))

    def trail(**params):
        return ok(api.get(AUDIT, user=manager, params={"target_id": question["id"],
                                                        **params}))["items"]
    entries = wait_for(lambda: len(trail()) == 3 and trail(), timeout=20,
                       message="the approval in the trail")
    assert [entry["action"] for entry in entries] == ["republish", "undo", "redact"]
    # the row as the projection wrote it before the last release
    rows = mongo_client[f"{platform.db_prefix}_moderation"]["audit"]
    rows.update_one({"_id": entries[0]["id"]}, {"$set": {"action": "approve"},
                                                "$unset": {"details.undoes": ""}})
    assert rows.find_one({"_id": entries[0]["id"]})["details"]["reasons"] == ["undo"]

    again = trail()
    assert [entry["action"] for entry in again] == ["republish", "undo", "redact"]
    assert again[0]["details"]["undoes"] == item["id"]
    assert [entry["id"] for entry in trail(action="republish")] == [entries[0]["id"]]
    assert trail(action="approve") == []
    assert "Republiée après annulation" in audit_row(platform, manager, question["id"], "fr")


def test_a_question_deleted_after_its_publication_is_not_said_never_published(platform, api):
    """Posts answers a deleted contribution with neither title nor publication date: it is
    read as gone (its rows keep the title the decision published), not as never published."""
    manager, author = staff(platform), api.new_user()
    mark = uuid.uuid4().hex[:6]
    post = submit(api, author, title=f"Plafond {mark}",
                  body=f"Mon virement vers {IBAN} est-il arrivé ?")
    item = queued(api, manager, post["id"])
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "redact", "body": item["proposal"]["body"]}))
    visible(api, post["id"])
    ok(api.delete(f"/api/v1/posts/{post['id']}", user=author), 204)
    wait_for(lambda: ok(api.get(f"/api/v1/posts/{post['id']}")).get("deleted"), timeout=20,
             message="the question deleted")

    french = audit_row(platform, manager, post["id"], "fr")
    assert f"Plafond {mark}" in french, french
    assert "jamais publiée" not in french, french
    assert "never published" not in audit_row(platform, manager, post["id"], "en")
