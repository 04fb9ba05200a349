"""`agora migrate` declares every process's handler queues and bindings as its pods do, with that
process's own least-privileged broker user (as the k8s migrate Job runs it): a binding missing
from a running consumer's queue — what a release's new event type is before its consumers' pods
roll out — is back after migrate, with the same queue arguments, and a second run changes
nothing. docs/runbook.md, "Deploy", step 2."""
from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import pytest

from services.shared import broker_permissions as broker
from services.shared.consumer import dead_letter_queue, handler_queue, retry_queue

from ..conftest import RABBIT_MANAGEMENT_URI
from ..platform import _management, _management_json, _quote

pytestmark = pytest.mark.e2e

QUEUE = handler_queue("posts", "posts.*", "notifications", "on_posts_event")
NEW_TYPE = "posts.post_corrected"
# What `agora migrate` must not use: each process's own user is given (<PROCESS>_AMQP_URI).
NOWHERE = "amqp://nobody:nothing@127.0.0.1:9/"


@pytest.fixture(scope="module")
def own_users(platform):
    """{process: its AMQP URI} as the process's own broker user (broker_permissions.py) on
    the running platform's vhost, made for this module and removed after it."""
    users_file = Path(tempfile.mkdtemp(prefix="agora-e2e-migrate-")) / "broker-users.json"
    uris = broker.provision(platform.amqp_uri, RABBIT_MANAGEMENT_URI, users_file,
                            prefix=f"{platform.vhost}-migrate-")
    yield uris
    with contextlib.suppress(OSError):
        broker.remove(RABBIT_MANAGEMENT_URI, users_file)


def test_migrate_binds_a_running_consumers_queue_again_as_its_own_user(platform, own_users):
    vhost = _quote(platform.vhost)
    env = {"AMQP_URI": NOWHERE, **{f"{process.upper()}_AMQP_URI": uri
                                   for process, uri in own_users.items()
                                   if process != broker.BANK_READER}}
    running = _handler_queues(vhost)
    assert (("posts.events", NEW_TYPE) in running["bindings"][QUEUE]), "the pod bound it"

    # every process, each as its own user: allowed, and nothing changes on a running platform
    _migrate(platform, env)
    assert _handler_queues(vhost) == running

    # a release's new type, not bound yet (the consumer's pod still runs the earlier release),
    # and a delay queue gone
    binding, = [found for found in _management_json(
        f"/api/queues/{vhost}/{_quote(QUEUE)}/bindings")
        if found["source"] == "posts.events" and found["routing_key"] == NEW_TYPE]
    _management("DELETE", f"/api/bindings/{vhost}/e/posts.events/q/{_quote(QUEUE)}/"
                          f"{_quote(binding['properties_key'])}")
    _management("DELETE", f"/api/queues/{vhost}/{_quote(retry_queue(QUEUE, 30000))}"
                          "?if-empty=true")
    unbound = _handler_queues(vhost)
    assert ("posts.events", NEW_TYPE) not in unbound["bindings"][QUEUE]
    assert retry_queue(QUEUE, 30000) not in unbound["queues"]

    _migrate(platform, env, "notifications")
    assert _handler_queues(vhost) == running  # the binding, the queue, the same arguments
    _migrate(platform, env, "notifications")
    assert _handler_queues(vhost) == running


def _migrate(platform, env: dict[str, str], *services: str) -> None:
    result = platform.agora("migrate", *services, env=env, timeout=180)
    assert result.returncode == 0, result.stderr


def _handler_queues(vhost: str) -> dict:
    """The handler queues (`evt-...`, their delay queues) and dead-letter queues of the vhost:
    durable, arguments, bindings (not the default exchange's)."""
    queues = {queue["name"]: (queue["durable"], queue["arguments"])
              for queue in _management_json(f"/api/queues/{vhost}")
              if queue["name"].startswith("evt-") or queue["name"].endswith(".dead-letters")}
    bindings = {name: set() for name in queues}
    for found in _management_json(f"/api/bindings/{vhost}"):
        if found["source"] and found["destination"] in bindings:
            bindings[found["destination"]].add((found["source"], found["routing_key"]))
    assert dead_letter_queue("notifications") in queues
    return {"queues": queues, "bindings": bindings}

