"""Prometheus metrics shared by every Agora process (names are documented in docs/runbook.md).

One process-wide registry (prometheus-client's default); each process serves it on `/metrics`.
"""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_APPENDED = Counter(
    "agora_events_appended", "Events committed to a service's event log",
    ["service", "event_type"],
)
EVENTS_PUBLISHED = Counter(
    "agora_events_published", "Events published to RabbitMQ and confirmed by the broker",
    ["service", "event_type"],
)
EVENTS_CONSUMED = Counter(
    "agora_events_consumed", "Events delivered to a reliable handler, by outcome "
    "(ok, duplicate, retried, dead_lettered)",
    ["service", "handler", "outcome"],
)
HANDLER_BATCH_SIZE = Histogram(
    "agora_handler_batch_size", "Deliveries a batch handler took at once (what waited)",
    ["service", "handler"], buckets=(1, 2, 4, 8, 16, 32, 64),
)
HANDLER_DURATION = Histogram(
    "agora_handler_duration_seconds", "Time spent in a reliable event handler",
    ["service", "handler"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_BACKLOG = Gauge(
    "agora_outbox_backlog", "Commits in the event log not yet published (as last counted: "
    "see agora_outbox_backlog_age_seconds)", ["service"],
)
OUTBOX_BACKLOG_AGE = Gauge(
    "agora_outbox_backlog_age_seconds", "Seconds since agora_outbox_backlog was last counted "
    "in the database (grows while the database is unreachable)", ["service"],
)
OUTBOX_RELAY_FAILURES = Counter(
    "agora_outbox_relay_failures", "Outbox relay passes that failed (database or broker "
    "unreachable); the relay retries with a bounded backoff",
    ["service"],
)
OUTBOX_RELAY_BATCH = Histogram(
    "agora_outbox_relay_batch_size", "Events per confirmed relay batch", ["service"],
    buckets=(1, 5, 10, 50, 100, 250, 500, 1000),
)
DEAD_LETTERS = Gauge(
    "agora_dead_letters", "Messages waiting in the service's dead-letter queue", ["service"],
)
DELIVERY_DEAD_LETTERS = Gauge(
    "agora_delivery_dead_letters", "Mails or pushes a delivery outbox gave up on (state dead)",
    ["service", "outbox"],
)
CONCURRENCY_CONFLICTS = Counter(
    "agora_concurrency_conflicts", "Appends refused because the stream moved on",
    ["service"],
)
