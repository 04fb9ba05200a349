"""The account workflows: register (the RPC and `agora create-admin`), change the password, erase
the account. Each is several steps over the account collections (accounts.py, which stores what
must not be events), the user's streams and the sessions (sessions.py); service.py's entrypoints
parse, call one of these and return.
"""
from __future__ import annotations

import logging
from typing import Any

from eventlet import tpool

from services.shared import commands
from services.shared.actors import is_staff
from services.shared.envelope import CommandContext, utc_now
from services.shared.errors import InvalidInput

from . import domain, names, passwords, verification
from .accounts import EmailTaken
from .domain import account_stream, user_stream
from .queries import Users
from .sessions import Sessions

log = logging.getLogger(__name__)


def register_user(store, views, kit, args: dict[str, Any], context, actor_id: str | None,
                  roles: tuple[str, ...] = (), validated: bool = False) -> str:
    """Register a user (the service's RPC and `agora create-admin` share this): claim the
    e-mail (unique), store the password hash, commit the private then the public events,
    confirm the claim. A crash before the public commit leaves the claim unconfirmed and the
    user stream absent, so a later registration takes the address over (accounts.py).
    `validated`: `validate_registration` passed already (the site's registration)."""
    email_key = domain.normalize_email(args["email"])
    if not validated:
        validate_registration(args, views, roles)
    commands.check_deadline()  # a stale request must not even claim the e-mail
    user_id, now = commands.fresh_uuid("user").hex, utc_now()  # retried: the same id
    accounts = kit.accounts
    accounts.claim_email(email_key, user_id, now,
                         stream_exists=lambda uid: store.stream_version(user_stream(uid)) > 0)
    try:
        accounts.set_password_hash(user_id, kit.passwords.hash(args["password"]), now)
        public, private = domain.register(user_id, email_key, args["display_name"],
                                          args.get("customer", False), now, roles)
        context_ = context(actor_id or user_id)
        private_commit = store.append(account_stream(user_id), 0, private, context_)
        commit = store.append(user_stream(user_id), 0, public, context_)
    except BaseException:
        accounts.release_email(email_key, user_id)
        raise
    accounts.confirm_email(email_key, user_id)
    views.apply_commit(private_commit)
    views.apply_commit(commit)
    return user_id


def validate_registration(args: dict[str, Any], views, roles: tuple[str, ...] = ()) -> None:
    """Raise InvalidInput when registration would refuse these arguments: the address, the
    display name (names.py: visible, not a staff member's look-alike, no staff word unless
    `roles` are staff's), the password's strength, confidential data in the (public) name."""
    email_key = domain.normalize_email(args["email"])
    # staff at once: `agora create-admin`, the operator naming staff (run again for an
    # existing admin, the name is their own): only the visibility rules apply
    staff = is_staff({"roles": roles})
    names.check_display_name(args["display_name"].strip(), staff,
                             () if staff else Users(views).staff_names())
    check_password(args["password"], email_key, args["display_name"])
    domain.refuse_confidential({"display_name": args["display_name"]})


def check_password(password: str, email: str, display_name: str) -> None:
    """Raise InvalidInput when registration would refuse `password` (passwords.py; the e-mail
    and name are its personal words). The estimator is pure CPU (a few ms, tens for long
    inputs): in an OS thread, so the other green threads of the process keep running."""
    tpool.execute(passwords.check_password, password, email, display_name)


