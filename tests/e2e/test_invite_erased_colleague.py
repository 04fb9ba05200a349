"""A colleague who erased their account is brought into no conversation: by `user_id` the
same 422 as for a member (message and field: no telling who erased their account), nothing
appended; by e-mail — the console's « Inviter » — the same refusal as for an address of
nobody. A colleague still on the staff is added as ever."""
from __future__ import annotations

import re
import uuid

import requests

from gateway.web.session import ACCESS_COOKIE

from ..conftest import wait_for
from .conftest import PASSWORD
from .steps import customer_with_advisor, ok, problem, staff
from .test_conversation_participants import known_verified


def added_ids(conversations_db, cid: str) -> list[str]:
    """Who `participant_added` events of the conversation's stream brought in."""
    return [event["payload"]["participant_id"]
            for commit in conversations_db["events"].find({"stream_id": f"conv-{cid}"})
            for event in commit["events"] if event["type"] == "conversations.participant_added"]


def same_answer(body: dict) -> dict:
    """A problem document but for what differs by request (its id, its path)."""
    return {key: value for key, value in body.items() if key not in ("request_id", "instance")}


def console_invite(platform, user, cid: str, email: str) -> requests.Response:
    """The console page's « Inviter » form posted with `user`'s site session."""
    browser = requests.Session()
    browser.cookies.set(ACCESS_COOKIE, user.access_token)
    page = browser.get(f"{platform.base_url}/console/conversations/{cid}", timeout=10)
    assert page.status_code == 200, page.text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)
    return browser.post(f"{platform.base_url}/console/conversations/{cid}/participants",
                        data={"colleague_email": email, "csrf_token": token},
                        allow_redirects=False, timeout=10)


def test_an_erased_colleague_cannot_be_added_and_a_staff_one_can(platform, api,
                                                                conversations_db):
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    gone = platform.verify_email(staff(platform, "advisor"))
    kept = staff(platform, "advisor")
    known_verified(conversations_db, gone, "advisor")
    wait_for(lambda: "advisor" in ((conversations_db["members"].find_one({"_id": kept.id})
                                    or {}).get("roles") or ()), timeout=20,
             message="the colleague's role known to conversations")
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Ma carte", "message": "Elle est bloquée"}), 201)["id"]
    invite = f"/api/v1/conversations/{cid}/participants"

    assert api.delete("/api/v1/me", user=gone, json={"password": PASSWORD}).status_code == 204
    wait_for(lambda: (conversations_db["member_summaries"].find_one({"_id": gone.id}) or {})
             .get("erased"), timeout=20, message="the erasure known to conversations")
    # the members read model still holds the erased account's roles: the flag decides
    assert "advisor" in conversations_db["members"].find_one({"_id": gone.id})["roles"]

    refused = problem(api.post(invite, user=advisor, json={"user_id": gone.id}), 422)
    customer = problem(api.post(invite, user=advisor, json={"user_id": member.id}), 422)
    assert same_answer(refused) == same_answer(customer)
    assert gone.id not in added_ids(conversations_db, cid)
    assert ok(api.get(f"/api/v1/conversations/{cid}", user=advisor))["participant_ids"] == [
        member.id, advisor.id]

    # by address (the console's path): as for an address of nobody
    by_email = problem(api.post(invite, user=advisor, json={"email": gone.email}), 422)
    nobody = problem(api.post(invite, user=advisor, json={
        "email": f"nobody-{uuid.uuid4().hex[:8]}@e2e.test"}), 422)
    assert (by_email["detail"], by_email["errors"]) == (nobody["detail"], nobody["errors"])
    page = console_invite(platform, advisor, cid, gone.email)
    assert page.status_code == 422, page.text
    assert "No bank staff member has this verified e-mail address" in page.text \
        or "Aucun membre du personnel de la banque n’a cette adresse e-mail vérifiée" in page.text

    added = ok(api.post(invite, user=advisor, json={"user_id": kept.id}), 201)
    assert added["participant_ids"] == [member.id, advisor.id, kept.id]
    assert added_ids(conversations_db, cid) == [kept.id]
