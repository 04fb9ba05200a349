"""Addresses proved before anything trusts them: an account's e-mail address is *verified* once
its owner shows they read that mailbox (attacker review s25, F1: a squatter registering a
customer's address must not receive that customer's social cases or advisor).

- At sign-up (and when the member asks again, limited per account) identity keeps a link's
  token hash (`email_verifications`, accounts.py) and appends the private
  `identity.email_verification_requested` carrying the raw token once, sealed with the
  member's key, like a reset link's: notifications e-mails it in the member's language.
- The link works once, for `verification_seconds` (AGORA_EMAIL_VERIFICATION_SECONDS, 48 h),
  only the latest, and only for the address it was sent to. The site consumes it with a POST
  (mail scanners prefetch GETs: a GET only shows the button).
- A completed password reset proves the mailbox too (its link went there).
- Either appends the private `identity.email_verified`; `identity.contact_changed` (a new
  address) makes the account unverified again. Until verified, every lookup by address
  (`GET /users?email=`, the social intake's `matched_email`, the console's advisor
  assignment) answers as for an unknown address. Login is never refused for it.
- Demo and test accounts: `verify_locally` (admin.py), refused in production.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from services.shared.envelope import utc_now
from services.shared.errors import InvalidInput

from . import domain
from .sessions import Sessions

log = logging.getLogger(__name__)


def send_link(sessions: Sessions, user_id: str, email_key: str, actor_id: str | None) -> None:
    """A new confirmation link for the account's address (the earlier ones stop working)."""
    accounts, now = sessions.accounts, utc_now()
    seconds = sessions.kit.verification_seconds
    token = accounts.new_verification(user_id, email_key, now, seconds)
    sessions.account_event(user_id, actor_id, domain.email_verification_requested(
        user_id, token, now + timedelta(seconds=seconds)))


def send_again(sessions: Sessions, user_id: str) -> dict[str, Any]:
    """The signed-in member asks for the link again ("Renvoyer l'e-mail"), a few times an
    hour; nothing is sent for an address already verified."""
    accounts, now = sessions.accounts, utc_now()
    user = sessions.users.get(user_id)
    if not user.get("email_verified"):
        keys = {"account": f"account:{user_id}"}
        accounts.verification_requests.check(keys, now, "too_many_verification_requests")
        accounts.verification_requests.record(keys, now)
        send_link(sessions, user_id, user["email"], user_id)
    return status(user_id, bool(user.get("email_verified")))


def confirm(sessions: Sessions, token: str) -> dict[str, Any]:
    """Consume a confirmation link: the account's address is verified."""
    accounts = sessions.accounts
    verification = accounts.verification(str(token or "")[:200], utc_now())
    if verification is None or not sessions.users.live(verification["user_id"]):
        raise link_refused()
    user = sessions.users.get(verification["user_id"])
    if not accounts.for_address(verification, user.get("email")) or \
            not accounts.use_verification(verification):  # used meanwhile (another tab)
        raise link_refused()
    mark_verified(sessions, user["_id"], domain.VERIFIED_BY_LINK)
    return status(user["_id"], True)


def mark_verified(sessions: Sessions, user_id: str, method: str) -> None:
    """`identity.email_verified`, once per address (a reset of a verified account adds
    nothing)."""
    if sessions.users.get(user_id).get("email_verified"):
        return
    sessions.accounts.drop_verifications(user_id)
    sessions.account_event(user_id, user_id, domain.email_verified(user_id, method))
    log.info("e-mail address verified", extra={"user_id": user_id, "method": method})


def status(user_id: str, verified: bool) -> dict[str, Any]:
    return {"user_id": user_id, "email_verified": verified}


def link_refused() -> InvalidInput:
    return InvalidInput.from_catalogue("verification_link_refused", {
        "fields": {"token": ["unknown, used or expired link"]}})
