#!/usr/bin/env python3
"""Print the Secrets that the Agora manifests reference, with fresh random credentials.

No credential is ever committed to the repository: the platform operator runs this once per
namespace (or creates the same Secrets from a secret manager) and pipes the result to kubectl:

    python3 k8s/scripts/create-secrets.py --env prod --namespace agora | kubectl create -f -
    python3 k8s/scripts/create-secrets.py --env dev --namespace agora-dev | kubectl create -f -

`kubectl create` (not apply) refuses to overwrite a Secret that already exists, so running it twice
changes nothing. To rotate one credential, print only that Secret and replace it, e.g.

    python3 k8s/scripts/create-secrets.py --env prod --namespace agora --only agora-jwt \\
      | kubectl replace -f -

(docs/runbook.md tells what else a rotation needs: the database side, the restarts.)

Secrets, by environment:

* both: agora-rabbitmq-<user> (username, password, uri) for every RabbitMQ user: one per
  process (gateway, identity, posts, moderation, feeds, notifications, conversations; the ops
  jobs of a service use its user) and bank-reader (read-only on the public *.events exchanges,
  for the bank's own systems; its uri is what they connect with),
  agora-jwt (private_key.pem, public_key.pem: the Ed25519 key pair of the access tokens),
  agora-notifications-unsubscribe (secret: the HMAC key of e-mails' one-click unsubscribe links),
  agora-identity-mfa (mfa.key: the Fernet key identity encrypts TOTP secrets with; never
  rotate it casually: every enrolled second factor is sealed with it),
  agora-<user>-mongodb-password (password) for every MongoDB user: gateway, identity, posts,
  moderation, feeds, notifications, conversations, migrate, and the SREs' admin
  (agora-mongodb-admin-password).
* dev only (production gets them from the operators): agora-<user>-mongodb
  (connectionString.standard, as the MongoDB Community Operator would write it),
  agora-rabbitmq-definitions (20-users.json: the users of the dev broker and their permissions,
  from services/shared/broker_permissions.py; password hashes only)
  and agora-rabbitmq-admin (username, password of the dev broker's administrator).

Not generated, because their content is the bank's: agora-gateway-tls (the Ingress certificate,
or cert-manager's) and agora-service-credentials (key AGORA_SERVICE_CREDENTIALS: the bank
systems' "name:sha256-hex,..." list; optional) and agora-smtp (username, password of the bank's
SMTP relay; optional, see docs/runbook.md "SMTP relay").

Passwords are 32 random hex digits: safe inside URIs without escaping. The key pair comes from
`openssl genpkey`. Only the Python standard library and openssl are needed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

# The broker users and their permissions are defined once, in the shared kit (standard library
# only), next to the code whose needs they describe.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from services.shared import broker_permissions

MONGODB_USERS = [
    "gateway",
    "identity",
    "posts",
    "moderation",
    "feeds",
    "notifications",
    "conversations",
    "migrate",
]
RABBITMQ_VHOST = "agora"
RABBITMQ_HOST = "agora-rabbitmq"  # the client Service of both the dev StatefulSet and the operator
MONGODB_DEV_HOST = "agora-mongodb"
LABELS = {"app.kubernetes.io/part-of": "agora", "app.kubernetes.io/managed-by": "create-secrets"}


def new_password() -> str:
    """A random password that needs no escaping in a URI: `new_password()` -> '3f9c...' (32 hex)."""
    return secrets.token_hex(16)


def rabbitmq_password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password)).

    The worked example of RabbitMQ's "Credentials and Passwords" guide:
    >>> rabbitmq_password_hash("test12", bytes.fromhex("908dc60a"))
    'kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR'
    """
    salt = secrets.token_bytes(4) if salt is None else salt
    digest = hashlib.sha256(salt + password.encode("utf-8")).digest()
    return base64.b64encode(salt + digest).decode("ascii")


