"""Read models derived from events: idempotent, per-stream ordered, rebuildable without downtime.

A `Projection` maps event types to handler functions that update read-model collections. It keeps
a cursor per stream (`<projection>_cursors`): an event at or below the cursor was applied already
and is skipped (dedupe); an event beyond `cursor + 1` means earlier events of the stream have not
been applied yet, and they are taken from the service's own event log first (own events, and
events received from other services that the service recorded), so a stream is always applied
in order whatever order messages arrive in.

Handlers must be idempotent, because a crash between a handler's write and the cursor update
re-applies that one event, and two workers may apply the same stream at once (the inline apply
after a command and the service's own subscription): use `update_versioned` for set-style writes
to a stream's own document (an older event never overwrites a newer state), `update_once`
for counters (`$inc` applied once per event id) and `insert_new` for insert-only documents keyed
by what makes them unique; `$addToSet`/`$pull` are safe as they are.

`replay` rebuilds every collection of a projection into shadow collections from the whole log,
swaps them in by rename, then re-applies what was recorded while it ran: writers never stop.

Example::

    views = Projection("posts", service="posts", collections=["posts"])

    @views.on("posts.post_submitted")
    def _submitted(rm: ReadModels, event: Envelope) -> None:
        rm["posts"].update_one({"_id": event.stream_id},
                               {"$set": {"title": event.payload["title"]}}, upsert=True)
"""
from __future__ import annotations

import contextlib
import contextvars
import gc
import logging
import queue
import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from functools import partial
from typing import Any, NamedTuple, TextIO

from nameko.extensions import DependencyProvider
from pymongo import (
    DeleteMany,
    DeleteOne,
    InsertOne,
    ReplaceOne,
    ReturnDocument,
    UpdateMany,
    UpdateOne,
)
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from .envelope import Envelope, utc_now
from .event_store import Commit, EventStore
from .event_store_provider import after_reply
from .memory_models import Changes, MemoryCollection, MemoryCursor, Unsupported
from .mongo import database_name, mongo_uri, release_client, shared_client
from .overlap import at_once
from .turns import Turns

log = logging.getLogger(__name__)


def pause(seconds: float) -> None:
    """`time.sleep` as it is when called: green in the services (eventlet's monkey patch)."""
    time.sleep(seconds)


Handler = Callable[["ReadModels", Envelope], None]
SHADOW_SUFFIX = "__replay"
CHECKPOINTS = "projection_checkpoints"
APPLIED_KEPT = 64  # a re-application can only concern the latest events of a document
CATCH_UP_MARGIN = timedelta(seconds=60)  # commits may become visible a little out of order
MAX_ROUNDS = 100  # bound on an applier's re-reads of a cursor that others keep moving
SWAP_FLAG_TTL = 0.5  # live appliers re-read the replay's swap flag at most this often
SWAP_QUIESCE = 2.0   # > SWAP_FLAG_TTL + the longest apply: in-flight appliers finish first
SWAP_WAIT = 30.0     # an inline apply waits at most this long for a replay's swap to end
REPLAY_BATCH = 1000  # events between two bulk writes, for collections a replay does not hold
REPLAY_RESIDENT = 32 * 2**20  # bytes (as BSON) a replay holds in memory: ~7x that in Python
CHECKS_SPREAD = 10  # far below REPLAY_RESIDENT, a rebuild checks its memory up to 10x less often
APPLIED_HERE_KEPT = 10_000  # own events applied inline that a process remembers (~1 MB)
FLOORS_KEPT = 10_000  # streams whose cursor a process remembers a floor of (~1 MB)
INLINE_APPLY_WAIT = 5.0  # seconds a delivery waits for this process's inline apply of it


# (stream key, cursor seen, version, the handler's work before the move): a compare-and-set
# left for later (`_apply`'s advance_later)
AdvanceLater = Callable[[str, int, int, list[Callable[[], None]]], None]

# While a handler runs whose cursor moves after the RPC's reply: the work it leaves for before
# that move (`before_the_move`); None otherwise.
_before_the_move: contextvars.ContextVar[list[Callable[[], None]] | None] = \
    contextvars.ContextVar("agora_before_the_move", default=None)


def before_the_move(work: Callable[[], None]) -> None:
    """For a handler: `work` that completes its write (a look after it, and what that look
    decides), made before the cursor moves past the event. When the inline apply leaves the
    move for after the RPC's reply (`cursor_after_reply`), the work goes with it, off the
    request's path, made first by whoever makes the move; otherwise at once. A crash before
    the work leaves the cursor where it was: the event is applied again, handler and work."""
    pending = _before_the_move.get()
    if pending is None:
        work()
    else:
        pending.append(work)


class OutOfOrder(RuntimeError):
    """An event arrived before earlier events of its stream and the log cannot fill the gap."""


class CursorFloors:
    """What a process has seen of its live stream cursors: per stream, a version the cursor is
    at or past (it read it there, or its own compare-and-set put it there). A cursor only
    moves forwards (a replay's swap too, once its catch-up ran: live appliers pause until
    then), so a floor stays true however old; the `FLOORS_KEPT` latest streams are kept."""

    def __init__(self, kept: int = FLOORS_KEPT):
        self.kept = kept
        self._floors: OrderedDict[str, int] = OrderedDict()

    def __getitem__(self, key: str) -> int:
        return self._floors.get(key, 0)

    def saw(self, key: str, version: int) -> None:
        if version > self._floors.get(key, 0):
            self._floors[key] = version
        if key in self._floors:
            self._floors.move_to_end(key)
            if len(self._floors) > self.kept:
                self._floors.popitem(last=False)


class ReadModels:
    """Logical read-model names -> collections (the live ones, or a replay's shadows)."""

    def __init__(self, db: Database, suffix: str = "", floors: CursorFloors | None = None):
        self.db = db
        self.suffix = suffix
        # the live cursors' floors this process knows (`ProjectionRunner`); None: read always
        self.floors = floors

    def __getitem__(self, name: str) -> Collection:
        return self.db[name + self.suffix]

    def unbuffered(self, name: str) -> Any:
        """The collection for writes that must reach the database together, in one command,
        after everything written before them (a buffered set sends its buffer first)."""
        return self[name]

    def side_by_side(self, *reads: Callable[[], Any]) -> list[Any]:
        """A handler's independent reads at once (`at_once`): against the database their round
        trips overlap instead of adding up. A rebuild's models held in memory answer in turn."""
        return at_once(*reads)


class WrittenDocuments(ReadModels):
    """The read models of an inline apply whose command answers from what it wrote: in the
    collections `names`, each `update_one` is one `findAndModify` that returns the document as
    it left it, instead of an update the answer would read back (one round trip fewer on the
    request's path). `written(name)`: those documents, by id, each as this apply's last write
    to it left it (or, for a `find_one_and_update` returning the document after, found it); a
    document it did not write (a handler that found nothing to do, a retry whose events were
    applied before) is not there, and the answer reads it."""

    def __init__(self, rm: ReadModels, names: Iterable[str]):
        super().__init__(rm.db, rm.suffix, rm.floors)  # the runner's cursor floors, as its own
        self.names = frozenset(names)
        self._written: dict[str, dict[Any, dict[str, Any]]] = {name: {} for name in self.names}

    def __getitem__(self, name: str) -> Any:
        collection = super().__getitem__(name)
        return _Returning(collection, self._written[name]) if name in self.names else collection

    def written(self, name: str) -> dict[Any, dict[str, Any]]:
        return self._written[name]


class _Returning:
    """A collection whose `update_one` keeps the document after it (`WrittenDocuments`)."""

    def __init__(self, collection: Collection, written: dict[Any, dict[str, Any]]):
        self.collection, self._kept = collection, written

    def update_one(self, filter: dict, update: Any, upsert: bool = False) -> _Updated:
        document = self.collection.find_one_and_update(filter, update, upsert=upsert,
                                                       return_document=ReturnDocument.AFTER)
        if document is not None:
            self._kept[document["_id"]] = document
        return _Updated(document is not None)

    def find_one_and_update(self, filter: dict, update: Any, **options: Any) -> Any:
        document = self.collection.find_one_and_update(filter, update, **options)
        if document is not None and options.get("return_document") == ReturnDocument.AFTER:
            self._kept[document["_id"]] = document
        return document

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.collection, attribute)  # reads and other writes as they are


class _Updated(NamedTuple):
    """`update_one`'s answer from a `findAndModify`, which does not tell an insert from an
    update: a document it matched or inserted counts as modified (every write it serves
    changes what it matches: `update_versioned` sets `_v`, `update_once` pushes the event)."""

    found: bool

    @property
    def matched_count(self) -> int:
        return int(self.found)

    @property
    def modified_count(self) -> int:
        return int(self.found)

    upserted_id = None


