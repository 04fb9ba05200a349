"""Turns: a long stretch of computation lets the process's other green threads run.

A service is one eventlet process: a green thread lets the others run only when it waits for
a socket. A batch of deliveries applied in memory (the handlers' writes buffered, sent in bulk
at the end) computes for as long as the batch is large, and every request that reaches the
process meanwhile — a home page, a journal — waits behind all of it (docs/performance.md,
"The mix's tail: one green thread holding the hub"). A loop over such work calls
`Turns.take()` once per item: every `TURN_MS` of wall time it gives the hub a turn, which runs
what is ready (a request that arrived, a reply) before the loop goes on.
"""
from __future__ import annotations

import time

import eventlet

TURN_MS = 4.0  # at most this long ahead of a request that arrives, and at least as long for it
_IDLE_S = 0.00005  # a round of the hub that ran no one else's work used less CPU than this


class Turns:
    def __init__(self, every_ms: float = TURN_MS):
        self.every = every_ms / 1000
        self.since = time.perf_counter()

    def take(self) -> None:
        """After `every_ms` of this green thread's work: let the others run until none of them
        is ready any more (two rounds of the hub in a row ran no one: the sockets were polled
        and nothing came), or until they had `every_ms` of their own. A request takes several
        rounds (its message read, its worker started, its reply sent and confirmed): one
        round a turn would cost it a turn per step. Without other green threads, a turn costs
        two rounds of the hub (a few µs)."""
        if time.perf_counter() - self.since < self.every:
            return
        started = time.perf_counter()
        idle = 0
        while idle < 2 and time.perf_counter() - started < self.every:
            # This thread's CPU, not wall time: a round in which the OS preempted the process
            # (a loaded machine) is long but ran no one, and must count as idle, or the loop
            # would spin the hub for the whole turn and burn the CPU it was meant to share.
            before = time.thread_time()
            eventlet.sleep(0)
            idle = idle + 1 if time.thread_time() - before < _IDLE_S else 0
        self.since = time.perf_counter()
