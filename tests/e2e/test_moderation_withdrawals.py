"""What the CMs' queue says about an item beyond its text, and items that leave it undecided
(CM review s25): the thread a reply belongs to and whether the contribution is public now, the
refusal reason the item calls for, flag items withdrawn when their contribution is deleted, an
erased member's held edit withdrawn (its text dropped, never approvable), and a held question's
response-time clock counted from its submission, not its publication."""
from __future__ import annotations

import uuid

from ..conftest import wait_for
from .steps import IBAN, ok, problem, queued, reply_visible, staff, submit, visible

PHONE = "06 12 34 56 78"


def item_now(api, manager, item_id):
    return ok(api.get(f"/api/v1/moderation/items/{item_id}", user=manager))


def withdrawn(api, manager, item_id, cause):
    """Wait until the item left the queue undecided, for `cause`."""
    return wait_for(lambda: (item := item_now(api, manager, item_id))["state"] == "withdrawn"
                    and item["withdrawn_because"] == cause and item, timeout=20,
                    message=f"{item_id} withdrawn ({cause})")


def in_queue(api, manager, item_id) -> bool:
    items = ok(api.get("/api/v1/moderation/queue", user=manager, params={"limit": 200}))["items"]
    return item_id in [item["id"] for item in items]


def test_a_flagged_reply_comes_with_its_thread_and_leaves_the_queue_once_deleted(platform, api):
    manager, author, replier = staff(platform), api.new_user(), api.new_user()
    title = f"Frais de tenue de compte {uuid.uuid4().hex[:6]}"
    question = submit(api, author, title=title)
    visible(api, question["id"])
    reply = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=replier,
                        json={"body": "Change de banque, t'es vraiment une idiote."}), 201)
    reply_visible(api, reply["id"])
    for flagger, reason in ((api.new_user(), "abusive"), (api.new_user(), "abusive"),
                            (api.new_user(), "spam")):
        ok(api.post(f"/api/v1/replies/{reply['id']}/flags", user=flagger,
                    json={"reason": reason}), 201)
    item = wait_for(lambda: (found := queued(api, manager, reply["id"]))["flag_count"] == 3
                    and found, timeout=20, message="the three flags counted")
    # judged with its thread, knowing it is live, the refusal its flaggers call for offered
    assert item["thread"] == {"id": question["id"], "title": title, "state": "published"}
    assert item["target_state"] == "published" and item["state"] == "open"
    assert item["suggested_reason_code"] == "abusive"

    ok(api.delete(f"/api/v1/replies/{reply['id']}", user=replier), 204)
    gone = withdrawn(api, manager, item["id"], "contribution_deleted")
    assert gone["target_state"] == "deleted" and gone.get("content") is None
    assert not in_queue(api, manager, item["id"])
    refused = problem(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                               json={"decision": "approve"}), 409)
    assert "retiré de la file" in refused["detail"]

    # a flagged post deleted by its author: the same
    post = submit(api, author, kind="discussion", title="Achetez mes cryptos")
    visible(api, post["id"])
    ok(api.post(f"/api/v1/posts/{post['id']}/flags", user=api.new_user(),
                json={"reason": "misinformation"}), 201)
    flagged = queued(api, manager, post["id"])
    assert flagged["suggested_reason_code"] == "not_compliant"  # what the rules call it
    ok(api.delete(f"/api/v1/posts/{post['id']}", user=author), 204)
    withdrawn(api, manager, flagged["id"], "contribution_deleted")


def test_a_held_text_offers_no_refusal_reason_unless_something_says_which(platform, api):
    manager, author = staff(platform), api.new_user()
    ok(api.put("/api/v1/moderation/policy", user=manager,
               json={"premoderated_categories": ["insurance"]}))
    try:
        plain = submit(api, author, category="insurance", title="Une question tout à fait banale")
        assert queued(api, manager, plain["id"])["suggested_reason_code"] is None
    finally:
        ok(api.put("/api/v1/moderation/policy", user=manager,
                   json={"premoderated_categories": []}))
    with_iban = submit(api, author, title="Virement", body=f"Mon IBAN est {IBAN}, merci.")
    held = queued(api, manager, with_iban["id"])
    assert held["suggested_reason_code"] == "confidential_data"
    assert held["target_state"] == "pending"  # never published: only its author sees it


def test_an_erased_members_held_edit_is_withdrawn_and_its_text_dropped(platform, api):
    manager, author = staff(platform), api.new_user()
    question = submit(api, author, title=f"Opposition sur carte {uuid.uuid4().hex[:6]}")
    visible(api, question["id"])
    ok(api.patch(f"/api/v1/posts/{question['id']}", user=author,
                 json={"body": f"Mon mari m'a écrit au {PHONE}, que faire ?"}))
    item = wait_for(lambda: (found := queued(api, manager, question["id"]))["revision"] == 2
                    and found, timeout=20, message="the edit held")
    assert PHONE in item["content"]["body"]
    assert item["target_state"] == "published"  # its previous version is public

    assert api.delete("/api/v1/me", user=author, json={"password": author.password}
                      ).status_code == 204
    gone = withdrawn(api, manager, item["id"], "member_erased")
    assert gone.get("content") is None and gone.get("proposal") is None
    assert not in_queue(api, manager, item["id"])
    # never approvable again, whatever the CM tries
    problem(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                     json={"decision": "approve", "not_confidential": ["phone"]}), 409)
    assert PHONE not in api.get(f"/api/v1/posts/{question['id']}").text


def test_a_held_questions_clock_starts_when_its_author_sent_it(platform, api):
    """A question held for review waited from its submission: the clock (and so p50/p90 and
    breach alerts) counts the hold, not only the time since publication."""
    manager, author = staff(platform), api.new_user()
    question = submit(api, author, title="Prélèvement refusé",
                      body=f"Mon IBAN est {IBAN}, le prélèvement a été refusé.")
    sent = ok(api.get(f"/api/v1/posts/{question['id']}", user=author))["created_at"]
    item = queued(api, manager, question["id"])
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "redact", "body": item["proposal"]["body"]}))
    published = visible(api, question["id"])
    assert published["published_at"] > sent  # it was held meanwhile
    waiting = wait_for(lambda: waiting_clock(api, manager, question["id"]), timeout=20,
                       message="the question's clock")
    assert waiting["published_at"] == sent


def waiting_clock(api, manager, post_id):
    """The question's waiting clock, on whichever page of the waiting list it is."""
    params = {"limit": 200}
    while True:
        page = ok(api.get("/api/v1/moderation/sla", user=manager, params=params))
        found = next((c for c in page["oldest_unanswered"] if c["post_id"] == post_id), None)
        if found or not page["next_cursor"]:
            return found
        params = {"limit": 200, "cursor": page["next_cursor"]}
