"""`agora_outbox_backlog` tells the truth while the relay cannot publish.

The alerts AgoraOutboxBacklogGrowing/High read this gauge. It used to be set only by a relay pass
that worked, so a broker that refused or was gone froze it (at 0, usually) while commits piled
up — pods Ready, no alert. It is now counted by a loop of its own (`refresh_backlog_forever`),
whatever the passes do — and not when Prometheus scrapes: a count with MongoDB unreachable
blocks for the driver's server selection timeout (5 s), the scrape times out and every metric
of the process is lost. A scrape reads the last count, and its age.
"""
import socket
import time

import pytest
from prometheus_client import REGISTRY, generate_latest

from services.shared.envelope import CommandContext, NewEvent
from services.shared.event_store import EventStore
from services.shared.mongo import release_client, shared_client
from services.shared.outbox import OutboxRelay, PublishNotConfirmed

from ...chaos.infra import PrivateBroker
from ...conftest import wait_for
from . import sample  # noqa: F401 - registers the ledger payload schemas
from .sample import LedgerService

pytestmark = pytest.mark.integration


@pytest.fixture
def private_broker(tmp_path):
    """A broker of this test's own, which it stops (the shared one is never touched)."""
    if not PrivateBroker.available():
        pytest.fail("no rabbitmq-server installed")
    broker = PrivateBroker(tmp_path)
    broker.start()
    yield broker
    broker.stop()


def _scraped_backlog(relay: OutboxRelay) -> float:
    """What /metrics serves (the process-wide registry, collected as a scrape does) once the
    relay's backlog loop counted."""
    relay.refresh_backlog()
    return REGISTRY.get_sample_value("agora_outbox_backlog", {"service": relay.service})


def _deposit(store, cents: int) -> None:
    store.append("acc-1", store.stream_version("acc-1"),
                 [NewEvent("ledger.deposited", {"cents": cents, "currency": "EUR"})],
                 CommandContext(actor="tester"))


def test_the_backlog_gauge_counts_what_waits_while_the_relay_cannot_publish(
        store, private_broker):
    relay = OutboxRelay(store, private_broker.uri)
    _deposit(store, 1)
    assert relay.drain() == 1
    assert _scraped_backlog(relay) == 0

    private_broker.stop()  # as good as a disk alarm for the relay: nothing gets confirmed
    for cents in (2, 3, 4):
        _deposit(store, cents)
    with pytest.raises(PublishNotConfirmed):
        relay.relay_once()
    assert _scraped_backlog(relay) == 3
    relay.close()


def test_a_replica_without_the_lease_reports_the_backlog_too(store, rabbit_config):
    """Each pod of a service reports the gauge (`max by (service)` in the alerts): one whose relay
    lost the lease, or never had it, must not report a stale 0."""
    holder = OutboxRelay(store, rabbit_config["AMQP_URI"], owner="pod-a", lease_seconds=600)
    assert holder.holds_lease()
    waiting = OutboxRelay(store, rabbit_config["AMQP_URI"], owner="pod-b", lease_seconds=600)
    _deposit(store, 1)
    _deposit(store, 2)
    assert waiting.relay_once() == 0  # the lease is pod-a's
    assert _scraped_backlog(waiting) == 2
    assert holder.drain() == 2
    assert _scraped_backlog(waiting) == 0
    holder.release_lease()
    holder.close()
    waiting.close()



def _sample(name: str, service: str) -> float:
    return REGISTRY.get_sample_value(name, {"service": service})


def test_a_scrape_shows_the_count_and_how_old_it_is(store, rabbit_config):
    relay = OutboxRelay(store, rabbit_config["AMQP_URI"])
    _deposit(store, 1)
    _deposit(store, 2)
    assert _sample("agora_outbox_backlog", "ledger") == 0  # not counted yet: a scrape reads
    relay.refresh_backlog()
    assert _sample("agora_outbox_backlog", "ledger") == 2
    age = _sample("agora_outbox_backlog_age_seconds", "ledger")
    assert 0 <= age < 60  # (it grows until the next count; 60 s: a bound no count nears)
    relay.close()


def test_a_scrape_answers_at_once_while_mongodb_is_unreachable():
    """The service's own client (`shared_client`: serverSelectionTimeoutMS=5000) towards a
    port nobody listens on. The backlog loop's count fails after the 5 s it waits for a server;
    a scrape meanwhile or after reads the last count (0) and its age, without a command.

    The 2 s bound cannot fail by load: the scrape does no I/O (a few gauges' functions and the
    text format, milliseconds), and the code that counted at scrape time could not pass it:
    server selection waits its full 5 s for an unreachable server, however fast the machine."""
    with socket.socket() as probe:  # a free port, closed again: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    uri = f"mongodb://127.0.0.1:{port}/"
    client = shared_client(uri)
    try:
        relay = OutboxRelay(EventStore(client["agora_unreachable"], "unreachable"),
                            "amqp://guest:guest@127.0.0.1:1/")
        started = time.monotonic()
        metrics_text = generate_latest(REGISTRY).decode()
        assert time.monotonic() - started < 2.0
        assert 'agora_outbox_backlog{service="unreachable"} 0.0' in metrics_text
        assert 'agora_outbox_backlog_age_seconds{service="unreachable"}' in metrics_text

        relay.refresh_backlog()  # the loop's count: it waits for a server, then keeps the last
        assert _sample("agora_outbox_backlog", "unreachable") == 0
        # never counted: the age runs from the relay's start, past the 5 s the count waited
        assert _sample("agora_outbox_backlog_age_seconds", "unreachable") >= 5.0
        started = time.monotonic()
        generate_latest(REGISTRY)
        assert time.monotonic() - started < 2.0
        relay.close()
    finally:
        release_client(uri)


def test_a_running_service_counts_its_backlog_by_itself(container_factory, service_config,
                                                        mongo_client):
    """The service's `EventStoreProvider` runs the backlog loop: no pass publishes here
    (another pod holds the lease), yet the scrape shows what waits."""
    db = mongo_client[f"{service_config['MONGO_DB_PREFIX']}_ledger"]
    here = EventStore(db, "ledger")
    here.ensure_indexes()
    other_pod = OutboxRelay(here, service_config["AMQP_URI"], owner="pod-a", lease_seconds=600)
    assert other_pod.holds_lease()
    _deposit(here, 1)
    _deposit(here, 2)
    container = container_factory(LedgerService, service_config)
    container.start()  # its relay is the gauge's now (the last one made for "ledger")
    wait_for(lambda: _sample("agora_outbox_backlog", "ledger") == 2, timeout=30,
             message="the service's backlog loop counted the two commits")
    assert _sample("agora_outbox_backlog_age_seconds", "ledger") < 60
    other_pod.release_lease()
    other_pod.close()
