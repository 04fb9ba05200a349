"""docs/runbook.md covers what the issue asks, every step with a command, and names only objects
the manifests really create."""

from __future__ import annotations

import re

import pytest

from .conftest import CONSUMERS, REPO

pytestmark = pytest.mark.k8s

RUNBOOK = REPO / "docs" / "runbook.md"
REQUIRED_SECTIONS = [
    "Secrets",
    "Deploy",
    "Scale",
    "Roll back",
    "Read metrics",
    "Replay a read model",
    "Re-drive dead letters",
    "Rotate the token-signing key",
    "Rotate database passwords",
    "Handle a poison message",
    "Restore a service from its event log",
]


def sections() -> dict[str, str]:
    text = RUNBOOK.read_text()
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


@pytest.mark.parametrize("title", REQUIRED_SECTIONS)
def test_runbook_section_has_commands(title):
    body = sections()[title]
    blocks = re.findall(r"```sh\n(.*?)```", body, re.DOTALL)
    assert blocks, f"'{title}' has no command"
    assert any(re.search(r"\b(kubectl|python3|mongodump|mongorestore|git)\b", b) for b in blocks)


def test_runbook_names_existing_objects(prod):
    text = RUNBOOK.read_text()
    for kind, name in set(re.findall(r"\b(cronjob|deployment|job|hpa)/(agora-[a-z-]+)\b", text)):
        kinds = {
            "cronjob": "CronJob",
            "deployment": "Deployment",
            "job": "Job",
            "hpa": "HorizontalPodAutoscaler",
        }
        if kind == "job" and re.search(r"-(replay|redrive|digests)(-|$)", name):
            continue  # Jobs created from the CronJob templates, with a timestamp suffix
        assert prod.has(kinds[kind], name), (
            f"runbook mentions {kind}/{name}, which prod does not have"
        )


def test_runbook_lists_every_consumer_of_events_the_manifests_give_dead_letters(prod):
    (consumers,) = re.findall(r'^export CONSUMERS="([^"]+)"', RUNBOOK.read_text(), re.MULTILINE)
    assert consumers.split() == CONSUMERS  # the gateway too
    for service in CONSUMERS:
        assert prod.has("CronJob", f"agora-redrive-{service}")


def test_deploy_doc_ends_with_the_readme_section():
    text = (REPO / "docs" / "deploy.md").read_text()
    tail = text.split("## README section", 1)[1]
    assert "### Deploy on Kubernetes" in tail and "kubectl apply -k k8s/overlays/dev" in tail
