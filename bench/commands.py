"""What one database command costs (the database at MONGO_URI, e.g. the local stand-in)

    python -m bench commands
    BENCH_COMMANDS_AGAINST=mongodb://127.0.0.1:27118 python -m bench commands

A collection shaped like the services' read models (20,000 documents of ~300 bytes, a unique
index and a compound one) takes, one client, one command at a time: `ping` (the round trip, the
floor), `find_one` by `_id`, `insert_one`, `update_one` by `_id` (`$set` + `$inc`), an upsert of
a new `_id`, a refused upsert (a duplicate key: a lease someone else holds, an event already
applied — everyday answers in Agora), and a page (equality + sort + limit 20 over 400 matches).
Printed per command: p50 µs and its excess over ping's p50 (≈ the server's own time).

With BENCH_COMMANDS_AGAINST set, a second database (say, the stand-in of the previous commit on
another port) is measured in the same run, command by command interleaved with the first so
that both see the same load on the machine, and the ratio MONGO_URI / AGAINST is printed.
Knob: BENCH_COMMANDS_N (3,000 of each command per database).
"""
from __future__ import annotations

import os
import statistics
import time
import uuid

from pymongo import ASCENDING, DESCENDING, MongoClient
from pymongo.errors import DuplicateKeyError

from services.shared.config import stack_env

MONGO_URI = stack_env().get("MONGO_URI", "mongodb://127.0.0.1:27017")  # the environment wins
AGAINST = os.environ.get("BENCH_COMMANDS_AGAINST", "")
N = int(os.environ.get("BENCH_COMMANDS_N", "3000"))
SEEDED = 20_000
AUTHORS = 50
WARM_UP = 300  # unmeasured commands of each kind first (the server's JIT, the client's pool)


def _refused_upsert(collection, n: int) -> None:
    try:
        collection.find_one_and_update({"_id": "lease", "until": {"$lt": 0}},
                                       {"$set": {"until": n}}, upsert=True)
    except DuplicateKeyError:
        return
    raise AssertionError("the lease was taken twice")


COMMANDS = {
    "ping": lambda client, items, n: client.admin.command("ping"),
    "find_one by _id": lambda client, items, n: items.find_one({"_id": f"seed{n}"}),
    "insert_one": lambda client, items, n: items.insert_one(
        {"_id": f"new{n}", "k": n, "author": f"a{n % AUTHORS}", "ts": n, "body": "x" * 300}),
    "update_one by _id": lambda client, items, n: items.update_one(
        {"_id": f"new{n}"}, {"$set": {"seen": n}, "$inc": {"count": 1}}),
    "upsert (new _id)": lambda client, items, n: items.update_one(
        {"_id": f"up{n}"}, {"$set": {"k": 10**7 + n}}, upsert=True),
    "refused upsert (dup key)": lambda client, items, n: _refused_upsert(items, n),
    "page of 20 (400 match)": lambda client, items, n: list(
        items.find({"author": f"a{n % AUTHORS}"}).sort("ts", DESCENDING).limit(20)),
}


def _prepare(uri: str):
    client = MongoClient(uri, serverSelectionTimeoutMS=5000)
    db = client[f"bench_commands_{uuid.uuid4().hex[:6]}"]
    items = db["items"]
    items.create_index([("author", ASCENDING), ("ts", DESCENDING)], name="author_newest")
    items.create_index("k", unique=True)
    for start in range(0, SEEDED, 5000):
        items.insert_many([{"_id": f"seed{n}", "k": -n - 1, "author": f"a{n % AUTHORS}", "ts": -n,
                            "body": "y" * 300} for n in range(start, start + 5000)])
    items.insert_one({"_id": "lease", "k": -10**9, "until": 10**12})
    return client, db, items


def main() -> None:
    sides = [_prepare(MONGO_URI)] + ([_prepare(AGAINST)] if AGAINST else [])
    medians: dict = {}
    try:
        for name, command in COMMANDS.items():
            samples: list[list[float]] = [[] for _ in sides]
            for n in range(-WARM_UP, N):
                order = range(len(sides)) if n % 2 else reversed(range(len(sides)))
                for side in order:  # interleaved, alternating who goes first
                    client, _, items = sides[side]
                    started = time.perf_counter()
                    command(client, items, n + WARM_UP)
                    if n >= 0:
                        samples[side].append((time.perf_counter() - started) * 1e6)
            medians[name] = [statistics.median(values) for values in samples]
    finally:
        for client, db, _ in sides:
            client.drop_database(db.name)
            client.close()
    print(f"database: {MONGO_URI}" + (f"  (against: {AGAINST})" if AGAINST else ""))
    header = f"{'command':26} {'p50 us':>8} {'- ping':>8}"
    if AGAINST:
        header += f" {'against':>8} {'- ping':>8} {'ratio':>6} {'ratio - ping':>13}"
    print(header)
    floor = medians["ping"]
    for name, values in medians.items():
        line = f"{name:26} {values[0]:8.0f} {values[0] - floor[0]:8.0f}"
        if AGAINST:
            excess = (values[0] - floor[0]) / (values[1] - floor[1]) if name != "ping" else 1.0
            line += (f" {values[1]:8.0f} {values[1] - floor[1]:8.0f} {values[0] / values[1]:6.2f}"
                     f" {excess:13.2f}")
        print(line)
