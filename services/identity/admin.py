"""`agora create-admin --email E --name N`: the first admin of a new deployment.

The password comes from `AGORA_ADMIN_PASSWORD`, else from stdin when it is not a terminal (one
line), else from a prompt (asked twice). The account is created with the same code path as
registration (services/identity/membership.py `register_user`) directly against identity's database;
its events are published by the identity service's outbox relay (now if it runs, else when it
starts). Running it again for an existing admin changes nothing.
"""
from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from services.shared.config import in_production, load_config
from services.shared.envelope import CommandContext, utc_now
from services.shared.errors import AgoraError, Conflict
from services.shared.event_store import EventStore
from services.shared.mongo import database_name, mongo_uri, shared_client
from services.shared.projections import ProjectionRunner

from . import domain, passwords, schemas  # noqa: F401 - schemas registers the event payloads
from .dependencies import build_toolkit
from .projections import PROJECTION, ensure_indexes


def create_admin(email: str, name: str, password: str, config: dict[str, Any] | None = None,
                 actor: str = "system:create-admin") -> tuple[str, bool]:
    """(user id, created?) — an existing account with this e-mail is made admin if needed."""
    from .membership import register_user

    config = config or load_config("identity")
    db = shared_client(mongo_uri(config))[database_name(config, "identity")]
    store = EventStore(db, "identity")
    store.ensure_indexes()
    views = ProjectionRunner(PROJECTION, store)
    PROJECTION.ensure_indexes(views.rm)
    ensure_indexes(db)
    kit = build_toolkit(config, db)

    def context(actor_id):
        return CommandContext(actor=actor,
                              correlation_id=f"{actor}:{domain.normalize_email(email)}")

    args = {"email": email, "password": password, "display_name": name, "customer": False}
    try:
        return register_user(store, views, kit, args, context, actor, roles=("admin",)), True
    except Conflict:
        user_id = kit.accounts.user_id_for(domain.normalize_email(email))
        if user_id is None:
            raise
    state = domain.fold(store.load(domain.user_stream(user_id)))
    if "admin" not in state.roles:
        system_admin = {"id": actor, "roles": ["admin"], "kind": "user"}
        events = domain.set_roles(state, system_admin, [*state.roles, "admin"])
        views.apply_commit(store.append(domain.user_stream(user_id), state.version, events,
                                        context(actor)))
    return user_id, False


def enrol_demo_second_factor(email: str, secret: str, config: dict[str, Any] | None = None,
                             actor: str = "system:seed-demo") -> int:
    """LOCAL DEMO DATA ONLY (`agora seed-demo`, refused in production): give the account a
    confirmed TOTP second factor with a known `secret`, so the demo staff logins printed by
    `make up` work with a code computed from it. Real accounts always enrol themselves (the
    secret is then known to their device only). Returns the last TOTP time step the account
    used: a used step is a wrong code, so the demo's authenticator gives the next ones."""
    from .mfa import step_of

    local = _LocalAccount(email, config, "demo second factors are for local use only")
    if local.kit.accounts.mfa_enrolled(local.user_id):
        return local.kit.accounts.mfa(local.user_id)["last_step"]
    now = utc_now()
    local.kit.accounts.start_enrolment(local.user_id, local.kit.secret_box.seal(secret), [], now)
    local.kit.accounts.confirm_enrolment(local.user_id, step_of(now) - 2, now)  # codes from now on
    local.record(domain.mfa_enabled(local.user_id), actor, "mfa")
    return step_of(now) - 2


def verify_locally(email: str, config: dict[str, Any] | None = None,
                   actor: str = "system:seed-demo") -> str:
    """LOCAL DEMO AND TEST DATA ONLY (`agora seed-demo`, the test platforms; refused in
    production): mark the account's address verified (`identity.email_verified`, method
    `local`) without the confirmation link, as its owner following it would. Demo addresses
    have no mailbox; real members always prove theirs (verification.py). Returns the user id;
    again for a verified account changes nothing."""
    local = _LocalAccount(email, config,
                          "addresses are verified by their owner's mailbox in production")
    if local.views.rm["users"].find_one({"_id": local.user_id, "email_verified": True}):
        return local.user_id
    local.kit.accounts.drop_verifications(local.user_id)
    local.record(domain.email_verified(local.user_id, domain.VERIFIED_LOCALLY), actor, "verify")
    return local.user_id


class _LocalAccount:
    """An existing account, reached directly in identity's database by the local-only
    commands above (each refused in production, with its own `refusal`)."""

    def __init__(self, email: str, config: dict[str, Any] | None, refusal: str):
        if in_production():
            raise RuntimeError(refusal)
        config = config or load_config("identity")
        db = shared_client(mongo_uri(config))[database_name(config, "identity")]
        self.kit = build_toolkit(config, db)
        self.user_id = self.kit.accounts.user_id_for(domain.normalize_email(email))
        if self.user_id is None:
            raise RuntimeError(f"no account {email}")
        self.store = EventStore(db, "identity")
        self.views = ProjectionRunner(PROJECTION, self.store)

    def record(self, events, actor: str, what: str) -> None:
        """Append `events` to the account's stream and apply them to the read model now."""
        stream = domain.account_stream(self.user_id)
        self.views.apply_commit(self.store.append(
            stream, self.store.stream_version(stream), events,
            CommandContext(actor=actor, correlation_id=f"{actor}:{what}")))


def read_password() -> str:
    password = os.environ.get("AGORA_ADMIN_PASSWORD")
    if password:
        return password
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Admin password: ")
    if first != getpass.getpass("Again: "):
        raise SystemExit("the two passwords differ")
    return first


def create_admin_from_cli(args) -> int:
    password = read_password()
    problems = passwords.password_problems_en(password, args.email, args.name)
    if problems:
        print("password refused: " + "; ".join(problems), file=sys.stderr)
        return 2
    try:
        user_id, created = create_admin(args.email, args.name, password)
    except AgoraError as error:
        print(f"create-admin failed: {error.message} {error.details or ''}", file=sys.stderr)
        return 1
    print(f"{'created' if created else 'already exists, admin'}: {args.email} (user {user_id})")
    return 0
