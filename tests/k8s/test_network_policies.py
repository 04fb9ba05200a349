"""NetworkPolicies: deny-all, then an allow-list for every workload, no wider than the design says.

Every process talks only to RabbitMQ (5672) and MongoDB (27017), plus DNS; only the gateway takes
traffic from the ingress controller; notifications also reaches SMTP (25, 587); Prometheus scrapes
the http port of everyone.
"""

from __future__ import annotations

import pytest

from .conftest import OVERLAYS, SERVICES, Rendered, pod_labels, selector_matches, workloads

pytestmark = pytest.mark.k8s

DNS = {53}
DATA_PORTS = {5672, 27017}
SMTP = {25, 587}


def selecting(r: Rendered, labels: dict[str, str]) -> list[dict]:
    return [
        p for p in r.of_kind("NetworkPolicy") if selector_matches(p["spec"]["podSelector"], labels)
    ]


def egress_ports(policies: list[dict]) -> set[int]:
    ports = set()
    for p in policies:
        for rule in p["spec"].get("egress", []):
            for port in rule.get("ports", []):
                ports.add(port["port"])
    return ports


def ingress_sources(policies: list[dict]) -> list[dict]:
    return [
        peer
        for p in policies
        for rule in p["spec"].get("ingress", [])
        for peer in rule.get("from", [])
    ]


@pytest.mark.parametrize("name", OVERLAYS)
def test_default_deny_all(rendered_overlays, name):
    r = rendered_overlays[name]
    deny = r.get("NetworkPolicy", "default-deny-all")
    assert deny["spec"]["podSelector"] == {}
    assert set(deny["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert not deny["spec"].get("ingress") and not deny["spec"].get("egress")


@pytest.mark.parametrize("name", OVERLAYS)
def test_every_workload_has_an_allow_list(rendered_overlays, name):
    r = rendered_overlays[name]
    generic = {"default-deny-all", "allow-dns"}
    for w in workloads(r):
        own = [p for p in selecting(r, pod_labels(w)) if p["metadata"]["name"] not in generic]
        assert own, f"{w['kind']}/{w['metadata']['name']} has no NetworkPolicy of its own"


@pytest.mark.parametrize("name,service", [(o, s) for o in OVERLAYS for s in SERVICES])
def test_service_allow_list(rendered_overlays, name, service):
    r = rendered_overlays[name]
    d = r.get("Deployment", f"agora-{service}")
    policies = selecting(r, pod_labels(d))
    assert r.get("NetworkPolicy", f"agora-{service}") in policies

    allowed = DNS | DATA_PORTS | (SMTP if service == "notifications" else set())
    assert egress_ports(policies) == allowed

    sources = ingress_sources(policies)
    namespaces = {
        peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
        for peer in sources
    }
    expected = {"monitoring", "ingress-nginx"} if service == "gateway" else {"monitoring"}
    assert namespaces == expected, "only the gateway is reachable from the ingress controller"
    assert all("ipBlock" not in peer for peer in sources)
    # Inbound traffic only on the http port.
    ports = {
        port["port"]
        for p in policies
        for rule in p["spec"].get("ingress", [])
        for port in rule["ports"]
    }
    assert ports == {"http"}


@pytest.mark.parametrize("name", OVERLAYS)
def test_data_stores_admit_only_the_platform(rendered_overlays, name):
    r = rendered_overlays[name]
    rabbit = r.get("NetworkPolicy", "agora-rabbitmq")
    amqp_rules = [
        rule for rule in rabbit["spec"]["ingress"] if {p["port"] for p in rule["ports"]} == {5672}
    ]
    (amqp,) = amqp_rules
    for service in SERVICES:
        assert any(
            selector_matches(peer["podSelector"], {"app.kubernetes.io/name": service})
            for peer in amqp["from"]
        )
    assert not any(
        selector_matches(peer["podSelector"], {"app.kubernetes.io/name": "intruder"})
        for peer in amqp["from"]
    )
    mongo = r.get("NetworkPolicy", "agora-mongodb")
    for rule in mongo["spec"]["ingress"]:
        assert {p["port"] for p in rule["ports"]} == {27017}
        assert all(
            "namespaceSelector" not in peer and "ipBlock" not in peer for peer in rule["from"]
        )
