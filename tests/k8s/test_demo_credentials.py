"""The local demo accounts and the demo bank-system credential that `make up` prints exist on a
developer's machine only: no overlay, and no Secret the secrets script makes, ever carries them,
and the gateway reads bank-system credentials from the bank's own Secret only."""

from __future__ import annotations

import pytest

from .conftest import OVERLAYS, Rendered, containers, generated

pytestmark = pytest.mark.k8s

LOCAL_ONLY = ("demo-bank", "demo-service-key", "AGORA_DEMO_SERVICE_KEY", "demo.agora",
              "agora-demo-2026")


@pytest.mark.parametrize("name", OVERLAYS)
def test_no_overlay_carries_a_demo_credential_or_account(rendered_overlays, name):
    text = rendered_overlays[name].text
    for marker in LOCAL_ONLY:
        assert marker not in text, f"{marker} in overlay {name}"


@pytest.mark.parametrize("name", OVERLAYS)
def test_the_secrets_script_makes_no_demo_credential(name):
    for secret, data in generated(name, f"agora-{name}-check").items():
        assert "AGORA_SERVICE_CREDENTIALS" not in data, secret  # the bank's own Secret
        for marker in LOCAL_ONLY:
            assert all(marker not in value for value in data.values()), (secret, marker)


@pytest.mark.parametrize("name", OVERLAYS)
def test_the_gateway_reads_bank_system_credentials_from_the_banks_secret(
        rendered_overlays, name):
    r: Rendered = rendered_overlays[name]
    (gateway,) = containers(r.get("Deployment", "agora-gateway"))
    env = {item["name"]: item for item in gateway.get("env", [])}
    reference = env["AGORA_SERVICE_CREDENTIALS"]["valueFrom"]["secretKeyRef"]
    assert reference["name"] == "agora-service-credentials"
    assert "value" not in env["AGORA_SERVICE_CREDENTIALS"]
