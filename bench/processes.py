"""CPU time of processes from /proc, and the shared servers' pids — with no eventlet: `bench
replay` measures real threads (bench/cpu.py monkey-patches them at import)."""
from __future__ import annotations

import contextlib
import os
import subprocess
import time
import urllib.parse
from dataclasses import dataclass

TICKS = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


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


@dataclass(frozen=True)
class MachineCpu:
    """The whole machine's CPU so far (/proc/stat, every core): the seconds it was busy (all
    but idle and I/O wait) and the monotonic time of the reading. Two readings give what
    everything on the machine used between them — the services, the shared stand-in and
    broker, the bench's own driver — the CPU a request costs where they all share the cores."""
    busy: float
    at: float

    @classmethod
    def now(cls) -> MachineCpu:
        with open("/proc/stat") as stat:
            ticks = [int(value) for value in stat.readline().split()[1:9]]  # user .. steal
        return cls((sum(ticks) - ticks[3] - ticks[4]) / TICKS, time.monotonic())

    def busy_since(self, before: MachineCpu) -> float:
        """CPU seconds the machine used since `before`, all cores summed."""
        return self.busy - before.busy

    def rate_since(self, before: MachineCpu) -> float:
        """Cores busy on average since `before` (CPU seconds a second)."""
        return self.busy_since(before) / max(self.at - before.at, 1e-9)


def shared_pid(pattern: str) -> int | None:
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    return int(found[0]) if found else None


def broker_pid(amqp_uri: str) -> int | None:
    """The pid of the local RabbitMQ behind `amqp_uri`: the process listening on its port.
    Several brokers may run on the machine (the shared one, an engineer's own), and the first
    `beam.smp` found is not necessarily the one the bench talks to; the management API cannot
    be asked either, since a broker may run without its statistics. None when the broker is not
    on this machine (or its sockets are not readable)."""
    parts = urllib.parse.urlsplit(amqp_uri)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    sockets = {f"socket:[{inode}]" for inode in _listening_inodes(parts.port or 5672)}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if sockets & _open_files(pid):
            return int(pid)
    return None


def _open_files(pid: str) -> set[str]:
    """What a process's descriptors point to (none for one that is gone or another user's)."""
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return set()
    targets = set()
    for fd in descriptors:
        with contextlib.suppress(OSError):  # closed meanwhile (the listing's own, for one)
            targets.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
    return targets


def _listening_inodes(port: int) -> set[str]:
    """The socket inodes listening on a TCP port (IPv4 and IPv6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # LISTEN
                    inodes.add(fields[9])
    return inodes


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
