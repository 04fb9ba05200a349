"""A new post's request path: its cursors move after the 201 (services/shared/projections.py,
`cursor_after_reply`), and the author reads the post at once all the same; once everything
settled, each stream's cursor stands at its last version and nothing was applied twice."""
from __future__ import annotations

import uuid

import pytest

from ..conftest import wait_for
from .steps import ok, visible

pytestmark = pytest.mark.e2e

POSTS = 6


def _title(post: dict) -> str | None:
    """The title the author sees: published, or their text waiting for moderation."""
    return post.get("title") or (post.get("draft") or {}).get("title")


def test_the_author_reads_each_new_post_at_once_and_the_read_models_settle_whole(
        platform, api, mongo_client):
    author = api.new_user()
    word = "rtw" + "".join(chr(97 + int(c, 16)) for c in uuid.uuid4().hex[:10])  # no digits
    created = []
    for n in range(POSTS):
        title = f"Plafond {word} {n}"
        post = ok(api.post("/api/v1/posts", user=author, json={
            "kind": "question", "title": title, "body": "Comment l'augmenter ?",
            "category": "cards", "tags": [word]}), 201)
        # the answer and the author's next read come from the read models, before the
        # cursors moved: the text is theirs to see (pending, or published if moderation won)
        assert _title(post) == title, post
        assert _title(ok(api.get(f"/api/v1/posts/{post['id']}", user=author))) == title
        created.append(post["id"])

    db = mongo_client[f"{platform.db_prefix}_posts"]
    for post_id in created:
        visible(api, post_id)

    def settled(post_id: str) -> bool:
        last = db.events.find_one({"stream_id": post_id}, sort=[("version", -1)])
        cursor = db["posts_views_cursors"].find_one({"_id": post_id}) or {}
        text_cursor = db["posts_views_cursors"].find_one({"_id": f"{post_id}.r1"}) or {}
        return (last is not None and cursor.get("version") == last["last_version"]
                and text_cursor.get("version") == 1)

    for post_id in created:
        wait_for(lambda post_id=post_id: settled(post_id), timeout=30,
                 message=f"the cursors of {post_id} at their streams' last versions")
    for post_id in created:
        document = db.posts.find_one({"_id": post_id})
        last = db.events.find_one({"stream_id": post_id}, sort=[("version", -1)])
        assert document["state"] == "published" and document["_v"] == last["last_version"]
        assert db.drafts.find_one({"target_id": post_id}) is None  # ruled on: no draft left
    tag = db.tag_counts.find_one({"_id": word})
    assert tag is not None and tag["count"] == POSTS  # each post counted once
