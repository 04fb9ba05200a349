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

BASE = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
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


LATER = MID + datetime.timedelta(seconds=10)


def order(spec):
    """"-ts +_id" -> [("ts", -1), ("_id", 1)]"""
    return [(field[1:], -1 if field[0] == "-" else 1) for field in spec.split()]


def case(name, query, sort, skip=0, limit=0):
    return pytest.param(query, sort, skip, limit, id=name)


FINDS = [
    case("equality-desc-tie-break", {"a": "p"}, order("-ts -_id"), limit=10),
    case("reverse-of-index-with-skip", {"a": "p"}, order("+ts +_id"), 3, 7),
    case("no-limit", {"a": "q"}, order("-ts +_id")),
    case("in-merged-runs", {"a": {"$in": ["p", "q", 1]}}, order("-ts +_id"), limit=25),
    case("number-equals-across-types", {"a": 2}, order("-ts +_id"), limit=10),
    case("cursor-page-lt", {"a": "p", "ts": {"$lt": MID}}, order("-ts -_id"), limit=5),
    case("range-gte-asc", {"a": "q", "ts": {"$gte": MID}}, order("+ts +_id"), limit=50),
    case("range-both-bounds-no-sort", {"a": "q", "ts": {"$gt": MID, "$lte": LATER}}, None),
    case("range-empty", {"a": "r", "ts": {"$lt": BASE}}, order("-ts"), limit=5),
    case("mixed-types-asc", {"s": "held"}, order("+n -w +_id"), limit=40),
    case("mixed-types-reverse", {"s": "held"}, order("-n +w -_id"), limit=40),
    case("directions-index-cannot-give", {"s": "held"}, order("+n +w +_id"), limit=40),
    case("in-mixed-types", {"s": {"$in": ["held", "done"]}}, order("+n +_id"), 5, 30),
    case("string-range", {"s": "held", "n": {"$gte": "a"}}, order("+n +_id"), limit=30),
    case("number-range-desc", {"s": "done", "n": {"$lt": 3}}, order("-n +_id"), limit=30),
    case("null-and-missing", {"s": "held", "n": None}, order("-w +_id"), limit=30),
    case("prefix-of-two", {"s": "held", "n": 1, "w": {"$gt": 2}}, order("-w +_id"), limit=30),
    case("multikey-equality", {"tags": "t1"}, order("+ts +_id"), limit=10),
    case("multikey-in-once-each", {"tags": {"$in": ["t1", "t2"]}}, order("-ts +_id"), limit=10),
    case("array-in-sorted-field-asc", {"k": "u"}, order("+m +_id"), limit=20),
    case("array-in-sorted-field-desc", {"k": "v"}, order("-m +_id"), limit=20),
    case("array-range", {"k": "u", "m": {"$gt": 20}}, order("+m +_id"), limit=20),
    case("sort-only-leading-field", {}, order("+a -ts +_id"), limit=20),
    case("filter-beyond-index", {"a": "p", "w": {"$gt": 3}}, order("-ts +_id"), limit=8),
    case("and-clauses", {"$and": [{"s": {"$in": ["held", "done"]}}, {"w": {"$gte": 1}}]},
         order("+n +_id"), limit=30),
    case("cursor-page-or", {"$and": [{"a": "p"}, {"$or": [
        {"ts": {"$lt": MID}}, {"ts": MID, "_id": {"$lt": 350}}]}]}, order("-ts -_id"), limit=10),
    case("cursor-page-or-asc", {"a": "q", "$or": [
        {"ts": {"$gt": MID}}, {"ts": MID, "_id": {"$gt": 100}}]}, order("+ts +_id"), limit=10),
    case("or-with-an-unbounded-clause", {"a": "p", "$or": [{"ts": {"$lt": MID}}, {"w": 1}]},
         order("-ts +_id"), limit=15),
]


@pytest.mark.parametrize(("query", "sort", "skip", "limit"), FINDS)
def test_an_indexed_find_answers_as_a_scan(pair, query, sort, skip, limit):
    indexed, plain = pair
    expected = _ids(plain, query, sort, skip, limit)
    assert _ids(indexed, query, sort, skip, limit) == expected


COUNTS = [{"a": "p"}, {"a": 1}, {"a": {"$in": ["p", "q"]}}, {"s": {"$in": ["held", "done"]}},
          {"s": "held", "n": 1}, {"s": "held", "n": 10**18 + 1}, {"tags": "t1"},
          {"tags": {"$in": ["t1", "t2"]}}, {"k": "v"}, {"a": "p", "ts": {"$lt": MID}},
          {"a": "none"}, {"$and": [{"s": {"$in": ["held", "done"]}}]},
          {"$and": [{"a": "p"}, {"w": 2}]}, {"a": "p", "w": {"$in": [1, 2]}}]


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


