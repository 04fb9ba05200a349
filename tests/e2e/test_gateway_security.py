"""Security properties of the gateway seen from outside: ids of another kind never reach a
store, responses are not cached and not sniffed, probes never look at credentials."""
from __future__ import annotations

import uuid

import pytest

from services.shared import ids

from ..conftest import wait_for
from .test_posts_flow import ok, problem, staff, submit, visible


@pytest.fixture(scope="module")
def published_post(platform):
    api = platform.api
    author = api.new_user()
    post = submit(api, author, title="Is my savings account taxed?",
                  body="I would like to know how interest is taxed.")
    visible(api, post["id"])
    reply = ok(api.post(f"/api/v1/posts/{post['id']}/replies", user=author,
                        json={"body": "Same question for a joint account."}), 201)
    wait_for(lambda: api.get(f"/api/v1/replies/{reply['id']}").status_code == 200,
             timeout=20, message="reply published")
    return post["id"], reply["id"], author


def test_ids_naming_another_stream_are_404_never_502(platform, api, published_post):
    post_id, reply_id, author = published_post
    voter, cm = api.new_user(), staff(platform)
    other_kinds = [f"{post_id}.r1", f"{post_id}.flags", f"vote.{post_id}.{voter.id}",
                   f"{reply_id}.r1", f"user-{author.id}", f"conv-{uuid.uuid4().hex}",
                   post_id.upper(), f"{post_id}x", "policy", f"member.{author.id}"]
    for wrong in other_kinds:
        for method, path, user, body in [
                ("PUT", f"/api/v1/posts/{wrong}/vote", voter, None),
                ("PUT", f"/api/v1/replies/{wrong}/vote", voter, None),
                ("GET", f"/api/v1/posts/{wrong}", None, None),
                ("GET", f"/api/v1/replies/{wrong}/history", None, None),
                ("POST", f"/api/v1/posts/{wrong}/replies", voter, {"body": "hello there"}),
                ("POST", f"/api/v1/posts/{wrong}/flags", voter, {"reason": "spam"}),
                ("POST", f"/api/v1/replies/{wrong}/flags", voter, {"reason": "spam"}),
                ("PUT", f"/api/v1/me/watching/{wrong}", voter, None),
                ("PUT", f"/api/v1/me/following/{wrong}", voter, None),
                ("GET", f"/api/v1/users/{wrong}", None, None),
                ("GET", f"/api/v1/users/{wrong}/activity", None, None),
                ("GET", f"/api/v1/conversations/{wrong}", voter, None),
                ("POST", f"/api/v1/posts/{post_id}/merge-into/{wrong}", cm, None),
                ("PUT", f"/api/v1/users/{wrong}/roles", platform.admin, {"roles": []}),
                ("GET", f"/api/v1/moderation/members/{wrong}/notes", cm, None),
                ("POST", f"/api/v1/moderation/items/{wrong}/decision", cm,
                 {"decision": "approve"})]:
            if "/moderation/items/" in path and ids.MODERATION_ITEM.matches(wrong):
                continue  # `<post>.r1` is what a review item is called
            response = api.request(method, path, user=user, json=body)
            problem(response, 404)
    # the real ones still work, and a moderation item id is exactly `<target>.r<n>|.flags`
    ok(api.put(f"/api/v1/posts/{post_id}/vote", user=voter))
    ok(api.put(f"/api/v1/replies/{reply_id}/vote", user=voter))
    problem(api.get(f"/api/v1/moderation/items/{post_id}.r1", user=cm), 404)  # approved: gone
    problem(api.put(f"/api/v1/users/{author.id}/advisor", user=platform.admin,
                    json={"advisor_id": f"user-{cm.id}", "branch": "Lyon"}), 400)


def test_openapi_documents_the_shape_of_every_path_id(api):
    document = ok(api.get("/api/v1/openapi.json"))
    for path, operations in document["paths"].items():
        for operation in operations.values():
            for parameter in operation["parameters"]:
                if parameter["in"] == "path":
                    assert parameter["schema"].get("pattern"), (path, parameter)
