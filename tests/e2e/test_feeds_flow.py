"""Feeds through the gateway against the running processes."""
from __future__ import annotations

from ..conftest import wait_for
from .test_posts_flow import ok, problem, submit, visible


def home(api, user, **params):
    return ok(api.get("/api/v1/feeds/home", user=user, params=params or None))


def home_ids(api, user, **params):
    return [item["id"] for item in home(api, user, **params)["items"]]


def test_following_a_member_brings_their_posts_home(platform, api):
    author, reader = api.new_user(), api.new_user()
    following = ok(api.put(f"/api/v1/me/following/{author.id}", user=reader))
    assert following == {"user_id": author.id, "following": True}
    post = submit(api, author, title="Frais de tenue de compte ?")
    visible(api, post["id"])
    wait_for(lambda: post["id"] in home_ids(api, reader), message="post in home feed")
    problem(api.put(f"/api/v1/me/following/{reader.id}", user=reader), 422)
    problem(api.put("/api/v1/me/following/nobody", user=reader), 404)
    problem(api.get("/api/v1/feeds/home"), 401)
    problem(api.put("/api/v1/me/following-tags/Not%20a%20tag", user=reader), 404)
