"""Secondary indexes never change an answer: the same queries on an indexed collection and on an
unindexed copy of it (a scan, whatever the server) give the same documents in the same order.

On the local stand-in (dev/mongo-server) the indexed side walks its ordered index entries —
equality prefixes, `$in` runs merged, ranges seeked, sorts given by the index in either direction,
ties the index leaves sorted in memory, counts read from the entries — so these cases pin that
walk to what a scan answers. They hold on MongoDB as well. Every sort ends in a unique field, so
the expected order is fully determined.
"""
import datetime
import random

import pytest
from bson import ObjectId

pytestmark = pytest.mark.integration

BASE = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
MID = BASE + datetime.timedelta(seconds=25)
# one value of each type MongoDB orders, plus close neighbours (mixed types in one field)
MIXED = [None, 1, 2.5, -3, 0, "x", "y", "ab", "abc", "", "é", True, False,
         ObjectId("65a000000000000000000001"), ObjectId("65a000000000000000000002"),
         BASE, MID, 10**18 + 1, 10**18 + 2]

INDEXES = [
    [("a", 1), ("ts", -1)],             # a member's entries, newest first
    [("s", 1), ("n", 1), ("w", -1)],    # mixed directions, mixed types in n
    [("tags", 1), ("ts", 1)],           # multikey on the equality field
    [("k", 1), ("m", 1)],               # multikey on the sorted field
]


@pytest.fixture(scope="module")
def pair(mongo_client):
    """The same 700 documents in an indexed collection and in a plain one."""
    name = f"index_contract_{ObjectId()}"
    db = mongo_client[name]
    rnd = random.Random(14)
    docs = []
    for i in range(700):
        doc = {"_id": i, "a": rnd.choice(["p", "q", "r", 1, 2.0]),
               "ts": BASE + datetime.timedelta(seconds=rnd.randint(0, 50)),  # many ties
               "s": rnd.choice(["held", "waiting", "done"]), "n": rnd.choice(MIXED),
               "w": rnd.randint(0, 5), "k": rnd.choice(["u", "v"]), "m": rnd.randint(0, 30)}
        if i % 7 == 0:
            doc["tags"] = rnd.sample(["t1", "t2", "t3"], rnd.randint(0, 2))
        if i % 11 == 0:
            del doc["n"]  # missing sorts with null
        if i % 13 == 0:
            doc["m"] = [rnd.randint(0, 30), rnd.randint(0, 30)]  # an array in a sorted field
        docs.append(doc)
    indexed, plain = db["indexed"], db["plain"]
    for keys in INDEXES:
        indexed.create_index(keys)
    indexed.insert_many(docs)
    plain.insert_many(docs)
    yield indexed, plain
    mongo_client.drop_database(name)


def _ids(collection, query, sort, skip, limit):
    cursor = collection.find(query)
    if sort:
        cursor = cursor.sort(sort)
    if skip:
        cursor = cursor.skip(skip)
    if limit:
        cursor = cursor.limit(limit)
    found = [doc["_id"] for doc in cursor]
    return found if sort else sorted(found)


