"""One idempotency key, one effect: the command an RPC carries, as the event store sees it.

A client that gets no answer retries with the same `Idempotency-Key`. The gateway's own record
(gateway/idempotency.py) replays an answer it holds, but it cannot know what a service did after
the gateway gave up (504) or crashed. So the key travels with the RPC, and the service records
it *with the effect*, where a second execution finds it:

- the gateway puts `rpc_context(scope, key, deadline)` in the RPC's context data: the key scoped
  by its caller (the user of the token, or the client address on anonymous routes) and the
  moment the gateway stops waiting;
- `EventStoreProvider` turns that into the worker's `Command` (`enter`/`leave`): the key made
  specific to the entrypoint (`<service>.<method>`), hashed;
- every commit the command appends carries a *slot*, `<command key>|<stream>|<n>` (the n-th append
  of this command to that stream), under a unique index in the events collection. An append whose
  slot is already recorded returns the recorded commit instead of writing again, so a re-executed
  command finds its first effect (the commit is the single atomic write: no transaction needed);
- ids a command mints (`fresh_uuid`) are derived from its key, so a re-execution addresses the same
  post, reply, conversation or account and answers with the same id;
- a command that has not written yet when its deadline has passed is refused (`CommandExpired`):
  an RPC that waited in a queue past the gateway's timeout (a restarted service draining its
  backlog) does not run after the client was told 504. One that started in time finishes, and
  the client's retry finds its effect through the key. See docs/architecture.md, "One key, one
  effect".

Example (what the event store does; services only mint ids with `fresh_uuid`)::

    token = enter({"idempotency_key": "user:u1\\nk-42", "deadline_ms": now_ms + 10_000},
                  "posts", "create_post")
    fresh_uuid("post")        # the same uuid on every execution of this command
    current().slot("p1")      # 'a9f3…|p1|1'
    leave(token)
"""
from __future__ import annotations

import contextvars
import hashlib
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .errors import CommandExpired

# RPC context data (nameko carries it as `nameko.<name>` message headers)
KEY_CONTEXT = "idempotency_key"
DEADLINE_CONTEXT = "deadline_ms"

_NAMESPACE = uuid.UUID("0b7c3f0e-5d1e-4c55-9a53-3c1f6f1f2e10")
_current: contextvars.ContextVar[Command | None] = contextvars.ContextVar(
    "agora_command", default=None)


def rpc_context(scope: str, key: str | None, deadline: float) -> dict[str, Any]:
    """What the gateway adds to an RPC's context: the scoped key (if any) and the deadline
    (epoch seconds) after which the command must not start."""
    context: dict[str, Any] = {DEADLINE_CONTEXT: int(deadline * 1000)}
    if key is not None:
        context[KEY_CONTEXT] = f"{scope}\n{key}"
    return context


@dataclass
class Command:
    """The command a worker runs: its key (None without `Idempotency-Key`) and deadline."""

    key: str | None
    deadline_ms: int | None
    started: bool = False  # it has written (or found) a commit: it is finished, never refused
    _appends: Counter = field(default_factory=Counter)
    _minted: Counter = field(default_factory=Counter)

    def slot(self, stream_id: str) -> str | None:
        """The unique mark of this command's next append to `stream_id` (None without a key)."""
        if self.key is None:
            return None
        return f"{self.key}|{stream_id}|{self._appends[stream_id] + 1}"

    def appended(self, stream_id: str) -> None:
        self._appends[stream_id] += 1
        self.started = True

    @property
    def expired(self) -> bool:
        """It has not written yet and the gateway stopped waiting for the answer."""
        return (not self.started and self.deadline_ms is not None
                and time.time() * 1000 > self.deadline_ms)

    def check_deadline(self) -> None:
        """Refuse to *start* writing after the gateway stopped waiting for the answer."""
        if self.expired:
            raise CommandExpired("the request waited longer than the gateway's timeout; "
                                 "it was not executed")

    def mint(self, purpose: str) -> uuid.UUID:
        self._minted[purpose] += 1
        return uuid.uuid5(_NAMESPACE, f"{self.key}|{purpose}|{self._minted[purpose]}")


def enter(context_data: dict[str, Any], service: str, method: str) -> contextvars.Token | None:
    """Start the worker's command from its RPC context data (nothing for other entrypoints)."""
    raw_key = context_data.get(KEY_CONTEXT)
    deadline = context_data.get(DEADLINE_CONTEXT)
    if raw_key is None and deadline is None:
        return None
    key = None
    if raw_key is not None:
        key = hashlib.sha256(f"{service}.{method}\n{raw_key}".encode()).hexdigest()
    try:
        deadline_ms = int(deadline) if deadline is not None else None
    except (TypeError, ValueError):
        deadline_ms = None
    return _current.set(Command(key=key, deadline_ms=deadline_ms))


def leave(token: contextvars.Token | None) -> None:
    if token is not None:
        _current.reset(token)


def current() -> Command | None:
    return _current.get()


def keyed() -> bool:
    """Does the worker's command carry an idempotency key (so it may be a retry of an earlier
    execution)?"""
    command = _current.get()
    return command is not None and command.key is not None


def check_deadline() -> None:
    """For a command's first side effect outside the event store (the store checks its own):
    refuse to start it after the gateway stopped waiting (`CommandExpired`)."""
    command = _current.get()
    if command is not None:
        command.check_deadline()


def fresh_uuid(purpose: str) -> uuid.UUID:
    """A new id — or, inside a command with an idempotency key, the id that command mints on
    every execution (the n-th id for `purpose`), so a retry addresses what the first created."""
    command = _current.get()
    if command is None or command.key is None:
        return uuid.uuid4()
    return command.mint(purpose)
