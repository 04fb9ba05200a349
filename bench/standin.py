"""A private MongoDB stand-in for a bench: its own port and fresh file, the JVM options under
test, and its collector's stop-the-world pauses read back from its `-Xlog:gc*` file.

The stand-in's CPU and collector grow with the data (docs/performance.md, "The mix after the
data grows"); comparing collector settings needs a stand-in per setting, started the same way
each time, with only this run's work in its columns.
"""
from __future__ import annotations

import contextlib
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from services.shared.config import ROOT
from tests.chaos.infra import PrivateDatabase

from .openloop import percentile
from .tail import Pause, jvm_pauses

JVM_OPTIONS = ROOT / "dev" / "mongo-server" / "jvm.options"


def stack_jvm_options(path: Path = JVM_OPTIONS) -> list[str]:
    """The options dev/stack.sh starts the local stack's stand-in with (its file, no comments)."""
    return [word for line in path.read_text().splitlines()
            for word in shlex.split(line.split("#", 1)[0])]


@contextlib.contextmanager
def private_stand_in(options: list[str], gc_log: Path | None = None
                     ) -> Iterator[tuple[PrivateDatabase, Path]]:
    """A stand-in of this checkout's build on a free port and a fresh file, started with
    `options` and logging its collector to `gc_log` (kept) or to a file removed afterwards:
    yields (the database, its gc log); stopped on the way out."""
    workdir = Path(tempfile.mkdtemp(prefix="agora-bench-stand-in-"))
    log = gc_log or workdir / "gc.log"
    database = PrivateDatabase(workdir, stand_in=True, java_options=[
        *options, f"-Xlog:gc*:file={log}:utctime,level,tags"])
    try:
        database.start()
        yield database, log
    finally:
        database.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def started_with(database: PrivateDatabase) -> str:
    """The stand-in's own line at its start (where it listens, its page split size): what it
    runs with, read back from it rather than from the environment it was given."""
    lines = [line for line in database.log.read_text(errors="replace").splitlines()
             if line.startswith("mongo stand-in: listening on ")]
    return lines[-1].removeprefix("mongo stand-in: ") if lines else "no start line in its log"


def pauses_between(gc_log: Path, start: float, end: float) -> list[Pause]:
    """The stand-in's pauses that ended within [start, end] (epoch seconds)."""
    return [p for p in jvm_pauses(gc_log) if start <= p.end <= end]


def pause_summary(pauses: list[Pause], seconds: float) -> str:
    """Count, total, p50 / p90 / max and how often: what every request in flight waits out."""
    if not pauses:
        return "no pauses"
    ms = [p.ms for p in pauses]
    return (f"{len(ms)} pauses, {sum(ms):.0f} ms in all, p50 {percentile(ms, 0.5):.0f} / p90 "
            f"{percentile(ms, 0.9):.0f} / max {max(ms):.0f} ms, one every "
            f"{seconds / len(ms):.1f} s")
