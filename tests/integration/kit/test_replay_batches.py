"""Replay in batches (`services.shared.projections`): the same read models as event at a time."""
import gc
import io
import weakref
from itertools import pairwise
from typing import Any

import pytest
from pymongo import MongoClient, monitoring
from pymongo.errors import BulkWriteError

from services.shared.event_store import EventStore
from services.shared.projections import (
    SHADOW_SUFFIX,
    BufferedReadModels,
    Projection,
    ProjectionRunner,
    ResidentReadModels,
    _events_to_next_check,
    _ShadowRebuild,
    replay,
    update_versioned,
)

from ...conftest import MONGO_URI
from .sample import BALANCES, deposit

pytestmark = pytest.mark.integration


def test_a_buffered_write_is_seen_by_the_next_read_and_a_duplicate_upsert_is_a_no_op(store):
    rm = BufferedReadModels(store.db)
    rm["notes"].update_one({"_id": "n1"}, {"$set": {"v": 1}}, upsert=True)
    assert store.db["notes"].find_one({"_id": "n1"}) is None  # still buffered
    assert rm["notes"].find_one({"_id": "n1"}) == {"_id": "n1", "v": 1}  # a read flushes first
    first, second = [deposit(store, "acc-1", cents).events[0] for cents in (1, 2)]
    update_versioned(rm["views"], "acc-1", second, {"$set": {"cents": 2}})
    update_versioned(rm["views"], "acc-1", first, {"$set": {"cents": 1}})  # older: duplicate key
    rm["views"].update_one({"_id": "acc-1"}, {"$inc": {"after": 1}})  # goes on after it
    rm.flush()
    assert store.db["views"].find_one({"_id": "acc-1"}) == {"_id": "acc-1", "cents": 2, "_v": 2,
                                                          "after": 1}
    rm["views"].insert_one({"_id": "acc-1"})  # a plain insert of an existing id is an error
    with pytest.raises(BulkWriteError):
        rm.flush()


def _received_log(store, audit, prefix):
    """12 accounts whose events another service recorded out of order (v3, v2, then v1)."""
    received = Projection("received_balances", service="audit", collections=["balances"])
    received.on("ledger.deposited")(BALANCES._handlers["ledger.deposited"])
    live = ProjectionRunner(received, audit)
    for n in range(12):
        commits = [deposit(store, f"{prefix}-{n}", cents) for cents in (1, 10, 100)]
        for commit in reversed(commits):
            live.record_and_apply(commit.events[0])
    return received


def test_batched_and_event_at_a_time_replays_rebuild_the_same_models(store, mongo_client,
                                                                     db_prefix):
    for batch_size in (0, 5):  # each in a database of its own: one replay per database
        audit = EventStore(mongo_client[f"{db_prefix}_audit{batch_size}"], "audit")
        audit.ensure_indexes()
        prefix = f"acc{batch_size}"
        received = _received_log(store, audit, prefix)
        balances = audit.db["balances"]
        expected = {f"{prefix}-{n}": 111 for n in range(12)}
        assert {d["_id"]: d["cents"] for d in balances.find()} == expected
        balances.update_one({"_id": f"{prefix}-0"}, {"$set": {"cents": -1}})  # corrupted
        figures = replay(audit, received, out=io.StringIO(), quiesce_seconds=0,
                         batch_size=batch_size)
        assert figures["events"] == 36
        assert {d["_id"]: d["cents"] for d in balances.find()} == expected
        cursors = {d["_id"]: d["version"] for d in audit.db[received.cursors].find()}
        assert cursors == {f"ledger:{prefix}-{n}": 3 for n in range(12)}
        assert "balances__replay" not in audit.db.list_collection_names()


ODD = Projection("odd_balances", service="ledger", collections=["balances", "doubling"])
ODD.on("ledger.deposited")(BALANCES._handlers["ledger.deposited"])


