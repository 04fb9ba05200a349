"""A service process killed between commit and publish: the event still goes out after restart."""
import json
import os
import signal
import subprocess
import sys

import pika
import pytest
import requests
import yaml
from nameko.testing.utils import find_free_port

from ...conftest import MONGO_URI, ROOT, dies_with_the_test_run, wait_for

pytestmark = pytest.mark.integration


def start_service(config_path, log_path, env_extra=None,
                  service="tests.integration.kit.sample:LedgerService"):
    """`agora run` of a sample service in a process of its own (so that it can be killed)."""
    env = {key: value for key, value in os.environ.items() if key != "AGORA_FAILPOINTS"}
    env.update({"LOG_LEVEL": "INFO", **(env_extra or {})})
    with open(log_path, "ab") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "services.ops.cli", "run",
             service, "--config", str(config_path)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=dies_with_the_test_run)


def config_file(path, rabbit_config, db_prefix, port, **settings):
    """A sample service's config file: this test's vhost and databases, `settings` on top."""
    path.write_text(yaml.safe_dump({
        "AMQP_URI": rabbit_config["AMQP_URI"], "MONGO_URI": MONGO_URI,
        "MONGO_DB_PREFIX": db_prefix, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", **settings}))
    return path


def stop_service(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def ready(port):
    try:
        return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def test_event_committed_before_a_crash_is_published_after_restart(
        tmp_path, rabbit_config, db_prefix, mongo_client):
    port = find_free_port()
    config_path = config_file(tmp_path / "ledger.yaml", rabbit_config, db_prefix, port, AGORA={
        "relay_interval_seconds": 0.2, "relay_lease_seconds": 1})
    # a bank system's subscription, bound before anything happens
    connection = pika.BlockingConnection(pika.URLParameters(rabbit_config["AMQP_URI"]))
    channel = connection.channel()
    channel.exchange_declare("ledger.events", "topic", durable=True)
    channel.queue_declare("bank-crm", durable=True)
    channel.queue_bind("bank-crm", "ledger.events", routing_key="ledger.deposited")

    doomed = start_service(config_path, tmp_path / "ledger.log",
                           {"AGORA_FAILPOINTS": "after_commit"})
    try:
        wait_for(lambda: ready(port), timeout=30, message="ledger ready")
        with pytest.raises(requests.ConnectionError):
            requests.post(f"http://127.0.0.1:{port}/deposit/acc-1/42", timeout=10)
        assert doomed.wait(timeout=10) == -signal.SIGKILL
    finally:
        if doomed.poll() is None:
            doomed.kill()
    events = mongo_client[f"{db_prefix}_ledger"].events
    (commit,) = list(events.find())
    assert commit["pending"] is True  # committed, never published
    assert channel.basic_get("bank-crm", auto_ack=True)[0] is None

    restarted = start_service(config_path, tmp_path / "ledger.log")
    try:
        def delivered():
            method, _, body = channel.basic_get("bank-crm", auto_ack=True)
            return method and json.loads(body)

        envelope = wait_for(delivered, timeout=30, message="the event after restart")
        assert envelope["id"] == commit["events"][0]["id"]
        assert envelope["payload"] == {"cents": 42, "currency": "EUR"}
        wait_for(lambda: "pending" not in events.find_one({"_id": commit["_id"]}),
                 message="commit marked published")
    finally:
        stop_service(restarted)
        connection.close()
