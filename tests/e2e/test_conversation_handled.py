"""« Marquer comme traitée » through the gateway: the advisor marks a customer's « Merci ! » as
needing no reply; the conversation leaves the waiting ones, its response-time clock stops
without counting as answered, the customer's page says nothing, and their next message makes
it wait again. Others: 401, 403 (a member), 404 (staff who may not read it)."""
from __future__ import annotations

import uuid

import pytest

from ..conftest import wait_for
from .steps import customer_with_advisor, ok, problem, staff


@pytest.fixture
def clocks(platform, mongo_client):
    return mongo_client[f"{platform.db_prefix}_moderation"]["sla"]


def test_the_advisor_marks_a_thank_you_handled(platform, api, conversations_db, clocks):
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Virement", "message": "Mon virement est bloqué"}), 201)["id"]
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=advisor,
                json={"body": "C’est débloqué."}), 201)
    thanks = ok(api.post(f"/api/v1/conversations/{cid}/messages", user=member,
                         json={"body": "Merci !"}), 201)
    clock_id = f"conv.{cid}.{thanks['id']}"
    wait_for(lambda: clocks.find_one({"_id": clock_id, "answered": False}), timeout=20,
             message="the « Merci » clock runs")
    assert ok(api.get(f"/api/v1/conversations/{cid}", user=advisor))["waiting_for_staff"]

    handled = f"/api/v1/conversations/{cid}/handled"
    problem(api.post(handled), 401)
    problem(api.post(handled, user=api.new_user()), 403)  # a member, any member
    problem(api.post(handled, user=member), 403)  # its customer too
    problem(api.post(handled, user=staff(platform, "advisor")), 404)  # not theirs to read

    key = {"Idempotency-Key": uuid.uuid4().hex}
    for _ in range(2):  # a retry with the same key: one effect
        assert api.post(handled, user=advisor, headers=key).status_code == 204
    assert api.post(handled, user=advisor).status_code == 204  # nobody waits: nothing new

    seen = ok(api.get(f"/api/v1/conversations/{cid}", user=advisor))
    assert not seen["waiting_for_staff"] and seen["handled"]["by"] == advisor.id
    inbox = ok(api.get("/api/v1/conversations", user=advisor, params={"sort": "waiting"}))
    assert [(c["id"], c["waiting_for_staff"]) for c in inbox["items"]] == [(cid, False)]
    theirs = ok(api.get(f"/api/v1/conversations/{cid}", user=member))
    assert theirs["handled"] is None  # the customer is not told
    settled = [event for commit in conversations_db["events"].find({"stream_id": f"conv-{cid}"})
               for event in commit["events"] if event["type"] == "conversations.wait_settled"]
    assert len(settled) == 1

    # the clock stopped, set aside: not answered, not waiting
    clock = wait_for(lambda: (c := clocks.find_one({"_id": clock_id})) and c.get("settled")
                     and c, timeout=20, message="clock settled")
    assert clock["answered"] is None and "first_staff_answer_ts" not in clock

    # the customer writes again: it waits again
    later = ok(api.post(f"/api/v1/conversations/{cid}/messages", user=member,
                        json={"body": "Une autre question"}), 201)
    again = ok(api.get(f"/api/v1/conversations/{cid}", user=advisor))
    assert again["waiting_for_staff"] and again["handled"] is None
    wait_for(lambda: clocks.find_one({"_id": f"conv.{cid}.{later['id']}", "answered": False}),
             timeout=20, message="a new clock")
