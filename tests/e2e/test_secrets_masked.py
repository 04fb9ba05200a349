"""A PIN or a password in a text (the detector's `pin_code` and `password`): stored masked in a
private message, the author told (`masked`); held in a public post as the other confidential
kinds are, with a masked proposal, and never public whole."""
from __future__ import annotations

import uuid

from .steps import customer_with_advisor, ok, problem, queued, staff, submit


def test_a_pin_in_a_private_message_is_stored_and_answered_masked(platform, api,
                                                                  conversations_db):
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    mark = uuid.uuid4().hex
    started = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Carte bloquée", "message": f"Bonjour ({mark})"}), 201)
    cid = started["id"]
    assert started["masked"] == []

    posted = ok(api.post(f"/api/v1/conversations/{cid}/messages", user=member,
                         json={"body": f"mon code PIN est 4821 ({mark})"}), 201)
    assert posted["masked"] == ["pin_code"]
    assert posted["body"] == f"mon code PIN est •••• ({mark})"
    for reader in (member, advisor):  # read again: the stored text
        read = ok(api.get(f"/api/v1/conversations/{cid}", user=reader))
        assert [m["body"] for m in read["messages"]][-1] == f"mon code PIN est •••• ({mark})"


def test_a_password_in_a_public_post_is_held_with_a_masked_proposal(platform, api):
    manager, author = staff(platform), api.new_user()
    post = submit(api, author, title="Connexion impossible",
                  body="Je n'arrive pas à me connecter, mot de passe : Soleil2024! merci")
    held = queued(api, manager, post["id"])
    assert held["reasons"] == ["detector"]
    assert held["detector_kinds"] == ["password"]
    problem(api.get(f"/api/v1/posts/{post['id']}"), 404)
    assert held["proposal"]["body"] == ("Je n'arrive pas à me connecter, mot de passe : "
                                        "•••••••• merci")
    assert "Soleil2024" not in api.get("/api/v1/feeds/public?limit=100").text
