"""A CM acting on a public thread and undoing a decision (CM review s25, finding 6): a post or a
reply taken out of public view with a refusal reason (`/removal`, its author told), or held to
be redacted (`/hold`); a decision that left a contribution public undone (`/undo`): hidden
again, back in the queue, the decision kept in the history and a new event in the trail."""
from __future__ import annotations

import uuid

from ..conftest import wait_for
from .steps import IBAN, notified, ok, problem, queued, reply_visible, staff, submit, visible


def gone_for_readers(api, path):
    wait_for(lambda: api.get(path).status_code == 404, timeout=20,
             message=f"{path} out of public view")


def audit_of(api, manager, target_id):
    return ok(api.get("/api/v1/moderation/audit", user=manager,
                      params={"target_id": target_id}))["items"]


def test_a_cm_removes_a_public_reply_and_post_with_a_reason_once(platform, api):
    manager, author, replier, member = (staff(platform), api.new_user(), api.new_user(),
                                        api.new_user())
    question = submit(api, author, title=f"Carte avalée {uuid.uuid4().hex[:6]}")
    visible(api, question["id"])
    reply = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=replier,
                        json={"body": "T'es vraiment une idiote, crétine."}), 201)
    reply_visible(api, reply["id"])
    removal = f"/api/v1/replies/{reply['id']}/removal"

    # members and anonymous callers cannot; a reason from the list is required
    problem(api.post(removal, user=member, json={"reason_code": "abusive"}), 403)
    problem(api.post(removal, json={"reason_code": "abusive"}), 401)
    assert "reason_code" in problem(api.post(removal, user=manager, json={}), 400)["errors"]
    problem(api.post(removal, user=manager, json={"reason_code": "rude"}), 400)

    item = ok(api.post(removal, user=manager, json={"reason_code": "abusive"}))
    assert item["id"] == f"{reply['id']}.flags" and item["state"] == "rejected"
    assert item["reasons"] == ["staff"]
    gone_for_readers(api, f"/api/v1/replies/{reply['id']}")
    told = notified(api, replier, "moderation", reply_id=reply["id"])  # as when refused
    assert "insultant" in told["text"], told["text"]  # the reason, in the author's words
    # the same request again changes nothing: one refusal in the trail
    again = ok(api.post(removal, user=manager, json={"reason_code": "abusive"}))
    assert again["state"] == "rejected" and again["decided_at"] == item["decided_at"]
    actions = [entry["action"] for entry in audit_of(api, manager, reply["id"])]
    assert sorted(actions) == ["hold", "reject"]  # taken out of view and refused, once

    # a post held for review (hidden, in the queue) is refused as it is; once each
    held = ok(api.post(f"/api/v1/posts/{question['id']}/hold", user=manager))
    assert held["state"] == "held" and held["reasons"] == ["staff"]
    assert ok(api.post(f"/api/v1/posts/{question['id']}/hold", user=manager))["state"] == "held"
    problem(api.post(f"/api/v1/posts/{question['id']}/hold", user=member), 403)
    gone_for_readers(api, f"/api/v1/posts/{question['id']}")
    refused = ok(api.post(f"/api/v1/posts/{question['id']}/removal", user=manager,
                          json={"reason_code": "spam"}))
    assert refused["state"] == "rejected"
    assert [entry["action"] for entry in audit_of(api, manager, question["id"])] == \
        ["reject", "hold"]
    other = submit(api, author, title=f"Plafond de retrait {uuid.uuid4().hex[:6]}")
    visible(api, other["id"])
    ok(api.delete(f"/api/v1/posts/{other['id']}", user=author), 204)
    contributions = f"/api/v1/moderation/members/{author.id}/contributions"
    wait_for(lambda: {c["id"]: c["state"] for c in ok(api.get(
        contributions, user=manager))["items"]}.get(other["id"]) == "deleted", timeout=20,
        message="moderation knows the post is deleted")
    problem(api.post(f"/api/v1/posts/{other['id']}/removal", user=manager,
                     json={"reason_code": "spam"}), 404)
    problem(api.post(f"/api/v1/posts/{other['id']}/hold", user=manager), 404)


def test_a_redaction_is_undone_hidden_again_and_decided_again(platform, api):
    manager, author, member = staff(platform), api.new_user(), api.new_user()
    question = submit(api, author, title=f"Virement bloqué {uuid.uuid4().hex[:6]}",
                      body=f"Mon IBAN est {IBAN}, le virement est bloqué.")
    item = queued(api, manager, question["id"])
    undo = f"/api/v1/moderation/items/{item['id']}/undo"
    problem(api.post(undo, user=manager), 409)  # nothing decided yet
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "redact", "body": item["proposal"]["body"]}))
    visible(api, question["id"])

    problem(api.post(undo, user=member), 403)
    problem(api.post("/api/v1/moderation/items/pffffffffffffffffffff.r1/undo", user=manager),
            404)
    reopened = wait_for(lambda: (r := api.post(undo, user=manager)).status_code == 200
                        and r.json(), timeout=20, message="the redaction undone")
    assert reopened["id"] == f"{question['id']}.flags"
    assert reopened["state"] == "held" and reopened["reasons"] == ["undo"]
    gone_for_readers(api, f"/api/v1/posts/{question['id']}")
    # the redaction stays in the item's history; undoing again changes nothing
    assert ok(api.get(f"/api/v1/moderation/items/{item['id']}", user=manager))["state"] == \
        "redacted"
    assert ok(api.post(undo, user=manager))["state"] == "held"
    trail = audit_of(api, manager, question["id"])
    assert [entry["action"] for entry in trail] == ["undo", "redact"]
    assert trail[0]["details"]["undoes"] == item["id"]

    # decided again: refused this time, and a refusal is not undone
    ok(api.post(f"/api/v1/moderation/items/{reopened['id']}/decision", user=manager,
                json={"decision": "reject", "reason_code": "confidential_data"}))
    refused = problem(api.post(f"/api/v1/moderation/items/{reopened['id']}/undo",
                               user=manager), 409)
    assert "refus" in refused["detail"]
