"""Replay throughput: events/s rebuilding read models from the log (the database at MONGO_URI).

    python -m bench replay           (make bench runs every benchmark)

A log of BENCH_REPLAY_EVENTS events (default 10,000: 2,000 streams, 5 commits of one event each,
interleaved as concurrent writers leave them) is replayed by `services.shared.projections.replay`
into a projection shaped like the services' — per event, a set-style write of the stream's own
document (`update_versioned`), a counter (`update_once`) and an insert-once line
(`insert_new`) — twice in the same run, on the same log: event at a time (`batch_size=0`, the
implementation before batching) and in batches (the default). Printed: events/s of each and the
ratio, and the database commands (round trips) each sent per 1,000 events — the figure batching
cuts, exact and independent of the machine; on the stand-in each write costs the server ~0.3 ms
whatever the batching, so events/s there moves less than round trips — after checking that both
rebuilt exactly the same documents.
"""
from __future__ import annotations

import io
import os
import time
import uuid
from datetime import timedelta

from marshmallow import Schema, fields
from pymongo import MongoClient, monitoring

from services.shared.config import stack_env
from services.shared.envelope import CommandContext, Envelope, NewEvent, utc_now
from services.shared.event_store import EventStore
from services.shared.payloads import REGISTRY
from services.shared.projections import (
    REPLAY_BATCH,
    Projection,
    ReadModels,
    insert_new,
    replay,
    update_once,
    update_versioned,
)

MONGO_URI = stack_env().get("MONGO_URI", "mongodb://127.0.0.1:27017")  # the environment wins
EVENTS = int(os.environ.get("BENCH_REPLAY_EVENTS", "10000"))
PER_STREAM = 5

if not REGISTRY.knows("benchreplay.noted"):
    REGISTRY.register("benchreplay.noted")(type("Noted", (Schema,), {
        "n": fields.Integer(required=True), "title": fields.String(required=True),
        "author": fields.String(required=True)}))

NOTES = Projection("bench_notes", service="benchreplay",
                   collections=["notes", "authors", "lines"],
                   indexes=lambda rm: rm["lines"].create_index("note_id", name="note"))


@NOTES.on("benchreplay.noted")
def _noted(rm: ReadModels, event: Envelope) -> None:
    payload = event.payload
    update_versioned(rm["notes"], event.stream_id, event,
                     {"$set": {"title": payload["title"], "author": payload["author"]}})
    update_once(rm["authors"], payload["author"], event, {"$inc": {"notes": 1}})
    insert_new(rm["lines"], [{"_id": event.id, "note_id": event.stream_id, "n": payload["n"]}])


def _fill(store: EventStore) -> None:
    # recorded an hour ago: what a replay catches up with after its swap (events recorded while
    # it ran) is then nothing, as on a log that is not being written this very minute
    recorded_at = utc_now() - timedelta(hours=1)
    streams = EVENTS // PER_STREAM
    documents = []
    position = 0
    for version in range(1, PER_STREAM + 1):  # every stream's v1, then every v2, ...
        for s in range(streams):
            position += 1
            envelope = Envelope.new(
                NewEvent("benchreplay.noted", {"n": position, "title": f"title {position}",
                                               "author": f"author-{s % 97}"}),
                stream_id=f"note-{s}", stream_version=version, context=CommandContext())
            documents.append({
                "_id": envelope.id, "stream_id": envelope.stream_id, "version": version,
                "last_version": version, "position": position,
                "events": [envelope.to_dict()], "recorded_at": recorded_at, "received": False})
    for start in range(0, len(documents), 1000):
        store.events.insert_many(documents[start:start + 1000])


def _snapshot(db) -> dict:
    def strip(document):
        return {k: v for k, v in document.items() if k not in ("_applied",)}
    return {name: sorted((strip(d) for d in db[name].find()), key=lambda d: str(d["_id"]))
            for name in NOTES.collections}


class _CommandCount(monitoring.CommandListener):
    def __init__(self):
        self.count = 0

    def started(self, event):
        self.count += 1

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def main() -> None:
    commands = _CommandCount()
    client = MongoClient(MONGO_URI, tz_aware=True, serverSelectionTimeoutMS=5000,
                         event_listeners=[commands])
    db = client[f"bench_replay_{uuid.uuid4().hex[:6]}"]
    try:
        store = EventStore(db, "benchreplay")
        store.ensure_indexes()
        _fill(store)
        rates, snapshots, trips = {}, {}, {}
        for label, batch_size in (("event at a time", 0), (f"batches of {REPLAY_BATCH}",
                                                           REPLAY_BATCH)):
            commands.count = 0
            started = time.perf_counter()
            figures = replay(store, NOTES, out=io.StringIO(), quiesce_seconds=0,
                             batch_size=batch_size)
            seconds = time.perf_counter() - started
            assert figures["events"] == EVENTS, figures
            rates[label] = EVENTS / seconds
            trips[label] = commands.count * 1000 / EVENTS
            snapshots[label] = _snapshot(db)
        first, second = snapshots.values()
        assert first == second, "the two replays rebuilt different read models"
    finally:
        client.drop_database(db.name)
        client.close()
    print(f"database: {MONGO_URI}; {EVENTS:,} events in {EVENTS // PER_STREAM:,} streams")
    for label, rate in rates.items():
        print(f"{label:<22}{rate:>10,.0f} events/s {trips[label]:>10,.0f} commands / 1,000 events")
    slow, fast = rates.values()
    print(f"ratio batched / event at a time: {fast / slow:.2f}x events/s, "
          f"{trips[next(iter(trips))] / trips[list(trips)[1]]:.0f}x fewer round trips")
