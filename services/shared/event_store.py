"""The event log of one service, in its own MongoDB database.

One document per *commit* (the new events of one stream from one command), inserted atomically.
Optimistic concurrency comes from a unique index on (stream_id, version): two writers that loaded
the same stream version try to insert the same key and the second gets `ConcurrencyConflict`. No
multi-document transaction is needed (they are not available everywhere this runs). The commit
document is also the outbox entry (`pending: true` until the relay has published it), so every
committed event is published at least once, also after a crash between commit and publish.

Every commit gets a `position` from a counter, giving replays one total order that respects each
stream's order (a later version can only be written after the earlier commit is visible).

Events *received* from other services can be recorded in the same log (`record_received`): the
event id is the document id, so recording is the consumer's dedupe, and replays of read models
that depend on other services' facts read them from here.

A commit appended by a command that carries an idempotency key also records the command's *slot*
(`command`, unique): appending a slot already recorded returns the recorded commit, so a command
executed twice (a client's retry after a crash or a 504) has one effect
(services/shared/commands.py).

Personal fields (services/shared/shredding.py) are sealed with their subject's key when a commit
is written (own or received) and unsealed when it is read: the log, and the outbox's messages,
hold no personal data in clear, and code reading envelopes from here sees plain values (or the
erased placeholders, once a member's key is shredded).

Example::

    store = EventStore(db, service="posts")
    commit = store.append("post-1", expected_version=0,
                          events=[NewEvent("posts.post_submitted", {...})],
                          context=CommandContext(actor="user-1"))
    history = store.load("post-1")        # [Envelope(..., stream_version=1)]
"""
from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pymongo.database import Database

from . import commands, metrics, own_positions
from .envelope import CommandContext, Envelope, NewEvent, new_id, utc_now
from .errors import ConcurrencyConflict
from .failpoints import failpoint
from .payloads import REGISTRY, PayloadRegistry
from .recorders import (  # noqa: F401 (violated_index: the kit's name for it)
    COMMAND_INDEX,
    POSITION_INDEX,
    STREAM_VERSION_INDEX,
    DuplicateCommit,
    InMemoryRecorder,
    MongoRecorder,
    violated_index,
)
from .shredding import SubjectKeys, seal_payload, subjects_sealed_in, unseal_envelope
from .written_streams import WrittenStreams

log = logging.getLogger(__name__)

POSITION_ATTEMPTS = 5
# how many times a command decides again after another writer appended first: a member's
# contribution receives moderation's verdicts while its author or a CM edits it, and under load
# a burst of verdicts beat 3 re-decisions (a CM's plain edit answered 409 in CI); each try
# reloads the stream, so this bounds work, it does not wait
COMMAND_RETRIES = 8


@dataclass(frozen=True)
class Commit:
    id: str
    stream_id: str
    version: int  # version of the commit's first event
    position: int
    events: list[Envelope]
    recorded_at: datetime
    received: bool = False  # recorded from another service's exchange, not decided here
    # written by the append that returns it (not an earlier execution's, not read back): for
    # a commit that opens its stream, nothing of the stream can have been applied before it
    written_now: bool = False

    @property
    def last_version(self) -> int:
        return self.version + len(self.events) - 1

    @classmethod
    def read(cls, id: str, stream_id: str, version: int, position: int,
             events: list[Envelope], recorded_at: datetime, received: bool) -> Commit:
        """A commit read back from the log (never `written_now`): `cls(...)` without the frozen
        dataclass's `object.__setattr__` per field (`Envelope.stored`'s reason) — a replay
        builds one per commit it reads, in the thread that reads ahead of the applier."""
        commit = object.__new__(cls)
        commit.__dict__.update(id=id, stream_id=stream_id, version=version, position=position,
                               events=events, recorded_at=recorded_at, received=received,
                               written_now=False)
        return commit


Decision = Callable[[list[Envelope]], list[NewEvent]]
Appends = list[tuple[str, int, list[NewEvent]]]  # a command's (stream, version, events)
T = TypeVar("T")