def register(sessions: Sessions, args: dict[str, Any], client: str | None) -> dict[str, Any]:
    """A registration from the site: limited per client address; a taken address answers
    like a new one (no account enumeration) and its owner is told."""
    registrations, now = sessions.accounts.registrations, utc_now()
    keys = sessions.accounts.registration_keys(client)
    registrations.check(keys, now, "too_many_registrations")
    # Only a valid attempt counts, for a new address or a taken one alike: the limit is
    # against mass creation, and behind a carrier's shared address (CGNAT) every member who
    # mistyped a field would otherwise use up everyone's hour.
    validate_registration(args, sessions.views)
    registrations.record(keys, now)
    try:
        user_id = register_user(sessions.store, sessions.views, sessions.kit, args,
                                sessions.context, None, validated=True)
    except EmailTaken:
        _tell_owner(sessions, domain.normalize_email(args["email"]), args["password"], now)
    else:  # the address names nobody until its owner follows this link (verification.py)
        verification.send_link(sessions, user_id, domain.normalize_email(args["email"]), user_id)
    return domain.registration_received(domain.normalize_email(args["email"]))


def _tell_owner(sessions: Sessions, email_key: str, password: str, now) -> None:
    """A registration for a taken address: the same work as a new account (a password
    hash, an append) so both answer in the same time class, and the owner is told by
    e-mail — at most once an hour (a script registering the address in a loop must not
    flood its owner)."""
    accounts = sessions.accounts
    sessions.kit.passwords.hash(password)  # the cost of a new account's hash, result unused
    owner = accounts.user_id_for(email_key)
    if owner is None:  # an unconfirmed claim: another registration is in flight
        return
    notice = {"notice": f"notice:{owner}"}
    if accounts.registrations.wait(notice, now) is not None:
        return
    accounts.registrations.record(notice, now)
    commit = sessions.store.execute(account_stream(owner), lambda history: (
        domain.registration_attempted(owner, now)), CommandContext(
            actor="anonymous", correlation_id=sessions.correlation))
    sessions.views.apply_commit(commit)


def change_password(sessions: Sessions, user_id: str, current_password: str,
                    new_password: str, client: str | None) -> None:
    """With the current password (throttled like a login); every session is revoked."""
    user = sessions.users.get(user_id)
    if not sessions.password_matches(user, str(current_password or ""), client,
                                     "change_password"):
        raise InvalidInput("the current password is not correct",
                           {"fields": {"current_password": ["incorrect"]}})
    if new_password == current_password:
        raise InvalidInput("choose a new password",
                           {"fields": {"new_password": ["same as the current one"]}})
    tpool.execute(passwords.check_password, new_password, user.get("email"),
                  user.get("display_name"), field_name="new_password")
    sessions.accounts.set_password_hash(user_id, sessions.kit.passwords.hash(new_password),
                                        utc_now())
    sessions.accounts.drop_resets(user_id)  # a reset link asked for before opens nothing now
    sessions.revoke_all(user_id, "password_changed", user_id,
                        extra=domain.password_changed(user_id, domain.CHANGED_BY_MEMBER))


def erase(sessions: Sessions, decide_user, user_id: str, password: str,
          client: str | None) -> None:
    """Erase my account: confirm with the password; sessions revoked (the gateway refuses
    the access tokens at once), the public tombstone `identity.user_erased` appended (the
    read model blanks e-mail, name and bio), the member's key shredded (every sealed copy
    of their personal fields, in any log or queue, is unreadable from now on), the password
    hash deleted, the e-mail claim released (the address may register again), the login
    audit anonymised. `decide_user` appends on the user's stream (the service's)."""
    accounts, now = sessions.accounts, utc_now()
    user = sessions.users.get(user_id)
    email_key = user.get("email")
    if not sessions.password_matches(user, password, client, "erase_account"):
        raise InvalidInput("the password is not correct", {"fields": {"password": ["incorrect"]}})
    sessions.revoke_all(user_id, "account_erased", user_id)
    decide_user(user_id, user_id, lambda state: domain.erase(state, now))
    sessions.store.keys.shred(user_id)  # again from the bus (`project`) if we die before this
    accounts.delete_credentials(user_id)
    accounts.drop_resets(user_id)
    accounts.drop_verifications(user_id)  # a confirmation link's hash and its address's
    accounts.drop_mfa(user_id)
    accounts.drop_email(user_id)
    accounts.forget(user_id, email_key)
    log.info("account erased", extra={"user_id": user_id})