@ODD.also_on("ledger.deposited")
def _doubled(rm, event):
    """`$mul`: an operator the memory engine does not answer, so "doubling" leaves memory."""
    rm["doubling"].update_one({"_id": event.stream_id}, {"$setOnInsert": {"factor": 1}},
                              upsert=True)
    rm["doubling"].update_one({"_id": event.stream_id}, {"$mul": {"factor": 2}})


def _models(db):
    return {name: sorted(db[name].find({}, {"_applied": 0}), key=lambda d: d["_id"])
            for name in ODD.collections}


def test_collections_that_leave_memory_during_the_rebuild_end_the_same(store, caplog):
    for n in range(12):
        for cents in (1, 10, 100):
            deposit(store, f"odd-{n}", cents)
    replay(store, ODD, out=io.StringIO(), quiesce_seconds=0, batch_size=0)
    expected = _models(store.db)
    assert expected["doubling"][0] == {"_id": "odd-0", "factor": 8}
    assert expected["balances"][0]["cents"] == 111
    # held in memory at most 400 bytes: "balances" (the largest) goes out as it grows
    with caplog.at_level("INFO", logger="services.shared.projections"):
        figures = replay(store, ODD, out=io.StringIO(), quiesce_seconds=0, batch_size=4,
                         resident_limit=400)
    assert figures["events"] == 36
    assert _models(store.db) == expected
    released = caplog.text
    assert "doubling__replay goes to the database (update operator $mul)" in released
    assert "balances__replay goes to the database (more than 400 bytes" in released


HELD = Projection("held_balances", service="ledger", collections=["doubling"])


@HELD.on("ledger.deposited")
def _doubled_through_one_object(rm, event):
    """Keeps the collection object across the write that moves it to the database."""
    doubling = rm["doubling"]
    doubling.update_one({"_id": event.stream_id}, {"$setOnInsert": {"factor": 1}}, upsert=True)
    doubling.update_one({"_id": event.stream_id}, {"$mul": {"factor": 2}})
    doubling.update_one({"_id": event.stream_id}, {"$inc": {"after": 1}})


def test_a_collection_object_kept_by_a_handler_follows_its_collection_to_the_database(store):
    for n in range(3):
        for cents in (1, 10):
            deposit(store, f"held-{n}", cents)
    replay(store, HELD, out=io.StringIO(), quiesce_seconds=0, batch_size=0)
    expected = sorted(store.db["doubling"].find(), key=lambda d: d["_id"])
    assert expected[0] == {"_id": "held-0", "factor": 4, "after": 2}
    replay(store, HELD, out=io.StringIO(), quiesce_seconds=0)
    assert sorted(store.db["doubling"].find(), key=lambda d: d["_id"]) == expected


CHURN = Projection("churned_balances", service="ledger", collections=["latest", "gone"])


@CHURN.on("ledger.deposited")
def _churned(rm, event):
    """Documents made, changed, removed and made again as the log goes on."""
    cents, account = event.payload["cents"], event.stream_id
    rm["latest"].update_one({"_id": account}, {"$set": {"cents": cents}}, upsert=True)
    if cents == 1:
        rm["gone"].insert_one({"_id": account, "made": event.stream_version})
    elif cents == 10:
        rm["gone"].delete_one({"_id": account})
    else:
        rm["gone"].update_one({"_id": account}, {"$set": {"again": cents}}, upsert=True)


def test_documents_sent_while_the_rebuild_goes_on_end_as_event_at_a_time(store):
    # sent every 2 events: a document is sent, then changed (replaced), removed (deleted) and
    # made again (inserted) while the rebuild goes on
    for cents in (1, 10, 100):  # each account's events 8 apart
        for n in range(8):
            deposit(store, f"churn-{n}", cents)
    replay(store, CHURN, out=io.StringIO(), quiesce_seconds=0, batch_size=0)
    expected = {name: sorted(store.db[name].find(), key=lambda d: d["_id"])
                for name in CHURN.collections}
    assert expected["gone"][0] == {"_id": "churn-0", "again": 100}
    for batch_size in (2, 5):
        replay(store, CHURN, out=io.StringIO(), quiesce_seconds=0, batch_size=batch_size)
        assert {name: sorted(store.db[name].find(), key=lambda d: d["_id"])
                for name in CHURN.collections} == expected


