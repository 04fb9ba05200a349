"""A locked thread is frozen (no new replies, no edits but by the community managers, no votes),
and featured posts are pinned at the top of the normal lists (in their default order) in the
CMs' order, until their pin ends — as members and community managers drive it through the
gateway."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from ..conftest import wait_for
from .steps import ok, problem, reply_visible, staff, submit, visible


def test_a_locked_thread_is_frozen_for_members_and_open_to_cms(platform, api):
    manager, author, replier, voter = staff(platform), api.new_user(), api.new_user(), \
        api.new_user()
    post = submit(api, author, title="Frais à l'étranger")
    visible(api, post["id"])
    reply = ok(api.post(f"/api/v1/posts/{post['id']}/replies", user=replier,
                        json={"body": "Regardez l'option voyage."}), 201)
    reply_visible(api, reply["id"])
    ok(api.put(f"/api/v1/posts/{post['id']}/vote", user=voter))
    spare = ok(api.post(f"/api/v1/posts/{post['id']}/replies", user=replier,
                        json={"body": "Et la carte premium."}), 201)
    reply_visible(api, spare["id"])

    assert ok(api.put(f"/api/v1/posts/{post['id']}/locked", user=manager))["locked"]
    frozen = [
        api.post(f"/api/v1/posts/{post['id']}/replies", user=replier, json={"body": "+1"}),
        api.patch(f"/api/v1/posts/{post['id']}", user=author, json={"body": "Edited"}),
        api.patch(f"/api/v1/replies/{reply['id']}", user=replier, json={"body": "Edited"}),
        api.put(f"/api/v1/posts/{post['id']}/vote", user=replier),
        api.delete(f"/api/v1/posts/{post['id']}/vote", user=voter),
        api.put(f"/api/v1/replies/{reply['id']}/vote", user=voter),
        api.put(f"/api/v1/posts/{post['id']}/accepted-reply", user=author,
                json={"reply_id": reply["id"]}),
    ]
    for response in frozen:
        assert "verrouillée" in problem(response, 422)["detail"], response.request.url
    assert ok(api.get(f"/api/v1/posts/{post['id']}"))["votes"] == 1  # counts as when locked

    # CMs still correct the thread; authors may still withdraw their own text
    edited = ok(api.patch(f"/api/v1/replies/{reply['id']}", user=manager,
                          json={"body": "Regardez l'option voyage (corrigé)."}))
    assert edited["id"] == reply["id"]
    ok(api.delete(f"/api/v1/replies/{spare['id']}", user=replier), 204)

    assert not ok(api.delete(f"/api/v1/posts/{post['id']}/locked", user=manager))["locked"]
    ok(api.put(f"/api/v1/posts/{post['id']}/vote", user=replier))
    ok(api.patch(f"/api/v1/posts/{post['id']}", user=author, json={"body": "Edited again"}))


def test_featured_posts_head_the_lists_in_the_cms_order_until_their_pin_ends(platform, api):
    manager, author = staff(platform), api.new_user()
    category = "pins-" + "".join(chr(97 + int(c, 16)) for c in uuid.uuid4().hex[:8])
    platform.create_categories(category)  # posts name an existing category
    published = []
    for name in "ABCDEF":  # one after the other: newest first is F, E, D, ...
        post = submit(api, author, kind="discussion", title=f"Discussion {name}",
                      category=category)
        published.append(visible(api, post["id"])["id"])
    a, b, c, d, e, f = published

    problem(api.put(f"/api/v1/posts/{a}/featured", user=author), 403)
    bad = problem(api.put(f"/api/v1/posts/{a}/featured", user=manager,
                          json={"position": 0, "pinned_until": "2030-01-01T10:00:00"}), 400)
    assert set(bad["errors"]) == {"position", "pinned_until"}
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    problem(api.put(f"/api/v1/posts/{a}/featured", user=manager,
                    json={"pinned_until": past}), 400)

    soon = datetime.now(UTC) + timedelta(seconds=20)
    ok(api.put(f"/api/v1/posts/{a}/featured", user=manager, json={"position": 2}))
    pinned_b = ok(api.put(f"/api/v1/posts/{b}/featured", user=manager, json={
        "position": 1, "pinned_until": "2099-01-01T09:00:00+01:00"}))
    assert pinned_b["pin_position"] == 1 and pinned_b["pinned_until"] == "2099-01-01T08:00:00+00:00"
    ok(api.put(f"/api/v1/posts/{c}/featured", user=manager))  # unnumbered: after 1 and 2
    ok(api.put(f"/api/v1/posts/{d}/featured", user=manager,
               json={"pinned_until": soon.isoformat()}))  # unnumbered, newest: before c

    def listed(**params):
        return ok(api.get("/api/v1/posts", params={"category": category, **params}))

    first = listed(limit=10)
    assert [p["id"] for p in first["items"]] == [b, a, d, c, f, e]
    assert [p["pinned"] for p in first["items"]] == [True] * 4 + [False] * 2
    # the first page carries the pins on top of `limit` items; later pages never repeat them
    page = listed(limit=1)
    assert [p["id"] for p in page["items"]] == [b, a, d, c, f]
    assert [p["id"] for p in listed(limit=1, cursor=page["next_cursor"])["items"]] == [e]
    # pins lead the default order only: by votes they take their place (no vote: not first)
    top = listed(sort="top")["items"]
    assert not any(p["pinned"] for p in top) and {p["id"] for p in top} == set(published)
    searched = listed(q="Discussion")  # a search is ranked, not pinned
    assert not any(p["pinned"] for p in searched["items"])

    # d's pin ends: it goes back to its place (still featured)
    unpinned = wait_for(lambda: (items := listed()["items"]) and items[3]["id"] == f and items,
                        timeout=40, message="the pin of d ended")
    assert [p["id"] for p in unpinned] == [b, a, c, f, e, d]
    assert unpinned[5]["featured"] and not unpinned[5]["pinned"]
    # a new order, then unfeatured
    ok(api.put(f"/api/v1/posts/{c}/featured", user=manager, json={"position": 1}))
    ok(api.delete(f"/api/v1/posts/{b}/featured", user=manager))
    assert [p["id"] for p in listed()["items"]][:2] == [c, a]