def test_unique_indexes_decide_duplicates_as_mongodb(mongo_client, db_prefix):
    """Equal values in MongoDB's sense collide (1 == 1.0, a missing field == null unless sparse),
    different ones do not, compound keys compare as a whole; a failed write changes nothing."""
    from pymongo.errors import DuplicateKeyError

    db = mongo_client[f"{db_prefix}_unique"]
    single, compound, sparse = db["single"], db["compound"], db["sparse"]
    single.create_index("k", unique=True)
    compound.create_index([("a", 1), ("b", -1)], unique=True)
    sparse.create_index("k", unique=True, sparse=True)

    single.insert_many([{"_id": 1, "k": 1}, {"_id": 2, "k": "1"}, {"_id": 3, "k": 2.5},
                        {"_id": 4}, {"_id": 5, "k": ObjectId("65a000000000000000000001")}])
    for duplicate in ({"_id": 10, "k": 1.0}, {"_id": 11, "k": None},
                      {"_id": 12, "k": ObjectId("65a000000000000000000001")}, {"_id": 1, "k": 99}):
        with pytest.raises(DuplicateKeyError):
            single.insert_one(duplicate)
    with pytest.raises(DuplicateKeyError):
        single.update_one({"_id": 3}, {"$set": {"k": "1"}})
    assert single.find_one({"_id": 3}) == {"_id": 3, "k": 2.5}
    assert single.count_documents({}) == 5
    assert single.find_one({"k": 1.0})["_id"] == 1

    compound.insert_many([{"a": "x", "b": 1}, {"a": "x", "b": 2}, {"a": "y", "b": 1}])
    with pytest.raises(DuplicateKeyError):
        compound.insert_one({"a": "x", "b": 2})
    sparse.insert_many([{"_id": 1}, {"_id": 2}, {"_id": 3, "k": "z"}])
    with pytest.raises(DuplicateKeyError):
        sparse.insert_one({"_id": 4, "k": "z"})
    assert [doc["_id"] for doc in sparse.find().sort("_id", 1)] == [1, 2, 3]


def test_find_and_modify_takes_the_first_in_sort_order(mongo_client, db_prefix):
    """A claim of the oldest pending item (findAndModify with a sort, as a queue consumer does)
    takes the same document indexed or not, and each next claim the next one."""
    db = mongo_client[f"{db_prefix}_claims"]
    indexed, plain = db["indexed"], db["plain"]
    indexed.create_index([("state", 1), ("due", 1)])
    docs = [{"_id": n, "state": "pending" if n % 3 else "done", "due": (n * 37) % 50}
            for n in range(90)]
    indexed.insert_many(docs)
    plain.insert_many(docs)
    for _ in range(10):
        claimed = [collection.find_one_and_update(
            {"state": "pending"}, {"$set": {"state": "claimed"}}, sort=[("due", 1), ("_id", 1)])
            for collection in (indexed, plain)]
        assert claimed[0] == claimed[1]
    assert (indexed.count_documents({"state": "claimed"})
            == plain.count_documents({"state": "claimed"}) == 10)


def _commits(count):
    """Commits shaped like an event store's: two per stream, a unique log position each."""
    return [{"_id": f"c{n}", "stream_id": f"s{n // 2}", "version": n % 2 + 1,
             "last_version": n % 2 + 1, "position": n, "pending": n % 5 == 0} for n in range(count)]


def test_a_unique_index_serves_queries_on_its_leading_fields_as_a_scan_does(mongo_client,
                                                                           db_prefix):
    """The event store's reads: a stream's commits by `stream_id` sorted on `version` (the
    unique index (stream_id, version) has no value of `version` to look up), its last commit,
    the log after a position (unique index on `position`: a range) and its count — the same
    answers indexed or not, through inserts, a refused duplicate, updates and deletes (on the
    stand-in, each unique index keeps its entries in order for these: they were scans)."""
    from pymongo.errors import DuplicateKeyError

    db = mongo_client[f"{db_prefix}_log"]
    indexed, plain = db["indexed"], db["plain"]
    indexed.create_index([("stream_id", 1), ("version", 1)], unique=True)
    indexed.create_index("position", unique=True)
    for collection in (indexed, plain):
        collection.insert_many(_commits(300))

    def answers(collection):
        return {
            "stream": [doc["_id"] for doc in collection.find(
                {"stream_id": "s40", "last_version": {"$gt": 0}}).sort("version", 1)],
            "last": collection.find_one({"stream_id": "s41"}, sort=[("version", -1)]),
            "after": [doc["_id"] for doc in collection.find(
                {"position": {"$gt": 250}}).sort("position", 1).limit(20)],
            "before, newest first": [doc["_id"] for doc in collection.find(
                {"position": {"$lte": 120}}).sort("position", -1).limit(7)],
            "count after": collection.count_documents({"position": {"$gt": 150}}),
            "count of a stream": collection.count_documents({"stream_id": "s7"}),
            "pending after": [doc["_id"] for doc in collection.find(
                {"pending": True, "position": {"$gt": 200}}).sort("position", 1).limit(5)],
        }

    assert answers(indexed) == answers(plain)
    assert answers(indexed)["stream"] == ["c80", "c81"]
    with pytest.raises(DuplicateKeyError):
        indexed.insert_one({"_id": "dup", "stream_id": "s40", "version": 2, "position": 999})
    for collection in (indexed, plain):
        collection.insert_one({"_id": "c300", "stream_id": "s40", "version": 3,
                               "last_version": 3, "position": 300})
        collection.update_one({"_id": "c83"}, {"$set": {"stream_id": "s40", "version": 4}})
        collection.update_many({"position": {"$gt": 290}}, {"$inc": {"position": 1000}})
        collection.delete_many({"stream_id": "s41"})
    assert answers(indexed) == answers(plain)
    assert answers(indexed)["stream"] == ["c80", "c81", "c300", "c83"]
    assert answers(indexed)["last"] is None


