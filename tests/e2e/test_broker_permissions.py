"""The whole platform with one RabbitMQ user per process, each with only the permissions of
services/shared/broker_permissions.py (what k8s gives them), on a vhost of its own: every flow
still works end to end, and a bank system's read-only user reads public events but can neither
read a private exchange nor publish."""
from __future__ import annotations

import contextlib
import json
import tempfile
import uuid
from pathlib import Path

import pika
import pytest
from pika.exceptions import ChannelClosedByBroker

from services.shared import broker_permissions as broker

from ..conftest import AMQP_URI, RABBIT_MANAGEMENT_URI, wait_for
from .clients import LiveClient
from .conftest import Platform, _with_vhost, running
from .steps import customer_with_advisor, ok, staff, submit, visible


class RestrictedPlatform(Platform):
    """A platform whose processes each connect as their own least-privileged broker user,
    made as `make up` makes them (`broker_permissions.provision`)."""

    def __init__(self, workdir: Path):
        super().__init__(workdir)
        self.vhost, self.db_prefix = f"{self.vhost}-users", f"{self.db_prefix}u"
        self.amqp_uri = _with_vhost(AMQP_URI, self.vhost)
        self.users_file = workdir / "broker-users.json"
        self.uris: dict[str, str] = {}

    def prepare(self) -> None:
        super().prepare()
        # user names are broker-wide: prefixed with our vhost
        self.uris = broker.provision(self.amqp_uri, RABBIT_MANAGEMENT_URI, self.users_file,
                                     prefix=f"{self.vhost}-")
        self.process_env = {user: {"AMQP_URI": uri} for user, uri in self.uris.items()}

    def cleanup(self, mongo_client) -> None:
        with contextlib.suppress(OSError):
            broker.remove(RABBIT_MANAGEMENT_URI, self.users_file)
        super().cleanup(mongo_client)


@pytest.fixture(scope="module")
def restricted(mongo_client):
    platform = RestrictedPlatform(Path(tempfile.mkdtemp(prefix="agora-e2e-users-")))
    with running(platform, mongo_client):
        yield platform


def test_every_flow_works_with_one_least_privileged_user_per_process(restricted, mongo_client):
    api = restricted.api
    author, reader = api.new_user(), api.new_user()  # gateway -> identity (RPC)
    live = LiveClient(restricted.base_url, author)  # the gateway's own live queue
    live.wait("hello", "the live stream opened")
    post = submit(api, author, title="Can I pay by card abroad?",
                  body="Are there fees when I pay by card in Canada?")
    visible(api, post["id"])  # posts -> moderation (private exchange) -> posts
    ok(api.put(f"/api/v1/me/following/{author.id}", user=reader))  # feeds, identity events
    ok(api.put(f"/api/v1/posts/{post['id']}/vote", user=reader))
    reply = ok(api.post(f"/api/v1/posts/{post['id']}/replies", user=reader,
                        json={"body": "No fees in the euro zone; abroad, see the tariffs."}), 201)
    wait_for(lambda: any(n["type"] == "reply" for n in ok(api.get(
        "/api/v1/me/notifications", user=author))["items"]), timeout=30,
        message="notifications consumed posts' events")
    # notifications' live signal (notifications.live) reached the gateway's queue
    live.wait("notification", "a live notification")
    live.close()
    second = submit(api, author, title="And by cheque?", body="Is a cheque accepted abroad?")
    visible(api, second["id"])
    wait_for(lambda: second["id"] in [i["id"] for i in ok(api.get(
        "/api/v1/feeds/home", user=reader))["items"]], timeout=30, message="home feed")

    # conversations: identity's advisor assignment, a private message, an escalation
    conversations_db = mongo_client[f"{restricted.db_prefix}_conversations"]
    member, advisor = customer_with_advisor(restricted, api, conversations_db)
    cid = ok(api.post("/api/v1/conversations", user=member,
                      json={"subject": "Card blocked", "message": "My card is blocked."}),
             201)["id"]
    ok(api.get(f"/api/v1/conversations/{cid}", user=advisor))
    ok(api.get(f"/api/v1/replies/{reply['id']}"))

    # logging out reaches the gateway through identity.private (sessions revoked)
    ok(api.post("/api/v1/auth/logout", user=reader), 204)
    wait_for(lambda: api.get("/api/v1/me", user=reader).status_code == 401, timeout=10,
             message="revocation consumed by the gateway")
    cm = staff(restricted)
    ok(api.get("/api/v1/moderation/audit", user=cm))


def test_bank_systems_read_public_events_and_nothing_else(restricted):
    connection = pika.BlockingConnection(pika.URLParameters(
        restricted.uris[broker.BANK_READER]))
    try:
        channel = connection.channel()
        queue = f"bank.crm-{uuid.uuid4().hex[:8]}"
        channel.queue_declare(queue, exclusive=True)
        channel.queue_bind(queue, "identity.events", "identity.#")
        api = restricted.api
        user = api.new_user()
        body = wait_for(lambda: _first(channel, queue), timeout=20, message="identity event")
        assert body["payload"]["user_id"] == user.id

        for forbidden in (lambda ch: ch.queue_bind(queue, "identity.private", "#"),
                          lambda ch: ch.queue_declare(f"crm-{uuid.uuid4().hex[:6]}"),
                          lambda ch: ch.exchange_declare("posts.events", "topic",
                                                         durable=True),
                          lambda ch: ch.basic_get("rpc-identity")):
            probe = connection.channel()
            with pytest.raises(ChannelClosedByBroker) as refused:
                forbidden(probe)
            assert refused.value.reply_code == 403  # ACCESS_REFUSED
        probe = connection.channel()
        probe.confirm_delivery()
        with pytest.raises(ChannelClosedByBroker) as refused:
            probe.basic_publish("identity.events", "identity.user_registered", b"{}")
        assert refused.value.reply_code == 403
    finally:
        with contextlib.suppress(Exception):
            connection.close()


def _first(channel, queue):
    method, _, body = channel.basic_get(queue, auto_ack=True)
    return json.loads(body) if method else None
