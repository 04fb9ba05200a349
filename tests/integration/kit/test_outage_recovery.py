"""A broker or database outage while a service runs: its relay and its consumers resume once
the server is back, without a restart of the service.

The broker or database is a private one (tests/chaos/infra.py) that the test stops and starts
again; the shared broker and database other tests use are never touched. Nothing is restarted on
the service side: the running relay and consumers must converge on their own.
"""
import json

import pika
import pytest
from pymongo import MongoClient

from services.shared import metrics
from services.shared.envelope import CommandContext, NewEvent
from services.shared.event_store import EventStore
from services.shared.outbox import OutboxRelay, PublishNotConfirmed

from ...chaos.infra import PrivateBroker, PrivateDatabase
from ...conftest import wait_for
from .sample import AuditService, LedgerService

pytestmark = pytest.mark.integration


def _running(server_cls, tmp_path, missing: str):
    """A private server started for the test and stopped after it (only this one)."""
    if not server_cls.available():
        pytest.fail(missing)
    server = server_cls(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_database(tmp_path):
    yield from _running(PrivateDatabase, tmp_path,
                        "no mongod and no MongoDB stand-in: run `make infra`")


@pytest.fixture
def private_broker(tmp_path):
    yield from _running(PrivateBroker, tmp_path, "no rabbitmq-server installed")


@pytest.fixture
def bank_subscriber(rabbit_config):
    """A bank system's queue bound to the ledger's public exchange (pika, shared broker)."""
    connection = pika.BlockingConnection(pika.URLParameters(rabbit_config["AMQP_URI"]))
    channel = connection.channel()
    channel.exchange_declare("ledger.events", "topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "ledger.events", routing_key="ledger.#")
    seen: list[dict] = []

    def received() -> list[dict]:
        while True:
            method, _, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                return seen
            seen.append(json.loads(body))

    yield received
    connection.close()


def _relay_failures() -> float:
    return metrics.OUTBOX_RELAY_FAILURES.labels("ledger")._value.get()


def _ledger(database):
    store = EventStore(database, "ledger")

    def deposit(cents: int) -> None:
        store.append("acc-1", store.stream_version("acc-1"),
                     [NewEvent("ledger.deposited", {"cents": cents, "currency": "EUR"})],
                     CommandContext(actor="tester"))

    def balance():
        document = database.balances.find_one({"_id": "acc-1"})
        return document and document["cents"]

    return deposit, balance


def test_the_relay_publishes_again_after_the_broker_restarts(private_broker, store):
    """A relay that kept its connection after a reset failed every later pass on the dead socket
    (posts published nothing more until it was restarted)."""
    relay = OutboxRelay(store, private_broker.uri)
    connection = pika.BlockingConnection(pika.URLParameters(private_broker.uri))
    channel = connection.channel()
    channel.exchange_declare("ledger.events", "topic", durable=True)
    channel.queue_declare("bank-crm", durable=True)
    channel.queue_bind("bank-crm", "ledger.events", routing_key="ledger.#")
    connection.close()

    def deposit(cents: int) -> None:
        store.append("acc-1", store.stream_version("acc-1"),
                     [NewEvent("ledger.deposited", {"cents": cents, "currency": "EUR"})],
                     CommandContext(actor="tester"))

    deposit(10)
    assert relay.drain() == 1
    private_broker.stop()
    private_broker.start()
    deposit(5)
    with pytest.raises(PublishNotConfirmed):  # the first pass finds the old connection dead
        relay.relay_once()
    # ... and drops it: the next pass opens a new one (no reset, no new relay)
    assert relay.drain() == 1
    relay.close()

    connection = pika.BlockingConnection(pika.URLParameters(private_broker.uri))
    channel = connection.channel()
    cents = []
    while (delivery := channel.basic_get("bank-crm", auto_ack=True))[0] is not None:
        cents.append(json.loads(delivery[2])["payload"]["cents"])
    connection.close()
    assert cents == [10, 5]  # durable queue, persistent messages: both survived the restart


def test_relay_and_consumer_resume_after_the_database_restarts(
        private_database, container_factory, service_config, bank_subscriber):
    config = {**service_config, "MONGO_URI": private_database.uri,
              "AGORA": {**service_config["AGORA"], "retry_delays_ms": [200, 1000, 5000]}}
    container = container_factory(LedgerService, config)
    container.start()
    client = MongoClient(private_database.uri, tz_aware=True, serverSelectionTimeoutMS=10000)
    database = client[f"{service_config['MONGO_DB_PREFIX']}_ledger"]
    deposit, balance = _ledger(database)
    deposit(10)
    wait_for(lambda: len(bank_subscriber()) == 1, timeout=15, message="first event published")
    wait_for(lambda: balance() == 10, timeout=15, message="first event projected")

    failures_before = _relay_failures()
    private_database.stop()
    wait_for(lambda: _relay_failures() > failures_before, timeout=30,
             message="the relay noticed the outage")
    private_database.start()

    deposit(5)  # committed after the outage: the running relay must publish it
    wait_for(lambda: [event["payload"]["cents"] for event in bank_subscriber()] == [10, 5],
             timeout=30, message="the event committed after the outage published, once")
    wait_for(lambda: balance() == 15, timeout=30, message="the consumer applied it")
    client.close()


def test_a_handler_that_failed_on_the_outage_is_retried_once_the_database_is_back(
        private_database, container_factory, service_config, store, rabbit_config, caplog):
    """Its claim could not be released while the database was down: the retry must not wait for
    the claim timeout (60 s) to take it back."""
    config = {**service_config, "MONGO_URI": private_database.uri,
              "AGORA": {**service_config["AGORA"], "retry_delays_ms": [500, 5000, 20000],
                        "claim_timeout_seconds": 60}}
    container = container_factory(AuditService, config)
    container.start()
    client = MongoClient(private_database.uri, tz_aware=True, serverSelectionTimeoutMS=10000)
    audit = client[f"{service_config['MONGO_DB_PREFIX']}_audit"]
    audit.fuses.insert_one({"_id": "slow", "seconds": 2})  # the handler is mid-way at the outage
    store.append("acc-1", 0, [NewEvent("ledger.deposited", {"cents": 10, "currency": "EUR"})],
                 CommandContext(actor="tester"))
    OutboxRelay(store, rabbit_config["AMQP_URI"]).drain()
    wait_for(lambda: audit.consumed_events.find_one({"state": "running"}), timeout=15,
             message="the handler claimed the event")

    private_database.stop()
    wait_for(lambda: any("failed on attempt" in record.getMessage() for record in caplog.records),
             timeout=30, message="the handler failed on the outage")
    private_database.start()
    audit.fuses.delete_many({})

    # the handler writes `seen` then `applications`: its claim marked done comes after both
    wait_for(lambda: audit.consumed_events.find_one({"state": "done"}), timeout=40,
             message="the event handled once the database is back (before the claim timeout)")
    assert audit.seen.count_documents({}) == 1
    assert audit.applications.count_documents({}) == 1
    client.close()
