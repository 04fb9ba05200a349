"""What the console's member screen reads (issue 13, item 6): community managers look members
up by the start of their name or by e-mail (admins could already; every e-mail and private
read audited), read a member's private profile, their contributions in every state and the
flags on them and by them — each list newest first in cursor pages. Members and advisors are
refused; a CM still cannot do an admin's action."""
from __future__ import annotations

import uuid

from ..conftest import wait_for
from .steps import ok, problem, reply_visible, staff, submit, visible


def test_community_managers_look_members_up_by_name_and_by_e_mail(platform, api, mongo_client):
    manager, advisor, member = staff(platform), staff(platform, "advisor"), api.new_user()
    surname = f"Quintal{uuid.uuid4().hex[:8]}"
    wanted = [api.new_user(display_name=f"{first} {surname}", customer=True)
              for first in ("Zoé", "Zoe", "ZOÉ")]
    other = api.new_user(display_name=f"Bastien {surname}")  # the name does not start so

    def by_name(user, name, **params):
        return api.get("/api/v1/users", user=user, params={"name": name, **params})

    # accents, case and extra spaces ignored; pages in name order, then id
    first = wait_for(lambda: (page := ok(by_name(manager, f"  zoe   {surname.upper()}",
                                                  limit=2)))["items"] and page,
                     timeout=20, message="the members known by name")
    rest = ok(by_name(manager, f"zoe {surname}", limit=2, cursor=first["next_cursor"]))
    assert rest["next_cursor"] is None
    found = [m["id"] for m in first["items"] + rest["items"]]
    assert sorted(found) == sorted(user.id for user in wanted) and len(set(found)) == 3
    assert other.id not in found
    assert set(first["items"][0]) == {"id", "display_name", "badges", "avatar"}  # public only
    assert ok(by_name(platform.admin, surname[:5] + "x-nobody"))["items"] == []
    problem(by_name(member, surname), 403)
    problem(by_name(advisor, surname), 403)
    problem(api.get("/api/v1/users", params={"name": surname}), 401)
    problem(api.get("/api/v1/users", user=manager, params={"name": surname,
                                                           "email": wanted[0].email}), 400)

    # by e-mail, and the private profile by id: CMs too now, each read audited
    platform.verify_email(wanted[0])  # only a verified address names a member
    match = ok(api.get("/api/v1/users", user=manager, params={"email": wanted[0].email}))
    assert [(m["id"], m["email"]) for m in match["items"]] == [(wanted[0].id, wanted[0].email)]
    private = ok(api.get(f"/api/v1/users/{wanted[0].id}/private", user=manager))
    assert (private["email"], private["customer"], private["advisor"]) == (
        wanted[0].email, True, None)
    problem(api.get(f"/api/v1/users/{wanted[0].id}/private", user=member), 403)
    problem(api.get(f"/api/v1/users/{wanted[0].id}/private", user=advisor), 403)
    problem(api.get(f"/api/v1/users/{wanted[0].id}/private"), 401)
    problem(api.get("/api/v1/users/u-nobody0000000000000000/private", user=manager), 404)
    identity_db = mongo_client[f"{platform.db_prefix}_identity"]
    reads = list(identity_db["privileged_reads"].find({"actor_id": manager.id}))
    assert {(r["action"], r["found_user_id"]) for r in reads} == {
        ("user_by_email", wanted[0].id), ("user_by_id", wanted[0].id)}

    # what only admins do stays theirs
    problem(api.put(f"/api/v1/users/{wanted[0].id}/roles", user=manager,
                    json={"roles": ["advisor"]}), 403)


