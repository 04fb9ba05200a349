"""« Mes clients »'s filter by name (`my_customers` `q`): it looked for the name among the first
page of 100 customers only (the page filtered what one RPC answered), so an advisor with more
customers did not find one assigned long ago. The service now filters the whole portfolio, then
pages through those that match."""
import uuid

import pytest
from nameko.exceptions import RemoteError

from ...conftest import wait_for
from ..feeds.fixtures import actor, admin_actor, register

pytestmark = pytest.mark.integration

SECOND = 1_000_000  # in the read model's microseconds


def assigned(rpc, conversations_db, advisor, name: str) -> dict:
    member = register(rpc, name)
    admin = admin_actor(rpc.config)
    rpc.identity.set_verification(admin, member["id"], True)  # only customers have an advisor
    rpc.identity.assign_advisor(admin, member["id"], advisor["id"], "Nantes")
    wait_for(lambda: (conversations_db.members.find_one({"_id": member["id"]}) or {})
             .get("advisor_id") == advisor["id"], message="advisor assignment received")
    return member


def test_the_filter_by_name_finds_a_customer_beyond_the_first_100(rpc, conversations_db):
    advisor = register(rpc, f"Bruno Gérant {uuid.uuid4().hex[:8]}")
    rpc.identity.set_roles(admin_actor(rpc.config), advisor["id"], ["member", "advisor"])
    advisor["roles"] = ["member", "advisor"]
    tag = uuid.uuid4().hex[:6]
    first = assigned(rpc, conversations_db, advisor, f"Hélène Lointaine {tag}")
    second = assigned(rpc, conversations_db, advisor, f"Paul Lointaine {tag}")
    since = conversations_db.members.find_one({"_id": second["id"]})["assigned_ts"]
    # 120 customers assigned after them (written to the read model, named: only their order
    # and names matter), so the two are beyond the first page of 100
    fillers = [uuid.uuid4().hex for _ in range(120)]
    conversations_db.members.insert_many([{
        "_id": filler, "advisor_id": advisor["id"], "branch": "Nantes",
        "assigned_ts": since + SECOND * (n + 1)} for n, filler in enumerate(fillers)])
    conversations_db.member_summaries.insert_many([{
        "_id": filler, "display_name": f"Client {n}"} for n, filler in enumerate(fillers)])
    me = actor(advisor)
    unfiltered = rpc.conversations.my_customers(me, {"limit": 100, "activity": 0})
    assert {first["id"], second["id"]}.isdisjoint(
        item["customer"]["id"] for item in unfiltered["items"])

    # case and accents aside; most recently assigned first, one at a time through the cursor
    found = rpc.conversations.my_customers(me, {"limit": 1, "activity": 0,
                                                "q": f"lointaine {tag.upper()}"})
    assert [item["customer"]["id"] for item in found["items"]] == [second["id"]]
    assert found["next_cursor"]
    found = rpc.conversations.my_customers(me, {"limit": 1, "activity": 0, "cursor":
                                                found["next_cursor"],
                                                "q": f"lointaine {tag.upper()}"})
    assert [item["customer"]["id"] for item in found["items"]] == [first["id"]]
    assert found["items"][0]["customer"]["display_name"] == f"Hélène Lointaine {tag}"
    assert found["next_cursor"] is None
    helene = rpc.conversations.my_customers(me, {"limit": 100, "activity": 0,
                                                 "q": f" helene lointaine {tag} "})
    assert [item["customer"]["id"] for item in helene["items"]] == [first["id"]]
    # another advisor's filter: none of them
    other = register(rpc, f"Anne Gérante {uuid.uuid4().hex[:8]}")
    rpc.identity.set_roles(admin_actor(rpc.config), other["id"], ["member", "advisor"])
    other["roles"] = ["member", "advisor"]
    assert rpc.conversations.my_customers(actor(other), {"q": tag})["items"] == []
    with pytest.raises(RemoteError, match="InvalidInput"):
        rpc.conversations.my_customers(me, {"q": "x" * 101})
