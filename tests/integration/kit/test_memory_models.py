"""The memory engine of replays (`services.shared.memory_models`) answers as the database does:
the same operations, sent to a real collection and to a `MemoryCollection`, give the same
results and leave the same documents."""
from datetime import UTC, datetime
from operator import itemgetter
from types import SimpleNamespace

import bson
import pytest
from bson.codec_options import CodecOptions
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.shared import memory_models
from services.shared.memory_models import MemoryCollection, Unsupported

pytestmark = pytest.mark.integration

WHEN = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)  # microseconds: BSON keeps ms

# (method, args, kwargs) — what read-model handlers send, their edge cases included
WRITES = [
    ("insert_many", ([{"_id": "a", "n": 1, "tags": ["x", "y"], "state": "published"},
                      {"_id": "b", "n": 2, "tags": [], "state": "hidden", "at": WHEN},
                      {"_id": "c", "n": 3.5, "state": None, "sub": {"k": 1}}],), {}),
    ("update_one", ({"_id": "a"}, {"$set": {"sub.deep": (1, 2), "at": WHEN}}), {}),
    ("update_one", ({"_id": "a", "_applied": {"$ne": "e1"}},
                    {"$inc": {"n": 2}, "$push": {"_applied": {"$each": ["e1"], "$slice": -2}}}),
     {"upsert": True}),
    ("update_one", ({"_id": "a", "_applied": {"$ne": "e2"}},
                    {"$inc": {"n": 1}, "$push": {"_applied": {"$each": ["e2"], "$slice": -2}}}),
     {"upsert": True}),
    ("update_one", ({"_id": "a", "_applied": {"$ne": "e3"}},
                    {"$inc": {"n": 1}, "$push": {"_applied": {"$each": ["e3"], "$slice": -2}}}),
     {"upsert": True}),
    ("update_one", ({"_id": "d", "$or": [{"_v": {"$lt": 2}}, {"_v": {"$exists": False}}]},
                    {"$set": {"_v": 2, "title": "two"}}), {"upsert": True}),
    ("update_one", ({"_id": "d", "$or": [{"_v": {"$lt": 1}}, {"_v": {"$exists": False}}]},
                    {"$set": {"_v": 1, "title": "one"}}), {"upsert": True}),  # duplicate key
    ("update_one", ({"_id": "e", "kind": "idea"},
                    {"$set": {"x": 1}, "$setOnInsert": {"made": True}}), {"upsert": True}),
    ("update_one", ({"_id": "e"}, {"$set": {"x": 2}, "$setOnInsert": {"made": False}}),
     {"upsert": True}),
    ("update_one", ({"_id": "b"}, {"$addToSet": {"tags": {"$each": ["x", "x", "z"]}},
                                   "$max": {"n": 10}, "$min": {"at": WHEN}}), {}),
    ("update_one", ({"_id": "a"}, {"$pull": {"tags": "x"}, "$unset": {"sub.deep": ""}}), {}),
    ("update_one", ({"_id": "missing"}, {"$set": {"x": 1}}), {}),
    # `$push` with `$slice`: kept from the start, nothing kept, more pushed than kept, an array
    # made by the push; a filter by `_id` and another field that fails (the `_id` found)
    ("update_one", ({"_id": "b"}, {"$push": {"pushed": {"$each": [1, 2, 3], "$slice": 2}}}), {}),
    ("update_one", ({"_id": "b"}, {"$push": {"pushed": {"$each": [4], "$slice": 0}}}), {}),
    ("update_one", ({"_id": "b"}, {"$push": {"pushed": {"$each": [5, 6, 7], "$slice": -2}}}),
     {}),
    ("update_one", ({"_id": "b"}, {"$push": {"fresh": {"$each": ["p", "q"], "$slice": -5},
                                             "plain": "r"}}), {}),
    ("update_one", ({"_id": "b", "n": {"$gt": 100}}, {"$set": {"x": 1}}), {}),
    ("update_many", ({"state": {"$in": ["published", "hidden"]}}, {"$set": {"seen": True}}), {}),
    ("update_many", ({"state": None}, {"$inc": {"nulls": 1}}), {}),
    ("update_one", ({"_id": "c", "state": {"$ne": "removed"}}, {"$set": {"state": "removed"}}),
     {}),
    ("replace_one", ({"_id": "e"}, {"whole": "new"}), {}),
    ("replace_one", ({"_id": "f"}, {"whole": "upserted"}), {"upsert": True}),
    ("insert_one", ({"_id": "a"},), {}),  # duplicate
    ("insert_many", ([{"_id": "g", "n": 7}, {"_id": "a"}, {"_id": "h", "n": 8}],),
     {"ordered": False}),  # one duplicate, the others inserted
    ("delete_many", ({"n": {"$lte": 2}, "state": {"$exists": True}},), {}),
    ("find_one_and_delete", ({"_id": "g"},), {}),
    ("find_one_and_update", ({"_id": "h"}, {"$max": {"n": 9}}, {"n": 1}),
     {"return_document": ReturnDocument.AFTER}),
    ("find_one_and_update", ({"_id": "h"}, {"$addToSet": {"marks": 2}}), {}),
    ("find_one_and_update", ({"_id": "i", "$or": [{"n": {"$lt": 3}}, {"n": {"$exists": False}}]},
                             {"$addToSet": {"marks": 3}}, {"_id": 1}), {"upsert": True}),
    ("find_one_and_update", ({"_id": "h", "$or": [{"n": {"$lt": 3}}, {"n": {"$exists": False}}]},
                             {"$addToSet": {"marks": 3}}, {"_id": 1}),
     {"upsert": True}),  # duplicate key
    ("find_one_and_update", ({"_id": "j"}, {"$set": {"t": "x"}, "$max": {"n": 1}}, {"marks": 1}),
     {"upsert": True, "return_document": ReturnDocument.AFTER}),
    ("find_one_and_update", ({"_id": "nothing"}, {"$set": {"t": 1}}), {}),
    ("delete_one", ({"_id": "nothing"},), {}),
    # values kept without a BSON round trip (a document of them: `_id` moved first, tuples made
    # lists, integers beyond 32 bits made Int64, text and keys beyond ASCII, a nested `_id` left
    # where it is), and beside them one that takes it (a datetime: milliseconds)
    ("insert_one", ({"n": 2**31 - 1, "_id": "k", "low": -2**31, "pair": ("x", (1, 2.5)),
                     "text": "prêt à taux zéro", "clé": {"z": None, "_id": False}, "yes": True},),
     {}),
    ("update_one", ({"_id": "k"}, {"$set": {"above": 2**31, "below": -2**31 - 1}}), {}),
    ("update_one", ({"_id": "k"}, {"$set": {"big": 2**63 - 1, "least": -2**63}}), {}),
    ("update_one", ({"_id": "k"}, {"$set": {"at": WHEN}}), {}),
    ("update_one", ({"_id": "k"}, {"$set": {"more": ["y", ("z",)], "text2": "épargne"},
                                   "$push": {"list": {"$each": [(1, 2), "à"]}}}), {}),
    ("update_one", ({"_id": "l", "text": "é"}, {"$set": {"x": (3,)}}), {"upsert": True}),
    ("replace_one", ({"_id": "l"}, {"kept": ("a", 2**30), "_id": "l"}), {}),
]

