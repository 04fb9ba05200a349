"""The stand-in's page split size: a setting it reports, and files whose pages were split at
another size read back as they were.

Every commit writes every document of every page a change touched; the size past which a page
splits (`AGORA_MONGO_PAGE_SPLIT`, docs/performance.md, "The stand-in's pages") sets how many
documents that is. The size is not part of the file's format — a page is written with what it
holds and read whatever its size — so a file written with one size is read with another, its
pages taking the new size as they are rewritten.
"""
import pytest
from bson import ObjectId
from pymongo import MongoClient
from pymongo.errors import DuplicateKeyError

from .java_checks import start_with_setting

pytestmark = pytest.mark.integration

DEFAULT_SPLIT = 16384  # H2's own (dev/mongo-server MongoStandIn.PAGE_SPLIT)
IDS = [ObjectId() for _ in range(1500)]  # the client's ids: appended in order, as the platform's


def _start(server, monkeypatch, split):
    """Started with that split size (None: the default); what its start line says."""
    return start_with_setting(server, monkeypatch, "AGORA_MONGO_PAGE_SPLIT", split)


def _answers(events):
    return {
        "documents": list(events.find().sort("_id", 1)),
        "by id": events.find_one({"_id": IDS[777]}),
        "a stream": [d["version"] for d in events.find({"stream_id": "s7"}).sort("version", -1)
                     .limit(5)],
        "a kind, newest": [d["_id"] for d in events.find({"kind": 2}).sort("_id", -1).limit(9)],
        "count": events.count_documents({"kind": 1}),
    }


def _written(events, start, stop):
    events.insert_many([{"_id": IDS[n], "stream_id": f"s{n % 40}", "version": n // 40,
                         "kind": n % 3, "payload": {"title": f"title {n}", "body": "é" * 200,
                                                    "tags": ["a", f"t{n % 7}"]}}
                        for n in range(start, stop)])


def _changed(events, step):
    """Updates and deletes scattered over the file's pages (not only its last one)."""
    for n in range(0, 1000, step):
        events.update_one({"_id": IDS[n]}, {"$set": {"payload.title": f"changed {n} {step}"},
                                            "$inc": {"kind": 1}})
    events.delete_many({"_id": {"$in": IDS[step:1000:step * 5]}})


def test_pages_split_at_one_size_are_read_and_rewritten_at_another(stand_in, monkeypatch):
    """The default, then 4 KB, then the default, then 8 KB on one file: each start says the
    size it runs with, every answer is the same after each restart, and the pages of the old
    size take writes at the new one (fails where the setting is not read: no size in the
    start line)."""
    server = stand_in
    sizes = [None, 4096, None, 8192]
    try:
        before = None
        for turn, split in enumerate(sizes):
            line = _start(server, monkeypatch, split)
            assert f", pages split at {split or DEFAULT_SPLIT} bytes," in line, line
            client = MongoClient(server.uri)
            events = client["pages"]["events"]
            if before is None:
                events.create_index([("stream_id", 1), ("version", 1)], unique=True)
                events.create_index("kind")
            else:
                assert _answers(events) == before  # written at the previous size
            _written(events, turn * 300, turn * 300 + 300 if turn < len(sizes) - 1 else 1500)
            _changed(events, 3 + turn)
            with pytest.raises(DuplicateKeyError):
                events.insert_one({"stream_id": "s7", "version": 0})
            before = _answers(events)
            client.close()
            server.stop()

        _start(server, monkeypatch, 4096)
        client = MongoClient(server.uri)
        assert _answers(client["pages"]["events"]) == before
        assert len(before["documents"]) > 1300
        client.close()
    finally:
        server.stop()


def test_the_stand_in_refuses_a_page_split_size_it_cannot_use(stand_in, monkeypatch):
    server = stand_in
    monkeypatch.setenv("AGORA_MONGO_PAGE_SPLIT", "100")
    try:
        with pytest.raises(RuntimeError):
            server.start()
    finally:
        server.stop()  # a build that ignores the setting started: not left running
    assert "AGORA_MONGO_PAGE_SPLIT is not between 1024 and 1048576 bytes: 100" in \
        server.log.read_text()
