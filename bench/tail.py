# ruff: noqa: E402 - eventlet.monkey_patch() must precede every other import
"""The latency tail after the data grows, at a low constant rate, lined up with collector pauses.

    python -m bench tail                         2,000 posts, then 20 req/s of the mix for 60 s
    python -m bench tail --posts 1000 --rate 20 --seconds 60 --jvm-gc-log /tmp/s.gc.log

`bench load --quick` after its growth (2,255 posts) fails its p99 budget at 26-43 req/s with
p50 at 14-16 ms: a tail, not a saturation. This grows the data as bench load does (the whole
platform, 20 members each following the next 5, posts through the API with a vote for every
fifth), waits until it has caught up and is quiet, then sends the mix (60 % home feed, 30 %
journal, 10 % new post) open loop at a constant low rate (bench/openloop.py: latency from the
intended send time) for `--windows` windows of `--seconds`, and prints p50/p99/p99.9 per kind
and **the wall-clock times of the slow requests**, each with the pauses that overlap it:

- the Python collector's, in every process of the platform (`AGORA_GC_LOG`, set by this bench:
  services/shared/collector.py writes one line per collection of 1 ms or more);
- the MongoDB stand-in's JVM collector's, when `--jvm-gc-log` names its `-Xlog:gc` file (a
  private stand-in: see docs/performance.md, "The tail after growth");
- the stretches during which one green thread held a process's eventlet hub, every other
  request of that process waiting behind it (`AGORA_STALL_LOG`, set by this bench:
  services/shared/stalls.py writes one line per stretch of 5 ms or more, with where it was).

The last lines count the slow requests that overlap a pause of each kind, and those that
overlap none (then the cause is elsewhere), and sum the stretches by process and by place.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .load import MIX, Outcome, followed_platform
from .openloop import percentile

MEANINGFUL_MS = 10.0  # a shorter pause does not explain a request slower than 100 ms
LISTED = 40          # the slowest requests listed (in time order)


@dataclass
class Pause:
    where: str    # "jvm" or the Python process's name
    what: str     # e.g. "Pause Young (Normal)", "gen 2", or where a green thread held the hub
    start: float  # epoch seconds
    ms: float
    kind: str = "jvm"  # "jvm", "python" (a collection) or "hub" (a green thread's stretch)
    cpu_ms: float | None = None  # a hub's stretch: its CPU (far below `ms`: a core's wait)

    @property
    def computing(self) -> bool:
        """A stretch spent mostly computing, not waiting for a core."""
        return self.cpu_ms is None or self.cpu_ms >= self.ms / 2

    @property
    def end(self) -> float:
        return self.start + self.ms / 1000


# [2026-12-02T18:12:13.782+0000][...][info][gc   ] GC(3) Pause Young (Normal) (G1 ...) 9.1ms
# [...][info][gc,phases   ] GC(3) Pause Mark Start 0.012ms   (ZGC: its pauses are phases)
_JVM_PAUSE = re.compile(r"^\[(?P<at>[^\]]+)\].*\[gc(?:,phases)?\s*\] GC\(\d+\) "
                        r"(?P<what>Pause [A-Za-z]+(?: [A-Za-z]+)*(?: \([^)]*\))?)"
                        r"(?: .*)? (?P<ms>[\d.]+)ms$")


def jvm_pauses(path: Path) -> list[Pause]:
    """The stop-the-world pauses of a JVM's `-Xlog:gc*:file=...:utctime,...` log (each line is
    written at the pause's end)."""
    pauses = []
    for line in path.read_text(errors="replace").splitlines():
        if match := _JVM_PAUSE.match(line):
            end = datetime.strptime(match["at"], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
            ms = float(match["ms"])
            pauses.append(Pause("jvm", match["what"].strip(), end - ms / 1000, ms))
    return pauses


def python_pauses(folder: Path) -> list[Pause]:
    """The Python collections of 1 ms or more each process logged (services/shared/collector)."""
    pauses = []
    for path in sorted(folder.glob("*.gc")):
        for line in path.read_text().splitlines():
            start, ms, generation = line.split()[:3]
            pauses.append(Pause(path.stem, f"gen {generation}", float(start), float(ms),
                                "python"))
    return pauses


def hub_stretches(folder: Path) -> list[Pause]:
    """The stretches of 5 ms or more each process's hub was held by one green thread
    (services/shared/stalls.py), `what` being where it let go, with its CPU."""
    pauses = []
    for path in sorted(folder.glob("*.stalls")):
        for line in path.read_text().splitlines():
            start, ms, cpu, where = line.split(" ", 3)
            pauses.append(Pause(path.stem, f"held ({cpu} ms CPU) {where}", float(start),
                                float(ms), "hub", float(cpu)))
    return pauses


def overlapping(outcome: Outcome, pauses: list[Pause]) -> list[Pause]:
    end = outcome.due + outcome.latency
    return [p for p in pauses if p.start < end and p.end > outcome.due]


def _overlap(outcome: Outcome, pause: Pause) -> float:
    return min(outcome.due + outcome.latency, pause.end) - max(outcome.due, pause.start)


def cause(outcome: Outcome, pauses: list[Pause]) -> Pause | None:
    """The pause (of at least MEANINGFUL_MS) that covers most of a slow request's flight."""
    seen = [p for p in overlapping(outcome, pauses) if p.ms >= MEANINGFUL_MS]
    return max(seen, key=lambda p: _overlap(outcome, p), default=None)


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%S.%f")[:-3]


def report(outcomes: list[Outcome], pauses: list[Pause], slow_ms: float) -> None:
    kinds = ["all", *MIX]
    print(f"  {'kind':<10}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}{'p99.9 ms':>10}{'max ms':>9}")
    for kind in kinds:
        values = [o.latency * 1000 for o in outcomes if kind == "all" or o.kind == kind]
        if values:
            print(f"  {kind:<10}{len(values):>7}{percentile(values, 0.5):>9.1f}"
                  f"{percentile(values, 0.99):>9.1f}{percentile(values, 0.999):>10.1f}"
                  f"{max(values):>9.1f}")
    failed = sum(not o.ok for o in outcomes)
    slow = sorted((o for o in outcomes if o.latency * 1000 > slow_ms), key=lambda o: o.due)
    print(f"  failed {failed}; {len(slow)} requests slower than {slow_ms:.0f} ms")
    attribute(slow, pauses)


def attribute(slow: list[Outcome], pauses: list[Pause]) -> None:
    """The slowest requests with the pauses they met; how many each kind of pause explains."""
    print(f"  the slowest {min(LISTED, len(slow))} (UTC intended send time), with the pauses "
          f"of {MEANINGFUL_MS:.0f} ms or more that overlap them, the one covering most first:")
    listed = sorted(sorted(slow, key=lambda o: -o.latency)[:LISTED], key=lambda o: o.due)
    for outcome in listed:
        seen = sorted((p for p in overlapping(outcome, pauses) if p.ms >= MEANINGFUL_MS),
                      key=lambda p: -_overlap(outcome, p))
        print(f"    {_clock(outcome.due)}  {outcome.kind:<9}{outcome.latency * 1000:>7.0f} ms  "
              + ("; ".join(f"{p.where} {p.what} {p.ms:.0f} ms at {_clock(p.start)}"
                           for p in seen[:3]) or "-"))
    counts = {"jvm": 0, "python": 0, "hub": 0, "none": 0}
    held_by: dict[str, int] = {}
    computing = 0
    for outcome in slow:
        main = cause(outcome, pauses)
        counts["none" if main is None else main.kind] += 1
        if main is not None and main.kind == "hub":
            held_by[main.where] = held_by.get(main.where, 0) + 1
            computing += main.computing
    for name in ("jvm", "python", "hub", "hub computing"):
        group = [p for p in pauses if p.kind == name.split()[0]
                 and (name == p.kind or p.computing)]
        longest = max(group, key=lambda p: p.ms, default=None)
        print(f"  {name} pauses in the window: {len(group)}, {sum(p.ms for p in group):.0f} ms"
              + (f"; longest {longest.where} {longest.what} {longest.ms:.0f} ms at "
                 f"{_clock(longest.start)}" if longest else ""))
    held_places([p for p in pauses if p.kind == "hub"])
    print(f"  slow requests mostly covered by a JVM pause {counts['jvm']}, by a Python "
          f"collection {counts['python']}, by a held hub {counts['hub']} ("
          + "".join(f"{k} {v}, " for k, v in sorted(held_by.items(), key=lambda kv: -kv[1]))
          + f"{computing} of them computing, the others mostly waiting for a core), by none "
          f"{counts['none']} (of {len(slow)}); load average {os.getloadavg()[0]:.1f}")


def held_places(stretches: list[Pause], shown: int = 8) -> None:
    """Where the hubs were held longest in all: process and place, count, total, longest."""
    places: dict[tuple[str, str], list[float]] = {}
    for pause in stretches:
        place = pause.what.split(") ", 1)[-1]
        places.setdefault((pause.where, place), []).append(pause.ms)
    for (where, place), spans in sorted(places.items(), key=lambda kv: -sum(kv[1]))[:shown]:
        print(f"    {where:<14}{len(spans):>5} x, {sum(spans):>7.0f} ms, longest "
              f"{max(spans):>5.0f} ms  {place}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench tail", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=2000, help="posts seeded (default 2,000)")
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second (20)")
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds per window (60)")
    parser.add_argument("--windows", type=int, default=1, help="windows, each reported (1)")
    parser.add_argument("--slow-ms", type=float, default=100.0,
                        help="a request slower than this is listed (100 ms)")
    parser.add_argument("--no-stalls", action="store_true",
                        help="leave the hubs' stretches unlogged (an A/B against code without "
                             "the log: its trace function costs a few µs a switch)")
    parser.add_argument("--logs", type=Path,
                        help="the folder of the processes' .gc and .stalls logs, kept")
    parser.add_argument("--jvm-gc-log", type=Path,
                        help="the stand-in's -Xlog:gc file, to line its pauses up")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv or [])
    gc_folder = args.logs or Path(tempfile.mkdtemp(prefix="agora-bench-tail-gc-"))
    os.environ["AGORA_GC_LOG"] = str(gc_folder)  # the platform's processes inherit them
    if not args.no_stalls:
        os.environ["AGORA_STALL_LOG"] = str(gc_folder)
    try:
        with followed_platform("tail", args.posts, "Tail") as (load, _sink):
            load.settle()
            waited = load.quiet()
            print(f"seeded {load.created:,} posts; quiet after {waited:.0f} s; mix at "
                  f"{args.rate:.0f} req/s for {args.seconds:.0f} s, {args.windows} window(s)",
                  flush=True)
            for window in range(1, args.windows + 1):
                started = datetime.now(UTC).timestamp()
                outcomes = load.step(MIX, args.rate, args.seconds)
                pauses = [p for p in python_pauses(gc_folder) + hub_stretches(gc_folder)
                          + (jvm_pauses(args.jvm_gc_log) if args.jvm_gc_log else [])
                          if p.end >= started]
                print(f"-- window {window} ({load.created:,} posts)", flush=True)
                report(outcomes, pauses, args.slow_ms)
                load.settle()
                load.quiet()
    finally:
        if not args.logs:
            shutil.rmtree(gc_folder, ignore_errors=True)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
