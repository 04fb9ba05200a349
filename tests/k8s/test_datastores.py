"""RabbitMQ and MongoDB for the cluster: operator resources in prod, StatefulSets in dev.

Quorum dead-letter queues and dead-letter policies are declared (the same in both), and each
service has its own MongoDB user limited to its own database.
"""

from __future__ import annotations

import json
import re

import pytest

from services.shared import broker_permissions

from .conftest import (
    CONSUMERS,
    K8S,
    SERVICES,
    assert_image_pinned,
    assert_resources,
    assert_security_context,
    pod_spec,
)

pytestmark = pytest.mark.k8s

DEV_TOPOLOGY = K8S / "components" / "datastores-dev" / "rabbitmq" / "10-topology.json"
DEV_CREATE_USERS = K8S / "components" / "datastores-dev" / "mongodb" / "create-users.js"


def prod_policies(prod):
    return {
        p["spec"]["name"]: {
            "vhost": p["spec"]["vhost"],
            "pattern": p["spec"]["pattern"],
            "apply-to": p["spec"]["applyTo"],
            "priority": p["spec"]["priority"],
            "definition": p["spec"]["definition"],
        }
        for p in prod.of_kind("Policy")
    }


def dev_policies():
    topology = json.loads(DEV_TOPOLOGY.read_text())
    return {p["name"]: {k: v for k, v in p.items() if k != "name"} for p in topology["policies"]}


def test_rabbitmq_cluster_has_three_nodes(prod):
    (cluster,) = prod.of_kind("RabbitmqCluster")
    assert cluster["metadata"]["name"] == "agora-rabbitmq"
    assert cluster["spec"]["replicas"] == 3
    assert re.fullmatch(r"rabbitmq:\d+\.\d+\.\d+(-management)?", cluster["spec"]["image"])
    assert cluster["spec"]["resources"]["limits"]["memory"]


def test_rabbitmq_topology_declares_vhost_user_and_permissions(prod):
    (vhost,) = prod.of_kind("Vhost")
    assert vhost["spec"]["name"] == "agora"
    users = {u["metadata"]["name"]: u for u in prod.of_kind("User")}
    assert set(users) == set(broker_permissions.all_permissions())  # one per process + bank
    for user in broker_permissions.USERS:
        name = broker_permissions.username(user)
        # Credentials from a Secret the operator creates: nothing literal; no management tags.
        assert users[name]["spec"]["importCredentialsSecret"]["name"] == f"agora-rabbitmq-{user}"
        assert users[name]["spec"]["tags"] == []
    permissions = {
        p["spec"]["userReference"]["name"]: p["spec"] for p in prod.of_kind("Permission")
    }
    for name, expected in broker_permissions.all_permissions().items():
        assert permissions[name]["vhost"] == "agora"
        assert permissions[name]["permissions"] == expected, name  # the kit's one definition
    for kind in ("Vhost", "User", "Permission", "Policy", "Queue"):
        for obj in prod.of_kind(kind):
            assert obj["spec"]["rabbitmqClusterReference"] == {"name": "agora-rabbitmq"}


@pytest.mark.parametrize("service", CONSUMERS)
def test_quorum_dead_letter_queue_per_service(prod, service):
    (queue,) = [q for q in prod.of_kind("Queue") if q["spec"]["name"] == f"{service}.dead-letters"]
    assert queue["spec"]["type"] == "quorum"
    assert queue["spec"]["durable"] is True and queue["spec"]["autoDelete"] is False
    assert queue["spec"]["vhost"] == "agora"
    assert queue["spec"]["deletionPolicy"] == "retain"
    dev_queues = {q["name"]: q for q in json.loads(DEV_TOPOLOGY.read_text())["queues"]}
    assert dev_queues[f"{service}.dead-letters"]["arguments"] == {"x-queue-type": "quorum"}
    assert dev_queues[f"{service}.dead-letters"]["durable"] is True


