"""The outbox relay publishes every commit, confirmed and persistent, to the right exchange."""
import json

import pika
import pytest

from services.shared.envelope import CommandContext, NewEvent
from services.shared.outbox import OutboxRelay
from services.shared.recorders import PUBLISHED_BATCHES

from ...conftest import wait_for
from . import sample  # noqa: F401 - registers the ledger payload schemas

pytestmark = pytest.mark.integration


@pytest.fixture
def subscriber(rabbit_config):
    """What another bank system does: its own queue bound to our exchanges, with pika."""
    connection = pika.BlockingConnection(pika.URLParameters(rabbit_config["AMQP_URI"]))
    channel = connection.channel()
    queues = {}
    for exchange in ("ledger.events", "ledger.private"):
        channel.exchange_declare(exchange, "topic", durable=True)
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(queue, exchange, routing_key="ledger.#")
        queues[exchange] = queue

    def received(exchange):
        messages = []
        while True:
            method, properties, body = channel.basic_get(queues[exchange], auto_ack=True)
            if method is None:
                return messages
            messages.append((method, properties, json.loads(body)))

    yield received
    connection.close()


def test_pending_commits_are_published_persistent_and_marked(store, subscriber, rabbit_config):
    commits = [store.append(f"acc-{n}", 0, [NewEvent("ledger.deposited",
                                                      {"cents": n, "currency": "EUR"})],
                            CommandContext(correlation_id=f"req-{n}")) for n in range(5)]
    relay = OutboxRelay(store, rabbit_config["AMQP_URI"], batch_size=2)
    assert relay.drain() == 5
    assert store.backlog() == 0
    messages = subscriber("ledger.events")
    assert [body["stream_id"] for _, _, body in messages] == [f"acc-{n}" for n in range(5)]
    method, properties, body = messages[0]
    assert method.routing_key == "ledger.deposited"
    assert properties.delivery_mode == 2 and properties.content_type == "application/json"
    assert properties.message_id == body["id"] == commits[0].events[0].id
    assert properties.headers["nameko.correlation_id"] == "req-0"
    assert relay.drain() == 0  # nothing is published twice once marked
    relay.close()


def test_private_events_never_reach_the_public_exchange(store, subscriber, rabbit_config):
    store.append("acc-1", 0, [NewEvent("ledger.secret_noted", {"note_id": "n1"})],
                 CommandContext())
    store.append("acc-2", 0, [NewEvent("ledger.deposited", {"cents": 1, "currency": "EUR"})],
                 CommandContext())
    relay = OutboxRelay(store, rabbit_config["AMQP_URI"])
    relay.drain()
    relay.close()
    assert [b["type"] for _, _, b in subscriber("ledger.events")] == ["ledger.deposited"]
    assert [b["type"] for _, _, b in subscriber("ledger.private")] == ["ledger.secret_noted"]


def test_one_relay_per_service_holds_the_lease(store, subscriber, rabbit_config):
    first = OutboxRelay(store, rabbit_config["AMQP_URI"], owner="pod-a", lease_seconds=30)
    second = OutboxRelay(store, rabbit_config["AMQP_URI"], owner="pod-b", lease_seconds=30)
    store.append("acc-1", 0, [NewEvent("ledger.deposited", {"cents": 1, "currency": "EUR"})],
                 CommandContext())
    assert first.relay_once() == 1
    store.append("acc-2", 0, [NewEvent("ledger.deposited", {"cents": 1, "currency": "EUR"})],
                 CommandContext())
    assert second.relay_once() == 0 and store.backlog() == 1
    first.release_lease()  # a stopping pod hands over at once
    assert second.relay_once() == 1
    assert len(subscriber("ledger.events")) == 2
    first.close()
    second.close()


def test_a_commit_that_becomes_visible_late_is_still_published(store, subscriber,
                                                              rabbit_config):
    """A writer took position p, stalled, and inserted after later commits were published."""
    late_position = store._next_position()
    for n in range(3):
        store.append(f"acc-{n}", 0, [NewEvent("ledger.deposited",
                                              {"cents": n, "currency": "EUR"})], CommandContext())
    relay = OutboxRelay(store, rabbit_config["AMQP_URI"])
    assert relay.relay_once() == 3
    late = store.append("acc-late", 0, [NewEvent("ledger.deposited",
                                                 {"cents": 9, "currency": "EUR"})],
                        CommandContext())
    store.events.update_one({"_id": late.id}, {"$set": {"position": late_position}})
    assert relay.drain() == 1  # found by the idle sweep from position 0
    assert [b["stream_id"] for _, _, b in subscriber("ledger.events")][-1] == "acc-late"
    assert store.backlog() == 0 and store.pending() == []
    relay.close()


