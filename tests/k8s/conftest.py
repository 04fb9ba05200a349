"""Fixtures for the Kubernetes manifest tests: render every overlay once with `kubectl kustomize`.

The tests need `kubectl` on PATH (it embeds kustomize; no cluster is contacted) — or, where it is
missing, the standalone kustomize that `make tools` builds and names in KUSTOMIZE — and the Python
packages kubernetes-validate (built-in schemas, offline) and checkov (security scan, offline).
A missing tool fails the tests with a message saying what to install: these tests are the only
check of the manifests, so they must not pass by being skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "k8s"
OVERLAYS = ["dev", "prod"]

# The seven long-running processes, each `agora run <name>` (docs/architecture.md).
SERVICES = ["gateway", "identity", "posts", "moderation", "feeds", "notifications", "conversations"]
# The processes that consume events, all seven (the gateway: identity's session revocations and
# erasures): each has its dead-letter queue and policy, and a re-drive CronJob.
CONSUMERS = SERVICES
# Those with an event log and read models (everything but the gateway): a replay CronJob each.
REPLAYABLE = [s for s in SERVICES if s != "gateway"]
IMAGE = "ghcr.io/agora-community/agora"


def render_command(overlay_dir: Path) -> list[str]:
    kustomize = os.environ.get("KUSTOMIZE")
    if kustomize:
        return [kustomize, "build", str(overlay_dir)]
    path = shutil.which("kubectl")
    if path is None:
        pytest.fail(
            "neither kubectl nor KUSTOMIZE: the k8s tests render the overlays with kustomize "
            "(no cluster needed). `make tools` builds kustomize when kubectl is missing.",
            pytrace=False,
        )
    return [path, "kustomize", str(overlay_dir)]


def render(overlay_dir: Path) -> str:
    command = render_command(overlay_dir)
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed:\n{result.stderr}", pytrace=False)
    return result.stdout


@dataclass
class Rendered:
    """One overlay's output: the YAML text and the parsed objects, with small look-ups."""

    name: str
    text: str
    objects: list[dict[str, Any]] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        for o in self.of_kind(kind):
            if o["metadata"]["name"] == name:
                return o
        raise KeyError(f"{kind}/{name} not in overlay {self.name}")

    def has(self, kind: str, name: str) -> bool:
        return any(o["metadata"]["name"] == name for o in self.of_kind(kind))


@pytest.fixture(scope="session")
def rendered_overlays() -> dict[str, Rendered]:
    out = {}
    for overlay in OVERLAYS:
        text = render(K8S / "overlays" / overlay)
        objects = [o for o in yaml.safe_load_all(text) if o]
        out[overlay] = Rendered(overlay, text, objects)
    return out


@pytest.fixture(params=OVERLAYS)
def overlay(request, rendered_overlays) -> Rendered:
    return rendered_overlays[request.param]


@pytest.fixture(scope="session")
def prod(rendered_overlays) -> Rendered:
    return rendered_overlays["prod"]


@pytest.fixture(scope="session")
def dev(rendered_overlays) -> Rendered:
    return rendered_overlays["dev"]


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    """The pod spec of a Deployment, StatefulSet, Job or CronJob."""
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


def pod_labels(obj: dict[str, Any]) -> dict[str, str]:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["metadata"].get("labels", {})
    return obj["spec"]["template"]["metadata"].get("labels", {})


WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job", "CronJob")


def workloads(r: Rendered) -> Iterator[dict[str, Any]]:
    for o in r.objects:
        if o["kind"] in WORKLOAD_KINDS:
            yield o


def agora_workloads(r: Rendered) -> Iterator[dict[str, Any]]:
    """The workloads that run the Agora image (the platform's own processes and Jobs)."""
    for o in workloads(r):
        if any(c["image"].startswith(IMAGE) for c in pod_spec(o)["containers"]):
            yield o


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(obj)
    return list(spec.get("initContainers", [])) + list(spec["containers"])


def load_yaml_file(path: Path) -> list[dict[str, Any]]:
    return [o for o in yaml.safe_load_all(path.read_text()) if o]


def selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels and matchExpressions)."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


# -- checks shared by Deployments, StatefulSets and Jobs (test_workloads, test_datastores) ---------

# A tag that names one release (semver), never a moving one such as "latest" or "3".
PINNED_IMAGE = re.compile(r"^[a-z0-9.\-/]+(:\d+\.\d+\.\d+[\w.\-]*|@sha256:[0-9a-f]{64})$")


def assert_image_pinned(obj):
    for c in containers(obj):
        assert PINNED_IMAGE.match(c["image"]), f"{c['name']}: image {c['image']!r} is not pinned"
        assert not c["image"].endswith(":latest")


def assert_resources(obj):
    def quantity(value: str) -> float:
        units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
        for unit, factor in units.items():
            if str(value).endswith(unit):
                return float(str(value)[: -len(unit)]) * factor
        return float(value)

    for c in containers(obj):
        res = c.get("resources", {})
        for kind in ("requests", "limits"):
            for what in ("cpu", "memory"):
                assert what in res.get(kind, {}), f"{c['name']}: no {kind}.{what}"
        for what in ("cpu", "memory"):
            assert quantity(res["requests"][what]) <= quantity(res["limits"][what])


def assert_security_context(obj):
    spec = pod_spec(obj)
    pod_sc = spec.get("securityContext", {})
    assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC")
    assert not [v for v in spec.get("volumes", []) if "hostPath" in v], "hostPath volume"
    for c in containers(obj):
        sc = c.get("securityContext", {})

        def effective(key, sc=sc):
            return sc.get(key, pod_sc.get(key))

        assert effective("runAsNonRoot") is True, f"{c['name']}: runAsNonRoot"
        uid = effective("runAsUser")
        assert uid is not None and uid != 0, f"{c['name']}: runAsUser"
        assert sc.get("readOnlyRootFilesystem") is True, f"{c['name']}: readOnlyRootFilesystem"
        assert sc.get("allowPrivilegeEscalation") is False, f"{c['name']}: allowPrivilegeEscalation"
        assert sc.get("privileged") in (None, False), f"{c['name']}: privileged"
        assert sc.get("capabilities", {}).get("drop") == ["ALL"], f"{c['name']}: capabilities.drop"
        assert not sc.get("capabilities", {}).get("add"), f"{c['name']}: capabilities.add"
        assert (effective("seccompProfile") or {}).get("type") == "RuntimeDefault", (
            f"{c['name']}: seccomp"
        )


# -- the secrets script's output (test_secrets_script, test_demo_credentials) ----------------------

SCRIPT = K8S / "scripts" / "create-secrets.py"


def generated(env: str, namespace: str) -> dict[str, dict[str, str]]:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--env", env, "--namespace", namespace],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)["items"]
    for item in items:
        assert item["kind"] == "Secret" and item["metadata"]["namespace"] == namespace
    return {i["metadata"]["name"]: i["stringData"] for i in items}
