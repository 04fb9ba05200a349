"""Replay throughput: events/s rebuilding read models from the log (the database at MONGO_URI).

    python -m bench replay           (make bench runs every benchmark)
    python -m bench replay --against ../agora-before [--rounds 3]
                                     the way replays run now, this checkout's against another's

`--against CHECKOUT`: each log is replayed only the way replays run now, by this checkout and by
CHECKOUT (its own .venv, if it has one), one after the other in separate processes, `--rounds`
times alternated (each first every other round); printed per log and checkout: events/s and
the replay process's whole CPU (reading, applying and sending) and, when the database server
runs on this machine (the stand-in or a mongod serving MONGO_URI's port), its CPU per event
meanwhile (its share of the work, and whatever else the shared server did), the median of the
rounds, with the load average — a change to the replay measured before/after under the same
load (the old checkout needs nothing new: the script it runs uses what bench/replay.py has had
since replays were written behind).

Each log is replayed by `services.shared.projections.replay` four ways in the same run: event
at a time (`batch_size=0`, the live path, as replays ran before batching), batched writes
(`resident_limit=0`: nothing held in memory, the handlers' writes buffered and sent in bulk
every 1,000 events, a read flushing them — replays before they were held in memory), in memory
and written at the end (`write_behind=False`: each final document inserted once, after the log
is applied — replays before writing behind) and as replays run now (in memory, what stopped
changing inserted by another thread while the log is applied); all must rebuild exactly the
same documents. Printed per log: events/s of each way and the ratios, the database commands
(round trips) per 1,000 events, and for the last way its two parts — reading and applying the
log, and what was left to write after it — with this process's CPU and the load average.

- synthetic: BENCH_REPLAY_EVENTS events (default 10,000: 2,000 streams, 5 commits of one event
  each, interleaved as concurrent writers leave them) into a projection shaped like the
  services' — per event a set-style write of the stream's own document (`update_versioned`), a
  counter (`update_once`) and an insert-once line (`insert_new`);
- a community (bench/community_log.py): BENCH_REPLAY_MEMBERS members (100) following 5 others,
  BENCH_REPLAY_POSTS posts (400) each published through moderation with 2 replies and 3 votes —
  replayed into posts' and feeds' real read models, what `agora replay posts|feeds` runs.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from datetime import timedelta

from marshmallow import Schema, fields
from pymongo import MongoClient, monitoring
from pymongo.errors import OperationFailure

from services.shared.config import stack_env
from services.shared.envelope import CommandContext, Envelope, NewEvent, utc_now
from services.shared.event_store import EventStore
from services.shared.payloads import REGISTRY
from services.shared.projections import (
    REPLAY_BATCH,
    REPLAY_RESIDENT,
    Projection,
    ReadModels,
    insert_new,
    replay,
    update_once,
    update_versioned,
)

from .processes import cpu_seconds, shared_pid, stand_in_pattern

MONGO_URI = stack_env().get("MONGO_URI", "mongodb://127.0.0.1:27017")  # the environment wins
EVENTS = int(os.environ.get("BENCH_REPLAY_EVENTS", "10000"))
PER_STREAM = 5
POSTS = int(os.environ.get("BENCH_REPLAY_POSTS", "400"))
MEMBERS = int(os.environ.get("BENCH_REPLAY_MEMBERS", "100"))

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


WAYS = (  # label, batch_size, resident_limit, write_behind
    ("event at a time", 0, 0, False),  # the live path, as replays ran before batching
    ("batched writes", REPLAY_BATCH, 0, False),  # nothing held in memory: buffered bulk writes
    ("in memory, written at the end", REPLAY_BATCH, REPLAY_RESIDENT, False),  # before writing
    # behind: every document inserted after the log is applied
    ("in memory, written behind", REPLAY_BATCH, REPLAY_RESIDENT, True),  # replays now
)


def _replay_every_way(store: EventStore, projection: Projection, events: int,
                      commands: _CommandCount, snapshot) -> dict[str, tuple[float, float, dict]]:
    """Replay the same log each of the `WAYS`; checks they all rebuilt the same documents.
    Returns, per way, events/s, database commands per 1,000 events and the replay's own
    figures."""
    figures, snapshots = {}, []
    for label, batch_size, resident_limit, write_behind in WAYS:
        commands.count = 0
        started = time.perf_counter()
        result = replay(store, projection, out=io.StringIO(), quiesce_seconds=0,
                        batch_size=batch_size, resident_limit=resident_limit,
                        write_behind=write_behind)
        seconds = time.perf_counter() - started
        assert result["events"] == events, (result, events)
        figures[label] = (events / seconds, commands.count * 1000 / events, result)
        snapshots.append(snapshot())
    assert all(each == snapshots[0] for each in snapshots), f"{projection.name}: replays differ"
    return figures


def _print(title: str, figures: dict[str, tuple[float, float, dict]]) -> None:
    print(title)
    for label, (rate, trips, _) in figures.items():
        print(f"  {label:<31}{rate:>10,.0f} events/s {trips:>10,.0f} commands / 1,000 events")
    (slow, slow_trips, _), (batched, _, _), (at_end, _, _), (fast, fast_trips, parts) = (
        figures.values())
    print(f"  ratio written behind / event at a time: {fast / slow:.1f}x events/s, "
          f"{slow_trips / max(fast_trips, 1e-9):.0f}x fewer round trips; "
          f"/ batched writes: {fast / batched:.1f}x; / written at the end: {fast / at_end:.2f}x")
    applied = parts["events"] / max(parts["applied_seconds"], 1e-9)
    print(f"  written behind: log read and applied at {applied:,.0f} events/s (documents "
          f"that stopped changing inserted meanwhile), then what was left of its "
          f"{parts['documents_written']:,} documents written in {parts['written_seconds']:.2f}s")
    # the replay's own CPU: what it would take on a core of its own (the rest of each part's
    # time waited for the database, or for a core on a loaded machine)
    print(f"  written behind, this process's CPU: {parts['applied_cpu_seconds']:.2f}s to read "
          f"and apply ({parts['events'] / max(parts['applied_cpu_seconds'], 1e-9):,.0f} events/s), "
          f"{parts['written_cpu_seconds']:.2f}s to send the inserts; load average "
          f"{os.getloadavg()[0]:.1f}")


def _models(db, projection: Projection) -> dict:
    return {name: sorted(db[name].find(), key=lambda d: str(d["_id"]))
            for name in projection.collections}


def _drop(client: MongoClient, name: str) -> None:
    try:
        client.drop_database(name)
    except OperationFailure:  # the stand-in refused once after renames: collection by collection
        for collection in client[name].list_collection_names():
            client[name].drop_collection(collection)
        client.drop_database(name)


# Run by each checkout for `--against`, in its own directory: every log replayed once the way
# replays run now; one JSON line per log (only names bench/replay.py has long had).
_ONE_ROUND = """
import io, json, time, uuid
from pymongo import MongoClient
import bench.replay as br
from bench import community_log
from services.shared.event_store import EventStore
from services.shared.projections import replay
from services.feeds.projections import VIEWS as FEEDS
from services.posts.projections import VIEWS as POSTS
client = MongoClient(br.MONGO_URI, tz_aware=True, serverSelectionTimeoutMS=5000)
prefix = "bench_replay_" + uuid.uuid4().hex[:6]
try:
    notes = EventStore(client[prefix], "benchreplay")
    posts = EventStore(client[prefix + "_posts"], "posts")
    feeds = EventStore(client[prefix + "_feeds"], "feeds")
    for each in (notes, posts, feeds):
        each.ensure_indexes()
    br._fill(notes)
    counts = community_log.build(posts, feeds, members=br.MEMBERS, posts=br.POSTS, replies=2,
                                 votes=3)
    for name, store, views, events in (("synthetic", notes, br.NOTES, br.EVENTS),
                                       ("posts", posts, POSTS, counts[0]),
                                       ("feeds", feeds, FEEDS, counts[1])):
        print(json.dumps({"starting": name}), flush=True)  # the database's CPU from here
        started, cpu = time.perf_counter(), time.process_time()
        result = replay(store, views, out=io.StringIO(), quiesce_seconds=0)
        assert result["events"] == events, (result, events)
        print(json.dumps({"log": name, "events": events,
                          "seconds": time.perf_counter() - started,
                          "cpu": time.process_time() - cpu}), flush=True)
