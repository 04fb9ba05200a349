"""The reliable consumer: applied once, retried, dead-lettered, re-drivable, never lost."""
import json
import urllib.parse

import pika
import pytest
import requests
from nameko.standalone.rpc import ServiceRpcProxy
from prometheus_client import REGISTRY

from services.shared import dead_letters
from services.shared.consumer import handler_queue, reliable_handler
from services.shared.envelope import CommandContext, Envelope, NewEvent
from services.shared.mongo import MongoDatabase

from ...conftest import RABBIT_MANAGEMENT_URI, wait_for
from .sample import AuditService, BranchService, LedgerService

pytestmark = pytest.mark.integration


@pytest.fixture
def running(container_factory, service_config):
    containers = []
    for service in (LedgerService, AuditService):
        container = container_factory(service, {**service_config,
                                                "WEB_SERVER_ADDRESS": _free_address()})
        container.start()
        containers.append(container)
    return service_config


def _free_address():
    from nameko.testing.utils import find_free_port

    return f"127.0.0.1:{find_free_port()}"


@pytest.fixture
def audit_db(mongo_client, service_config):
    return mongo_client[f"{service_config['MONGO_DB_PREFIX']}_audit"]


@pytest.fixture
def ledger(running):
    with ServiceRpcProxy("ledger", running, timeout=10) as proxy:
        yield proxy


def test_events_flow_from_commit_to_consumer_with_correlation(ledger, audit_db):
    ledger.deposit("acc-1", 5)
    seen = wait_for(lambda: audit_db.seen.find_one({"cents": 5}), message="audit saw deposit")
    assert seen["currency"] == "EUR"
    assert ledger.balance("acc-1") == 5


def test_a_duplicate_delivery_is_applied_once(running, audit_db):
    duplicates_before = _consumed("duplicate")
    envelope = Envelope.new(NewEvent("ledger.deposited", {"cents": 3, "currency": "EUR"}),
                            stream_id="acc-x", stream_version=1, context=CommandContext())
    _publish_raw(running["AMQP_URI"], json.dumps(envelope.to_dict()), times=3)
    wait_for(lambda: _consumed("duplicate") == duplicates_before + 2,
             message="both extra copies recognised as duplicates")
    assert audit_db.applications.count_documents({"event_id": envelope.id}) == 1


