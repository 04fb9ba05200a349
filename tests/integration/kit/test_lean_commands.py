"""The process client's lean commands (services/shared/mongo.py, `LeanCollection`): `find_one`,
`insert_one`, `update_one` and `find_one_and_update` sent straight to a pooled connection give
what pymongo's full path gives — documents, results, errors — on the real database, and skip
pymongo's retry and session layers where the server has no sessions (the stand-in)."""
import sys
from contextlib import contextmanager

import pytest
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError, OperationFailure

from services.shared.mongo import KeptDatabases, LeanCollection
from tests.conftest import MONGO_URI

pytestmark = pytest.mark.integration


@pytest.fixture
def twins(mongo_client, db_prefix):
    """The same collection through the process's client (lean) and pymongo's own."""
    client = KeptDatabases(MONGO_URI, tz_aware=True)
    lean = client[f"{db_prefix}_lean"]["notes"]
    full = mongo_client[f"{db_prefix}_full"]["notes"]
    for collection in (lean, full):
        collection.create_index("slug", unique=True)
        collection.insert_many([{"_id": 1, "slug": "a", "n": 0, "tags": ["x"]},
                                {"_id": 2, "slug": "b", "n": 5}])
    yield lean, full
    client.close()


def both(twins, operation):
    """`operation` on each twin: its outcome, or the class and code of what it raised."""
    outcomes = []
    for collection in twins:
        try:
            outcomes.append(operation(collection))
        except (DuplicateKeyError, OperationFailure, ValueError, TypeError) as error:
            outcomes.append((type(error), getattr(error, "code", None)))
    return outcomes


@pytest.mark.parametrize("operation", [
    lambda c: c.find_one({"_id": 1}),
    lambda c: c.find_one(2),
    lambda c: c.find_one({"slug": "b"}, {"n": 1}),
    lambda c: c.find_one({"slug": "b"}, projection=["slug"]),
    lambda c: c.find_one({"slug": "nobody"}),
    lambda c: c.find_one({"n": {"$gte": 0}}, sort=[("n", -1)]),  # an option: the full way
    lambda c: c.find_one(),
])
def test_reads_give_what_pymongo_gives(twins, operation):
    lean, full = both(twins, operation)
    assert lean == full


@pytest.mark.parametrize("operation", [
    lambda c: vars_of(c.insert_one({"_id": 3, "slug": "c"})),
    lambda c: c.insert_one({"_id": 1, "slug": "z"}),                  # duplicate _id
    lambda c: c.insert_one({"_id": 4, "slug": "a"}),                  # duplicate unique field
    lambda c: vars_of(c.update_one({"_id": 1}, {"$inc": {"n": 1}})),
    lambda c: vars_of(c.update_one({"_id": 1}, {"$set": {"n": 0}})),  # matched, not modified
    lambda c: vars_of(c.update_one({"_id": 9}, {"$set": {"n": 1}})),  # nothing matched
    lambda c: vars_of(c.update_one({"_id": 9}, {"$set": {"slug": "q"}}, upsert=True)),
    lambda c: vars_of(c.update_one({"_id": 9}, {"$set": {"slug": "a"}}, upsert=True)),
    lambda c: vars_of(c.update_one({"_id": 1}, {"$addToSet": {"tags": "y"}})),
    lambda c: c.update_one({"_id": 1}, {"n": 1}),                     # not an update document
    lambda c: vars_of(c.update_many({"n": {"$gte": 0}}, {"$inc": {"n": 1}})),
    lambda c: vars_of(c.update_many({"slug": "a"}, {"$set": {"n": 0}})),
    lambda c: vars_of(c.update_many({"n": 99}, {"$set": {"slug": "m"}})),
    lambda c: vars_of(c.update_many({"_id": 7, "n": 99}, {"$set": {"slug": "m"}}, upsert=True)),
    lambda c: c.update_many({"_id": 2}, {"$set": {"slug": "a"}}),     # duplicate unique field
    lambda c: c.find_one_and_update({"_id": 1}, {"$inc": {"n": 1}}),
    lambda c: c.find_one_and_update({"_id": 1}, {"$inc": {"n": 1}},
                                    return_document=ReturnDocument.AFTER),
    lambda c: c.find_one_and_update({"_id": 2}, {"$inc": {"n": 1}}, {"n": 1, "_id": 0},
                                    return_document=ReturnDocument.AFTER),
    lambda c: c.find_one_and_update({"_id": 8}, {"$set": {"slug": "h"}}, upsert=True),
    lambda c: c.find_one_and_update({"_id": 8}, {"$set": {"slug": "h"}}, upsert=True,
                                    return_document=ReturnDocument.AFTER),
    lambda c: c.find_one_and_update({"_id": 8}, {"$set": {"slug": "a"}}, upsert=True),
    lambda c: c.find_one_and_update({"n": {"$gte": 0}}, {"$inc": {"n": 1}},
                                    sort=[("n", -1)]),                # an option: the full way
])
def test_writes_give_what_pymongo_gives_and_write_the_same(twins, operation):
    lean, full = both(twins, operation)
    assert lean == full
    assert list(twins[0].find().sort("_id")) == list(twins[1].find().sort("_id"))


