"""Internal notes through the gateway: the advisor notes a conversation for colleagues
(`POST|GET /api/v1/conversations/{id}/notes`); an Idempotency-Key gives one note; the customer
gets the same 404 as for a conversation that does not exist, never finds the note among the
messages, and finds it in their data export (GDPR right of access). Bodies: as messages."""
from __future__ import annotations

import uuid

from .steps import customer_with_advisor, ok, problem, staff

UNKNOWN = "0" * 32


def same_but_ids(problem_body, conversation_id):
    """A 404's body as any conversation's 404 reads (its id and request's trace left out)."""
    return {key: str(value).replace(conversation_id, "<id>") for key, value in
            problem_body.items() if key not in ("instance", "request_id", "correlation_id")}


def test_the_advisor_notes_a_conversation_the_customer_never_sees(platform, api,
                                                                 conversations_db):
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Prêt immo", "message": "Où en est mon dossier ?"}), 201)["id"]
    notes = f"/api/v1/conversations/{cid}/notes"
    body = "Rappelé le 3 : attend son avis d’imposition."

    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = ok(api.post(notes, user=advisor, headers=key, json={"body": body}), 201)
    again = api.post(notes, user=advisor, headers=key, json={"body": body})
    assert again.status_code == 201 and again.json()["id"] == first["id"]
    assert first["body"] == body and first["author_id"] == advisor.id
    later = ok(api.post(notes, user=advisor, json={"body": "Dossier complet."}), 201)
    listed = ok(api.get(notes, user=advisor))["items"]
    assert [(n["id"], n["body"]) for n in listed] == [(first["id"], body),
                                                      (later["id"], "Dossier complet.")]
    assert listed[0]["author"]["display_name"] and listed[0]["created_at"]

    # limits and errors as a message's (problem+json)
    problem(api.post(notes, user=advisor, json={"body": ""}), 400)
    problem(api.post(notes, user=advisor, json={"body": "x" * 10001}), 400)
    problem(api.post(notes, json={"body": "x"}), 401)

    # its customer, another member, staff who may not read it: the unknown conversation's 404
    unknown = f"/api/v1/conversations/{UNKNOWN}/notes"
    for reader in (member, api.new_user(), staff(platform, "advisor")):
        for call in (lambda path, r: api.get(path, user=r),
                     lambda path, r: api.post(path, user=r, json={"body": "x"})):
            refused, absent = problem(call(notes, reader), 404), problem(call(unknown, reader), 404)
            assert same_but_ids(refused, cid) == same_but_ids(absent, UNKNOWN)
    assert len(ok(api.get(notes, user=advisor))["items"]) == 2

    # never among the messages, on either side
    for reader in (member, advisor):
        seen = ok(api.get(f"/api/v1/conversations/{cid}", user=reader))
        assert [m["body"] for m in seen["messages"]] == ["Où en est mon dossier ?"]
        assert body not in str(seen)

    # the customer's export holds what the bank wrote about them
    [exported] = ok(api.get("/api/v1/me/export", user=member))["conversations"]["conversations"]
    assert [n["body"] for n in exported["notes"]] == [body, "Dossier complet."]
