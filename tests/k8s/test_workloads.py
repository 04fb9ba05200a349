"""The hardened baseline, one test per workload per property, in every overlay.

Deployments: `agora run <service>`, standard labels, probes on /readyz and /healthz, requests and
limits, a restrictive securityContext, configuration from ConfigMaps and Secrets only, graceful
shutdown, its own ServiceAccount and Service. The operational Jobs get the same container
baseline. A broken property fails the test named after it and the workload.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import (
    CONSUMERS,
    IMAGE,
    OVERLAYS,
    REPLAYABLE,
    SERVICES,
    Rendered,
    assert_image_pinned,
    assert_resources,
    assert_security_context,
    containers,
    pod_labels,
    pod_spec,
    selector_matches,
    workloads,
)

pytestmark = pytest.mark.k8s

DEPLOYMENTS = [(o, s) for o in OVERLAYS for s in SERVICES]
JOBS = [(o, "Job", "agora-migrate", ["migrate"]) for o in OVERLAYS] + [
    (o, "CronJob", f"agora-replay-{s}", ["replay", s]) for o in OVERLAYS for s in REPLAYABLE
] + [
    (o, "CronJob", f"agora-redrive-{s}", ["dead-letters", "redrive", s])
    for o in OVERLAYS
    for s in CONSUMERS
]
STANDARD_LABELS = [
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by",
]
SECRET_LIKE_NAME = re.compile(
    r"PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE|KEY|CREDENTIAL|_URI$|_URL$", re.IGNORECASE
)
# Named like a secret, public by definition: the site's address the links of e-mails start with
# (a credential in the value is still refused).
PUBLIC_SETTINGS = {"AGORA_WEB_URL"}


@pytest.fixture
def deployment(rendered_overlays, request) -> tuple[Rendered, str, dict[str, Any]]:
    overlay, service = request.param
    r = rendered_overlays[overlay]
    return r, service, r.get("Deployment", f"agora-{service}")


@pytest.fixture
def job(rendered_overlays, request) -> tuple[Rendered, dict[str, Any], list[str]]:
    overlay, kind, name, args = request.param
    r = rendered_overlays[overlay]
    return r, r.get(kind, name), args


def ids(params):
    return ["-".join(str(x) for x in p[:3] if x not in ("Job", "CronJob")) for p in params]


def by_deployment(test):
    return pytest.mark.parametrize(
        "deployment", DEPLOYMENTS, indirect=True, ids=[f"{o}-{s}" for o, s in DEPLOYMENTS]
    )(test)


def by_job(test):
    return pytest.mark.parametrize("job", JOBS, indirect=True, ids=ids(JOBS))(test)


def the_container(obj: dict[str, Any]) -> dict[str, Any]:
    (container,) = pod_spec(obj)["containers"]
    return container


def image_tag(image: str) -> str:
    return image.rsplit(":", 1)[1] if "@" not in image else image.split("@", 1)[1]


# ------------------------------------------------------- checks of Deployments and Jobs


def assert_configuration_from_configmaps_and_secrets(r: Rendered, obj):
    for c in containers(obj):
        for source in c.get("envFrom", []):
            assert set(source) <= {"configMapRef", "secretRef", "prefix"}
            if "configMapRef" in source:
                assert r.has("ConfigMap", source["configMapRef"]["name"]), source
        for var in c.get("env", []):
            name = var["name"]
            if "valueFrom" in var:
                ref = var["valueFrom"]
                assert set(ref) <= {
                    "secretKeyRef",
                    "configMapKeyRef",
                    "fieldRef",
                    "resourceFieldRef",
                }
                if "configMapKeyRef" in ref:
                    cm = r.get("ConfigMap", ref["configMapKeyRef"]["name"])
                    assert ref["configMapKeyRef"]["key"] in cm["data"]
                continue
            value = str(var.get("value", ""))
            if name.endswith("_FILE") and value.startswith("/var/run/secrets/"):
                continue  # a path to a mounted Secret, not a secret
            assert not SECRET_LIKE_NAME.search(name), (
                f"{name} is set literally; it must come from a Secret"
            )
            assert not re.search(r"://[^/\s:@]+:[^/\s@]+@", value), f"{name} holds credentials"


# ---------------------------------------------------------------- Deployments


@by_deployment
def test_deployment_runs_agora_run_service(deployment):
    _, service, d = deployment
    c = the_container(d)
    assert c["image"].startswith(IMAGE + ":") or c["image"].startswith(IMAGE + "@")
    # The same command as the local stack (`agora run <service>`), explicit in the manifest.
    assert c.get("command", []) + c.get("args", []) == ["agora", "run", service]


@by_deployment
def test_deployment_has_standard_labels(deployment):
    _, service, d = deployment
    image = the_container(d)["image"]
    for labels in (d["metadata"]["labels"], pod_labels(d)):
        for key in STANDARD_LABELS:
            assert labels.get(key), f"missing label {key}"
        assert labels["app.kubernetes.io/name"] == service
        assert labels["app.kubernetes.io/part-of"] == "agora"
        assert labels["app.kubernetes.io/version"] == image_tag(image), "version label != image tag"
    assert selector_matches(d["spec"]["selector"], pod_labels(d))
    assert "app.kubernetes.io/version" not in d["spec"]["selector"].get("matchLabels", {})


@by_deployment
def test_deployment_image_is_pinned(deployment):
    assert_image_pinned(deployment[2])


@by_deployment
def test_deployment_probes_readyz_and_healthz(deployment):
    c = the_container(deployment[2])
    assert {"name": "http", "containerPort": 8080, "protocol": "TCP"} in c["ports"]
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    # A slow start must not be mistaken for a dead process.
    assert c["startupProbe"]["httpGet"]["path"] == "/healthz"


@by_deployment
def test_deployment_has_requests_and_limits(deployment):
    assert_resources(deployment[2])


@by_deployment
def test_deployment_security_context(deployment):
    d = deployment[2]
    assert_security_context(d)
    assert pod_spec(d)["securityContext"]["runAsUser"] == 10001  # the image's USER
    assert pod_spec(d)["automountServiceAccountToken"] is False


@by_deployment
def test_deployment_config_from_configmaps_and_secrets(deployment):
    r, service, d = deployment
    assert_configuration_from_configmaps_and_secrets(r, d)
    env = {v["name"]: v for v in the_container(d)["env"]}
    for name in ("AMQP_URI", "MONGO_URI"):
        assert "secretKeyRef" in env[name]["valueFrom"], name
    assert env["MONGO_URI"]["valueFrom"]["secretKeyRef"]["name"] == f"agora-{service}-mongodb"
    config = r.get("ConfigMap", f"agora-{service}")["data"]
    assert config["WEB_SERVER_ADDRESS"] == "0.0.0.0:8080"


@by_deployment
def test_deployment_config_maps_hold_no_secrets(deployment):
    r, service, _ = deployment
    for name in ("agora-platform", f"agora-{service}"):
        for key, value in r.get("ConfigMap", name)["data"].items():
            if key.endswith("_FILE"):
                assert value.startswith("/var/run/secrets/"), key
                continue
            assert key in PUBLIC_SETTINGS or not SECRET_LIKE_NAME.search(key), (
                f"{name}: {key} belongs in a Secret")
            assert not re.search(r"://[^/\s:@]+:[^/\s@]+@", value), (
                f"{name}: {key} holds credentials"
            )


@by_deployment
def test_deployment_token_keys_least_privilege(deployment):
    """identity signs access tokens (private key); the gateway only verifies (public key);
    no other process sees either."""
    _, service, d = deployment
    mounted = {
        item["key"]
        for v in pod_spec(d).get("volumes", [])
        if v.get("secret", {}).get("secretName") == "agora-jwt"
        for item in v["secret"]["items"]
    }
    expected = {"identity": {"private_key.pem", "public_key.pem"}, "gateway": {"public_key.pem"}}
    assert mounted == expected.get(service, set())
    env_refs = {
        v["valueFrom"]["secretKeyRef"]["name"]
        for v in the_container(d)["env"]
        if "secretKeyRef" in v.get("valueFrom", {})
    }
    assert "agora-jwt" not in env_refs


@by_deployment
def test_deployment_shuts_down_gracefully(deployment):
    d = deployment[2]
    grace = pod_spec(d)["terminationGracePeriodSeconds"]
    pre_stop = the_container(d)["lifecycle"]["preStop"]
    drain = pre_stop["sleep"]["seconds"]
    assert 2 <= drain <= 15, "preStop should let endpoints drain for a few seconds"
    # nameko then needs time to stop consuming and finish in-flight workers.
    assert grace >= drain + 20, f"grace period {grace}s leaves too little after {drain}s preStop"
    strategy = d["spec"]["strategy"]["rollingUpdate"]
    assert strategy["maxUnavailable"] == 0


@by_deployment
def test_deployment_has_its_own_service_account(deployment):
    r, service, d = deployment
    name = pod_spec(d)["serviceAccountName"]
    assert name == f"agora-{service}"
    assert r.get("ServiceAccount", name)["automountServiceAccountToken"] is False


@by_deployment
def test_deployment_has_a_service_on_its_http_port(deployment):
    r, service, d = deployment
    svc = r.get("Service", f"agora-{service}")
    assert selector_matches({"matchLabels": svc["spec"]["selector"]}, pod_labels(d))
    assert [p["targetPort"] for p in svc["spec"]["ports"]] == ["http"]
    # No Service may also select the operational Job pods of the same service.
    for job in workloads(r):
        if job["kind"] in ("Job", "CronJob"):
            assert not selector_matches({"matchLabels": svc["spec"]["selector"]}, pod_labels(job))


# ---------------------------------------------------------------- Jobs


@by_job
def test_job_runs_its_agora_command(job):
    _, obj, args = job
    c = the_container(obj)
    assert c["image"].startswith(IMAGE)
    assert c["command"] + c["args"] == ["agora", *args]


@by_job
def test_job_container_baseline(job):
    r, obj, _ = job
    assert_image_pinned(obj)
    assert_resources(obj)
    assert_security_context(obj)
    assert_configuration_from_configmaps_and_secrets(r, obj)
    assert pod_spec(obj)["restartPolicy"] == "Never"
    assert pod_spec(obj)["automountServiceAccountToken"] is False
    labels = pod_labels(obj)
    assert labels["app.kubernetes.io/component"] == "ops"
    assert labels["app.kubernetes.io/part-of"] == "agora"


@by_job
def test_job_is_a_one_off_template(job):
    _, obj, _ = job
    if obj["kind"] == "CronJob":
        # Templates for `kubectl create job --from=cronjob/...`: never scheduled by themselves.
        assert obj["spec"]["suspend"] is True
        assert obj["spec"]["concurrencyPolicy"] == "Forbid"
        spec = obj["spec"]["jobTemplate"]["spec"]
    else:
        spec = obj["spec"]
    assert spec["activeDeadlineSeconds"] > 0
    assert "ttlSecondsAfterFinished" in spec


@by_job
def test_job_uses_least_privileged_database_user(job):
    _, obj, args = job
    env = {v["name"]: v for v in the_container(obj)["env"]}
    secret = env["MONGO_URI"]["valueFrom"]["secretKeyRef"]["name"]
    if args == ["migrate"]:
        assert secret == "agora-migrate-mongodb"
    else:
        # replay/re-drive of a service use that service's own user: they can touch nothing else.
        assert secret == f"agora-{args[-1]}-mongodb"
