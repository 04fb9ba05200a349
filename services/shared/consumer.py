"""The reliable consumer: `@reliable_handler(source, event_type)` for every event handler.

nameko's `event_handler` acks a message even when the handler raised (requeue_on_error=False):
the event is silently lost. This entrypoint keeps nameko's queue naming and binding but owns
what happens after the handler:

- it parses the envelope itself (a message that is not valid JSON or not an envelope is a
  *poison* message: dead-lettered at once with the reason, never crash-looped) and unseals its
  personal fields (services/shared/shredding.py: the handler reads plain values, or the erased
  placeholders once the member's key is shredded); an erasure event drops the member's key from
  this process's cache before the handler runs;
- it claims the event for this handler before running it (a document keyed by handler and event
  id in the service's own `consumed_events` collection): a duplicate of an event already handled
  is acked and skipped, a duplicate arriving while the first is being handled waits in the delay
  queue, and a claim left by a crashed process expires and is taken over;
- it acks only after the handler returned and the consumption was recorded;
- on an error it republishes the message to a delay queue (`<queue>.retry.<ms>`, which
  dead-letters back into the handler's queue when the delay expires) with an attempt count,
  and after the last delay it moves the message with its error to `<service>.dead-letters`;
- the republish is publisher-confirmed before the original is acked, so a crash in between
  yields a duplicate (deduped), never a loss.

A handler must therefore be idempotent for the rare duplicate that slips between "handler
returned" and "consumption recorded" (a crash there); projections get that from their per-stream
version guard (projections.py).

A handler that applies events to read models (`views.apply`, `views.record_and_apply`)
dedupes every delivery by itself: the stream cursor skips what was applied, and the handlers'
writes are already safe when two appliers run one event at once (the inline apply after a
command races its own subscription all the time). So does a reaction decided by the event
store on a stream's current state (`store.execute`: a domain rule that returns no event when
the fact is already there — a review, a verdict, an auto-watch): a second run, even a
concurrent one, re-decides on fresh state after the conflict and appends nothing.
`@reliable_handler(..., idempotent=True)` says the handler is of that kind, and the consumer
then neither claims nor records the outcome — two of the few database commands a delivery
costs. Keep the default (claimed) for any effect that state does not guard: a message sent
outside, a counter without `update_once`, a deletion that must not run twice.

`@reliable_handler(..., idempotent=True, batch=True)` hands such a handler a *list* of events:
what waits in its queue when it is free (at most `delivery_batch`, 50 by default, and what the
prefetch lets wait), never a wait for more — a lone delivery goes through at once. One batch
runs at a time per handler; it is acked once it returned (its effects are durable). If it
raises, each of its deliveries is run alone, so only a failing one is retried or
dead-lettered; the others, applied again, change nothing (the handler dedupes). A handler of
received events writes its batch with `views.record_and_apply_all` (projections.py): one
position `$inc` and one insert for the records, one cursor read, the handlers' writes in bulk,
one bulk compare-and-set. `AGORA_DELIVERY_BATCH=1` hands the deliveries over one by one.

`@reliable_handler(source, "posts.*", only=(...))` binds the handler's queue to the listed event
types only (the queue keeps the pattern's name; a binding of the pattern left by an earlier
version is removed): for a projection that applies that source's events as they come
(`Projection(..., as_they_come=[source])`), not whole streams in order.

A handler's queues and bindings are declared when its service starts, and also by `agora
migrate` before a release's pods roll out (`declare_service_queues`, from the one definition
`handler_queues`): a release's new event type is then bound to its consumers' queues before its
publisher's new pods can emit it, never dropped for want of a binding. (An older consumer pod
still running receives it too and applies nothing of it, not knowing the type: the runbook's
upgrade notes say to roll consumers out first.)

Example::

    class FeedsService:
        name = "feeds"

        @reliable_handler("posts", "posts.post_published")
        def on_post_published(self, event: Envelope) -> None:
            ...
"""
from __future__ import annotations

import contextlib
import inspect
import json
import logging
import os
import socket
import time
import traceback
import uuid
from datetime import timedelta
from functools import partial
from typing import Any, NamedTuple

import eventlet.event
import kombu
from kombu import Exchange, Queue, binding
from kombu.message import Message
from nameko.amqp.publish import get_producer
from nameko.constants import PERSISTENT
from nameko.containers import get_service_name, is_method
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.messaging import Consumer, QueueConsumer
from pymongo.errors import DuplicateKeyError, PyMongoError

