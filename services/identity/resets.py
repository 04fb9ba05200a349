"""Forgotten passwords: ask for a reset link by e-mail, then choose a new password with it.

- Asking answers the same whether or not the address has an account (`password_reset_received`,
  the same writes: a decoy reset for an address without one), limited like logins
  (limits.py: per client and address, per client, per address). For an account, identity
  keeps the token's hash only (`password_resets`, accounts.py) and appends the private
  `identity.password_reset_requested` carrying the raw token once, sealed with the member's
  key (services/shared/shredding.py): notifications e-mails the link and keeps nothing of it
  once sent (docs/security.md, "Password reset").
- A link works once, for `reset_seconds` (AGORA_PASSWORD_RESET_SECONDS), and only the latest:
  a new request, a reset or a password change ends the others.
- Using it sets the password (the registration's strength rules), revokes every session as a
  password change does, and opens none: the member then logs in, with their second factor
  when they have one — a reset never bypasses it. It verifies the address
  (verification.py): the link was read in that mailbox.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from eventlet import tpool

from services.shared.envelope import utc_now
from services.shared.errors import InvalidInput

from . import domain, passwords, verification
from .sessions import Sessions

log = logging.getLogger(__name__)


def request_reset(sessions: Sessions, email: str, client: str | None) -> dict[str, Any]:
    """A reset link for the account of `email`, if there is one; the same answer otherwise."""
    accounts, now = sessions.accounts, utc_now()
    seconds = sessions.kit.reset_seconds
    email_key = domain.normalize_email(email)
    user_id = accounts.user_id_for(email_key)  # erasure releases the address: None then
    keys = accounts.reset_keys(email_key, client, user_id)
    accounts.reset_requests.check(keys, now, "too_many_reset_requests")
    accounts.reset_requests.record(keys, now)
    token = accounts.new_reset(user_id, now, seconds)
    if user_id is not None:
        sessions.account_event(user_id, "anonymous", domain.password_reset_requested(
            user_id, token, now + timedelta(seconds=seconds)))
        log.info("password reset requested", extra={"user_id": user_id})
    return domain.password_reset_received(max(1, round(seconds / 60)))


def confirm_reset(sessions: Sessions, token: str, password: str, client: str | None) -> None:
    """The new password for the link's account; the link is used up, every session revoked."""
    accounts, now = sessions.accounts, utc_now()
    reset = usable_reset(sessions, token)
    user = sessions.users.get(reset["user_id"])
    tpool.execute(passwords.check_password, password, user.get("email"),
                  user.get("display_name"))  # the link stays usable to try another
    if not accounts.use_reset(reset):  # used meanwhile (another tab, a double click)
        raise link_refused()
    user_id = user["_id"]
    accounts.set_password_hash(user_id, sessions.kit.passwords.hash(password), now)
    accounts.drop_resets(user_id)
    # whoever asked for the link may have failed logins from here: the owner signs in now
    accounts.logins.clear(accounts.pair_key(user.get("email") or user_id, client))
    sessions.revoke_all(user_id, "password_changed", user_id, extra=domain.password_changed(
        user_id, domain.CHANGED_BY_RESET))
    # the link came to the account's address: its owner has proved the mailbox
    verification.mark_verified(sessions, user_id, domain.VERIFIED_BY_RESET)
    log.info("password reset", extra={"user_id": user_id})


def usable_reset(sessions: Sessions, token: str) -> dict[str, Any]:
    """The live reset of a link's token (the site asks before a password is typed), else the
    refusal: a 400 on the `token` field."""
    reset = sessions.accounts.reset(str(token or ""), utc_now())
    if reset is None or not sessions.users.live(reset["user_id"]):
        raise link_refused()
    return reset


def link_refused() -> InvalidInput:
    return InvalidInput.from_catalogue("reset_link_refused", {
        "fields": {"token": ["unknown, used or expired link"]}})
