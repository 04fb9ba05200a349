import pytest
from pymongo import MongoClient

from services.shared.event_store import EventStore

from ...chaos.infra import PrivateDatabase
from ...conftest import MONGO_URI
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


@pytest.fixture
def processes(logged_store, db_prefix):
    """Two processes of the ledger service, each with a client of its own: (this process's
    store, the log of what it sends, another process's store)."""
    here, sent = logged_store("ledger")
    other_client = MongoClient(MONGO_URI, tz_aware=True)
    there = EventStore(other_client[f"{db_prefix}_ledger"], "ledger")
    sent.clear()
    yield here, sent, there
    other_client.close()
