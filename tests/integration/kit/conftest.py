import pytest

from services.shared.event_store import EventStore

from . import sample  # noqa: F401 - registers the ledger payload schemas


@pytest.fixture
def store(mongo_client, db_prefix):
    """The ledger's event store in a database of this test's own."""
    store = EventStore(mongo_client[f"{db_prefix}_ledger"], "ledger")
    store.ensure_indexes()
    return store
