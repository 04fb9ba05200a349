"""Dead letters on the real broker: a re-drive pass moves each one once, what the broker itself
dead-lettered (the delivery limit) is listed and re-driven like the rest, and a saved copy keeps
the whole message."""
import json
import os
import urllib.parse

import pika
import pytest
import requests

from services.shared import dead_letters
from services.shared.consumer import handler_queue

from ...conftest import RABBIT_MANAGEMENT_URI, wait_for
from ...k8s.conftest import K8S
from .sample import AuditService
from .test_consumer import _free_address, _publish_raw

pytestmark = pytest.mark.integration

AUDIT_QUEUE = handler_queue("ledger", "ledger.deposited", "audit", "on_deposited")


def _audit(container_factory, config):
    container = container_factory(AuditService, {**config, "WEB_SERVER_ADDRESS": _free_address()})
    container.start()
    return container


def _deposit(cents, stream="acc-1"):
    from services.shared.envelope import CommandContext, Envelope, NewEvent

    return json.dumps(Envelope.new(NewEvent("ledger.deposited", {"cents": cents,
                                                                 "currency": "EUR"}),
                                   stream_id=stream, stream_version=1,
                                   context=CommandContext()).to_dict())


def test_a_redrive_pass_moves_each_dead_letter_once_and_counts_it(container_factory,
                                                                   service_config):
    """The handler dead-letters the poison messages again at once, while the pass still runs:
    the pass must not pick them up a second time."""
    uri = service_config["AMQP_URI"]
    _audit(container_factory, service_config)
    poison = [f"{{not json {n}" for n in range(30)]
    _publish_raw(uri, poison)
    wait_for(lambda: dead_letters.count_dead_letters(uri, "audit") == 30, message="30 letters")

    # (a limit well above 30, so that a pass that loops ends, with a wrong count)
    assert dead_letters.redrive(uri, "audit", limit=100) == 30

    letters = wait_for(lambda: (found := dead_letters.list_dead_letters(uri, "audit"))
                       and len(found) == 30 and found, message="all 30 dead-lettered again")
    assert [letter["redriven"] for letter in letters] == [1] * 30


def _dead_lettering_policy(vhost, service, delivery_limit):
    """The dev topology's dead-lettering policy (the one prod declares too), for `service` in the
    test's vhost, with a delivery limit a test reaches quickly."""
    topology = json.loads((K8S / "components" / "datastores-dev" / "rabbitmq"
                           / "10-topology.json").read_text())
    (policy,) = [p for p in topology["policies"] if p["name"] == "agora-feeds-dead-lettering"]
    api = RABBIT_MANAGEMENT_URI.rstrip("/")
    response = requests.put(
        f"{api}/api/policies/{urllib.parse.quote(vhost, safe='')}/agora-{service}-dead-lettering",
        json={"pattern": policy["pattern"].replace("feeds", service),
              "apply-to": policy["apply-to"], "priority": policy["priority"],
              "definition": {**policy["definition"],
                             "dead-letter-routing-key": f"{service}.dead-letters",
                             "delivery-limit": delivery_limit}}, timeout=10)
    response.raise_for_status()


def _crash_holding_a_message(uri, queue):
    """What a process that crashes while handling a message does: it took it, never acked it,
    and its connection is gone (the broker counts one delivery and puts it back)."""
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    connection.channel().basic_get(queue, auto_ack=False)
    connection.close()


def test_a_message_the_broker_dead_lettered_is_listed_and_redriven(
        container_factory, service_config, rabbit_config, mongo_client):
    """Quorum queues and the dead-lettering policy as in the cluster: a message that crashes
    the process on every delivery is dead-lettered by the broker (x-death, no x-agora-* headers);
    after the fix is deployed, a re-drive sends it back to its handler."""
    uri = service_config["AMQP_URI"]
    config = {**service_config, "AGORA": {**service_config["AGORA"], "queue_type": "quorum"}}
    _dead_lettering_policy(rabbit_config["vhost"], "audit", delivery_limit=2)
    _audit(container_factory, config).stop()  # declares the queues; the "crashing" version
    _publish_raw(uri, _deposit(21))

    def crashed_until_dead_lettered():
        _crash_holding_a_message(uri, AUDIT_QUEUE)
        return dead_letters.count_dead_letters(uri, "audit") == 1
    wait_for(crashed_until_dead_lettered, message="the broker dead-letters it")

    (letter,) = dead_letters.list_dead_letters(uri, "audit")
    assert letter["queue"] == AUDIT_QUEUE
    assert letter["handler"] == "audit.on_deposited"
    assert letter["reason"] == "dead-lettered by the broker: delivery_limit"
    assert letter["dead_lettered"] == 1 and letter["event_type"] == "ledger.deposited"
    assert letter["failed_at"]

    _audit(container_factory, config)  # the fixed version
    assert dead_letters.redrive(uri, "audit") == 1
    audit_db = mongo_client[f"{service_config['MONGO_DB_PREFIX']}_audit"]
    wait_for(lambda: audit_db.seen.find_one({"cents": 21}), message="re-driven event applied")
    assert dead_letters.count_dead_letters(uri, "audit") == 0


def test_saving_dead_letters_keeps_whole_messages_in_a_private_file(container_factory,
                                                                     service_config, tmp_path):
    uri = service_config["AMQP_URI"]
    _audit(container_factory, service_config)
    # poison both: not an envelope (its JSON body is what `list` does not show), not JSON
    body = json.dumps({"type": "ledger.deposited", "note": "texte privé d'un membre"})
    _publish_raw(uri, [body, "{not json"])
    wait_for(lambda: dead_letters.count_dead_letters(uri, "audit") == 2, message="2 letters")
    path = tmp_path / "audit-dead-letters.jsonl"

    with dead_letters.private_file(str(path)) as out:
        assert dead_letters.save_dead_letters(uri, "audit", out) == 2

    assert os.stat(path).st_mode & 0o777 == 0o600
    saved = {letter["body"]: letter for letter in map(json.loads, path.read_text().splitlines())}
    assert set(saved) == {body, "{not json"}  # the JSON one whole, which `list` does not show
    assert saved[body]["headers"]["x-agora-queue"] == AUDIT_QUEUE
    assert saved[body]["headers"]["x-agora-reason"] == "poison message: not a valid event"
    assert saved[body]["properties"]["content_type"] == "application/json"
    assert dead_letters.count_dead_letters(uri, "audit") == 2  # saving kept them
    with pytest.raises(FileExistsError):  # an earlier copy is never overwritten
        dead_letters.private_file(str(path))
