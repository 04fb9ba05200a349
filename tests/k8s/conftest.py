"""Fixtures for the Kubernetes manifest tests: render every overlay once with `kubectl kustomize`.

The tests need `kubectl` on PATH (it embeds kustomize; no cluster is contacted) — or, where it is
missing, the standalone kustomize that `make tools` builds and names in KUSTOMIZE — and the Python
packages kubernetes-validate (built-in schemas, offline) and checkov (security scan, offline).
A missing tool fails the tests with a message saying what to install: these tests are the only
check of the manifests, so they must not pass by being skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
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
# The services that consume events and own read models (everything but the gateway).
CONSUMERS = ["identity", "posts", "moderation", "feeds", "notifications", "conversations"]
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
