"""The index check's rules (services/shared/query_shapes.py), on commands as pymongo sends them."""
import json
import re

import pytest

from services.shared.query_shapes import (
    ID_INDEX,
    Index,
    ShapeRecorder,
    check,
    load,
    process_label,
    shapes_of,
    verdict_for,
)

pytestmark = pytest.mark.unit

ITEMS = [ID_INDEX,
         Index("newest", (("state", 1), ("ts", -1), ("_id", -1))),
         Index("author", (("author_id", 1), ("ts", -1)))]


def shape(filter_, sort=None, limit=None, op="find"):
    command = {op: "items", "filter": filter_, "sort": sort or {}, "limit": limit or 0}
    return shapes_of(op, "t1_2_feeds", command)[0]


def test_a_recorded_shape_keeps_fields_and_operators_never_values():
    recorded = shape({"state": "published", "ts": {"$lt": 5}, "tags": {"$in": ["a"]},
                      "title": re.compile("secret")}, {"ts": -1}, 20)
    assert recorded == {"service": "feeds", "collection": "items", "op": "find",
                        "filter": {"state": ["$eq"], "ts": ["$lt"], "tags": ["$in"],
                                   "title": ["$regex"]},
                        "sort": [["ts", -1]], "limit": 20}
    assert "published" not in json.dumps(recorded) and "secret" not in json.dumps(recorded)


def test_writes_count_by_their_filters_and_indexes_are_declarations():
    updates = shapes_of("update", "agora_posts", {"update": "posts__replay", "updates": [
        {"q": {"_id": "p1"}, "u": {"$set": {"a": 1}}}, {"q": {"author_id": "u"}, "multi": True}]})
    assert [(u["collection"], u["filter"], u["limit"]) for u in updates] == [
        ("posts", {"_id": ["$eq"]}, 1), ("posts", {"author_id": ["$eq"]}, None)]
    index = shapes_of("createIndexes", "agora_posts", {"createIndexes": "posts", "indexes": [
        {"key": {"state": 1, "ts": -1}, "name": "newest"}]})
    assert index == [{"service": "posts", "collection": "posts", "op": "createIndexes",
                      "index": "newest", "key": [["state", 1], ["ts", -1]], "unique": False}]
    count = shapes_of("aggregate", "agora_posts", {"aggregate": "posts", "pipeline": [
        {"$match": {"state": "x"}}, {"$group": {"_id": 1, "n": {"$sum": 1}}}]})
    assert count[0]["filter"] == {"state": ["$eq"]}


def test_equality_then_sort_then_range_is_served_by_the_compound_index():
    verdict = verdict_for(shape({"state": "p", "ts": {"$lt": 9}}, {"ts": -1, "_id": -1}, 20),
                          ITEMS)
    assert verdict.served_by == "newest" and not verdict.blocking_sort
    assert verdict_for(shape({"author_id": "u"}, {"ts": 1}, 20), ITEMS).served_by == "author"
    assert verdict_for(shape({"_id": {"$in": ["a", "b"]}}), ITEMS).served_by == "_id_"


def test_a_filter_no_index_starts_with_is_a_collection_scan():
    for filter_ in ({"ts": {"$ne": 3}}, {"title": "x"}, {"author_id": {"$exists": True}}, {}):
        assert verdict_for(shape(filter_), ITEMS).served_by is None, filter_
    # a sort the index gives, but no limit: the whole index, then every document
    assert verdict_for(shape({}, {"ts": 1}), [ID_INDEX, Index("ts", (("ts", 1),))]
                       ).served_by is None
    assert verdict_for(shape({}, {"ts": 1}, 10), [ID_INDEX, Index("ts", (("ts", 1),))]
                       ).served_by == "ts"


def test_an_or_needs_every_clause_indexed():
    indexed = shape({"$or": [{"author_id": "u"}, {"state": "p"}]})
    assert verdict_for(indexed, ITEMS).served_by == "(each $or clause)"
    half = shape({"$or": [{"author_id": "u"}, {"title": "t"}]})
    assert verdict_for(half, ITEMS).served_by is None


def test_a_sort_the_index_cannot_give_is_reported_as_blocking():
    verdict = verdict_for(shape({"author_id": "u"}, {"title": 1}, 10), ITEMS)
    assert verdict.served_by == "author" and verdict.blocking_sort


def test_only_migrate_declares_and_bounded_collections_are_exempt(tmp_path):
    migrate = ShapeRecorder(tmp_path, label="agora-migrate")
    service = ShapeRecorder(tmp_path, label="agora-run-feeds")
    index = {"createIndexes": "items", "indexes": [{"key": {"author_id": 1}, "name": "author"}]}
    query = {"find": "items", "filter": {"author_id": "u"}}
    journal = {"find": "outbox_published", "filter": {}}

    class Event:
        def __init__(self, name, command):
            self.command_name, self.database_name, self.command = name, "p_feeds", command

    service.started(Event("createIndexes", index))  # made at run time only: not declared
    service.started(Event("find", query))
    service.started(Event("find", query))            # recorded once
    service.started(Event("find", journal))
    assert len(service.path.read_text().splitlines()) == 3
    shapes, indexes = load(tmp_path)
    assert indexes == {}
    report = check(shapes, indexes)
    assert [v.shape["collection"] for v in report.scans] == ["items"]
    assert [v.exempt is not None for v in report.verdicts if v.shape["collection"]
            == "outbox_published"] == [True]

    migrate.started(Event("createIndexes", index))
    shapes, indexes = load(tmp_path)
    assert check(shapes, indexes).scans == []


def test_process_labels_name_the_agora_command():
    assert process_label(["/x/.venv/bin/agora", "run", "posts"]) == "agora-run-posts"
    assert process_label(["/x/.venv/bin/agora", "migrate"]) == "agora-migrate"
    assert process_label(["/x/.venv/bin/pytest", "-q"]) == "pytest"


def test_an_or_inside_an_and_is_judged_clause_by_clause():
    conversations = [ID_INDEX, Index("mine", (("participant_ids", 1), ("last_ts", -1))),
                     Index("queue", (("pool", 1), ("last_ts", -1)))]
    listing = shape({"$and": [{"$or": [{"participant_ids": "u"}, {"pool": "staff"}]},
                              {"last_ts": {"$lt": 5}}]}, {"last_ts": -1}, 21)
    assert verdict_for(listing, conversations).served_by == "(each $or clause)"
    assert verdict_for(listing, conversations[:2]).served_by is None
