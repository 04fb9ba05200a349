"""Ed25519 key pair for access tokens: identity signs with the private key, the gateway verifies
with the public key. Production keys come from a secret (AGORA_JWT_PRIVATE_KEY_FILE /
AGORA_JWT_PUBLIC_KEY_FILE); for local use and tests:

    python -m services.identity.keys .state/keys     # jwt-private.pem, jwt-public.pem, mfa.key

Reading the configured keys (identity's and the gateway's) is services/shared/key_files.py.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PRIVATE_NAME = "jwt-private.pem"
PUBLIC_NAME = "jwt-public.pem"
MFA_KEY_NAME = "mfa.key"  # encrypts the TOTP secrets at rest (identity only)


def generate_keypair(directory: str | Path, overwrite: bool = False) -> tuple[Path, Path]:
    """Write a new key pair into `directory` (kept when present unless `overwrite`), and the
    TOTP-secret key `mfa.key` when missing (never overwritten)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / PRIVATE_NAME, directory / PUBLIC_NAME
    generate_mfa_key(directory)  # identity's other key, beside its signing key
    if private_path.exists() and public_path.exists() and not overwrite:
        return private_path, public_path
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_pem)
    public_path.write_bytes(public_pem)
    return private_path, public_path


def generate_mfa_key(directory: str | Path) -> Path:
    """Write the key that encrypts TOTP secrets (kept when present: replacing it would make
    every enrolled second factor unreadable)."""
    from .mfa import SecretBox

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / MFA_KEY_NAME
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(SecretBox.generate_key())
    return path


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else ".state/keys"
    private, public = generate_keypair(target, overwrite="--overwrite" in sys.argv)
    print(f"{private}\n{public}\n{Path(target) / MFA_KEY_NAME}")
