"""Where an event store keeps its commits: the recorder, one per backend.

`EventStore` (event_store.py) holds the rules — optimistic concurrency, idempotency slots,
positions, sealing personal fields, upcasting — and talks to its recorder in *commit documents*
(plain dicts, the shape MongoDB stores). Like pyeventsourcing's recorders, each backend passes the
same contract suite (tests/integration/kit/test_event_store_contract.py):

- `MongoRecorder`: a service's own MongoDB database (production, the local stack, every
  integration and end-to-end test);
- `InMemoryRecorder`: a process's memory, for the pure domain's unit tests (no broker, no
  database), so they build streams with the very store the services use.

A recorder raises `DuplicateCommit(index)` when a unique rule refuses a document: `index` names the
rule (`STREAM_VERSION_INDEX`, `POSITION_INDEX`, `COMMAND_INDEX` or "_id_"), which is what the
store decides on.
"""
from __future__ import annotations

import copy
import re
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bson.codec_options import DatetimeConversion
from bson.tz_util import utc
from pymongo import ASCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

EVENTS = "events"
STREAM_VERSION_INDEX = "stream_version_unique"
POSITION_INDEX = "position_unique"
COMMAND_INDEX = "command_unique"
COUNTERS = "counters"
PUBLISHED_BATCHES = "outbox_published"

Document = dict[str, Any]


def _aware(moment: datetime, zone: Any) -> datetime:
    """A naive datetime decoded from BSON (UTC) as a tz-aware codec gives it: in UTC
    (`bson.tz_util.utc`, pymongo's own), converted to the codec's `tzinfo` when it has one. The
    positional constructor, not `replace(tzinfo=...)`: a third of its cost."""
    moment = datetime(moment.year, moment.month, moment.day, moment.hour, moment.minute,
                      moment.second, moment.microsecond, utc)
    return moment.astimezone(zone) if zone is not None else moment


class DuplicateCommit(Exception):
    """A unique rule refused the commit document; `index` names the rule. For documents
    inserted together (`insert_all`), `inserted` says how many before it were stored."""

    def __init__(self, index: str | None, inserted: int = 0):
        super().__init__(f"duplicate key in index {index}")
        self.index = index
        self.inserted = inserted


