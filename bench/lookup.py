"""Does an indexed lookup stay flat as a collection grows? (the database at MONGO_URI)

    python -m bench lookup           (make bench runs every benchmark)

A collection shaped like feeds' items (10 documents per author, index (author_id, ts desc)) is
filled to 1,000 and then to 100,000 documents; at each size the same query — a member's activity,
`find({"author_id": a}).sort("ts", -1).limit(20)`, 10 matches whatever the size — is timed, and so
is the baseline measured in the same run: a lookup by `_id` (unique, so served by an index on
MongoDB and on the stand-in alike).

The same documents also belong to one of 100 topics (index (topic_id, ts desc)), so a topic holds
10 documents at 1,000 and 1,000 at 100,000: its first page, `find({"topic_id": t}).sort("ts",
-1).limit(20)`, and its `count_documents` show whether the cost follows the page or what matched
(on MongoDB, the page: an index walk stops after 20 entries, and a count reads index keys only).

The documents are also an event log's commits (two per stream, `stream_id` and `version`
unique together; a unique log `position`): a stream's commits, `find({"stream_id":
s}).sort("version", 1)`, and the log after a position, `find({"position": {"$gt": p}}).sort(
"position", 1).limit(20)` — what every command and every relay pass reads — are served by
unique indexes on a leading part of their fields or by a range (MongoDB: an index seek). And a
replay's first batch: the whole log after position 0, sorted, 500 a batch (`agora replay` reads
it so) — the time to its first commit (MongoDB: a seek and 500 entries, whatever the log's size).

Printed: median latency per size and the ratio 100,000 / 1,000 for each (≈ 1 means the lookup
does not depend on the collection's size; MongoDB gives ≈ 1 for the first three, and a count
that grows with the entries it counts, far below the documents'). Sizes: BENCH_LOOKUP_SMALL,
BENCH_LOOKUP_LARGE.
"""
from __future__ import annotations

import os
import random
import statistics
import time
import uuid

from pymongo import ASCENDING, DESCENDING, MongoClient

from services.shared.config import stack_env

MONGO_URI = stack_env().get("MONGO_URI", "mongodb://127.0.0.1:27017")  # the environment wins
SMALL = int(os.environ.get("BENCH_LOOKUP_SMALL", "1000"))
LARGE = int(os.environ.get("BENCH_LOOKUP_LARGE", "100000"))
PER_AUTHOR = 10
TOPICS = 100  # documents per topic: size / TOPICS
ROUNDS = 200
WARM_UP = 3.0    # seconds of unmeasured rounds first
TIME_BOX = 20.0  # seconds in all: a scanning server gets fewer samples, not a longer run


def _fill(collection, start: int, stop: int) -> None:
    batch = []
    for n in range(start, stop):
        batch.append({"_id": f"i{n}", "author_id": f"a{n // PER_AUTHOR}",
                      "topic_id": f"t{n % TOPICS}", "ts": n, "state": "published",
                      "title": f"title {n}", "excerpt": "x" * 200,
                      "stream_id": f"s{n // 2}", "version": n % 2 + 1, "position": n})
        if len(batch) == 5000:
            collection.insert_many(batch, ordered=False)
            batch = []
    if batch:
        collection.insert_many(batch, ordered=False)


def _medians_ms(queries: dict) -> dict:
    """Median latency of each query, taken in interleaved rounds so that both sizes see the same
    server conditions (JIT, background writes of the fill, other load on the machine)."""
    rng = random.Random(7)
    samples: dict = {key: [] for key in queries}
    warm_until = time.perf_counter() + WARM_UP
    rounds = 0
    deadline = time.perf_counter() + TIME_BOX
    while rounds < ROUNDS and time.perf_counter() < deadline:
        for key, (query, size) in queries.items():
            n = rng.randrange(size)
            started = time.perf_counter()
            query(n)
            if time.perf_counter() > warm_until:  # the first seconds only warm up
                samples[key].append(time.perf_counter() - started)
        if time.perf_counter() > warm_until:
            rounds += 1
    return {key: statistics.median(values) * 1000 for key, values in samples.items()}