def ed25519_key_pair() -> tuple[str, str]:
    """A fresh Ed25519 key pair as PEM text (private PKCS#8, public SPKI), made by openssl.

    Access tokens are EdDSA-signed (gateway/auth.py pins the algorithm): identity signs with the
    private key, the gateway verifies with the public key.
    """
    with tempfile.TemporaryDirectory() as tmp:
        private = Path(tmp) / "private.pem"
        subprocess.run(
            ["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(private)],
            check=True,
            capture_output=True,
        )
        public = subprocess.run(
            ["openssl", "pkey", "-in", str(private), "-pubout"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return private.read_text(), public


def secret(name: str, namespace: str, data: dict[str, str]) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(LABELS)},
        "stringData": data,
    }


def build(
    env: str, namespace: str, only: set[str] | None = None, with_jwt: bool = True
) -> list[dict]:
    """All Secrets of one environment (or the named subset), as Kubernetes objects."""
    out: list[dict] = []

    def wanted(*names: str) -> bool:
        return only is None or any(n in only for n in names)

    rabbitmq_secrets = [f"agora-rabbitmq-{user}" for user in broker_permissions.USERS]
    if wanted(*rabbitmq_secrets, "agora-rabbitmq-definitions"):
        passwords = {}
        for user in broker_permissions.USERS:
            name, password = broker_permissions.username(user), new_password()
            passwords[name] = password
            if wanted(f"agora-rabbitmq-{user}", "agora-rabbitmq-definitions"):
                out.append(
                    secret(
                        f"agora-rabbitmq-{user}",
                        namespace,
                        {
                            "username": name,
                            "password": password,
                            "uri": f"amqp://{name}:{password}@{RABBITMQ_HOST}:5672/{RABBITMQ_VHOST}",
                        },
                    )
                )
        if env == "dev" and wanted("agora-rabbitmq-definitions"):
            admin_password = new_password()
            out.append(
                secret(
                    "agora-rabbitmq-admin",
                    namespace,
                    {"username": "admin", "password": admin_password},
                )
            )
            users = {
                "vhosts": [{"name": RABBITMQ_VHOST}],
                "users": [
                    *[
                        {
                            "name": name,
                            "password_hash": rabbitmq_password_hash(password),
                            "hashing_algorithm": "rabbit_password_hashing_sha256",
                            "tags": [],
                        }
                        for name, password in passwords.items()
                    ],
                    {
                        "name": "admin",
                        "password_hash": rabbitmq_password_hash(admin_password),
                        "hashing_algorithm": "rabbit_password_hashing_sha256",
                        "tags": ["administrator"],
                    },
                ],
                "permissions": [
                    *[
                        {"user": name, "vhost": RABBITMQ_VHOST, **permissions}
                        for name, permissions in broker_permissions.all_permissions().items()
                    ],
                    {
                        "user": "admin",
                        "vhost": RABBITMQ_VHOST,
                        "configure": ".*",
                        "write": ".*",
                        "read": ".*",
                    },
                ],
            }
            out.append(
                secret(
                    "agora-rabbitmq-definitions",
                    namespace,
                    {"20-users.json": json.dumps(users, indent=2)},
                )
            )

    if wanted("agora-jwt") and with_jwt:
        private_pem, public_pem = ed25519_key_pair()
        out.append(
            secret(
                "agora-jwt",
                namespace,
                {"private_key.pem": private_pem, "public_key.pem": public_pem},
            )
        )

    if wanted("agora-notifications-unsubscribe"):
        # rotating it invalidates the unsubscribe links of the mails already sent
        out.append(
            secret("agora-notifications-unsubscribe", namespace, {"secret": secrets.token_hex(32)})
        )

    if wanted("agora-identity-mfa"):
        # a Fernet key: 32 random bytes, URL-safe base64
        mfa_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        out.append(secret("agora-identity-mfa", namespace, {"mfa.key": mfa_key}))

    for user in [*MONGODB_USERS, "admin"]:
        password_secret = (
            "agora-mongodb-admin-password" if user == "admin" else f"agora-{user}-mongodb-password"
        )
        uri_secret = "agora-mongodb-admin" if user == "admin" else f"agora-{user}-mongodb"
        if not wanted(password_secret, uri_secret):
            continue
        password = new_password()
        out.append(secret(password_secret, namespace, {"password": password}))
        if env == "dev":
            # The same keys the MongoDB Community Operator writes in production.
            uri = f"mongodb://{user}:{password}@{MONGODB_DEV_HOST}:27017/admin?authSource=admin"
            out.append(
                secret(
                    uri_secret,
                    namespace,
                    {
                        "username": user,
                        "password": password,
                        "connectionString.standard": uri,
                    },
                )
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", choices=["dev", "prod"], required=True)
    parser.add_argument("--namespace", required=True)
    parser.add_argument(
        "--only",
        action="append",
        metavar="SECRET",
        help="print only this Secret (repeatable); for rotations",
    )
    parser.add_argument(
        "--no-jwt",
        action="store_true",
        help="skip the token-signing key pair (when it comes from elsewhere)",
    )
    args = parser.parse_args(argv)
    items = build(args.env, args.namespace, set(args.only) if args.only else None, not args.no_jwt)
    if not items:
        parser.error("no Secret matches --only")
    json.dump({"apiVersion": "v1", "kind": "List", "items": items}, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