READS = [
    ("find", ({},), {}),
    ("find", ({"tags": "z"}, {"tags": 1}), {}),
    ("find", ({"n": {"$gt": 2}}, {"_id": 0, "n": 1}), {"sort": [("n", -1)]}),
    ("find", ({"$and": [{"$or": [{"state": "removed"}, {"n": {"$in": [8, 10]}}]},
                        {"_id": {"$ne": "zz"}}]},), {"sort": [("n", 1), ("_id", -1)], "limit": 2}),
    ("find", ({"state": {"$exists": False}}, {"_applied": 0}), {"sort": [("_id", 1)]}),
    ("find_one", ({"_id": "d"}, {"title": 1}), {}),
    ("find_one", ("b",), {}),
    ("count_documents", ({"seen": True},), {}),
    ("count_documents", ({"nulls": {"$gte": 1}},), {}),
]


def _outcome(collection, method, args, kwargs):
    try:
        result = getattr(collection, method)(*args, **kwargs)
    except DuplicateKeyError:
        return "duplicate key"
    except BulkWriteError as error:
        # which writes failed (not nInserted: the stand-in counts the failed one in it)
        return "bulk", [e["index"] for e in error.details["writeErrors"]]
    if method == "find":
        return list(result)
    if hasattr(result, "matched_count"):
        return (result.matched_count, result.modified_count, result.upserted_id,
                result.did_upsert, result.acknowledged)
    if hasattr(result, "deleted_count"):
        return result.deleted_count
    if hasattr(result, "inserted_ids"):
        return result.inserted_ids
    if hasattr(result, "inserted_id"):
        return result.inserted_id
    return result


