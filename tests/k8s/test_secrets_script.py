"""k8s/scripts/create-secrets.py makes exactly the Secrets the manifests reference.

The repository holds no credential; the Secrets are created per namespace by the platform
operator. Every reference in a rendered overlay must be satisfied by the script's output, or by
an object an operator generates (the MongoDB Community Operator's connection strings), or be one
of the two Secrets whose content is the bank's own (TLS certificate, bank-system tokens).
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from services.shared import broker_permissions

from .conftest import OVERLAYS, Rendered, containers, generated, workloads

pytestmark = pytest.mark.k8s

BANK_OWNED = {"agora-gateway-tls", "agora-service-credentials", "agora-smtp"}


def references(r: Rendered) -> dict[str, set[str]]:
    """Secret name -> keys used, across env, volumes, operator resources and the Ingress."""
    refs: dict[str, set[str]] = {}

    def add(name, key=None):
        refs.setdefault(name, set())
        if key:
            refs[name].add(key)

    for w in workloads(r):
        for c in containers(w):
            for var in c.get("env", []):
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                if ref and not ref.get("optional"):
                    add(ref["name"], ref["key"])
                elif ref:
                    add(ref["name"])
            for source in c.get("envFrom", []):
                if "secretRef" in source:
                    add(source["secretRef"]["name"])
        spec = (
            w["spec"]["template"]["spec"]
            if w["kind"] != "CronJob"
            else w["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        )
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                add(volume["secret"]["secretName"])
    for mdb in r.of_kind("MongoDBCommunity"):
        for user in mdb["spec"]["users"]:
            add(user["passwordSecretRef"]["name"], user["passwordSecretRef"].get("key", "password"))
    for user in r.of_kind("User"):
        add(user["spec"]["importCredentialsSecret"]["name"], "username")
        add(user["spec"]["importCredentialsSecret"]["name"], "password")
    for ingress in r.of_kind("Ingress"):
        for tls in ingress["spec"].get("tls", []):
            add(tls["secretName"])
    return refs


def operator_generated(r: Rendered) -> dict[str, set[str]]:
    out = {}
    for mdb in r.of_kind("MongoDBCommunity"):
        for user in mdb["spec"]["users"]:
            out[user["connectionStringSecretName"]] = {
                "connectionString.standard",
                "username",
                "password",
            }
    return out


@pytest.fixture(scope="module")
def secrets_by_overlay(rendered_overlays):
    return {
        name: generated(name, rendered_overlays[name].of_kind("Namespace")[0]["metadata"]["name"])
        for name in OVERLAYS
    }


@pytest.mark.parametrize("name", OVERLAYS)
def test_every_referenced_secret_is_provided(rendered_overlays, secrets_by_overlay, name):
    r = rendered_overlays[name]
    provided = {k: set(v) for k, v in secrets_by_overlay[name].items()}
    provided.update(operator_generated(r))
    for secret, keys in references(r).items():
        if secret in BANK_OWNED:
            continue
        assert secret in provided, f"{secret} is referenced but nothing creates it"
        assert keys <= provided[secret], f"{secret}: keys {keys - provided[secret]} missing"


@pytest.mark.parametrize("name", OVERLAYS)
def test_no_secret_or_credential_is_committed(rendered_overlays, name):
    r = rendered_overlays[name]
    assert not r.of_kind("Secret"), (
        "Secrets are created by the operator, never rendered from the repo"
    )
    assert "-----BEGIN" not in r.text
    assert not re.search(r"(amqp|mongodb|https?)://[^/\s:@]+:[^/\s@]+@", r.text)
    assert not re.search(
        r"(?i)(password|passwd|secret|token)\s*[:=]\s*['\"]?[A-Za-z0-9+/]{12,}", r.text
    )


def test_prod_leaves_operator_owned_secrets_alone(secrets_by_overlay, prod):
    """The MongoDB operator writes the connection strings in prod: the script must not."""
    assert not set(secrets_by_overlay["prod"]) & set(operator_generated(prod))


def test_dev_connection_strings_match_the_passwords(secrets_by_overlay):
    secrets = secrets_by_overlay["dev"]
    for user in [
        "gateway",
        "identity",
        "posts",
        "moderation",
        "feeds",
        "notifications",
        "conversations",
        "migrate",
    ]:
        password = secrets[f"agora-{user}-mongodb-password"]["password"]
        uri = secrets[f"agora-{user}-mongodb"]["connectionString.standard"]
        assert uri == f"mongodb://{user}:{password}@agora-mongodb:27017/admin?authSource=admin"
    for user in broker_permissions.USERS:
        credentials = secrets[f"agora-rabbitmq-{user}"]
        name = credentials["username"]
        assert name == f"agora-{user}"
        assert credentials["uri"] == (
            f"amqp://{name}:{credentials['password']}@agora-rabbitmq:5672/agora"
        )
    users = json.loads(secrets["agora-rabbitmq-definitions"]["20-users.json"])
    assert {u["name"] for u in users["users"]} == {*broker_permissions.all_permissions(), "admin"}
    assert all("password" not in u for u in users["users"])  # hashes only
    granted = {p["user"]: p for p in users["permissions"]}
    for name, expected in broker_permissions.all_permissions().items():
        assert {k: granted[name][k] for k in expected} == expected, name


def test_token_keys_are_an_ed25519_pair(secrets_by_overlay, tmp_path):
    """The gateway pins EdDSA: an RSA or EC key would make every token invalid."""
    keys = secrets_by_overlay["prod"]["agora-jwt"]
    (tmp_path / "private.pem").write_text(keys["private_key.pem"])
    text = subprocess.run(
        ["openssl", "pkey", "-in", str(tmp_path / "private.pem"), "-text_pub", "-noout"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert text.startswith("ED25519 Public-Key")
    public = subprocess.run(
        ["openssl", "pkey", "-in", str(tmp_path / "private.pem"), "-pubout"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert public == keys["public_key.pem"]


def test_passwords_are_fresh_each_run():
    a = generated("prod", "agora")["agora-posts-mongodb-password"]["password"]
    b = generated("prod", "agora")["agora-posts-mongodb-password"]["password"]
    assert a != b and re.fullmatch(r"[0-9a-f]{32}", a)
