"""Production overlay: availability (replicas, autoscaling, disruption budgets, spreading) and the
TLS Ingress in front of the gateway, and nothing else exposed."""

from __future__ import annotations

import pytest
import yaml

from services.notifications.delivery import DeliverySettings

from .conftest import K8S, REPO, SERVICES, pod_labels, pod_spec, selector_matches

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


def site() -> dict[str, str]:
    return yaml.safe_load((K8S / "overlays" / "prod" / "site.yaml").read_text())["data"]


def test_links_mails_and_the_ingress_use_the_one_host_of_site_yaml(prod):
    values = site()
    host = values["host"]
    (ingress,) = prod.of_kind("Ingress")
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == [host]
    assert ingress["spec"]["tls"][0]["hosts"] == [host]
    notifications = prod.get("ConfigMap", "agora-notifications")["data"]
    assert notifications["AGORA_WEB_URL"] == f"https://{host}"
    assert notifications["AGORA_MAIL_FROM"] == values["mail_from"]
    assert notifications["SMTP_HOST"] == values["smtp_host"]
    assert prod.get("ConfigMap", "agora-gateway")["data"]["AGORA_CORS_ORIGINS"] == \
        f"https://{host}"
    assert prod.get("ConfigMap", "agora-platform")["data"]["AGORA_ENVIRONMENT"] == "production"
    assert not prod.has("ConfigMap", "agora-site")  # a build-time value, not deployed
    for path in (K8S / "overlays" / "prod").iterdir():  # written in one place only
        if path.name != "site.yaml":
            assert host not in path.read_text(), path.name


def test_the_overlays_placeholders_cannot_reach_production(prod):
    """As shipped, notifications refuses the overlay's placeholders (it would send links to
    example.com); with a deployment's own values it starts."""
    notifications = prod.get("ConfigMap", "agora-notifications")["data"]
    shipped = DeliverySettings(web_base_url=notifications["AGORA_WEB_URL"],
                               mail_from=notifications["AGORA_MAIL_FROM"])
    assert [refusal.split(" is ")[0] for refusal in shipped.production_refusals()] == [
        "AGORA_WEB_URL", "AGORA_MAIL_FROM"]
    own = DeliverySettings(web_base_url="https://communaute.banque.fr",
                           mail_from="Agora <no-reply@communaute.banque.fr>")
    assert own.production_refusals() == []


def test_every_value_of_site_yaml_is_documented():
    kustomization = yaml.safe_load((K8S / "overlays" / "prod" / "kustomization.yaml").read_text())
    variables = {path.split(".", 1)[1] for replacement in kustomization["replacements"]
                 for target in replacement["targets"] for path in target["fieldPaths"]
                 if path.startswith("data.")}
    assert variables == {"AGORA_CORS_ORIGINS", "AGORA_WEB_URL", "AGORA_MAIL_FROM", "SMTP_HOST"}
    deploy = (REPO / "docs" / "deploy.md").read_text().split("before the first deploy", 1)[1]
    configuration = (REPO / "README.md").read_text().split("## Configuration", 1)[1]
    for name in variables:
        assert f"`{name}`" in deploy.split("## Checks", 1)[0], name
    for name in variables - {"SMTP_HOST"}:  # SMTP_HOST: notifications' config.yaml
        assert f"| `{name}` |" in configuration, name
    for name in site():
        assert f"`{name}`" in deploy, name


def test_dev_links_lead_to_its_port_forward(dev):
    assert dev.get("ConfigMap", "agora-notifications")["data"]["AGORA_WEB_URL"] == \
        "http://127.0.0.1:8000"


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
