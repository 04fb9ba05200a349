"""The broker policies a local stack applies, read from the one place Kubernetes declares them.

    AMQP_URI=... RABBIT_MANAGEMENT_URI=... python dev/broker_policies.py

`dev/stack.sh up` (`make infra`, hence `make up`) runs it on every start: each policy named in
`LOCAL_POLICIES` is taken from the dev topology the broker of a Kubernetes namespace loads
(k8s/components/datastores-dev/rabbitmq/10-topology.json; tests/k8s/test_datastores.py checks it
against the production `Policy` resources) and PUT through the management API on AMQP_URI's
vhost instead of the topology's `agora`. A PUT of the same definition changes nothing: running
it again is harmless, and a changed definition in the topology reaches the local broker at the
next `up`.

Only the bank systems' queue limits: an integrator who tests a bank consumer against `make up`
must meet the limits production applies (512 MiB, 7 days, oldest dropped first). The topology's
other policies (each service's dead-lettering) are not applied locally, as before.
"""
from __future__ import annotations

import json
import os
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.shared.broker_permissions import _manage, _q  # noqa: E402  (ROOT first)

TOPOLOGY = ROOT / "k8s" / "components" / "datastores-dev" / "rabbitmq" / "10-topology.json"
LOCAL_POLICIES = ("agora-bank-queue-limits",)


def local_policies(topology: Path = TOPOLOGY) -> list[dict]:
    """The topology's definitions of `LOCAL_POLICIES` (one each: a missing one is an error)."""
    declared = {policy["name"]: policy for policy in json.loads(topology.read_text())["policies"]}
    return [declared[name] for name in LOCAL_POLICIES]


def vhost_of(amqp_uri: str) -> str:
    """AMQP_URI's vhost, as the services connect to it (no path: RabbitMQ's default `/`)."""
    return urllib.parse.unquote(urllib.parse.urlsplit(amqp_uri).path[1:]) or "/"


def apply(amqp_uri: str, management_uri: str) -> list[str]:
    """PUT each local policy on AMQP_URI's vhost; returns their names."""
    vhost = vhost_of(amqp_uri)
    for policy in local_policies():
        _manage(management_uri, "PUT", f"/api/policies/{_q(vhost)}/{_q(policy['name'])}", {
            key: policy[key] for key in ("pattern", "apply-to", "priority", "definition")})
    return list(LOCAL_POLICIES)


def main() -> int:
    amqp_uri = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    names = apply(amqp_uri, os.environ.get("RABBIT_MANAGEMENT_URI",
                                           "http://guest:guest@127.0.0.1:15672"))
    print(f"broker policies on vhost {vhost_of(amqp_uri)}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
