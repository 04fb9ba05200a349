"""Feeds through the gateway against the running processes (the platform runs feeds with
FEEDS_PULL_THRESHOLD=2: an author with 3 followers is merged on read)."""
from __future__ import annotations

from ..conftest import wait_for
from .steps import (
    feed,
    feed_ids,
    follow,
    home_ids,
    in_home,
    ok,
    problem,
    queued,
    staff,
    submit,
    visible,
)


def test_follow_watch_tags_and_mute_shape_the_home_feed(platform, api):
    author, reader, helper = api.new_user(), api.new_user(), api.new_user()
    assert follow(api, reader, author) == {"user_id": author.id, "following": True}
    assert follow(api, reader, author) == {"user_id": author.id, "following": True}  # idempotent
    post = submit(api, author, title="Frais de tenue de compte ?")
    visible(api, post["id"])
    in_home(api, reader, post["id"])
    item = feed(api, "/api/v1/feeds/home", reader)["items"][0]
    assert item["reasons"] == [f"following:{author.id}"] and item["type"] == "post"
    assert post["id"] in feed_ids(api, f"/api/v1/users/{author.id}/activity")

    answer = ok(api.post(f"/api/v1/posts/{post['id']}/replies", user=helper,
                         json={"body": "Regardez la grille tarifaire."}), 201)
    in_home(api, author, answer["id"])  # the author watches their thread
    assert ok(api.put(f"/api/v1/me/muted/{post['id']}", user=author)) == {
        "post_id": post["id"], "muted": True}
    in_home(api, author, answer["id"], present=False)
    ok(api.delete(f"/api/v1/me/muted/{post['id']}", user=author))
    in_home(api, author, answer["id"])

    assert ok(api.put("/api/v1/me/following-tags/epargne", user=reader)) == {
        "tag": "epargne", "following": True}
    ok(api.put("/api/v1/me/following-categories/credit", user=reader))
    tagged = submit(api, helper, kind="discussion", title="Livret ou assurance-vie ?",
                    tags=["epargne"])
    in_home(api, reader, tagged["id"])
    assert ok(api.get("/api/v1/me/subscriptions", user=reader)) == {
        "members": [author.id], "threads": [], "tags": ["epargne"], "categories": ["credit"],
        "muted": []}
    ok(api.delete(f"/api/v1/me/following/{author.id}", user=reader))
    in_home(api, reader, post["id"], present=False)

    problem(api.put(f"/api/v1/me/following/{reader.id}", user=reader), 422)
    problem(api.put("/api/v1/me/following/nobody", user=reader), 404)
    problem(api.put("/api/v1/me/watching/p-nothing", user=reader), 404)
    # a tag breaking the rule is explained; one written with capitals and spaces is its slug
    rule = problem(api.put("/api/v1/me/following-tags/livret-123456", user=reader), 400)
    assert "au plus 4 chiffres" in rule["errors"]["tag"][0]  # the member's language
    assert ok(api.put("/api/v1/me/following-tags/%C3%89pargne%20Logement", user=reader)) == {
        "tag": "epargne-logement", "following": True}
    unknown = problem(api.put("/api/v1/me/following-categories/nowhere", user=reader), 404)
    assert "catégorie introuvable" in unknown["detail"]  # the reader's language: French
    problem(api.get("/api/v1/feeds/home"), 401)
    problem(api.get("/api/v1/feeds/public", params={"cursor": "@@not-ours@@"}), 400)


