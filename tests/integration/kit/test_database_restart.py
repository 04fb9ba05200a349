"""What a clean restart of the database keeps (a private server: mongod, or the local stand-in).

The stand-in stores documents as BSON, its secondary indexes as ordered entries and its unique
indexes in element order (dev/mongo-server): after a stop and a start on the same file, every
document reads back the same, sorted pages and counts answer from the reopened indexes as they
did, and uniqueness still holds.
"""
import datetime
import shutil
import uuid

import pytest
from bson import Decimal128, Int64, ObjectId
from pymongo import MongoClient
from pymongo.errors import DuplicateKeyError

from ...chaos.infra import PrivateDatabase

pytestmark = pytest.mark.integration

# the stream header of every Java-serialized object (java.io.ObjectOutputStream)
JAVA_SERIALIZATION = b"\xac\xed\x00\x05"
WHEN = datetime.datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=datetime.UTC)


def _answers(client):
    items = client["restart"]["items"]
    return {
        "documents": list(items.find().sort("_id", 1)),
        "newest page": [doc["_id"] for doc in items.find({"author": "a3"})
                        .sort([("ts", -1), ("_id", -1)]).limit(7)],
        "next page": [doc["_id"] for doc in items.find(
            {"author": "a3", "$or": [{"ts": {"$lt": 40}}, {"ts": 40, "_id": {"$lt": 43}}]})
            .sort([("ts", -1), ("_id", -1)]).limit(7)],
        "count": items.count_documents({"author": "a3"}),
        "by tag": [doc["_id"] for doc in items.find({"tags": "t1"}).sort("ts", 1).limit(5)],
    }


def test_a_clean_restart_keeps_documents_indexes_and_uniqueness(tmp_path):
    if not PrivateDatabase.available():
        pytest.fail("no mongod and no MongoDB stand-in: run `make infra`")
    server = PrivateDatabase(tmp_path)
    server.start()
    try:
        client = MongoClient(server.uri, tz_aware=True, uuidRepresentation="standard")
        items = client["restart"]["items"]
        items.create_index([("author", 1), ("ts", -1)])
        items.create_index([("tags", 1), ("ts", 1)])
        items.create_index("email", unique=True, sparse=True)
        items.insert_many([
            {"_id": n, "author": f"a{n % 5}", "ts": n // 2, "tags": [f"t{n % 3}", "all"],
             "email": f"m{n}@example.org", "body": "é" * (n % 40)} for n in range(300)])
        items.insert_one({"_id": 1000, "author": "a3", "ts": 1000, "when": WHEN,
                          "oid": ObjectId("65a000000000000000000001"), "uuid": uuid.UUID(int=7),
                          "big": Int64(2**53 + 1), "price": Decimal128("10.10"), "ratio": 0.25,
                          "flag": False, "none": None, "nested": {"list": [1, {"x": "y"}, []]}})
        items.update_many({"author": "a3", "ts": {"$lt": 20}}, {"$set": {"ts": 500}})
        before = _answers(client)
        client.close()
        server.stop()

        server.start()
        client = MongoClient(server.uri, tz_aware=True, uuidRepresentation="standard")
        assert _answers(client) == before
        with pytest.raises(DuplicateKeyError):
            client["restart"]["items"].insert_one({"_id": 2000, "email": "m7@example.org"})
        with pytest.raises(DuplicateKeyError):
            client["restart"]["items"].insert_one({"_id": 7})
        client.close()
    finally:
        server.stop()


def test_the_stand_in_writes_ids_and_unique_keys_in_its_own_format(tmp_path):
    """ObjectIds (the documents' keys, every index's positions) and unique index keys were
    Java-serialized at every commit and counted as 10 KB each by the stand-in's page cache, which
    then thrashed as the data grew (docs/architecture.md, "The stand-in's heap and commits"): they
    are written in a few bytes of their own now — only the collections' metadata is left to Java
    serialization — and read back the same after a restart, uniqueness and order included."""
    if not (shutil.which("java") and PrivateDatabase.stand_in_dir()):
        pytest.fail("no MongoDB stand-in: run `make infra`")
    server = PrivateDatabase(tmp_path, stand_in=True)
    server.start()
    try:
        client = MongoClient(server.uri)
        events = client["restart"]["events"]
        events.create_index([("stream_id", 1), ("version", 1)], unique=True)
        events.create_index("kind")
        events.insert_many([{"stream_id": f"s{n % 50}", "version": n // 50, "kind": n % 3}
                            for n in range(2000)])  # _ids: ObjectIds made by the client
        before = list(events.find().sort("_id", 1))
        client.close()
        server.stop()
        serialized = (server.dir / "agora.mv.db").read_bytes().count(JAVA_SERIALIZATION)
        assert serialized < 20, f"{serialized} Java-serialized values in the file"

        server.start()
        client = MongoClient(server.uri)
        events = client["restart"]["events"]
        assert list(events.find().sort("_id", 1)) == before
        assert events.find_one({"_id": before[1234]["_id"]}) == before[1234]
        assert [doc["version"] for doc in events.find({"stream_id": "s7"}).sort("version", -1)
                .limit(3)] == [39, 38, 37]
        assert events.count_documents({"kind": 1}) == 667
        with pytest.raises(DuplicateKeyError):
            events.insert_one({"stream_id": "s7", "version": 39})
        client.close()
    finally:
        server.stop()
