"""A CM editing a member's text (the thread's "Modifier le texte"): the member is told of the
edit once it is published, by the team — never of the review of the CM's text, which is not
theirs (a refusal of it leaves their text as it was), and the CM's text waiting for review is
never shown to them as their own draft."""
from __future__ import annotations

import uuid

from ..conftest import wait_for
from .steps import notified, ok, problem, queued, staff, submit, visible


def moderation_notices(api, user, post_id):
    return [n for n in ok(api.get("/api/v1/me/notifications", user=user,
                                  params={"limit": 100}))["items"]
            if n["type"] == "moderation" and n["post_id"] == post_id]


def a_members_question(platform, api, title: str, body: str):
    """A CM, a member and the member's published question (with its API path)."""
    manager, author = staff(platform), api.new_user()
    post = submit(api, author, title=f"{title} {uuid.uuid4().hex[:6]}", body=body)
    visible(api, post["id"])
    return manager, author, post, f"/api/v1/posts/{post['id']}"


def test_a_cms_held_edit_is_told_to_the_member_once_published_and_never_as_theirs(platform, api):
    manager, author, post, path = a_members_question(
        platform, api, "Contester un prélèvement",
        "Un prélèvement inconnu est passé sur mon compte, que faire ?")
    # the CM's text names an address: the detector holds it for a CM's decision
    edited = "Écrivez au service des litiges, litiges@banque.example, avec le relevé."
    ok(api.patch(path, user=manager, json={"body": edited}))
    item = queued(api, manager, post["id"])
    assert item["review"] == "content" and item["revision"] == 2
    # the member's view: their published text, and no draft of the CM's text to "correct"
    mine = ok(api.get(path, user=author))
    assert mine["body"] == "Un prélèvement inconnu est passé sur mon compte, que faire ?"
    assert "draft" not in mine, mine["draft"]
    assert "pending_edit" not in mine, mine["pending_edit"]  # not their edit waiting
    assert ok(api.get(path, user=manager))["pending_edit"]["by_author"] is False

    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "approve", "not_confidential": ["email"]}))
    visible(api, post["id"], revision=2)
    told = notified(api, author, "moderation", post_id=post["id"], decision="edited")
    assert told["text"].startswith("L’équipe de la communauté a modifié votre question"), told
    assert told["author"] is None
    # one notice: the edit, not the approval of a text the member never submitted
    assert [n["decision"] for n in moderation_notices(api, author, post["id"])] == ["edited"]


def test_a_members_waiting_edit_a_cms_edit_replaces_leaves_the_queue(platform, api):
    manager, author, post, path = a_members_question(
        platform, api, "Frais de tenue de compte",
        "Pourquoi des frais de tenue de compte ce mois-ci ?")
    # the member's edit names their phone: held for a CM
    ok(api.patch(path, user=author, json={"body": "Rappelez-moi au 06 12 34 56 78 svp."}))
    waiting = queued(api, manager, post["id"])
    assert waiting["revision"] == 2
    assert ok(api.get(path, user=author))["pending_edit"]["by_author"] is True
    item = f"/api/v1/moderation/items/{waiting['id']}"
    # a CM's edit is published over it (its author is told of the edit): nothing left to decide
    ok(api.patch(path, user=manager, json={"body": "Pourquoi ces frais de tenue de compte ?"}))
    visible(api, post["id"], revision=3)
    gone = wait_for(lambda: (found := ok(api.get(item, user=manager)))["state"] == "withdrawn"
                    and found, timeout=20, message="the superseded edit withdrawn")
    assert gone["withdrawn_because"] == "edit_superseded"
    assert waiting["id"] not in [i["id"] for i in ok(api.get(
        "/api/v1/moderation/queue", user=manager, params={"limit": 200}))["items"]]
    # deciding it now changes nothing and tells nobody: it is no longer waiting
    problem(api.post(f"{item}/decision", user=manager, json={"decision": "approve"}), 409)
