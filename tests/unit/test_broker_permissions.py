"""The broker users' permissions (services/shared/broker_permissions.py) against the code: every
queue and exchange a process declares, binds, reads or writes is allowed to it, and nothing of
another service's or private is."""
import re

import pytest

from gateway.service import GatewayService
from services.shared import broker_permissions as broker
from services.shared.config import available_processes, import_service
from services.shared.consumer import dead_letter_queue, handler_queue, retry_queue
from services.shared.outbox import private_exchange, public_exchange

pytestmark = pytest.mark.unit


def subscriptions(cls):
    """(source, event type, private, method) of every reliable_handler of a service class."""
    found = []
    for name in dir(cls):
        for entrypoint in getattr(getattr(cls, name), "nameko_entrypoints", ()):
            if type(entrypoint).__name__ == "ReliableEventHandler":
                found.append((entrypoint.source_service, entrypoint.event_type,
                              entrypoint.private, name))
    return found


def process_class(user):
    return GatewayService if user == broker.GATEWAY else import_service(user)


def test_every_process_has_a_broker_user():
    assert set(available_processes()) == {broker.GATEWAY, *broker.SERVICES}


def allowed(user, kind, name):
    return re.fullmatch(broker.permissions_for(user)[kind], name) is not None


@pytest.mark.parametrize("user", [broker.GATEWAY, *broker.SERVICES])
def test_each_process_may_do_what_its_code_does(user):
    handlers = subscriptions(process_class(user))
    exchanges = {(private_exchange if private else public_exchange)(source)
                 for source, _, private, _ in handlers}
    assert set(broker.SUBSCRIPTIONS[user]) == exchanges  # the table is the code's
    for source, event_type, private, method in handlers:
        queue = handler_queue(source, event_type, user, method)
        exchange = (private_exchange if private else public_exchange)(source)
        for name in (queue, retry_queue(queue, 1000), dead_letter_queue(user)):
            assert allowed(user, "configure", name) and allowed(user, "read", name), name
            assert allowed(user, "write", name), name  # queue.bind needs write on the queue
        assert allowed(user, "configure", exchange) and allowed(user, "read", exchange)
    assert allowed(user, "write", "amq.default")  # retries and dead letters
    assert allowed(user, "write", "nameko-rpc") and allowed(user, "read", "nameko-rpc")
    if user == broker.GATEWAY:
        assert allowed(user, "configure", "rpc.reply-gateway-4f6c0a1e-9b7d")
    else:
        assert allowed(user, "configure", f"rpc-{user}") and allowed(user, "read", f"rpc-{user}")
        for exchange in (public_exchange(user), private_exchange(user)):
            assert allowed(user, "write", exchange)  # the outbox relay publishes


@pytest.mark.parametrize("user", broker.SERVICES)
def test_no_process_touches_what_is_another_s(user):
    others = [s for s in broker.SERVICES if s != user]
    for other in others:
        for kind in ("configure", "write", "read"):
            assert not allowed(user, kind, f"rpc-{other}")
            assert not allowed(user, kind, f"{other}.dead-letters")
            assert not allowed(user, kind, f"evt-posts-posts.*--{other}.project")
        assert not allowed(user, "write", public_exchange(other))
        assert not allowed(user, "write", private_exchange(other))
    assert not allowed(user, "configure", "rpc.reply-gateway-1")
    assert not allowed(user, "read", "rpc.reply-gateway-1")


def test_bank_systems_read_public_exchanges_only():
    reader = broker.BANK_READER
    for service in broker.SERVICES:
        assert allowed(reader, "read", public_exchange(service))
        assert not allowed(reader, "read", private_exchange(service))
        assert not allowed(reader, "write", public_exchange(service))
        assert not allowed(reader, "configure", public_exchange(service))
    assert allowed(reader, "configure", "bank.crm-posts") and allowed(reader, "read", "bank.crm")
    for name in ("amq.default", "nameko-rpc", "rpc-posts", "posts.dead-letters",
                 "evt-posts-posts.*--feeds.on_posts_event"):
        assert not any(allowed(reader, kind, name) for kind in ("configure", "write", "read"))
    assert set(broker.all_permissions()) == {f"agora-{u}" for u in broker.USERS}


def test_the_live_channel_may_do_what_its_code_does():
    from gateway.live import SUBSCRIPTIONS as LIVE_BINDINGS
    from services.shared.live import live_exchange

    assert {exchange for exchange, _ in LIVE_BINDINGS} == set(broker.LIVE_EXCHANGES)
    queue = "gateway.live.pod-7.12.ab12cd34"
    for kind in ("configure", "write", "read"):  # declare, bind, consume its own queue
        assert allowed(broker.GATEWAY, kind, queue)
    for exchange in broker.LIVE_EXCHANGES:
        assert allowed(broker.GATEWAY, "configure", exchange)
        assert allowed(broker.GATEWAY, "read", exchange)
        assert not allowed(broker.GATEWAY, "write", exchange)
    for publisher in broker.LIVE_PUBLISHERS:
        assert allowed(publisher, "configure", live_exchange(publisher))
        assert allowed(publisher, "write", live_exchange(publisher))
    for service in broker.SERVICES:
        assert not allowed(service, "read", queue)
        if service not in broker.LIVE_PUBLISHERS:
            assert not allowed(service, "write", live_exchange("notifications"))
    assert not allowed(broker.BANK_READER, "read", live_exchange("notifications"))