FINDS = [
    pytest.param({"a": "p"}, [("ts", -1), ("_id", -1)], 0, 10, id="equality-desc-tie-break"),
    pytest.param({"a": "p"}, [("ts", 1), ("_id", 1)], 3, 7, id="reverse-of-index-with-skip"),
    pytest.param({"a": "q"}, [("ts", -1), ("_id", 1)], 0, 0, id="no-limit"),
    pytest.param({"a": {"$in": ["p", "q", 1]}}, [("ts", -1), ("_id", 1)], 0, 25, id="in-merged-runs"),
    pytest.param({"a": 2}, [("ts", -1), ("_id", 1)], 0, 10, id="number-equals-across-types"),
    pytest.param({"a": "p", "ts": {"$lt": MID}}, [("ts", -1), ("_id", -1)], 0, 5, id="cursor-page-lt"),
    pytest.param({"a": "q", "ts": {"$gte": MID}}, [("ts", 1), ("_id", 1)], 0, 50, id="range-gte-asc"),
    pytest.param({"a": "q", "ts": {"$gt": MID, "$lte": MID + datetime.timedelta(seconds=10)}},
                 None, 0, 0, id="range-both-bounds-no-sort"),
    pytest.param({"a": "r", "ts": {"$lt": BASE}}, [("ts", -1)], 0, 5, id="range-empty"),
    pytest.param({"s": "held"}, [("n", 1), ("w", -1), ("_id", 1)], 0, 40, id="mixed-types-asc"),
    pytest.param({"s": "held"}, [("n", -1), ("w", 1), ("_id", -1)], 0, 40, id="mixed-types-reverse"),
    pytest.param({"s": "held"}, [("n", 1), ("w", 1), ("_id", 1)], 0, 40, id="directions-index-cannot-give"),
    pytest.param({"s": {"$in": ["held", "done"]}}, [("n", 1), ("_id", 1)], 5, 30, id="in-mixed-types"),
    pytest.param({"s": "held", "n": {"$gte": "a"}}, [("n", 1), ("_id", 1)], 0, 30, id="string-range"),
    pytest.param({"s": "done", "n": {"$lt": 3}}, [("n", -1), ("_id", 1)], 0, 30, id="number-range-desc"),
    pytest.param({"s": "held", "n": None}, [("w", -1), ("_id", 1)], 0, 30, id="null-and-missing"),
    pytest.param({"s": "held", "n": 1, "w": {"$gt": 2}}, [("w", -1), ("_id", 1)], 0, 30, id="prefix-of-two"),
    pytest.param({"tags": "t1"}, [("ts", 1), ("_id", 1)], 0, 10, id="multikey-equality"),
    pytest.param({"tags": {"$in": ["t1", "t2"]}}, [("ts", -1), ("_id", 1)], 0, 10, id="multikey-in-once-each"),
    pytest.param({"k": "u"}, [("m", 1), ("_id", 1)], 0, 20, id="array-in-sorted-field-asc"),
    pytest.param({"k": "v"}, [("m", -1), ("_id", 1)], 0, 20, id="array-in-sorted-field-desc"),
    pytest.param({"k": "u", "m": {"$gt": 20}}, [("m", 1), ("_id", 1)], 0, 20, id="array-range"),
    pytest.param({}, [("a", 1), ("ts", -1), ("_id", 1)], 0, 20, id="sort-only-leading-field"),
    pytest.param({"a": "p", "w": {"$gt": 3}}, [("ts", -1), ("_id", 1)], 0, 8, id="filter-beyond-index"),
]


@pytest.mark.parametrize(("query", "sort", "skip", "limit"), FINDS)
def test_an_indexed_find_answers_as_a_scan(pair, query, sort, skip, limit):
    indexed, plain = pair
    expected = _ids(plain, query, sort, skip, limit)
    assert _ids(indexed, query, sort, skip, limit) == expected


COUNTS = [{"a": "p"}, {"a": 1}, {"a": {"$in": ["p", "q"]}}, {"s": {"$in": ["held", "done"]}},
          {"s": "held", "n": 1}, {"s": "held", "n": 10**18 + 1}, {"tags": "t1"},
          {"tags": {"$in": ["t1", "t2"]}}, {"k": "v"}, {"a": "p", "ts": {"$lt": MID}}, {"a": "none"}]


@pytest.mark.parametrize("query", COUNTS, ids=repr)
def test_an_indexed_count_answers_as_a_scan(pair, query):
    indexed, plain = pair
    assert indexed.count_documents(query) == plain.count_documents(query)
    assert (indexed.count_documents(query, skip=3, limit=5)
            == plain.count_documents(query, skip=3, limit=5))


def test_a_match_first_aggregation_answers_as_a_scan(pair):
    indexed, plain = pair
    pipeline = [{"$match": {"s": "held", "w": {"$gte": 1}}},
                {"$group": {"_id": "$w", "c": {"$sum": 1}}}, {"$sort": {"_id": 1}}]
    assert list(indexed.aggregate(pipeline)) == list(plain.aggregate(pipeline))


def test_writes_keep_the_order_of_the_index(mongo_client, db_prefix):
    """Updates that move a document within the order, and deletes, are seen by the next page."""
    db = mongo_client[f"{db_prefix}_contract"]
    indexed, plain = db["indexed"], db["plain"]
    indexed.create_index([("a", 1), ("ts", -1)])
    docs = [{"_id": i, "a": "p" if i % 2 else "q", "ts": i} for i in range(60)]
    indexed.insert_many(docs)
    plain.insert_many(docs)
    for collection in (indexed, plain):
        collection.update_many({"a": "p", "ts": {"$lt": 20}}, {"$inc": {"ts": 100}})
        collection.update_one({"_id": 2}, {"$set": {"a": "p", "ts": 1000}})
        collection.delete_many({"a": "q", "ts": {"$gt": 40}})
        collection.update_one({"_id": 51}, {"$unset": {"ts": ""}})
    for query in ({"a": "p"}, {"a": "q"}):
        for sort in ([("ts", -1), ("_id", 1)], [("ts", 1), ("_id", 1)]):
            assert _ids(indexed, query, sort, 0, 12) == _ids(plain, query, sort, 0, 12)
        assert indexed.count_documents(query) == plain.count_documents(query)
