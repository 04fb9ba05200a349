"""A member who typed their IBAN in a question sees it held for the community team's review;
they correct it themselves, before any decision (explore s35, 9): the correction replaces the
held text in the CMs' queue — the CMs review the latest version only, the held one is never
published after it nor left waiting beside it — and it is held again for every reason that
still applies (the detector reads it again; pre-moderation still wants a person), else published
at once as a first text written so would be. Nobody else learns the held text exists."""
from __future__ import annotations

from ..conftest import wait_for
from .steps import IBAN, ok, problem, queue_pages, queued, staff, submit, visible
from .test_moderation_withdrawals import waiting_clock

PHONE = "06 12 34 56 78"


def waiting_items(api, manager, target_id):
    return [item for _, item in queue_pages(api, manager) if item["target_id"] == target_id]


def only_waiting(api, manager, target_id, revision):
    """Wait until the queue holds exactly one item of the contribution, at `revision`."""
    return wait_for(lambda: (items := waiting_items(api, manager, target_id)) and
                    [item["revision"] for item in items] == [revision] and items[0],
                    timeout=20, message=f"{target_id} waits at r{revision} only")


def withdrawn(api, manager, item_id):
    return wait_for(lambda: (item := ok(api.get(f"/api/v1/moderation/items/{item_id}",
                                                user=manager)))["state"] == "withdrawn" and item,
                    timeout=20, message=f"{item_id} withdrawn")


def mine(api, user, post_id, check):
    return wait_for(lambda: (post := ok(api.get(f"/api/v1/posts/{post_id}", user=user)))
                    and check(post) and post, timeout=20,
                    message=f"{post_id} as its author sees it")


def test_a_question_held_for_its_iban_corrected_by_its_author_is_published_at_once(
        platform, api):
    manager, author, other = staff(platform), api.new_user(), api.new_user()
    question = submit(api, author, title="Virement non reçu",
                      body=f"Mon compte {IBAN} attend un virement depuis lundi.")
    held = queued(api, manager, question["id"])
    assert held["revision"] == 1 and held["detector_kinds"] == ["iban"]
    corrected = {"title": "Virement non reçu",
                 "body": "Mon virement n'est pas arrivé depuis lundi."}
    # nobody else may touch it (nor learn it exists); a CM redacts it in the queue instead
    problem(api.patch(f"/api/v1/posts/{question['id']}", user=other, json=corrected), 404)
    problem(api.patch(f"/api/v1/posts/{question['id']}", user=manager, json=corrected), 422)

    sent = ok(api.patch(f"/api/v1/posts/{question['id']}", user=author, json=corrected))
    assert sent["draft"]["revision"] == 2 and sent["draft"]["body"] == corrected["body"]
    # the held revision leaves the queue undecided, its text dropped; never decided after
    gone = withdrawn(api, manager, held["id"])
    assert gone["withdrawn_because"] == "resubmitted" and gone.get("content") is None
    problem(api.post(f"/api/v1/moderation/items/{held['id']}/decision", user=manager,
                     json={"decision": "redact", "title": "Virement non reçu",
                           "body": "Mon compte FR76 •••• attend un virement."}), 409)
    # the IBAN was all that held it: the correction is published as a first text would be
    public = visible(api, question["id"], revision=2)
    assert public["body"] == corrected["body"] and IBAN not in str(public)
    history = ok(api.get(f"/api/v1/posts/{question['id']}/history"))
    assert [entry["revision"] for entry in history["revisions"]] == [2]  # r1 never published
    assert "draft" not in ok(api.get(f"/api/v1/posts/{question['id']}", user=author))
    assert waiting_items(api, manager, question["id"]) == []


