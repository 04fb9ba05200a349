"""A consumer that takes what waits in its queue as a batch (`reliable_handler(..., batch=True)`,
`ProjectionRunner.record_and_apply_all`): each event applied once, whatever the batch holds
(copies, later versions first, a poison event), after a crash between the batch's writes and
its acks, and when another applier moves a stream's cursor while the batch runs."""
import json
import signal

import pika
import pytest
from nameko.testing.utils import find_free_port
from prometheus_client import REGISTRY

from services.shared import dead_letters
from services.shared.consumer import handler_queue
from services.shared.envelope import CommandContext, Envelope, NewEvent
from services.shared.event_store import EventStore
from services.shared.projections import Projection, ReadModels, update_once

from ...conftest import wait_for
from .sample import BatchBranchService, deposit
from .test_crash_recovery import config_file, ready, start_service, stop_service

pytestmark = pytest.mark.integration

SERVICE = "tests.integration.kit.sample:BatchBranchService"
QUEUE = handler_queue("ledger", "ledger.deposited", "batchbranch", "on_deposited")


def _deposits(streams, amounts):
    """One body per (stream, version), versions in order of `amounts`."""
    return [json.dumps(Envelope.new(
        NewEvent("ledger.deposited", {"cents": cents, "currency": "EUR"}), stream_id=stream,
        stream_version=version, context=CommandContext()).to_dict())
        for stream in streams for version, cents in enumerate(amounts, start=1)]