from . import failpoints, metrics
from .envelope import Envelope, InvalidEnvelope, utc_now
from .mongo import database_name, mongo_uri, release_client, shared_client
from .outbox import private_exchange, public_exchange
from .payloads import REGISTRY, UnknownEventType
from .shredding import KEYS_SERVICE, SealBroken, SubjectKeys, erased_subject, unseal_envelope

log = logging.getLogger(__name__)

CONSUMED = "consumed_events"
ATTEMPTS_HEADER = "x-agora-attempts"
DEFAULT_RETRY_DELAYS_MS = (1000, 5000, 30000)
DEFAULT_DELIVERY_BATCH = 50


def dead_letter_queue(service: str) -> str:
    return f"{service}.dead-letters"


def handler_queue(source_service: str, event_type: str, service: str, method: str) -> str:
    """nameko's SERVICE_POOL naming, so operators recognise the queues."""
    return f"evt-{source_service}-{event_type}--{service}.{method}"


def retry_queue(queue_name: str, delay_ms: int) -> str:
    return f"{queue_name}.retry.{delay_ms}"


def retry_delays(settings: dict[str, Any]) -> tuple[int, ...]:
    """The delays (ms) before each new attempt: one delay queue each (`retry_delays_ms`)."""
    return tuple(int(delay) for delay in settings.get("retry_delays_ms", DEFAULT_RETRY_DELAYS_MS))


# -- what a handler has on the broker ---------------------------------------------------------

class HandlerQueues(NamedTuple):
    """A reliable handler's queues and bindings, declared by its entrypoint when the service
    starts and, before a release rolls out, by `agora migrate` (`declare_service_queues`), from
    this one definition: RabbitMQ refuses a queue declared again with other arguments
    (PRECONDITION_FAILED), and a new event type must reach its consumers' queues even while
    the publisher's new pods run before theirs."""

    queue: Queue  # the handler's queue and its bindings (one per type of `only`)
    exchange: Exchange  # `<source>.events`, or `<source>.private`
    obsolete_key: str | None  # the pattern an earlier version bound (`only=`): unbound
    retries: tuple[Queue, ...]  # `<queue>.retry.<ms>`, dead-lettering back into the queue
    dead_letters: Queue  # `<service>.dead-letters`


def handler_queues(service: str, method: str, source_service: str, event_type: str, *,
                   private: bool = False, only: tuple[str, ...] = (),
                   settings: dict[str, Any]) -> HandlerQueues:
    """The queues of `@reliable_handler(source_service, event_type, ...)` on `service.method`
    with the service's `AGORA` settings (queue type, retry delays)."""
    queue_name = handler_queue(source_service, event_type, service, method)
    exchange = Exchange((private_exchange if private else public_exchange)(source_service),
                        type="topic", durable=True, delivery_mode=PERSISTENT)
    arguments = _queue_arguments(settings)
    if only:
        queue = Queue(queue_name, bindings=[binding(exchange, routing_key=key) for key in only],
                      durable=True, queue_arguments=arguments)
    else:
        queue = Queue(queue_name, exchange=exchange, routing_key=event_type, durable=True,
                      queue_arguments=arguments)
    retries = tuple(Queue(retry_queue(queue_name, delay), durable=True, queue_arguments={
        **arguments,
        "x-message-ttl": delay,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": queue_name,
    }) for delay in retry_delays(settings))
    return HandlerQueues(
        queue, exchange, event_type if only and event_type not in only else None, retries,
        Queue(dead_letter_queue(service), durable=True, queue_arguments=arguments))


def declare_handler_queues(channel, queues: HandlerQueues) -> None:
    """Declare a handler's queues and bindings, and remove its obsolete binding. Idempotent:
    what exists is left as it is (messages, consumers), nothing is read or purged."""
    queues.queue.maybe_bind(channel)
    queues.queue.declare()
    if queues.obsolete_key is not None:
        queues.queue.unbind_from(queues.exchange, routing_key=queues.obsolete_key)
    for retry in queues.retries:
        retry.declare(channel=channel)
    queues.dead_letters.declare(channel=channel)


