"""The eventlet hub held by one green thread: the stretches every other request of a process
waits behind, made visible.

A service is one eventlet process: its green threads (RPC workers, consumers, the HTTP server's
requests) take turns, and one switches out only when it waits for a socket or sleeps. While one
runs Python without waiting (decoding a batch, applying it, rendering a page), every other
request of the process waits for it, whatever the cores do.

`AGORA_STALL_LOG=<folder>` (a developer's flag, off by default, as `AGORA_GC_LOG`): each process
appends one line per stretch of `LOGGED_MS` or more during which one green thread held the hub to
`<folder>/<process>.stalls` — its wall-clock start (UTC epoch seconds), its duration in ms, the
CPU it took in ms (a duration far above its CPU is a process waiting for a core, not a green
thread's work) and where the green thread was when it let go: the innermost and the outermost
frame of the platform's own code (`services/`, `gateway/`), e.g.
`feeds/projections.py:412 _apply_run < shared/consumer.py:290 _run_batch`.
`python -m bench tail` lines slow requests up with them (docs/performance.md, "The mix's tail:
one green thread holding the hub").

It is a greenlet trace function (`greenlet.settrace`, called at every switch): a few µs a switch,
for measurements, not for production.
"""
from __future__ import annotations

import os
import sys
import time
from types import FrameType

import greenlet

from .pause_logs import clocks, open_pause_log

LOG_ENV = "AGORA_STALL_LOG"
LOGGED_MS = 5.0  # a p99 of 100 ms is not made of shorter ones
_OWN_CODE = (f"{os.sep}services{os.sep}", f"{os.sep}gateway{os.sep}")


def log_stalls(process: str) -> None:
    """Start logging this process's long stretches if `AGORA_STALL_LOG` names a folder (call it
    once, after eventlet's monkey patching, in the process's only OS thread that runs green
    threads)."""
    out = open_pause_log(LOG_ENV, process, "stalls")
    if out is None:
        return
    from eventlet.hubs import get_hub

    greenlet.settrace(_Tracer(out, get_hub()))


class _Tracer:
    """Called by greenlet in the green thread switched *to*: what ran since the previous switch
    is the `origin`'s stretch; its frame is where it let go."""

    def __init__(self, out, hub):
        self.out = out
        self.hub = hub
        self.since = clocks()
        self.resumed_at: FrameType | None = None

    def __call__(self, event: str, args: tuple) -> None:
        origin, _target = args
        wall, started, cpu = self.since
        now = time.perf_counter()
        ms = (now - started) * 1000
        if ms >= LOGGED_MS:
            cpu_ms = (time.thread_time() - cpu) * 1000
            # the hub's own stretches are mostly its poll's idle wait: only when it computed
            # (timers that call functions in the hub) did it hold anyone back
            if origin is not self.hub.greenlet or cpu_ms >= max(LOGGED_MS, ms / 2):
                where = where_held(origin.gr_frame or self.resumed_at)
                self.out.write(f"{wall:.3f} {ms:.1f} {cpu_ms:.1f} {where}\n")
        self.since = clocks()
        self.resumed_at = sys._getframe().f_back  # where the new green thread resumes


def where_held(frame: FrameType | None) -> str:
    """The innermost and outermost frames of the platform's own code on a green thread's stack;
    for a library's green thread (a consumer's reads, the HTTP server's), its innermost and
    outermost frames; "-" when it has none (one that ran from its start to its end)."""
    own, every = [], []
    while frame is not None:
        every.append(frame)
        if any(part in frame.f_code.co_filename for part in _OWN_CODE):
            own.append(frame)
        frame = frame.f_back
    shown = own or every
    if not shown:
        return "-"
    return " < ".join(dict.fromkeys(_name(f) for f in (shown[0], shown[-1])))


def _name(frame: FrameType) -> str:
    """`feeds/projections.py:412 _apply_run` (services/ left out), `gateway/http.py:80 ...`,
    `eventlet/wsgi.py:...` (a library's)."""
    path = frame.f_code.co_filename.replace(os.sep, "/")
    if "/services/" in path:
        path = path.rsplit("/services/", 1)[-1]
    elif "/gateway/" in path:
        path = "gateway/" + path.rsplit("/gateway/", 1)[-1]
    else:  # a library's: its package and module
        path = "/".join(path.rsplit("site-packages/", 1)[-1].split("/")[-2:])
    return f"{path}:{frame.f_lineno} {frame.f_code.co_name}"
