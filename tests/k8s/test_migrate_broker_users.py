"""The migrate Job declares each process's handler queues as that process's own broker user
(`agora migrate` reads `<PROCESS>_AMQP_URI`; tests/e2e/test_migrate_queues.py runs it so): it
gets every process's `agora-rabbitmq-<process>` Secret and no broker administrator."""

from __future__ import annotations

import pytest

from services.shared import broker_permissions as broker

from .conftest import OVERLAYS, SERVICES, containers

pytestmark = pytest.mark.k8s


@pytest.mark.parametrize("name", OVERLAYS)
def test_migrate_declares_queues_as_each_process_own_broker_user(rendered_overlays, name):
    job = rendered_overlays[name].get("Job", "agora-migrate")
    (container,) = containers(job)
    broker_env = {var["name"]: var["valueFrom"]["secretKeyRef"]
                  for var in container["env"] if var["name"].endswith("AMQP_URI")}
    assert set(SERVICES) == {broker.GATEWAY, *broker.SERVICES}  # every process, each its user
    assert broker_env == {f"{process.upper()}_AMQP_URI": {"name": f"agora-rabbitmq-{process}",
                                                          "key": "uri"}
                          for process in SERVICES}