def _copied(value):
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_copied(v) for v in value)
    return value


def _typed(value):
    """`value` with every type named and every document's fields in order (== ignores both:
    1 == 1.0 == Int64(1), (1,) == [1] is not but a dict's order is)."""
    if isinstance(value, dict):
        return [(key, _typed(item)) for key, item in value.items()]
    if isinstance(value, list | tuple):
        return type(value).__name__, [_typed(item) for item in value]
    return type(value).__name__, value


def test_the_memory_engine_answers_as_the_database(mongo_client, db_prefix):
    real = mongo_client[f"{db_prefix}_memory"]["docs"]
    memory = MemoryCollection("docs", real.codec_options)
    for method, args, kwargs in WRITES + READS:
        expected = _outcome(real, method, _copied(args), dict(kwargs))
        got = _outcome(memory, method, _copied(args), dict(kwargs))
        assert got == expected, (method, args, kwargs)
    kept, stored = list(memory.find({}, sort=[("_id", 1)])), list(real.find({}).sort("_id", 1))
    assert kept == stored
    assert _typed(kept) == _typed(stored)  # the same types, and fields in the same order
    # what bounds a replay's memory: the documents held, as BSON, after every change above
    assert memory.size == sum(len(bson.encode(document)) for document in real.find({}))


def _raised(call):
    try:
        call()
    except Exception as error:  # which one is what is compared
        return type(error)
    return None


def test_what_the_database_refuses_to_store_is_refused_alike(mongo_client, db_prefix):
    real = mongo_client[f"{db_prefix}_refused"]["docs"]
    memory = MemoryCollection("docs", real.codec_options)
    for value in ({"text": "\ud800"}, {"key\x00": 1}, {"n": 2**64}, {"sub": {1: "a"}}):
        refused = _raised(lambda value=value: real.insert_one({"_id": "a", **value}))
        assert refused is not None, value
        assert _raised(lambda value=value: memory.insert_one({"_id": "a", **value})) is refused
        assert _raised(lambda value=value: memory.update_one(
            {"_id": "a"}, {"$set": value}, upsert=True)) is refused
    assert list(memory.find({})) == list(real.find({})) == []


def test_what_it_does_not_answer_exactly_it_refuses_before_changing_anything(mongo_client,
                                                                              db_prefix):
    memory = MemoryCollection("docs", mongo_client[db_prefix]["docs"].codec_options)
    memory.insert_one({"_id": "a", "n": 1, "items": [{"k": 1}], "sub": {"k": 1}})
    before = list(memory.find({}))
    for call in (
        lambda: memory.update_one({"_id": "a"}, {"$rename": {"n": "m"}}),
        lambda: memory.update_one({"_id": "a"}, {"$set": {"m": 2}, "$inc": {"sub": 1}}),
        lambda: memory.update_one({"_id": "a"}, {"$set": {"sub.k": 5}, "$push": {"n": 1}}),
        lambda: memory.update_one({"_id": "a"}, {"$push": {"items": 2}, "$inc": {"sub": 1}}),
        lambda: memory.update_one({"_id": "a"}, {"$set": {"items.0.k": 2}}),
        lambda: memory.update_one({"_id": "a"}, {"$pull": {"items": {"k": 1}}}),
        lambda: list(memory.find({"sub": {"k": 1}})),  # order-sensitive in MongoDB
        lambda: list(memory.find({"n": {"$regex": "1"}})),
        lambda: list(memory.find({"items.k": 1})),
        lambda: list(memory.find({}).sort("items", 1)),
    ):
        with pytest.raises(Unsupported):
            call()
        assert list(memory.find({})) == before


