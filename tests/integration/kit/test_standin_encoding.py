"""The stand-in's commit: its own document encoder, and updates that survive a restart.

A commit writes every document of every page it rewrites; the stand-in encodes them walking
their entries (not looking every key up again: docs/performance.md, "The stand-in's commit:
encode less, encode faster"), which must give mongo-java-server's bytes exactly. Keeping a
stored document's bytes to copy them at later commits was tried and withdrawn (its collector
cost more than the copies saved); the restart test below is what such a cache must pass — an
update of a document read back from the file survives a restart whichever command made it.
"""
import pytest
from bson import Int64, ObjectId
from pymongo import MongoClient, ReturnDocument

from .java_checks import java_check

pytestmark = pytest.mark.integration


def test_the_stand_in_encodes_documents_as_mongo_java_server_does():
    """Both encoders on documents holding every BSON type the stand-in stores, nested documents,
    arrays, sets, non-ASCII and lone-surrogate keys, then a round trip through H2's buffer and
    the decoder (dev/mongo-server/src/test/java/agora/dev/BsonEncodingCheck.java)."""
    output = java_check("BsonEncodingCheck")
    assert output.startswith("same bytes for "), output


def _updated_by_every_command(items):
    """Each document changed by another of the update commands (all read from the file first)."""
    items.update_one({"_id": 1}, {"$set": {"text": "set"}, "$inc": {"n": 1}})
    items.update_one({"_id": 2}, {"$unset": {"text": ""}, "$push": {"tags": "pushed"}})
    items.replace_one({"_id": 3}, {"text": "replaced", "n": Int64(3)})
    assert items.find_one_and_update({"_id": 4}, {"$set": {"nested.x": "new"}},
                                     return_document=ReturnDocument.AFTER)["nested"]["x"] == "new"
    assert items.find_one_and_update({"_id": 5}, {"$inc": {"n": 10}})["n"] == 5
    items.update_many({"_id": {"$gte": 10, "$lt": 20}}, {"$set": {"many": True}})
    items.update_one({"_id": 1000}, {"$set": {"text": "upserted"}}, upsert=True)
    items.update_one({"_id": 6}, {"$set": {"text": "twice"}})
    items.update_one({"_id": 6}, {"$set": {"text": "thrice"}})  # a second update of one document
    items.update_one({"_id": 7}, {"$set": {"text": "text 7"}})  # no change: nothing stored
    items.delete_one({"_id": 8})


def test_updates_of_documents_read_from_the_file_survive_a_restart(stand_in):
    """mongo-java-server's update changes the stored instance in place: a stand-in that kept
    the bytes a document was read with would have written them again at a commit — the update
    lost at the restart (failed on a build keeping bytes without storing a
    fresh copy at updates)."""
    server = stand_in
    server.start()
    try:
        client = MongoClient(server.uri)
        items = client["kept"]["items"]
        items.create_index("text")
        items.insert_many([{"_id": n, "text": f"text {n}", "n": n, "tags": ["a", "b"],
                            "nested": {"x": "old", "y": [n, {"z": n}]}, "oid": ObjectId()}
                           for n in range(200)])
        client.close()
        server.stop()

        server.start()
        client = MongoClient(server.uri)
        items = client["kept"]["items"]
        assert len(list(items.find())) == 200  # every page read back from the file
        _updated_by_every_command(items)
        before = list(items.find().sort("_id", 1))
        client.close()
        server.stop()

        server.start()
        client = MongoClient(server.uri)
        items = client["kept"]["items"]
        assert list(items.find().sort("_id", 1)) == before
        assert items.find_one({"_id": 1})["text"] == "set"
        assert "text" not in items.find_one({"_id": 2})
        assert items.find_one({"_id": 6})["text"] == "thrice"
        assert items.count_documents({"many": True}) == 10
        assert items.find_one({"text": "replaced"})["_id"] == 3  # the index agrees
        client.close()
    finally:
        server.stop()
