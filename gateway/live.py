"""The live channel: one server-sent-events stream per signed-in browser (`GET /api/v1/me/events`).

Each gateway replica keeps, in memory, the streams open on *it* (`LiveHub`), and consumes from
RabbitMQ the events those streams need on a queue of its own — exclusive, auto-delete, named
after the replica — bound to:

- ``notifications.live`` / ``notifications.inbox_changed``: new notifications, with each
  member's unread count (a live signal: services/shared/live.py);
- ``notifications.private`` / ``notifications.marked_read``: the member read some (another tab,
  another device: the page asks the API for the count again);
- ``conversations.events`` / ``conversations.message_posted`` and ``conversation_started``:
  references (conversation, message, author ids), never a subject or a text;
- ``conversations.events`` / ``note_added``, ``participant_added``, ``participant_left``,
  ``wait_settled``: staff's side of a conversation (a note, who takes part, « traitée »), to
  the staff the event names only (`STAFF_ONLY`), never its customer.

Every replica receives every such event and forwards each one only to the streams of the
members it names (`route_event`), so a member reaches their events whichever replica holds
their stream, and nobody else's. What a stream sends is references and counts; the page reads
the content through the API, under its usual access rules.

A stream starts with ``hello`` (the current unread count, one RPC): a reconnecting browser —
on this replica or another, which holds no buffer of what it missed — refreshes what it shows
instead of replaying (``Last-Event-ID`` is accepted and answered the same way). Comments are
sent as heartbeats every `heartbeat_seconds` (proxies keep the connection, a dead client is
noticed at the next write). Each stream buffers at most `buffer_size` events; when a slow
client lets it fill, later events are dropped and the stream sends ``resync`` (refresh
everything) once it catches up. A stream whose session is revoked (log out, password change,
erasure) gets ``closed`` and ends within about a second.

A stream ends as soon as its client goes away (a page left, a tab closed): a browser sends
nothing after its request, so its socket turning readable means it was closed
(`_watch_client`). Without that, every page a member clicked through would hold a stream until
a heartbeat write failed (15 to 30 s later).

Under eventlet a stream is one green thread of the WSGI server, not a nameko worker: the route
returns at once (its worker is freed), the server then iterates the stream. `max_connections`
per replica bounds the memory (beyond it the route answers 503 with Retry-After), and
`max_per_member` what one member holds: their next stream ends their oldest one (``closed
{reason: superseded}``), never refused — the newest page is the one being looked at.
"""
from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import eventlet
import kombu
from eventlet.queue import Full, LightQueue
from kombu import Exchange, Queue, binding
from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge

from services.shared.live import INBOX_CHANGED, live_exchange
from services.shared.outbox import private_exchange, public_exchange

from .errors import ServiceUnavailable

log = logging.getLogger(__name__)

LIVE_CONNECTIONS = Gauge("agora_live_connections", "Live (SSE) streams open on this gateway")
LIVE_SUPERSEDED = Counter("agora_live_streams_superseded",
                          "Live streams ended because their member opened one beyond "
                          "GATEWAY_LIVE_MAX_PER_MEMBER")

# Why a stream is closed (`closed {reason}` tells the page, except CLIENT_GONE: nobody listens)
SUPERSEDED = "superseded"            # the member opened a newer one beyond max_per_member
SESSION_REVOKED = "session_revoked"
SERVER_STOPPING = "server_stopping"
CLIENT_GONE = "client_gone"

# (exchange, routing key) pairs the replica's queue is bound to
SUBSCRIPTIONS = (
    (live_exchange("notifications"), INBOX_CHANGED),
    (private_exchange("notifications"), "notifications.marked_read"),
    (public_exchange("conversations"), "conversations.message_posted"),
    (public_exchange("conversations"), "conversations.conversation_started"),
    *((public_exchange("conversations"), key) for key in (
        "conversations.note_added", "conversations.participant_added",
        "conversations.participant_left", "conversations.wait_settled")),
)