def test_a_members_contributions_and_the_flags_on_them_and_by_them_in_pages(platform, api):
    manager, author, flagger, member = staff(platform), api.new_user(), api.new_user(), \
        api.new_user()
    posts = [submit(api, author, kind="discussion", title=f"Sujet numéro {n}") for n in range(3)]
    for post in posts:
        visible(api, post["id"])
    reply = ok(api.post(f"/api/v1/posts/{posts[0]['id']}/replies", user=author,
                        json={"body": "Je complète ma propre question."}), 201)
    reply_visible(api, reply["id"])
    elsewhere = submit(api, member, kind="discussion", title="Un message d'un autre membre")
    visible(api, elsewhere["id"])
    ok(api.post(f"/api/v1/posts/{posts[1]['id']}/flags", user=flagger,
                json={"reason": "spam"}), 201)
    ok(api.post(f"/api/v1/replies/{reply['id']}/flags", user=flagger,
                json={"reason": "off_topic"}), 201)
    ok(api.post(f"/api/v1/posts/{elsewhere['id']}/flags", user=author,
                json={"reason": "abusive"}), 201)

    base = f"/api/v1/moderation/members/{author.id}"

    def every_page(path, **params):
        items, cursor = [], None
        while True:
            page = ok(api.get(path, user=manager, params={
                **params, **({"cursor": cursor} if cursor else {})}))
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items

    contributions = wait_for(lambda: len(found := every_page(
        f"{base}/contributions", limit=2)) == 4 and found, timeout=20,
        message="the author's four contributions known")
    assert [c["id"] for c in contributions] == [reply["id"], posts[2]["id"], posts[1]["id"],
                                                posts[0]["id"]]  # newest first
    assert {c["state"] for c in contributions} == {"published"}
    assert contributions[0]["target_type"] == "reply"
    assert contributions[0]["post_id"] == posts[0]["id"]
    assert contributions[0]["excerpt"] == "Je complète ma propre question."
    assert contributions[1]["title"] == "Sujet numéro 2" and contributions[1]["kind"] == \
        "discussion"

    flags_on = wait_for(lambda: len(found := every_page(f"{base}/flags", side="on", limit=1))
                        == 2 and found, timeout=20, message="the flags on the author's posts")
    assert [(f["target_id"], f["flagger_id"], f["reason"], f["author_id"]) for f in flags_on] \
        == [(reply["id"], flagger.id, "off_topic", author.id),
            (posts[1]["id"], flagger.id, "spam", author.id)]
    assert {f["target_state"] for f in flags_on} == {"published"}
    assert [f["target_title"] for f in flags_on] == ["Je complète ma propre question.",
                                                     "Sujet numéro 1"]
    flags_by = wait_for(lambda: every_page(f"{base}/flags", side="by"), timeout=20,
                        message="the author's own flag")
    assert [(f["target_id"], f["author_id"], f["reason"]) for f in flags_by] == [
        (elsewhere["id"], member.id, "abusive")]
    assert every_page(f"/api/v1/moderation/members/{flagger.id}/contributions") == []

    # a CM hides the flagged post: its state follows, on both lists
    item = next(i for i in ok(api.get("/api/v1/moderation/queue", user=manager, params={
        "reason": "flags", "limit": 200}))["items"] if i["target_id"] == posts[1]["id"])
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "reject", "reason_code": "spam"}))
    removed = {"hidden", "rejected"}  # out of sight of members, as posts recorded it
    wait_for(lambda: {c["id"]: c["state"] for c in every_page(f"{base}/contributions")}
             .get(posts[1]["id"]) in removed, timeout=20, message="removed on the list")
    wait_for(lambda: {f["target_id"]: f["target_state"] for f in every_page(
        f"{base}/flags", side="on")}.get(posts[1]["id"]) in removed, timeout=20,
        message="removed on the flags")

    for path in (f"{base}/contributions", f"{base}/flags"):
        problem(api.get(path, user=member), 403)
        problem(api.get(path), 401)
    problem(api.get(f"{base}/flags", user=manager, params={"side": "sideways"}), 400)
    problem(api.get(f"{base}/contributions", user=manager, params={"cursor": "nope"}), 400)
