"""A customer's single cross-channel timeline (issue 13, item 12): their advisor reads, newest
first and in pages, the customer's public posts and replies, their private conversation's
messages and the social mentions routed to the advisor; a CM reads it too; another advisor and
members get 404, as for a conversation."""
from __future__ import annotations

import uuid

from ..conftest import wait_for
from .steps import customer_with_advisor, ok, problem, reply_visible, staff, submit, visible

MENTIONS = "/api/v1/channels/social/mentions"


def test_an_advisor_reads_a_customers_timeline_across_channels(platform, api,
                                                               conversations_db):
    customer, advisor = customer_with_advisor(platform, api, conversations_db)
    other_advisor, manager, member = staff(platform, "advisor"), staff(platform), \
        api.new_user()
    tag = uuid.uuid4().hex[:6]
    question = submit(api, customer, title=f"Carte refusée en Espagne {tag}")
    visible(api, question["id"])
    conversation = ok(api.post("/api/v1/conversations", user=customer, json={
        "subject": f"Ma carte {tag}", "message": "Ma carte est refusée partout, à l'aide."}),
        201)
    mention = ok(api.post(MENTIONS, headers=platform.service_key, json={
        "channel": "twitter", "external_id": uuid.uuid4().hex, "handle": "@client",
        "text": f"@MaBanque toujours pas de carte {tag}", "member_id": customer.id}), 201)
    elsewhere = submit(api, member, title=f"Une autre question {tag}")
    visible(api, elsewhere["id"])
    reply = ok(api.post(f"/api/v1/posts/{elsewhere['id']}/replies", user=customer,
                        json={"body": "Même souci chez moi."}), 201)
    reply_visible(api, reply["id"])
    path = f"/api/v1/customers/{customer.id}/timeline"

    def every_page(user, limit):
        items, cursor = [], None
        while True:
            page = ok(api.get(path, user=user, params={
                "limit": limit, **({"cursor": cursor} if cursor else {})}))
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return page["member"], items

    def complete():
        member_seen, items = every_page(advisor, 2)
        return len(items) == 4 and (member_seen, items)
    seen, items = wait_for(complete, timeout=30, message="the four entries on the timeline")
    assert seen["id"] == customer.id and seen["display_name"] == customer.display_name
    assert [(entry["type"], entry["channel"]) for entry in items] == [
        ("reply", "site"), ("message", "social"), ("message", "private"), ("post", "site")]
    assert items[0]["post_id"] == elsewhere["id"] and items[0]["id"] == reply["id"]
    assert items[1]["conversation_id"] == mention["conversation_id"]
    assert items[1]["body"] == f"@MaBanque toujours pas de carte {tag}"
    assert items[1]["social_channel"] == "twitter"
    assert items[2]["conversation_id"] == conversation["id"]
    assert items[2]["subject"] == f"Ma carte {tag}"
    assert items[2]["author"]["id"] == customer.id
    assert items[3]["id"] == question["id"] and items[3]["title"] == \
        f"Carte refusée en Espagne {tag}"
    ats = [entry["at"] for entry in items]
    assert ats == sorted(ats, reverse=True)

    # a CM reads it too (the conversations they may read: those in the staff queue)
    _, as_manager = every_page(manager, 50)
    assert {entry["id"] for entry in as_manager if entry["type"] != "message"} == {
        reply["id"], question["id"]}

    for user in (other_advisor, member, customer):
        problem(api.get(path, user=user), 404)
    problem(api.get(path), 401)
    problem(api.get("/api/v1/customers/not-a-user/timeline", user=advisor), 404)
    assert conversations_db["access_audit"].count_documents({
        "user_id": advisor.id, "action": "read", "conversation_id": conversation["id"]}) >= 1
