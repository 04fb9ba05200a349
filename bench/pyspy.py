"""py-spy on the platform's own processes while a bench measures (`bench cpu --py-spy DIR`).

A helper, not a benchmark: `Recording` samples each process with `py-spy record --format raw`
(py-spy is not a dependency: `pip install py-spy` into the venv), and `table` reads the
collapsed stacks back as milliseconds of sampled time per request, by function (own time: the
innermost frame; cumulative: any frame of the stack) and by library (the innermost frame's package:
`services` is the project's own code). Only samples that hold the GIL count (`--gil`): an
eventlet hub waiting in epoll, a socket's send or a tpool thread's wait do not, so the samples
are close to the process's CPU in Python (the stops py-spy imposes make a recorded run's
figures a little higher).
"""
from __future__ import annotations

import collections
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

RATE = 100  # samples a second: 10 ms each
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*)\)$")


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("--py-spy needs py-spy: .venv/bin/pip install py-spy")
    return found


class Recording:
    """py-spy attached to each of `pids` until `stop()`: one raw file per process in `folder`."""

    def __init__(self, pids: dict[str, int], folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.files = {name: folder / f"{name.replace(' ', '-')}.txt" for name in pids}
        self.spies = [
            subprocess.Popen([py_spy(), "record", "--pid", str(pid), "--rate", str(RATE), "--gil",
                              "--format", "raw", "--nolineno", "--output", str(self.files[name])],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name, pid in pids.items()]

    def stop(self) -> dict[str, Path]:
        for spy in self.spies:
            spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        for spy in self.spies:
            spy.wait(timeout=60)
        return {name: path for name, path in self.files.items() if path.exists()}


def stacks(path: Path) -> list[tuple[list[tuple[str, str]], int]]:
    """(frames root first as (function, file), samples) of a raw py-spy file."""
    parsed = []
    for line in path.read_text(errors="replace").splitlines():
        trace, _, count = line.rpartition(" ")
        if not trace or not count.isdigit():
            continue
        frames = []
        for frame in trace.split(";"):
            match = _FRAME.match(frame)
            if match:
                frames.append((match["function"], match["file"]))
        if frames:
            parsed.append((frames, int(count)))
    return parsed


def library(file: str) -> str:
    """Who a frame's code belongs to, as py-spy shortens its file: the package
    (`pymongo/...`, `services/...`) or the standard library's module (`contextlib.py`)."""
    head, _, rest = file.partition("/")
    return head if rest else "stdlib:" + Path(file).stem


def _short(function: str, file: str) -> str:
    parts = Path(file).parts
    return f"{function} ({'/'.join(parts[-2:])})"


def table(path: Path, requests: int, top: int = 12) -> list[str]:
    """Lines: ms per request by library, then the top functions by own and cumulative time."""
    per_request = 1000 / RATE / requests
    own: collections.Counter[str] = collections.Counter()
    cumulative: collections.Counter[str] = collections.Counter()
    libraries: collections.Counter[str] = collections.Counter()
    total = 0
    for frames, count in stacks(path):
        total += count
        own[_short(*frames[-1])] += count
        for name in {_short(*frame) for frame in frames}:
            cumulative[name] += count
        libraries[library(frames[-1][1])] += count
    lines = [f"  sampled {total * per_request:.1f} ms per request; by library (innermost "
             "frame): " + ", ".join(f"{name} {count * per_request:.1f}"
                                               for name, count in libraries.most_common(10))]
    lines.append("  own:        " + "; ".join(f"{name} {count * per_request:.2f}"
                                              for name, count in own.most_common(top)))
    lines.append("  cumulative: " + "; ".join(f"{name} {count * per_request:.2f}"
                                              for name, count in cumulative.most_common(top * 2)))
    return lines