WATCHED = Projection("watched_balances", service="ledger", collections=["balances"])
SENT_BEFORE_THE_END: list[dict] = []


@WATCHED.on("ledger.deposited")
def _watched(rm, event):
    """At the log's last event (999 cents), what the stream cursors' shadow holds: what the
    rebuild wrote of the cursors before the end of the log."""
    rm["balances"].update_one({"_id": event.stream_id},
                              {"$inc": {"cents": event.payload["cents"]}}, upsert=True)
    if event.payload["cents"] == 999 and isinstance(rm, ResidentReadModels):
        rm.wait_sent()  # everything given to the sending thread so far is written
        SENT_BEFORE_THE_END.extend(rm.db[WATCHED.cursors + SHADOW_SUFFIX].find())


def test_stream_cursors_are_written_while_the_rebuild_goes_on(store):
    for n in range(12):  # a stream each, then the first one's second event, last in the log
        deposit(store, f"watched-{n}", 1)
    deposit(store, "watched-0", 999)
    def cursors():
        return {cursor["_id"]: cursor["version"] for cursor in store.db[WATCHED.cursors].find()}

    replay(store, WATCHED, out=io.StringIO(), quiesce_seconds=0, batch_size=0)
    expected = cursors()
    assert len(expected) == 12 and expected["watched-0"] == 2
    SENT_BEFORE_THE_END.clear()
    replay(store, WATCHED, out=io.StringIO(), quiesce_seconds=0, batch_size=2)
    # the streams done early were written then; watched-0 (changed at the end) sent again
    assert len(SENT_BEFORE_THE_END) >= 8
    assert all(cursor["version"] == 1 for cursor in SENT_BEFORE_THE_END)
    assert cursors() == expected
    assert store.db[WATCHED.cursors].find_one({"_id": "watched-0"})["waiting"] == 2


def _indexed(*names):
    """Balances' projection with an index declared on each of `names` (the log writes only
    "balances")."""
    def indexes(rm):
        for name in names:
            rm[name].create_index("cents", name=f"{name}_cents")

    indexed = Projection(f"indexed_{len(names)}", service="ledger", collections=list(names),
                         indexes=indexes)
    indexed.on("ledger.deposited")(BALANCES._handlers["ledger.deposited"])
    return indexed


class _Commands(monitoring.CommandListener):
    def __init__(self):
        self.names = []

    def started(self, event):
        self.names.append(event.command_name)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def test_a_swap_by_renames_keeps_the_rebuilt_indexes_without_making_them_again(store):
    deposit(store, "indexed-1", 5)
    commands = _Commands()
    client = MongoClient(MONGO_URI, tz_aware=True, event_listeners=[commands])
    try:
        watched = EventStore(client[store.db.name], "ledger")
        replay(watched, _indexed("balances"), out=io.StringIO(), quiesce_seconds=0)
        after_swap = commands.names[commands.names.index("renameCollection"):]
        assert "createIndexes" not in after_swap
        assert "balances_cents" in store.db["balances"].index_information()
        # nothing in the log writes "unused": its shadow, made by its index, renamed as well
        replay(watched, _indexed("balances", "unused"), out=io.StringIO(), quiesce_seconds=0)
        assert "unused_cents" in store.db["unused"].index_information()
    finally:
        client.close()


class _BrokenLog(EventStore):
    """A log whose reading fails after its first commits (a commit that does not decode)."""

    def read_all(self, after_position=0, batch_size=500):
        for count, commit in enumerate(super().read_all(after_position, batch_size)):
            if count == 3:
                raise RuntimeError("commit 4 does not decode")
            yield commit