def service_handler_queues(service_cls, settings: dict[str, Any]) -> list[HandlerQueues]:
    """The queues of every reliable handler of a nameko service class, found as its container
    finds its entrypoints (`settings`: the service's `AGORA` configuration)."""
    service = get_service_name(service_cls)
    return [entrypoint.broker_queues(service, method_name, settings)
            for method_name, method in inspect.getmembers(service_cls, is_method)
            for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ())
            if isinstance(entrypoint, ReliableEventHandler)]


def declare_service_queues(service_cls, config: dict[str, Any], amqp_uri: str) -> list[str]:
    """Declare, on `amqp_uri` (the service's own broker user is enough), what the service's
    reliable handlers declare when it starts: `agora migrate` runs it before a release's pods
    roll out, so a new event type is bound to the queues of its consumers before any pod of
    the release publishes it. Returns the handlers' queue names."""
    declared = service_handler_queues(service_cls, config.get("AGORA", {}) or {})
    with kombu.Connection(amqp_uri, connect_timeout=5) as connection:
        channel = connection.channel()
        for queues in declared:
            declare_handler_queues(channel, queues)
    return [queues.queue.name for queues in declared]


class RawQueueConsumer(QueueConsumer):
    """Hands undecoded messages to the entrypoint, so a malformed body cannot kill the consumer
    thread (kombu raises from `decode()` when no `on_decode_error` is set)."""

    def get_consumers(self, consumer_cls, channel):
        for provider in self._providers:
            consumer = consumer_cls(
                queues=[provider.queue],
                on_message=partial(self.handle_message, provider, None),
                accept=self.accept,
            )
            consumer.qos(prefetch_count=self.prefetch_count)
            self._consumers[provider] = consumer
        return self._consumers.values()


