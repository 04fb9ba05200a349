"""`agora mask-at-rest conversations`: the card numbers that texts stored before the release that
masks them at write time still hold whole (sealed, but whole: PCI DSS wants them unreadable at
rest) are masked in place. Such texts are written here as that release wrote them — through the
service's own sealing storage (`Texts`, `Notes`), without the masking — then the command runs
through the CLI entry, and the conversation is read back through the API."""
from __future__ import annotations

import json
import uuid

from services.conversations.notes import Notes
from services.conversations.texts import SEALED_FIELDS, Texts
from services.shared.shredding import SubjectKeys

from .steps import customer_with_advisor, ok

CARD = "4970 1012 3456 7893"  # Luhn-valid, a Visa prefix


def stored_the_old_way(db, message_id: str, member_id: str, **texts: str) -> None:
    """The message's subject and body sealed whole, as the release before stored them."""
    document = db["messages"].find_one({"_id": message_id})
    db["messages"].delete_one({"_id": message_id})
    references = {name: value for name, value in document.items() if name not in SEALED_FIELDS}
    Texts(db).store([{**references, **texts}], member_id)


def note_stored_the_old_way(db, note_id: str, member_id: str, body: str) -> None:
    document = db["notes"].find_one({"_id": note_id})
    db["notes"].delete_one({"_id": note_id})
    Notes(db).store({**document, "body": body}, member_id)


def mask_at_rest(platform, *options: str) -> dict[str, dict]:
    """The command's counts by collection (and its output, which must hold no text)."""
    result = platform.agora("mask-at-rest", "conversations", *options, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return {line["collection"]: line for line in lines}, result.stdout + result.stderr


def test_card_numbers_stored_whole_are_masked_in_place(platform, api, conversations_db):
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    mark = uuid.uuid4().hex
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Ma carte", "message": f"Bonjour {mark}"}), 201)["id"]
    plain = ok(api.post(f"/api/v1/conversations/{cid}/messages", user=advisor,
                        json={"body": f"Bien reçu ({mark})"}), 201)["id"]
    first = ok(api.get(f"/api/v1/conversations/{cid}", user=member))["messages"][0]["id"]
    stored_the_old_way(conversations_db, first, member.id, subject=f"Carte {CARD}",
                       body=f"Carte {CARD} exp 09/28 CVV 123 {mark}")
    note = ok(api.post(f"/api/v1/conversations/{cid}/notes", user=advisor,
                       json={"body": "Rappelé"}), 201)["id"]
    note_stored_the_old_way(conversations_db, note, member.id, f"Carte {CARD} opposée")

    # an erased member's (key shredded): nothing readable to mask, left as it is
    erased, _ = customer_with_advisor(platform, api, conversations_db)
    erased_cid = ok(api.post("/api/v1/conversations", user=erased, json={
        "subject": "Carte", "message": "Bonjour"}), 201)["id"]
    erased_first = ok(api.get(f"/api/v1/conversations/{erased_cid}",
                              user=erased))["messages"][0]["id"]
    stored_the_old_way(conversations_db, erased_first, erased.id, subject="Carte",
                       body=f"Ma carte {CARD}")
    SubjectKeys.beside(conversations_db, "conversations").shred(erased.id)

    read = ok(api.get(f"/api/v1/conversations/{cid}", user=member))
    assert read["messages"][0]["body"] == f"Carte {CARD} exp 09/28 CVV 123 {mark}"  # whole
    messages = conversations_db["messages"]
    before = {doc["_id"]: doc for doc in messages.find({"_id": {"$in": [
        first, plain, erased_first]}})}

    counted, said = mask_at_rest(platform, "--dry-run")  # counts only
    assert counted["messages"]["masked"] >= 1 and counted["notes"]["masked"] >= 1
    assert {doc["_id"]: doc for doc in messages.find({"_id": {"$in": list(before)}})} == before

    counted, said = mask_at_rest(platform)
    assert counted["messages"]["masked"] >= 1 and counted["notes"]["masked"] >= 1
    assert counted["messages"]["skipped"] >= 1
    assert counted["messages"]["scanned"] >= 3 and counted["notes"]["scanned"] >= 1
    assert "4970" not in said and mark not in said and "7893" not in said  # never a text

    for reader in (member, advisor):
        read = ok(api.get(f"/api/v1/conversations/{cid}", user=reader))
        assert read["subject"] == "Carte •••• •••• •••• 7893"
        assert [m["body"] for m in read["messages"]] == [
            f"Carte •••• •••• •••• •••• exp 09/28 CVV ••• {mark}", f"Bien reçu ({mark})"]
    notes = ok(api.get(f"/api/v1/conversations/{cid}/notes", user=advisor))["items"]
    assert [n["body"] for n in notes] == ["Carte •••• •••• •••• 7893 opposée"]

    # at rest: sealed again (never in clear), and masked once unsealed
    stored = messages.find_one({"_id": first})
    assert stored["body"]["sealed"] == "v1" and stored["body"]["nonce"] != \
        before[first]["body"]["nonce"]
    opened = Texts(conversations_db).by_message([first])[first]
    assert opened["subject"] == "Carte •••• •••• •••• 7893"
    assert opened["body"] == f"Carte •••• •••• •••• •••• exp 09/28 CVV ••• {mark}"
    assert Notes(conversations_db).by_id([note]) == {note: "Carte •••• •••• •••• 7893 opposée"}
    # a message without a number, and the erased member's: their stored bytes as they were
    assert messages.find_one({"_id": plain}) == before[plain]
    assert messages.find_one({"_id": erased_first}) == before[erased_first]

    again, _ = mask_at_rest(platform)  # idempotent
    assert again["messages"]["masked"] == 0 and again["notes"]["masked"] == 0
    assert messages.find_one({"_id": first}) == stored
