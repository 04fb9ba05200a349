import pytest

from services.shared.event_store import EventStore

from ...chaos.infra import PrivateDatabase
from . import sample  # noqa: F401 - registers the ledger payload schemas
from .java_checks import built_stand_in


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
    built_stand_in()
    server = PrivateDatabase(tmp_path, stand_in=True)
    yield server
    server.stop()
