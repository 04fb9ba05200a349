"""The broker policy on bank systems' queues (`agora-bank-queue-limits`, the same in the dev
topology and in prod), on the real broker: a bank system whose consumer is down keeps a bounded
queue, its oldest events going to its own dead-letter queue, and Agora's publications are all
confirmed — a full bank queue never refuses them (which would stall Agora's outbox relays)."""
import urllib.parse

import pika
import pytest
import requests

from dev.broker_policies import local_policies

from ...conftest import RABBIT_MANAGEMENT_URI, wait_for

pytestmark = pytest.mark.integration

LIMIT_BYTES = 2000  # the policy's own limit (512 MiB), small enough for a test to reach


def _bank_policy(vhost: str) -> None:
    """The dev topology's bank policy, in the test's vhost, with a limit a test reaches."""
    (policy,) = [p for p in local_policies() if p["name"] == "agora-bank-queue-limits"]
    api = RABBIT_MANAGEMENT_URI.rstrip("/")
    requests.put(
        f"{api}/api/policies/{urllib.parse.quote(vhost, safe='')}/{policy['name']}",
        json={"pattern": policy["pattern"], "apply-to": policy["apply-to"],
              "priority": policy["priority"],
              "definition": {**policy["definition"], "max-length-bytes": LIMIT_BYTES}},
        timeout=10).raise_for_status()


def _ready(channel, queue: str) -> int:
    return channel.queue_declare(queue, passive=True).method.message_count


def test_a_bank_system_that_is_down_keeps_a_bounded_queue_and_agora_publishes_on(rabbit_config):
    _bank_policy(rabbit_config["vhost"])
    connection = pika.BlockingConnection(pika.URLParameters(rabbit_config["AMQP_URI"]))
    channel = connection.channel()
    channel.exchange_declare("posts.events", "topic", durable=True)
    # what examples/erasure_consumer.py declares: its queue, and its own dead letters
    channel.exchange_declare("bank.crm.dead-letters", "fanout", durable=True)
    channel.queue_declare("bank.crm.dead-letters", durable=True)
    channel.queue_bind("bank.crm.dead-letters", "bank.crm.dead-letters")
    channel.queue_declare("bank.crm.posts", durable=True,
                          arguments={"x-dead-letter-exchange": "bank.crm.dead-letters"})
    channel.queue_bind("bank.crm.posts", "posts.events", "posts.#")
    channel.confirm_delivery()  # as Agora's relay publishes: a refusal raises NackError

    for n in range(60):  # 60 events of 100 bytes: three times the limit, nobody consuming
        channel.basic_publish("posts.events", "posts.post_voted", f"{n:03d}".ljust(100).encode(),
                              pika.BasicProperties(delivery_mode=2, message_id=f"e{n}"))

    assert _ready(channel, "bank.crm.posts") == LIMIT_BYTES // 100  # bounded
    kept = [channel.basic_get("bank.crm.posts", auto_ack=True)[1].message_id for _ in range(20)]
    assert kept == [f"e{n}" for n in range(40, 60)]  # the newest: the oldest went first
    # the dropped ones went to the system's dead letters, a bank queue bounded the same way
    wait_for(lambda: _ready(channel, "bank.crm.dead-letters") == LIMIT_BYTES // 100,
             message="the dropped events in the system's own dead letters")
    _, properties, _ = channel.basic_get("bank.crm.dead-letters", auto_ack=True)
    assert properties.message_id == "e20"
    assert properties.headers["x-death"][0]["reason"] == "maxlen"
    connection.close()
