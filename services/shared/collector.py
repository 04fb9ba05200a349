"""The Python cyclic garbage collector of a long-running process: its pauses, made visible.

`AGORA_GC_LOG=<folder>` (a developer's flag, off by default): each process appends one line per
collection that took 1 ms or more to `<folder>/<process>.gc` — its wall-clock start (UTC epoch
seconds), its duration in ms and its generation — so that `python -m bench tail` can line a slow
request up with a pause in the process that served it.

`tune_collector` (every process, at start-up; `AGORA_GC_TUNING=off` keeps Python's defaults, for
a comparison): docs/architecture.md, "The tail after growth".
"""
from __future__ import annotations

import gc
import os
import time
from pathlib import Path

LOG_ENV = "AGORA_GC_LOG"
TUNING_ENV = "AGORA_GC_TUNING"
LOGGED_MS = 1.0  # shorter collections are not what a p99 of tens of ms waits on


def log_collections(process: str) -> None:
    """Start logging this process's collections if `AGORA_GC_LOG` names a folder."""
    folder = os.environ.get(LOG_ENV)
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    out = open(Path(folder) / f"{process}.gc", "a", buffering=1)  # noqa: SIM115 - process-long
    started: list[float] = [0.0, 0.0]

    def timed(phase: str, info: dict) -> None:
        if phase == "start":
            started[:] = [time.time(), time.perf_counter()]
            return
        ms = (time.perf_counter() - started[1]) * 1000
        if ms >= LOGGED_MS:
            out.write(f"{started[0]:.3f} {ms:.1f} {info['generation']}\n")

    gc.callbacks.append(timed)


# Python's default (700, 10, 10) collects the youngest generation every 700 net allocations; a
# service answering a request allocates thousands (pymongo's documents, marshmallow's dicts), so
# it ran young collections many times a request and a full one every few seconds of traffic.
THRESHOLDS = (50_000, 20, 10)


def tune_collector() -> None:
    """Called once start-up's imports are done: what they made (modules, classes, functions,
    compiled schemas: most of a process's objects) lives as long as the process, so it is moved
    out of the collector's sight (`gc.freeze`) instead of being walked again by every full
    collection; and the youngest generation is collected less often (THRESHOLDS)."""
    if os.environ.get(TUNING_ENV, "on") == "off":
        return
    gc.collect()  # what start-up left as garbage is freed now, not frozen for good
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
