"""Identity, posts, moderation and feeds in nameko containers against the real broker and database.

Shared by tests/integration/feeds and tests/integration/notifications (which adds its service):
members are registered for real (identity publishes them), posts go through moderation.
"""
from __future__ import annotations

import uuid

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.utils import find_free_port

from services.feeds.service import FeedsService
from services.identity.keys import generate_keypair
from services.identity.service import IdentityService
from services.moderation.service import ModerationService
from services.posts.service import PostsService

from ...conftest import wait_for
from ..posts import fixtures as posts_fixtures

THRESHOLD = 2  # sources with more subscribers than this are merged on read
CAP = 6        # entries kept per home window


@pytest.fixture
def stack_config(service_config, tmp_path):
    private_key, _ = generate_keypair(tmp_path / "keys")
    return {**service_config,
            "AGORA": {**service_config["AGORA"], "sla_site_seconds": 3600},
            "IDENTITY": {"private_key_file": str(private_key), "argon2_memory_kib": 8192,
                         "argon2_time_cost": 1},
            "FEEDS": {"pull_threshold": THRESHOLD, "home_cap": CAP, "backfill": 3}}


def start(container_factory, config, *services):
    for service in services:
        container = container_factory(
            service, {**config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}"})
        container.start()


@pytest.fixture
def stack(container_factory, stack_config):
    start(container_factory, stack_config, IdentityService, PostsService, ModerationService,
          FeedsService)
    return stack_config


class Rpc:
    """One RPC proxy per service, opened on first use."""

    def __init__(self, config):
        self.config = config
        self._proxies = {}

    def __getattr__(self, service):
        if service.startswith("_"):
            raise AttributeError(service)
        if service not in self._proxies:
            runner = ServiceRpcProxy(service, self.config, timeout=20)
            self._proxies[service] = (runner, runner.start())
        return self._proxies[service][1]

    def stop(self):
        for runner, _ in self._proxies.values():
            runner.stop()


@pytest.fixture
def rpc(stack):
    client = Rpc(stack)
    yield client
    client.stop()


def register(rpc, name: str | None = None, roles=(), email: str | None = None):
    """A registered member as an actor dict (roles are the actor's, as the gateway sets them)."""
    name = name or f"Member {uuid.uuid4().hex[:6]}"
    email = email or f"{uuid.uuid4().hex[:10]}@example.org"
    password = "integration passphrase here"
    received = rpc.identity.register({"email": email, "password": password,
                                      "display_name": name})
    # the answer is the same for a new and a taken address (no id): the login tells it
    user_id = rpc.identity.login(email, password)["user_id"]
    return {"id": user_id, "roles": ["member", *roles], "name": name,
            "email": received["email"]}


def admin_actor(config, user_id: str = "admin-integration") -> dict:
    """An admin actor whose session proved its second factor just now: role and advisor
    changes need that (identity's step-up); set up in identity's store as a login would."""
    from services.shared.envelope import utc_now
    from services.shared.mongo import database_name, mongo_uri, shared_client

    db = shared_client(mongo_uri(config))[database_name(config, "identity")]
    session_id = uuid.uuid4().hex
    db.sessions.insert_one({"_id": session_id, "user_id": user_id,
                            "second_factor_at": utc_now()})
    return {"id": user_id, "roles": ["member", "admin"], "sid": session_id}


def actor(member):
    return {"id": member["id"], "roles": member["roles"]}


def follow(rpc, follower, followee):
    """Follow once feeds knows the followee (identity's event is projected: before, 404)."""
    def attempt():
        try:
            return rpc.feeds.follow(actor(follower), followee["id"], True)
        except Exception as error:
            if "NotFound" not in repr(error):
                raise
            return None
    return wait_for(attempt, message=f"{follower['id']} follows {followee['id']}")


def post(rpc, author, kind="question", **fields):
    data = {"kind": kind, "title": fields.pop("title", f"A {kind} about cards"),
            "body": fields.pop("body", "How do I raise my card's payment limit?"),
            "category": posts_fixtures.ensure_category(rpc.posts, fields.pop("category", "cards")),
            **fields}
    created = rpc.posts.create_post(actor(author), data)
    return created["id"]


def published(rpc, post_id):
    posts_fixtures.published(rpc.posts, post_id)
    return post_id


def reply(rpc, author, post_id, body="Try the app, Cards section."):
    reply_id = rpc.posts.add_reply(actor(author), post_id, {"body": body})["id"]
    posts_fixtures.reply_published(rpc.posts, reply_id)
    return reply_id


def ids(page):
    return [item["id"] for item in page["items"]]


def home_ids(rpc, member, **query):
    return ids(rpc.feeds.home(actor(member), query or None))


def in_home(rpc, member, item_id, present=True, **query):
    return wait_for(lambda: (item_id in home_ids(rpc, member, **query)) == present,
                    message=f"{item_id} {'in' if present else 'out of'} {member['id']}'s home")
