"""Reading a key that a process is configured with: inline (an environment variable holding the
PEM text) or a file (a mounted secret). Identity reads its signing key and its TOTP-secret key this
way, the gateway the public key it verifies access tokens with: one reading for both, so that a
key configured for one is configured the same way for the other.

Example::

    public_pem = read_key(os.environ.get("AGORA_JWT_PUBLIC_KEY"),
                          os.environ.get("AGORA_JWT_PUBLIC_KEY_FILE", ".state/keys/jwt-public.pem"),
                          "token public key")
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def read_key(inline: str | bytes | None, path: str | None, what: str) -> bytes:
    """A PEM key from inline text (env) or a file (relative paths are relative to the repo)."""
    if inline:
        return inline.encode() if isinstance(inline, str) else inline
    if not path:
        raise RuntimeError(f"no {what} configured")
    file = Path(path)
    if not file.is_absolute():
        file = ROOT / file
    try:
        return file.read_bytes()
    except OSError as error:
        raise RuntimeError(
            f"cannot read the {what} at {file} ({error.strerror}); for local use run "
            "`dev/platform.sh up` (or `python -m services.identity.keys .state/keys`)") from None