def _queue_up(amqp_uri, bodies):
    """Declare the handler's queue as the consumer does, and fill it before anyone consumes:
    the consumer's first read then brings many deliveries at once."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.exchange_declare("ledger.events", "topic", durable=True)
    channel.queue_declare(QUEUE, durable=True)
    channel.queue_bind(QUEUE, "ledger.events", routing_key="ledger.deposited")
    channel.confirm_delivery()
    for body in bodies:
        channel.basic_publish("ledger.events", "ledger.deposited", body.encode(),
                              pika.BasicProperties(content_type="application/json",
                                                   delivery_mode=2))
    return connection, channel


def _waiting(channel):
    return channel.queue_declare(QUEUE, durable=True, passive=True).method.message_count


def _batch_sizes(statistic):
    return REGISTRY.get_sample_value(f"agora_handler_batch_size_{statistic}", {
        "service": "batchbranch", "handler": "batchbranch.on_deposited"}) or 0


@pytest.fixture
def branch(mongo_client, service_config):
    return mongo_client[f"{service_config['MONGO_DB_PREFIX']}_batchbranch"]


def test_a_batch_of_copies_and_later_versions_first_applies_each_event_once(
        container_factory, service_config, branch):
    streams = [f"acc-{n}" for n in range(6)]
    bodies = _deposits(streams, (1, 10, 100))
    # every event three times, later versions of each stream first, copies side by side
    burst = [body for body in reversed(bodies) for _ in range(3)]
    handed_before = _batch_sizes("sum")
    connection, channel = _queue_up(service_config["AMQP_URI"], burst)
    container_factory(BatchBranchService, service_config).start()
    wait_for(lambda: {doc["_id"]: doc["cents"] for doc in branch.balances.find()}
             == dict.fromkeys(streams, 111), timeout=30, message="every stream applied")
    wait_for(lambda: _waiting(channel) == 0, timeout=30, message="every copy acked")
    connection.close()
    assert _batch_sizes("sum") - handed_before == len(burst)  # each delivery in one batch
    assert branch.batched_balances_cursors.count_documents({"version": 3}) == 6
    assert branch.events.count_documents({}) == 18  # each event recorded once
    assert sorted({doc["n"] for doc in branch.runs.find()}) == [1]  # each handler run once
    assert branch.runs.count_documents({}) == 18
    assert max(doc["size"] for doc in branch.batches.find()) > 1  # deliveries were batched
    assert branch.consumed_events.count_documents({}) == 0


def test_a_poison_event_in_a_batch_is_dead_lettered_alone_and_the_others_applied_once(
        container_factory, service_config, branch):
    streams = [f"acc-{n}" for n in range(8)]
    bodies = _deposits(streams, (1, 10))
    poison = _deposits(["acc-poison"], (13,))
    burst = bodies[:8] + poison + bodies[8:]  # in the middle of what waits
    connection, channel = _queue_up(service_config["AMQP_URI"], burst)
    container_factory(BatchBranchService, service_config).start()
    letters = wait_for(lambda: dead_letters.list_dead_letters(service_config["AMQP_URI"],
                                                              "batchbranch"),
                       timeout=30, message="the poison event dead-lettered")
    (letter,) = letters
    assert letter["error"] == "ValueError: thirteen is unlucky"
    assert letter["attempts"] == 3  # first try + the two configured retries, alone
    wait_for(lambda: {doc["_id"]: doc["cents"] for doc in branch.balances.find()}
             == dict.fromkeys(streams, 11), timeout=30, message="the others applied")
    wait_for(lambda: _waiting(channel) == 0, timeout=30, message="every delivery settled")
    connection.close()
    poisoned = json.loads(poison[0])["id"]
    runs = {doc["_id"]: doc["n"] for doc in branch.runs.find()}
    assert runs.pop(poisoned) >= 3
    # the failed batch's buffered writes were never sent: the others ran once in effect
    assert set(runs.values()) == {1} and len(runs) == 16
    assert branch.batched_balances_cursors.count_documents({"version": 2}) == 8
    assert branch.batched_balances_cursors.count_documents({"_id": "ledger:acc-poison",
                                                            "version": {"$gt": 0}}) == 0


def test_a_crash_between_a_batchs_writes_and_its_acks_redelivers_and_applies_once(
        tmp_path, rabbit_config, db_prefix, mongo_client):
    port = find_free_port()
    config_path = config_file(tmp_path / "batchbranch.yaml", rabbit_config, db_prefix, port,
                              max_workers=10, AGORA={"retry_delays_ms": [50, 100]})
    branch = mongo_client[f"{db_prefix}_batchbranch"]
    streams = [f"acc-{n}" for n in range(10)]
    bodies = _deposits(streams, (1, 10))
    connection, channel = _queue_up(rabbit_config["AMQP_URI"], bodies)
    doomed = start_service(config_path, tmp_path / "branch.log",
                           {"AGORA_FAILPOINTS": "batch_applied"}, SERVICE)
    try:
        assert doomed.wait(timeout=60) == -signal.SIGKILL  # at its first batch's acks
    finally:
        if doomed.poll() is None:
            doomed.kill()
    applied_before_the_crash = branch.batched_balances_cursors.count_documents(
        {"version": {"$gt": 0}})
    assert applied_before_the_crash > 0  # the batch's effects were durable
    wait_for(lambda: _waiting(channel) == len(bodies), timeout=30,
             message="every delivery back in the queue (none was acked)")

    restarted = start_service(config_path, tmp_path / "branch.log", service=SERVICE)
    try:
        wait_for(lambda: ready(port), timeout=30, message="restarted")
        wait_for(lambda: {doc["_id"]: doc["cents"] for doc in branch.balances.find()}
                 == dict.fromkeys(streams, 11), timeout=30, message="every stream applied")
        wait_for(lambda: _waiting(channel) == 0, timeout=30, message="every delivery acked")
    finally:
        stop_service(restarted)
    connection.close()
    assert branch.events.count_documents({}) == len(bodies)  # each recorded once
    # redelivered after the crash, the batch's events were found applied: not run again
    assert sorted({doc["n"] for doc in branch.runs.find()}) == [1]
    assert branch.batched_balances_cursors.count_documents({"version": 2}) == len(streams)


def test_a_cursor_moved_by_another_applier_during_a_batch_is_looked_at_again(
        store, mongo_client, db_prefix):
    """Between the batch's cursor read and its compare-and-sets, another applier applies the
    stream's first event: the batch's move does not match, and the stream goes through the
    one-event path, which applies the rest from the log — each event once."""
    branch = EventStore(mongo_client[f"{db_prefix}_branch"], "branch")
    branch.ensure_indexes()
    rm = ReadModels(branch.db)
    first, second, third = (deposit(store, "acc-1", cents).events[0] for cents in (1, 10, 100))
    other = deposit(store, "acc-2", 5).events[0]
    raced = Projection("raced", service="branch", collections=["balances"])
    interrupted = []

    @raced.on("ledger.deposited")
    def _deposited(views, event):
        if not interrupted:  # the batch's first handler run: another applier gets there first
            interrupted.append(event.id)
            assert raced.apply(rm, first, branch) == 1
        update_once(views["balances"], event.stream_id, event,
                    {"$inc": {"cents": event.payload["cents"]}})

    batch = [third, other, first, second]  # as delivered
    recorded = branch.record_received_all(batch)
    assert recorded == [True] * 4
    assert raced.apply_received(rm, batch, recorded, branch) == 3  # + 1 by the other applier
    assert {doc["_id"]: doc["cents"] for doc in rm["balances"].find()} == {
        "acc-1": 111, "acc-2": 5}
    assert {doc["_id"]: doc["version"] for doc in rm[raced.cursors].find()} == {
        "ledger:acc-1": 3, "ledger:acc-2": 1}