class ReliableEventHandler(Consumer):
    queue_consumer = RawQueueConsumer()

    def __init__(self, source_service: str, event_type: str, private: bool = False,
                 idempotent: bool = False, batch: bool = False, only: tuple[str, ...] = (),
                 **kwargs):
        if batch and not idempotent:
            raise ValueError("only a handler that dedupes by itself (idempotent=True) takes "
                             "batches: a batch is re-run delivery by delivery when it fails")
        self.source_service = source_service
        self.event_type = event_type
        self.private = private
        # the handler dedupes by itself and is safe run twice at once: no claim, no outcome
        self.idempotent = idempotent
        # the handler takes a list of events: what waits in its queue, applied together
        self.batch = batch
        # the event types bound instead of `event_type` (a pattern): the queue keeps the
        # pattern's name, and the pattern's binding is removed (a queue declared before
        # keeps its backlog, and stops receiving what the handler does not use)
        self.only = tuple(only)
        super().__init__(queue=None, requeue_on_error=False, **kwargs)

    # -- lifecycle -------------------------------------------------------------------------

    def setup(self) -> None:
        config = self.container.config
        settings = config.get("AGORA", {}) or {}
        service = self.container.service_name
        self.amqp_uri = config["AMQP_URI"]
        self.handler_name = f"{service}.{self.method_name}"
        # the handler's metric series, looked up once (`labels()` takes a lock and builds a key
        # per call: several a delivery)
        self._batch_sizes = metrics.HANDLER_BATCH_SIZE.labels(service, self.handler_name)
        self._durations = metrics.HANDLER_DURATION.labels(service, self.handler_name)
        self._outcomes: dict[str, Any] = {}
        self.delays = retry_delays(settings)
        self.claim_timeout = timedelta(seconds=float(settings.get("claim_timeout_seconds", 60)))
        self.batch_size = _delivery_batch(settings) if self.batch else 1
        self._waiting: list[_Delivery] = []
        self._draining = False
        queues = self.broker_queues(service, self.method_name, settings)
        self.queue, self.exchange = queues.queue, queues.exchange
        self.queue_name, self.dead_letters = queues.queue.name, queues.dead_letters.name
        with kombu.Connection(self.amqp_uri, connect_timeout=5) as connection:
            declare_handler_queues(connection.channel(), queues)
        # Who holds a claim (this process) and which claims it is handling right now.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._in_flight: set[str] = set()
        self.mongo_uri = mongo_uri(config)
        client = shared_client(self.mongo_uri)
        self.consumed = client[database_name(config, service)][CONSUMED]
        self.keys = SubjectKeys.in_database(client[database_name(config, KEYS_SERVICE)])
        super().setup()

    def stop(self) -> None:
        super().stop()
        release_client(self.mongo_uri)

    def broker_queues(self, service: str, method: str, settings: dict[str, Any]
                      ) -> HandlerQueues:
        """What this handler of `service.method` has on the broker (`handler_queues`)."""
        return handler_queues(service, method, self.source_service, self.event_type,
                              private=self.private, only=self.only, settings=settings)

    # -- message flow ----------------------------------------------------------------------

    def handle_message(self, body: Any, message: Message) -> None:
        started = time.perf_counter()
        envelope = self._envelope(message)
        if envelope is None:
            return
        if self.batch_size > 1:
            self._waiting.append(_Delivery(message, envelope, started))
            if not self._draining:
                self._draining = True
                self.container.spawn_managed_thread(
                    self._drain_waiting, identifier=f"{self.handler_name}.batches")
            return
        try:
            claim = "unclaimed" if self.idempotent else self._claim(envelope)
        except PyMongoError as error:
            self._after_failure(message, error, None)
            return
        if claim == "done":
            self._count("duplicate")
            self.queue_consumer.ack_message(message)
            return
        if claim == "busy":  # a concurrent duplicate is being handled right now: look later
            self._republish(message, retry_queue(self.queue_name, self.delays[0]),
                            dict(message.headers))
            return
        handle_result = partial(self.handle_result, message, envelope, started)
        try:
            self.container.spawn_worker(
                self, ([envelope] if self.batch else envelope,), {},
                context_data=_context_data(message, envelope), handle_result=handle_result)
        except ContainerBeingKilled:
            self._in_flight.discard(self._consumed_id(envelope))
            self.queue_consumer.requeue_message(message)

    def _envelope(self, message: Message) -> Envelope | None:
        """The delivery's event, parsed, unsealed and upcast; None when the message was moved
        (dead-lettered as poison, or sent to retry when the key store is out of reach)."""
        attempts = int(message.headers.get(ATTEMPTS_HEADER, 0))
        try:
            envelope = Envelope.from_dict(json.loads(message.body))
        except (ValueError, InvalidEnvelope, UnknownEventType, TypeError) as error:
            self._dead_letter(message, attempts, error, "poison message: not a valid event")
            return None
        try:
            return REGISTRY.upcast_envelope(self._unsealed(envelope))
        except UnknownEventType as error:
            self._dead_letter(message, attempts, error, "poison message: not a valid event")
        except SealBroken as error:  # altered, or moved: an integrity breach, never retried
            self._dead_letter(message, attempts, error, "poison message: a sealed value does "
                              "not open")
        except PyMongoError as error:  # the key store is out of reach: later, not never
            self._after_failure(message, error, None)
        return None

    # -- batches (idempotent handlers that take a list of events) ---------------------------

    def _drain_waiting(self) -> None:
        """Hand what waits to the handler, `batch_size` deliveries at a time, one batch after
        the other: a batch is whatever arrived while the previous one ran (or, for the first,
        what the broker's last read brought), never a wait for more."""
        try:
            while self._waiting:
                batch = self._waiting[:self.batch_size]
                del self._waiting[:self.batch_size]
                self._batch_sizes.observe(len(batch))
                self._run_batch(batch)
        finally:
            self._draining = False

    def _run_batch(self, batch: list[_Delivery]) -> None:
        """Run the handler on `batch`; if it fails, run each delivery alone, so that only the
        failing one is retried or dead-lettered (the others' effects are applied once in effect:
        the handler dedupes by itself)."""
        failed = self._run_worker(batch)
        if failed is _REQUEUED:
            return
        if failed is None:
            failpoints.failpoint("batch_applied")  # fault injection: effects durable, no ack
            for delivery in batch:
                self._count("ok")
                self.queue_consumer.ack_message(delivery.message)
            return
        if len(batch) == 1:
            self._after_failure(batch[0].message, failed[1], failed)
            return
        log.info("%s: a batch of %d failed (%s: %s); each delivery is tried alone",
                 self.handler_name, len(batch), failed[0].__name__, failed[1])
        for delivery in batch:
            self._run_batch([delivery])

    def _run_worker(self, batch: list[_Delivery]):
        """Run the handler on the batch's events in a nameko worker; its exc_info, or None."""
        first = batch[0]
        finished = eventlet.event.Event()

        def handle_result(worker_ctx, result=None, exc_info=None):
            self._handler_returned(first.started)
            finished.send(exc_info)
            return result, exc_info

        try:
            self.container.spawn_worker(
                self, ([delivery.envelope for delivery in batch],), {},
                context_data=_context_data(first.message, first.envelope),
                handle_result=handle_result)
        except ContainerBeingKilled:
            for delivery in batch:
                self.queue_consumer.requeue_message(delivery.message)
            return _REQUEUED
        return finished.wait()

    def handle_result(self, message, envelope, started, worker_ctx, result=None, exc_info=None):
        # The claim stays "in flight" until it is marked done or released: a redelivery of the
        # same event (the broker connection was lost while the handler ran) must find it busy
        # until then, or it would take this process's own claim over and run the handler twice.
        try:
            return self._settle(message, envelope, started, result, exc_info)
        finally:
            self._in_flight.discard(self._consumed_id(envelope))

    def _handler_returned(self, started: float) -> None:
        """What follows every run of the handler, one delivery or a batch: the slow-handler
        failpoint (fault injection only: a slow consumer, tests/chaos) and the run's duration
        since its (first) delivery arrived."""
        failpoints.delay("slow_handler")
        self._durations.observe(time.perf_counter() - started)

    def _settle(self, message, envelope, started, result, exc_info):
        self._handler_returned(started)
        if exc_info is None and not self.idempotent:
            try:
                self._mark_done(envelope)
            except PyMongoError as error:
                exc_info = (type(error), error, error.__traceback__)
        if exc_info is None:
            self._count("ok")
            self.queue_consumer.ack_message(message)
            return result, exc_info
        if not self.idempotent:
            with contextlib.suppress(PyMongoError):  # else the claim expires (claim_timeout)
                self._release_claim(envelope)
        self._after_failure(message, exc_info[1], exc_info)
        return result, exc_info

    def _after_failure(self, message: Message, error: BaseException, exc_info) -> None:
        attempts = int(message.headers.get(ATTEMPTS_HEADER, 0)) + 1
        if attempts <= len(self.delays):
            self._retry_later(message, attempts, error)
        else:
            self._dead_letter(message, attempts, error, "handler kept failing", exc_info=exc_info)

    def _retry_later(self, message: Message, attempts: int, error: BaseException) -> None:
        delay = self.delays[attempts - 1]
        log.warning("%s failed on attempt %d (%s: %s); retrying in %d ms", self.handler_name,
                    attempts, type(error).__name__, error, delay)
        headers = {**message.headers, ATTEMPTS_HEADER: attempts,
                   "x-agora-last-error": _short(f"{type(error).__name__}: {error}")}
        if self._republish(message, retry_queue(self.queue_name, delay), headers):
            self._count("retried")

    def _dead_letter(self, message: Message, attempts: int, error: BaseException, reason: str,
                     exc_info=None) -> None:
        log.error("%s dead-lettered a message after %d attempt(s): %s (%s: %s)",
                  self.handler_name, attempts, reason, type(error).__name__, error)
        headers = {
            **message.headers,
            ATTEMPTS_HEADER: attempts,
            "x-agora-reason": reason,
            "x-agora-error": _short(f"{type(error).__name__}: {error}"),
            "x-agora-traceback": _short("".join(traceback.format_exception(*exc_info)), 4000)
            if exc_info else "",
            "x-agora-handler": self.handler_name,
            "x-agora-queue": self.queue_name,
            "x-agora-exchange": message.delivery_info.get("exchange", ""),
            "x-agora-routing-key": message.delivery_info.get("routing_key", ""),
            "x-agora-failed-at": utc_now().isoformat(),
        }
        if self._republish(message, self.dead_letters, headers):
            self._count("dead_lettered")

    def _republish(self, message: Message, queue: str, headers: dict[str, Any]) -> bool:
        """Confirmed publish to `queue`, then ack the original; on failure requeue the original
        (so it comes back later) — the message is never acked unless it is safely elsewhere."""
        try:
            with get_producer(self.amqp_uri, confirms=True) as producer:
                producer.publish(
                    message.body, exchange="", routing_key=queue, headers=headers,
                    content_type=message.content_type or "application/json",
                    content_encoding=message.content_encoding or "utf-8",
                    delivery_mode=PERSISTENT, retry=True,
                    message_id=message.properties.get("message_id"),
                    type=message.properties.get("type"),
                )
        except Exception as error:  # whatever failed, the message must be kept
            log.error("%s could not move a message to %s (%s); requeueing it", self.handler_name,
                      queue, error)
            self.queue_consumer.requeue_message(message)
            return False
        self.queue_consumer.ack_message(message)
        return True

    def _unsealed(self, envelope: Envelope) -> Envelope:
        subject = erased_subject(envelope)
        if subject:
            self.keys.forget(subject)  # another process shredded it: stop using our copy now
        return unseal_envelope(self.keys, envelope)

    def _consumed_id(self, envelope: Envelope) -> str:
        return f"{self.handler_name}:{envelope.id}"

    def _claim(self, envelope: Envelope) -> str:
        """'claimed' (ours to handle), 'done' (a duplicate) or 'busy' (another worker has it).

        A claim is a document inserted before the handler runs; the unique id makes two
        concurrent deliveries of one event race for it, and exactly one wins. A claim left by a
        crashed process expires after `claim_timeout` and is taken over.
        """
        key, now = self._consumed_id(envelope), utc_now()
        try:
            self.consumed.insert_one({"_id": key, "state": "running", "claimed_at": now,
                                      "type": envelope.type, "owner": self.owner})
            self._in_flight.add(key)
            return "claimed"
        except DuplicateKeyError:
            pass
        # Expired, or ours and no longer being handled here: a claim this process could not
        # release (the database was down when the handler failed) must not hold the retry back
        # for a whole claim timeout.
        takeable = [{"claimed_at": {"$lt": now - self.claim_timeout}}]
        if key not in self._in_flight:
            takeable.append({"owner": self.owner})
        taken_over = self.consumed.find_one_and_update(
            {"_id": key, "state": "running", "$or": takeable},
            {"$set": {"claimed_at": now, "owner": self.owner}})
        if taken_over is not None:
            self._in_flight.add(key)
            return "claimed"
        existing = self.consumed.find_one({"_id": key}, {"state": 1})
        if existing is None:  # released between our two reads: try again from the top
            return self._claim(envelope)
        return "done" if existing["state"] == "done" else "busy"

    def _mark_done(self, envelope: Envelope) -> None:
        self.consumed.update_one({"_id": self._consumed_id(envelope)},
                                 {"$set": {"state": "done", "done_at": utc_now()}}, upsert=True)

    def _release_claim(self, envelope: Envelope) -> None:
        self.consumed.delete_one({"_id": self._consumed_id(envelope), "state": "running"})

    def _count(self, outcome: str) -> None:
        series = self._outcomes.get(outcome)
        if series is None:
            series = self._outcomes[outcome] = metrics.EVENTS_CONSUMED.labels(
                self.container.service_name, self.handler_name, outcome)
        series.inc()


