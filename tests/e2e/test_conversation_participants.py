"""Covering for, or asking help from, a colleague through the gateway: an advisor brings a
colleague into a private conversation by their e-mail address (never a member's: the same
422 as for nobody's), and the colleague leaves it when done — 204, again 204, then 404."""
from __future__ import annotations

import uuid

from ..conftest import wait_for
from .steps import customer_with_advisor, ok, problem, staff


def known_verified(conversations_db, user, role):
    """conversations learns roles (identity's public events) and verified addresses (its
    private ones, hashed) on its own time."""
    wait_for(lambda: (doc := conversations_db["members"].find_one({"_id": user.id}) or {})
             .get("email_verified") and role in (doc.get("roles") or ()), timeout=20,
             message="role and verified address known to conversations")


def test_an_advisor_invites_a_colleague_by_email_who_later_leaves(platform, api,
                                                                  conversations_db):
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    colleague = platform.verify_email(staff(platform, "advisor"))
    platform.verify_email(member)
    known_verified(conversations_db, colleague, "advisor")
    known_verified(conversations_db, member, "member")
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "My card", "message": "It was swallowed by the machine"}), 201)["id"]
    invite = f"/api/v1/conversations/{cid}/participants"

    # a member never invites, not even to probe addresses (403, before any lookup)
    problem(api.post(invite, user=member, json={"email": colleague.email}), 403)
    # nobody's address and a member's: one and the same refusal, on the field
    nobody = problem(api.post(invite, user=advisor, json={
        "email": f"nobody-{uuid.uuid4().hex[:8]}@e2e.test"}), 422)
    customer = problem(api.post(invite, user=advisor, json={"email": member.email}), 422)
    assert "email" in nobody["errors"] and nobody["errors"] == customer["errors"]
    assert nobody["detail"] == customer["detail"]
    problem(api.post(invite, user=advisor, json={"email": colleague.email,
                                                 "user_id": colleague.id}), 400)

    added = ok(api.post(invite, user=advisor, json={"email": colleague.email.upper()}), 201)
    assert added["participant_ids"] == [member.id, advisor.id, colleague.id]
    assert added["advisor_id"] == advisor.id
    problem(api.post(invite, user=advisor, json={"email": colleague.email}), 409)  # there
    ok(api.get(f"/api/v1/conversations/{cid}", user=colleague))

    leave = f"/api/v1/conversations/{cid}/participants/me/leave"
    problem(api.post(leave, user=member), 403)  # the customer's dialogue...
    problem(api.post(leave, user=advisor), 403)  # ... and their advisor's seat
    assert api.post(leave, user=colleague).status_code == 204
    assert api.post(leave, user=colleague).status_code == 204  # idempotent
    problem(api.get(f"/api/v1/conversations/{cid}", user=colleague), 404)
    stays = ok(api.get(f"/api/v1/conversations/{cid}", user=advisor))
    assert stays["participant_ids"] == [member.id, advisor.id]
    problem(api.post(leave), 401)

    # the API document declares it
    spec = ok(api.get("/api/v1/openapi.json"))
    declared = spec["paths"]["/api/v1/conversations/{id}/participants/me/leave"]["post"]
    assert "204" in declared["responses"]
