"""Production overlay: availability (replicas, autoscaling, disruption budgets, spreading) and the
TLS Ingress in front of the gateway, and nothing else exposed."""

from __future__ import annotations

import pytest

from .conftest import SERVICES, pod_labels, pod_spec, selector_matches

pytestmark = pytest.mark.k8s

AUTOSCALED = ["gateway", "posts", "feeds", "notifications"]


@pytest.mark.parametrize("service", SERVICES)
def test_at_least_two_replicas(prod, service):
    d = prod.get("Deployment", f"agora-{service}")
    hpas = [
        h
        for h in prod.of_kind("HorizontalPodAutoscaler")
        if h["spec"]["scaleTargetRef"]
        == {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"agora-{service}"}
    ]
    if service in AUTOSCALED:
        (hpa,) = hpas
        assert hpa["spec"]["minReplicas"] >= 2
        assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
        # The HPA owns the count: a replicas field would reset it at every apply.
        assert "replicas" not in d["spec"]
    else:
        assert not hpas
        assert d["spec"]["replicas"] >= 2


def test_gateway_autoscales_from_three(prod):
    assert prod.get("HorizontalPodAutoscaler", "agora-gateway")["spec"]["minReplicas"] >= 3


@pytest.mark.parametrize("service", SERVICES)
def test_pod_disruption_budget(prod, service):
    d = prod.get("Deployment", f"agora-{service}")
    budgets = [
        p
        for p in prod.of_kind("PodDisruptionBudget")
        if selector_matches(p["spec"]["selector"], pod_labels(d))
    ]
    assert len(budgets) == 1
    spec = budgets[0]["spec"]
    assert spec.get("maxUnavailable") == 1 or spec.get("minAvailable") == 1


@pytest.mark.parametrize("service", SERVICES)
def test_topology_spread(prod, service):
    d = prod.get("Deployment", f"agora-{service}")
    constraints = {c["topologyKey"]: c for c in pod_spec(d)["topologySpreadConstraints"]}
    assert set(constraints) == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
    assert constraints["kubernetes.io/hostname"]["whenUnsatisfiable"] == "DoNotSchedule"
    for c in constraints.values():
        assert selector_matches(c["labelSelector"], pod_labels(d))
        # Counted per Deployment (name) and per rollout (pod-template-hash).
        assert "app.kubernetes.io/name" in c["matchLabelKeys"]


def test_gateway_ingress_with_tls_for_the_site_and_the_api(prod):
    (ingress,) = prod.of_kind("Ingress")
    spec = ingress["spec"]
    hosts = [rule["host"] for rule in spec["rules"]]
    assert spec["tls"] and all(host in spec["tls"][0]["hosts"] for host in hosts)
    assert spec["tls"][0]["secretName"]
    assert (
        ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/force-ssl-redirect"]
        == "true"
    )
    paths = [p for rule in spec["rules"] for p in rule["http"]["paths"]]
    assert [(p["path"], p["pathType"]) for p in paths] == [("/api/v1", "Prefix"), ("/", "Prefix")]
    for p in paths:
        assert p["backend"]["service"] == {"name": "agora-gateway", "port": {"name": "http"}}


def test_only_the_gateway_is_exposed(rendered_overlays):
    for r in rendered_overlays.values():
        for svc in r.of_kind("Service"):
            assert svc["spec"].get("type", "ClusterIP") == "ClusterIP", svc["metadata"]["name"]
        backends = {
            p["backend"]["service"]["name"]
            for i in r.of_kind("Ingress")
            for rule in i["spec"]["rules"]
            for p in rule["http"]["paths"]
        }
        assert backends <= {"agora-gateway"}


def test_dev_runs_one_replica_without_ingress(dev):
    assert not dev.of_kind("Ingress") and not dev.of_kind("HorizontalPodAutoscaler")
    for service in SERVICES:
        assert dev.get("Deployment", f"agora-{service}")["spec"]["replicas"] == 1


def test_namespaces_enforce_pod_security(rendered_overlays):
    expected = {"dev": "restricted", "prod": "baseline"}
    for name, r in rendered_overlays.items():
        (ns,) = r.of_kind("Namespace")
        labels = ns["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == expected[name]
        assert labels["pod-security.kubernetes.io/warn"] == "restricted"
