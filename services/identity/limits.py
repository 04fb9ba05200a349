"""Login and registration limits, pure: which keys an attempt is counted under and the windows'
policies (the counting itself is the shared kit's one mechanism, services/shared/throttle.py)."""
from __future__ import annotations

from datetime import timedelta

from services.shared.throttle import ThrottlePolicy

# Failed logins are counted under three keys. The PAIR (client address, account) is what
# refuses a guesser: 5 failures from one address for one account. The ADDRESS key stops one
# address from trying many accounts. The ACCOUNT key (all addresses) only stops a distributed
# guess, with a high limit, and never applies to an address the account already logged in
# from successfully: so nobody can lock a known victim out by failing on purpose (the victim's
# own address is a different pair, and a known one), while the attacker's pair is throttled.
DEFAULT_PAIR_POLICY = ThrottlePolicy(limit=5, window=timedelta(minutes=15))
DEFAULT_ADDRESS_POLICY = ThrottlePolicy(limit=30, window=timedelta(minutes=15))
DEFAULT_ACCOUNT_POLICY = ThrottlePolicy(limit=100, window=timedelta(minutes=15))
# wrong second-factor codes per account (a 6-digit code is a million guesses: a few an hour)
DEFAULT_CODE_POLICY = ThrottlePolicy(limit=5, window=timedelta(minutes=15))
DEFAULT_REGISTRATION_POLICY = ThrottlePolicy(limit=20, window=timedelta(hours=1))
REGISTRATION_NOTICE_POLICY = ThrottlePolicy(limit=1, window=timedelta(hours=1))
# Password-reset requests (each may send an e-mail) under the login's three keys: the pair
# stops one client from flooding one mailbox, the address one client from trying many
# addresses, the account (exempt from addresses it logged in from, so a flood elsewhere cannot
# keep its owner from asking) a distributed flood. Counted whether or not the address has an
# account: a 429 says nothing about it.
RESET_PAIR_POLICY = ThrottlePolicy(limit=5, window=timedelta(hours=1))
RESET_ADDRESS_POLICY = ThrottlePolicy(limit=30, window=timedelta(hours=1))
RESET_ACCOUNT_POLICY = ThrottlePolicy(limit=10, window=timedelta(hours=1))
# (all three are settings: AGORA_PASSWORD_RESET_*_LIMIT, AGORA_PASSWORD_RESET_WINDOW_SECONDS)
# Confirmation links asked again by a signed-in member ("Renvoyer l'e-mail"), per account: each
# sends an e-mail to an address nobody has proved yet
VERIFICATION_ACCOUNT_POLICY = ThrottlePolicy(limit=5, window=timedelta(hours=1))


def throttle_keys(email_key: str, client: str | None, known_client: bool = False
                  ) -> dict[str, str]:
    """The keys a login attempt is counted under (see above); `known_client`: the account
    has logged in successfully from this address before (no account-wide key then)."""
    keys = {"pair": pair_key(email_key, client), "address": f"address:{client}"} if client \
        else {"pair": pair_key(email_key, client)}
    if not known_client:
        keys["account"] = f"account:{email_key}"
    return keys


def pair_key(email_key: str, client: str | None) -> str:
    return f"pair:{client or '-'}|{email_key}"


def registration_keys(client: str | None) -> dict[str, str]:
    """Registrations are counted per client address (an internal call without one is not);
    only those that pass validation count (`membership.register`): the limit is against mass
    account creation, not against a member correcting a form behind a carrier's shared
    address."""
    return {"address": f"address:{client}"} if client else {}


