"""CPU time of processes from /proc, and the shared servers' pids — with no eventlet: `bench
replay` measures real threads (bench/cpu.py monkey-patches them at import)."""
from __future__ import annotations

import os
import subprocess

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User + system CPU time of each process so far (0 for one that is gone)."""
    seconds = {}
    for name, pid in pids.items():
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            seconds[name] = (int(fields[11]) + int(fields[12])) / TICKS
        except (FileNotFoundError, ProcessLookupError):
            seconds[name] = 0.0
    return seconds


def shared_pid(pattern: str) -> int | None:
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    return int(found[0]) if found else None


def stand_in_pattern(port: int) -> str:
    """The command line of the MongoDB stand-in serving `port` (several may run: one per
    engineer's branch)."""
    return f"MongoStandIn .*--port {port}( |$)"
