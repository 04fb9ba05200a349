"""The stand-in's index keys read without mongo-java-server's path splitting.

Beside a replay the stand-in spent a seventh of what it allocated splitting field paths with a
regular expression, and an insert computed a unique index's key three times (docs/performance.md,
"The stand-in beside a replay"). A top-level field is now read directly (`FieldValues`) and a
plain unique key computed once, checked once; every other path, a sparse index and an array value
go through mongo-java-server's own code. What must not change is checked here: the same values,
keys, refusals and error messages as mongo-java-server's own (a Java check in the built stand-in),
and, over the wire, unique indexes that refuse exactly what they refused — numbers that compare
equal, null and absent fields, arrays, sub-documents, an index built over duplicates — also after
a restart.
"""
import pytest
from bson import Int64
from pymongo import ASCENDING, DESCENDING, MongoClient
from pymongo.errors import DuplicateKeyError, OperationFailure

from .java_checks import java_check

pytestmark = pytest.mark.integration


def test_index_keys_are_read_as_mongo_java_server_reads_them():
    """dev/mongo-server/src/test/java/agora/dev/FieldPathCheck.java in the built stand-in: every
    path (top-level, dotted, through arrays, empty, "$") gives mongo-java-server's value or its
    error, and a unique index — plain, sparse, compound, on arrays, dotted — gives its keys,
    refusals, messages and entries (fails on a build where a key is looked up unnormalized, an
    array taken as one key, "$" read as a field, or the add refusing nothing: tried)."""
    output = java_check("FieldPathCheck")
    assert output.startswith("same values for "), output


def _refused(collection, document) -> bool:
    try:
        collection.insert_one(document)
    except DuplicateKeyError:
        return True
    return False


def _unique_answers(db) -> dict:
    """Every unique rule met once more, and what is stored."""
    items, pairs, tags = db["items"], db["pairs"], db["tags"]
    answers = {
        "the same number as a double, a long": [
            _refused(items, {"_id": 1.0}), _refused(items, {"_id": Int64(1)}),
            _refused(items, {"_id": -0.0, "slug": "minus zero"})],
        "a slug taken, absent twice": [
            _refused(items, {"_id": "x", "slug": "one"}), _refused(items, {"_id": "y"})],
        "a pair taken, its reverse free": [
            _refused(pairs, {"a": "p", "b": 1.0}),
            _refused(pairs, {"_id": "free pair", "a": 1, "b": "p"})],
        "an array's element taken": [
            _refused(tags, {"tags": ["new", "red"]}), _refused(tags, {"tags": "blue"})],
        "a sub-document's field taken": [_refused(tags, {"owner": {"id": 7.0}})],
        "stored": {name: sorted(map(str, db[name].find({}, {"_id": 1, "slug": 1})))
                   for name in ("items", "pairs", "tags")},
    }
    pairs.delete_many({"a": 1})  # the free pair accepted above: free again for the next call
    return answers


def test_unique_indexes_refuse_what_they_refused_across_a_restart(stand_in):
    """Inserts under unique indexes of each shape (`_id`, a field, two fields, an array, a
    sub-document's field), an index built over duplicates refused, a sorted page read through
    an index, and the same answers after a restart (a guard of the new key path: it passes on
    the previous build as on this one)."""
    stand_in.start()
    client = MongoClient(stand_in.uri)
    db = client["keys"]
    items, pairs, tags = db["items"], db["pairs"], db["tags"]
    items.create_index("slug", unique=True)
    pairs.create_index([("a", ASCENDING), ("b", DESCENDING)], unique=True)
    tags.create_index("tags", unique=True, sparse=True)
    tags.create_index("owner.id", unique=True, sparse=True)
    items.insert_many([{"_id": 1, "slug": "one"}, {"_id": 0.0, "slug": "zero"}, {"_id": "no slug"}])
    pairs.insert_one({"a": "p", "b": 1})
    tags.insert_many([{"tags": ["red", "blue"]}, {"owner": {"id": 7}}])
    first = _unique_answers(db)
    assert first["the same number as a double, a long"] == [True, True, True]
    assert first["a slug taken, absent twice"] == [True, True]
    assert first["a pair taken, its reverse free"] == [True, False]
    assert first["an array's element taken"] == [True, True]
    assert first["a sub-document's field taken"] == [True]

    db["dups"].insert_many([{"k": 1}, {"k": 1.0}, {"k": 2}])
    with pytest.raises(OperationFailure):  # the build meets the duplicate: no index
        db["dups"].create_index("k", unique=True)
    assert [i["key"] for i in db["dups"].list_indexes()] == [{"_id": 1}]
    db["pages"].insert_many([{"_id": n, "n": n % 7, "at": 100 - n} for n in range(60)])
    db["pages"].create_index([("n", ASCENDING), ("at", DESCENDING)])
    page = [d["_id"] for d in db["pages"].find({"n": 3}).sort("at", -1).limit(4)]
    assert page == [3, 10, 17, 24]
    client.close()
    stand_in.stop()

    stand_in.start()
    client = MongoClient(stand_in.uri)
    db = client["keys"]
    again = _unique_answers(db)
    assert again == {**first, "stored": again["stored"]}
    assert again["stored"] == first["stored"]
    assert [d["_id"] for d in db["pages"].find({"n": 3}).sort("at", -1).limit(4)] == page
    client.close()
