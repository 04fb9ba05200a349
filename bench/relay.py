"""Outbox relay throughput against a bare publish loop, measured in the same run.

    python -m bench relay            (make bench runs every benchmark)

Three ways to put N persistent messages on a durable exchange with a bound durable queue:
1. baseline: a bare py-amqp publish loop, no confirms (fast, but a crash loses messages);
2. pika with a synchronous confirm per message (safe, one round trip each);
3. the OutboxRelay publishing N pending commits from MongoDB: read, batched confirms, one journal
   insert per confirmed batch — the full guarantee, database work included (timed until every
   event is confirmed and journaled; folding the journal into the commits, which the relay does
   when idle, is timed and printed separately).
Figures are events/s and ratios to (1).
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import os
import statistics
import time
import uuid

import kombu
import pika
from amqp.basic_message import Message
from marshmallow import Schema, fields
from pymongo import MongoClient

from services.shared.envelope import CommandContext, Envelope, NewEvent
from services.shared.event_store import EventStore
from services.shared.outbox import OutboxRelay, to_message
from services.shared.payloads import REGISTRY

N = int(os.environ.get("BENCH_RELAY_EVENTS", "5000"))
AMQP_URI = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
MONGO_URI = os.environ.get("MONGO_URI", "mongodb://127.0.0.1:27017")

if not REGISTRY.knows("benchmark.happened"):
    REGISTRY.register("benchmark.happened")(
        type(
            "Happened",
            (Schema,),
            {"n": fields.Integer(required=True), "text": fields.String(required=True)},
        )
    )


def _sample_message(n: int) -> Message:
    envelope = Envelope.new(
        NewEvent("benchmark.happened", {"n": n, "text": "x" * 300}),
        stream_id=f"s-{n}",
        stream_version=1,
        context=CommandContext(),
    )
    return to_message(envelope.to_dict())


def _declare(exchange: str, queue: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URI))
    channel = connection.channel()
    channel.exchange_declare(exchange, "topic", durable=True)
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, exchange, routing_key="#")
    connection.close()


def _purge(queue: str, delete_exchange: str | None = None) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URI))
    channel = connection.channel()
    channel.queue_purge(queue)
    if delete_exchange:
        channel.queue_delete(queue)
        channel.exchange_delete(delete_exchange)
    connection.close()


def bare_loop(exchange: str) -> float:
    messages = [_sample_message(n) for n in range(N)]
    with kombu.Connection(AMQP_URI) as connection:
        connection.connect()
        channel = connection.connection.channel()
        started = time.perf_counter()
        for message in messages:
            channel.basic_publish(message, exchange=exchange, routing_key="benchmark.happened")
        elapsed = time.perf_counter() - started
    return N / elapsed


def per_message_confirms(exchange: str, count: int) -> float:
    bodies = [_sample_message(n).body for n in range(count)]
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URI))
    channel = connection.channel()
    channel.confirm_delivery()
    properties = pika.BasicProperties(delivery_mode=2, content_type="application/json")
    started = time.perf_counter()
    for body in bodies:
        channel.basic_publish(exchange, "benchmark.happened", body, properties)
    elapsed = time.perf_counter() - started
    connection.close()
    return count / elapsed


FOLD_SECONDS: list[float] = []


def relay(exchange_service: str) -> float:
    client = MongoClient(MONGO_URI, tz_aware=True)
    db = client[f"bench_{uuid.uuid4().hex[:8]}"]
    try:
        store = EventStore(db, exchange_service)
        store.ensure_indexes()
        documents = []
        for n in range(N):
            envelope = Envelope.new(
                NewEvent("benchmark.happened", {"n": n, "text": "x" * 300}),
                stream_id=f"s-{n}",
                stream_version=1,
                context=CommandContext(),
            )
            documents.append(
                {
                    "_id": envelope.id,
                    "stream_id": envelope.stream_id,
                    "version": 1,
                    "last_version": 1,
                    "position": n + 1,
                    "events": [envelope.to_dict()],
                    "recorded_at": time.time(),
                    "received": False,
                    "pending": True,
                }
            )
        db.events.insert_many(documents)
        outbox = OutboxRelay(store, AMQP_URI, batch_size=500)
        outbox.relay_once()  # the first pass folds the (empty) journal and starts the sweep
        started = time.perf_counter()
        published = outbox.batch_size
        while published < N:
            published += outbox.relay_once()
        elapsed = time.perf_counter() - started  # every event published, confirmed, journaled
        folded = time.perf_counter()
        outbox.drain()  # idle: folds the journal into the commit flags
        FOLD_SECONDS.append(time.perf_counter() - folded)
        outbox.close()
        assert store.backlog() == 0 and store.pending() == []
        return (N - outbox.batch_size) / elapsed
    finally:
        client.drop_database(db.name)
        client.close()


def main() -> None:
    rounds = int(os.environ.get("BENCH_RELAY_ROUNDS", "5"))
    service = f"bench{uuid.uuid4().hex[:6]}"
    exchange, queue = f"{service}.events", f"{service}-sink"
    _declare(exchange, queue)
    samples: dict[str, list[float]] = {"baseline": [], "confirms": [], "relay": []}
    try:
        # interleaved rounds, medians: the three methods see the same machine conditions
        for _ in range(rounds):
            samples["baseline"].append(bare_loop(exchange))
            _purge(queue)
            samples["confirms"].append(per_message_confirms(exchange, max(500, N // 5)))
            _purge(queue)
            samples["relay"].append(relay(service))
            _purge(queue)
    finally:
        _purge(queue, delete_exchange=exchange)
    baseline = statistics.median(samples["baseline"])
    rows = [("bare publish loop, persistent, no confirms (baseline)", "baseline"),
            ("pika, synchronous confirm per message", "confirms"),
            ("OutboxRelay: Mongo read + batched confirms + journal insert", "relay")]
    print(f"\nOutbox relay throughput ({N} events of ~0.6 KB, durable exchange + queue; "
          f"median of {rounds} interleaved rounds)")
    print(f"{'method':<62} {'events/s':>10} {'ratio':>7}   (min-max events/s)")
    for name, key in rows:
        rate = statistics.median(samples[key])
        print(f"{name:<62} {rate:>10,.0f} {rate / baseline:>7.2f}   "
              f"({min(samples[key]):,.0f}-{max(samples[key]):,.0f})")
    print(f"(relay: then, once idle, folding the publication journal into {N} commit flags took "
          f"{statistics.median(FOLD_SECONDS):.2f} s median — off the publishing path)")


if __name__ == "__main__":
    main()
