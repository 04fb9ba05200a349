"""Contract tests every event-store backend must pass: MongoDB (services, integration and
end-to-end tests) and memory (the pure domain's unit tests).

Like eventsourcing's recorder tests: the suite is a base class; a backend subclasses it and
provides the `store` and `other_store` fixtures and `rewrite_first_event` (what only a backend
can do: change a stored event behind the store's back, as an old deployment would have left it).
"""
from datetime import datetime, timedelta, timezone

import eventlet
import pytest
from bson.codec_options import CodecOptions
from bson.tz_util import utc

from services.shared import commands, recorders
from services.shared.envelope import CommandContext, NewEvent
from services.shared.errors import ConcurrencyConflict, InvalidInput
from services.shared.event_store import EventStore, in_memory_event_store

from . import sample  # noqa: F401 - registers the ledger payload schemas

pytestmark = pytest.mark.integration
CONTEXT = CommandContext(actor="user-1", correlation_id="req-1")


def deposit(cents=1):
    return NewEvent("ledger.deposited", {"cents": cents, "currency": "EUR"})


class EventStoreContract:
    def test_append_and_load_a_new_stream(self, store):
        commit = store.append("acc-1", 0, [deposit(1), deposit(2)], CONTEXT)
        assert (commit.version, commit.last_version) == (1, 2)
        events = store.load("acc-1")
        assert [e.stream_version for e in events] == [1, 2]
        assert [e.payload["cents"] for e in events] == [1, 2]
        first = events[0]
        assert first.type == "ledger.deposited" and first.schema_version == 2
        assert first.actor == "user-1" and first.correlation_id == "req-1"
        assert first.stream_id == "acc-1" and first.occurred_at.endswith("+00:00")
        assert store.stream_version("acc-1") == 2
        assert store.load("acc-1", after_version=1)[0].stream_version == 2

    def test_a_stale_writer_gets_a_conflict_and_nothing_is_overwritten(self, store):
        store.append("acc-1", 0, [deposit(1)], CONTEXT)
        store.append("acc-1", 1, [deposit(2)], CONTEXT)
        with pytest.raises(ConcurrencyConflict) as raised:
            store.append("acc-1", 1, [deposit(99)], CONTEXT)
        assert raised.value.expected_version == 1
        assert [e.payload["cents"] for e in store.load("acc-1")] == [1, 2]

    def test_concurrent_writers_at_the_same_version_exactly_one_wins(self, store):
        store.append("acc-1", 0, [deposit(0)], CONTEXT)
        outcomes = []

        def write(cents):
            try:
                store.append("acc-1", 1, [deposit(cents), deposit(cents)], CONTEXT)
                outcomes.append("won")
            except ConcurrencyConflict:
                outcomes.append("conflict")

        pool = eventlet.GreenPool(20)
        for cents in range(20):
            pool.spawn(write, cents)
        pool.waitall()
        assert outcomes.count("won") == 1 and outcomes.count("conflict") == 19
        assert [e.stream_version for e in store.load("acc-1")] == [1, 2, 3]

    def test_read_all_follows_commit_order_across_streams(self, store):
        store.append("a", 0, [deposit(1)], CONTEXT)
        store.append("b", 0, [deposit(2)], CONTEXT)
        store.append("a", 1, [deposit(3), deposit(4)], CONTEXT)
        commits = list(store.read_all())
        assert [(c.stream_id, c.version) for c in commits] == [("a", 1), ("b", 1), ("a", 2)]
        positions = [c.position for c in commits]
        assert positions == sorted(positions) and len(set(positions)) == 3
        assert [c.stream_id for c in store.read_all(after_position=positions[0])] == ["b", "a"]
        assert store.count() == 3

    def test_recorded_since_answers_the_commits_recorded_from_a_moment_in_log_order(self,
                                                                                  store):
        for stream in ("a", "b", "c", "d"):
            store.append(stream, 0, [deposit(1)], CONTEXT)
        commits = list(store.read_all())
        moment = commits[2].recorded_at  # as stored: some commits may share its millisecond
        since = list(store.recorded_since(moment))
        assert [c.position for c in since] == [c.position for c in commits
                                               if c.recorded_at >= moment]
        assert {"c", "d"} <= {c.stream_id for c in since}
        assert list(store.recorded_since(commits[-1].recorded_at + timedelta(seconds=1))) == []

    def test_an_invalid_payload_is_refused_before_anything_is_stored(self, store):
        with pytest.raises(InvalidInput):
            store.append("acc-1", 0, [NewEvent("ledger.deposited", {"cents": "lots"})], CONTEXT)
        assert store.load("acc-1") == [] and store.count() == 0

    def test_new_commits_are_pending_until_marked_published(self, store):
        first = store.append("a", 0, [deposit(1)], CONTEXT)
        second = store.append("b", 0, [deposit(1)], CONTEXT)
        assert [c.id for c in store.pending()] == [first.id, second.id]
        assert store.backlog() == 2
        store.mark_published([first.id])
        assert [c.id for c in store.pending()] == [second.id]

    def test_old_payload_versions_are_upcast_on_read(self, store):
        store.append("acc-1", 0, [deposit(5)], CONTEXT)
        self.rewrite_first_event(store, "acc-1", schema_version=1, payload={"cents": 5})
        (event,) = store.load("acc-1")
        assert event.schema_version == 2 and event.payload == {"cents": 5, "currency": "EUR"}

    def test_received_events_are_recorded_once(self, store, other_store):
        foreign = store.append("acc-9", 0, [deposit(1)], CONTEXT).events[0]
        assert other_store.record_received(foreign) is True
        assert other_store.record_received(foreign) is False
        assert [e.id for e in other_store.load("ledger:acc-9")] == [foreign.id]
        assert other_store.pending() == []  # received events are never re-published

    def test_received_events_are_recorded_together_once_each_in_delivery_order(
            self, store, other_store):
        first = store.append("acc-9", 0, [deposit(1)], CONTEXT).events[0]
        second = store.append("acc-9", 1, [deposit(2)], CONTEXT).events[0]
        elsewhere = store.append("acc-8", 0, [deposit(3)], CONTEXT).events[0]
        assert other_store.record_received(first) is True
        # a batch of deliveries: a later version first, a copy already recorded
        assert other_store.record_received_all([second, first, elsewhere]) == [True, False, True]
        positions = {commit.id: commit.position for commit in other_store.read_all()}
        assert positions[first.id] < positions[second.id] < positions[elsewhere.id]
        assert [e.id for e in other_store.load("ledger:acc-9")] == [first.id, second.id]
        assert other_store.record_received_all([elsewhere, second]) == [False, False]
        assert other_store.pending() == []

    def test_a_command_s_second_execution_finds_its_first_append(self, store):
        token = commands.enter({commands.KEY_CONTEXT: "user:u1\nk-1"}, "ledger", "deposit")
        try:
            first = store.append("acc-1", 0, [deposit(1)], CONTEXT)
        finally:
            commands.leave(token)
        token = commands.enter({commands.KEY_CONTEXT: "user:u1\nk-1"}, "ledger", "deposit")
        try:
            again = store.append("acc-1", 1, [deposit(1)], CONTEXT)
        finally:
            commands.leave(token)
        assert again.id == first.id and [e.stream_version for e in store.load("acc-1")] == [1]

    def test_append_all_stores_the_commits_of_one_command_in_order(self, store):
        first, second = store.append_all(
            [("a", 0, [deposit(1)]), ("b", 0, [deposit(2), deposit(3)])], CONTEXT)
        assert (first.stream_id, second.stream_id) == ("a", "b")
        assert second.position == first.position + 1 and second.last_version == 2
        assert [c.id for c in store.read_all()] == [first.id, second.id]
        assert [c.id for c in store.pending()] == [first.id, second.id]
        assert [e.payload["cents"] for e in store.load("b")] == [2, 3]

    def test_append_all_refused_midway_keeps_what_came_before(self, store):
        store.append("b", 0, [deposit(9)], CONTEXT)
        with pytest.raises(ConcurrencyConflict):
            store.append_all([("a", 0, [deposit(1)]), ("b", 0, [deposit(2)])], CONTEXT)
        assert [e.payload["cents"] for e in store.load("a")] == [1]
        assert [e.payload["cents"] for e in store.load("b")] == [9]
        with pytest.raises(ConcurrencyConflict):  # the first refused: nothing after it
            store.append_all([("b", 0, [deposit(3)]), ("c", 0, [deposit(4)])], CONTEXT)
        assert store.load("c") == [] and store.count() == 2

    def test_append_all_of_a_command_s_second_execution_finds_its_first_commits(self, store):
        def execution():
            token = commands.enter({commands.KEY_CONTEXT: "user:u1\nk-2"}, "ledger", "both")
            try:
                return store.append_all([("a", 0, [deposit(1)]), ("b", 0, [deposit(2)])],
                                        CONTEXT)
            finally:
                commands.leave(token)

        first, again = execution(), execution()
        assert [c.id for c in again] == [c.id for c in first]
        assert [e.stream_version for e in store.load("a") + store.load("b")] == [1, 1]
        assert store.count() == 2

    def test_published_batches_fold_into_the_commits(self, store):
        first = store.append("a", 0, [deposit(1)], CONTEXT)
        second = store.append("b", 0, [deposit(1)], CONTEXT)
        store.record_published_batch([first.id])
        assert store.backlog() == 1  # journaled, not folded yet
        assert store.fold_published_batches() == 1
        assert [c.id for c in store.pending()] == [second.id] and store.backlog() == 1

    def test_execute_decides_again_on_fresh_state_after_a_conflict(self, store):
        store.append("acc-1", 0, [deposit(1)], CONTEXT)
        seen_versions = []

        def decide(history):
            seen_versions.append(len(history))
            if len(seen_versions) == 1:  # another writer sneaks in during our first decision
                store.append("acc-1", 1, [deposit(2)], CONTEXT)
            return [deposit(3)]

        commit = store.execute("acc-1", decide, CONTEXT)
        assert seen_versions == [1, 2] and commit.version == 3
        assert store.execute("acc-1", lambda history: [], CONTEXT) is None


    def test_read_all_gives_each_commit_as_the_log_holds_it(self, store):
        """`read_all` (a replay's read) reads `recorder.commits_after`: the same commits as
        the whole documents of `recorder.after`, their time of recording included."""
        store.append("a", 0, [deposit(1), deposit(2)], CONTEXT)
        store.append("b", 0, [deposit(3)], CONTEXT)
        read = list(store.read_all())
        whole = [store._commit(document) for document in store.recorder.after(0)]
        assert read == whole and len(read) == 2
        assert [c.recorded_at.tzinfo for c in read] == [c.recorded_at.tzinfo for c in whole]


