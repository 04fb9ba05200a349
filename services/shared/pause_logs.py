"""What the developer's pause logs share (`AGORA_GC_LOG`: services/shared/collector.py,
`AGORA_STALL_LOG`: services/shared/stalls.py): a process-long line-buffered file
`<folder>/<process>.<kind>` when the flag names a folder, and the three clocks a pause is
measured with (its wall-clock start for `bench tail` to line it up with requests, its length,
and the CPU it took: a length far above its CPU is a process waiting for a core)."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TextIO


def open_pause_log(flag: str, process: str, kind: str) -> TextIO | None:
    """The file to append this process's lines to, or None when `flag` is not set."""
    folder = os.environ.get(flag)
    if not folder:
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    return open(Path(folder) / f"{process}.{kind}", "a", buffering=1)


def clocks() -> tuple[float, float, float]:
    """Now, by the wall clock (epoch seconds), the monotonic clock and this thread's CPU."""
    return time.time(), time.perf_counter(), time.thread_time()
