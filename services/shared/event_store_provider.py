"""`EventStoreProvider`: how a nameko service gets its event store (event_store.py), with the outbox
relay (outbox.py) publishing what it commits.

    class PostsService(Decisions, HealthEndpoints):
        store = EventStoreProvider()          # self.store: the service's EventStore
"""
from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable

import eventlet
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc

from . import commands, failpoints, metrics
from .event_store import Commit, EventStore
from .mongo import database_name, mongo_uri, release_client, shared_client
from .outbox import RELAY_MAX_BACKOFF_SECONDS, OutboxRelay

log = logging.getLogger("services.shared.outbox")  # the relay loop's lines, under the relay's name

# Inside an RPC worker: a list that records "this worker committed" (the relay is woken when the
# worker is done, after its reply went out); None elsewhere (the relay is woken at once).
_commits_of_rpc: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar(
    "agora_commits_of_rpc", default=None)
# Inside an RPC worker: the work it left for after its reply (`after_reply`); None elsewhere.
_after_reply: contextvars.ContextVar[list[Callable[[], None]] | None] = contextvars.ContextVar(
    "agora_after_reply", default=None)


def before_reply() -> bool:
    """Whether this runs in an RPC worker that has not replied yet (on the request's path)."""
    return _after_reply.get() is not None


def after_reply(work: Callable[[], None]) -> bool:
    """Leave `work` for after the reply of the RPC this runs in: nameko sends the reply, then
    tears the worker down, and `EventStoreProvider.worker_teardown` runs the work there — before
    it wakes the relay, so what the work writes precedes the commits' publication. Returns False
    outside an RPC worker (an event handler, a command line): the caller does the work now.

    The work must be what a crash may skip: the process can die between the reply and it (the
    failpoint `after_reply` kills it there, for the tests); an error it raises is logged."""
    pending = _after_reply.get()
    if pending is None:
        return False
    pending.append(work)
    return True


class EventStoreProvider(DependencyProvider):
    """Injects the service's `EventStore` and runs its outbox relay in the background.

    Appends wake the relay at once (in-process), so publication latency is one batch round trip;
    the periodic pass picks up what another (crashed) process left pending. An RPC's appends
    wake it when the worker is done — after nameko sent the reply — so the relay's pass (and
    the service's own subscription, which the publication triggers) does not share the
    process and the database with the request the caller is waiting for. Nothing waits longer
    than the request itself, and a crash before the wake-up is what the periodic pass is for.
    """

    def __init__(self, idle_interval: float | None = None, **kwargs):
        self.idle_interval = idle_interval
        super().__init__(**kwargs)

    def setup(self) -> None:
        config = self.container.config
        settings = config.get("AGORA", {}) or {}
        self.uri = mongo_uri(config)
        self.client = shared_client(self.uri)
        db = self.client[database_name(config, self.container.service_name)]
        self._wake = eventlet.event.Event()
        self.store = EventStore(db, self.container.service_name, on_commit=self._on_commit)
        self.store.ensure_indexes()
        self.relay = OutboxRelay(
            self.store, config["AMQP_URI"],
            batch_size=int(settings.get("relay_batch_size", 500)),
            lease_seconds=float(settings.get("relay_lease_seconds", 15)),
        )
        self.interval = self.idle_interval or float(settings.get("relay_interval_seconds", 1.0))
        self._running = False

    def start(self) -> None:
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run)
        # agora_outbox_backlog is counted here, not when Prometheus scrapes (see OutboxRelay)
        self._backlog_thread = self.container.spawn_managed_thread(
            self.relay.refresh_backlog_forever)

    def stop(self) -> None:
        self._running = False
        self._nudge()
        thread = getattr(self, "_thread", None)
        if thread is not None:
            thread.wait()
        if getattr(self, "_backlog_thread", None) is not None:
            self._backlog_thread.kill()  # (it may be sleeping: nothing of it to wait for)
        self.relay.release_lease()
        self.relay.close()
        release_client(self.uri)

    def kill(self) -> None:
        self._running = False
        self.relay.close()
        release_client(self.uri)

    def get_dependency(self, worker_ctx) -> EventStore:
        return self.store

    def worker_setup(self, worker_ctx) -> None:
        """An RPC's worker runs a command: its idempotency key and deadline reach the store."""
        if isinstance(worker_ctx.entrypoint, Rpc):
            worker_ctx._agora_command = commands.enter(
                worker_ctx.data, self.container.service_name, worker_ctx.entrypoint.method_name)
            worker_ctx._agora_commits = []
            worker_ctx._agora_deferring = _commits_of_rpc.set(worker_ctx._agora_commits)
            worker_ctx._agora_after_reply = []
            worker_ctx._agora_after_reply_token = _after_reply.set(worker_ctx._agora_after_reply)

    def worker_teardown(self, worker_ctx) -> None:
        commands.leave(getattr(worker_ctx, "_agora_command", None))
        deferring = getattr(worker_ctx, "_agora_deferring", None)
        if deferring is not None:
            _commits_of_rpc.reset(deferring)
            _after_reply.reset(worker_ctx._agora_after_reply_token)
            for work in worker_ctx._agora_after_reply:  # the reply went out: their turn
                failpoints.failpoint("after_reply")
                try:
                    work()
                except Exception as error:  # what a crash would have skipped: left undone
                    log.warning("work after an RPC's reply failed (%s: %s)",
                                type(error).__name__, error,
                                extra={"service": self.store.service})
            if worker_ctx._agora_commits:
                self._nudge()  # nameko answered the caller before tearing the worker down

    def _on_commit(self, commit: Commit) -> None:
        commits = _commits_of_rpc.get()
        if commits is None:
            self._nudge()
        else:
            commits.append(True)

    def _nudge(self) -> None:
        if not self._wake.ready():
            self._wake.send(True)

    def _run(self) -> None:
        failures = 0
        while self._running:
            self._wake = eventlet.event.Event()  # before the pass: a commit during it re-wakes us
            try:
                published = self.relay.relay_once()
                if failures:
                    log.info("outbox relay resumed after %d failed pass(es)", failures,
                             extra={"service": self.store.service})
                failures = 0
            except Exception as error:
                # Whatever a pass raises (a database or broker outage, a driver error we did not
                # foresee), the loop must live on: a dead relay leaves every later commit pending
                # until the process restarts. GreenletExit (stop/kill) is not an Exception.
                failures += 1
                published = 0
                self.relay.reset()
                metrics.OUTBOX_RELAY_FAILURES.labels(self.store.service).inc()
                log.warning("outbox relay pass failed (%s: %s); retrying in %.1f s",
                            type(error).__name__, error, self._backoff(failures),
                            extra={"service": self.store.service, "failures": failures})
            if published and self.relay.more_waiting:
                continue  # a full batch: more is pending, go again without waiting
            # else what was appended during the pass woke us already (and the next pass
            # sweeps for what became visible late): no pass just to find nothing
            with eventlet.Timeout(self._backoff(failures), False):
                self._wake.wait()

    def _backoff(self, failures: int) -> float:
        """The idle interval, doubled per consecutive failure, bounded (an outage's end is
        noticed within RELAY_MAX_BACKOFF_SECONDS)."""
        return min(self.interval * (2 ** min(failures, 6)), RELAY_MAX_BACKOFF_SECONDS)
