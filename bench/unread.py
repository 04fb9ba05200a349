"""Does a member's unread count cost the same at 10 unread notifications as at 1,000?
(notifications' code, against the database at MONGO_URI)

    python -m bench unread            (sizes: BENCH_UNREAD_SMALL, BENCH_UNREAD_LARGE)

Two groups of 5 members are given unread notifications through notifications' own projection
(private messages to all 5, `conversations.message_posted`, applied as the consumer's batches
apply them): the small group 10 each, the large one 1,000 each, in the same collections. Then,
in interleaved rounds (both groups see the same server conditions), are timed:

- the live hint of a delivery pass that queued a notification for each member of a group
  (`Deliveries._announce`: the members' unread counts, sent to the gateways), and
- the inbox's unread count on the API (`NotificationsQueries.unread`) of one member.

Printed: the median of each per group, and the ratio large / small (≈ 1: the cost does not
follow the member's unread notifications).
"""
from __future__ import annotations

import os
import statistics
import time
import uuid
from datetime import UTC, datetime

from pymongo import MongoClient

from services.notifications import projections
from services.notifications.delivery import Deliveries, DeliverySettings
from services.notifications.queries import NotificationsQueries
from services.shared.config import stack_env
from services.shared.envelope import Envelope
from services.shared.event_store import EventStore
from services.shared.projections import BufferedReadModels, ProjectionRunner, ReadModels

MONGO_URI = stack_env().get("MONGO_URI", "mongodb://127.0.0.1:27017")  # the environment wins
SMALL = int(os.environ.get("BENCH_UNREAD_SMALL", "10"))
LARGE = int(os.environ.get("BENCH_UNREAD_LARGE", "1000"))
MEMBERS = 5
ROUNDS = 60
FLUSH_EVERY = 200  # events between two bulk writes while seeding (the consumer's batches)


def _message(stream: str, version: int, author: str, participants: list[str]) -> Envelope:
    return Envelope(id=uuid.uuid4().hex, type="conversations.message_posted", schema_version=1,
                    stream_id=stream, stream_version=version,
                    occurred_at=datetime.now(UTC).isoformat(), actor=author,
                    correlation_id=None, causation_id=None,
                    payload={"conversation_id": stream, "author_id": author,
                             "participant_ids": participants, "message_id": uuid.uuid4().hex})


def _seed(db, members: list[str], count: int) -> None:
    """`count` unread notifications for each of `members`, by the projection's own handler."""
    handler = projections.VIEWS.handlers_for("conversations.message_posted")
    rm = BufferedReadModels(db)
    stream = f"bench-{uuid.uuid4().hex[:8]}"
    for version in range(1, count + 1):
        handler(rm, _message(stream, version, "bench-author", members))
        if version % FLUSH_EVERY == 0:
            rm.flush()
    rm.flush()


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main(argv: list[str] | None = None) -> None:
    client = MongoClient(MONGO_URI)
    name = f"bench_unread_{uuid.uuid4().hex[:8]}"
    db = client[name]
    try:
        projections.VIEWS.ensure_indexes(ReadModels(db))
        groups = {size: [f"m{size}-{n}" for n in range(MEMBERS)] for size in (SMALL, LARGE)}
        started = time.monotonic()
        for size, members in groups.items():
            _seed(db, members, size)
        print(f"seeded {MEMBERS} members x {SMALL} and {MEMBERS} members x {LARGE} unread "
              f"notifications in {time.monotonic() - started:.1f}s")
        announced: list = []
        deliveries = Deliveries(db, DeliverySettings(), None,
                                announce=lambda kind, data: announced.append(data))
        queries = NotificationsQueries(
            ProjectionRunner(projections.VIEWS, EventStore(db, "notifications")),
            DeliverySettings())
        for size, members in groups.items():  # the counts are right before anything is timed
            assert queries.unread(members[0]) == size, (size, queries.unread(members[0]))
        hint = {size: [] for size in groups}
        count = {size: [] for size in groups}
        for _ in range(ROUNDS):
            for size, members in groups.items():
                fresh = {member: [{"id": "x", "type": "private_message"}] for member in members}
                began = time.perf_counter()
                deliveries._announce(fresh)
                hint[size].append(time.perf_counter() - began)
                began = time.perf_counter()
                queries.unread(members[0])
                count[size].append(time.perf_counter() - began)
        assert all(row["members"][m]["unread"] == size for row in announced[-2:]
                   for size, members in groups.items() for m in members
                   if m in row["members"])
        for label, samples in (("live hint (5 members)", hint), ("API unread count", count)):
            small, large = _median_ms(samples[SMALL]), _median_ms(samples[LARGE])
            print(f"{label:24s} {SMALL:>5} unread: {small:7.2f} ms   {LARGE:>5} unread: "
                  f"{large:7.2f} ms   ratio {large / small:5.2f}x")
    finally:
        client.drop_database(name)
        client.close()


if __name__ == "__main__":
    main()
