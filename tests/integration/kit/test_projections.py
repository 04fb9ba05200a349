"""Projections: per-stream order from the log, idempotence, and replay without downtime."""
import contextlib
import io

import eventlet
import pytest
from pymongo.errors import OperationFailure

from services.shared.event_store import EventStore
from services.shared.projections import (
    OutOfOrder,
    Projection,
    ProjectionRunner,
    ReadModels,
    replay,
)

from .sample import BALANCES, deposit

pytestmark = pytest.mark.integration


def test_events_applied_out_of_order_are_completed_from_the_log(store):
    rm = ReadModels(store.db)
    commits = [deposit(store, "acc-1", cents) for cents in (1, 10, 100)]
    third, second = commits[2].events[0], commits[1].events[0]
    assert BALANCES.apply(rm, third, store) == 3  # v1 and v2 taken from the log first
    assert rm["balances"].find_one({"_id": "acc-1"})["cents"] == 111
    assert BALANCES.apply(rm, second, store) == 0  # already applied: a duplicate
    assert rm["balances"].find_one({"_id": "acc-1"})["cents"] == 111


def test_without_a_log_an_early_event_is_refused_rather_than_misapplied(store):
    commits = [deposit(store, "acc-1", cents) for cents in (1, 10)]
    with pytest.raises(OutOfOrder):
        BALANCES.apply(ReadModels(store.db), commits[1].events[0])


def test_a_reapplied_event_after_a_crash_window_counts_once(store):
    rm = ReadModels(store.db)
    event = deposit(store, "acc-1", 5).events[0]
    BALANCES.apply(rm, event, store)
    rm[BALANCES.cursors].delete_many({})  # as if the process died before moving the cursor
    BALANCES.apply(rm, event, store)
    assert rm["balances"].find_one({"_id": "acc-1"})["cents"] == 5


def test_replay_rebuilds_the_same_read_model(store):
    rm = ReadModels(store.db)
    for n in range(60):
        BALANCES.apply_commit(rm, deposit(store, f"acc-{n % 7}", n), store)
    before = _balances(store)
    rm["balances"].update_one({"_id": "acc-0"}, {"$set": {"cents": -1}})  # a corrupted model
    out = io.StringIO()
    figures = replay(store, BALANCES, out=out, progress_every=20, quiesce_seconds=0)
    assert _balances(store) == before
    assert figures["commits"] == 60
    assert "60/60 commits (100.0%)" in out.getvalue()
    assert "balances__replay" not in store.db.list_collection_names()


def test_replay_while_writers_keep_writing_loses_nothing(store):
    live = ProjectionRunner(BALANCES, store)  # what a service's handlers and RPCs call
    for n in range(300):
        live.apply_commit(deposit(store, f"acc-{n % 10}", 1))
    written, replaying = [], [True]

    def writer():
        n = 0
        while replaying[0] or n < 20:  # writes before, during and after the swap
            commit = deposit(store, f"acc-{n % 10}", 1)
            written.append(commit)
            # A write racing the rename may fail (the stand-in says "Unknown error"); in a service
            # the subscription retries it, here the replay's catch-up applies it.
            with contextlib.suppress(OperationFailure):
                live.apply_commit(commit)
            n += 1
            eventlet.sleep(0)  # ok: yields to the replay greenthread, synchronises nothing

    thread = eventlet.spawn(writer)
    replay(store, BALANCES, out=io.StringIO(), progress_every=50, quiesce_seconds=0.6)
    replaying[0] = False
    thread.wait()
    # what landed after the swap was applied live; what landed during the rebuild, by the
    # catch-up from the log
    assert sum(_balances(store).values()) == 300 + len(written)


def _balances(store):
    return {d["_id"]: d["cents"] for d in store.db["balances"].find()}


def test_update_versioned_never_lets_an_older_event_overwrite_a_newer_state(store):
    from services.shared.projections import update_versioned

    first, second = [deposit(store, "acc-1", cents).events[0] for cents in (1, 2)]
    views = store.db["views"]
    assert update_versioned(views, "acc-1", second, {"$set": {"cents": 2}})
    assert not update_versioned(views, "acc-1", first, {"$set": {"cents": 1}})  # late, older
    assert not update_versioned(views, "acc-1", second, {"$set": {"cents": 2}})  # repeated
    assert views.find_one({"_id": "acc-1"})["cents"] == 2


def test_received_events_that_overtook_each_other_are_all_applied(store, mongo_client,
                                                                   db_prefix):
    """Another service's v2 arrives before v1: when v1 comes, v2 (waiting in our log) follows."""
    commits = [deposit(store, "acc-1", cents) for cents in (1, 10, 100)]
    audit = EventStore(mongo_client[f"{db_prefix}_audit"], "audit")
    audit.ensure_indexes()
    received = Projection("received_balances", service="audit", collections=["balances"])
    received.on("ledger.deposited")(BALANCES._handlers["ledger.deposited"])
    live = ProjectionRunner(received, audit)
    first, second, third = (commit.events[0] for commit in commits)
    assert live.record_and_apply(third) == 0 and live.record_and_apply(second) == 0
    assert live.record_and_apply(first) == 3
    assert audit.db["balances"].find_one({"_id": "acc-1"})["cents"] == 111
