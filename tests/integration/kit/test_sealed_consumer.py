"""The reliable consumer and sealed events, against the real broker and database: a handler gets
plain values from sealed messages, the placeholders once the subject's key is shredded (even by
another process, as soon as the erasure arrives), and a tampered value is dead-lettered as poison
while the consumer goes on."""
import base64
import json

import pika
import pytest

from services.shared import dead_letters
from services.shared.envelope import CommandContext, Envelope, NewEvent, new_id
from services.shared.mongo import database_name
from services.shared.shredding import KEYS_SERVICE, SubjectKeys, new_key_cache, seal_payload

from ...conftest import wait_for
from .sample import HoldersService

pytestmark = pytest.mark.integration
EMAIL = "grace.hopper@example.org"


@pytest.fixture
def holders(container_factory, service_config, mongo_client):
    from nameko.testing.utils import find_free_port

    container = container_factory(HoldersService, {
        **service_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}"})
    container.start()
    return mongo_client[database_name(service_config, "holders")]


@pytest.fixture
def keys(mongo_client, service_config):
    """The key store as the services of this test see it (this process's shared cache)."""
    return SubjectKeys.in_database(mongo_client[database_name(service_config, KEYS_SERVICE)])


def _sealed_message(keys, holder: str, name: str) -> tuple[str, str]:
    envelope = Envelope.new(NewEvent("ledger.holder_named", {
        "holder_id": holder, "name": name, "email": EMAIL, "handles": ["@grace"]}),
        stream_id=holder, stream_version=1, context=CommandContext())
    sealed = envelope.with_payload(seal_payload(keys, envelope.type, envelope.payload), 1)
    return envelope.id, json.dumps(sealed.to_dict())


def _publish(amqp_uri: str, exchange: str, routing_key: str, body: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish(exchange, routing_key, body.encode(), pika.BasicProperties(
        content_type="application/json", delivery_mode=2))
    connection.close()


def test_a_handler_reads_plain_values_from_a_sealed_message(holders, keys, service_config):
    holder = f"h-{new_id()}"
    event_id, body = _sealed_message(keys, holder, "Grace Hopper")
    assert EMAIL not in body and "Grace Hopper" not in body  # what the queue holds
    _publish(service_config["AMQP_URI"], "ledger.events", "ledger.holder_named", body)
    seen = wait_for(lambda: holders.seen.find_one({"_id": event_id}), message="handled")
    assert (seen["name"], seen["email"], seen["handles"]) == ("Grace Hopper", EMAIL, ["@grace"])


def test_after_an_erasure_elsewhere_the_handler_gets_the_placeholders(holders, keys,
                                                                      service_config):
    holder = f"h-{new_id()}"
    first_id, first = _sealed_message(keys, holder, "Grace Hopper")
    _publish(service_config["AMQP_URI"], "ledger.events", "ledger.holder_named", first)
    wait_for(lambda: holders.seen.find_one({"_id": first_id}), message="the first one handled")
    # another process shreds the key: this process still holds it in its cache (60 s)...
    SubjectKeys(keys.collection, cache=new_key_cache()).shred(holder)
    # ...until the erasure arrives, which drops it before any handler runs
    erasure = Envelope.new(NewEvent("identity.user_erased", {
        "user_id": holder, "erased_at": "2026-12-01T00:00:00+00:00"}),
        stream_id=f"user-{holder}", stream_version=2, context=CommandContext())
    _publish(service_config["AMQP_URI"], "identity.events", "identity.user_erased",
             json.dumps(erasure.to_dict()))
    wait_for(lambda: holders.erasures.find_one({"user_id": holder}), message="erasure heard")
    again_id, again = first_id + "-redelivered", json.loads(first)
    again["id"] = again_id  # the same sealed values, as a copy left in a queue would hold them
    _publish(service_config["AMQP_URI"], "ledger.events", "ledger.holder_named",
             json.dumps(again))
    seen = wait_for(lambda: holders.seen.find_one({"_id": again_id}), message="handled again")
    assert (seen["name"], seen["email"], seen["handles"]) == ("Former holder", None, [])


def test_a_tampered_sealed_value_is_dead_lettered_and_the_consumer_goes_on(holders, keys,
                                                                           service_config):
    holder = f"h-{new_id()}"
    _, body = _sealed_message(keys, holder, "Grace Hopper")
    message = json.loads(body)
    data = bytearray(base64.b64decode(message["payload"]["name"]["data"]))
    data[-1] ^= 1
    message["payload"]["name"]["data"] = base64.b64encode(bytes(data)).decode()
    _publish(service_config["AMQP_URI"], "ledger.events", "ledger.holder_named",
             json.dumps(message))
    letters = wait_for(lambda: dead_letters.list_dead_letters(service_config["AMQP_URI"],
                                                              "holders"), message="poison")
    assert [letter["reason"] for letter in letters] == [
        "poison message: a sealed value does not open"]
    assert "SealBroken" in letters[0]["error"]
    good_id, good = _sealed_message(keys, f"h-{new_id()}", "Ada Lovelace")
    _publish(service_config["AMQP_URI"], "ledger.events", "ledger.holder_named", good)
    assert wait_for(lambda: holders.seen.find_one({"_id": good_id}))["name"] == "Ada Lovelace"
    assert holders.seen.count_documents({"holder_id": holder}) == 0