def test_dev_and_prod_declare_the_same_policies(prod):
    assert prod_policies(prod) == dev_policies()
    assert set(prod_policies(prod)) == {f"agora-{s}-dead-lettering" for s in CONSUMERS} | {
        "agora-bank-queue-limits"}


BANK_QUEUES = ["bank.crm.posts", "bank.crm.dead-letters", "bank.erasure-crm.identity"]


def test_bank_systems_queues_are_bounded_and_never_refuse_agoras_publications(prod):
    """A bank system that stays down cannot fill the broker (its disk alarm would block every
    publisher): its queues have a size and an age limit. Past them the oldest messages go (to
    the system's own dead-letter exchange, if any): `reject-publish` would instead nack Agora's
    publications and stall its outbox relays."""
    policies = prod_policies(prod)
    limits = policies["agora-bank-queue-limits"]
    assert limits["vhost"] == "agora" and limits["apply-to"] == "queues"
    definition = limits["definition"]
    assert definition["overflow"] == "drop-head"
    assert 0 < definition["max-length-bytes"] <= 1024 ** 3  # 20 GiB disks, several systems
    assert 24 * 3600 * 1000 <= definition["message-ttl"] <= 30 * 24 * 3600 * 1000
    pattern = re.compile(limits["pattern"])
    for name in BANK_QUEUES:
        assert pattern.search(name), name
        # one policy applies to a queue: none of Agora's may take a bank queue over
        assert [n for n, p in policies.items() if re.search(p["pattern"], name)] == [
            "agora-bank-queue-limits"], name
    for name in ("feeds.dead-letters", "evt-posts-posts.post_published--feeds.on_published",
                 "rpc-posts", "gateway.live.x", "notbank.x"):
        assert not pattern.search(name), name
    # what the bank-system user may declare is what the policy covers
    configure = broker_permissions.all_permissions()["agora-bank-reader"]["configure"]
    for name in [*BANK_QUEUES, "bank.x", "crm-events", "banking.x"]:
        assert bool(re.fullmatch(configure, name)) == bool(pattern.search(name)), name


@pytest.mark.parametrize("service", CONSUMERS)
def test_dead_letter_policy(prod, service):
    policy = prod_policies(prod)[f"agora-{service}-dead-lettering"]
    definition = policy["definition"]
    assert definition["dead-letter-exchange"] == ""  # the default exchange: routes by queue name
    assert definition["dead-letter-routing-key"] == f"{service}.dead-letters"
    assert definition["dead-letter-strategy"] == "at-least-once"
    assert definition["overflow"] == "reject-publish"  # required by at-least-once
    assert 1 <= definition["delivery-limit"] <= 100  # poison messages end up dead-lettered
    pattern = re.compile(policy["pattern"])
    covered = [
        f"{service}.on-post-published",
        f"evt-posts-posts.post_published--{service}.on_post_published",
    ]
    not_covered = [
        f"{service}.dead-letters",
        f"rpc-{service}",
        f"{service}.on-post-published.retry-1",
        f"{service}.delay.30s",
        "other.on-post-published",
        "evt-posts-posts.post_published--other.handle",
    ]
    if service == "gateway":  # its live channel's queue per replica: a view, nothing to keep
        not_covered.append("gateway.live.agora-gateway-7d9f-x2.1.0a1b2c3d")
    for name in covered:
        assert pattern.search(name), name
    for name in not_covered:
        assert not pattern.search(name), name