def test_a_document_changed_many_times_is_measured_once(monkeypatch):
    """Its size as BSON (what bounds a replay's memory) is counted when it is asked for, not
    at every write: a counter's 64 last event ids encoded at each `$inc` cost more than it."""
    memory = MemoryCollection("counts", CodecOptions(tz_aware=True))
    encoded = []

    def encode(document, *args, **kwargs):
        encoded.append(document["_id"])
        return bson.encode(document, *args, **kwargs)

    monkeypatch.setattr(memory_models, "bson", SimpleNamespace(encode=encode,
                                                               decode=bson.decode))
    for n in range(10):
        memory.update_one({"_id": "votes", "_applied": {"$ne": f"e{n}"}},
                          {"$inc": {"n": 1}, "$push": {"_applied": f"e{n}"}}, upsert=True)
    memory.insert_one({"_id": "other"})
    assert memory.size == sum(len(bson.encode(each)) for each in memory.documents.values())
    assert sorted(encoded) == ["other", "votes"]
    memory.delete_one({"_id": "other"})
    assert memory.size == len(bson.encode(memory.documents[("str", "votes")]))


class _Looked:
    """A key that counts how often a set or a dict looks it up (its hash)."""

    looked = 0

    def __init__(self, n):
        self.n = n

    def __hash__(self):
        _Looked.looked += 1
        return hash(self.n)

    def __eq__(self, other):
        return isinstance(other, _Looked) and other.n == self.n

    def __repr__(self):
        return f"k{self.n}"


def test_writing_behind_looks_only_at_what_changed_since():
    """A take with `until` (a replay's write-behind, every 1,000 events) looks at the keys
    never taken, not at those sent before that changed again and wait for the last take: a
    counter changed at every event was looked at again by every take, a cost that grew with
    the log. What each take answers, and in which order, is unchanged."""
    changes = memory_models.Changes()
    sent = [_Looked(n) for n in range(1000)]
    for key in sent:
        changes.touch(key)
    assert changes.take(lambda key: True, changes.count) == [(key, False) for key in sent]
    for key in reversed(sent):  # changed again after they were sent: they wait for the end
        changes.touch(key)
    new = _Looked("new")
    changes.touch(new)
    _Looked.looked = 0
    assert changes.take(lambda key: True, changes.count) == [(new, False)]
    assert _Looked.looked <= 4  # the new key's own lookups, none of the 1,000 waiting
    changes.touch(sent[0])
    changes.touch(_Looked("last"))
    assert changes.take(lambda key: key.n != 1) == [
        *((key, True) for key in reversed(sent[1:])), (sent[0], True), (_Looked("last"), False)]
    changes.touch(sent[1])  # forgotten when taken (it no longer existed): new again
    assert changes.take(lambda key: True, changes.count) == [(sent[1], False)]


# the finds feeds' handlers send at every subscription and publication (`subscribers`,
# `_backfill`, `fan_out`), and their neighbours that the general path answers
EQUALITY_FINDS = [
    ({"source": "author:a"}, {"member": 1}),
    ({"source": "nobody"}, None),
    ({"_id": {"$in": ["s2", "s0", "missing", "s2"]}}, None),
    ({"_id": {"$in": []}}, None),
    ({"$and": [{"type": "reply", "post_id": {"$in": ["p1", "p2"]}}, {"state": "published"}]},
     {"ts": 1, "author_id": 1}),
    ({"$and": [{"author_id": {"$in": ["a"]}}, {"state": "published"}]}, {"ts": 1}),
    ({"tags": "x"}, {"tags": 1}),  # an array holding the string
    ({"tags": {"$in": ["y", "z"]}, "state": "published"}, None),
]
# equalities beside other conditions (posts' drafts by target and revision): the documents
# that meet the equalities, and those only, matched one by one
MIXED = {"$and": [{"type": "reply"}, {"ts": {"$lte": 90}}], "state": "published"}


def _equality_documents():
    documents = []
    for n in range(40):
        documents.append({"_id": f"s{n}", "source": ["author:a", "tag:x", 3][n % 3],
                          "member": f"m{n}", "type": ["post", "reply"][n % 2],
                          "post_id": f"p{n % 4}", "state": ["published", "hidden"][n % 5 == 0],
                          "author_id": "ab"[n % 2], "ts": 100 - n,
                          "tags": [["x"], ["y", "x"], "x", [["x"]], 7][n % 5]})
    return documents


