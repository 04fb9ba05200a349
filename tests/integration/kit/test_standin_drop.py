"""Dropping a database on the stand-in drops that database only.

mongo-java-server's H2 backend (1.47.0) removed, with a dropped database, every map whose name
merely began with the database's name: dropping `x_d1` emptied `x_d10`, whose collections stayed
open with their indexes listed, so its documents were gone and its own drop then failed
("Expected [UniqueIndex[name=_id_]] to be empty") — the warning a test of numbered databases left
(dev/mongo-server IndexedH2Backend, `IndexedDatabase.drop`).
"""
import pytest
from pymongo import MongoClient

pytestmark = pytest.mark.integration

NAMES = ("d1", "d10", "d1x", "d2")  # d1 is the start of two others' names


def _filled(client, database):
    posts = client[database]["posts"]
    posts.create_index("author")
    posts.insert_many([{"_id": f"{database}-{n}", "author": f"a{n % 3}"} for n in range(50)])
    client[database]["cursors"].insert_one({"_id": "c", "at": 7})


def _contents(client, database):
    db = client[database]
    return {"posts": sorted(doc["_id"] for doc in db["posts"].find({"author": "a1"})),
            "count": db["posts"].count_documents({}),
            "cursor": db["cursors"].find_one({"_id": "c"}),
            "indexes": sorted(db["posts"].index_information())}


def test_dropping_a_database_leaves_those_whose_names_begin_with_its_own(mongo_client,
                                                                          db_prefix):
    names = [f"{db_prefix}_{name}" for name in NAMES]
    for name in names:
        _filled(mongo_client, name)
    before = {name: _contents(mongo_client, name) for name in names}
    assert before[names[1]]["count"] == 50 and before[names[1]]["indexes"] == [
        "_id_", "author_1"]

    mongo_client.drop_database(names[0])

    left = [name for name in mongo_client.list_database_names() if name.startswith(db_prefix)]
    assert sorted(left) == sorted(names[1:])
    assert {name: _contents(mongo_client, name) for name in names[1:]} == {
        name: before[name] for name in names[1:]}
    assert mongo_client[names[0]]["posts"].count_documents({}) == 0
    for name in names:  # each drops cleanly in turn (the stand-in lists d1 again once read)
        mongo_client.drop_database(name)
    assert not [name for name in mongo_client.list_database_names()
                if name.startswith(db_prefix)]


def test_what_a_drop_leaves_is_on_disk_after_a_restart(stand_in):
    """The maps are removed from the file, not only from the open collections: the other
    databases read back whole after a restart, the dropped one stays gone."""
    stand_in.start()
    try:
        client = MongoClient(stand_in.uri)
        for name in NAMES:
            _filled(client, name)
        before = {name: _contents(client, name) for name in NAMES[1:]}
        client.drop_database("d1")
        client.close()
        stand_in.stop()

        stand_in.start()
        client = MongoClient(stand_in.uri)
        assert sorted(client.list_database_names()) == sorted(NAMES[1:])
        assert {name: _contents(client, name) for name in NAMES[1:]} == before
        _filled(client, "d1")  # the name is free again, nothing of the old one left
        assert _contents(client, "d1")["count"] == 50
        client.close()
    finally:
        stand_in.stop()