class TestMongoEventStore(EventStoreContract):
    @pytest.fixture
    def store(self, mongo_client, db_prefix):
        store = EventStore(mongo_client[f"{db_prefix}_ledger"], "ledger")
        store.ensure_indexes()
        return store

    @pytest.mark.parametrize("tzinfo", [None, timezone(timedelta(hours=2))])
    def test_a_replay_s_read_makes_recorded_at_aware_itself(self, mongo_client, db_prefix,
                                                            tzinfo, monkeypatch):
        """The log is read with naive datetimes and `recorded_at` made aware by `_aware` —
        pymongo's decoder called `datetime.replace(tzinfo=...)` per commit, a ninth of reading
        the log — giving the datetime a tz-aware codec gives (in UTC, `bson.tz_util.utc`, or in
        the codec's `tzinfo`); what else the commit document holds is not read."""
        db = mongo_client.get_database(f"{db_prefix}_ledger", codec_options=CodecOptions(
            tz_aware=True, tzinfo=tzinfo))
        store = EventStore(db, "ledger")
        store.ensure_indexes()
        store.append("a", 0, [deposit(1)], CONTEXT)
        store.append("b", 0, [deposit(2), deposit(3)], CONTEXT)
        db["events"].update_many({}, {"$set": {"published_at": datetime(2026, 1, 2)}})
        made = []
        aware = recorders._aware

        def counting(moment, zone):
            made.append(moment.tzinfo)
            return aware(moment, zone)

        monkeypatch.setattr(recorders, "_aware", counting)
        read = list(store.read_all())
        assert made == [None, None]  # decoded naive, made aware once each
        whole = [store._commit(document) for document in store.recorder.after(0)]
        assert read == whole
        assert [c.recorded_at.tzinfo for c in read] == [c.recorded_at.tzinfo for c in whole]
        assert read[0].recorded_at.tzinfo is (tzinfo or utc)
        assert [e.payload for c in read for e in c.events] == [
            e.payload for c in whole for e in c.events]

    @pytest.fixture
    def other_store(self, mongo_client, db_prefix):
        other = EventStore(mongo_client[f"{db_prefix}_ledger_other"], "audit")
        other.ensure_indexes()
        yield other
        mongo_client.drop_database(other.db.name)

    @staticmethod
    def rewrite_first_event(store, stream_id, **fields):
        store.events.update_one({"stream_id": stream_id}, {"$set": {
            f"events.0.{name}": value for name, value in fields.items()}})


