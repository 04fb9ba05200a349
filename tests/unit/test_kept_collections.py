"""The process's client keeps its databases and their collections (services/shared/mongo.py):
pymongo builds a new `Collection` per `db[name]`, which the services ask for on every command."""
import pytest
from pymongo import WriteConcern

from services.shared import mongo
from services.shared.mongo import KeptCollections, KeptDatabases, release_client, shared_client

pytestmark = pytest.mark.unit


@pytest.fixture
def client():
    client = KeptDatabases("mongodb://127.0.0.1:1", connect=False)  # never contacted
    yield client
    client.close()


def test_a_database_and_its_collections_are_built_once(client):
    db = client["agora_posts"]
    assert client["agora_posts"] is db and client.agora_posts is db
    assert isinstance(db, KeptCollections)
    assert db["events"] is db["events"] and db.events is db["events"]
    assert db["events"].full_name == "agora_posts.events"
    assert db["posts"] is not db["events"]
    assert client["agora_feeds"]["events"] is not db["events"]


def test_a_collection_with_other_options_is_built_anew(client):
    db = client["agora_posts"]
    unacknowledged = db.get_collection("events", write_concern=WriteConcern(w=0))
    assert unacknowledged is not db["events"]
    assert unacknowledged.write_concern == WriteConcern(w=0)
    assert db["events"].write_concern == client.write_concern


def test_the_kept_collections_are_bounded(client, monkeypatch):
    monkeypatch.setattr(mongo, "KEPT_COLLECTIONS", 3)
    db = client["agora_posts"]
    first = db["a"]
    for name in ("b", "c"):
        db[name]
    assert db["a"] is first  # three kept
    db["d"]  # a fourth: the kept ones are forgotten
    assert db["a"] is not first and db["a"] is db["a"]


def test_the_process_client_keeps_them():
    uri = "mongodb://127.0.0.1:1/?connectTimeoutMS=100&serverSelectionTimeoutMS=100"
    client = shared_client(uri)
    try:
        assert client["agora_x"]["events"] is shared_client(uri)["agora_x"]["events"]
        release_client(uri)
    finally:
        release_client(uri)
