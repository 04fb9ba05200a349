"""The cost of crypto-shredding: event append and replay rates with and without sealing.

    python -m bench shredding        (BENCH_SHRED_EVENTS, default 3,000 events per variant)

Two event types with the same payload (a member's display name, bio and e-mail address, as
identity's events carry): one declared personal (its three fields sealed with the member's key
when appended, unsealed when read), one not. In the same run, on the database at MONGO_URI:

- append: events appended one commit at a time through `EventStore.append` (the command path:
  position counter, insert; plus, when sealed, the key lookup — a key created on the member's
  first event, then read from the process's cache — and three AES-GCM encryptions);
- read: every commit of each log read back in order (`EventStore.read_all`, what a replay reads),
  the sealed one unsealed: the decryption cost alone;
- replay: `services.shared.projections.replay` of each log into a profile read model (one
  versioned write per event), which unseals every event it reads;
- after erasure: read and replay of the sealed log again once every member's key is shredded
  (what `agora replay` does after erasures: placeholders, no decryption).

Appends alternate between the two logs version by version, reads and replays alternate over
three rounds (medians): the machine's load from elsewhere weighs on both alike. Printed: events/s
of each and the ratios sealed / plain (1.00 = no cost); the plain baseline of the "after erasure"
lines is measured again beside the shredded ones.
"""
from __future__ import annotations

import io
import os
import statistics
import time
import uuid
from datetime import timedelta

from marshmallow import Schema, fields
from pymongo import MongoClient

from services.shared.config import stack_env
from services.shared.envelope import CommandContext, Envelope, NewEvent, utc_now
from services.shared.event_store import EventStore
from services.shared.payloads import REGISTRY
from services.shared.projections import Projection, ReadModels, replay, update_versioned
from services.shared.shredding import ERASED_DISPLAY_NAME, declare_personal, is_sealed

MONGO_URI = stack_env().get("MONGO_URI", "mongodb://127.0.0.1:27017")  # the environment wins
EVENTS = int(os.environ.get("BENCH_SHRED_EVENTS", "3000"))
EVENTS_PER_MEMBER = 5  # a registration and a few profile changes
ROUNDS = 3
SEALED, PLAIN = "benchshred.profile_sealed", "benchshred.profile_plain"

for _type in (SEALED, PLAIN):
    if not REGISTRY.knows(_type):
        REGISTRY.register(_type)(type("Profile", (Schema,), {
            "user_id": fields.String(required=True), "display_name": fields.String(required=True),
            "bio": fields.String(required=True), "email": fields.String(required=True)}))
declare_personal(SEALED, "user_id", {"display_name": ERASED_DISPLAY_NAME, "bio": "",
                                     "email": None})

PROFILES = Projection("bench_profiles", service="benchshred", collections=["profiles"])


@PROFILES.on(SEALED, PLAIN)
def _profile(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    update_versioned(rm["profiles"], event.stream_id, event, {"$set": {
        "display_name": p["display_name"], "bio": p["bio"], "email": p["email"]}})


def _append(store: EventStore, event_type: str, members: range, version: int) -> float:
    """Seconds to append one event to each member's stream."""
    started = time.perf_counter()
    for m in members:
        store.append(f"user-{m}", version - 1, [NewEvent(event_type, {
            "user_id": f"{event_type}-u{m}", "display_name": f"Member {m} v{version}",
            "bio": "Client de l'agence de Lyon depuis 2004, épargne et crédit immobilier.",
            "email": f"member{m}@example.org"})], CommandContext(actor=f"u{m}"))
    return time.perf_counter() - started


def _read(store: EventStore) -> float:
    started = time.perf_counter()
    count = sum(len(commit.events) for commit in store.read_all())
    return count / (time.perf_counter() - started)


def _replay(store: EventStore) -> float:
    started = time.perf_counter()
    figures = replay(store, PROFILES, out=io.StringIO(), quiesce_seconds=0)
    return figures["events"] / (time.perf_counter() - started)


def _alternating(measure, stores: dict[str, EventStore]) -> dict[str, float]:
    """The median of ROUNDS measurements of each store, taken in turns (the order swapped each
    round), so that load from elsewhere on the machine weighs on both alike."""
    results: dict[str, list[float]] = {label: [] for label in stores}
    for round_ in range(ROUNDS):
        for label in (list(stores) if round_ % 2 == 0 else list(reversed(stores))):
            results[label].append(measure(stores[label]))
    return {label: statistics.median(values) for label, values in results.items()}


def main() -> None:
    client = MongoClient(MONGO_URI, tz_aware=True, serverSelectionTimeoutMS=5000)
    prefix = f"bench_shred_{uuid.uuid4().hex[:6]}"
    members = range(max(1, EVENTS // EVENTS_PER_MEMBER))
    types = {"plain": PLAIN, "sealed": SEALED}
    rates: dict[str, dict[str, float]] = {}
    try:
        stores = {}
        for label in types:
            stores[label] = EventStore(client[f"{prefix}{label}_benchshred"], "benchshred")
            stores[label].ensure_indexes()
        seconds = dict.fromkeys(types, 0.0)
        for version in range(1, EVENTS_PER_MEMBER + 1):  # in turns, as `_alternating`
            for label in (list(types) if version % 2 else list(reversed(types))):
                seconds[label] += _append(stores[label], types[label], members, version)
        rates["append"] = {label: len(members) * EVENTS_PER_MEMBER / spent
                           for label, spent in seconds.items()}
        for store in stores.values():
            # recorded an hour ago, as bench/replay.py does: a replay then has nothing recorded
            # during its run to catch up with one event at a time
            store.events.update_many({}, {"$set": {"recorded_at": utc_now() - timedelta(hours=1)}})
        raw = stores["sealed"].events.find_one()["events"][0]["payload"]
        assert is_sealed(raw["email"]), "the sealed variant did not seal"
        rates["read"] = _alternating(_read, stores)
        rates["replay"] = _alternating(_replay, stores)
        for m in members:
            stores["sealed"].keys.shred(f"{SEALED}-u{m}")
        shredded = {"plain": stores["plain"], "sealed, keys shredded": stores["sealed"]}
        rates["read after erasure"] = _alternating(_read, shredded)
        rates["replay after erasure"] = _alternating(_replay, shredded)
        shown = stores["sealed"].db["profiles"].find_one()
        assert shown["display_name"] == ERASED_DISPLAY_NAME and shown["email"] is None, shown
    finally:
        for name in client.list_database_names():
            if name.startswith(prefix):
                client.drop_database(name)
        client.close()
    print(f"database: {MONGO_URI}; {EVENTS:,} events per variant, {EVENTS_PER_MEMBER} per member"
          f" (3 personal fields each); medians of {ROUNDS} alternating rounds")
    for phase, figures in rates.items():
        for label, rate in figures.items():
            print(f"{phase:<21} {label:<22}{rate:>10,.0f} events/s"
                  f"   {rate / figures['plain']:.2f}x plain")
