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
    return {"id": name or uuid.uuid4().hex, "roles": ["member", *roles]}


def cm(name: str = "cm-1") -> dict:
    return member(name, "community_manager")


def advisor(name: str = "adv-1") -> dict:
    return member(name, "advisor")


@pytest.fixture
def platform(request, container_factory, service_config):
    """Both services running; returns the config their RPC proxies need. Settings of the
    `AGORA` section can be given by indirect parametrization (`sla_site_seconds`...)."""
    config, _ = started(request, container_factory, service_config)
    return config


def started(request, container_factory, service_config):
    """`platform`'s config, and its running containers by service class (for a test that
    reaches into one, as `posts_store` does)."""
    config = {**service_config, "AGORA": {**service_config["AGORA"], "sla_site_seconds": 3600,
                                          **getattr(request, "param", {})}}
    containers = {}
    for service in (PostsService, ModerationService):
        containers[service] = container_factory(
            service, {**config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}"})
        containers[service].start()
    return config, containers


@pytest.fixture
def posts(platform):
    with ServiceRpcProxy("posts", platform, timeout=15) as proxy:
        yield proxy


@pytest.fixture
def moderation(platform):
    with ServiceRpcProxy("moderation", platform, timeout=15) as proxy:
        yield proxy


ADMIN = {"id": "admin-1", "roles": ["member", "admin"]}


def ensure_category(posts, slug):
    """Posts name an existing category: create it (the same creation again is a no-op)."""
    posts.create_category(ADMIN, {"slug": slug, "name": {"fr": slug, "en": slug}})
    return slug


def new_post(posts, actor, kind="question", **fields):
    data = {"kind": kind, "title": fields.pop("title", f"A {kind} about cards"),
            "body": fields.pop("body", "How do I raise my card's payment limit?"),
            "category": ensure_category(posts, fields.pop("category", "cards")), **fields}
    return posts.create_post(actor, data)


def _visible(read, what, target_id, timeout=15.0):
    def check():
        try:
            found = read(target_id)
        except Exception:
            return None
        return found if found["state"] == "published" else None
    return wait_for(check, timeout=timeout, message=f"{what} {target_id} published")


def published(posts, post_id, viewer=None, timeout=15.0):
    """Wait until `post_id` is visible to an anonymous reader (or `viewer`); return it."""
    return _visible(lambda i: posts.get_post(viewer, i), "post", post_id, timeout)


def authors_vote_counted(posts, idea_id, author):
    """An idea starts with its author's vote, cast once it is published (the own-vote rule)."""
    return wait_for(lambda: posts.get_post(author, idea_id)["my_vote"], timeout=15,
                    message=f"idea {idea_id} counts its author's vote")


def reply_published(posts, reply_id, viewer=None):
    return _visible(lambda i: posts.get_reply(viewer, i), "reply", reply_id)


def public_subscriber(amqp_uri):
    """What another bank system sees: every message on the PUBLIC exchanges of posts and
    moderation. Returns (received() -> list of bodies, close())."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    queue = channel.queue_declare("", exclusive=True).method.queue
    for exchange in ("posts.events", "moderation.events"):
        channel.exchange_declare(exchange, "topic", durable=True)
        channel.queue_bind(queue, exchange, routing_key="#")

    def received():
        bodies = []
        while True:
            method, _, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                return bodies
            bodies.append(body.decode())
    return received, connection.close


def held_item(moderation, target_id, actor=None):
    def find():
        items = moderation.queue(actor or cm(), {"limit": 200})["items"]
        return next((item for item in items if item["target_id"] == target_id), None)
    return wait_for(find, message=f"{target_id} in the moderation queue")
