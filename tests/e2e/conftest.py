"""End-to-end tests: the `platform` and `api` fixtures come from tests/platform.py (registered in
tests/conftest.py, so that the browser tests share the same running platform); its names are
re-exported here for the tests and harnesses that import them from this module."""
from __future__ import annotations

import os
import uuid

import pytest

from services.devtools import demo_seed
from services.posts import demo

from ..platform import (  # noqa: F401
    CORS_ORIGIN,
    PASSWORD,
    READY_TIMEOUT,
    REGISTER_ADDRESS_LIMIT,
    SERVICE_SECRET,
    Api,
    Platform,
    Process,
    User,
    _with_vhost,
    find_free_port,
    new_address,
    running,
)
from .steps import ok


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def conversations_db(platform, mongo_client):
    return mongo_client[f"{platform.db_prefix}_conversations"]


@pytest.fixture
def demo_api(platform, api):
    """The demo accounts of the seeder, registered in this test session's platform."""
    client = demo_seed.DemoApi(platform.base_url)
    for number, email in enumerate([demo.ADMIN, demo.CM, demo.ADVISOR, *demo.MEMBERS]):
        # a member's name ("admin" is staff's), new each time: an account registered again
        # answers alike, but its name is checked first, and a staff member's is refused
        response = api.post("/api/v1/auth/register", json={
            "email": email, "password": demo_seed.DEMO_PASSWORD,
            "display_name": f"Démo {number} {uuid.uuid4().hex[:4]}"})
        assert response.status_code == 202, response.text
        demo_seed.verify_address(email, platform.identity_config)  # as `agora seed-demo` does
        user_id = client.user_id(email)
        role = {demo.CM: "community_manager", demo.ADVISOR: "advisor",
                demo.ADMIN: "admin"}.get(email)
        if role:
            ok(api.put(f"/api/v1/users/{user_id}/roles", user=platform.admin,
                       json={"roles": [role]}))
            # as `agora seed-demo` does: demo staff log in with the demo TOTP secret, their
            # authenticator past the steps a seed-demo earlier in this session used
            demo_seed.enrol_staff(client, email, platform.identity_config)
            client.login(email)
    return client
