"""Authors' public summaries through the gateway: every post, reply, feed item, notification and
conversation carries `author` (name, badges, avatar) so a client needs no call per author; the
batch `GET /users?ids=`; names follow identity's events (profile, roles, erasure), also after a
replay; staff answers say which staff role answered."""
from __future__ import annotations

import re
import uuid

from services.shared.members import ERASED_DISPLAY_NAME

from ..conftest import wait_for
from .conftest import PASSWORD
from .steps import ok, problem, reply_visible, staff, submit, visible

HEX = re.compile(r"^#[0-9a-f]{6}$")


def contrast_with_white(color: str) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    return 1.05 / (luminance + 0.05)


def assert_summary(author, user, name, badges):
    assert set(author) == {"id", "display_name", "badges", "avatar"}, author
    assert set(author["avatar"]) == {"initial", "color"}
    assert author["id"] == user.id and author["display_name"] == name
    assert author["badges"] == badges
    assert author["avatar"]["initial"] == name[0].upper()
    assert HEX.match(author["avatar"]["color"])
    assert contrast_with_white(author["avatar"]["color"]) >= 4.5


def post_author(api, post_id, name):
    def check():
        author = ok(api.get(f"/api/v1/posts/{post_id}"))["author"]
        return author if author["display_name"] == name else None
    return wait_for(check, timeout=20, message=f"author of {post_id} named {name!r}")


def test_posts_replies_feeds_notifications_and_users_carry_author_summaries(platform, api):
    marker = uuid.uuid4().hex[:8]
    asker = api.new_user(display_name=f"élodie {marker}", customer=True)
    ok(api.put(f"/api/v1/users/{asker.id}/verification", user=platform.admin,
               json={"verified_customer": True}))
    manager, adviser = staff(platform), staff(platform, "advisor")
    question = submit(api, asker, title=f"Virement instantané {marker}")
    visible(api, question["id"])
    asker_name = f"élodie {marker}"
    post = post_author(api, question["id"], asker_name)
    assert_summary(post, asker, asker_name, ["verified_customer"])
    assert post["avatar"]["initial"] == "É"

    listed = ok(api.get("/api/v1/posts", params={"q": marker}))["items"]
    assert [p["id"] for p in listed] == [question["id"]]
    assert listed[0]["author"] == post

    by_manager = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=manager,
                             json={"body": "Nous regardons."}), 201)
    by_adviser = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=adviser,
                             json={"body": "C'est fait."}), 201)
    reply_visible(api, by_manager["id"])
    reply_visible(api, by_adviser["id"])

    def replies_with_badges():  # identity's role grants reach posts on their own, by events
        items = ok(api.get(f"/api/v1/posts/{question['id']}/replies"))["items"]
        return len(items) == 2 and all(r["author"]["badges"] for r in items) and \
            {r["id"]: r for r in items}
    replies = wait_for(replies_with_badges, timeout=20, message="staff badges known to posts")
    assert_summary(replies[by_manager["id"]]["author"], manager, manager.display_name,
                   ["community_manager"])
    assert replies[by_manager["id"]]["staff_role"] == "community_manager"
    assert_summary(replies[by_adviser["id"]]["author"], adviser, adviser.display_name,
                   ["bank_advisor"])
    assert replies[by_adviser["id"]]["staff_role"] == "advisor"
    single = ok(api.get(f"/api/v1/replies/{by_adviser['id']}"))
    assert single["author"] == replies[by_adviser["id"]]["author"] and single["official"]

    # feeds: the public journal and the author's activity
    def in_public():
        items = ok(api.get("/api/v1/feeds/public", params={"limit": 100}))["items"]
        return next((i for i in items if i["id"] == question["id"]), None)
    assert wait_for(in_public, timeout=20, message="question in the public feed")["author"] == post
    activity = ok(api.get(f"/api/v1/users/{adviser.id}/activity"))["items"]
    assert activity and all(i["author"]["id"] == adviser.id for i in activity)

    # notifications: who acted
    def reply_notice():
        items = ok(api.get("/api/v1/me/notifications", user=asker,
                           params={"limit": 100}))["items"]
        return next((n for n in items if n.get("actor_id") == adviser.id), None)
    notice = wait_for(reply_notice, timeout=20, message="the asker told of the answer")
    assert_summary(notice["author"], adviser, adviser.display_name, ["bank_advisor"])

    # the batch: in the order asked, each once, unknown ids left out
    batch = ok(api.get("/api/v1/users", params={
        "ids": f"{adviser.id},{asker.id},nobody-{marker},{adviser.id}"}))["items"]
    assert [u["id"] for u in batch] == [adviser.id, asker.id]
    assert batch[1] == post
    problem(api.get("/api/v1/users", params={"ids": ",".join(f"u{i}" for i in range(101))}),
            400)
    problem(api.get("/api/v1/users"), 400)


def test_names_follow_identity_events_and_replays_agree(platform, api):
    marker = uuid.uuid4().hex[:8]
    member = api.new_user(display_name=f"Bruno {marker}")
    question = submit(api, member, title=f"Carte perdue {marker}")
    visible(api, question["id"])
    post_author(api, question["id"], f"Bruno {marker}")

    renamed = f"Zoé {marker}"
    ok(api.patch("/api/v1/me", user=member, json={"display_name": renamed}))
    api.grant(platform.admin, member, "community_manager")
    wait_for(lambda: ok(api.get(f"/api/v1/posts/{question['id']}"))["author"]["badges"]
             == ["community_manager"], timeout=20, message="the badge reaches posts")
    assert_summary(post_author(api, question["id"], renamed), member, renamed,
                   ["community_manager"])

    # conversations: the member it is with, and each message's author
    conversation = ok(api.post("/api/v1/conversations", user=member,
                               json={"subject": "Ma carte", "message": "Bonjour"}), 201)
    assert_summary(conversation["author"], member, renamed, ["community_manager"])
    assert conversation["messages"][0]["author"] == conversation["author"]

    for service in ("posts", "feeds"):
        result = platform.agora("replay", service, timeout=120)
        assert result.returncode == 0, result.stderr
    assert_summary(post_author(api, question["id"], renamed), member, renamed,
                   ["community_manager"])

    erased = ok(api.delete("/api/v1/me", user=member, json={"password": PASSWORD}), 204)
    assert erased is None
    gone = post_author(api, question["id"], ERASED_DISPLAY_NAME)
    assert gone["badges"] == [] and gone["id"] == member.id
    assert contrast_with_white(gone["avatar"]["color"]) >= 4.5
    result = platform.agora("replay", "posts", timeout=120)
    assert result.returncode == 0, result.stderr
    assert ok(api.get(f"/api/v1/posts/{question['id']}"))["author"] == gone
    # feeds' cards sign it the same way; the member's own journal is gone, as their profile
    wait_for(lambda: [card["author"] for card in ok(api.get("/api/v1/feeds/public"))["items"]
                      if card["id"] == question["id"]] == [gone],
             message="the public journal's card signed by a former member")
    problem(api.get(f"/api/v1/users/{member.id}/activity"), 410)
