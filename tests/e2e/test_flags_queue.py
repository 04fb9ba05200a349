"""Every member's flag reaches the community managers' flags queue (issue 12, item 1): grouped
per contribution with its reasons and flaggers, oldest first, with the flags queue's own
response-time target; `waiting` counts what the filter shows."""
from __future__ import annotations

from ..conftest import wait_for
from .steps import ok, problem, staff, submit, visible


def flags_queue(api, manager):
    return ok(api.get("/api/v1/moderation/queue", user=manager,
                      params={"review": "flags", "limit": 200}))


def flag_item(api, manager, target_id):
    return next((i for i in flags_queue(api, manager)["items"] if i["target_id"] == target_id),
                None)


def test_an_ordinary_members_flag_reaches_the_flags_queue_grouped_per_target(platform, api):
    manager, author = staff(platform), api.new_user()
    first_flagger, second_flagger, later = api.new_user(), api.new_user(), api.new_user()
    older = submit(api, author, kind="discussion", title="Achetez mes cryptos")
    newer = submit(api, author, kind="discussion", title="Un autre message douteux")
    for post in (older, newer):
        visible(api, post["id"])

    flagged = ok(api.post(f"/api/v1/posts/{older['id']}/flags", user=first_flagger,
                          json={"reason": "spam"}), 201)
    assert flagged["held"] is False  # not trusted: nothing hidden, but the CMs are told
    ok(api.post(f"/api/v1/posts/{older['id']}/flags", user=second_flagger,
                json={"reason": "abusive"}), 201)
    ok(api.post(f"/api/v1/posts/{newer['id']}/flags", user=first_flagger,
                json={"reason": "off_topic"}), 201)

    page = flags_queue(api, manager)
    ids = [i["target_id"] for i in page["items"]]
    assert ids.index(older["id"]) < ids.index(newer["id"])  # oldest first
    item = next(i for i in page["items"] if i["target_id"] == older["id"])
    assert item["state"] == "open" and item["review"] == "flags"
    assert item["flags"] == {"spam": 1, "abusive": 1} and item["flag_count"] == 2
    assert [(f["id"], f["reason"], f["trusted"]) for f in item["flaggers"]] == [
        (first_flagger.id, "spam", False), (second_flagger.id, "abusive", False)]
    assert item["content"]["title"] == "Achetez mes cryptos"  # the visible text, to judge
    assert item["target_seconds"] == 24 * 3600 and item["overdue"] is False
    assert item["due_at"] > item["held_at"]
    # waiting counts what the filter shows; per review apart
    assert page["waiting"] == page["waiting_by_review"]["flags"] >= 2
    everything = ok(api.get("/api/v1/moderation/queue", user=manager, params={"limit": 1}))
    assert everything["waiting"] == sum(everything["waiting_by_review"].values())
    assert older["id"] in [i["target_id"] for i in ok(api.get(
        "/api/v1/moderation/queue", user=manager, params={"limit": 200}))["items"]]
    assert ok(api.get(f"/api/v1/moderation/items/{item['id']}", user=manager))["state"] == "open"
    problem(api.get("/api/v1/moderation/queue", user=first_flagger), 403)

    # the flags queue's own target is part of the policy
    policy = ok(api.get("/api/v1/moderation/policy", user=manager))
    ok(api.put("/api/v1/moderation/policy", user=manager, json={"flags_target_hours": 2}))
    try:
        assert flag_item(api, manager, older["id"])["target_seconds"] == 7200
    finally:
        ok(api.put("/api/v1/moderation/policy", user=manager,
                   json={"flags_target_hours": policy.get("flags_target_hours") or 24}))

    # dismissing the flags keeps the post; a new flag opens a new round with only itself
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "approve"}))
    assert flag_item(api, manager, older["id"]) is None
    assert api.get(f"/api/v1/posts/{older['id']}").status_code == 200
    ok(api.post(f"/api/v1/posts/{older['id']}/flags", user=later, json={"reason": "spam"}), 201)
    again = wait_for(lambda: flag_item(api, manager, older["id"]), timeout=20,
                     message="the new round in the queue")
    assert [f["id"] for f in again["flaggers"]] == [later.id] and again["flags"] == {"spam": 1}

    # rejecting a flagged post still visible removes it
    ok(api.post(f"/api/v1/moderation/items/{again['id']}/decision", user=manager,
                json={"decision": "reject", "reason_code": "spam"}))
    wait_for(lambda: api.get(f"/api/v1/posts/{older['id']}").status_code == 404, timeout=20,
             message="the rejected post is gone")
    assert flag_item(api, manager, older["id"]) is None


def test_a_flaggers_own_words_reach_the_community_team_and_no_public_exchange(platform, api):
    """"Autre motif" told the CMs nothing of what was wrong: a flag may carry the member's own
    words (`details`), shown to the community team beside that flagger in the flags queue. They
    ride on moderation's private exchange only — the flag event itself is public and carries
    the reason alone; the words are the flagger's, kept once per round (a flag sent again keeps
    the first), and too long is a 400 naming the field."""
    import json
    from contextlib import closing

    from .clients import Subscriber

    manager, author, flagger, silent = staff(platform), api.new_user(), api.new_user(), \
        api.new_user()
    post = submit(api, author, kind="discussion", title="Un message qui me gêne")
    visible(api, post["id"])
    words = f"Il reprend mot pour mot le message d'un autre membre ({post['id'][-6:]})"
    too_long = api.post(f"/api/v1/posts/{post['id']}/flags", user=flagger,
                        json={"reason": "other", "details": "x" * 501})
    assert "details" in problem(too_long, 400)["errors"]

    with closing(Subscriber(platform.amqp_uri, "moderation.events")) as public, \
            closing(Subscriber(platform.amqp_uri, "moderation.private")) as private:
        ok(api.post(f"/api/v1/posts/{post['id']}/flags", user=flagger,
                    json={"reason": "other", "details": f"  {words}  "}), 201)
        ok(api.post(f"/api/v1/posts/{post['id']}/flags", user=flagger,
                    json={"reason": "other", "details": "Autre chose"}), 201)  # sent again
        ok(api.post(f"/api/v1/posts/{post['id']}/flags", user=silent, json={"reason": "spam"}),
           201)
        explained = wait_for(lambda: private.find(
            lambda m: m[0] == "moderation.flag_explained"
            and m[2]["payload"]["target_id"] == post["id"]), timeout=20,
            message="the words on the private exchange")
        assert explained[2]["payload"]["flagger_id"] == flagger.id
        item = wait_for(lambda: (found := flag_item(api, manager, post["id"]))
                        and len(found["flaggers"]) == 2 and found, timeout=20,
                        message="both flags in the queue")
        assert [(f["id"], f["reason"], f.get("details")) for f in item["flaggers"]] == [
            (flagger.id, "other", words), (silent.id, "spam", None)]
        flags_seen = wait_for(lambda: [m for m in public.drain() if m[0] ==
                                       "moderation.item_flagged" and
                                       m[2]["payload"]["target_id"] == post["id"]],
                              timeout=20, message="the flags on the public exchange")
        assert len(flags_seen) == 2
        published = json.dumps([m[2] for m in public.drain()], ensure_ascii=False)
        assert words not in published and "Autre chose" not in published
    # the member's own view of the item says nothing of anyone's words
    problem(api.get(f"/api/v1/moderation/items/{item['id']}", user=flagger), 403)