class LiveCapacityReached(ServiceUnavailable):
    """503 with Retry-After: this replica holds as many live streams as it may."""


@dataclass(frozen=True)
class LiveSettings:
    heartbeat_seconds: float = 15.0
    max_connections: int = 4000
    max_per_member: int = 10
    buffer_size: int = 64
    retry_ms: int = 3000

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LiveSettings:
        raw = (config.get("GATEWAY", {}) or {}).get("live") or {}
        defaults = cls()
        return cls(**{name: type(getattr(defaults, name))(raw[name])
                      for name in defaults.__dataclass_fields__ if raw.get(name) not in (None, "")})


@dataclass(frozen=True)
class LiveEvent:
    kind: str                 # the SSE `event:` name
    data: dict[str, Any]


CLOSE = object()


@dataclass(eq=False)
class Stream:
    """One open SSE connection: a bounded buffer between the consumer and the WSGI writer."""

    member_id: str
    session_id: str | None
    buffer_size: int
    queue: LightQueue = field(init=False)
    lagging: bool = False
    closed_reason: str | None = None

    def __post_init__(self) -> None:
        self.queue = LightQueue(maxsize=self.buffer_size + 1)  # +1: room for CLOSE

    def offer(self, event: LiveEvent) -> None:
        if self.queue.qsize() >= self.buffer_size:
            self.lagging = True   # the client is not reading: drop, and tell it to resync
            return
        with contextlib.suppress(Full):
            self.queue.put_nowait(event)

    def close(self, reason: str) -> None:
        if self.closed_reason is None:
            self.closed_reason = reason
            with contextlib.suppress(Full):
                self.queue.put_nowait(CLOSE)

    def next(self, timeout: float):
        """The next event, CLOSE, or None after `timeout` (time for a heartbeat)."""
        try:
            return self.queue.get(timeout=timeout)
        except eventlet.queue.Empty:
            return None


def route_event(message: dict[str, Any]) -> list[tuple[str, LiveEvent]]:
    """Whom an event or signal concerns and what their streams get: (member id, event) pairs.
    Pure; the one place deciding who may see what on the live channel."""
    kind = message.get("type")
    payload = message.get("payload") or {}
    if kind == INBOX_CHANGED:
        return [(member, LiveEvent("notification", {
                    "unread": int(entry.get("unread") or 0),
                    "new": [{"id": str(n.get("id")), "type": n.get("type")}
                            for n in entry.get("new") or []]}))
                for member, entry in (message.get("members") or {}).items()
                if isinstance(entry, dict)]
    if kind == "notifications.marked_read" and payload.get("member_id"):
        return [(payload["member_id"], LiveEvent("read", {}))]
    if kind == "conversations.message_posted":
        data = {key: payload.get(key) for key in ("conversation_id", "message_id", "author_id")}
        members = {*payload.get("participant_ids", []), payload.get("author_id")}
        return [(member, LiveEvent("message", data)) for member in members if member]
    if kind == "conversations.conversation_started":
        data = {"conversation_id": payload.get("conversation_id")}
        return [(member, LiveEvent("conversation", data))
                for member in payload.get("participant_ids", []) if member]
    if kind in STAFF_ONLY:
        return _to_staff(kind, payload)
    return []


# Staff's own bookkeeping on a conversation, for its console page: the event names its staff
# (`staff_ids`: never its customer, who is neither shown nor told), whom alone it reaches. An
# event from before `staff_ids` existed reaches nobody (as before): a reload shows it.
STAFF_ONLY = {
    "conversations.note_added": ("note", ("note_id", "author_id")),
    "conversations.participant_added": ("participants", ("participant_id",)),
    "conversations.participant_left": ("participants", ("participant_id",)),
    "conversations.wait_settled": ("handled", ("settled_by",)),
}