class EventStore:
    def __init__(
        self,
        db: Database | None,
        service: str,
        registry: PayloadRegistry = REGISTRY,
        on_commit: Callable[[Commit], None] | None = None,
        keys: SubjectKeys | None = None,
        recorder: MongoRecorder | InMemoryRecorder | None = None,
    ):
        self.db = db
        self.service = service
        self.registry = registry
        self.on_commit = on_commit  # the in-process relay's wake-up call
        # where commits are kept (recorders.py): the service's database unless told otherwise
        self.recorder = recorder if recorder is not None else MongoRecorder(db)
        self.events = getattr(self.recorder, "events", None)  # MongoDB only: its collection
        # the data subjects' keys (crypto-shredding): by default `<prefix>_keys` beside `db`
        self.keys = keys if keys is not None else SubjectKeys.beside(db, service)
        # streams this process wrote whole, decided on again without a read (MongoDB's log only:
        # the memory engine's reads cost no round trip)
        self._written = WrittenStreams(self.events.codec_options) \
            if self.events is not None else None
        # the positions this process took and stored: what the relay publishes without a read
        self.own_positions = own_positions.of(self.events) if self.events is not None else None

    def ensure_indexes(self) -> None:
        self.recorder.ensure_indexes()

    # -- writing ---------------------------------------------------------------------------

    def append(
        self,
        stream_id: str,
        expected_version: int,
        events: list[NewEvent],
        context: CommandContext,
        remembered: bool = False,
    ) -> Commit:
        """Append `events` after `expected_version` (0 for a new stream) in one atomic insert.

        Raises `ConcurrencyConflict` when another commit got there first and `InvalidInput` when
        a payload does not match its registered schema. `remembered`: the version comes from
        this process's memory of the stream (`execute`); a conflict then means only that the
        memory was old — the stream is forgotten, and the conflict not counted as writers'.
        Inside a command with an idempotency key, an append this command already made (an
        earlier execution) is returned as recorded; a command past its deadline that has not
        written yet raises `CommandExpired`.
        """
        if not events:
            raise ValueError("a commit holds at least one event")
        command = commands.current()
        recorded = self._recorded_by(command, stream_id)
        if recorded is not None:
            return recorded
        if command is not None:
            command.check_deadline()
        slot = command.slot(stream_id) if command is not None else None
        envelopes = [
            self._envelope(event, stream_id, expected_version + offset, context)
            for offset, event in enumerate(events, start=1)
        ]
        for attempt in range(1, POSITION_ATTEMPTS + 1):
            commit = Commit(
                id=new_id(), stream_id=stream_id, version=expected_version + 1,
                position=self._next_position(), events=envelopes, recorded_at=utc_now(),
                written_now=True,
            )
            document = self._document(commit, pending=True, command=slot)
            try:
                self.recorder.insert(document)
                break
            except DuplicateCommit as error:
                index = error.index
                if slot is not None and index in (COMMAND_INDEX, STREAM_VERSION_INDEX):
                    # a concurrent execution of the same command may have won the race
                    recorded = self._recorded_by(command, stream_id)
                    if recorded is not None:
                        return recorded
                if index == STREAM_VERSION_INDEX:
                    if remembered:
                        self._written.forget(stream_id)
                    else:
                        metrics.CONCURRENCY_CONFLICTS.labels(self.service).inc()
                    raise ConcurrencyConflict(stream_id, expected_version) from None
                if index not in (POSITION_INDEX, "_id_") or attempt == POSITION_ATTEMPTS:
                    raise
                # Only a counter that is not atomic (seen on a stand-in under load) hands out a
                # position twice: the stream is not in conflict, so take another position.
                log.warning("position %d taken twice (%s); retrying the commit of %s",
                            commit.position, index, stream_id)
        self._stored(document, pending=True)
        if self._written is not None:
            self._written.appended(stream_id, expected_version, document)
        self._appended(command, commit)
        return commit

    def append_all(
        self, appends: Appends, context: CommandContext
    ) -> list[Commit]:
        """Several appends of one command, `(stream_id, expected_version, events)` each, in one
        insert of their commits, in order; the same rules and answers as `append` one after the
        other, in two round trips (the positions, the insert) instead of two per commit.

        With an idempotency key, the slots are written with the commits instead of being looked
        up first: a refused commit (an earlier execution's slot, a conflict, a position taken
        twice) and every one after it go through `append`, which decides as it always does.
        Those before it are stored. A command past its deadline goes through `append` too
        (what an earlier execution recorded is still its answer).
        """
        command = commands.current()
        streams = [stream_id for stream_id, _, _ in appends]
        if (len(appends) < 2 or len(set(streams)) < len(streams)
                or any(not events for _, _, events in appends)
                or (command is not None and command.key is not None and command.expired)):
            return self._append_each(appends, context)
        if command is not None:
            command.check_deadline()
        first = self._next_position(len(appends))
        commits = [
            Commit(id=new_id(), stream_id=stream_id, version=expected_version + 1,
                   position=first + offset, recorded_at=utc_now(), written_now=True, events=[
                       self._envelope(event, stream_id, expected_version + n, context)
                       for n, event in enumerate(events, start=1)])
            for offset, (stream_id, expected_version, events) in enumerate(appends)
        ]
        slots = [command.slot(stream_id) if command is not None else None
                 for stream_id in streams]
        documents = [self._document(commit, pending=True, command=slot)
                     for commit, slot in zip(commits, slots, strict=True)]
        try:
            self.recorder.insert_all(documents)
            stored = len(commits)
        except DuplicateCommit as error:
            stored = error.inserted
        for commit, document, (_, expected_version, _) in zip(
                commits[:stored], documents, appends, strict=False):
            self._stored(document, pending=True)
            if self._written is not None:
                self._written.appended(commit.stream_id, expected_version, document)
            self._appended(command, commit)
        return commits[:stored] + self._append_each(appends[stored:], context)

    def _append_each(self, appends: list[tuple[str, int, list[NewEvent]]],
                     context: CommandContext) -> list[Commit]:
        return [self.append(stream_id, expected_version, events, context)
                for stream_id, expected_version, events in appends]

    def _appended(self, command: commands.Command | None, commit: Commit) -> None:
        """What follows a stored commit: the command's count, metrics, the relay's wake-up."""
        if command is not None:
            command.appended(commit.stream_id)
        for envelope in commit.events:
            metrics.EVENTS_APPENDED.labels(self.service, envelope.type).inc()
        failpoint("after_commit")
        if self.on_commit is not None:
            self.on_commit(commit)

    def execute(
        self, stream_id: str, decide: Decision, context: CommandContext,
        retries: int = COMMAND_RETRIES) -> Commit | None:
        """Load a stream, let the domain decide, append; on a conflict decide again on fresh state.

        Re-deciding is safe: the domain sees the other writer's events (nothing is overwritten).
        Returns None when the decision produced no events (an idempotent no-op). A command that
        already recorded this append (an earlier execution) gets that commit, undecided.
        """
        return decided_again(lambda: self._execute_once(stream_id, decide, context), retries)

    def _execute_once(self, stream_id: str, decide: Decision, context: CommandContext
                      ) -> Commit | None:
        while True:
            recorded = self._recorded_by(commands.current(), stream_id)
            if recorded is not None:
                return recorded
            commands.check_deadline()  # before deciding: a decision may write (texts) itself
            new_events, history, remembered = self._decided(stream_id, decide)
            if not new_events:
                return None
            try:
                return self.append(stream_id, len_version(history), new_events, context,
                                   remembered=remembered)
            except ConcurrencyConflict:
                if not remembered:
                    raise  # another writer's: `decided_again` counts it
                # an old memory, now forgotten: decided again on the log, uncounted

    def execute_all(self, stream_id: str, decide: Callable[[list[Envelope]], Appends],
                    context: CommandContext, new: bool = False,
                    retries: int = COMMAND_RETRIES) -> list[Commit]:
        """`execute` for a decision on `stream_id` that appends to several streams at once
        (`append_all`: `decide(history)` returns the appends, the first usually to
        `stream_id` at `len_version(history)`). A `new` stream is not loaded (its id was just
        minted): a conflict there is no other writer's, so it is not decided again. A keyed
        command that ran already decides on the stream as its first execution found it
        (`_as_first_decided`)."""
        def once() -> list[Commit]:
            history = [] if new else self._as_first_decided(stream_id, self.load(stream_id))
            return self.append_all(decide(history), context)
        return decided_again(once, 0 if new else retries)

    def _as_first_decided(self, stream_id: str, history: list[Envelope]) -> list[Envelope]:
        """The stream as a keyed command's earlier execution found it, when it ran already (a
        retry with the same key): decided on it again, the command makes the very appends it
        made — to `stream_id` and to the other streams named from its state (a post's next
        revision's text) — which `append_all` then finds recorded (one key, one effect).
        Decided on the stream as it is now, a retry's other appends went to streams named from
        a later state, which nothing announces. (The slot is only looked at, not taken:
        `append_all` takes it.)"""
        command = commands.current()
        slot = command.slot(stream_id) if command is not None else None
        earlier = self.recorder.by_command(slot) if slot else None
        if earlier is None:
            return history
        return [event for event in history if event.stream_version < earlier["version"]]

    def _decided(self, stream_id: str, decide: Decision
                 ) -> tuple[list[NewEvent], list[Envelope], bool]:
        """The decision on the stream as this process wrote it, when it wrote it whole
        (written_streams.py) and the decision appends — the append's version check says
        whether it was still the whole stream; otherwise (a no-op, or a refusal, may come
        from what another writer added since) on the stream as loaded."""
        documents = self._written.history(stream_id) if self._written is not None else None
        if documents is not None:
            history = self._events_of(documents)
            try:
                new_events = decide(history)
            except Exception:  # a refusal on an old memory: decided again below, on the log's
                new_events = []
            if new_events:
                return new_events, history, True
        history = self.load(stream_id)
        return decide(history), history, False

    def record_received(self, envelope: Envelope) -> bool:
        """Keep another service's event in this log; False when it was already recorded."""
        for attempt in range(1, POSITION_ATTEMPTS + 1):
            commit = Commit(
                id=envelope.id, stream_id=f"{envelope.source_service}:{envelope.stream_id}",
                version=envelope.stream_version, position=self._next_position(),
                events=[envelope], recorded_at=utc_now(), received=True,
            )
            document = self._document(commit, pending=False)
            try:
                self.recorder.insert(document)
            except DuplicateCommit as error:
                if error.index != POSITION_INDEX or attempt == POSITION_ATTEMPTS:
                    return False  # this event (same id, or same stream version) is recorded
                log.warning("position %d taken twice; retrying the record of %s",
                            commit.position, envelope.id)
                continue
            self._stored(document, pending=False)
            return True
        return False

    def record_received_all(self, envelopes: list[Envelope]) -> list[bool]:
        """`record_received` for a batch of deliveries, in three round trips whatever its size
        (one `$inc` of the counter, one unordered insert): each event's answer, in order.

        The positions are taken together and given in the batch's order (the order of
        delivery), at the moment of recording, as one record at a time would take them: a
        commit recorded later anywhere, because of one of these or not, comes after them all.
        """
        if len(envelopes) <= 1:
            return [self.record_received(envelope) for envelope in envelopes]
        first = self._next_position(len(envelopes))
        recorded_at = utc_now()
        documents = [self._document(Commit(
            id=envelope.id, stream_id=f"{envelope.source_service}:{envelope.stream_id}",
            version=envelope.stream_version, position=first + offset,
            events=[envelope], recorded_at=recorded_at, received=True), pending=False)
            for offset, envelope in enumerate(envelopes)]
        refused = self.recorder.insert_unordered(documents)
        for index, document in enumerate(documents):
            if index not in refused:
                self._stored(document, pending=False)
        return [index not in refused or (  # a position taken twice: record it on its own
            refused[index] == POSITION_INDEX and self.record_received(envelope))
            for index, envelope in enumerate(envelopes)]

    # -- reading ---------------------------------------------------------------------------

    def load(self, stream_id: str, after_version: int = 0) -> list[Envelope]:
        """The stream's events in order, payloads upcast to their latest schema version."""
        return [
            envelope
            for document in self.recorder.stream(stream_id, after_version)
            for envelope in self._commit(document).events
            if envelope.stream_version > after_version
        ]

    def load_written_once(self, stream_id: str) -> list[Envelope]:
        """`load` for a stream that is never appended to after its first commit (a revision's
        submitted text): as this process wrote it when it did (no read), else loaded."""
        documents = self._written.history(stream_id) if self._written is not None else None
        return self.load(stream_id) if documents is None else self._events_of(documents)

    def _events_of(self, documents: list[dict[str, Any]]) -> list[Envelope]:
        return [event for document in documents for event in self._commit(document).events]

    def stream_version(self, stream_id: str) -> int:
        last = self.recorder.last_of_stream(stream_id)
        return 0 if last is None else self._commit(last).last_version

    def read_all(self, after_position: int = 0, batch_size: int = 500) -> Iterator[Commit]:
        """Every commit (own and received) in position order, for replays. Read `batch_size`
        commits at a time (the cursor's batch): the keys their sealed fields need, not cached
        yet, are read in one query first (`SubjectKeys.prefetch`), not one per member met."""
        documents = self.recorder.commits_after(after_position, batch_size)
        while chunk := list(itertools.islice(documents, batch_size)):
            self.keys.prefetch(subjects_sealed_in(
                event for document in chunk for event in document["events"]))
            for document in chunk:
                yield self._commit(document)

    def seal_existing(self, batch_size: int = 500) -> int:
        """Seal, in place, the personal fields that commits written before sealing existed hold
        in clear (a one-off step after the upgrade, `agora seal-existing`; idempotent, and safe
        while the service runs: a commit's events never change otherwise). Only the encoding
        of a value changes, never a fact. Returns how many commits were rewritten."""
        rewritten = 0
        for document in self.recorder.after(0, batch_size):
            events = [self._sealed(Envelope.stored(event)) for event in document["events"]]
            if events != document["events"]:
                self.recorder.replace_events(document["_id"], events)
                rewritten += 1
        return rewritten

    def count(self, after_position: int = 0) -> int:
        return self.recorder.count_after(after_position)

    def recorded_since(self, moment: datetime) -> Iterator[Commit]:
        for document in self.recorder.since(moment):
            yield self._commit(document)

    # -- outbox ----------------------------------------------------------------------------

    def pending(self, limit: int = 500) -> list[Commit]:
        return [self._commit(document) for document in self.recorder.pending(limit)]

    def pending_documents(self, after_position: int = 0, limit: int = 500) -> list[dict[str, Any]]:
        """Pending commits as stored (no upcasting: the relay publishes what was written)."""
        return self.recorder.pending_after(after_position, limit)

    def pending_stored_here(self, after_position: int, limit: int = 500
                            ) -> list[dict[str, Any]] | None:
        """`pending_documents` from what this process stored, without a read, when every
        position after `after_position` it knows of is its own (`OwnPositions`); else None."""
        if self.own_positions is None:
            return None
        return self.own_positions.pending_after(after_position, limit)

    def last_position_taken_here(self) -> int:
        """The last position this process took (0: none, or not known)."""
        return self.own_positions.last_taken if self.own_positions is not None else 0

    def forget_own_positions(self, up_to: float = float("inf")) -> None:
        """The relay published up to `up_to` (by default: another process's relay publishes)."""
        if self.own_positions is not None:
            self.own_positions.forget_up_to(up_to)

    def mark_published(self, commit_ids: list[str]) -> None:
        self.recorder.mark_published(commit_ids, utc_now())

    def record_published_batch(self, commit_ids: list[str]) -> None:
        """Note that these commits were published and confirmed: one small insert per batch.

        Clearing each commit's `pending` flag rewrites every (large) commit document; under load
        that costs more than publishing. The relay records batches here and folds them into the
        flags with `fold_published_batches` when it is idle (and before it sweeps).
        """
        self.recorder.journal({"_id": new_id(), "ids": commit_ids, "at": utc_now()})

    def fold_published_batches(self) -> int:
        """Clear the `pending` flag of every commit recorded as published; returns how many."""
        folded = 0
        for batch in self.recorder.journal_batches():
            self.mark_published(batch["ids"])
            self.recorder.drop_journal_batch(batch["_id"])
            folded += len(batch["ids"])
        return folded

    def backlog(self, after_position: int = 0) -> int:
        """Commits not yet published (flagged pending and not in the published journal)."""
        pending = self.recorder.count_pending(after_position)
        if after_position:
            return pending  # the journal only holds positions at or below the mark
        journaled = sum(len(batch["ids"]) for batch in self.recorder.journal_batches())
        return max(0, pending - journaled)

    # -- internals -------------------------------------------------------------------------

    def _recorded_by(self, command: commands.Command | None, stream_id: str) -> Commit | None:
        """The commit this command's next append to `stream_id` made in an earlier execution."""
        slot = command.slot(stream_id) if command is not None else None
        if slot is None:
            return None
        document = self.recorder.by_command(slot)
        if document is None:
            return None
        command.appended(stream_id)
        return self._commit(document)

    def _envelope(
        self, event: NewEvent, stream_id: str, version: int, context: CommandContext
    ) -> Envelope:
        schema_version, payload = self.registry.serialize(event.type, event.payload)
        return Envelope.new(
            NewEvent(event.type, payload), stream_id=stream_id, stream_version=version,
            context=context, schema_version=schema_version,
        )

    def _next_position(self, count: int = 1) -> int:
        first = self.recorder.next_position(count)
        if self.own_positions is not None:
            self.own_positions.taken(first, count)
        return first

    def _stored(self, document: dict[str, Any], pending: bool) -> None:
        if self.own_positions is not None:
            self.own_positions.stored(document, pending)

    def _document(self, commit: Commit, pending: bool,
                  command: str | None = None) -> dict[str, Any]:
        document: dict[str, Any] = {
            "_id": commit.id,
            "stream_id": commit.stream_id,
            "version": commit.version,
            "last_version": commit.last_version,
            "position": commit.position,
            "events": [self._sealed(envelope) for envelope in commit.events],
            "recorded_at": commit.recorded_at,
            "received": commit.received,
        }
        if pending:
            document["pending"] = True
        if command is not None:
            document["command"] = command
        return document

    def _commit(self, document: dict[str, Any]) -> Commit:
        return Commit.read(
            id=document["_id"],
            stream_id=document["stream_id"],
            version=document["version"],
            position=document["position"],
            events=[
                self.registry.upcast_envelope(unseal_envelope(self.keys, Envelope.stored(event)))
                for event in document["events"]
            ],
            recorded_at=document["recorded_at"],
            received=document.get("received", False),
        )


    def _sealed(self, envelope: Envelope) -> dict[str, Any]:
        # the payload as seal_payload returns it (the envelope's own when nothing is sealed, as
        # before): a deep copy of it (`to_dict`) was made for every stored event and thrown away
        return {**envelope.header(), "payload": seal_payload(self.keys, envelope.type,
                                                             envelope.payload)}


def len_version(history: list[Envelope]) -> int:
    """The stream version a history ends at (0 for a new stream)."""
    return history[-1].stream_version if history else 0


def decided_again(attempt: Callable[[], T], retries: int = COMMAND_RETRIES) -> T:
    """`attempt` (load, decide, append) run again while another writer appended first (its
    `ConcurrencyConflict`), up to `retries` more times: what each command does on a busy
    stream, whatever it appends."""
    conflicts = 0
    while True:
        try:
            return attempt()
        except ConcurrencyConflict:
            conflicts += 1
            if conflicts > retries:
                raise



def in_memory_event_store(service: str = "memory", registry: PayloadRegistry = REGISTRY
                          ) -> EventStore:
    """An event store kept in this process's memory, with its own key store: the same rules as
    a service's (it passes the same contract suite), for unit tests of the pure domain."""
    from .shredding import InMemoryKeys

    return EventStore(None, service, registry, keys=InMemoryKeys(), recorder=InMemoryRecorder())
