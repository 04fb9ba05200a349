"""`agora_outbox_backlog` tells the truth while the relay cannot publish.

The alerts AgoraOutboxBacklogGrowing/High read this gauge. It used to be set only by a relay pass
that worked, so a broker that refused or was gone froze it (at 0, usually) while commits piled
up — pods Ready, no alert. It is now counted when Prometheus scrapes.
"""
import pytest
from prometheus_client import REGISTRY

from services.shared.envelope import CommandContext, NewEvent
from services.shared.outbox import OutboxRelay, PublishNotConfirmed

from ...chaos.infra import PrivateBroker
from . import sample  # noqa: F401 - registers the ledger payload schemas

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


def _scraped_backlog() -> float:
    """What /metrics serves (the process-wide registry, collected as a scrape does)."""
    return REGISTRY.get_sample_value("agora_outbox_backlog", {"service": "ledger"})


def _deposit(store, cents: int) -> None:
    store.append("acc-1", store.stream_version("acc-1"),
                 [NewEvent("ledger.deposited", {"cents": cents, "currency": "EUR"})],
                 CommandContext(actor="tester"))


def test_the_backlog_gauge_counts_what_waits_while_the_relay_cannot_publish(
        store, private_broker):
    relay = OutboxRelay(store, private_broker.uri)
    _deposit(store, 1)
    assert relay.drain() == 1
    assert _scraped_backlog() == 0

    private_broker.stop()  # as good as a disk alarm for the relay: nothing gets confirmed
    for cents in (2, 3, 4):
        _deposit(store, cents)
    with pytest.raises(PublishNotConfirmed):
        relay.relay_once()
    assert _scraped_backlog() == 3
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
    assert _scraped_backlog() == 2
    assert holder.drain() == 2
    assert _scraped_backlog() == 0
    holder.release_lease()
    holder.close()
    waiting.close()

