"""The demo accounts the browser tests act as, by the names `agora seed-demo` gives them
(services/devtools/demo_seed.py defines them: one list, read here, never copied), and the
gateway's client that acts as any of them.

A test module takes the fixture by naming it at its top level (`api = signed_in_api`), as
pytest finds fixtures among a module's names."""
from __future__ import annotations

import pytest

from services.devtools.demo_seed import ACCOUNTS, DemoApi

# "advisor1" → "advisor1@demo.agora"; a KeyError on import: the seeder no longer creates it
_BY_NAME = {account.email.partition("@")[0]: account.email for account in ACCOUNTS}

ADMIN = _BY_NAME["admin"]
CM1 = _BY_NAME["cm1"]
ADVISOR1 = _BY_NAME["advisor1"]
ADVISOR2 = _BY_NAME["advisor2"]
MEMBER1 = _BY_NAME["member1"]  # a customer of ADVISOR1's
MEMBER2 = _BY_NAME["member2"]  # another customer of ADVISOR1's
MEMBER3 = _BY_NAME["member3"]  # a member who is nobody's customer
MEMBER4 = _BY_NAME["member4"]
MEMBER5 = _BY_NAME["member5"]


@pytest.fixture(name="api")
def signed_in_api(demo) -> DemoApi:
    """The gateway as the demo accounts: `api.get(path, as_=MEMBER1)` signs MEMBER1 in once
    (a staff account the browser signs in too: give it `console_steps.staff_device`)."""
    return DemoApi(demo.base_url)
