"""Advisors see their customers (GET /me/customers): each customer with their open conversations
with this advisor and their recent public activity, cursor-paginated; admins look members up by
e-mail (GET /users?email=), and every such lookup is audited as a privileged read."""
from __future__ import annotations

from ..conftest import wait_for
from .steps import ok, problem, reply_visible, staff, submit, visible


def assign(platform, api, conversations_db, customer, advisor):
    ok(api.put(f"/api/v1/users/{customer.id}/advisor", user=platform.admin,
               json={"advisor_id": advisor.id, "branch": "Lyon Bellecour"}))
    wait_for(lambda: (conversations_db["members"].find_one({"_id": customer.id}) or {})
             .get("advisor_id") == advisor.id, timeout=20, message="advisor known")


def test_an_advisor_sees_each_customer_with_open_conversations_and_public_activity(
        platform, api, conversations_db):
    advisor, other_advisor = staff(platform, "advisor"), staff(platform, "advisor")
    first, second, third = (api.new_user(customer=True) for _ in range(3))
    stranger = api.new_user(customer=True)
    for customer in (first, second, third):
        assign(platform, api, conversations_db, customer, advisor)
    assign(platform, api, conversations_db, stranger, other_advisor)

    conversation = ok(api.post("/api/v1/conversations", user=first, json={
        "subject": "Prêt immobilier", "message": "Pouvons-nous en parler ?"}), 201)
    question = submit(api, first, title="Frais de tenue de compte", category="accounts")
    visible(api, question["id"])
    reply = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=second,
                        json={"body": "Chez moi aussi."}), 201)
    reply_visible(api, reply["id"])

    problem(api.get("/api/v1/me/customers", user=first), 403)
    problem(api.get("/api/v1/me/customers"), 401)

    def page_of(user, **params):
        return ok(api.get("/api/v1/me/customers", user=user, params=params or None))

    def everyone():
        found = page_of(advisor, limit=100)
        activity = {c["customer"]["id"]: c for c in found["items"]}
        ready = activity.get(first.id, {}).get("recent_activity") and \
            activity.get(second.id, {}).get("recent_activity")
        return ready and found
    listed = wait_for(everyone, timeout=20, message="customers' activity known")
    by_id = {c["customer"]["id"]: c for c in listed["items"]}
    assert set(by_id) == {first.id, second.id, third.id}  # never another advisor's customer
    assert [c["customer"]["id"] for c in listed["items"]] == [third.id, second.id, first.id]
    assert by_id[first.id]["branch"] == "Lyon Bellecour"
    assert by_id[first.id]["customer"]["display_name"] == first.display_name  # its summary
    assert set(by_id[first.id]["customer"]) == {"id", "display_name", "badges", "avatar"}
    assert [c["id"] for c in by_id[first.id]["open_conversations"]] == [conversation["id"]]
    opened = by_id[first.id]["open_conversations"][0]
    assert opened["subject"] == "Prêt immobilier" and opened["waiting_for_staff"] is True
    assert by_id[first.id]["recent_activity"][0] == {
        "type": "post", "id": question["id"], "post_id": question["id"], "kind": "question",
        "title": "Frais de tenue de compte", "at": by_id[first.id]["recent_activity"][0]["at"]}
    assert by_id[second.id]["recent_activity"][0]["type"] == "reply"
    assert by_id[second.id]["recent_activity"][0]["title"] == "Frais de tenue de compte"
    assert by_id[third.id]["open_conversations"] == [] and by_id[third.id]["recent_activity"] == []

    # the advisor answers: the conversation no longer waits for staff
    ok(api.post(f"/api/v1/conversations/{conversation['id']}/messages", user=advisor,
                json={"body": "Bien sûr, mardi ?"}), 201)
    answered = wait_for(lambda: not (c := {x["customer"]["id"]: x for x in page_of(
        advisor, limit=100)["items"]}[first.id]["open_conversations"][0])["waiting_for_staff"]
        and c, timeout=20, message="the advisor's answer known")
    assert answered["message_count"] == 2

    # pages of one, in the same order, without repeats
    seen, cursor = [], None
    while True:
        page = page_of(advisor, limit=1, **({"cursor": cursor} if cursor else {}))
        seen += [c["customer"]["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [third.id, second.id, first.id]
    problem(api.get("/api/v1/me/customers", user=advisor, params={"cursor": "nope"}), 400)
    assert [c["customer"]["id"] for c in page_of(other_advisor)["items"]] == [stranger.id]


def test_admins_look_members_up_by_email_to_assign_advisors_and_each_lookup_is_audited(
        platform, api, mongo_client, conversations_db):
    admin, advisor = platform.admin, staff(platform, "advisor")
    customer, member = platform.verify_email(api.new_user(customer=True)), api.new_user()
    identity_db = mongo_client[f"{platform.db_prefix}_identity"]

    problem(api.get("/api/v1/users", params={"email": customer.email}), 401)
    problem(api.get("/api/v1/users", params={"email": customer.email}, user=member), 403)
    problem(api.get("/api/v1/users", user=admin), 400)
    problem(api.get("/api/v1/users", params={"email": "not-an-address"}, user=admin), 400)

    # the bank's CRM knows the customer by e-mail: find them, then assign their advisor
    found = ok(api.get("/api/v1/users", params={"email": f"  {customer.email.upper()} "},
                       user=admin))["items"]
    assert [(m["id"], m["email"], m["customer"]) for m in found] == [
        (customer.id, customer.email, True)]
    assign(platform, api, conversations_db, customer, advisor)
    assert ok(api.get("/api/v1/users", params={"email": customer.email},
                      user=admin))["items"][0]["advisor"]["advisor"]["id"] == advisor.id
    assert ok(api.get("/api/v1/users", params={"email": "nobody@e2e.test"},
                      user=admin))["items"] == []

    reads = list(identity_db["privileged_reads"].find({"actor_id": admin.id}).sort("at", 1))
    assert [r["found_user_id"] for r in reads[-3:]] == [customer.id, customer.id, None]
    assert all(r["action"] == "user_by_email" and r["correlation_id"] for r in reads[-3:])
    assert not any(customer.email in str(r) for r in reads)  # the address is not kept
    # the reader's client address is sealed with the reader's key, never in clear
    assert all(r["client"]["subject"] == admin.id and admin.address not in str(r)
               for r in reads[-3:])
    assert identity_db["privileged_reads"].count_documents({"actor_id": member.id}) == 0
