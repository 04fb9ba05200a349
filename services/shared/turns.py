"""Turns: a long stretch of computation lets the process's other green threads run.

A service is one eventlet process: a green thread lets the others run only when it waits for
a socket. A batch of deliveries applied in memory (the handlers' writes buffered, sent in bulk
at the end) computes for as long as the batch is large, and every request that reaches the
process meanwhile — a home page, a journal — waits behind all of it (docs/architecture.md,
"The mix's tail: one green thread holding the hub"). A loop over such work calls
`Turns.take()` once per item: every `TURN_MS` of wall time it gives the hub a turn, which runs
what is ready (a request that arrived, a reply) before the loop goes on.
"""
from __future__ import annotations

import time

import eventlet

TURN_MS = 4.0  # a request waits about two turns behind a batch (one poll, one start)


class Turns:
    def __init__(self, every_ms: float = TURN_MS):
        self.every = every_ms / 1000
        self.since = time.perf_counter()

    def take(self) -> None:
        """Let the others run if this green thread computed for `every_ms` since it last did
        (or since this was made). Without a hub running (a command-line replay), a turn is
        a no-op's cost."""
        if time.perf_counter() - self.since >= self.every:
            eventlet.sleep(0)
            self.since = time.perf_counter()