def test_a_new_relay_folds_what_a_dead_one_journaled_without_publishing_it_again(
        store, subscriber, rabbit_config):
    store.append("acc-1", 0, [NewEvent("ledger.deposited", {"cents": 1, "currency": "EUR"})],
                 CommandContext())
    dead = OutboxRelay(store, rabbit_config["AMQP_URI"], owner="pod-a", lease_seconds=0.01,
                       mark_at_once=0)  # journals even a batch of one
    assert dead.relay_once() == 1  # published and journaled, then the pod dies before folding
    assert store.pending() != [] and store.backlog() == 0
    successor = OutboxRelay(store, rabbit_config["AMQP_URI"], owner="pod-b")
    wait_for(successor.holds_lease, message="the dead relay's lease to expire")
    assert successor.drain() == 0
    assert store.pending() == [] and len(subscriber("ledger.events")) == 1
    dead.close()
    successor.close()


def test_a_small_batch_is_marked_at_once_and_a_large_one_journaled(store, subscriber,
                                                                   rabbit_config):
    def deposits(count, first):
        for n in range(first, first + count):
            store.append(f"acc-{n}", 0, [NewEvent("ledger.deposited",
                                                  {"cents": n, "currency": "EUR"})],
                         CommandContext())

    relay = OutboxRelay(store, rabbit_config["AMQP_URI"], mark_at_once=3)
    deposits(3, 0)
    assert relay.relay_once() == 3
    journal = store.db[PUBLISHED_BATCHES]
    assert store.pending() == [] and journal.count_documents({}) == 0  # marked, not journaled
    deposits(4, 3)
    assert relay.relay_once() == 4
    assert len(store.pending()) == 4 and journal.count_documents({}) == 1 and store.backlog() == 0
    assert relay.relay_once() == 0  # idle: folds the journal
    assert store.pending() == [] and journal.count_documents({}) == 0
    assert len(subscriber("ledger.events")) == 7
    relay.close()


def test_a_relay_that_takes_the_lease_over_folds_what_the_last_holder_journaled(
        store, subscriber, rabbit_config):
    second = OutboxRelay(store, rabbit_config["AMQP_URI"], owner="pod-b")
    assert second.relay_once() == 0  # started, folded an empty journal: nothing to fold
    second.release_lease()
    first = OutboxRelay(store, rabbit_config["AMQP_URI"], owner="pod-a", mark_at_once=0)
    store.append("acc-1", 0, [NewEvent("ledger.deposited", {"cents": 1, "currency": "EUR"})],
                 CommandContext())
    assert first.relay_once() == 1  # published and journaled, not marked
    first.release_lease()
    assert second.relay_once() == 0  # the journal is folded, so nothing goes out again
    assert store.pending() == [] and len(subscriber("ledger.events")) == 1
    first.close()
    second.close()


def test_a_lease_is_renewed_at_most_every_third_of_its_length_and_released_for_good(
        store, subscriber, rabbit_config):
    from services.shared.outbox import LEASES

    def deposit(n):
        store.append(f"acc-{n}", 0, [NewEvent("ledger.deposited",
                                              {"cents": n, "currency": "EUR"})], CommandContext())

    first = OutboxRelay(store, rabbit_config["AMQP_URI"], owner="pod-a", lease_seconds=600)
    second = OutboxRelay(store, rabbit_config["AMQP_URI"], owner="pod-b", lease_seconds=600)
    deposit(1)
    assert first.relay_once() == 1
    renewed = store.db[LEASES].find_one({"_id": store.service})["expires_at"]
    deposit(2)
    assert first.relay_once() == 1  # within a third of the lease: published without renewing
    assert store.db[LEASES].find_one({"_id": store.service})["expires_at"] == renewed
    first.release_lease()
    deposit(3)
    assert second.relay_once() == 1  # the lease changed hands
    deposit(4)
    assert first.relay_once() == 0  # released: it asks again, and another relay holds it
    assert second.relay_once() == 1
    assert [b["stream_id"] for _, _, b in subscriber("ledger.events")] == [
        f"acc-{n}" for n in range(1, 5)]
    first.close()
    second.close()


def _deposit(store, stream, cents, version=0):
    return store.append(stream, version, [NewEvent("ledger.deposited", {
        "cents": cents, "currency": "EUR"})], CommandContext())


def _pending_reads(sent):
    return [one for one in sent.matching("find", "events")
            if "pending" in one.command.get("filter", {})]


def _received(stream, version):
    from services.shared.envelope import Envelope

    return Envelope.new(NewEvent("ledger.deposited", {"cents": 1, "currency": "EUR"}),
                        stream_id=stream, stream_version=version, context=CommandContext(),
                        schema_version=1)