def _to_staff(kind: str, payload: dict[str, Any]) -> list[tuple[str, LiveEvent]]:
    name, keys = STAFF_ONLY[kind]
    data = {"conversation_id": payload.get("conversation_id"),
            **{key: payload.get(key) for key in keys}}
    if name == "participants":
        data["change"] = "left" if kind.endswith("_left") else "added"
    return [(member, LiveEvent(name, data))
            for member in dict.fromkeys(payload.get("staff_ids") or ()) if member]


def sse_frame(kind: str, data: dict[str, Any], event_id: str | None = None) -> bytes:
    lines = [f"id: {event_id}"] if event_id else []
    lines += [f"event: {kind}", f"data: {json.dumps(data, separators=(',', ':'))}"]
    return ("\n".join(lines) + "\n\n").encode()


class LiveHub(DependencyProvider):
    """The replica's open streams, its queue on the broker, and the revocation watch."""

    reconnect_seconds = 2.0

    def setup(self) -> None:
        config = self.container.config
        self.settings = LiveSettings.from_config(config)
        self.amqp_uri = config["AMQP_URI"]
        self.queue_name = (f"gateway.live.{socket.gethostname()}.{os.getpid()}."
                           f"{uuid.uuid4().hex[:8]}")
        self.boot = uuid.uuid4().hex[:8]
        self._ids = itertools.count(1)
        self.streams: dict[str, list[Stream]] = {}   # per member, oldest first
        self.count = 0
        self.consuming = eventlet.event.Event()
        self.revoked_source = None
        self._running = False
        self._threads: list = []

    def start(self) -> None:
        self._running = True
        self._threads = [self.container.spawn_managed_thread(self._consume),
                         self.container.spawn_managed_thread(self._watch_revocations)]

    def stop(self) -> None:
        self._running = False
        for streams in list(self.streams.values()):
            for stream in list(streams):
                stream.close(SERVER_STOPPING)
        for thread in self._threads:
            thread.kill()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx) -> LiveHub:
        return self

    # -- streams ---------------------------------------------------------------------------

    def open(self, actor: dict[str, Any], revoked_source) -> Stream:
        """Register a stream for the actor, ending their oldest ones beyond `max_per_member`
        (raises LiveCapacityReached when the replica is full)."""
        self.revoked_source = revoked_source
        mine = self.streams.get(actor["id"], [])
        while mine and len(mine) >= self.settings.max_per_member:
            # a member clicking through pages or with many tabs is looking at the newest one;
            # refusing it would leave the page they see without its bell
            self.supersede(mine[0])
        if self.count >= self.settings.max_connections:
            raise LiveCapacityReached("this server holds as many live connections as it may; "
                                      "retry later", {"retry_after": 10})
        stream = Stream(actor["id"], actor.get("sid"), self.settings.buffer_size)
        self.streams.setdefault(actor["id"], []).append(stream)
        self.count += 1
        LIVE_CONNECTIONS.set(self.count)
        return stream

    def supersede(self, stream: Stream) -> None:
        """End a stream to make room for its member's newer one: it no longer counts from now
        (its writer sends `closed` and finishes on its own)."""
        stream.close(SUPERSEDED)
        self.release(stream)
        LIVE_SUPERSEDED.inc()

    def release(self, stream: Stream) -> None:
        mine = self.streams.get(stream.member_id)
        if mine and stream in mine:
            mine.remove(stream)
            self.count -= 1
            LIVE_CONNECTIONS.set(self.count)
            if not mine:
                self.streams.pop(stream.member_id, None)

    def frames(self, stream: Stream, unread: int, client=None) -> Iterator[bytes]:
        """The body of one SSE response; ends on close or as soon as the `client` socket is
        closed, releases the stream whatever happens (the WSGI server also closes the
        generator when a write finds the client gone)."""
        watch = eventlet.spawn(_watch_client, stream, client) if client is not None else None
        try:
            yield f"retry: {self.settings.retry_ms}\n\n".encode()
            yield sse_frame("hello", {"unread": unread}, self._next_id())
            while True:
                item = stream.next(self.settings.heartbeat_seconds)
                if item is CLOSE:
                    if stream.closed_reason != CLIENT_GONE:
                        yield sse_frame("closed", {"reason": stream.closed_reason})
                    return
                if stream.lagging:
                    stream.lagging = False
                    yield sse_frame("resync", {}, self._next_id())
                if item is None:
                    yield b": keep-alive\n\n"
                else:
                    yield sse_frame(item.kind, item.data, self._next_id())
        finally:
            if watch is not None:
                watch.kill()   # before the server reads the connection's next request
            self.release(stream)

    def dispatch(self, message: dict[str, Any]) -> int:
        """Forward one broker message to the streams of the members it concerns; returns how
        many streams got it."""
        delivered = 0
        for member_id, event in route_event(message):
            for stream in list(self.streams.get(member_id, ())):
                stream.offer(event)
                delivered += 1
        return delivered

    def _next_id(self) -> str:
        return f"{self.boot}-{next(self._ids)}"

    # -- the replica's queue -----------------------------------------------------------------

    def _queue(self) -> Queue:
        bindings = [binding(Exchange(name, type="topic", durable=True, auto_delete=False),
                            routing_key=key) for name, key in SUBSCRIPTIONS]
        return Queue(self.queue_name, bindings=bindings, exclusive=True, auto_delete=True,
                     durable=False)

    def _on_message(self, message) -> None:
        try:
            body = json.loads(message.body)
            if isinstance(body, dict):
                self.dispatch(body)
        except (ValueError, TypeError, AttributeError) as error:
            log.warning("live channel: unreadable message dropped (%s)", type(error).__name__)

    def _consume(self) -> None:
        interrupted = False
        while self._running:
            try:
                with kombu.Connection(self.amqp_uri, connect_timeout=5, heartbeat=30) as conn, \
                        conn.Consumer([self._queue()], on_message=self._on_message, no_ack=True):
                    if not self.consuming.ready():
                        self.consuming.send(True)
                    if interrupted:
                        # The queue (exclusive, auto-delete) went with the lost connection and
                        # whatever was published until it was bound again is gone: now that it
                        # is, the streams refresh what they show (earlier, a page could refresh
                        # before the missed event existed, then never see it).
                        self._resync_all()
                        interrupted = False
                    while self._running:
                        try:
                            conn.drain_events(timeout=1)
                        except TimeoutError:
                            conn.heartbeat_check()
            except Exception as error:  # broker down or connection lost: streams stay open
                log.warning("live channel: broker connection lost (%s); reconnecting", error)
                interrupted = True
                eventlet.sleep(self.reconnect_seconds)  # ok: reconnect backoff

    def _resync_all(self) -> None:
        for streams in list(self.streams.values()):
            for stream in list(streams):
                stream.offer(LiveEvent("resync", {}))

    def _watch_revocations(self) -> None:
        while self._running:
            eventlet.sleep(1.0)  # ok: the poll interval of the revocation list (refreshed each 1 s)
            revoked = getattr(self.revoked_source, "revoked", None) or frozenset()
            if not revoked:
                continue
            for streams in list(self.streams.values()):
                for stream in list(streams):
                    if stream.session_id and stream.session_id in revoked:
                        stream.close(SESSION_REVOKED)


def client_socket(environ: dict[str, Any]):
    """The connection a request came on, from eventlet's WSGI server (None elsewhere: the
    stream then notices a vanished client at its next heartbeat only)."""
    return getattr(environ.get("eventlet.input"), "_sock", None)


def _watch_client(stream: Stream, client) -> None:
    """Close the stream when its client closes the connection. An EventSource sends nothing
    after its request, so a readable socket is an end of file (or, rarely, a pipelined
    request: then leave it to the heartbeat). Peeking leaves the bytes for the server."""
    try:
        data = client.recv(1, socket.MSG_PEEK)
    except (TimeoutError, ValueError):  # a socket with a timeout; TLS sockets cannot peek
        return
    except OSError:                     # reset by the peer
        data = b""
    if not data:
        stream.close(CLIENT_GONE)