def test_an_idempotent_handler_applies_concurrent_duplicates_once_without_claims(
        container_factory, service_config, mongo_client):
    """No claim guards a projection-only handler: copies of one event run at once, and events
    of a stream arrive out of order; the stream cursor and the handlers' guarded writes still
    apply each event once, and nothing is written to `consumed_events`."""
    from nameko.testing.utils import find_free_port

    container_factory(BranchService, {
        **service_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}"}).start()
    branch = mongo_client[f"{service_config['MONGO_DB_PREFIX']}_branch"]
    streams = [f"acc-{n}" for n in range(6)]
    bodies = [json.dumps(Envelope.new(
        NewEvent("ledger.deposited", {"cents": cents, "currency": "EUR"}), stream_id=stream,
        stream_version=version, context=CommandContext()).to_dict())
        for stream in streams for version, cents in ((1, 1), (2, 10), (3, 100))]
    # every event four times, later versions of each stream first, copies side by side
    burst = [body for body in reversed(bodies) for _ in range(4)]
    handled_before = _consumed("ok", "branch.on_deposited")
    _publish_raw(service_config["AMQP_URI"], burst)
    wait_for(lambda: _consumed("ok", "branch.on_deposited") == handled_before + len(burst),
             timeout=30, message="every copy handled")
    assert branch.received_balances_cursors.count_documents({"version": 3}) == 6
    balances = {doc["_id"]: doc["cents"] for doc in branch.balances.find()}
    assert balances == dict.fromkeys(streams, 111)
    assert branch.events.count_documents({}) == 18  # each event recorded once
    assert branch.consumed_events.count_documents({}) == 0


def _consumed(outcome, handler="audit.on_deposited"):
    return REGISTRY.get_sample_value("agora_events_consumed_total", {
        "service": handler.split(".")[0], "handler": handler, "outcome": outcome}) or 0


def test_a_transient_failure_is_retried_then_applied_once(ledger, audit_db):
    ledger.deposit("acc-1", 7)
    seen = wait_for(lambda: audit_db.seen.find_one({"cents": 7}), message="retried event")
    wait_for(lambda: audit_db.applications.find_one({"event_id": seen["_id"]}),
             message="the handler's last write")
    assert audit_db.tries.find_one({"_id": seen["_id"]})["n"] == 2
    assert audit_db.applications.count_documents({"event_id": seen["_id"]}) == 1


def test_a_failing_event_is_dead_lettered_with_its_error_and_can_be_redriven(
        ledger, audit_db, running):
    audit_db.fuses.insert_one({"_id": "thirteen"})
    ledger.deposit("acc-1", 13)
    letters = wait_for(lambda: dead_letters.list_dead_letters(running["AMQP_URI"], "audit"),
                       message="a dead letter")
    (letter,) = letters
    assert letter["attempts"] == 3  # first try + the two configured retries
    assert letter["error"] == "ValueError: thirteen is unlucky"
    assert letter["handler"] == "audit.on_deposited" and letter["event_type"] == "ledger.deposited"
    assert dead_letters.count_dead_letters(running["AMQP_URI"], "audit") == 1  # listing kept it
    audit_db.fuses.delete_one({"_id": "thirteen"})  # the bug is fixed: re-drive
    assert dead_letters.redrive(running["AMQP_URI"], "audit") == 1
    wait_for(lambda: audit_db.seen.find_one({"cents": 13}), message="re-driven event applied")
    assert dead_letters.count_dead_letters(running["AMQP_URI"], "audit") == 0


def test_a_poison_message_is_dead_lettered_and_the_consumer_goes_on(ledger, audit_db, running):
    _publish_raw(running["AMQP_URI"], "{not json")
    _publish_raw(running["AMQP_URI"], json.dumps({"type": "ledger.deposited"}))
    ledger.deposit("acc-1", 8)
    wait_for(lambda: audit_db.seen.find_one({"cents": 8}), message="the next good event")
    letters = wait_for(
        lambda: (found := dead_letters.list_dead_letters(running["AMQP_URI"], "audit"))
        and len(found) == 2 and found, message="two poison letters")
    assert {letter["reason"] for letter in letters} == {"poison message: not a valid event"}
    assert letters[0]["attempts"] == 0  # never handed to the handler


def test_losing_the_broker_connection_mid_stream_loses_nothing(ledger, audit_db, running):
    vhost = running["AMQP_URI"].rsplit("/", 1)[1]
    connections = _service_connections(vhost)
    # slow enough that the cut always lands mid-stream, even on a loaded machine (~5 s in all)
    audit_db.fuses.insert_one({"_id": "slow", "seconds": 0.25})
    total = 200
    bodies = [json.dumps(Envelope.new(
        NewEvent("ledger.deposited", {"cents": 1000 + n, "currency": "EUR"}),
        stream_id=f"acc-{n}", stream_version=1, context=CommandContext()).to_dict())
        for n in range(total)]
    _publish_raw(running["AMQP_URI"], bodies)
    wait_for(lambda: audit_db.applications.count_documents({}) >= 5, message="consuming")
    _close_connections(connections)  # what a broker restart does to every client, mid-stream
    assert audit_db.applications.count_documents({}) < total, "the cut came too late"
    # `applications` is the handler's last write: wait on it, then look for doubles
    wait_for(lambda: audit_db.applications.count_documents({}) >= total, timeout=60,
             message=f"all {total} events applied after reconnecting")
    applied = [d["event_id"] for d in audit_db.applications.find()]
    assert len(set(applied)) == total and len(applied) == total
    ledger.deposit("acc-after", 2)  # and the relay reconnected too
    wait_for(lambda: audit_db.seen.find_one({"cents": 2}), message="post-cut publication")


def _publish_raw(amqp_uri, bodies, times=1):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.confirm_delivery()
    for body in [bodies] * times if isinstance(bodies, str) else bodies:
        channel.basic_publish("ledger.events", "ledger.deposited", body.encode(),
                              pika.BasicProperties(content_type="application/json",
                                                   delivery_mode=2))
    connection.close()


def _service_connections(vhost):
    api = RABBIT_MANAGEMENT_URI.rstrip("/")
    # the management API lists connections with a few seconds' delay (statistics interval)
    return wait_for(
        lambda: requests.get(f"{api}/api/vhosts/{vhost}/connections", timeout=10).json(),
        timeout=30, message="the services' connections listed by the broker")


def _close_connections(connections):
    api = RABBIT_MANAGEMENT_URI.rstrip("/")
    for connection in connections:
        requests.delete(f"{api}/api/connections/{requests.utils.quote(connection['name'])}",
                        timeout=10)


class PickyService:
    """Subscribes to some of ledger's events only, on the queue its `ledger.*` handler had."""

    name = "picky"
    db = MongoDatabase()

    @reliable_handler("ledger", "ledger.*", idempotent=True,
                      only=("ledger.deposited", "ledger.holder_named"))
    def on_ledger(self, event: Envelope):
        self.db.seen.update_one({"_id": event.id}, {"$set": {"type": event.type}}, upsert=True)


def test_a_handler_bound_to_some_event_types_drops_its_earlier_pattern_binding(
        container_factory, service_config, mongo_client):
    queue = handler_queue("ledger", "ledger.*", "picky", "on_ledger")
    connection = pika.BlockingConnection(pika.URLParameters(service_config["AMQP_URI"]))
    channel = connection.channel()
    channel.exchange_declare("ledger.events", "topic", durable=True)
    channel.queue_declare(queue, durable=True)  # as the earlier version left it: every event
    channel.queue_bind(queue, "ledger.events", routing_key="ledger.*")
    connection.close()
    container_factory(PickyService, service_config).start()

    vhost = requests.utils.quote(urllib.parse.urlparse(service_config["AMQP_URI"]).path[1:],
                                 safe="")
    api = RABBIT_MANAGEMENT_URI.rstrip("/")
    wait_for(lambda: {binding["routing_key"] for binding in requests.get(
        f"{api}/api/queues/{vhost}/{requests.utils.quote(queue, safe='')}/bindings",
        timeout=10).json() if binding["source"] == "ledger.events"}
        == {"ledger.deposited", "ledger.holder_named"},
        message="the listed types bound, the pattern no longer")
    envelope = Envelope.new(NewEvent("ledger.deposited", {"cents": 3, "currency": "EUR"}),
                            stream_id="acc-picky", stream_version=1, context=CommandContext())
    _publish_raw(service_config["AMQP_URI"], json.dumps(envelope.to_dict()))
    seen = mongo_client[f"{service_config['MONGO_DB_PREFIX']}_picky"].seen
    wait_for(lambda: seen.find_one({"_id": envelope.id}), message="a bound event handled")
