"""`agora migrate` declares the reliable handlers' queues before their service runs
(services/shared/consumer.py `declare_service_queues`): a release's new event type is kept for
its consumer even when the publisher's new pods roll out first, the consumer then starts on the
very queues migrate declared (same arguments: RabbitMQ refuses others), and declaring again
consumes, purges and changes nothing."""
import json
import urllib.parse

import pika
import pytest
import requests

from services.shared.consumer import (
    dead_letter_queue,
    declare_service_queues,
    handler_queue,
    reliable_handler,
    retry_queue,
)
from services.shared.envelope import CommandContext, Envelope, NewEvent
from services.shared.mongo import MongoDatabase

from ...conftest import RABBIT_MANAGEMENT_URI, wait_for

pytestmark = pytest.mark.integration

QUEUE = handler_queue("ledger", "ledger.*", "teller", "on_ledger")


class TellerService:
    """A consumer whose release added `ledger.holder_named` to what it binds, on the queue its
    earlier `ledger.*` handler had."""

    name = "teller"
    db = MongoDatabase()

    @reliable_handler("ledger", "ledger.*", idempotent=True,
                      only=("ledger.deposited", "ledger.holder_named"))
    def on_ledger(self, event: Envelope):
        self.db.seen.update_one({"_id": event.id}, {"$set": {"type": event.type}}, upsert=True)


def test_migrate_declares_the_consumers_queues_before_it_runs_and_changes_nothing_after(
        container_factory, service_config, mongo_client):
    # quorum queues, as in the cluster: a queue declared with other arguments than the pod's
    # would make the pod's start fail (PRECONDITION_FAILED)
    config = {**service_config, "AGORA": {**service_config["AGORA"], "queue_type": "quorum"}}
    uri = config["AMQP_URI"]
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    channel = connection.channel()
    channel.exchange_declare("ledger.events", "topic", durable=True)
    # as the earlier version left it: every ledger event through its pattern
    channel.queue_declare(QUEUE, durable=True, arguments={"x-queue-type": "quorum"})
    channel.queue_bind(QUEUE, "ledger.events", routing_key="ledger.*")
    connection.close()

    assert declare_service_queues(TellerService, config, uri) == [QUEUE]

    before = _declared(uri)
    assert before["bindings"][QUEUE] == [("ledger.events", "ledger.deposited"),
                                         ("ledger.events", "ledger.holder_named")]
    assert set(before["queues"]) == {QUEUE, retry_queue(QUEUE, 50), retry_queue(QUEUE, 100),
                                     dead_letter_queue("teller")}
    assert before["queues"][QUEUE] == {"durable": True, "arguments": {"x-queue-type": "quorum"}}
    assert before["queues"][retry_queue(QUEUE, 50)]["arguments"] == {
        "x-queue-type": "quorum", "x-message-ttl": 50, "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": QUEUE}

    # the publisher emits an event the consumer binds while no consumer runs: the queue keeps
    # it (unroutable, the confirmed `mandatory` publish would raise)
    event = Envelope.new(NewEvent("ledger.deposited", {"cents": 7, "currency": "EUR"}),
                         stream_id="acc-teller", stream_version=1, context=CommandContext())
    _publish(uri, "ledger.events", event.type, json.dumps(event.to_dict()))
    _publish(uri, "", dead_letter_queue("teller"), "a dead letter kept for the operator")
    assert _messages(uri) == {QUEUE: 1, dead_letter_queue("teller"): 1}

    assert declare_service_queues(TellerService, config, uri) == [QUEUE]  # the next deploy
    assert _declared(uri) == before
    assert _messages(uri) == {QUEUE: 1, dead_letter_queue("teller"): 1}  # nothing read or purged

    # the consumer's pod declares the same queues (no PRECONDITION_FAILED) and handles the event
    container_factory(TellerService, config).start()
    seen = mongo_client[f"{config['MONGO_DB_PREFIX']}_teller"].seen
    wait_for(lambda: seen.find_one({"_id": event.id}), message="the event kept for the consumer")
    assert _declared(uri) == before


def _vhost(uri: str) -> str:
    return urllib.parse.quote(urllib.parse.unquote(urllib.parse.urlparse(uri).path[1:]), safe="")


def _declared(uri: str) -> dict:
    """The vhost's queues (durable, arguments) and their bindings, from the management API
    (definitions: read as they are, unlike its message counts)."""
    api, vhost = RABBIT_MANAGEMENT_URI.rstrip("/"), _vhost(uri)
    queues = {queue["name"]: {"durable": queue["durable"], "arguments": queue["arguments"]}
              for queue in requests.get(f"{api}/api/queues/{vhost}", timeout=10).json()}
    bindings = {name: [] for name in queues}
    for found in requests.get(f"{api}/api/bindings/{vhost}", timeout=10).json():
        if found["source"] and found["destination_type"] == "queue":  # not the default exchange's
            bindings[found["destination"]].append((found["source"], found["routing_key"]))
    return {"queues": queues, "bindings": {name: sorted(keys) for name, keys in bindings.items()}}


def _messages(uri: str) -> dict[str, int]:
    """Messages in the handler's queue and its dead letters, exactly (a passive declare)."""
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    try:
        channel = connection.channel()
        return {name: channel.queue_declare(name, passive=True).method.message_count
                for name in (QUEUE, dead_letter_queue("teller"))}
    finally:
        connection.close()


def _publish(uri: str, exchange: str, routing_key: str, body: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish(exchange, routing_key, body.encode(), pika.BasicProperties(
        content_type="application/json", delivery_mode=2), mandatory=True)
    connection.close()