def test_finds_by_string_equalities_answer_as_the_general_path(mongo_client, db_prefix,
                                                               monkeypatch):
    """The handlers' finds by equality to strings are answered from the indexes alone
    (`_string_equalities`): the same documents as the database, in the same order as the
    general path (`_candidates`, then `matches` document by document) — and without `matches`,
    so a fast path no longer taken fails here."""
    real = mongo_client[f"{db_prefix}_equalities"]["docs"]
    memory = MemoryCollection("docs", real.codec_options)
    real.insert_many(_equality_documents())
    memory.insert_many(_equality_documents())
    memory.delete_one({"_id": "s3"})  # natural order and the indexes after a removal
    real.delete_one({"_id": "s3"})
    memory.update_one({"_id": "s6"}, {"$set": {"source": "author:a"}})  # a bucket changed
    real.update_one({"_id": "s6"}, {"$set": {"source": "author:a"}})
    checked = []

    def counted(document, query):
        checked.append(document["_id"])
        return general(document, query)

    general = memory_models.matches
    monkeypatch.setattr(memory_models, "matches", counted)
    fast = [list(memory.find(query, projection)) for query, projection in EQUALITY_FINDS]
    assert checked == []  # no document matched one by one
    fast.append(list(memory.find(MIXED)))
    assert len(set(checked)) == real.count_documents({"type": "reply", "state": "published"})
    checked.clear()
    monkeypatch.setattr(memory_models, "_string_equalities", lambda query: ([], False))
    slow = [list(memory.find(query, projection)) for query, projection in EQUALITY_FINDS]
    assert checked  # the general path matched its candidates one by one
    checked.clear()
    slow.append(list(memory.find(MIXED)))
    assert len(set(checked)) == real.count_documents({"type": "reply"})  # one index's bucket
    assert fast == slow  # the same documents, in the same (natural) order
    finds = [*EQUALITY_FINDS, (MIXED, None)]
    expected = [list(real.find(query, projection)) for query, projection in finds]
    by_id = itemgetter("_id")  # the stand-in moves an updated document to the end
    assert [sorted(each, key=by_id) for each in fast] == [
        sorted(each, key=by_id) for each in expected]
    assert [len(each) for each in fast][:2] == [13, 0]


def test_a_find_one_by_id_reads_the_document_without_a_cursor(mongo_client, db_prefix,
                                                              monkeypatch):
    """`find_one({"_id": ...})`, the handlers' commonest read, answers the stored document
    (projected) without a cursor's evaluation: as the database and as the general path."""
    real = mongo_client[f"{db_prefix}_by_id"]["docs"]
    memory = MemoryCollection("docs", real.codec_options)
    real.insert_many(_equality_documents())
    memory.insert_many(_equality_documents())
    cursors = []

    class Counted(memory_models.MemoryCursor):
        def __init__(self, *args, **kwargs):
            cursors.append(args[1])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(memory_models, "MemoryCursor", Counted)
    for filter in ({"_id": "s1"}, {"_id": "missing"}):
        for projection in (None, {"member": 1, "tags": 1}, {"_id": 0, "ts": 1}, ["state"]):
            expected = real.find_one(filter, projection)
            assert memory.find_one(filter, projection) == expected, (filter, projection)
            assert cursors == []
            assert next(iter(memory.find(filter, projection, limit=1)), None) == expected
            cursors.clear()
    assert memory.find_one({"_id": "s1", "state": "hidden"}) is None  # other conditions:
    assert cursors == [{"_id": "s1", "state": "hidden"}]  # the general path


