"""The local stack applies the broker policy production applies to bank systems' queues
(`agora-bank-queue-limits`: 512 MiB, 7 days, oldest dropped first), so that an integrator who
tests a bank consumer against `make up` meets the same limits: after `dev/stack.sh up` (what
`make infra` and `make up` run) the policy is on AMQP_URI's vhost, as the k8s dev topology
defines it — the one definition, read from there — and a `bank.*` queue declared there is under
it. Running `up` again changes nothing (idempotent).

AMQP_URI's vhost may be shared (`/` on a developer's broker): the test never removes the policy,
it alters it (a byte less, harmless to anyone's queues) for `up` to put back, and puts it back
itself whatever happens."""
import os
import subprocess
import urllib.parse
import uuid

import pika
import pytest
import requests

from dev import broker_policies

from ...conftest import AMQP_URI, RABBIT_MANAGEMENT_URI, ROOT, wait_for

pytestmark = pytest.mark.integration

POLICY = "agora-bank-queue-limits"
VHOST = broker_policies.vhost_of(AMQP_URI)


def _management(method: str, path: str, body: dict | None = None) -> requests.Response:
    parts = urllib.parse.urlsplit(RABBIT_MANAGEMENT_URI)
    base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}{parts.path.rstrip('/')}"
    return requests.request(method, base + path, json=body, timeout=30,
                            auth=(parts.username or "guest", parts.password or "guest"))


def _policy_path() -> str:
    return f"/api/policies/{urllib.parse.quote(VHOST, safe='')}/{POLICY}"


def _stack_up() -> subprocess.CompletedProcess:
    """`dev/stack.sh up` on the running stack (it reuses what runs: the broker stays up)."""
    return subprocess.run(["bash", str(ROOT / "dev" / "stack.sh"), "up"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "AMQP_URI": AMQP_URI,
                               "RABBIT_MANAGEMENT_URI": RABBIT_MANAGEMENT_URI})


def test_the_local_stack_bounds_bank_queues_as_production_does():
    (declared,) = [p for p in broker_policies.local_policies() if p["name"] == POLICY]
    fields = ("pattern", "apply-to", "priority", "definition")
    # a different definition first: a policy left by an earlier `up` must not pass for this
    # one's work (altered, not deleted: the vhost may be someone else's too)
    limit = declared["definition"]["max-length-bytes"]
    altered = {**{key: declared[key] for key in fields},
               "definition": {**declared["definition"], "max-length-bytes": limit - 1}}
    assert _management("PUT", _policy_path(), altered).status_code in (201, 204)
    try:
        _up_restores_the_topologys_policy(declared, fields)
    finally:  # the topology's definition stays, whatever failed above
        broker_policies.apply(AMQP_URI, RABBIT_MANAGEMENT_URI)


def _up_restores_the_topologys_policy(declared: dict, fields: tuple[str, ...]) -> None:
    started = _stack_up()
    assert started.returncode == 0, started.stderr
    assert f"broker policies on vhost {VHOST}: {POLICY}" in started.stdout

    response = _management("GET", _policy_path())
    assert response.status_code == 200, response.text
    applied = response.json()
    assert {key: applied[key] for key in fields} == {key: declared[key] for key in fields}
    assert applied["definition"] == {"max-length-bytes": 536870912, "message-ttl": 604800000,
                                     "overflow": "drop-head"}

    # a bank system's queue declared on the local vhost is under it
    queue = f"bank.integrator-{uuid.uuid4().hex[:8]}"
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URI))
    try:
        connection.channel().queue_declare(queue, durable=True)
        path = f"/api/queues/{urllib.parse.quote(VHOST, safe='')}/{queue}"
        wait_for(lambda: _management("GET", path).json().get("policy") == POLICY, timeout=20,
                 interval=0.2, message="the bank queue under the policy")
    finally:
        connection.channel().queue_delete(queue)
        connection.close()

    # again: nothing changes
    again = _stack_up()
    assert again.returncode == 0, again.stderr
    assert _management("GET", _policy_path()).json()["definition"] == applied["definition"]
