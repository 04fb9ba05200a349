"""Identity's DependencyProviders beyond the shared ones: the account collections, password
hashing and token signing, configured from `IDENTITY` in config.yaml."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from nameko.extensions import DependencyProvider

from services.shared.key_files import read_key
from services.shared.mongo import database_name, mongo_uri, release_client, shared_client
from services.shared.shredding import LookupHash
from services.shared.throttle import ThrottlePolicy

from . import limits
from .accounts import Accounts, Passwords, TokenIssuer, ensure_indexes
from .keys import MFA_KEY_NAME
from .mfa import CHALLENGE_SECONDS, SecretBox


@dataclass
class Toolkit:
    accounts: Accounts
    passwords: Passwords
    tokens: TokenIssuer
    access_seconds: int
    refresh_seconds: int
    secret_box: SecretBox            # TOTP secrets at rest
    challenge_seconds: int = CHALLENGE_SECONDS
    step_up_seconds: int = 300       # a second factor proved this recently counts as fresh
    reset_seconds: int = 1800        # how long an e-mailed password-reset link works
    verification_seconds: int = 172800  # how long an address's confirmation link works


def build_toolkit(config: dict[str, Any], db) -> Toolkit:
    """What the service (and `agora create-admin`) need, from a nameko config dict."""
    settings = config.get("IDENTITY", {}) or {}
    window = timedelta(seconds=float(settings.get("login_window_seconds") or 900))
    refresh_days = float(settings.get("refresh_token_days") or 30)
    access_seconds = int(settings.get("access_token_seconds") or 900)
    # the TOTP-secret key: configured, else `mfa.key` beside the signing key (local, tests)
    mfa_key_file = settings.get("mfa_key_file") or (
        str(Path(settings["private_key_file"]).with_name(MFA_KEY_NAME))
        if settings.get("private_key_file") else None)
    mfa_key = read_key(settings.get("mfa_key") or os.environ.get("AGORA_MFA_KEY"),
                       mfa_key_file, "TOTP secret encryption key")
    accounts = Accounts(
        # addresses are looked up by a keyed hash whose key derives from that secret
        db, LookupHash(mfa_key.strip(), "identity.address"), refresh_days=refresh_days,
        pair_policy=ThrottlePolicy(int(settings.get("login_pair_limit") or 5), window),
        address_policy=ThrottlePolicy(int(settings.get("login_address_limit") or 30), window),
        account_policy=ThrottlePolicy(int(settings.get("login_account_limit") or 100), window),
        registration_policy=ThrottlePolicy(
            int(settings.get("register_address_limit") or 20),
            timedelta(seconds=float(settings.get("register_window_seconds") or 3600))),
        reset_policies=_reset_policies(settings),
    )
    passwords = Passwords(
        time_cost=int(settings.get("argon2_time_cost") or 2),
        memory_kib=int(settings.get("argon2_memory_kib") or 19456),
        parallelism=int(settings.get("argon2_parallelism") or 1),
    )
    private_key = read_key(settings.get("private_key") or os.environ.get("AGORA_JWT_PRIVATE_KEY"),
                           settings.get("private_key_file"), "JWT private key")
    tokens = TokenIssuer(private_key, issuer=settings.get("issuer") or "agora-identity",
                         audience=settings.get("audience") or "agora-api",
                         access_seconds=access_seconds)
    box = SecretBox(mfa_key)
    return Toolkit(accounts, passwords, tokens, access_seconds, int(refresh_days * 86400), box,
                   step_up_seconds=int(settings.get("step_up_seconds") or 300),  # 0: default
                   reset_seconds=int(settings.get("password_reset_seconds") or 1800),
                   verification_seconds=int(settings.get("email_verification_seconds")
                                            or 172800))


def _reset_policies(settings: dict[str, Any]) -> dict[str, ThrottlePolicy]:
    """The reset requests' limits (limits.py says why three keys), from the settings."""
    window = timedelta(seconds=float(settings.get("password_reset_window_seconds") or 3600))
    defaults = {"pair": limits.RESET_PAIR_POLICY, "address": limits.RESET_ADDRESS_POLICY,
                "account": limits.RESET_ACCOUNT_POLICY}
    return {key: ThrottlePolicy(int(settings.get(f"password_reset_{key}_limit")
                                    or default.limit), window)
            for key, default in defaults.items()}


class IdentityToolkit(DependencyProvider):
    def setup(self) -> None:
        config = self.container.config
        self.uri = mongo_uri(config)
        db = shared_client(self.uri)[database_name(config, self.container.service_name)]
        ensure_indexes(db)
        self.toolkit = build_toolkit(config, db)

    def stop(self) -> None:
        release_client(self.uri)

    def get_dependency(self, worker_ctx) -> Toolkit:
        return self.toolkit
