"""End-to-end tests: the `platform` and `api` fixtures come from tests/platform.py (registered in
tests/conftest.py, so that the browser tests share the same running platform); its names are
re-exported here for the tests and harnesses that import them from this module."""
from __future__ import annotations

import os

import pytest

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


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)
