"""A rejected text goes back to its author to correct and resubmit (issue 12, item 3): the
draft comes back minus what the detector found, and a PATCH submits it again."""
from __future__ import annotations

from ..conftest import wait_for
from .steps import ok, problem, queued, staff, submit, visible

IBAN = "FR76 3000 6000 0112 3456 7890 189"


def mine(api, user, post_id, check):
    def read():
        post = ok(api.get(f"/api/v1/posts/{post_id}", user=user))
        return post if check(post) else None
    return wait_for(read, timeout=20, message=f"{post_id} as its author sees it")


def test_a_rejected_post_comes_back_masked_and_is_resubmitted_after_correction(platform, api):
    manager, author, other = staff(platform), api.new_user(), api.new_user()
    post = submit(api, author, title="Virement non reçu",
                  body=f"Mon compte {IBAN} attend un virement depuis lundi.")
    item = queued(api, manager, post["id"])
    assert item["detector_kinds"] == ["iban"]
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "reject", "reason_code": "confidential_data"}))

    rejected = mine(api, author, post["id"], lambda p: p["state"] == "rejected"
                    and (p.get("draft") or {}).get("returned"))
    assert rejected["review"]["state"] == "rejected"
    assert rejected["review"]["reason_code"] == "confidential_data"
    draft = rejected["draft"]
    assert draft["title"] == "Virement non reçu" and draft["masked"] is True
    assert IBAN not in draft["body"] and "•" in draft["body"]
    assert draft["body"].endswith("attend un virement depuis lundi.")
    problem(api.get(f"/api/v1/posts/{post['id']}", user=other), 404)  # still nobody else's

    # the author corrects it; it is read again, and published
    problem(api.patch(f"/api/v1/posts/{post['id']}", user=author,
                      json={"body": "Mon virement n'est pas arrivé."}), 400)  # whole text
    problem(api.patch(f"/api/v1/posts/{post['id']}", user=other,
                      json={"title": "x" * 5, "body": "y"}), 404)  # as its GET: no such post
    again = ok(api.patch(f"/api/v1/posts/{post['id']}", user=author, json={
        "title": "Virement non reçu", "body": "Mon virement n'est pas arrivé depuis lundi."}))
    assert again["state"] == "pending" and again["draft"]["revision"] == 2
    assert "returned" not in again["draft"]
    # a person refused it: a person reads it again, however clean it looks to the detector
    held = mine(api, author, post["id"], lambda p: (p.get("review") or {}).get("state") == "held")
    assert held["review"]["reasons"] == ["sent_again"] and held["state"] == "pending"
    problem(api.get(f"/api/v1/posts/{post['id']}"), 404)  # nobody else sees it meanwhile
    item = queued(api, manager, post["id"])
    assert item["reasons"] == ["sent_again"] and item["revision"] == 2
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "approve"}))
    published = visible(api, post["id"])
    assert published["revision"] == 2
    assert published["body"] == "Mon virement n'est pas arrivé depuis lundi."
    assert "draft" not in ok(api.get(f"/api/v1/posts/{post['id']}", user=author))
    # published for moderation too (it stayed "rejected" there before): members may flag it
    def moderation_sees_the_new_text():
        page = ok(api.get(f"/api/v1/moderation/members/{author.id}/contributions",
                          user=manager))
        return next((c for c in page["items"] if c["id"] == post["id"] and
                     c["excerpt"].startswith("Mon virement n'est pas arrivé")), None)
    seen = wait_for(moderation_sees_the_new_text, timeout=20,
                    message="moderation applied the publication of the resubmitted text")
    assert seen["state"] == "published"
    ok(api.post(f"/api/v1/posts/{post['id']}/flags", user=other, json={"reason": "spam"}), 201)


def test_a_rejected_edit_comes_back_as_a_draft_while_the_published_text_stays(platform, api):
    manager, author = staff(platform), api.new_user()
    post = submit(api, author, title="Plafond de ma carte", body="Comment l'augmenter ?")
    visible(api, post["id"])
    ok(api.patch(f"/api/v1/posts/{post['id']}", user=author,
                 json={"body": f"Comment l'augmenter ? Ma carte 4970 1012 3456 7890 et {IBAN}"}))
    item = queued(api, manager, post["id"])
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "reject", "reason_code": "confidential_data"}))
    # the rejection as the post shows it; the text given back is there by then (written first)
    seen = mine(api, author, post["id"],
                lambda p: (p.get("pending_edit") or {}).get("state") == "rejected")
    assert (seen.get("draft") or {}).get("returned"), seen
    assert seen["state"] == "published" and seen["body"] == "Comment l'augmenter ?"
    assert seen["draft"]["revision"] == 2 and IBAN not in seen["draft"]["body"]
    ok(api.patch(f"/api/v1/posts/{post['id']}", user=author,
                 json={"body": "Comment l'augmenter pour un voyage ?"}))
    # the edit after a refused one: a person reads it before it replaces the published text
    again = queued(api, manager, post["id"])
    assert again["reasons"] == ["sent_again"] and again["revision"] == 3
    assert ok(api.get(f"/api/v1/posts/{post['id']}"))["body"] == "Comment l'augmenter ?"
    ok(api.post(f"/api/v1/moderation/items/{again['id']}/decision", user=manager,
                json={"decision": "approve"}))
    visible(api, post["id"], revision=3)
