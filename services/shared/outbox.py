"""The outbox relay: every committed event reaches RabbitMQ at least once (invariant 3).

The commit documents of the event store are the outbox. The relay takes pending commits in
position order, publishes each event as a persistent message on the service's durable topic
exchange (routing key = event type) in *confirm mode*, waits for the broker's confirms for the
whole batch at once, and only then marks the commits published. A crash anywhere before the mark
leaves the commits pending and the next relay publishes them again: consumers dedupe by event id.

Confirming a batch costs one round trip instead of one per message (pika's per-message
`confirm_delivery` reaches ~7 % of an unconfirmed loop here; bench/relay.py measures ours).

One relay per service is active at a time (a lease in the service's database), so events of a
stream go out in stream order even with several replicas.

Example (outside nameko, e.g. a CLI or a bench)::

    relay = OutboxRelay(store, amqp_uri="amqp://guest:guest@127.0.0.1:5672/")
    published = relay.relay_once()     # number of events published and confirmed
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
import uuid
from datetime import timedelta
from typing import Any

import eventlet
import kombu
from amqp.basic_message import Message
from pymongo.errors import DuplicateKeyError, PyMongoError

from . import metrics
from .envelope import utc_now
from .event_store import EventStore
from .payloads import REGISTRY, PayloadRegistry

log = logging.getLogger(__name__)

LEASES = "outbox_lease"
RELAY_MAX_BACKOFF_SECONDS = 5.0
# A confirmed batch of at most this many commits is marked published at once (one update);
# a larger one is journaled and folded when the relay is idle (see `relay_once`).
MARK_AT_ONCE_COMMITS = 8
# The backlog is counted this often (Prometheus scrapes every 30 s): a count is one indexed
# command per pod. agora_outbox_backlog_age_seconds stays under this plus a count's time.
BACKLOG_REFRESH_SECONDS = 10.0


def public_exchange(service: str) -> str:
    """Where other services and other bank systems bind (nameko's `<service>.events`)."""
    return f"{service}.events"


def private_exchange(service: str) -> str:
    """For events whose payload must stay inside Agora; bank-system users cannot read it."""
    return f"{service}.private"


class PublishNotConfirmed(RuntimeError):
    pass


class ConfirmingPublisher:
    """A py-amqp channel in confirm mode that publishes a batch and waits once for its confirms."""

    def __init__(self, amqp_uri: str, confirm_timeout: float = 10.0):
        self.amqp_uri = amqp_uri
        self.confirm_timeout = confirm_timeout
        self._connection: kombu.Connection | None = None
        self._channel = None
        self._declared: set[str] = set()
        self._next_tag = 1
        self._highest_acked = 0
        self._nacked = False
        self._acked_out_of_order: set[int] = set()

    def publish_batch(self, messages: list[tuple[str, str, Message]]) -> None:
        """Publish (exchange, routing_key, message) triples; return once all are confirmed."""
        self.await_confirms(*self.send(messages))

    def send(self, messages: list[tuple[str, str, Message]]) -> tuple[int, int]:
        """Write the messages to the broker; returns the range of delivery tags to await."""
        try:
            channel = self._open()
            first_tag = self._next_tag
            for exchange, routing_key, message in messages:
                self._declare(channel, exchange)
                channel.basic_publish(message, exchange=exchange, routing_key=routing_key)
                self._next_tag += 1
        except Exception as error:  # any broker or socket failure (amqp's are not OSErrors)
            # A half-dead channel must not be reused: the next pass opens a fresh connection.
            self.close()
            raise PublishNotConfirmed(f"broker unreachable: {error}") from error
        return first_tag, self._next_tag - 1

    def await_confirms(self, first_tag: int, last_tag: int) -> None:
        """Block until the broker confirmed every tag up to `last_tag` (or raise)."""
        deadline = eventlet.Timeout(self.confirm_timeout, PublishNotConfirmed("confirm timeout"))
        try:
            while self._highest_acked < last_tag and not self._nacked:
                self._connection.connection.drain_events(timeout=self.confirm_timeout)
        except Exception as error:  # timeout, socket error, the broker closing (ConnectionForced)
            self.close()
            raise PublishNotConfirmed(
                f"broker did not confirm {first_tag}..{last_tag}: {error}") from error
        finally:
            deadline.cancel()
        if self._nacked:
            self.close()
            raise PublishNotConfirmed(f"broker refused messages {first_tag}..{last_tag}")

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # closing a broken connection may raise anything
                self._connection.release()
        self._connection = None
        self._channel = None
        self._declared.clear()

    def _open(self):
        if self._channel is None:
            self._connection = kombu.Connection(self.amqp_uri, connect_timeout=5)
            self._connection.connect()
            channel = self._connection.connection.channel()
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            self._channel = channel
            self._next_tag, self._highest_acked, self._nacked = 1, 0, False
            self._acked_out_of_order = set()
        return self._channel

    def _declare(self, channel, exchange: str) -> None:
        if exchange not in self._declared:
            # Same arguments as nameko's own declaration, so either side may declare first.
            channel.exchange_declare(exchange, "topic", durable=True, auto_delete=False)
            self._declared.add(exchange)

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        # The broker may confirm one tag at a time or several at once (`multiple`); what matters
        # is the highest tag below which *every* message is confirmed.
        if multiple:
            self._highest_acked = max(self._highest_acked, delivery_tag)
        else:
            self._acked_out_of_order.add(delivery_tag)
        while self._highest_acked + 1 in self._acked_out_of_order:
            self._acked_out_of_order.discard(self._highest_acked + 1)
            self._highest_acked += 1

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._nacked = True


def to_message(envelope_dict: dict[str, Any], private: bool = False) -> Message:
    return Message(
        body=json.dumps(envelope_dict, separators=(",", ":")).encode("utf-8"),
        content_type="application/json",
        content_encoding="utf-8",
        delivery_mode=2,  # persistent
        message_id=envelope_dict["id"],
        type=envelope_dict["type"],
        timestamp=int(utc_now().timestamp()),
        application_headers={
            # nameko turns `nameko.*` headers into worker context data: the correlation id
            # thus reaches the consumer's logs and the events it appends in turn.
            "nameko.correlation_id": envelope_dict.get("correlation_id") or "",
            "agora.schema_version": envelope_dict["schema_version"],
            "agora.private": private,
        },
    )


class OutboxRelay:
    def __init__(
        self,
        store: EventStore,
        amqp_uri: str,
        owner: str | None = None,
        batch_size: int = 500,
        lease_seconds: float = 15.0,
        registry: PayloadRegistry = REGISTRY,
        mark_at_once: int = MARK_AT_ONCE_COMMITS,
    ):
        self.store = store
        self.service = store.service
        self.publisher = ConfirmingPublisher(amqp_uri)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)
        self.registry = registry
        self._published_up_to = 0
        self._prefetch: eventlet.greenthread.GreenThread | None = None
        self.mark_at_once = mark_at_once
        # whether the journal may hold batches to fold: what this relay journaled since its
        # last fold, or what another relay left (at start, and whenever the lease changed hands)
        self._journal_may_hold = True
        self.more_waiting = False  # the last pass read a full batch: more may be pending
        self._lease_renewed_at = float("-inf")  # monotonic time of this relay's last renewal
        # The backlog is counted by its own loop (`refresh_backlog_forever`), not by a pass: a
        # pass that fails (broker down or refusing, database unreachable) or that another
        # replica's lease skips would leave the gauge at its last value, usually 0, while
        # commits pile up unpublished. Nor by the scrape: with the database unreachable, a count
        # blocks for the driver's server selection timeout (5 s), longer than Prometheus waits,
        # and the whole /metrics of the process would be lost. A scrape reads the last count and
        # its age (`agora_outbox_backlog_age_seconds`, from the relay's start until a count).
        self._backlog_seen = 0
        self._backlog_counted_at = time.monotonic()
        self._closed = False
        metrics.OUTBOX_BACKLOG.labels(self.service).set_function(self.scraped_backlog)
        metrics.OUTBOX_BACKLOG_AGE.labels(self.service).set_function(self.backlog_age)

    def relay_once(self) -> int:
        """Publish one batch of pending commits; returns the number of events confirmed.

        Pipelined for throughput, without weakening at-least-once:
        - batches are read after a high-water mark (the last position published by this relay),
          and the next batch is read while the broker confirms the current one;
        - a confirmed batch is recorded in one small journal document instead of rewriting each
          commit; when the relay is idle it folds the journal into the commits' `pending` flags
          and sweeps from position 0, which also catches commits that became visible late (a
          position taken before, but inserted after, a later one). A relay that dies before
          folding only causes re-publication (consumers dedupe), never a loss.
        - a small batch (`mark_at_once` commits or fewer: one post's commit, on a quiet
          platform) is marked published at once: one update of a few documents instead of the
          journal's insert and, later, its read, update and delete. The journal is read only
          when it may hold something (see `_journal_may_hold`).
        """
        self.more_waiting = False
        if not self.holds_lease():
            self._prefetch = None
            self.store.forget_own_positions()  # another replica publishes: nothing to keep
            return 0
        documents = self._next_batch() if self._published_up_to else []
        if not documents:  # idle, or starting (another relay may have left a journal): sweep
            if self._journal_may_hold:
                self.store.fold_published_batches()
                self._journal_may_hold = False
            self._published_up_to = 0
            swept_through = self.store.last_position_taken_here()
            documents = self.store.pending_documents(0, self.batch_size)
            if not documents:
                # nothing pending anywhere: the next commit of this process is known without
                # a read from there (what was in flight at the sweep comes with a wake-up,
                # whose pass finds nothing of ours after this and sweeps again)
                self._published_up_to = swept_through
        if not documents:
            return 0
        events = [event for document in documents for event in document["events"]]
        tags = self.publisher.send([self._route(event) for event in events])
        if len(documents) == self.batch_size:  # more is waiting: read it while the broker confirms
            self._prefetch = eventlet.spawn(self.store.pending_documents,
                                            documents[-1]["position"], self.batch_size)
        try:
            self.publisher.await_confirms(*tags)
        except PublishNotConfirmed:
            self._prefetch = None  # re-read from the last confirmed batch on the next pass
            raise
        published = [document["_id"] for document in documents]
        if len(published) <= self.mark_at_once:
            self.store.mark_published(published)
        else:
            self.store.record_published_batch(published)
            self._journal_may_hold = True
        self._published_up_to = documents[-1]["position"]
        self.store.forget_own_positions(up_to=self._published_up_to)
        self.more_waiting = len(documents) == self.batch_size
        self._observe(events)
        return len(events)

    def drain(self) -> int:
        """Relay until nothing is pending (CLI and tests)."""
        total = 0
        while published := self.relay_once():
            total += published
        return total

    def _next_batch(self) -> list[dict[str, Any]]:
        """The pending commits after the last one published: read ahead during the last pass,
        known without a read when every position since is this process's own (`OwnPositions`:
        its commands' commits, its received records), or read."""
        prefetch, self._prefetch = self._prefetch, None
        if prefetch is not None:
            try:
                return prefetch.wait()
            except PyMongoError:
                pass  # read it again below
        known = self.store.pending_stored_here(self._published_up_to, self.batch_size)
        if known is not None:
            return known  # empty when nothing of ours came since: the pass sweeps (for others')
        return self.store.pending_documents(self._published_up_to, self.batch_size)

    def _observe(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            metrics.EVENTS_PUBLISHED.labels(self.service, event["type"]).inc()
        metrics.OUTBOX_RELAY_BATCH.labels(self.service).observe(len(events))

    def refresh_backlog(self) -> None:
        """Count the commits still pending in the database (the `pending_by_position` index
        counts them; the journal of confirmed batches is a few small documents), whatever this
        relay's last pass did and whoever holds the lease. An unreachable database keeps the
        last count, which ages (readiness reports the outage), and so does a closed relay (its
        process is stopping; its client may be released)."""
        if self._closed:
            return
        counting_at = time.monotonic()
        with contextlib.suppress(PyMongoError):
            self._backlog_seen = self.store.backlog()
            self._backlog_counted_at = counting_at

    def refresh_backlog_forever(self, interval: float = BACKLOG_REFRESH_SECONDS) -> None:
        """The backlog's own loop (a green thread of the service: `EventStoreProvider`). Any
        error is logged and the loop goes on: a managed thread that ends with an exception
        kills its whole service (nameko), as the relay's loop guards against too."""
        while not self._closed:
            try:
                self.refresh_backlog()
            except Exception:
                log.warning("counting the outbox backlog failed; the gauge keeps its last "
                            "count", exc_info=True)
            eventlet.sleep(interval)

    def scraped_backlog(self) -> float:
        """`agora_outbox_backlog`: the last count, read without I/O (see `__init__`)."""
        return self._backlog_seen

    def backlog_age(self) -> float:
        """`agora_outbox_backlog_age_seconds`: since the count behind `scraped_backlog` began."""
        return time.monotonic() - self._backlog_counted_at

    def holds_lease(self) -> bool:
        """Whether this relay holds the service's lease, renewing it. A lease renewed less than
        a third of its length ago is still ours without asking: nobody can take it before it
        expires, and a pass that stalls longer than the remaining two thirds is the same risk
        as a stall right after a renewal (one command fewer for most passes, idle ones too)."""
        if time.monotonic() - self._lease_renewed_at < self.lease.total_seconds() / 3:
            return True
        renewing_at = time.monotonic()
        now = utc_now()
        leases = self.store.db[LEASES]
        try:
            before = leases.find_one_and_update(
                {"_id": self.service, "$or": [{"owner": self.owner}, {"expires_at": {"$lt": now}}]},
                {"$set": {"owner": self.owner, "expires_at": now + self.lease}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # another live replica holds it; it publishes for us
        if before is None or before.get("owner") != self.owner:
            self._journal_may_hold = True  # taken over: the last holder may have journaled
        self._lease_renewed_at = renewing_at
        return True

    def release_lease(self) -> None:
        self._lease_renewed_at = float("-inf")
        self.store.db[LEASES].delete_one({"_id": self.service, "owner": self.owner})

    def close(self) -> None:
        self._closed = True
        self.publisher.close()

    def reset(self) -> None:
        """After a failed pass: drop the broker connection and any read-ahead, and start the next
        pass with a sweep from position 0 (what was confirmed but not recorded goes out again;
        consumers dedupe)."""
        self._lease_renewed_at = float("-inf")  # ask the database again
        self.publisher.close()
        self._prefetch = None
        self._published_up_to = 0

    def _route(self, event: dict[str, Any]) -> tuple[str, str, Message]:
        private = self.registry.is_private(event["type"])
        exchange = private_exchange(self.service) if private else public_exchange(self.service)
        return exchange, event["type"], to_message(event, private)
