"""What a clean restart of the database keeps (a private server: mongod, or the local stand-in).

The stand-in stores documents as BSON, its secondary indexes as ordered entries and its unique
indexes in element order (dev/mongo-server): after a stop and a start on the same file, every
document reads back the same, sorted pages and counts answer from the reopened indexes as they
did, and uniqueness still holds.
"""
import datetime
import uuid

import bson
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


def test_the_stand_in_writes_ids_and_unique_keys_in_its_own_format(stand_in):
    """ObjectIds (the documents' keys, every index's positions) and unique index keys were
    Java-serialized at every commit and counted as 10 KB each by the stand-in's page cache, which
    then thrashed as the data grew (docs/performance.md, "The stand-in's heap and commits"): they
    are written in a few bytes of their own now — only the collections' metadata is left to Java
    serialization — and read back the same after a restart, uniqueness and order included."""
    server = stand_in
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


def test_the_stand_in_writes_ascii_index_entries_as_bytes(stand_in):
    """A secondary index's entries are strings, which H2 wrote char by char at every commit of
    every page holding them (6 % of the stand-in's samples under writes): an ASCII one is now its
    bytes behind a tag of the stand-in's (docs/performance.md, "The stand-in's CPU per
    command"); any other string (a descending field's entries, a non-ASCII value) still as H2
    writes it. Both read back the same after a restart: lookups, sorted pages both ways."""
    server = stand_in
    server.start()
    try:
        client = MongoClient(server.uri)
        items = client["restart"]["items"]
        items.create_index("label")
        items.create_index([("group", 1), ("label", -1)])  # complemented chars: not ASCII
        labels = [f"label-{n:04d}" if n % 10 else f"label-{n:04d}-\u00e9t\u00e9"
                  for n in range(300)]
        items.insert_many([{"_id": n, "label": label, "group": n % 7}
                           for n, label in enumerate(labels)])
        client.close()
        server.stop()
        data = (server.dir / "agora.mv.db").read_bytes()
        # an entry "D" label "\0" "C" + 16 hex digits (the _id 7): 29 chars, ours tagged 126
        assert data.count(b"\x7e\x1dDlabel-0007\x00C") >= 1
        assert data.count(b"\x0b\x1dDlabel-") == 0, "ASCII entries written by H2's own writer"

        server.start()
        client = MongoClient(server.uri)
        items = client["restart"]["items"]
        assert items.find_one({"label": "label-0007"})["_id"] == 7
        assert items.find_one({"label": "label-0010-\u00e9t\u00e9"})["_id"] == 10
        assert [d["_id"] for d in items.find({"label": {"$gte": "label-0295"}}).sort("label", 1)] \
            == [295, 296, 297, 298, 299]
        in_group = sorted((n for n in range(300) if n % 7 == 3), key=lambda n: labels[n],
                          reverse=True)
        assert [d["_id"] for d in items.find({"group": 3}).sort("label", -1).limit(9)] \
            == in_group[:9]
        assert items.count_documents({"group": 3}) == len(in_group)
        client.close()
    finally:
        server.stop()


def test_collection_stats_give_the_documents_bson_size(stand_in):
    """The stand-in no longer keeps a running total of a collection's size at every write (it
    encoded each document again and rewrote the collection's metadata at every commit): collStats
    sums the documents' BSON when asked, so inserts, updates, deletes and a restart all count."""
    server = stand_in
    server.start()
    try:
        client = MongoClient(server.uri)
        database = client["restart"]
        items = database["items"]
        items.insert_many([{"_id": n, "text": "x" * n} for n in range(50)])
        items.update_many({"_id": {"$lt": 10}}, {"$set": {"text": "longer " * 20}})
        items.delete_many({"_id": {"$gte": 40}})
        client.close()
        server.stop()
        server.start()
        client = MongoClient(server.uri)
        database = client["restart"]
        expected = sum(len(bson.encode(doc)) for doc in database["items"].find())
        stats = database.command("collStats", "items")
        assert (stats["count"], stats["size"]) == (40, expected)
        client.close()
    finally:
        server.stop()
