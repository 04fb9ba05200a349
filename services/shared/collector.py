"""The Python cyclic garbage collector of a long-running process: its pauses, made visible.

`AGORA_GC_LOG=<folder>` (a developer's flag, off by default): each process appends one line per
collection that took 1 ms or more to `<folder>/<process>.gc` — its wall-clock start (UTC epoch
seconds), its duration in ms, its generation and the CPU it took in ms (a duration far above its
CPU is a process waiting for a core, not a collection's work) — so that `python -m bench tail`
can line a slow request up with a pause in the process that served it.

`tune_collector` (every process, at start-up; `AGORA_GC_TUNING=off` leaves everything to the
collector, for a comparison): docs/performance.md, "The tail after growth".
"""
from __future__ import annotations

import gc
import os
import time

from .pause_logs import clocks, open_pause_log

LOG_ENV = "AGORA_GC_LOG"
TUNING_ENV = "AGORA_GC_TUNING"
LOGGED_MS = 1.0  # shorter collections are not what a p99 of tens of ms waits on


def log_collections(process: str) -> None:
    """Start logging this process's collections if `AGORA_GC_LOG` names a folder."""
    out = open_pause_log(LOG_ENV, process, "gc")
    if out is None:
        return
    started: list[float] = [0.0, 0.0, 0.0]

    def timed(phase: str, info: dict) -> None:
        if phase == "start":
            started[:] = clocks()
            return
        ms = (time.perf_counter() - started[1]) * 1000
        if ms >= LOGGED_MS:
            cpu = (time.thread_time() - started[2]) * 1000
            out.write(f"{started[0]:.3f} {ms:.1f} {info['generation']} {cpu:.1f}\n")

    gc.callbacks.append(timed)


def tune_collector() -> None:
    """Called once start-up's imports are done: what they made (modules, classes, functions,
    compiled schemas: ~120,000 objects, 77-82 ms of CPU for each full collection to walk) lives
    as long as the process, so it is moved out of the collector's sight (`gc.freeze`) instead of
    being walked again by every full collection. The thresholds stay Python's: collecting the
    youngest generation every 50,000 allocations instead of 700 made each of its collections a
    pause of 0.8-2 s on the shared machine (docs/performance.md, "The tail after growth")."""
    if os.environ.get(TUNING_ENV, "on") == "off":
        return
    gc.collect()  # what start-up left as garbage is freed now, not frozen for good
    gc.freeze()
