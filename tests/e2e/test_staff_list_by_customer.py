"""The staff list of conversations filtered by customer (`GET /api/v1/conversations?customer=`,
the console inbox's « Conversations avec Marie Dubois »): only that customer's conversations
among those the reader may read, the customer named with whether the reader may open their
timeline; an id one may not see — another advisor's customer or nobody — gives the same empty
answer; a malformed id is a 400 with its field, never a 500."""
from __future__ import annotations

import json
import uuid

from ..conftest import wait_for
from .steps import customer_with_advisor, ok, problem, staff

LIST = "/api/v1/conversations"


def write(api, member, subject):
    return ok(api.post(LIST, user=member, json={"subject": subject, "message": "Bonjour"}),
              201)["id"]


def listed(api, user, **params):
    return ok(api.get(LIST, user=user, params={"side": "staff", "sort": "waiting", **params}))


def test_an_advisor_lists_one_customers_conversations_and_nobody_elses(
        platform, api, conversations_db):
    customer, advisor = customer_with_advisor(platform, api, conversations_db)
    other = api.new_user(customer=True)  # the same advisor's other customer
    ok(api.put(f"/api/v1/users/{other.id}/advisor", user=platform.admin,
               json={"advisor_id": advisor.id, "branch": "Lyon Bellecour"}))
    tag = uuid.uuid4().hex[:6]
    first, second = write(api, customer, f"Carte {tag}"), write(api, customer, f"Prêt {tag}")
    wait_for(lambda: (conversations_db["members"].find_one({"_id": other.id}) or {})
             .get("advisor_id") == advisor.id, timeout=20, message="advisor known")
    elsewhere = write(api, other, f"Virement {tag}")
    assert elsewhere in {item["id"] for item in listed(api, advisor)["items"]}

    mine = listed(api, advisor, customer=customer.id)
    assert sorted(item["id"] for item in mine["items"]) == sorted([first, second])
    assert {item["member_id"] for item in mine["items"]} == {customer.id}
    assert mine["customer"]["id"] == customer.id
    assert mine["customer"]["display_name"] == customer.display_name
    assert mine["customer"]["customer_timeline"] is True
    # in pages, the filter kept through the cursor
    page = listed(api, advisor, customer=customer.id, limit=1)
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = listed(api, advisor, customer=customer.id, limit=1, cursor=page["next_cursor"])
    assert {page["items"][0]["id"], rest["items"][0]["id"]} == {first, second}

    # another advisor: the same answer for this customer as for an id that names nobody
    stranger = staff(platform, "advisor")
    theirs = listed(api, stranger, customer=customer.id)
    nobody = listed(api, stranger, customer=uuid.uuid4().hex)
    assert theirs == nobody == {"items": [], "next_cursor": None, "customer": None}
    # a member asking for someone's conversations gets nothing either
    assert listed(api, other, customer=customer.id)["items"] == []

    # a CM may see the customer (their timeline) but reads only their own and the queue's
    manager = staff(platform)
    seen = listed(api, manager, customer=customer.id)
    assert seen["items"] == [] and seen["customer"]["customer_timeline"] is True
    loner = api.new_user()  # no advisor: their conversation waits in the staff queue
    queued = write(api, loner, f"Ouvrir un compte {tag}")
    found = listed(api, manager, customer=loner.id)
    assert [item["id"] for item in found["items"]] == [queued]
    assert found["items"][0]["queue"] is True

    # a malformed id: 400, problem+json naming the field
    body = problem(api.get(LIST, user=advisor, params={"customer": "marie"}), 400)
    assert "customer" in body["errors"], body


def refusals_logged(platform, request_id):
    log = platform.processes["conversations"].log_path.read_text(errors="replace")
    return [json.loads(line) for line in log.splitlines()
            if request_id in line and '"authorization_failed"' in line]


def test_a_member_filtering_by_their_own_id_is_named_and_no_refusal_is_logged(platform, api):
    member, stranger = api.new_user(), api.new_user()  # neither has a conversation yet
    own, other = f"own-{uuid.uuid4().hex}", f"other-{uuid.uuid4().hex}"
    mine = ok(api.get(LIST, user=member, params={"customer": member.id},
                      headers={"X-Request-ID": own}))
    assert mine["items"] == [] and mine["customer"]["id"] == member.id
    assert mine["customer"]["customer_timeline"] is False
    # someone else's id is refused and logged: once its line is there, the earlier request's
    # would be too (one process writes both, in order)
    theirs = ok(api.get(LIST, user=member, params={"customer": stranger.id},
                        headers={"X-Request-ID": other}))
    assert theirs["customer"] is None
    wait_for(lambda: refusals_logged(platform, other), timeout=10, message="refusal logged")
    assert refusals_logged(platform, own) == []