finally:
    for name in client.list_database_names():
        if name.startswith(prefix):
            br._drop(client, name)
"""


def _one_round(checkout: str, database: int | None) -> dict[str, dict]:
    """Each log replayed once by `checkout`'s code, in a process of its own; with the CPU the
    `database` process (a pid) used meanwhile, read when the script says a log starts and when
    it ends (its own work and whatever else the shared server did)."""
    python = os.path.join(checkout, ".venv", "bin", "python")
    pids = {"database": database} if database else {}
    lines, before = {}, {}
    with tempfile.TemporaryFile("w+") as errors, subprocess.Popen(
            [python if os.path.exists(python) else sys.executable, "-c", _ONE_ROUND],
            cwd=checkout, stdout=subprocess.PIPE, stderr=errors, text=True,
            env={**os.environ, "PYTHONPATH": checkout, "MONGO_URI": MONGO_URI}) as process:
        for text in process.stdout:
            if not text.startswith("{"):
                continue
            line, now = json.loads(text), cpu_seconds(pids).get("database")
            if "starting" in line:
                before[line["starting"]] = now
            else:
                lines[line["log"]] = {**line, "database_cpu": None if now is None
                                      else now - before[line["log"]]}
        if process.wait():
            errors.seek(0)
            raise RuntimeError(f"{checkout}: {errors.read()[-2000:]}")
    return lines


def _database_pid() -> int | None:
    """The local stand-in (or mongod) serving MONGO_URI, if it runs on this machine."""
    port = urllib.parse.urlsplit(MONGO_URI).port or 27017
    return shared_pid(stand_in_pattern(port)) or shared_pid(f"mongod .*--port {port}( |$)")


def _in_turn(checkouts: dict[str, str], round_: int) -> list[tuple[str, str]]:
    """The checkouts in the order they replay in `round_` (from 1): each first every other
    round. Why: a round's first replays met the stand-in still busy with the previous round's
    dropped databases — synthetic, replayed first, measured 0.91x twice with the same replay
    code on both sides when this checkout always went first."""
    order = list(checkouts.items())
    return order if round_ % 2 else order[::-1]


def _against(other: str, rounds: int) -> None:
    checkouts = {"this checkout": os.getcwd(), other: os.path.abspath(other)}
    figures: dict[str, list[dict]] = {label: [] for label in checkouts}
    database = _database_pid()
    for round_ in range(1, rounds + 1):  # alternated: both see the same moments of the load
        for label, path in _in_turn(checkouts, round_):
            figures[label].append(_one_round(path, database))
            print(f"round {round_}, {label}: " + ", ".join(
                f"{log} {each['events'] / each['seconds']:,.0f} events/s "
                f"({each['events'] / each['cpu']:,.0f} per CPU second{_database(each)})"
                for log, each in figures[label][-1].items())
                  + f"; load average {os.getloadavg()[0]:.1f}", flush=True)
    print(f"median of {rounds} rounds, written behind (events/s; per CPU second of the replay "
          f"process: reading, applying, sending)")
    mine, theirs = figures["this checkout"], figures[other]
    for log in mine[0]:
        rate = [statistics.median(r[log]["events"] / r[log]["seconds"] for r in runs)
                for runs in (mine, theirs)]
        per_cpu = [statistics.median(r[log]["events"] / r[log]["cpu"] for r in runs)
                   for runs in (mine, theirs)]
        print(f"  {log:<10} this checkout {rate[0]:>7,.0f} ({per_cpu[0]:>6,.0f}), {other} "
              f"{rate[1]:>7,.0f} ({per_cpu[1]:>6,.0f}): {rate[0] / rate[1]:.2f}x events/s, "
              f"{per_cpu[0] / per_cpu[1]:.2f}x per CPU second")
        if database:
            spent = [statistics.median(r[log]["database_cpu"] * 1e6 / r[log]["events"]
                                       for r in runs) for runs in (mine, theirs)]
            print(f"  {'':<10} the database's CPU per event (median, µs): this checkout "
                  f"{spent[0]:,.0f}, {other} {spent[1]:,.0f}")


def _database(figures: dict) -> str:
    """The database's CPU beside the replay's, per event (the same unit: what each spent)."""
    if figures.get("database_cpu") is None:
        return ""
    return (f"; the database {figures['database_cpu'] * 1e6 / figures['events']:,.0f} µs "
            f"of CPU per event, the replay {figures['cpu'] * 1e6 / figures['events']:,.0f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench replay")
    parser.add_argument("--against", metavar="CHECKOUT",
                        help="the way replays run now, this checkout's against CHECKOUT's")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv or [])
    if args.against:
        _against(args.against, args.rounds)
        return
    _every_way()


def _every_way() -> None:
    from services.feeds.projections import VIEWS as FEEDS_VIEWS
    from services.posts.projections import VIEWS as POSTS_VIEWS

    from . import community_log

    commands = _CommandCount()
    client = MongoClient(MONGO_URI, tz_aware=True, serverSelectionTimeoutMS=5000,
                         event_listeners=[commands])
    prefix = f"bench_replay_{uuid.uuid4().hex[:6]}"
    try:
        store = EventStore(client[prefix], "benchreplay")
        store.ensure_indexes()
        _fill(store)
        synthetic = _replay_every_way(store, NOTES, EVENTS, commands,
                                      lambda: _snapshot(store.db))
        posts = EventStore(client[f"{prefix}_posts"], "posts")
        feeds = EventStore(client[f"{prefix}_feeds"], "feeds")
        for each in (posts, feeds):
            each.ensure_indexes()
        posts_events, feeds_events = community_log.build(
            posts, feeds, members=MEMBERS, posts=POSTS, replies=2, votes=3)
        real = {
            name: _replay_every_way(each, views, count, commands,
                                    lambda each=each, views=views: _models(each.db, views))
            for name, each, views, count in (("posts", posts, POSTS_VIEWS, posts_events),
                                             ("feeds", feeds, FEEDS_VIEWS, feeds_events))}
    finally:
        for name in client.list_database_names():
            if name.startswith(prefix):
                _drop(client, name)
        client.close()
    print(f"database: {MONGO_URI}")
    _print(f"synthetic: {EVENTS:,} events in {EVENTS // PER_STREAM:,} streams "
           f"(a versioned set, a counter, an insert per event)", synthetic)
    print(f"a community: {MEMBERS:,} members following 5 each, {POSTS:,} posts with 2 replies "
          f"and 3 votes each, published through moderation")
    _print(f"posts' read models ({posts_events:,} events: `agora replay posts`)", real["posts"])
    _print(f"feeds' read models ({feeds_events:,} events: `agora replay feeds`)", real["feeds"])
