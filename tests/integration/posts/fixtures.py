"""Posts and moderation in nameko containers against the real broker and database.

Shared by tests/integration/posts and tests/integration/moderation (their conftest imports it):
both services run, since the moderation round trip is what publishes a post.
"""
from __future__ import annotations

import uuid

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.utils import find_free_port

from services.moderation.service import ModerationService
from services.posts.service import PostsService

from ...conftest import wait_for

IBAN = "FR76 3000 6000 0112 3456 7890 189"


def member(name: str | None = None, *roles: str) -> dict:
    return {"id": name or f"m-{uuid.uuid4().hex[:8]}", "roles": ["member", *roles]}


def cm(name: str = "cm-1") -> dict:
    return member(name, "community_manager")


def advisor(name: str = "adv-1") -> dict:
    return member(name, "advisor")


@pytest.fixture
def platform(container_factory, service_config):
    """Both services running; returns the config their RPC proxies need."""
    config = {**service_config, "AGORA": {**service_config["AGORA"],
                                          "sla_site_seconds": 3600}}
    for service in (PostsService, ModerationService):
        container = container_factory(
            service, {**config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}"})
        container.start()
    return config


@pytest.fixture
def posts(platform):
    with ServiceRpcProxy("posts", platform, timeout=15) as proxy:
        yield proxy


@pytest.fixture
def moderation(platform):
    with ServiceRpcProxy("moderation", platform, timeout=15) as proxy:
        yield proxy


def new_post(posts, actor, kind="question", **fields):
    data = {"kind": kind, "title": fields.pop("title", f"A {kind} about cards"),
            "body": fields.pop("body", "How do I raise my card's payment limit?"),
            "category": fields.pop("category", "cards"), **fields}
    return posts.create_post(actor, data)


def published(posts, post_id, viewer=None, timeout=15.0):
    """Wait until `post_id` is visible to an anonymous reader (or `viewer`); return it."""
    def visible():
        try:
            post = posts.get_post(viewer, post_id)
        except Exception:
            return None
        return post if post["state"] == "published" else None
    return wait_for(visible, timeout=timeout, message=f"post {post_id} published")


def reply_published(posts, reply_id, viewer=None):
    def visible():
        try:
            reply = posts.get_reply(viewer, reply_id)
        except Exception:
            return None
        return reply if reply["state"] == "published" else None
    return wait_for(visible, message=f"reply {reply_id} published")


def held_item(moderation, target_id, actor=None):
    def find():
        items = moderation.queue(actor or cm(), {"limit": 200})["items"]
        return next((item for item in items if item["target_id"] == target_id), None)
    return wait_for(find, message=f"{target_id} in the moderation queue")
