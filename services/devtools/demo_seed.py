"""`agora seed-demo`: demo accounts and content for LOCAL use (never in production).

Everything goes through the public API, as a client would, except the first admin, which is
created with the `agora create-admin` code path (services/identity/admin.py). Re-running it
changes nothing that exists already: it registers only the accounts the demo admin cannot find
(a registration of a taken address counts against the address's limit and tells the owner by
e-mail, so `make up` run again must not send one), and roles are set, not added.

Each other service adds its own demo content in `services/<name>/demo.py`::

    def seed(api: DemoApi) -> None:
        cm = api.token("cm1@demo.agora")                     # logged in already
        api.post("/api/v1/posts", as_="member1@demo.agora", json={...}, expect=(201,),
                 headers={"Idempotency-Key": "demo-post-1"})  # idempotent re-runs

and is called after the accounts exist, in the order of `services.shared.config.PROCESSES`.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from services.shared.config import PROCESSES, available_processes, in_production

from .gateway_client import GatewayClient, TotpDevice

DEMO_PASSWORD = "agora-demo-2026"
DEMO_DOMAIN = "demo.agora"
# The demo staff's TOTP secret: LOCAL DEMO DATA, printed by `make up`, enrolled only by this
# seeder (which refuses to run in production); real staff enrol their own device.
DEMO_TOTP_SECRET = "AGORADEMOLOCALONLYNEVERINPRODXYZ"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    roles: tuple[str, ...] = ()
    customer: bool = False
    advisor: str | None = None  # e-mail of the advisor a customer is assigned to
    branch: str = ""


ACCOUNTS = (
    DemoAccount(f"admin@{DEMO_DOMAIN}", "Administration Agora", ("admin",)),
    DemoAccount(f"cm1@{DEMO_DOMAIN}", "Camille (communauté)", ("community_manager",)),
    DemoAccount(f"cm2@{DEMO_DOMAIN}", "Chris (communauté)", ("community_manager",)),
    DemoAccount(f"advisor1@{DEMO_DOMAIN}", "Alice Martin", ("advisor",)),
    DemoAccount(f"advisor2@{DEMO_DOMAIN}", "Bruno Petit", ("advisor",)),
    DemoAccount(f"member1@{DEMO_DOMAIN}", "Marie Dubois", customer=True,
                advisor=f"advisor1@{DEMO_DOMAIN}", branch="Paris Opéra"),
    DemoAccount(f"member2@{DEMO_DOMAIN}", "Karim Benali", customer=True,
                advisor=f"advisor1@{DEMO_DOMAIN}", branch="Paris Opéra"),
    DemoAccount(f"member3@{DEMO_DOMAIN}", "Julie Laurent"),
    DemoAccount(f"member4@{DEMO_DOMAIN}", "Thomas Moreau"),
    DemoAccount(f"member5@{DEMO_DOMAIN}", "Sophie Girard"),
)
ADMIN = ACCOUNTS[0]


class DemoError(RuntimeError):
    pass


class DemoApi(GatewayClient):
    """The gateway's base URL plus a logged-in token per demo account."""

    def __init__(self, base_url: str, timeout: float = 30):
        super().__init__(base_url, timeout)
        self.tokens: dict[str, str] = {}
        self.user_ids: dict[str, str] = {}
        self.devices: dict[str, TotpDevice] = {}  # the demo staff's authenticator (or enrolled)

    def request(self, method: str, path: str, as_: str | None = None, json: Any = None,
                headers: dict[str, str] | None = None, expect=(200, 201, 204)) -> Any:
        """Call the API as the demo account `as_` (None: anonymous); the decoded JSON body (None
        for 204). Statuses outside `expect` raise DemoError with the problem detail."""
        token = self.token(as_) if as_ is not None else None
        response = self.send(method, path, token=token, headers=headers, json=json)
        if response.status_code not in expect:
            raise DemoError(f"{method} {path} as {as_ or 'anonymous'}: "
                            f"{response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    def login(self, email: str, password: str = DEMO_PASSWORD) -> str:
        device = self.devices.setdefault(email, TotpDevice(DEMO_TOTP_SECRET))
        response, self.devices[email] = self.log_in(email, password, device)
        if response.status_code != 200:
            raise DemoError(f"log in {email}: {response.status_code} {response.text[:300]}")
        tokens = response.json()
        self.tokens[email] = tokens["access_token"]
        self.user_ids[email] = tokens["user_id"]
        return tokens["access_token"]

    def token(self, email: str) -> str:
        return self.tokens.get(email) or self.login(email)

    def user_id(self, email: str) -> str:
        if email not in self.user_ids:
            self.login(email)
        return self.user_ids[email]


def default_gateway_url() -> str:
    return os.environ.get("AGORA_GATEWAY_URL") or \
        f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT') or 8000}"


def registered(api: DemoApi, email: str) -> bool:
    """Whether `email` has an account, as the demo admin looks a member up (a lookup, not a
    failed login: those count against the address and would throttle the demo's logins)."""
    found = api.get("/api/v1/users?" + urlencode({"email": email}), as_=ADMIN.email)["items"]
    if found:
        api.user_ids[email] = found[0]["id"]
    return bool(found)


def enrol_staff(api: DemoApi, email: str, config: dict[str, Any] | None = None) -> None:
    """Staff log in with a second factor: the demo's, and an authenticator past the last time
    step the account used. `make up` run again within 30 s would otherwise give a used step,
    a wrong code, and five of those lock the account's second factor for 15 minutes.
    `config`: identity's (a test platform's; default: this environment's)."""
    from services.identity.admin import enrol_demo_second_factor

    device = api.devices[email] = TotpDevice(DEMO_TOTP_SECRET)
    device.last_step = enrol_demo_second_factor(email, DEMO_TOTP_SECRET, config)


def member_name(account: DemoAccount) -> str:
    """The name a demo account registers with: its own for members; a staff account's first
    word, since a staff name ("Camille (communauté)") is kept for staff and is picked
    once the role is granted (services/identity/names.py)."""
    return account.name.split()[0] if account.roles else account.name


def verify_address(email: str, config: dict[str, Any] | None = None) -> None:
    """Demo addresses have no mailbox to confirm them from: verified locally (refused in
    production, services/identity/admin.py), so that lookups by address find the demo members.
    `config`: identity's (a test platform's; default: this environment's)."""
    from services.identity.admin import verify_locally

    verify_locally(email, config)


def seed_accounts(api: DemoApi) -> None:
    from services.identity.admin import create_admin

    create_admin(ADMIN.email, ADMIN.name, DEMO_PASSWORD, actor="system:seed-demo")
    verify_address(ADMIN.email)
    enrol_staff(api, ADMIN.email)
    api.login(ADMIN.email)
    for account in ACCOUNTS[1:]:
        if not registered(api, account.email):
            api.request("POST", "/api/v1/auth/register", expect=(202,), json={
                "email": account.email, "password": DEMO_PASSWORD,
                "display_name": member_name(account), "customer": account.customer})
        verify_address(account.email)  # no mailbox: `registered` finds it next time
        user_id = api.user_id(account.email)
        if account.roles:
            api.put(f"/api/v1/users/{user_id}/roles", as_=ADMIN.email,
                    json={"roles": list(account.roles)})
            enrol_staff(api, account.email)
            api.login(account.email)  # its token should carry the roles
            api.patch("/api/v1/me", as_=account.email, json={"display_name": account.name})
    for account in ACCOUNTS:
        if account.advisor:
            user_id = api.user_id(account.email)
            api.put(f"/api/v1/users/{user_id}/verification", as_=ADMIN.email,
                    json={"verified_customer": True})
            api.put(f"/api/v1/users/{user_id}/advisor", as_=ADMIN.email,
                    json={"advisor_id": api.user_id(account.advisor), "branch": account.branch})


def seed(gateway_url: str | None = None) -> int:
    if in_production():
        print("seed-demo: refused (AGORA_ENVIRONMENT is production): demo accounts are for "
              "local use only", file=sys.stderr)
        return 2
    api = DemoApi(gateway_url or default_gateway_url())
    try:
        seed_accounts(api)
        for name in PROCESSES:
            if name in ("gateway", "identity") or name not in available_processes():
                continue
            if importlib.util.find_spec(f"services.{name}.demo") is None:
                continue
            importlib.import_module(f"services.{name}.demo").seed(api)
            print(f"seed-demo: {name} demo content ready")
    except (DemoError, requests.RequestException) as error:
        print(f"seed-demo failed: {error}", file=sys.stderr)
        return 1
    print(f"seed-demo: {len(ACCOUNTS)} demo accounts ready (password {DEMO_PASSWORD}; staff "
          f"second factor: TOTP secret {DEMO_TOTP_SECRET}, local demo data):")
    for account in ACCOUNTS:
        extra = ", ".join([*account.roles, *(["customer of " + account.advisor.split("@")[0]]
                                               if account.advisor else [])])
        print(f"  {account.email:<24} {extra}")
    return 0
