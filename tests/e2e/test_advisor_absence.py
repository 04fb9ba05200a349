"""An advisor away names a backup (`PUT /api/v1/me/absence`): while they are away, a customer
of theirs writing (or opening a conversation) brings the backup in — `participant_added` with
`added_by: "absence"`, once per message however often it is retried — who then reads and
answers it; moderation's staff list (breach alerts) follows. Back early (`DELETE`): nobody is
brought in any more. The refusals: members 403, dates and backups 422 on the field."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.shared.bank_days import bank_today

from ..conftest import wait_for
from .steps import customer_with_advisor, ok, problem, staff
from .test_conversation_participants import known_verified

ABSENCE = "/api/v1/me/absence"


def _day(days: int) -> str:
    """`days` after the bank's today (Europe/Paris, as the service counts: between 23:00 and
    midnight UTC it is already tomorrow there)."""
    return (bank_today(datetime.now(UTC)) + timedelta(days=days)).isoformat()


def _joined_by_absence(conversations_db, cid: str) -> list[dict]:
    return [event["payload"] for commit in conversations_db["events"].find(
        {"stream_id": f"conv-{cid}"}) for event in commit["events"]
        if event["type"] == "conversations.participant_added"
        and event["payload"]["added_by"] == "absence"]


def test_the_absent_advisors_backup_joins_when_the_customer_writes(platform, api,
                                                                   conversations_db,
                                                                   mongo_client):
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    backup = platform.verify_email(staff(platform, "advisor"))
    platform.verify_email(member)
    known_verified(conversations_db, backup, "advisor")
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Ma carte", "message": "Elle est bloquée"}), 201)["id"]

    # the refusals: a member, a past or far date, nobody's / a member's / one's own address
    problem(api.put(ABSENCE, user=member, json={"until": _day(3),
                                                 "backup_email": backup.email}), 403)
    problem(api.get(ABSENCE, user=member), 403)
    for day in (_day(0), _day(-2), _day(91)):
        refused = problem(api.put(ABSENCE, user=advisor, json={
            "until": day, "backup_email": backup.email}), 422)
        assert "until" in refused["errors"], refused
    nobody = problem(api.put(ABSENCE, user=advisor, json={
        "until": _day(3), "backup_email": f"nobody-{uuid.uuid4().hex[:8]}@e2e.test"}), 422)
    customer = problem(api.put(ABSENCE, user=advisor, json={
        "until": _day(3), "backup_email": member.email}), 422)
    assert "backup_email" in nobody["errors"] and nobody["errors"] == customer["errors"]
    assert nobody["detail"] == customer["detail"]
    platform.verify_email(advisor)
    myself = problem(api.put(ABSENCE, user=advisor, json={
        "until": _day(3), "backup_email": advisor.email}), 422)
    assert "backup_email" in myself["errors"] and myself["detail"] != nobody["detail"]
    assert ok(api.get(ABSENCE, user=advisor))["until"] is None

    # away until the day after tomorrow, the backup answering meanwhile
    declared = ok(api.put(ABSENCE, user=advisor, json={
        "until": _day(2), "backup_email": backup.email.upper()}))
    assert declared["until"] == _day(2) and declared["backup_id"] == backup.id
    assert declared["backup"]["display_name"] == backup.display_name
    assert ok(api.get(ABSENCE, user=advisor)) == declared
    mine = ok(api.get("/api/v1/me/advisor", user=member))  # the customer's advisor card
    assert mine["advisor"]["id"] == advisor.id and mine["away"]["until"] == _day(2)
    assert mine["away"]["backup"]["id"] == backup.id and "email" not in mine["away"]["backup"]
    wait_for(lambda: (conversations_db["absences"].find_one({"_id": advisor.id}) or {})
             .get("until") == _day(2), timeout=20, message="the absence known to conversations")

    # the advisor's own message brings nobody in: they are answering
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=advisor,
                json={"body": "Je regarde."}), 201)
    assert _joined_by_absence(conversations_db, cid) == []
    problem(api.get(f"/api/v1/conversations/{cid}", user=backup), 404)

    # the customer writes, twice with the same key: the backup joins once, before the message
    key = {"Idempotency-Key": f"e2e-{uuid.uuid4().hex}"}
    for _ in range(2):
        ok(api.post(f"/api/v1/conversations/{cid}/messages", user=member, headers=key,
                    json={"body": "Toujours bloquée"}), 201)
    joined = _joined_by_absence(conversations_db, cid)
    assert [(j["participant_id"], j["participant_ids"]) for j in joined] == [
        (backup.id, [member.id, advisor.id, backup.id])]
    seen = ok(api.get(f"/api/v1/conversations/{cid}", user=backup))  # in their reach now
    assert seen["participant_ids"] == [member.id, advisor.id, backup.id]
    assert seen["advisor_id"] == advisor.id  # the seat stays the advisor's
    inbox = ok(api.get("/api/v1/conversations", user=backup))
    assert cid in [c["id"] for c in inbox["items"]]
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=backup,
                json={"body": "Je remplace votre conseiller : je m’en occupe."}), 201)
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=member,
                json={"body": "Merci"}), 201)
    assert len(_joined_by_absence(conversations_db, cid)) == 1  # already there: once
    moderation = mongo_client[f"{platform.db_prefix}_moderation"]["conversations"]
    wait_for(lambda: backup.id in ((moderation.find_one({"_id": cid}) or {})
                                   .get("staff_ids") or ()), timeout=20,
             message="moderation's staff list (breach alerts) has the backup")

    # a conversation opened while the advisor is away has the backup from its first message
    opened = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Virement", "message": "Mon virement est parti ?"}), 201)
    assert opened["participant_ids"] == [member.id, advisor.id, backup.id]
    assert [j["participant_id"] for j in _joined_by_absence(conversations_db, opened["id"])
            ] == [backup.id]

    # back early: idempotent, and the customer's next conversation is theirs alone again
    for _ in range(2):
        assert api.delete(ABSENCE, user=advisor).status_code == 204
    assert ok(api.get(ABSENCE, user=advisor))["until"] is None
    assert ok(api.get("/api/v1/me/advisor", user=member))["away"] is None
    wait_for(lambda: (conversations_db["absences"].find_one({"_id": advisor.id}) or {"until": 1})
             .get("until") is None, timeout=20, message="the return known to conversations")
    later = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Chéquier", "message": "J’en voudrais un"}), 201)
    assert later["participant_ids"] == [member.id, advisor.id]
    assert _joined_by_absence(conversations_db, later["id"]) == []

    # the event: ids and a date, on identity's public exchange
    identity = mongo_client[f"{platform.db_prefix}_identity"]["events"]
    absences = [event["payload"] for commit in identity.find({"stream_id": f"user-{advisor.id}"})
                for event in commit["events"] if event["type"] == "identity.advisor_absence_set"]
    assert absences == [{"advisor_id": advisor.id, "backup_id": backup.id, "until": _day(2)},
                        {"advisor_id": advisor.id, "backup_id": None, "until": None}]


def test_a_backup_who_left_stays_out_and_one_no_longer_staff_is_not_brought_in(
        platform, api, conversations_db):
    """A backup who leaves a conversation the absence brought them into is not brought back by
    it; a backup whose staff role was revoked after the absence was declared is brought in by
    no message (the rule checks roles when deciding, as adding a colleague does), and the
    customer's card no longer names them."""
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    backup = platform.verify_email(staff(platform, "advisor"))
    known_verified(conversations_db, backup, "advisor")
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Ma carte", "message": "Elle est bloquée"}), 201)["id"]
    ok(api.put(ABSENCE, user=advisor, json={"until": _day(3), "backup_email": backup.email}))
    wait_for(lambda: (conversations_db["absences"].find_one({"_id": advisor.id}) or {})
             .get("backup_id") == backup.id, timeout=20, message="the absence known")

    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=member,
                json={"body": "Toujours bloquée"}), 201)
    assert [j["participant_id"] for j in _joined_by_absence(conversations_db, cid)] == [
        backup.id]
    leave = f"/api/v1/conversations/{cid}/participants/me/leave"
    assert api.post(leave, user=backup).status_code == 204
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=member,
                json={"body": "Vous êtes là ?"}), 201)
    assert len(_joined_by_absence(conversations_db, cid)) == 1  # not brought back
    problem(api.get(f"/api/v1/conversations/{cid}", user=backup), 404)

    # the backup is no longer staff (their role revoked while the absence runs)
    revoked = api.put(f"/api/v1/users/{backup.id}/roles", user=platform.admin,
                      json={"roles": []})
    assert revoked.status_code == 200, revoked.text
    wait_for(lambda: "advisor" not in ((conversations_db["members"].find_one(
        {"_id": backup.id}) or {}).get("roles") or ()), timeout=20,
        message="the revocation known to conversations")
    opened = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Virement", "message": "Mon virement est parti ?"}), 201)
    assert opened["participant_ids"] == [member.id, advisor.id]
    ok(api.post(f"/api/v1/conversations/{opened['id']}/messages", user=member,
                json={"body": "Quelqu’un ?"}), 201)
    assert _joined_by_absence(conversations_db, opened["id"]) == []
    assert ok(api.get("/api/v1/me/advisor", user=member))["away"] is None