def _queue_arguments(settings: dict[str, Any]) -> dict[str, Any]:
    # The environment is the fallback so that no process can declare a different queue type from
    # the cluster's (RabbitMQ refuses to re-declare a queue with another type).
    queue_type = settings.get("queue_type") or os.environ.get("AGORA_QUEUE_TYPE") or "classic"
    return {} if queue_type == "classic" else {"x-queue-type": queue_type}


def _context_data(message: Message, envelope: Envelope) -> dict[str, Any]:
    """The worker's context: nameko's headers, and the event's correlation id."""
    context_data = {key[len("nameko."):]: value
                    for key, value in message.headers.items() if key.startswith("nameko.")}
    context_data.setdefault("correlation_id", envelope.correlation_id)
    return context_data


def _delivery_batch(settings: dict[str, Any]) -> int:
    """Deliveries a batch handler takes at once at most (`delivery_batch`; 1 hands them over
    one by one, as to any other handler). What the broker lets wait unacked (the prefetch, the
    container's `max_workers`) bounds it too."""
    size = settings.get("delivery_batch") or os.environ.get("AGORA_DELIVERY_BATCH") \
        or DEFAULT_DELIVERY_BATCH
    return max(1, int(size))


class _Delivery(NamedTuple):
    message: Message
    envelope: Envelope
    started: float


_REQUEUED = object()  # a batch given back to the broker (the container is being killed)


def _short(text: str, limit: int = 1000) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


reliable_handler = ReliableEventHandler.decorator
