"""Every overlay builds, and every object it renders is valid against its schema, offline.

Built-in kinds: the Kubernetes OpenAPI schemas shipped by kubernetes-validate, in strict mode
(an unknown field is an error, as `kubectl apply` with strict field validation would say).
Custom resources (Prometheus Operator, RabbitMQ operators, MongoDB Community Operator): the CRD
schemas kept in crd_schemas/ (see its README), made strict the same way. A kind with no schema
fails: nothing is left unvalidated.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from .conftest import OVERLAYS, Rendered

pytestmark = pytest.mark.k8s

# The oldest Kubernetes minor the manifests support (docs/deploy.md): preStop `sleep` and
# topology-spread matchLabelKeys need 1.30.
KUBERNETES_VERSION = "1.30.0"
CRD_SCHEMAS = Path(__file__).parent / "crd_schemas"

EXPECTED_KINDS = {
    "dev": {
        "Namespace",
        "ConfigMap",
        "Service",
        "ServiceAccount",
        "Deployment",
        "Job",
        "CronJob",
        "NetworkPolicy",
        "StatefulSet",
    },
    "prod": {
        "Namespace",
        "ConfigMap",
        "Service",
        "ServiceAccount",
        "Deployment",
        "Job",
        "CronJob",
        "NetworkPolicy",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Ingress",
        "ServiceMonitor",
        "PodMonitor",
        "PrometheusRule",
        "RabbitmqCluster",
        "Vhost",
        "User",
        "Permission",
        "Policy",
        "Queue",
        "MongoDBCommunity",
    },
}


def kubernetes_validate():
    try:
        import kubernetes_validate as kv
    except ImportError:
        pytest.fail(
            "the k8s tests need the kubernetes-validate package (pip install kubernetes-validate)",
            pytrace=False,
        )
    return kv


def _strict(schema):
    """Reject unknown fields where the CRD does not explicitly allow them."""
    if isinstance(schema, dict):
        schema = {k: _strict(v) for k, v in schema.items()}
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@cache
def crd_validators():
    import jsonschema

    validators = {}
    for path in CRD_SCHEMAS.glob("*.json"):
        doc = json.loads(path.read_text())
        schema = _strict(copy.deepcopy(doc["schema"]))
        # metadata is validated by Kubernetes itself, not by the CRD schema.
        schema.setdefault("properties", {})["metadata"] = {"type": "object"}
        validators[(doc["apiVersion"], doc["kind"])] = jsonschema.Draft7Validator(schema)
    return validators


def validate(obj: dict) -> list[str]:
    key = (obj["apiVersion"], obj["kind"])
    if key in crd_validators():
        return [
            f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in crd_validators()[key].iter_errors(obj)
        ]
    kv = kubernetes_validate()
    try:
        kv.validate(obj, KUBERNETES_VERSION, strict=True)
    except kv.utils.SchemaNotFoundError:
        return [
            f"no schema for {obj['apiVersion']} {obj['kind']}: add its CRD schema to crd_schemas/"
        ]
    except kv.utils.ValidationError as e:
        return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"]
    return []


@pytest.mark.parametrize("name", OVERLAYS)
def test_overlay_builds_with_the_expected_kinds(rendered_overlays, name):
    r: Rendered = rendered_overlays[name]
    kinds = Counter(o["kind"] for o in r.objects)
    assert set(kinds) == EXPECTED_KINDS[name], kinds


@pytest.mark.parametrize("name", OVERLAYS)
def test_every_object_is_valid_against_its_schema(rendered_overlays, name):
    r: Rendered = rendered_overlays[name]
    errors = {}
    for obj in r.objects:
        problems = validate(obj)
        if problems:
            errors[f"{obj['kind']}/{obj['metadata']['name']}"] = problems
    assert not errors, json.dumps(errors, indent=2)


@pytest.mark.parametrize("name", OVERLAYS)
def test_every_namespaced_object_lands_in_the_overlay_namespace(rendered_overlays, name):
    r: Rendered = rendered_overlays[name]
    (namespace,) = r.of_kind("Namespace")
    ns = namespace["metadata"]["name"]
    wrong = [
        f"{o['kind']}/{o['metadata']['name']}"
        for o in r.objects
        if o["kind"] != "Namespace" and o["metadata"].get("namespace") != ns
    ]
    assert not wrong


def test_the_validator_rejects_a_broken_object(prod):
    """The schema check is real: a typo'd field and a wrong type are both caught."""
    deployment = copy.deepcopy(prod.get("Deployment", "agora-posts"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {}
    assert validate(deployment)
    cluster = copy.deepcopy(prod.get("RabbitmqCluster", "agora-rabbitmq"))
    cluster["spec"]["replicas"] = "three"
    assert validate(cluster)
    policy = copy.deepcopy(prod.get("Policy", "agora-posts-dead-lettering"))
    policy["spec"]["aplyTo"] = "queues"
    assert validate(policy)