class MongoRecorder:
    """Commits in the `events` collection of a service's database; one document per commit."""

    def __init__(self, db: Database):
        self.db = db
        self.events = db[EVENTS]

    def ensure_indexes(self) -> None:
        self.events.create_index(
            [("stream_id", ASCENDING), ("version", ASCENDING)], unique=True,
            name=STREAM_VERSION_INDEX,
        )
        self.events.create_index([("position", ASCENDING)], unique=True, name=POSITION_INDEX)
        # sparse: only commits of commands with an idempotency key have a slot
        self.events.create_index([("command", ASCENDING)], unique=True, sparse=True,
                                 name=COMMAND_INDEX)
        self.events.create_index(
            [("pending", ASCENDING), ("position", ASCENDING)], name="pending_by_position"
        )
        self.events.create_index([("recorded_at", ASCENDING)], name="recorded_at")

    # -- writing -------------------------------------------------------------------------------

    def insert(self, document: Document) -> None:
        try:
            self.events.insert_one(document)
        except DuplicateKeyError as error:
            raise DuplicateCommit(violated_index(error)) from error

    def insert_all(self, documents: list[Document]) -> None:
        """Insert `documents` in order in one round trip; the first refused one stops the rest
        (`DuplicateCommit` says how many were stored before it)."""
        try:
            self.events.insert_many(documents, ordered=True)
        except BulkWriteError as error:
            refused = (error.details.get("writeErrors") or [{}])[0]
            if refused.get("code") != 11000:
                raise
            raise DuplicateCommit(_violated_index(refused),
                                  inserted=int(refused.get("index", 0))) from error

    def insert_unordered(self, documents: list[Document]) -> dict[int, str | None]:
        """Insert `documents` in one round trip, each on its own (a refused one stops
        nothing); {index in `documents`: the unique rule that refused it} for those not
        inserted (any other error is raised)."""
        try:
            self.events.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            refused = {}
            for failed in error.details.get("writeErrors", []):
                if failed.get("code") != 11000:
                    raise
                refused[failed["index"]] = _violated_index(failed)
            return refused
        return {}

    def next_position(self, count: int = 1) -> int:
        """The first of `count` consecutive positions, taken at once."""
        counter = self.db[COUNTERS].find_one_and_update(
            {"_id": EVENTS}, {"$inc": {"value": count}}, upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return int(counter["value"]) - count + 1

    # -- reading -------------------------------------------------------------------------------

    def stream(self, stream_id: str, after_version: int = 0) -> list[Document]:
        """The stream's commits holding a version above `after_version`, in version order."""
        return list(self.events.find(
            {"stream_id": stream_id, "last_version": {"$gt": after_version}}
        ).sort("version", ASCENDING))

    def last_of_stream(self, stream_id: str) -> Document | None:
        return self.events.find_one({"stream_id": stream_id}, sort=[("version", -1)])

    def by_command(self, slot: str) -> Document | None:
        return self.events.find_one({"command": slot})

    def after(self, position: int, batch_size: int = 500) -> Iterator[Document]:
        yield from self.events.find({"position": {"$gt": position}}).sort(
            "position", ASCENDING).batch_size(batch_size)

    def commits_after(self, position: int, batch_size: int = 500) -> Iterator[Document]:
        """`after`, for reading the whole log as commits (`EventStore.read_all`, replays): the
        documents are decoded with naive datetimes and `recorded_at` made tz-aware here
        (`_aware`) — pymongo's decoder makes each aware with `datetime.replace(tzinfo=...)`,
        whose keyword arguments are parsed at every call: 10,000 instructions a commit, a ninth
        of reading the log. Only what a `Commit` is made of is to be read from them: events
        hold no BSON datetime (their times are ISO strings, their payloads what their schemas
        dump: JSON values, `PayloadRegistry.serialize`), but other fields of a commit document
        (the outbox's) come naive. No projection on the find: the stand-in's CPU per replayed
        event rose by 16-22 µs with one."""
        options = self.events.codec_options
        commits = self.events
        aware = options.tz_aware and options.datetime_conversion in (
            None, DatetimeConversion.DATETIME)
        if aware:
            commits = commits.with_options(codec_options=options.with_options(
                tz_aware=False, tzinfo=None))
        for document in commits.find({"position": {"$gt": position}}).sort(
                "position", ASCENDING).batch_size(batch_size):
            if aware:
                document["recorded_at"] = _aware(document["recorded_at"], options.tzinfo)
            yield document

    def count_after(self, position: int) -> int:
        return self.events.count_documents({"position": {"$gt": position}})

    def replace_events(self, commit_id: str, events: list[Document]) -> None:
        """Re-encode a commit's events (sealing older ones: the facts stay the same)."""
        self.events.update_one({"_id": commit_id}, {"$set": {"events": events}})

    def since(self, moment: datetime) -> Iterator[Document]:
        """Commits recorded at or after `moment`, in position order, in two reads: their
        positions through the `recorded_at` index, then the log from the first of them along
        the position index. (Asked in one read sorted by position, the stand-in follows the
        sort's index through the whole log: 6-80 ms on 6,100 commits for an empty answer, what
        a replay's catch-up nearly always gets, and growing with the log.)"""
        positions = [document["position"] for document in self.events.find(
            {"recorded_at": {"$gte": moment}}, {"_id": 0, "position": 1})]
        if positions:
            yield from self.events.find({"position": {"$gte": min(positions)},
                                         "recorded_at": {"$gte": moment}}).sort(
                "position", ASCENDING)

    # -- outbox --------------------------------------------------------------------------------

    def pending(self, limit: int) -> list[Document]:
        return list(self.events.find({"pending": True}).sort("position", ASCENDING).limit(limit))

    def pending_after(self, position: int, limit: int) -> list[Document]:
        """Pending commits' events and positions only (what the relay publishes)."""
        return list(self.events.find(
            {"pending": True, "position": {"$gt": position}}, {"events": 1, "position": 1},
        ).sort("position", ASCENDING).limit(limit))

    def count_pending(self, after_position: int) -> int:
        return self.events.count_documents({"pending": True, "position": {"$gt": after_position}})

    def mark_published(self, commit_ids: list[str], at: datetime) -> None:
        self.events.update_many({"_id": {"$in": commit_ids}},
                                {"$unset": {"pending": ""}, "$set": {"published_at": at}})

    def journal(self, batch: Document) -> None:
        self.db[PUBLISHED_BATCHES].insert_one(batch)

    def journal_batches(self) -> Iterator[Document]:
        yield from self.db[PUBLISHED_BATCHES].find()

    def drop_journal_batch(self, batch_id: str) -> None:
        self.db[PUBLISHED_BATCHES].delete_one({"_id": batch_id})


class InMemoryRecorder:
    """Commits in a list, with the same unique rules as MongoRecorder's indexes. Thread-safe (the
    contract suite races writers); documents are copied in and out, as a database would."""

    def __init__(self) -> None:
        self.commits: list[Document] = []
        self.batches: list[Document] = []
        self._position = 0
        self._lock = threading.Lock()

    def ensure_indexes(self) -> None:
        """Nothing to create: the rules are checked by `insert`."""

    def insert(self, document: Document) -> None:
        with self._lock:
            for existing in self.commits:
                if existing["_id"] == document["_id"]:
                    raise DuplicateCommit("_id_")
                if (existing["stream_id"], existing["version"]) == (
                        document["stream_id"], document["version"]):
                    raise DuplicateCommit(STREAM_VERSION_INDEX)
                if existing["position"] == document["position"]:
                    raise DuplicateCommit(POSITION_INDEX)
                if document.get("command") is not None \
                        and existing.get("command") == document["command"]:
                    raise DuplicateCommit(COMMAND_INDEX)
            self.commits.append(copy.deepcopy(document))

    def insert_all(self, documents: list[Document]) -> None:
        for inserted, document in enumerate(documents):
            try:
                self.insert(document)
            except DuplicateCommit as error:
                raise DuplicateCommit(error.index, inserted=inserted) from None

    def insert_unordered(self, documents: list[Document]) -> dict[int, str | None]:
        refused = {}
        for index, document in enumerate(documents):
            try:
                self.insert(document)
            except DuplicateCommit as error:
                refused[index] = error.index
        return refused

    def next_position(self, count: int = 1) -> int:
        with self._lock:
            self._position += count
            return self._position - count + 1

    def _select(self, keep, order: str = "position") -> list[Document]:
        with self._lock:
            chosen = [copy.deepcopy(c) for c in self.commits if keep(c)]
        return sorted(chosen, key=lambda commit: commit[order])

    def stream(self, stream_id: str, after_version: int = 0) -> list[Document]:
        return self._select(lambda c: c["stream_id"] == stream_id
                            and c["last_version"] > after_version, order="version")

    def last_of_stream(self, stream_id: str) -> Document | None:
        commits = self.stream(stream_id)
        return commits[-1] if commits else None

    def by_command(self, slot: str) -> Document | None:
        found = self._select(lambda c: c.get("command") == slot)
        return found[0] if found else None

    def after(self, position: int, batch_size: int = 500) -> Iterator[Document]:
        yield from self._select(lambda c: c["position"] > position)

    commits_after = after  # documents of Python values: nothing decoded, nothing to leave out

    def count_after(self, position: int) -> int:
        return len(self._select(lambda c: c["position"] > position))

    def replace_events(self, commit_id: str, events: list[Document]) -> None:
        with self._lock:
            for commit in self.commits:
                if commit["_id"] == commit_id:
                    commit["events"] = copy.deepcopy(events)

    def since(self, moment: datetime) -> Iterator[Document]:
        yield from self._select(lambda c: c["recorded_at"] >= moment)

    def pending(self, limit: int) -> list[Document]:
        return self._select(lambda c: c.get("pending"))[:limit]

    def pending_after(self, position: int, limit: int) -> list[Document]:
        return [{"_id": c["_id"], "events": c["events"], "position": c["position"]}
                for c in self._select(lambda c: c.get("pending") and c["position"] > position)
                ][:limit]

    def count_pending(self, after_position: int) -> int:
        return len(self.pending_after(after_position, len(self.commits)))

    def mark_published(self, commit_ids: list[str], at: datetime) -> None:
        with self._lock:
            for commit in self.commits:
                if commit["_id"] in commit_ids:
                    commit.pop("pending", None)
                    commit["published_at"] = at

    def journal(self, batch: Document) -> None:
        with self._lock:
            self.batches.append(copy.deepcopy(batch))

    def journal_batches(self) -> Iterator[Document]:
        with self._lock:
            batches = copy.deepcopy(self.batches)
        yield from batches

    def drop_journal_batch(self, batch_id: str) -> None:
        with self._lock:
            self.batches = [batch for batch in self.batches if batch["_id"] != batch_id]


def violated_index(error: DuplicateKeyError) -> str | None:
    """The name of the unique index a duplicate-key error is about (MongoDB and the stand-in
    both name it in the message; MongoDB also gives the key pattern)."""
    return _violated_index(error.details or {}, str(error))


def _violated_index(details: dict[str, Any], message: str = "") -> str | None:
    """`violated_index` from a write error's details (a bulk write's `writeErrors` entry)."""
    pattern = details.get("keyPattern")
    if pattern:
        return {("stream_id", "version"): STREAM_VERSION_INDEX, ("position",): POSITION_INDEX,
                ("command",): COMMAND_INDEX, ("_id",): "_id_"}.get(tuple(pattern))
    match = re.search(r"index: (\S+) dup key", details.get("errmsg") or message)
    return match.group(1) if match else None