def test_rejected_and_deleted_items_disappear_from_every_feed(platform, api):
    author, reader, helper, manager = api.new_user(), api.new_user(), api.new_user(), \
        staff(platform)
    follow(api, reader, author)
    deleted = submit(api, author, title="Bientôt supprimé")
    flagged = submit(api, author, kind="discussion", title="Contenu douteux")
    visible(api, deleted["id"])
    visible(api, flagged["id"])
    answer = ok(api.post(f"/api/v1/posts/{deleted['id']}/replies", user=helper,
                         json={"body": "Une réponse"}), 201)
    in_home(api, reader, flagged["id"])
    in_home(api, author, answer["id"])
    ok(api.put(f"/api/v1/posts/{flagged['id']}/featured", user=manager))
    wait_for(lambda: flagged["id"] in feed_ids(api, "/api/v1/feeds/featured", limit=100))

    assert api.delete(f"/api/v1/posts/{deleted['id']}", user=author).status_code == 204
    for adviser in [staff(platform, "advisor") for _ in range(3)]:
        ok(api.post(f"/api/v1/posts/{flagged['id']}/flags", user=adviser,
                    json={"reason": "abusive"}), 201)
    item = queued(api, manager, flagged["id"])
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "reject", "reason_code": "abusive"}))
    gone = {deleted["id"], flagged["id"], answer["id"]}

    def everywhere():
        return set().union(home_ids(api, reader), home_ids(api, author),
                           feed_ids(api, "/api/v1/feeds/public", limit=100),
                           feed_ids(api, "/api/v1/feeds/featured", limit=100),
                           feed_ids(api, f"/api/v1/users/{author.id}/activity"),
                           feed_ids(api, f"/api/v1/users/{helper.id}/activity"))
    wait_for(lambda: not gone & everywhere(), timeout=20, message="removed from every feed")


def test_an_account_followed_beyond_the_threshold_costs_no_per_follower_write(
        platform, api, mongo_client):
    bank = staff(platform)  # the bank's official account
    followers = [api.new_user() for _ in range(3)]  # > FEEDS_PULL_THRESHOLD (2)
    for member in followers:
        follow(api, member, bank)
    article = submit(api, bank, kind="article", title="Nouveaux tarifs au 1er mars")
    visible(api, article["id"])
    for member in followers:
        in_home(api, member, article["id"])
    feeds_db = mongo_client[f"{platform.db_prefix}_feeds"]
    assert feeds_db.home_entries.count_documents({"item": article["id"]}) == 0
    assert feeds_db.sources.find_one({"_id": f"author:{bank.id}"})["pull"] is True


def test_replaying_feeds_from_the_event_log_gives_the_same_feeds(platform, api):
    bank, author, helper = staff(platform), api.new_user(), api.new_user()
    readers = [api.new_user() for _ in range(3)]
    for member in readers:
        follow(api, member, bank)
    follow(api, readers[0], author)
    ok(api.put("/api/v1/me/following-tags/replay-e2e", user=readers[1]))
    article = submit(api, bank, kind="article", title="Une annonce")
    question = submit(api, author, title="Une question", tags=["replay-e2e"])
    doomed = submit(api, author, kind="idea", title="Une idée retirée")
    for post in (article, question, doomed):
        visible(api, post["id"])
    answer = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=helper,
                         json={"body": "Une réponse"}), 201)
    api.delete(f"/api/v1/posts/{doomed['id']}", user=author)
    ok(api.put(f"/api/v1/posts/{question['id']}/featured", user=bank))
    wait_for(lambda: answer["id"] in home_ids(api, author)
             and doomed["id"] not in feed_ids(api, f"/api/v1/users/{author.id}/activity")
             and question["id"] in home_ids(api, readers[1])
             and question["id"] in feed_ids(api, "/api/v1/feeds/featured", limit=100),
             timeout=20, message="the feeds settled")

    def snapshot():
        return ([feed(api, "/api/v1/feeds/home", member, limit=100)
                 for member in (*readers, author, helper)],
                [feed(api, f"/api/v1/users/{member.id}/activity")
                 for member in (bank, author, helper)])
    before = snapshot()
    assert [len(page["items"]) for page in before[0]] == [2, 2, 1, 1, 0]
    result = platform.agora("replay", "feeds", timeout=120)
    assert result.returncode == 0, result.stderr
    assert '"projection": "feeds_views"' in result.stdout
    assert snapshot() == before