class TestInMemoryEventStore(EventStoreContract):
    @pytest.fixture
    def store(self):
        return in_memory_event_store("ledger")

    @pytest.fixture
    def other_store(self):
        return in_memory_event_store("audit")

    @staticmethod
    def rewrite_first_event(store, stream_id, **fields):
        (commit,) = [c for c in store.recorder.commits if c["stream_id"] == stream_id]
        commit["events"][0].update(fields)


class TestPositionClashes:
    """A position handed out twice (a counter that is not atomic) is not a stream conflict."""

    def test_append_takes_another_position(self, store):
        taken = store.append("acc-1", 0, [deposit(1)], CONTEXT).position
        fresh = store._next_position
        positions = iter([taken])
        store._next_position = lambda: next(positions, None) or fresh()
        commit = store.append("acc-2", 0, [deposit(2)], CONTEXT)
        assert commit.position != taken and store.stream_version("acc-2") == 1

    def test_append_all_takes_other_positions(self, store):
        taken = store.append("acc-1", 0, [deposit(1)], CONTEXT).position
        fresh = store._next_position
        blocks = iter([taken])
        store._next_position = lambda count=1: next(blocks, None) or fresh(count)
        first, second = store.append_all(
            [("acc-2", 0, [deposit(2)]), ("acc-3", 0, [deposit(3)])], CONTEXT)
        assert taken not in (first.position, second.position)
        assert first.position < second.position
        assert store.stream_version("acc-2") == store.stream_version("acc-3") == 1

    def test_a_received_event_is_not_dropped_as_a_duplicate(self, store, mongo_client):
        foreign = store.append("acc-9", 0, [deposit(1)], CONTEXT).events[0]
        other = EventStore(store.db.client[store.db.name + "_other"], "audit")
        other.ensure_indexes()
        try:
            other.record_received(store.append("acc-8", 0, [deposit(1)], CONTEXT).events[0])
            taken = 1  # the first position of the other log's counter
            fresh = other._next_position
            positions = iter([taken])
            other._next_position = lambda: next(positions, None) or fresh()
            assert other.record_received(foreign) is True
            assert [e.id for e in other.load("ledger:acc-9")] == [foreign.id]
        finally:
            other.db.client.drop_database(other.db.name)


def test_the_in_memory_store_seals_personal_fields_and_shreds_like_the_others():
    """Its key store behaves as the services' (a unit test's erased member reads as erased)."""
    from services.identity import schemas  # noqa: F401 - registers identity's events
    from services.shared.members import ERASED_DISPLAY_NAME

    store = in_memory_event_store("identity")
    registered = NewEvent("identity.user_registered", {
        "user_id": "u1", "display_name": "Ada Lovelace", "customer": False,
        "roles": ["member"], "joined_at": "2026-03-01T12:00:00+00:00"})
    store.append("user-u1", 0, [registered], CONTEXT)
    (stored,) = store.recorder.commits[0]["events"]
    assert "Ada" not in str(stored["payload"])  # kept sealed
    assert store.load("user-u1")[0].payload["display_name"] == "Ada Lovelace"
    store.keys.shred("u1")
    assert store.load("user-u1")[0].payload["display_name"] == ERASED_DISPLAY_NAME