def main() -> None:
    client = MongoClient(MONGO_URI, serverSelectionTimeoutMS=5000)
    db = client[f"bench_lookup_{uuid.uuid4().hex[:6]}"]
    collections = {size: db[f"items_{size}"] for size in (SMALL, LARGE)}

    def by_author(items):
        def query(n: int) -> None:
            found = list(items.find({"author_id": f"a{n // PER_AUTHOR}"}).sort("ts", -1)
                         .limit(20))
            assert len(found) == PER_AUTHOR, found
        return query

    def topic_page(items):
        def query(n: int) -> None:
            found = list(items.find({"topic_id": f"t{n % TOPICS}"}).sort("ts", -1).limit(20))
            assert found and [item["ts"] for item in found] == sorted(
                (item["ts"] for item in found), reverse=True), found
        return query

    def topic_count(items):
        def query(n: int) -> None:
            assert items.count_documents({"topic_id": f"t{n % TOPICS}"}) > 0
        return query

    def stream(items):
        def query(n: int) -> None:
            assert len(list(items.find({"stream_id": f"s{n // 2}"}).sort("version", 1))) == 2
        return query

    def log_after(items):
        def query(n: int) -> None:
            assert list(items.find({"position": {"$gte": n}}).sort("position", 1).limit(20))
        return query

    def replay_start(items):
        def query(n: int) -> None:
            cursor = items.find({"position": {"$gt": 0}}).sort("position", 1).batch_size(500)
            assert next(cursor)["position"] == 1
            cursor.close()
        return query

    def by_id(items):
        def query(n: int) -> None:
            assert items.find_one({"_id": f"i{n}"}) is not None
        return query

    try:
        for size, items in collections.items():
            items.create_index([("author_id", ASCENDING), ("ts", DESCENDING)], name="author")
            items.create_index([("topic_id", ASCENDING), ("ts", DESCENDING)], name="topic")
            items.create_index([("stream_id", ASCENDING), ("version", ASCENDING)], unique=True,
                               name="stream_version")
            items.create_index([("position", ASCENDING)], unique=True, name="position")
            _fill(items, 0, size)
        medians = _medians_ms({(kind, size): (make(items), size)
                               for size, items in collections.items()
                               for kind, make in (("author", by_author), ("id", by_id),
                                                  ("topic", topic_page), ("count", topic_count),
                                                  ("stream", stream), ("log", log_after),
                                                  ("replay", replay_start))})
    finally:
        client.drop_database(db.name)
        client.close()
    print(f"database: {MONGO_URI}")
    print(f"{'documents':>10}  {'author lookup p50':>18}  {'_id lookup p50':>15}  "
          f"{'topic page p50':>15}  {'topic count p50':>16}")
    for size in collections:
        print(f"{size:>10,}  {medians[('author', size)]:>15.2f} ms  "
              f"{medians[('id', size)]:>12.2f} ms  {medians[('topic', size)]:>12.2f} ms  "
              f"{medians[('count', size)]:>13.2f} ms")

    def ratio(kind: str) -> float:
        return medians[(kind, LARGE)] / medians[(kind, SMALL)]

    print(f"ratio {LARGE:,} / {SMALL:,}: indexed lookup {ratio('author'):.2f}x, "
          f"_id lookup (baseline) {ratio('id'):.2f}x  (flat = 1.0)")
    print(f"  topic page (20 of {SMALL // TOPICS:,} vs {LARGE // TOPICS:,} matches) "
          f"{ratio('topic'):.2f}x, topic count {ratio('count'):.2f}x")
    print(f"  event log (unique indexes): a stream's commits {medians[('stream', SMALL)]:.2f} -> "
          f"{medians[('stream', LARGE)]:.2f} ms = {ratio('stream'):.2f}x, the log after a "
          f"position {medians[('log', SMALL)]:.2f} -> {medians[('log', LARGE)]:.2f} ms = "
          f"{ratio('log'):.2f}x")
    print(f"  a replay's first batch (the whole log, 500 a batch): {medians[('replay', SMALL)]:.2f}"
          f" -> {medians[('replay', LARGE)]:.2f} ms = {ratio('replay'):.2f}x")