def test_a_log_that_cannot_be_read_stops_the_replay_before_the_swap(store):
    for n in range(6):
        deposit(store, f"broken-{n}", 5)
    replay(store, BALANCES, out=io.StringIO(), quiesce_seconds=0)
    before = sorted(store.db["balances"].find(), key=lambda d: d["_id"])
    broken = _BrokenLog(store.db, "ledger")
    with pytest.raises(RuntimeError, match="commit 4 does not decode"):
        replay(broken, BALANCES, out=io.StringIO(), quiesce_seconds=0)
    assert sorted(store.db["balances"].find(), key=lambda d: d["_id"]) == before


COLLECTED = Projection("collected_balances", service="ledger", collections=["balances"])
TIMELINE: list[tuple[str, Any]] = []  # events applied, collections made, cycles collected


class _Cycle:
    """An object that refers to itself: only the cyclic collector frees it."""


@COLLECTED.on("ledger.deposited")
def _collected(rm, event):
    """Notes the event, and leaves a cycle behind that notes when it is collected."""
    rm["balances"].update_one({"_id": event.stream_id}, {"$inc": {"cents": 1}}, upsert=True)
    TIMELINE.append(("event", event.stream_id))
    cycle = _Cycle()
    cycle.itself = cycle
    weakref.finalize(cycle, TIMELINE.append, ("collected", event.stream_id))


def _collections(phase, info):
    if phase == "stop":
        TIMELINE.append(("collection", info["generation"]))


def test_a_rebuild_collects_its_young_cycles_itself_and_nothing_else(store):
    for n in range(250):
        deposit(store, f"collected-{n:03}", 1)
    thresholds = gc.get_threshold()
    TIMELINE.clear()
    gc.set_threshold(1, 1, 1)  # left to Python: a collection at every allocation
    gc.callbacks.append(_collections)
    try:
        replay(store, COLLECTED, out=io.StringIO(), quiesce_seconds=0, batch_size=10)
        assert gc.isenabled() and gc.get_threshold() == (1, 1, 1)  # as it was given
        gc.disable()  # a caller's choice is kept too
        replay(store, COLLECTED, out=io.StringIO(), quiesce_seconds=0, batch_size=10)
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.callbacks.remove(_collections)
        gc.set_threshold(*thresholds)
    events = [n for n, (what, _) in enumerate(TIMELINE) if what == "event"]
    rebuild = TIMELINE[events[0]:events[249] + 1]  # the first replay's log applied
    # while the log is applied, only the rebuild's own collections of the young generations,
    # one every 100 events: ten times the memory checks' 10 (Python's own would have run at
    # every allocation)
    assert [what for what in rebuild if what[0] == "collection"] == [("collection", 1)] * 2
    # and the cycles left by the first events are collected before the last one
    assert ("collected", "collected-000") in rebuild
    assert {d["cents"] for d in store.db["balances"].find()} == {1}


_KEEP_WITHIN_LIMIT = ResidentReadModels.keep_within_limit


def _checks_and_events(monkeypatch, store, **options) -> list[int]:
    """The events applied before each memory check of a replay of COLLECTED's log."""
    TIMELINE.clear()

    def noted(self):
        TIMELINE.append(("check", None))
        _KEEP_WITHIN_LIMIT(self)

    monkeypatch.setattr(ResidentReadModels, "keep_within_limit", noted)
    replay(store, COLLECTED, out=io.StringIO(), quiesce_seconds=0, batch_size=10, **options)
    events = 0
    checks = []
    for what, _ in TIMELINE:
        events += what == "event"
        if what == "check":
            checks.append(events)
    return checks


