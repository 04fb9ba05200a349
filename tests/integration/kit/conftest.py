import shutil

import pytest

from services.shared.event_store import EventStore

from ...chaos.infra import PrivateDatabase
from . import sample  # noqa: F401 - registers the ledger payload schemas


@pytest.fixture
def store(mongo_client, db_prefix):
    """The ledger's event store in a database of this test's own."""
    store = EventStore(mongo_client[f"{db_prefix}_ledger"], "ledger")
    store.ensure_indexes()
    return store


@pytest.fixture
def stand_in(tmp_path):
    """A private MongoDB stand-in of this checkout's build, not started yet, stopped at the end;
    the test fails, naming the fix, where none is built."""
    if not (shutil.which("java") and PrivateDatabase.stand_in_dir()):
        pytest.fail("no MongoDB stand-in: run `make infra`")
    server = PrivateDatabase(tmp_path, stand_in=True)
    yield server
    server.stop()