def _walked(collection, query, sort, between=lambda: None):
    """`query` sorted by `sort`, read 10 documents a batch; `between()` runs once the first
    batch is read and before the second is asked for. Each document given: (id, body)."""
    cursor = collection.find(query).sort(sort).batch_size(10)
    given = [next(cursor) for _ in range(10)]
    between()
    given += list(cursor)
    return [(doc["_id"], doc.get("body")) for doc in given]


WALKS = [
    pytest.param([("position", 1)], {"position": {"$gt": 0}}, [("position", 1)],
                 id="the-log-after-a-position"),  # a replay's read (a unique index)
    pytest.param([("kind", 1), ("n", -1)], {"kind": "a"}, [("n", -1)],
                 id="equality-then-the-index-order"),
    pytest.param([("kind", 1), ("n", -1)], {"kind": "a", "n": {"$lt": 90}}, [("n", 1)],
                 id="a-range-walked-backwards"),
]


@pytest.mark.parametrize(("keys", "query", "sort"), WALKS)
def test_a_sorted_cursor_reads_each_batch_as_the_collection_then_is(mongo_client, db_prefix,
                                                                    keys, query, sort):
    """A find sorted by an index and read in batches (a replay reads the log so: `position`
    after 0, 500 a batch) gives each batch's documents as they are when the batch is read: one
    deleted after the find and before its batch is left out, one changed since is given
    changed, every other once and in order — as MongoDB's cursors do. The stand-in read every
    match before the first batch (and held them all): it gave the deleted document and the
    changed one as it was."""
    log = mongo_client[f"{db_prefix}_walk"]["log"]
    log.create_index(keys, unique=keys == [("position", 1)])
    log.insert_many([{"_id": f"c{n}", "position": n, "kind": "a" if n % 4 else "b", "n": n,
                      "body": "first"} for n in range(1, 121)])
    expected = [doc["_id"] for doc in log.find(query).sort(sort)]
    gone, changed = expected[25], expected[33]

    def between():
        log.delete_one({"_id": gone})
        log.update_one({"_id": changed}, {"$set": {"body": "changed"}})

    walked = _walked(log, query, sort, between)
    assert [id_ for id_, _ in walked] == [id_ for id_ in expected if id_ != gone]
    assert dict(walked)[changed] == "changed"
    assert {body for id_, body in walked if id_ != changed} == {"first"}


def test_a_sorted_find_read_in_batches_answers_as_a_scan_once_an_array_was_indexed(
        mongo_client, db_prefix):
    """An index whose sorted field has held an array — put by an insert, or by an update that
    leaves the index's entries as they were (7 -> [7]) — is not walked as if every value were in
    its order: read in batches, the answer is the scan's (on the stand-in, sorted in memory as
    before; walked, [7] would have come as 7 and [3, 505] twice)."""
    db = mongo_client[f"{db_prefix}_arrays"]
    for arrays in ("inserted", "updated"):
        indexed, plain = db[f"indexed_{arrays}"], db[f"plain_{arrays}"]
        indexed.create_index([("kind", 1), ("n", 1)])
        docs = [{"_id": n, "kind": "a", "n": n * 10} for n in range(1, 60)]
        if arrays == "inserted":
            docs.append({"_id": 100, "kind": "a", "n": [3, 505]})  # no tie either way
        for collection in (indexed, plain):
            collection.insert_many(docs)
            if arrays == "updated":
                collection.update_one({"_id": 7}, {"$set": {"n": [70]}})
        for sort in ([("n", 1)], [("n", -1)]):
            assert _walked(indexed, {"kind": "a"}, sort) == _walked(plain, {"kind": "a"}, sort)