def test_a_rebuild_checks_its_memory_less_often_only_far_below_its_limit(store, monkeypatch,
                                                                        caplog):
    """A check encodes what changed since the last one: far below the limit, a rebuild looks
    again when half the room left could be used at the rate seen, within 1x and 10x the
    batch; near the limit, at every batch as before — and it still leaves memory there."""
    for n in range(300):
        deposit(store, f"checked-{n:03}", 1)
    far = _checks_and_events(monkeypatch, store)
    assert far == [10, 110, 210]  # then the end of the log
    with caplog.at_level("INFO", logger="services.shared.projections"):
        near = _checks_and_events(monkeypatch, store, resident_limit=1500)
    # each check within half the room left at the rate seen (~40 bytes an event, 1,500 in all)
    assert near[0] == 10 and all(later - first <= 15 for first, later in pairwise(near[:4]))
    assert "balances__replay goes to the database (more than 1,500 bytes" in caplog.text
    assert _events_to_next_check(1000, room=32 * 2**20, per_event=400) == 10_000
    assert _events_to_next_check(1000, room=32 * 2**20, per_event=0) == 10_000
    assert _events_to_next_check(1000, room=4_000_000, per_event=400) == 5_000
    assert _events_to_next_check(1000, room=400_000, per_event=400) == 1000
    assert _events_to_next_check(1000, room=-50, per_event=400) == 1000  # past it
    assert _events_to_next_check(1000, room=0, per_event=0) == 1000  # nothing may be held


LOOKED_UP = Projection("looked_up_balances", service="ledger", collections=["balances"])


@LOOKED_UP.on("ledger.deposited")
def _looked_up(rm, event):
    """A read (`find_one`) before each write, as the services' handlers do."""
    balances = rm["balances"]
    before = balances.find_one({"_id": event.stream_id}) or {"cents": 0}
    balances.update_one({"_id": event.stream_id},
                        {"$set": {"cents": before["cents"] + event.payload["cents"]}}, upsert=True)


def test_a_collection_sent_to_the_database_leaves_memory_then_not_at_the_collector_s_pass(
        store, monkeypatch, caplog):
    """What a rebuild held of a collection is freed as soon as the collection is sent to the
    database, without the cyclic collector: a rebuild runs only the young generations', so
    what waited for it stayed past `resident_limit` until the rebuild ended."""
    for n in range(60):
        deposit(store, f"looked-{n:02}", 1)
    moved: list[weakref.ref] = []
    models: list[weakref.ref] = []
    move, apply_commit = ResidentReadModels._move, _ShadowRebuild.apply_commit

    def noted_move(self, name):
        models.append(weakref.ref(self))
        moved.append(weakref.ref(self._memory[name]))
        return move(self, name)

    def checked_apply(self, commit):
        # by the next commit after a collection was sent, nothing holds what it held
        assert [ref() for ref in moved] == [None] * len(moved)
        return apply_commit(self, commit)

    monkeypatch.setattr(ResidentReadModels, "_move", noted_move)
    monkeypatch.setattr(_ShadowRebuild, "apply_commit", checked_apply)
    was_enabled = gc.isenabled()
    gc.disable()  # only reference counts free anything from here
    try:
        with caplog.at_level("INFO", logger="services.shared.projections"):
            figures = replay(store, LOOKED_UP, out=io.StringIO(), quiesce_seconds=0,
                             batch_size=10, resident_limit=600)
        assert "balances__replay goes to the database (more than 600 bytes" in caplog.text
        assert figures["events"] == 60 and len(moved) == 1
        models_left = [ref() for ref in models]  # the rebuild's models, once it is over
        assert models_left == [None]
        moved.clear()
        replay(store, LOOKED_UP, out=io.StringIO(), quiesce_seconds=0)  # held to the end
        assert len(moved) == 1 and [ref() for ref in moved + models] == [None, None, None]
    finally:
        if was_enabled:
            gc.enable()
    assert sorted(d["cents"] for d in store.db["balances"].find()) == [1] * 60
