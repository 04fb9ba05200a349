"""CPU time of processes from /proc, and the shared servers' pids — with no eventlet: `bench
replay` measures real threads (bench/cpu.py monkey-patches them at import)."""
from __future__ import annotations

import os
import subprocess

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User + system CPU time of each process so far (0 for one that is gone)."""
    return {name: _stat(f"/proc/{pid}/stat")[1] for name, pid in pids.items()}


def _stat(path: str) -> tuple[str, float]:
    """A process's or thread's name and user + system CPU seconds from its `stat` file
    ("", 0 for one that is gone)."""
    try:
        with open(path) as stat:
            head, tail = stat.read().rsplit(")", 1)
    except (FileNotFoundError, ProcessLookupError):
        return "", 0.0
    fields = tail.split()
    return head.split("(", 1)[1], (int(fields[11]) + int(fields[12])) / TICKS


def shared_pid(pattern: str) -> int | None:
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    return int(found[0]) if found else None


def stand_in_pattern(port: int) -> str:
    """The command line of the MongoDB stand-in serving `port` (several may run: one per
    engineer's branch)."""
    return f"MongoStandIn .*--port {port}( |$)"


def _jvm_thread_kind(name: str) -> str | None:
    """The JVM's own threads by name (`/proc/<pid>/task/<tid>/comm`): its JIT compilers and
    its collector (G1's workers, the VM thread that runs their safepoints); None for the
    others — the commands' threads and the store's commit."""
    if name.startswith(("C1 Compiler", "C2 Compiler")):
        return "JIT"
    if name.startswith(("G1 ", "GC Thread", "VM Thread")):
        return "GC"
    return None


def jvm_thread_seconds(pid: int) -> dict[str, float]:
    """CPU time so far of a JVM's compiler and collector threads ("JIT", "GC"): a stand-in
    started for a bench spends most of its first minutes compiling, and its collector's share
    grows with its heap — neither is the commands' work."""
    seconds = {"JIT": 0.0, "GC": 0.0}
    for task in os.listdir(f"/proc/{pid}/task") if os.path.exists(f"/proc/{pid}") else ():
        name, cpu = _stat(f"/proc/{pid}/task/{task}/stat")  # "" for a thread that ended
        kind = _jvm_thread_kind(name)
        if kind:
            seconds[kind] += cpu
    return seconds


def jvm_pause_seconds(pid: int) -> float:
    """Seconds a JVM's collector has stopped it so far (`jstat -gc`: young, full and the
    concurrent cycles' pauses), 0 when jstat cannot tell: every command waits out a pause."""
    try:
        lines = subprocess.run(["jstat", "-gc", str(pid)], capture_output=True, text=True,
                               timeout=30).stdout.split("\n")
        return float(dict(zip(lines[0].split(), lines[1].split(), strict=True))["GCT"])
    except (OSError, subprocess.SubprocessError, IndexError, KeyError, ValueError):
        return 0.0