def test_what_this_process_stored_is_published_without_reading_the_log(
        processes, subscriber, rabbit_config):
    """Its commands' commits and, between them, events it received (another store of the
    same process records those, as a service's projection does): every position after the
    last one published is its own, so the pending commits are known without a read."""
    from services.shared.event_store import EventStore

    here, sent, there = processes
    projection_store = EventStore(here.db, "ledger")  # the process's second store, one client
    relay = OutboxRelay(here, rabbit_config["AMQP_URI"])
    _deposit(here, "acc-0", 1)
    assert relay.relay_once() == 1  # a relay that starts sweeps the log from position 0
    sent.clear()
    _deposit(here, "acc-1", 2)
    assert projection_store.record_received(_received("bank-1", 1))
    _deposit(here, "acc-2", 3)
    _deposit(here, "acc-1", 4, version=1)
    expected = there.pending_documents(relay._published_up_to)  # as a read gives them
    assert here.pending_stored_here(relay._published_up_to) == expected
    assert relay.relay_once() == 3
    assert _pending_reads(sent) == [] and here.pending() == []
    bodies = [body for _, _, body in subscriber("ledger.events")]
    assert [(b["stream_id"], b["payload"]["cents"]) for b in bodies] == [
        ("acc-0", 1), ("acc-1", 2), ("acc-2", 3), ("acc-1", 4)]
    relay.close()


def test_a_position_another_process_took_sends_the_relay_to_the_log(
        processes, subscriber, rabbit_config):
    here, sent, there = processes
    relay = OutboxRelay(here, rabbit_config["AMQP_URI"])
    _deposit(here, "acc-0", 1)
    assert relay.relay_once() == 1
    sent.clear()
    _deposit(here, "acc-1", 2)
    _deposit(there, "acc-2", 3)  # between two of ours: not known here
    _deposit(here, "acc-3", 4)
    assert here.pending_stored_here(relay._published_up_to) is None
    assert relay.relay_once() == 3 and len(_pending_reads(sent)) == 1
    assert [b["stream_id"] for _, _, b in subscriber("ledger.events")] == [
        "acc-0", "acc-1", "acc-2", "acc-3"]
    sent.clear()
    _deposit(there, "acc-4", 5)  # after our last position: read by a later pass...
    _deposit(here, "acc-5", 6)  # ...this one, whose position comes after it
    assert relay.relay_once() == 2 and len(_pending_reads(sent)) == 1
    assert here.pending() == [] and there.pending() == []
    relay.close()


def test_a_refused_append_sends_the_relay_to_the_log(processes, subscriber, rabbit_config):
    """A position whose insert was refused may hold another process's commit (a counter that
    handed it out twice): not known, so the log is read."""
    from services.shared.errors import ConcurrencyConflict

    here, sent, there = processes
    relay = OutboxRelay(here, rabbit_config["AMQP_URI"])
    _deposit(here, "acc-1", 1)
    assert relay.relay_once() == 1
    _deposit(there, "acc-1", 2, version=1)
    with pytest.raises(ConcurrencyConflict):
        _deposit(here, "acc-1", 3, version=1)
    _deposit(here, "acc-2", 4)
    sent.clear()
    assert relay.relay_once() == 2 and len(_pending_reads(sent)) == 1
    assert [b["payload"]["cents"] for _, _, b in subscriber("ledger.events")] == [1, 2, 4]
    relay.close()


def test_a_process_whose_relay_does_not_hold_the_lease_keeps_no_positions(
        processes, rabbit_config):
    here, _, there = processes
    holder = OutboxRelay(there, rabbit_config["AMQP_URI"], owner="pod-a", lease_seconds=30)
    waiting = OutboxRelay(here, rabbit_config["AMQP_URI"], owner="pod-b", lease_seconds=30)
    assert holder.relay_once() == 0
    _deposit(here, "acc-1", 1)
    assert here.pending_stored_here(0) is not None
    assert waiting.relay_once() == 0
    assert here.pending_stored_here(0) is None  # forgotten: the holder reads the log for it
    assert holder.relay_once() == 1
    holder.close()
    waiting.close()


def test_after_an_idle_sweep_the_next_commit_is_published_without_a_read(
        processes, subscriber, rabbit_config):
    """An idle pass sweeps the log from position 0 (what another process left, what became
    visible late); when it finds nothing, this process's next commit needs no read."""
    here, sent, _ = processes
    relay = OutboxRelay(here, rabbit_config["AMQP_URI"])
    _deposit(here, "acc-1", 1)
    assert relay.relay_once() == 1
    assert relay.relay_once() == 0  # idle: nothing of ours since, the sweep finds nothing
    sent.clear()
    _deposit(here, "acc-2", 2)
    assert relay.relay_once() == 1 and _pending_reads(sent) == []
    assert [b["stream_id"] for _, _, b in subscriber("ledger.events")] == ["acc-1", "acc-2"]
    relay.close()