def test_a_correction_still_confidential_is_the_only_item_the_cms_review(platform, api):
    manager, author = staff(platform), api.new_user()
    question = submit(api, author, title="Carte bloquée",
                      body=f"Ma carte est bloquée, mon IBAN est {IBAN}.")
    held = queued(api, manager, question["id"])
    ok(api.patch(f"/api/v1/posts/{question['id']}", user=author, json={
        "title": "Carte bloquée", "body": f"Ma carte est bloquée, rappelez-moi au {PHONE}."}))
    latest = only_waiting(api, manager, question["id"], 2)
    assert latest["detector_kinds"] == ["phone"] and latest["reasons"] == ["detector"]
    assert IBAN not in str(latest)
    assert withdrawn(api, manager, held["id"])["withdrawn_because"] == "resubmitted"
    # its author sees the correction, still held, and nobody else sees anything
    seen = mine(api, author, question["id"],
                lambda post: (post.get("review") or {}).get("state") == "held")
    assert seen["state"] == "pending" and seen["review"]["reasons"] == ["detector"]
    assert PHONE in seen["draft"]["body"] and IBAN not in str(seen)
    problem(api.get(f"/api/v1/posts/{question['id']}"), 404)
    ok(api.post(f"/api/v1/moderation/items/{latest['id']}/decision", user=manager,
                json={"decision": "approve", "not_confidential": ["phone"]}))
    assert visible(api, question["id"], revision=2)["body"].endswith(f"{PHONE}.")


def test_a_correction_of_a_premoderated_text_still_waits_for_a_person(platform, api):
    manager, author = staff(platform), api.new_user()
    ok(api.put("/api/v1/moderation/policy", user=manager,
               json={"premoderated_categories": ["insurance"]}))
    try:
        question = submit(api, author, category="insurance", title="Assurance habitation",
                          body=f"Prélevez sur {IBAN} s'il vous plaît.")
        sent = ok(api.get(f"/api/v1/posts/{question['id']}", user=author))["created_at"]
        held = queued(api, manager, question["id"])
        assert set(held["reasons"]) == {"policy", "detector"}
        ok(api.patch(f"/api/v1/posts/{question['id']}", user=author, json={
            "title": "Assurance habitation", "body": "Prélevez sur mon compte habituel."}))
        # clean for the detector, but a person must read this category's texts: still held
        latest = only_waiting(api, manager, question["id"], 2)
        assert latest["reasons"] == ["policy"] and latest["policy_rules"] == ["category"]
    finally:
        ok(api.put("/api/v1/moderation/policy", user=manager,
                   json={"premoderated_categories": []}))
    assert withdrawn(api, manager, held["id"])["withdrawn_because"] == "resubmitted"
    problem(api.get(f"/api/v1/posts/{question['id']}"), 404)
    ok(api.post(f"/api/v1/moderation/items/{latest['id']}/decision", user=manager,
                json={"decision": "approve"}))
    assert visible(api, question["id"], revision=2)["body"] == "Prélevez sur mon compte habituel."
    # its author has waited since they first sent it: the correction does not restart the clock
    clock = wait_for(lambda: waiting_clock(api, manager, question["id"]), timeout=20,
                     message="the question's clock")
    assert clock["published_at"] == sent


def test_a_held_reply_is_corrected_by_its_author_too(platform, api):
    manager, asker, replier = staff(platform), api.new_user(), api.new_user()
    question = submit(api, asker, title="Frais à l'étranger")
    visible(api, question["id"])
    reply = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=replier,
                        json={"body": f"Virez sur {IBAN}, je vous avance les frais."}), 201)
    held = queued(api, manager, reply["id"])
    problem(api.patch(f"/api/v1/replies/{reply['id']}", user=asker, json={"body": "x"}), 404)
    ok(api.patch(f"/api/v1/replies/{reply['id']}", user=replier,
                 json={"body": "Regardez la grille tarifaire de votre carte."}))
    assert withdrawn(api, manager, held["id"])["withdrawn_because"] == "resubmitted"
    published = wait_for(lambda: (found := api.get(f"/api/v1/replies/{reply['id']}")
                                  ).status_code == 200 and found.json(), timeout=20,
                         message="the corrected reply published")
    assert published["revision"] == 2 and IBAN not in published["body"]