def test_an_update_s_answer_is_the_database_s_in_plain_attributes(mongo_client, db_prefix):
    """The memory engine answers an update with `_Updated`: plain attributes, no raw result
    built and no property checking the write was acknowledged at each read (`update_once`
    reads two of every update's) — the same answers as pymongo's `UpdateResult` from the
    database, its raw result's counts included."""
    real = mongo_client[f"{db_prefix}_answers"]["docs"]
    memory = MemoryCollection("docs", real.codec_options)
    for collection in (real, memory):
        collection.insert_one({"_id": "a", "n": 1})
    for method, args, kwargs in [
            ("update_one", ({"_id": "a"}, {"$inc": {"n": 1}}), {}),  # modified
            ("update_one", ({"_id": "a"}, {"$set": {"n": 2}}), {}),  # matched, unchanged
            ("update_one", ({"_id": "b"}, {"$set": {"n": 1}}), {}),  # nothing
            ("update_one", ({"_id": "c"}, {"$set": {"n": 1}}), {"upsert": True}),
            ("update_many", ({"n": {"$gte": 1}}, {"$set": {"m": 1}}), {}),
            ("replace_one", ({"_id": "a"}, {"n": 5}), {}),
            ("replace_one", ({"_id": "d"}, {"n": 5}), {"upsert": True})]:
        expected = getattr(real, method)(*args, **kwargs)
        got = getattr(memory, method)(*args, **kwargs)
        assert type(got) is memory_models._Updated, method  # the plain answer is the one given
        for attribute in ("matched_count", "modified_count", "upserted_id", "did_upsert",
                          "acknowledged"):
            assert getattr(got, attribute) == getattr(expected, attribute), (method, attribute)
        assert {key: expected.raw_result[key] for key in got.raw_result} == got.raw_result


def test_stored_keys_are_checked_once_and_refused_as_the_database_does(mongo_client, db_prefix,
                                                                       monkeypatch):
    """`_as_stored` checks a dict key (a string the codec encodes, without a NUL) the first
    time it sees it, not at every write: the same field names and posts' search terms came
    back thousands of times in a replay. Values kept are the BSON round trip's, keys refused
    are refused every time (never remembered as checked)."""
    real = mongo_client[f"{db_prefix}_keys"]["docs"]
    memory = MemoryCollection("docs", real.codec_options)
    checked = []
    check = memory_models._check_key

    def counting(key):
        checked.append(key)
        return check(key)

    monkeypatch.setattr(memory_models, "_check_key", counting)
    monkeypatch.setattr(memory_models, "_STORED_KEYS", set())
    value = {"titre": "Prêt", "clé": {"épargne": 2**40, "sub": [("a", 1), {"k": None}]},
             "n": -2**31, "f": 1.5, "b": False}
    memory.insert_one({"_id": "a", **value})
    real.insert_one({"_id": "a", **value})
    first = sorted(checked)
    assert first == sorted(["_id", "titre", "clé", "épargne", "sub", "k", "n", "f", "b"])
    memory.update_one({"_id": "a"}, {"$set": value})
    real.update_one({"_id": "a"}, {"$set": value})
    assert sorted(checked) == sorted([*first, "$set"])  # only the new key, once
    assert _typed(list(memory.find({}))) == _typed(list(real.find({})))
    for refused in ({"key\x00": 1}, {"\ud800": 1}, {1: "a"}):
        for _ in range(2):
            expected = _raised(lambda refused=refused: real.update_one(
                {"_id": "a"}, {"$set": {"sub": refused}}))
            assert expected is not None
            assert _raised(lambda refused=refused: memory.update_one(
                {"_id": "a"}, {"$set": {"sub": refused}})) is expected
    kept = memory_models._STORED_KEYS
    assert kept == {*first, "$set"}


def test_a_document_found_by_its_id_is_not_matched_on_it_again(monkeypatch):
    """`_matching` finds a document by its `_id`'s key, then matches the query's other
    conditions only (`matches(..., known="_id")`): `update_once` and `update_versioned`, every
    update of a replay, filter on `_id` and one more field."""
    memory = MemoryCollection("docs", CodecOptions())
    memory.insert_one({"_id": "a", "n": 1, "_applied": ["e1"]})
    compared = []
    same = memory_models._same

    def counting(a, b):
        compared.append((a, b))
        return same(a, b)

    monkeypatch.setattr(memory_models, "_same", counting)
    assert memory.update_one({"_id": "a", "_applied": {"$ne": "e2"}},
                             {"$inc": {"n": 1}}).modified_count == 1
    assert memory.update_one({"_id": "a", "n": 2}, {"$inc": {"n": 1}}).modified_count == 1
    assert memory.update_one({"_id": "a", "n": 2}, {"$inc": {"n": 1}}).matched_count == 0
    assert compared == [(2, 2), (3, 2)]  # `n`'s only: never `_id`'s
    assert memory.find_one({"_id": "a"})["n"] == 3