def vars_of(result):
    """A write's result as what callers read of it."""
    return {name: getattr(result, name) for name in (
        "acknowledged", "inserted_id", "matched_count", "modified_count", "upserted_id")
        if hasattr(result, name)}


def test_an_insert_gives_the_document_its_id(twins):
    document = {"slug": "new"}
    inserted = twins[0].insert_one(document).inserted_id
    assert document["_id"] == inserted
    assert twins[0].find_one({"_id": inserted})["slug"] == "new"


def test_the_plain_commands_skip_pymongos_retry_and_session_layers(twins):
    lean, full = twins
    assert isinstance(lean, LeanCollection)

    def commands(collection):
        collection.find_one({"_id": 1})
        collection.insert_one({"slug": f"s{id(collection)}"})
        collection.update_one({"_id": 1}, {"$inc": {"n": 1}})
        collection.update_many({"_id": {"$in": [1, 2]}}, {"$inc": {"n": 1}})
        collection.find_one_and_update({"_id": 2}, {"$inc": {"n": 1}})
        collection.find_one({"_id": 2}, {"n": 1})  # a projection given positionally

    with entered("_retry_internal", "_tmp_session") as lean_entered:
        commands(lean)
    with entered("_retry_internal", "_tmp_session") as full_entered:
        commands(full)
    # the probe works: pymongo's own path enters both for each command
    assert full_entered["_retry_internal"] == 6 and full_entered["_tmp_session"] >= 6
    assert lean_entered == {}
    with entered("_retry_internal") as with_an_option:
        lean.find_one_and_update({"_id": 2}, {"$inc": {"n": 1}}, sort=[("n", 1)])
    assert with_an_option == {"_retry_internal": 1}


@contextmanager
def entered(*functions: str):
    """How often pymongo's functions of these names were entered meanwhile (this thread)."""
    counts: dict[str, int] = {}

    def probe(frame, event, arg):
        name = frame.f_code.co_name
        if event == "call" and name in functions and "pymongo" in frame.f_code.co_filename:
            counts[name] = counts.get(name, 0) + 1

    sys.setprofile(probe)
    try:
        yield counts
    finally:
        sys.setprofile(None)


def test_a_lean_command_reuses_a_held_connection_and_the_selected_server(twins):
    lean, _ = twins
    lean.find_one({"_id": 1})  # a connection taken, a server selected
    with entered("checkout", "_get_conn", "select_server") as second:
        lean.update_one({"_id": 1}, {"$inc": {"n": 1}})
        lean.find_one({"_id": 1})
    assert second == {}


def test_a_held_connection_found_dead_or_stale_is_replaced(twins):
    lean, _ = twins
    client = lean.database.client
    lean.find_one({"_id": 1})
    (pool, free), = client.held._free.items()
    dead = free[-1]
    dead.conn.close()  # the server's end went away while it was held, a second ago
    dead.last_checkin_time -= 2
    assert lean.find_one({"_id": 1})["slug"] == "a"
    assert dead.closed and dead not in free
    stale = free[-1]
    pool.reset_without_pause()  # a cleared pool: every connection of before is stale
    assert lean.update_one({"_id": 2}, {"$set": {"n": 6}}).modified_count == 1
    assert stale.closed and stale not in free and free


def test_the_held_connections_are_closed_with_the_client(mongo_client, db_prefix):
    client = KeptDatabases(MONGO_URI, tz_aware=True)
    client[f"{db_prefix}_lean"]["notes"].insert_one({"_id": 1})
    held = [conn for free in client.held._free.values() for conn in free]
    assert held
    client.close()
    assert all(conn.closed for conn in held)