class Projection:
    def __init__(
        self,
        name: str,
        service: str,
        collections: Iterable[str],
        indexes: Callable[[ReadModels], None] | None = None,
        as_they_come: Iterable[str] = (),
    ):
        self.name = name
        self.service = service
        self.collections = list(collections)
        self._indexes = indexes
        self._handlers: dict[str, Handler] = {}
        self._used_when: dict[str, Callable[[Envelope], bool]] = {}
        # Sources of which this projection receives only some events (its subscription binds
        # the types it uses, not whole streams): their events are applied as they come, with
        # no stream cursor, so their handlers must reach the same state in any order and on
        # any repetition (`update_versioned` per document and field, no plain `$set`).
        self.as_they_come = frozenset(as_they_come)

    # -- declaring -------------------------------------------------------------------------

    def on(self, *event_types: str, used_when: Callable[[Envelope], bool] | None = None
           ) -> Callable[[Handler], Handler]:
        """`used_when`: the events of these types the handler does something with; of a source
        applied as it comes, the others are neither recorded nor applied (`uses`)."""
        def decorate(handler: Handler) -> Handler:
            for event_type in event_types:
                self._handlers[event_type] = handler
                if used_when is not None:
                    self._used_when[event_type] = used_when
            return handler

        return decorate

    def also_on(self, *event_types: str) -> Callable[[Handler], Handler]:
        """Like `on`, but keeps the handler already declared for a type and runs this one after
        it: for a read model the kit shares between services (services/shared/members.py)."""
        def decorate(handler: Handler) -> Handler:
            for event_type in event_types:
                first = self._handlers.get(event_type)
                self._used_when.pop(event_type, None)  # this handler uses every one of them
                if first is None:
                    self._handlers[event_type] = handler
                else:
                    self._handlers[event_type] = _chained(first, handler)
            return handler

        return decorate

    def handlers_for(self, event_type: str) -> Handler | None:
        return self._handlers.get(event_type)

    def uses(self, event: Envelope) -> bool:
        """Whether a handler of this projection does something with `event`."""
        used_when = self._used_when.get(event.type)
        return event.type in self._handlers and (used_when is None or used_when(event))

    def records(self, event: Envelope) -> bool:
        """Whether a received `event` is kept in the log. An event of a stream applied in
        order always is (its version is a step of the stream's run, and the log is where a
        later event waiting for it finds it); one applied as it comes only when this projection
        uses it: nothing else of the log reads it, and a replay would apply nothing from it —
        its record was two commands (the position's `$inc`, the insert) for nothing."""
        return not self.in_any_order(event) or self.uses(event)

    @property
    def cursors(self) -> str:
        return f"{self.name}_cursors"

    def ensure_indexes(self, rm: ReadModels) -> None:
        if self._indexes is not None:
            self._indexes(rm)

    # -- applying --------------------------------------------------------------------------

    def in_any_order(self, event: Envelope) -> bool:
        """Whether `event` is applied as it comes (`as_they_come`), not in its stream's order."""
        return event.source_service in self.as_they_come

    def stream_key(self, event: Envelope) -> str:
        """The stream's id in this service's log (received streams carry their source)."""
        if event.source_service == self.service:
            return event.stream_id
        return f"{event.source_service}:{event.stream_id}"

    def apply(self, rm: ReadModels, event: Envelope, log_store: EventStore | None = None) -> int:
        """Apply `event`, with any earlier events of its stream still missing and, for events
        received from another service, any later ones that arrived first and wait in the log.
        Returns how many events this call applied, 0 when it was a duplicate or must wait."""
        return self._apply(rm, event, log_store)[0]

    def _apply(self, rm: ReadModels, event: Envelope, log_store: EventStore | None,
               first_recorded: bool = False, advance_later: AdvanceLater | None = None
               ) -> tuple[int, bool]:
        """`apply`, also saying whether the cursor is now at or past the event.

        `advance_later` (own events only): when the event is the next one of its stream, its
        handler runs now and the cursor's compare-and-set is handed to `advance_later(key, seen,
        version)` instead of being made (the caller makes it after its reply); the answer is
        then (1, True) as if it had been made.

        `first_recorded`: this caller has just recorded the event in the log, and nobody had
        before (a received event is always recorded before it is applied; an own one, written
        by this command: `Commit.written_now`): nothing of the stream beyond the record's
        previous version can have been applied before the record, so the cursor was at most
        `version - 1` then. When it opens its stream, or when the cursor's floor this process
        knows (`CursorFloors`: it read or moved the cursor there) is `version - 1`, the cursor
        was exactly there, and it is not read. Whoever applied the event since (a concurrent
        duplicate, a later event's run) makes the compare-and-set fail, as in any race of two
        appliers.
        """
        if self.in_any_order(event):
            self._run_handler(rm, event)
            return 1, True
        key = self.stream_key(event)
        received = log_store is not None and event.source_service != self.service
        version, applied = event.stream_version, 0
        floor = rm.floors[key] if rm.floors is not None else 0
        known = floor if first_recorded and version == floor + 1 else self._cursor(rm, key)
        # Every round sees the cursor further on (another applier moved it), so the loop ends
        # by the event's version; the bound only guards against a cursor that moves backwards.
        for _ in range(MAX_ROUNDS):
            if version <= known:
                return applied, True
            if version == known + 1:
                pending = [event]
                if advance_later is not None and not received:
                    advance_later(key, known, version, self._run_handler_leaving(rm, event))
                    return applied + 1, True
            elif log_store is None:
                raise OutOfOrder(f"{key}: v{version} arrived at cursor v{known}")
            else:  # earlier events first; if they are not in our log yet, whoever completes
                # the run applies this one too (it is in the log)
                pending = [e for e in log_store.load(key, after_version=known)
                           if e.stream_version <= version]
            count, after = self._apply_run(rm, key, known, pending)
            applied, known = applied + count, known + count
            if after is None:  # another applier moved the cursor: look again from there
                known = self._cursor(rm, key)
                continue
            if known >= version:
                if received and _may_wait_beyond(after, known):
                    # received events overtake each other: later ones wait in the log, and
                    # their appliers marked the cursor (`waiting`) before we moved it
                    applied += self._drain(rm, key, known, log_store)
                return applied, True
            if not received:
                return applied, False  # own events: the writer of the missing one applies it
            # Our event waits for an earlier one: mark the cursor, so that whoever moves it
            # next sees it in the same round trip. If nobody moved it since we read it, that
            # applier comes after the mark; else look again (the gap may be closed).
            marked = self._mark_waiting(rm, key, version)
            if marked == known:
                return applied, False
            known = marked
        return applied, known >= version

    def _run_handler(self, rm: ReadModels, event: Envelope) -> None:
        """The event's handler, if this projection has one (no cursor read or moved)."""
        handler = self._handlers.get(event.type)
        if handler is not None:
            handler(rm, event)

    def _run_handler_leaving(self, rm: ReadModels, event: Envelope) -> list[Callable[[], None]]:
        """`_run_handler`, returning the work it left for before its cursor's move
        (`before_the_move`) instead of making it."""
        token = _before_the_move.set([])
        try:
            self._run_handler(rm, event)
            return _before_the_move.get()
        finally:
            _before_the_move.reset(token)

    def _drain(self, rm: ReadModels, key: str, cursor: int, log_store: EventStore) -> int:
        """Apply the run of received events waiting in the log after `cursor`. A hole stops
        it: the events beyond stay marked for whoever fills the hole (a cursor written before
        marks existed gets its mark here)."""
        applied = 0
        for _ in range(MAX_ROUNDS):
            waiting = log_store.load(key, after_version=cursor)
            count, after = self._apply_run(rm, key, cursor, waiting)
            applied, cursor = applied + count, cursor + count
            beyond = [e.stream_version for e in waiting[count:]]
            if after is None or not beyond:  # (a contender that moved the cursor saw the mark)
                return applied
            marked = self._mark_waiting(rm, key, max(beyond))
            if marked == cursor:
                return applied
            cursor = marked  # the hole was filled meanwhile: look again
        return applied

    def _apply_run(self, rm: ReadModels, key: str, cursor: int, events: list[Envelope]
                   ) -> tuple[int, dict[str, Any] | None]:
        """Apply the contiguous run of `events` that follows `cursor`; returns its length and
        the cursor document as the last compare-and-set left it (`{"version": cursor}` for an
        empty run), or None when another applier moved the cursor meanwhile."""
        applied, after = 0, {"version": cursor}
        for next_event in events:
            expected = cursor + applied
            if next_event.stream_version != expected + 1:
                break  # a hole: wait for the missing event
            handler = self._handlers.get(next_event.type)
            if handler is not None:
                handler(rm, next_event)
            after = self._advance(rm, key, expected, next_event.stream_version)
            if after is None:
                return applied, None
            applied += 1
        return applied, after

    def apply_commit(self, rm: ReadModels, commit: Commit, log_store: EventStore | None = None
                     ) -> int:
        return sum(self.apply(rm, event, log_store) for event in commit.events)

    def apply_received(self, rm: ReadModels, events: list[Envelope], first_recorded: list[bool],
                       log_store: EventStore) -> int:
        """`_apply` for a batch of received events, all recorded in the log already
        (`first_recorded`: as `_apply`'s, per event), in a few round trips whatever its size:
        one `$in` read of the streams' cursors, the handlers' writes buffered and sent in bulk
        per collection, one bulk write of the cursors' compare-and-sets, one `$in` read of the
        cursors after it (their `waiting` marks). Returns how many events were applied.

        Per stream, the run that follows the cursor is applied in version order; what lies
        beyond a hole, and a stream whose cursor another applier moved meanwhile (its
        compare-and-set did not match), go through `_apply` one event at a time, which reads
        the cursor again; a stream whose mark says events wait in the log is drained, as a
        single event's apply does.
        """
        streams: dict[str, list[tuple[Envelope, bool]]] = {}
        buffered = BufferedReadModels(rm.db, rm.suffix)
        turns = Turns()  # the handlers' writes wait in memory: the process's requests need not
        as_they_come = 0
        for event, first in zip(events, first_recorded, strict=True):
            if self.in_any_order(event):
                turns.take()
                self._run_handler(buffered, event)
                as_they_come += 1
            else:
                streams.setdefault(self.stream_key(event), []).append((event, first))
        cursors, unknown = {}, []
        for key, run in streams.items():
            run.sort(key=lambda pair: pair[0].stream_version)
            opener, first = run[0]
            floor = rm.floors[key] if rm.floors is not None else 0
            if first and opener.stream_version == floor + 1:
                cursors[key] = floor  # the cursor was there at the record (`_apply`)
            else:
                unknown.append(key)
        if unknown:
            read = {document["_id"]: document for document in
                    rm[self.cursors].find({"_id": {"$in": unknown}}, {"version": 1})}
            cursors.update((key, _saw(rm, key, read.get(key))) for key in unknown)
        moves: dict[str, tuple[int, int]] = {}
        one_by_one: list[Envelope] = []
        for key, run in streams.items():
            known = version = cursors.get(key, 0)
            for event, _ in run:
                if event.stream_version <= version:
                    continue  # applied already
                if event.stream_version != version + 1:
                    one_by_one.append(event)  # beyond a hole
                    continue
                turns.take()
                self._run_handler(buffered, event)
                version += 1
            if version > known:
                moves[key] = (known, version)
        buffered.flush()  # the handlers' writes are durable before any cursor moves
        applied = as_they_come + sum(to - seen for seen, to in moves.values())
        if moves and not self._move_all(rm, moves):
            after = {document["_id"]: document for document in rm[self.cursors].find(
                {"_id": {"$in": list(moves)}}, {"version": 1, "waiting": 1})}
            for key, (seen, to) in moves.items():
                cursor = after.get(key) or {"version": 0}
                if _saw(rm, key, cursor) == seen:  # not moved: a mark beyond `to` kept it
                    cursor = self._advance(rm, key, seen, to) or {"version": seen}
                version = int(cursor["version"])
                if version < to:  # another applier moved it from `seen` first: look again
                    applied -= to - seen
                    one_by_one.append(next(event for event, _ in reversed(streams[key])
                                           if event.stream_version <= to))
                elif _may_wait_beyond(cursor, version):
                    applied += self._drain(rm, key, version, log_store)
        for event in one_by_one:
            applied += self._apply(rm, event, log_store)[0]
        return applied

    def _move_all(self, rm: ReadModels, moves: dict[str, tuple[int, int]],
                  below_marks: bool = True) -> bool:
        """The compare-and-sets of `moves` (stream -> (seen, to)) in one bulk write; with
        `below_marks` (received streams), each made only if no event is marked waiting beyond
        `to` (`waiting` at most `to`: a cursor without the mark never matches). True when every
        one was made: no cursor to read again. Otherwise some stream was moved by another
        applier, or has events waiting (or a first cursor was inserted by someone else): the
        caller reads which, if it needs to."""
        def guard(to: int) -> dict[str, Any]:
            return {"waiting": {"$lte": to}} if below_marks else {}

        try:
            result = rm[self.cursors].bulk_write([UpdateOne(
                {"_id": key, "version": seen, **guard(to)},
                {"$set": {"version": to}, "$setOnInsert": {"waiting": 0}}, upsert=seen == 0)
                for key, (seen, to) in moves.items()], ordered=False)
        except BulkWriteError as error:  # a first cursor someone else inserted
            if any(failed.get("code") != 11000 for failed in error.details["writeErrors"]):
                raise
            return False
        if result.matched_count + result.upserted_count < len(moves):
            return False
        for key, (_, to) in moves.items():
            _saw(rm, key, {"version": to})
        return True

    def _cursor(self, rm: ReadModels, key: str) -> int:
        document = rm[self.cursors].find_one({"_id": key}, {"version": 1})
        return _saw(rm, key, document)


    def _advance(self, rm: ReadModels, key: str, seen: int, version: int
                 ) -> dict[str, Any] | None:
        """Compare-and-set: move the cursor from `seen` to `version`; returns the cursor
        document after the move (its `waiting` mark included), or None when it had moved.

        A plain `$max` could jump the cursor over events that were never applied to *these*
        collections (a worker that read the cursor before a replay's swap and writes after it).
        """
        try:
            after = rm[self.cursors].find_one_and_update(
                {"_id": key, "version": seen},
                {"$set": {"version": version}, "$setOnInsert": {"waiting": 0}},
                upsert=seen == 0, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:  # a first cursor: someone else inserted it
            return None
        _saw(rm, key, after)
        return after

    def _mark_waiting(self, rm: ReadModels, key: str, version: int) -> int:
        """Note on the stream's cursor that events up to `version` wait in the log; returns
        the cursor's version at that moment."""
        for attempt in range(2):
            try:
                document = rm[self.cursors].find_one_and_update(
                    {"_id": key}, {"$max": {"waiting": version}, "$setOnInsert": {"version": 0}},
                    upsert=True, return_document=ReturnDocument.AFTER)
                return _saw(rm, key, document)
            except DuplicateKeyError:  # two first marks at once: the second one updates
                if attempt:
                    raise
        raise AssertionError("unreachable")


def mark_waiting_streams(store: EventStore, projection: Projection, batch_size: int = 500
                         ) -> int:
    """Upgrade step (`agora migrate`, once per projection and database): write the `waiting`
    mark of every received stream whose log holds events beyond its cursor. Appliers before
    marks existed left such events unmarked; a cursor without a mark is drained anyway, but a
    stream none of whose events was applied yet has no cursor at all, and its first applier
    would not look. Safe while services run (a mark only ever rises); returns how many marks."""
    checkpoints = store.db[CHECKPOINTS]
    if (checkpoints.find_one({"_id": projection.name}, {"waiting_marked": 1}) or {}).get(
            "waiting_marked"):
        return 0
    last: dict[str, int] = {}
    in_any_order = tuple(f"{source}:" for source in projection.as_they_come)
    for document in store.recorder.after(0, batch_size):
        if document.get("received") and not document["stream_id"].startswith(
                in_any_order):
            key = document["stream_id"]
            last[key] = max(last.get(key, 0), int(document["last_version"]))
    rm, marked, keys = ReadModels(store.db), 0, list(last)
    for start in range(0, len(keys), batch_size):
        batch = keys[start:start + batch_size]
        cursors = {document["_id"]: int(document["version"]) for document in
                   rm[projection.cursors].find({"_id": {"$in": batch}}, {"version": 1})}
        for key in batch:
            if last[key] > cursors.get(key, 0):
                projection._mark_waiting(rm, key, last[key])
                marked += 1
    checkpoints.update_one({"_id": projection.name}, {"$set": {"waiting_marked": True}},
                           upsert=True)
    return marked


def _saw(rm: ReadModels, key: str, cursor: dict[str, Any] | None) -> int:
    """The version of a cursor document just read or written (0: none), noted as its floor."""
    version = 0 if cursor is None else int(cursor["version"])
    if rm.floors is not None:
        rm.floors.saw(key, version)
    return version


def _may_wait_beyond(cursor: dict[str, Any], version: int) -> bool:
    """Whether received events may wait in the log beyond `version`, by the cursor's mark; a
    cursor written before marks existed (no `waiting`) may hide some."""
    waiting = cursor.get("waiting")
    return waiting is None or waiting > version


def _chained(first: Handler, then: Handler) -> Handler:
    def both(rm: ReadModels, event: Envelope) -> None:
        first(rm, event)
        then(rm, event)

    return both


def update_once(collection: Collection, doc_id: Any, event: Envelope | str,
                update: dict[str, Any], upsert: bool = True) -> bool:
    """Apply `update` to one document unless `event` already did (for counters: `$inc`).

    The document remembers the ids of the last events applied to it, and the filter excludes a
    document that holds this one, so a re-applied event changes nothing. `event` may also be
    the id of what is applied once (a notification counted in its member's unread count).
    Returns True if applied.
    """
    filter, update = once(doc_id, event if isinstance(event, str) else event.id, update)
    try:
        result = collection.update_one(filter, update, upsert=upsert)
    except DuplicateKeyError:
        return False  # the document exists and already holds this event
    return bool(result.modified_count or result.upserted_id is not None)


def upsert_all(collection: Collection | Any, updates: list[tuple[dict[str, Any], dict[str, Any]]]
               ) -> list[int]:
    """`(filter, update)` upserts, a duplicate key meaning "done" (`update_once`): in one
    unordered command on a collection, one by one on anything else; the indexes of those that
    inserted a document."""
    if not isinstance(collection, Collection):
        upserted = []
        for index, (filter, update) in enumerate(updates):
            with contextlib.suppress(DuplicateKeyError):
                if collection.update_one(filter, update, upsert=True).upserted_id is not None:
                    upserted.append(index)
        return upserted
    if not updates:
        return []
    try:
        return list(collection.bulk_write([UpdateOne(filter, update, upsert=True)
                                           for filter, update in updates],
                                          ordered=False).upserted_ids)
    except BulkWriteError as error:
        if any(failed.get("code") != 11000 for failed in error.details["writeErrors"]):
            raise
        return [done["index"] for done in error.details.get("upserted", [])]


def once(doc_id: Any, applied_id: str, update: dict[str, Any], kept: int = APPLIED_KEPT
         ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The filter and update of `update_once` (for a bulk write of one's own); `kept`: the
    ids remembered, fewer for a document many entries update (each update copies the list)."""
    return {"_id": doc_id, "_applied": {"$ne": applied_id}}, {
        **update, "$push": {**update.get("$push", {}),
                            "_applied": {"$each": [applied_id], "$slice": -kept}}}


def update_versioned(collection: Collection, doc_id: Any, event: Envelope,
                     update: dict[str, Any], upsert: bool = True, field: str = "_v") -> bool:
    """Apply a set-style `update` to the stream's own document only if it is newer than what the
    document reflects (`field`, `_v` unless the document keeps a version per aspect), so a late
    or repeated older event can never overwrite a newer state, whichever worker applies it.
    Returns True if applied.
    """
    update = {**update, "$set": {**update.get("$set", {}), field: event.stream_version}}
    try:
        result = collection.update_one(
            {"_id": doc_id, **older_than(event.stream_version, field)}, update, upsert=upsert)
    except DuplicateKeyError:
        return False  # the document exists and already reflects this version or a later one
    return bool(result.modified_count or result.upserted_id is not None)


def insert_versioned(collection: Collection, doc_id: Any, event: Envelope,
                     fields: dict[str, Any]) -> dict[str, Any] | None:
    """`update_versioned` for the event that opens its stream, whose document is nearly always
    new (its id minted by the command): inserted with `fields` in one round trip, no read
    before. Returns None when the document reflects this version (inserted now, or by an
    earlier run of the event) or a later one; else the document found there, left as it was
    (written first by events of other streams, a verdict received before the announcement),
    for the caller to decide its update from."""
    document = {**fields, "_v": event.stream_version}
    try:
        found = collection.find_one_and_update({"_id": doc_id}, {"$setOnInsert": document},
                                               upsert=True, return_document=ReturnDocument.AFTER)
    except DuplicateKeyError:  # inserted by another applier at the same moment
        found = collection.find_one({"_id": doc_id})
    found = found or {}
    return None if found.get("_v", 0) >= event.stream_version else found


def older_than(version: int, field: str = "_v") -> dict[str, Any]:
    """The filter of a document whose `field` is below `version`, or that has none yet."""
    return {"$or": [{field: {"$lt": version}}, {field: {"$exists": False}}]}


def insert_new(collection: Collection, documents: list[dict[str, Any]]) -> int:
    """Insert documents whose ids are not there yet, in one unordered batch; returns how many
    were new. For insert-only read models keyed by what makes them unique (a re-applied event
    inserts nothing twice). Any error other than a duplicate id is raised.
    """
    if not documents:
        return 0
    try:
        return len(collection.insert_many(documents, ordered=False).inserted_ids)
    except BulkWriteError as error:
        if any(e.get("code") != 11000 for e in error.details.get("writeErrors", [])):
            raise
        return int(error.details.get("nInserted", 0))


class ReadModelsProvider(DependencyProvider):
    """Injects a `ProjectionRunner` bound to the service's database and event log."""

    def __init__(self, projection: Projection, **kwargs):
        self.projection = projection
        super().__init__(**kwargs)

    def setup(self) -> None:
        config = self.container.config
        self.uri = mongo_uri(config)
        db = shared_client(self.uri)[database_name(config, self.container.service_name)]
        self.runner = ProjectionRunner(self.projection, EventStore(db, self.container.service_name))
        self.projection.ensure_indexes(self.runner.rm)

    def stop(self) -> None:
        release_client(self.uri)

    def get_dependency(self, worker_ctx) -> ProjectionRunner:
        return self.runner


class ProjectionRunner:
    """A projection bound to a live database and log: what service entrypoints call."""

    def __init__(self, projection: Projection, store: EventStore):
        self.projection = projection
        self.store = store
        self.rm = ReadModels(store.db, floors=CursorFloors())
        self._swap_checked_at = float("-inf")
        self._swapping = False
        # ids of own events this process applied inline (apply_commit): when its own
        # subscription brings one back, the cursor is known to be past it without a read;
        # one that comes back while the inline apply runs waits for it (the relay is quick)
        self._applied_here: OrderedDict[str, None] = OrderedDict()
        self._applying_here: dict[str, threading.Event] = {}
        # cursors' compare-and-sets left for after an RPC's reply (`cursor_after_reply`), by
        # stream: whoever needs that cursor first makes it
        self._advancing_later: dict[str, _CursorAfterReply] = {}

    def __getitem__(self, name: str) -> Collection:
        return self.rm[name]

    def apply(self, event: Envelope, first_recorded: bool = False) -> int:
        applying = self._applying_here.get(event.id)
        if applying is not None:
            applying.wait(INLINE_APPLY_WAIT)
        self._advance_pending(self.projection.stream_key(event))
        if event.id in self._applied_here:
            return 0  # this process moved the cursor past it (a replay's swap keeps that)
        if self._replay_swapping():
            return 0  # the event is in the log: the replay's final catch-up applies it
        return self.projection._apply(self.rm, event, self.store, first_recorded)[0]

    def _replay_swapping(self) -> bool:
        now = time.monotonic()
        if now - self._swap_checked_at > SWAP_FLAG_TTL:
            state = self.store.db[CHECKPOINTS].find_one({"_id": self.projection.name},
                                                        {"swapping": 1})
            self._swapping = bool(state and state.get("swapping"))
            self._swap_checked_at = now
        return self._swapping

    def _after_a_swap(self) -> None:
        """An inline apply waits while a replay swaps its collections in (one whose only move is
        made after the reply looks there instead: `_moved_after_reply_only`). Unlike a delivery
        it cannot leave its commit to the replay's catch-up: its command answers from what it
        writes. Applied during the swap, a handler's write could land in a collection the
        rename drops while its cursor moved in the one renamed in — the event skipped by the
        catch-up, its effect lost. An apply that read the flag before it rose finishes within
        the replay's quiesce; past SWAP_WAIT (a replay killed with its flag up) it applies."""
        deadline = time.monotonic() + SWAP_WAIT
        while self._replay_swapping() and time.monotonic() < deadline:
            pause(SWAP_FLAG_TTL)

    def apply_commit(self, commit: Commit | None, cursor_after_reply: bool = False,
                     into: ReadModels | None = None, at_floor: bool = False) -> int:
        """Read-your-writes: apply a commit right after appending it (the service's own
        subscription applies it too, in case this process dies first; the cursor dedupes).

        `cursor_after_reply`: the compare-and-set that moves the cursor past the commit's last
        event is made after the RPC's reply (`after_reply`), one round trip fewer on the
        request's path; the handlers' writes are made before, so the caller reads them. Only
        for commands whose handlers of these events make one effect when run twice (a crash
        between the reply and the compare-and-set leaves "written, cursor not moved", and the
        subscription runs them again). Until it is made, the stream's next inline apply and the
        subscription's delivery of the event make it themselves, first.

        With `cursor_after_reply`, a commit this command has just written that opens its stream
        (`Commit.written_now`, version 1: a minted post or reply, a revision's text) is applied
        without reading its cursor: nothing of the stream existed before the insert, so the
        cursor is at 0 unless another applier took the event since — its compare-and-set then
        fails, as in any race of two appliers, and these handlers make one effect when run twice.
        So is a later commit of a stream whose cursor this process last saw just before the
        commit's first version (`CursorFloors`: it moved it there, an edit after the post's
        creation), unless a replay is swapping its collections in (its cursors may be behind
        until its catch-up ran).

        `at_floor`: that read is spared, the compare-and-set made at once — for a command (an
        event handler's, outside any RPC) whose handlers of these events were checked for a
        second run, as `cursor_after_reply` requires: the inline apply may run a handler that
        another applier ran between the insert and it, and after the stream's later events
        (versioned writes, effects keyed by the event), where a read of the cursor narrows that
        window to the read's round trip but does not close it. `cursor_after_reply` implies it.

        `into`: the read models the handlers write through (`WrittenDocuments`: the command
        answers from what they wrote); the runner's own by default.
        """
        return self._apply_commit(commit, cursor_after_reply, into=into, at_floor=at_floor)

    def _apply_commit(self, commit: Commit | None, cursor_after_reply: bool,
                      together: _MovesAfterReply | None = None,
                      into: ReadModels | None = None, at_floor: bool = False) -> int:
        """`apply_commit`; the move left for after the reply joins `together` if given (whose
        caller leaves it for after the reply) instead of being left alone."""
        if commit is None:
            return 0
        if not _moved_after_reply_only(commit, cursor_after_reply):
            self._after_a_swap()
        rm = into if into is not None else self.rm
        applied, applying = 0, threading.Event()
        for event in commit.events:
            self._applying_here[event.id] = applying
        try:
            for number, event in enumerate(commit.events, 1):
                self._advance_pending(self.projection.stream_key(event))
                later = None
                if cursor_after_reply and number == len(commit.events):
                    later = partial(self._advance_after_reply, event, together)
                written_now = (cursor_after_reply or at_floor) and commit.written_now and (
                    event.stream_version == 1 or not self._replay_swapping())
                count, behind_cursor = self.projection._apply(rm, event, self.store,
                                                              first_recorded=written_now,
                                                              advance_later=later)
                applied += count
                if behind_cursor and not self._advances_later(event):
                    self._remember_applied(event)
        finally:
            for event in commit.events:
                self._applying_here.pop(event.id, None)
            applying.set()
        return applied

    def apply_commits(self, commits: list[Commit], cursor_after_reply: bool = False,
                      into: ReadModels | None = None) -> int:
        """`apply_commit` of each commit at once, for commits of different streams (a
        submission's announcement and its text): streams are applied independently anyway (the
        subscription does so all the time), so their round trips overlap instead of adding up.
        With `cursor_after_reply`, their cursors move in one bulk write after the reply."""
        streams = [commit.stream_id for commit in commits]
        if len(set(streams)) < len(streams):
            return sum(self.apply_commit(commit, cursor_after_reply, into) for commit in commits)
        together = _MovesAfterReply() if cursor_after_reply else None
        try:
            return sum(at_once(*(partial(self._apply_commit, commit, cursor_after_reply,
                                         together, into) for commit in commits)))
        finally:  # the cursors' moves in one command, after the reply
            if together and not after_reply(together):
                together()  # not in an RPC: nothing to answer first

    def keeping(self, *names: str) -> WrittenDocuments:
        """Read models for `apply_commit(..., into=...)` that keep what the handlers write in
        `names` (`WrittenDocuments`)."""
        return WrittenDocuments(self.rm, names)

    def _remember_applied(self, event: Envelope) -> None:
        if event.source_service == self.projection.service:
            self._applied_here[event.id] = None
            if len(self._applied_here) > APPLIED_HERE_KEPT:
                self._applied_here.popitem(last=False)

    def _advance_pending(self, key: str) -> None:
        """Make the compare-and-set left for after a reply on stream `key`, if any, before
        its cursor is read again (else the stream's next apply would find its last event not
        applied and run its handler a second time)."""
        later = self._advancing_later.get(key)
        if later is not None:
            later()

    def _advances_later(self, event: Envelope) -> bool:
        later = self._advancing_later.get(self.projection.stream_key(event))
        return later is not None and later.event.id == event.id

    def _advance_after_reply(self, event: Envelope, together: _MovesAfterReply | None,
                             key: str, seen: int, version: int,
                             works: list[Callable[[], None]]) -> None:
        later = _CursorAfterReply(self, event, key, seen, version, together, works)
        self._advancing_later[key] = later
        if together is not None:
            together.append(later)  # made with the others (`apply_commits`)
        elif not after_reply(later):
            later()  # not in an RPC: nothing to answer first

    def _advanced(self, later: _CursorAfterReply, moved: bool) -> None:
        if self._advancing_later.get(later.key) is later:
            del self._advancing_later[later.key]
        if moved:
            self._remember_applied(later.event)

    def record_and_apply(self, event: Envelope) -> int:
        """For another service's event: keep it in our log (replays need it), then apply;
        one this projection does not record (`Projection.records`) changes nothing here."""
        if not self.projection.records(event):
            return 0
        return self.apply(event, first_recorded=self.store.record_received(event))

    def record_and_apply_all(self, events: list[Envelope]) -> int:
        """`record_and_apply` for a batch of another service's events (what a batch handler
        receives, `@reliable_handler(..., batch=True)`): recorded together, then applied
        together (`Projection.apply_received`). One event takes the single path: it costs
        fewer round trips than the batch's fixed ones."""
        events = [event for event in events if self.projection.records(event)]
        if len(events) <= 1:
            return sum(self.record_and_apply(event) for event in events)
        events = list({event.id: event for event in events}.values())  # one copy of each
        first_recorded = self.store.record_received_all(events)
        if self._replay_swapping():
            return 0  # they are in the log: the replay's final catch-up applies them
        return self.projection.apply_received(self.rm, events, first_recorded, self.store)


def _moved_after_reply_only(commit: Commit, cursor_after_reply: bool) -> bool:
    """Whether the commit's only cursor move is left for after the reply: one event that opens
    its stream, written by this command (`_apply` then hands its compare-and-set to
    `advance_later`). That move looks at a replay's swap itself (`_MovesAfterReply.make`), so
    the apply need not wait for one before its writes (a round trip on the request's path
    after half a second of quiet, `bench single_user`)."""
    return (cursor_after_reply and commit.written_now and commit.version == 1
            and len(commit.events) == 1)


class _CursorAfterReply:
    """An inline apply's compare-and-set left for after the RPC's reply: made once, by whoever
    comes first — the worker's teardown, the stream's next inline apply, or the subscription's
    delivery of the event in this process (the others wait for it)."""

    def __init__(self, runner: ProjectionRunner, event: Envelope, key: str, seen: int,
                 version: int, together: _MovesAfterReply | None = None,
                 works: list[Callable[[], None]] = ()) -> None:
        self.runner, self.event, self.key = runner, event, key
        self.seen, self.version = seen, version
        self.works = list(works)  # the handler's, made before the move (`before_the_move`)
        self.together = together  # the command's other moves, made with this one
        self._started = False
        self._done = threading.Event()

    def __call__(self) -> None:
        if self.together is not None:
            self.together()  # every move of the command not made yet, this one included
        elif self.claim():
            _MovesAfterReply.make([self])
        # made by another green thread right now: wait for its answer (set when made here)
        self._done.wait(INLINE_APPLY_WAIT)

    def claim(self) -> bool:
        """Whether this caller makes the move (nobody started it)."""
        if self._started:
            return False
        self._started = True
        return True

    def made(self, moved: bool) -> None:
        self.runner._advanced(self, moved)
        self._done.set()


class _MovesAfterReply(list):
    """The compare-and-sets a command's inline applies left for after its reply
    (`apply_commits`: a submission's two streams), made together in one bulk write by whoever
    needs one of them first (the teardown, the subscription's delivery of one of the events);
    a move already made or being made is left out."""

    def __call__(self) -> None:
        self.make([later for later in self if later.claim()])

    @staticmethod
    def make(claimed: list[_CursorAfterReply]) -> None:
        if not claimed:
            return
        runner, moved = claimed[0].runner, False
        try:  # a move that does not match: another applier moved the cursor past the event
            if runner._replay_swapping():
                # the writes may have gone to a collection the swap drops: the replay's
                # catch-up applies these events again (their handlers make one effect when
                # run twice), which a cursor moved here would make it skip
                return
            for later in claimed:  # what completes the handlers' writes, before any move
                for work in later.works:
                    work()
            runner.projection._move_all(runner.rm, {
                later.key: (later.seen, later.version) for later in claimed}, below_marks=False)
            moved = True
        finally:  # an error leaves the cursors where they were: the subscription applies them
            for later in claimed:
                later.made(moved)


def replay(
    store: EventStore,
    projection: Projection,
    out: TextIO = sys.stderr,
    progress_every: int = 500,
    quiesce_seconds: float = SWAP_QUIESCE,
    batch_size: int = REPLAY_BATCH,
    resident_limit: int = REPLAY_RESIDENT,
    write_behind: bool = True,
) -> dict[str, Any]:
    """Rebuild `projection` from the whole log into shadow collections and swap them in.

    Returns figures (commits, events, seconds). Writers never stop: commands keep appending and
    live appliers keep updating the live collections during the rebuild. For the swap itself,
    live appliers pause (a flag they re-read every SWAP_FLAG_TTL; we wait `quiesce_seconds` so
    that in-flight ones finish), leaving what they see to the catch-up from the log; then
    everything recorded since the rebuild began is applied to the new collections, the flag is
    cleared, and a last catch-up applies what arrived while the flag was up.

    Nobody else writes the shadow collections, so the rebuild keeps their stream cursors and
    the collections themselves in memory (`ResidentReadModels`, up to `resident_limit`
    bytes); documents that stopped changing are sent to the shadows by another thread every
    `batch_size` events while the rebuild goes on (`write_behind`; the server inserts while
    this process applies), the rest at the end; a collection that leaves memory gets the
    handlers' writes buffered and sent in bulk every `batch_size` events
    (`BufferedReadModels`). `batch_size=0` applies events one at a time through the live path
    (the baseline of `python -m bench replay`). A crash loses nothing: the shadows are rebuilt
    from scratch by the next replay.
    """
    db = store.db
    shadow = ReadModels(db, SHADOW_SUFFIX)
    for name in [*projection.collections, projection.cursors]:
        shadow[name].drop()
    if not batch_size:
        projection.ensure_indexes(shadow)  # else the rebuild makes them (after its inserts)
    started_at, clock, cpu = utc_now(), time.monotonic(), time.process_time()
    total = store.count()
    checkpoints = db[CHECKPOINTS]
    checkpoints.update_one({"_id": projection.name}, {"$set": {
        "status": "running", "started_at": started_at, "position": 0, "total": total}},
        upsert=True)
    commits = events = 0
    rebuild = (_ShadowRebuild(projection, shadow, store, resident_limit,
                              batch_size if write_behind else 0, batch_size)
               if batch_size else None)
    try:
        with _young_collections_only() if rebuild else contextlib.nullcontext():
            for commit in (_read_ahead(store.read_all()) if rebuild else store.read_all()):
                if rebuild is None:
                    events += projection.apply_commit(shadow, commit, store)
                else:
                    events += rebuild.apply_commit(commit)
                    if rebuild.buffered >= batch_size:
                        rebuild.flush()
                commits += 1
                if commits % progress_every == 0:
                    _progress(out, projection.name, commits, total, clock)
                    checkpoints.update_one({"_id": projection.name},
                                           {"$set": {"position": commit.position}})
            applied_in, applied_cpu = time.monotonic() - clock, time.process_time() - cpu
            written = rebuild.finish() if rebuild is not None else 0
    finally:
        if rebuild is not None:
            rebuild.close()
    written_in = time.monotonic() - clock - applied_in
    written_cpu = time.process_time() - cpu - applied_cpu
    _progress(out, projection.name, commits, total, clock)
    swap_began = utc_now()
    checkpoints.update_one({"_id": projection.name}, {"$set": {"swapping": True}})
    try:
        time.sleep(quiesce_seconds)  # let appliers that read the flag before it rose finish
        _swap(db, projection)
        live = ReadModels(db)
        caught_up = _catch_up(store, projection, live, started_at - CATCH_UP_MARGIN)
    finally:
        checkpoints.update_one({"_id": projection.name}, {"$set": {"swapping": False}})
    caught_up += _catch_up(store, projection, live, swap_began - CATCH_UP_MARGIN)
    seconds = time.monotonic() - clock
    checkpoints.update_one({"_id": projection.name}, {"$set": {
        "status": "done", "finished_at": utc_now(), "commits": commits, "seconds": seconds}})
    rate = events / max(seconds, 1e-9)
    # this process's CPU beside each part's time: what is left waited for the database or,
    # on a loaded machine, for a core
    print(f"{projection.name}: {events:,} events in {seconds:.1f}s ({rate:,.0f} events/s; read "
          f"and applied in {applied_in:.1f}s ({applied_cpu:.1f}s CPU), {written:,} documents "
          f"written in {written_in:.1f}s ({written_cpu:.1f}s CPU)); swapped in; {caught_up} "
          f"event(s) recorded during the rebuild re-applied", file=out)
    return {"commits": commits, "events": events, "caught_up": caught_up, "seconds": seconds,
            "events_per_second": round(rate), "applied_seconds": round(applied_in, 3),
            "applied_cpu_seconds": round(applied_cpu, 3), "documents_written": written,
            "written_seconds": round(written_in, 3), "written_cpu_seconds": round(written_cpu, 3)}


@contextlib.contextmanager
def _young_collections_only() -> Iterator[None]:
    """Python's cyclic collector paused for a rebuild, which collects the young generations
    itself every `collect_every` events (`_ShadowRebuild.apply_commit`) and never the old one.
    The old generation is mostly the rebuild's own documents, alive until they are sent: at
    Python's thresholds the collector walked them again and again, and the commits read
    ahead (alive over thousands of allocations, so promoted) made it walk the old generation
    whole — 15-20 µs per event, a seventh of a rebuild's CPU. Cycles that die young are still
    collected; the rest waits for the collector's next full pass after the rebuild."""
    was_enabled = gc.isenabled()  # a caller that had disabled it keeps it disabled
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _ShadowRebuild:
    """Applies the log to a replay's shadow collections, which nobody else writes: stream cursors
    live in memory, and so do the collections themselves (`ResidentReadModels`) while they fit;
    `finish` writes them once, each final document in one insert."""

    def __init__(self, projection: Projection, shadow: ReadModels, store: EventStore,
                 resident_limit: int, batch_size: int = REPLAY_BATCH,
                 check_every: int = REPLAY_BATCH):
        self.projection = projection
        self.store = store
        self.batch_size = batch_size  # events between two sends of what stopped changing
        # (0: nothing sent before the end)
        self._since_sent = 0
        self.check_every = check_every  # events between two checks of `resident_limit` near it
        self._next_check = check_every  # events from the last check to the next (`_check`)
        self._since_checked = 0
        self._since_collected = 0  # events since the young generations were last collected
        # Why this far apart: a young collection walks every commit read ahead and waiting in
        # `_read_ahead`'s queue (up to 2,000, each with its envelopes and payloads) and promotes
        # them; `check_every` (1,000) apart, every commit was walked once, 10,000 apart about a
        # fifth of them are (the others applied and freed between two collections). Measured on
        # bench replay's posts log (6,100 events): 25-43 ms of young collections a rebuild ->
        # none, 8-22 ms for the one after it; the cycles found were 18-132 objects a rebuild, so
        # waiting 10,000 events leaves a few hundred at most uncollected meanwhile.
        self.collect_every = CHECKS_SPREAD * check_every
        self._held = 0  # bytes held after the last check
        self.rm = ResidentReadModels(shadow.db, shadow.suffix, projection.collections,
                                     resident_limit, _declared_indexes(projection))
        self.cursors: dict[str, int] = {}
        self.highest: dict[str, int] = {}  # a stream's last version in the log: the live
        # path's `waiting` mark (events beyond the cursor wait for a missing one)
        # the streams whose cursor document changed, sent behind as the documents are (half of
        # posts' inserts were cursors, all of them waiting for the end of the log)
        self._cursor_changes = Changes()
        self._cursors_until = 0  # its count at the last send

    @property
    def buffered(self) -> int:
        return self.rm.buffered

    def apply_commit(self, commit: Commit) -> int:
        applied = sum(self._apply(event) for event in commit.events)
        self._since_checked += applied
        if self._since_checked >= self._next_check:
            self._check()
        self._since_collected += applied
        if self._since_collected >= self.collect_every:
            # the young generations only (`_young_collections_only`), every `collect_every`
            # events however near the memory checks are (docs/performance.md, "Replay, eighth pass")
            gc.collect(1)
            self._since_collected = 0
        self._since_sent += applied
        if self.batch_size and self._since_sent >= self.batch_size:
            self.rm.write_behind()
            until, self._cursors_until = self._cursors_until, self._cursor_changes.count
            if until:
                self._send_cursors(until)
            self._since_sent = 0
        return applied

    def _check(self) -> None:
        """Keep the memory held within the limit and choose when to look again
        (`_events_to_next_check`).

        Not at every commit: what an update changed is counted now (`size`), once however many
        times it changed since — a check encodes every document changed since the last one, and
        posts' counters (64 event ids each, changed by every vote) were encoded again at every
        check: 6 % of applying posts' log with a check every 1,000 events."""
        grown = self.rm.resident - self._held  # (counted here, kept for what follows)
        self.rm.keep_within_limit()
        self._held = self.rm.resident
        self._next_check = _events_to_next_check(
            self.check_every, self.rm.limit - self._held, max(grown, 0) / self._since_checked)
        self._since_checked = 0

    def _apply(self, event: Envelope) -> int:
        if self.projection.in_any_order(event):
            self.projection._run_handler(self.rm, event)
            return 1
        key = self.projection.stream_key(event)
        cursor = self.cursors.get(key, 0)
        raised = event.stream_version > self.highest.get(key, 0)
        if raised:
            self.highest[key] = event.stream_version
        if event.stream_version <= cursor:
            return 0  # applied already (a run completed from the log)
        run = [event]
        if event.stream_version != cursor + 1:
            # a received event recorded before earlier ones of its stream: apply the run from
            # the log, as the live path does (the later-recorded ones are skipped above)
            run = [e for e in self.store.load(key, after_version=cursor)
                   if e.stream_version <= event.stream_version]
        applied = 0
        for next_event in run:
            if next_event.stream_version != cursor + applied + 1:
                break  # a hole in the log: the live catch-up after the swap completes it
            handler = self.projection.handlers_for(next_event.type)
            if handler is not None:
                handler(self.rm, next_event)
            applied += 1
        if applied:
            self.cursors[key] = cursor + applied
        if applied or raised:
            self._cursor_changes.touch(key)
        return applied

    def flush(self) -> None:
        self.rm.flush()

    def close(self) -> None:
        self.rm.close()

    def finish(self) -> int:
        """Write what is still in memory or buffered, and the cursors not sent yet or changed
        since; returns how many documents the shadows hold."""
        written = self.rm.write_all()
        self._send_cursors()
        self.rm.wait_sent()
        return written + len(self.highest)

    def _send_cursors(self, until: int | None = None) -> None:
        """The stream cursors' documents `Changes.take` chooses, sent behind (`REPLAY_BATCH` a
        bulk write)."""
        shadow = self.rm.db[self.projection.cursors + self.rm.suffix]
        changes = [(key, {"_id": key, "version": self.cursors.get(key, 0),
                          "waiting": self.highest[key]}, before)
                   for key, before in self._cursor_changes.take(self.highest.__contains__, until)]
        for start in range(0, len(changes), REPLAY_BATCH):
            self.rm.send(shadow, changes[start:start + REPLAY_BATCH])


def _events_to_next_check(check_every: int, room: float, per_event: float) -> int:
    """Events before a rebuild checks its memory again: when half the `room` left below the
    limit could be used at the rate seen since the last check (`per_event` bytes), within
    `check_every` and `CHECKS_SPREAD` times that. Near the limit, as often as ever; far below
    it, less often — what a check costs is encoding what changed (`_ShadowRebuild._check`).
    The memory held may pass the limit by what the events between two checks add: at a steady
    rate, nothing; at worst, what `CHECKS_SPREAD * check_every` events add."""
    if room <= 0:
        return check_every  # at or past the limit (or nothing may be held at all)
    later = room / (2 * per_event) if per_event > 0 else float("inf")
    return int(min(CHECKS_SPREAD * check_every, max(check_every, later)))


class BufferedReadModels(ReadModels):
    """Read models whose writes wait in a buffer until `flush` (or until anything reads).

    Writes to different collections cannot observe each other, so each collection's are sent
    together; within a collection, writes to one document keep their order (see `_bulk_write`).
    Any read — a find, a count, a find-and-modify — first flushes everything, so a handler always
    reads what it (and the handlers before it) wrote. As with a single write, a duplicate key on
    an upsert or on an unordered insert means "already there" (`update_versioned`,
    `update_once`, `insert_new` rely on that); any other error is raised.
    """

    def __init__(self, db: Database, suffix: str = ""):
        super().__init__(db, suffix)
        self._pending: dict[str, list[_Write]] = {}
        self._buffered = 0  # writes in `_pending` (read after every commit of a replay)

    @property
    def buffered(self) -> int:
        return self._buffered

    def __getitem__(self, name: str) -> _BufferedCollection:
        return _BufferedCollection(self, super().__getitem__(name))

    def add(self, collection: Collection, operation: Any, document: Any,
            duplicate_means_done: bool) -> None:
        self._buffered += 1
        self._pending.setdefault(collection.name, []).append(
            _Write(operation, _document_key(document), duplicate_means_done))

    def unbuffered(self, name: str) -> Collection:
        self.flush()
        return super().__getitem__(name)

    def flush(self) -> None:
        pending, self._pending, self._buffered = self._pending, {}, 0
        for name, operations in pending.items():
            _bulk_write(self.db[name], operations)


class _Write(NamedTuple):
    operation: Any
    document: Any  # the _id the write is about; None when its filter is not one _id
    duplicate_means_done: bool


def _document_key(value: Any) -> Any:
    if value is None or isinstance(value, dict | list):
        return None  # not one plain _id ({"$in": ...}, a sub-document): an ordering barrier
    return (type(value).__name__, value)


def _bulk_write(collection: Collection, writes: list[_Write]) -> None:
    """Send `writes` in *waves*: the n-th write of each document goes in the n-th wave, one
    unordered bulk write each, so writes to one document keep their order while one error
    stops nothing else — the same outcome on every server (an ordered bulk stops at its first
    error on MongoDB and goes on past it on the stand-in). A write not about one `_id` is a
    barrier: the waves before it are sent first, then it alone."""
    waves: list[list[_Write]] = []
    depth: dict[Any, int] = {}
    for write in writes:
        if write.document is None:
            _send_waves(collection, waves)
            _send_waves(collection, [[write]])
            waves, depth = [], {}
            continue
        wave = depth.get(write.document, 0)
        depth[write.document] = wave + 1
        if wave == len(waves):
            waves.append([])
        waves[wave].append(write)
    _send_waves(collection, waves)


def _send_waves(collection: Collection, waves: list[list[_Write]]) -> None:
    for wave in waves:
        try:
            collection.bulk_write([write.operation for write in wave], ordered=False)
        except BulkWriteError as error:
            for failed in error.details["writeErrors"]:
                if failed.get("code") != 11000 or not wave[failed["index"]].duplicate_means_done:
                    raise


class _WriteResult:
    """What a buffered write answers: it counts as done (no handler branches on it)."""

    def __init__(self, inserted_ids: list[Any] | None = None):
        self.modified_count = 1
        self.upserted_id = None
        self.inserted_ids = inserted_ids or []
        self.acknowledged = True


class _BufferedCollection:
    def __init__(self, owner: BufferedReadModels, collection: Collection):
        self._owner = owner
        self._collection = collection

    @property
    def name(self) -> str:
        return self._collection.name

    def update_one(self, filter: dict, update: Any, upsert: bool = False) -> _WriteResult:
        self._add(UpdateOne(filter, update, upsert=upsert), filter.get("_id"), upsert)
        return _WriteResult()

    def update_many(self, filter: dict, update: Any, upsert: bool = False) -> _WriteResult:
        self._add(UpdateMany(filter, update, upsert=upsert), filter.get("_id"), upsert)
        return _WriteResult()

    def replace_one(self, filter: dict, replacement: dict, upsert: bool = False) -> _WriteResult:
        self._add(ReplaceOne(filter, replacement, upsert=upsert), filter.get("_id"), upsert)
        return _WriteResult()

    def insert_one(self, document: dict) -> _WriteResult:
        self._add(InsertOne(document), document.get("_id"), False)
        return _WriteResult([document.get("_id")])

    def insert_many(self, documents: list[dict], ordered: bool = True) -> _WriteResult:
        for document in documents:  # unordered: a duplicate does not stop the others
            self._add(InsertOne(document), document.get("_id"), not ordered)
        return _WriteResult([document.get("_id") for document in documents])

    def delete_one(self, filter: dict) -> _WriteResult:
        self._add(DeleteOne(filter), filter.get("_id"), False)
        return _WriteResult()

    def delete_many(self, filter: dict) -> _WriteResult:
        self._add(DeleteMany(filter), filter.get("_id"), False)
        return _WriteResult()

    def _add(self, operation: Any, document: Any, duplicate_means_done: bool) -> None:
        self._owner.add(self._collection, operation, document, duplicate_means_done)

    def __getattr__(self, attribute: str) -> Any:
        self._owner.flush()  # a read (or anything else): it sees every buffered write
        return getattr(self._collection, attribute)


class ResidentReadModels(BufferedReadModels):
    """A rebuild's read models, held in memory (`memory_models.MemoryCollection`) while they
    fit: no round trip per write or read, and each final document written once, by
    `write_all`. A collection leaves memory for the database — everything it holds inserted
    there, the buffered path (`BufferedReadModels`) from then on — when an operation is outside
    what the memory engine answers exactly (`Unsupported`, noted in the log), when it has a
    unique index besides `_id` (only the server enforces those), or when the documents held
    exceed `limit` bytes as BSON (the largest collection leaves first), so a replay's memory
    stays bounded whatever the log's size. A collection's declared indexes (`indexes`: name -> the
    `create_index` calls) are made when it leaves memory, after its documents are in: one
    index build over the data instead of index updates on every insert.
    """

    def __init__(self, db: Database, suffix: str, names: Iterable[str], limit: int,
                 indexes: dict[str, list[tuple[tuple, dict[str, Any]]]]):
        super().__init__(db, suffix)
        self.limit = limit
        self._indexes = indexes
        self._memory: dict[str, MemoryCollection] = {}
        self._resident: dict[str, _ResidentCollection] = {}  # what handlers get, while held
        self._sender = _WriteBehind()
        self._sent_until: dict[str, int] = {}  # per collection: its writes at the last send
        for name in names:
            collection = super().__getitem__(name)._collection
            if any(options.get("unique") for _, options in indexes.get(name, [])):
                self._make_indexes(name)  # only the server enforces those: not in memory
            else:
                self._memory[name] = MemoryCollection(collection.name, collection.codec_options)

    def _make_indexes(self, name: str) -> None:
        collection = super().__getitem__(name)._collection
        for args, options in self._indexes.get(name, []):
            collection.create_index(*args, **options)

    def __getitem__(self, name: str) -> Any:
        resident = self._resident.get(name)
        if resident is not None:
            return resident
        memory = self._memory.get(name)
        if memory is None:
            return super().__getitem__(name)
        resident = self._resident[name] = _ResidentCollection(self, name, memory)
        return resident

    def side_by_side(self, *reads: Callable[[], Any]) -> list[Any]:
        return [read() for read in reads]  # mostly from memory: no round trip to overlap

    def unbuffered(self, name: str) -> Any:
        return self[name]  # a rebuild's models: nobody reads them before the swap

    @property
    def resident(self) -> int:
        """Bytes of documents (as BSON) held in memory."""
        return sum(memory.size for memory in self._memory.values())

    def keep_within_limit(self) -> None:
        while self._memory and self.resident > self.limit:
            largest = max(self._memory, key=lambda name: self._memory[name].size)
            self.release(largest, f"more than {self.limit:,} bytes held in memory")

    def release(self, name: str, why: Any) -> None:
        """Move a collection from memory to the database before the rebuild is complete."""
        if name in self._memory:
            log.info("replay: %s goes to the database (%s)", self._memory[name].name, why)
            self._move(name)

    def write_behind(self) -> None:
        """Send what stopped changing to the shadows while the rebuild goes on: every document
        not changed since the previous call is inserted (replaced when it was sent before;
        deleted when it was removed since), by another thread — so the server inserts while
        this process applies the log instead of every insert waiting for the end. A document
        changed again is sent again; one thread sends, in order, so the last send wins, and
        `write_all` sends what is left."""
        for name, memory in self._memory.items():
            until = self._sent_until.get(name)
            self._sent_until[name] = memory.writes
            if until:
                self._sender.send(self._shadow(name), memory.changes(until))

    def send(self, collection: Collection,
             changes: list[tuple[Any, dict[str, Any] | None, bool]]) -> None:
        """Documents of the rebuild's own (not a held collection's: stream cursors) written
        behind with the others (`_WriteBehind.send`)."""
        self._sender.send(collection, changes)

    def wait_sent(self) -> None:
        self._sender.wait()

    def close(self) -> None:
        self._sender.close()

    def _shadow(self, name: str) -> Collection:
        return super().__getitem__(name)._collection

    def _move(self, name: str) -> int:
        """Send what a collection holds to its shadow — what was not sent yet or changed since
        — and index it; returns how many documents it held."""
        memory = self._memory.pop(name)
        self._resident.pop(name, None)
        self._sender.send(self._shadow(name), memory.changes())
        self._sender.wait()
        self._make_indexes(name)
        return len(memory.documents)

    def write_all(self) -> int:
        """Send every collection still held; returns how many documents that was."""
        held = list(self._memory)
        for name in held:  # all sent together, then indexed
            self._sender.send(self._shadow(name), self._memory[name].changes())
        written = sum(self._move(name) for name in held)
        self.flush()
        return written


class _WriteBehind:
    """Sends a rebuild's documents to their shadows from a thread of its own, in the order they
    were given, at most `depth` bulk writes waiting (the rebuild waits beyond: its memory stays
    bounded). An error is raised in the rebuild's thread at its next `send` or `wait`."""

    def __init__(self, depth: int = 4):
        self.depth = depth
        self._executor: ThreadPoolExecutor | None = None
        self._waiting: deque[Future] = deque()

    def send(self, collection: Collection,
             changes: list[tuple[Any, dict[str, Any] | None, bool]]) -> None:
        writes: list[Any] = []
        for key, document, sent in changes:
            if document is not None:
                writes.append(ReplaceOne({"_id": document["_id"]}, document) if sent
                              else InsertOne(document))
            elif sent:  # removed after it was sent
                writes.append(DeleteOne({"_id": key[1]}))
        if not writes:
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="replay-write-behind")
        while len(self._waiting) >= self.depth:
            self._waiting.popleft().result()
        self._waiting.append(self._executor.submit(collection.bulk_write, writes,
                                                   ordered=False))

    def wait(self) -> None:
        """Until everything sent so far is written (raises what failed)."""
        while self._waiting:
            self._waiting.popleft().result()

    def close(self) -> None:
        """Stop the thread (what it was sending is finished first, nothing else is sent)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        self._waiting.clear()


def _read_ahead(commits: Iterator[Commit], chunk: int = 500, depth: int = 4
                ) -> Iterator[Commit]:
    """`commits`, read by another thread up to `depth` chunks ahead: the server prepares the
    next batch of the log while this thread applies the last one. An error while reading is
    raised here; leaving the loop early stops the reader."""
    chunks: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            batch: list[Commit] = []
            for commit in commits:
                batch.append(commit)
                if len(batch) == chunk:
                    if not put(batch):
                        return
                    batch = []
            put(batch) and put(None)
        except Exception as error:  # raised in the replay's thread
            put(error)

    threading.Thread(target=read, name="replay-read-ahead", daemon=True).start()
    try:
        while True:
            item = chunks.get()
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            yield from item
    finally:
        stop.set()


def _declared_indexes(projection: Projection) -> dict[str, list[tuple[tuple, dict[str, Any]]]]:
    """The `create_index` calls of `projection.ensure_indexes`, by collection, not sent."""
    declared: dict[str, list[tuple[tuple, dict[str, Any]]]] = {}

    class Declaring:
        def __init__(self, name: str):
            self.name = name

        def create_index(self, *args: Any, **options: Any) -> str:
            declared.setdefault(self.name, []).append((args, options))
            return str(options.get("name", ""))

        def index_information(self) -> dict[str, Any]:
            return {}  # declared only: no index an upgrade retires (mongo.drop_index) is here

    class Declarations(ReadModels):
        def __getitem__(self, name: str) -> Any:
            return Declaring(name)

    projection.ensure_indexes(Declarations(None))  # type: ignore[arg-type]
    return declared


_MEMORY_OPTIONS = {"find": {"sort", "limit", "skip"}, "find_one": {"sort"},
                   "count_documents": {"limit", "skip"}, "insert_many": {"ordered"},
                   "update_one": {"upsert"}, "update_many": {"upsert"},
                   "replace_one": {"upsert"}, "find_one_and_update": {"upsert", "return_document"}}


class _ResidentCollection:
    """A collection held in memory; an operation the memory engine does not answer moves it to
    the database and is sent there."""

    def __init__(self, owner: ResidentReadModels, name: str, memory: MemoryCollection):
        self._owner = owner
        self._name = name
        self._memory = memory

    @property
    def name(self) -> str:
        return self._memory.name

    @property
    def _held(self) -> bool:
        """Whether the collection is still in memory (a handler may keep this object across
        the operation that moved it to the database: from then on, it goes there too)."""
        return self._owner._memory.get(self._name) is self._memory

    def _run(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if self._held:
            if not kwargs or set(kwargs) <= _MEMORY_OPTIONS.get(method, set()):
                try:
                    return getattr(self._memory, method)(*args, **kwargs)
                except Unsupported as why:
                    self._owner.release(self._name, why)
            else:
                self._owner.release(self._name, f"{method} with {sorted(kwargs)}")
        return getattr(self._owner[self._name], method)(*args, **kwargs)

    def find(self, *args: Any, **kwargs: Any) -> Any:
        if self._held and set(kwargs) <= _MEMORY_OPTIONS["find"]:
            return _ResidentCursor(self, self._memory.find(*args, **kwargs), args, kwargs)
        return self._run("find", *args, **kwargs)

    def update_one(self, filter: dict, update: Any, upsert: bool = False) -> Any:
        # the commonest call of all, answered without `_run`'s generality
        if self._held:
            try:
                return self._memory.update_one(filter, update, upsert)
            except Unsupported as why:
                self._owner.release(self._name, why)
        return self._owner[self._name].update_one(filter, update, upsert=upsert)

    def __getattr__(self, method: str) -> Any:
        # (the methods the memory engine answers are the class's own: `_delegating`)
        self._owner.release(self._name, method)
        return getattr(self._owner[self._name], method)


def _delegating(method: str) -> Callable[..., Any]:
    def delegate(self: _ResidentCollection, *args: Any, **kwargs: Any) -> Any:
        return self._run(method, *args, **kwargs)
    delegate.__name__ = method
    delegate.__qualname__ = f"_ResidentCollection.{method}"  # as profiles and tracebacks name it
    return delegate


# Methods of the class, not `partial(self._run, …)` kept on each object as they once were: that
# made every held collection a cycle (the object -> its partial -> the object), so a collection
# sent to the database mid-rebuild stayed in memory, documents and all, until the collector ran
# — and a rebuild runs only the young generations' (`_young_collections_only`): promoted once,
# it stayed until the rebuild ended, past `resident_limit`. Now it is freed when it is sent.
for _method in ("find_one", "count_documents", "insert_one", "insert_many", "update_many",
                "replace_one", "delete_one", "delete_many", "find_one_and_delete",
                "find_one_and_update"):
    setattr(_ResidentCollection, _method, _delegating(_method))
del _method


class _ResidentCursor:
    """`find` on a collection held in memory: evaluated when iterated; anything the memory
    engine does not answer sends the same query to the database."""

    def __init__(self, collection: _ResidentCollection, cursor: MemoryCursor,
                 args: tuple, kwargs: dict[str, Any]):
        self._collection = collection
        self._cursor = cursor
        self._args = args
        self._kwargs = kwargs

    def sort(self, key_or_list: Any, direction: Any = None) -> _ResidentCursor:
        self._cursor.sort(key_or_list, direction)
        self._kwargs["sort"] = self._cursor.spec
        return self

    def limit(self, limit: int) -> _ResidentCursor:
        self._cursor.limit(limit)
        self._kwargs["limit"] = limit
        return self

    def skip(self, skip: int) -> _ResidentCursor:
        self._cursor.skip(skip)
        self._kwargs["skip"] = skip
        return self

    def __iter__(self) -> Any:
        if not self._collection._held:  # moved to the database since `find`
            return iter(self._in_database("moved"))
        try:
            return iter(self._cursor.results())
        except Unsupported as why:
            return iter(self._in_database(why))

    def _in_database(self, why: Any) -> Any:
        collection = self._collection
        collection._owner.release(collection._name, why)
        return collection._owner[collection._name].find(*self._args, **self._kwargs)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._in_database(f"cursor.{attribute}"), attribute)


def _catch_up(store: EventStore, projection: Projection, rm: ReadModels, since) -> int:
    return sum(projection.apply_commit(rm, commit, store)
               for commit in store.recorded_since(since))


def _swap(db: Database, projection: Projection) -> None:
    existing = set(db.list_collection_names())
    renamed = set()
    for name in [*projection.collections, projection.cursors]:
        shadow = name + SHADOW_SUFFIX
        if shadow in existing:
            try:
                db[shadow].rename(name, dropTarget=True)
                renamed.add(name)
            except OperationFailure as error:  # a server without rename: copy instead
                log.warning("rename %s failed (%s); copying", shadow, error)
                db[name].drop()
                documents = list(db[shadow].find())
                if documents:
                    db[name].insert_many(documents)
                db[shadow].drop()
        else:
            db[name].drop()  # nothing in the log produces it any more
    # A renamed shadow carries the indexes the rebuild made on it (every one `ensure_indexes`
    # declares); a copy does not, nor does a collection dropped for want of a shadow, which
    # its next write would create bare: made again then (one round trip per index: 17 on posts)
    if not set(_declared_indexes(projection)) <= renamed.intersection(projection.collections):
        projection.ensure_indexes(ReadModels(db))


def _progress(out: TextIO, name: str, done: int, total: int, clock: float) -> None:
    elapsed = max(time.monotonic() - clock, 1e-9)
    percent = 100.0 * done / total if total else 100.0
    print(f"{name}: {done}/{total} commits ({percent:5.1f}%), {done / elapsed:,.0f} commits/s",
          file=out, flush=True)