def test_mongodb_replica_set_of_three(prod):
    (mdb,) = prod.of_kind("MongoDBCommunity")
    assert mdb["metadata"]["name"] == "agora-mongodb"
    assert mdb["spec"]["type"] == "ReplicaSet" and mdb["spec"]["members"] == 3
    assert re.fullmatch(r"\d+\.\d+\.\d+", mdb["spec"]["version"])
    assert int(mdb["spec"]["version"].split(".")[0]) >= 7
    assert mdb["spec"]["security"]["authentication"]["modes"] == ["SCRAM"]


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_its_own_mongodb_user_limited_to_its_database(prod, service):
    (mdb,) = prod.of_kind("MongoDBCommunity")
    prefix = prod.get("ConfigMap", "agora-platform")["data"]["MONGO_DB_PREFIX"]
    users = {u["name"]: u for u in mdb["spec"]["users"]}
    user = users[service]
    # its own database, and the data subjects' key store every service seals personal data with
    assert user["roles"] == [{"name": "readWrite", "db": f"{prefix}_{service}"},
                             {"name": "readWrite", "db": f"{prefix}_keys"}]
    assert user["passwordSecretRef"]["name"] == f"agora-{service}-mongodb-password"
    # The operator writes this user's connection string where the Deployment reads MONGO_URI.
    assert user["connectionStringSecretName"] == f"agora-{service}-mongodb"
    others = [u for name, u in users.items() if name not in (service, "migrate", "admin")]
    assert all(f"{prefix}_{service}" not in [r["db"] for r in u["roles"]] for u in others)


def test_migrate_user_is_limited_to_the_service_databases(prod):
    (mdb,) = prod.of_kind("MongoDBCommunity")
    (migrate,) = [u for u in mdb["spec"]["users"] if u["name"] == "migrate"]
    assert sorted(r["db"] for r in migrate["roles"]) == sorted(f"agora_{s}" for s in SERVICES)
    assert {r["name"] for r in migrate["roles"]} == {"readWrite"}
    assert {u["name"] for u in mdb["spec"]["users"]} == set(SERVICES) | {"migrate", "admin"}


def test_dev_mongodb_creates_the_same_users(dev):
    script = DEV_CREATE_USERS.read_text()
    listed = re.search(r"const services = \[(.*?)\];", script).group(1)
    assert [s.strip().strip('"') for s in listed.split(",")] == SERVICES
    assert ('roles: [{ role: "readWrite", db: prefix + "_" + service }, '
            '{ role: "readWrite", db: prefix + "_keys" }]') in script
    sts = dev.get("StatefulSet", "agora-mongodb")
    env = {v["name"]: v for v in pod_spec(sts)["containers"][0]["env"]}
    for user in [*SERVICES, "migrate"]:
        ref = env[f"AGORA_{user.upper()}_MONGODB_PASSWORD"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": f"agora-{user}-mongodb-password", "key": "password"}
    assert "secretKeyRef" in env["MONGO_INITDB_ROOT_PASSWORD"]["valueFrom"]


@pytest.mark.parametrize("name", ["agora-rabbitmq", "agora-mongodb"])
def test_dev_data_stores_are_hardened(dev, name):
    sts = dev.get("StatefulSet", name)
    assert_image_pinned(sts)
    assert_resources(sts)
    assert_security_context(sts)
    c = pod_spec(sts)["containers"][0]
    assert c["readinessProbe"] and c["livenessProbe"]
    assert sts["spec"]["volumeClaimTemplates"], "data must survive a pod restart"


def test_dev_rabbitmq_pods_match_what_the_operator_labels(dev, prod):
    """The network policies and the PodMonitor select the broker by the operator's label."""
    sts = dev.get("StatefulSet", "agora-rabbitmq")
    assert (
        sts["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] == "agora-rabbitmq"
    )
    ports = {p["name"]: p["containerPort"] for p in pod_spec(sts)["containers"][0]["ports"]}
    assert ports["amqp"] == 5672 and ports["prometheus"] == 15692 and ports["management"] == 15672
    assert dev.has("Service", "agora-rabbitmq")  # what AMQP_URI names, as the operator's Service
    mongo = dev.get("StatefulSet", "agora-mongodb")
    assert mongo["spec"]["template"]["metadata"]["labels"]["app"] == "agora-mongodb-svc"
