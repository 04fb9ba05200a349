# ruff: noqa: E402 - eventlet.monkey_patch() must precede every other import
"""CPU time per request, per process of the platform: where a request's work is done.

    python -m bench cpu                         ping, home feed, journal, new post; 40 each
    python -m bench cpu --kinds post --requests 60 --rounds 2
    python -m bench cpu --kinds post --requests 200 --py-spy /tmp/spy   (pip install py-spy)
    python -m bench cpu --seed 200 --grow 2500 --requests 100    the same at two data sizes
    python -m bench cpu --seed 200 --grow 2500 --stand-in-opts "-Xmx2g -XX:+UseParallelGC"

Starts the whole platform as `bench load` does (own vhost and databases, a local SMTP sink;
20 members each following the next 5, `--seed` posts through the API), then sends `--requests`
requests of each kind from 4 clients and reads each process's CPU time (user + system, from
/proc) before and after. A new post is counted until the platform is quiet again (its
moderation, fan-out, notifications and e-mails included). Printed per kind: the milliseconds of
CPU per request of every process and their sum, and the sum as a ratio to a ping's.

`--py-spy DIR` samples the platform's own processes with py-spy while the new posts are measured
(bench/pyspy.py: one raw file per process in DIR) and prints, for each, the milliseconds per post
by library and the top functions by own and cumulative time.

`--grow POSTS`: what grows with the data. The database is reached through a timing proxy
(`MongoTimer`, bench/wirecount.py: every command filed by shape, with its time and reply
bytes); every kind is measured at `--seed` posts, then posts are seeded up to POSTS (through
the API, as `bench load` does) and every kind is measured again. Also measured at each size:
the platform at rest (`idle`, `--idle-seconds`: its periodic work, per second). Printed per
kind: each process's CPU per request small -> large and the ratio (the stand-in's JIT
compilers and collector apart: a fresh stand-in compiles for minutes, and neither is the
commands' work), the database commands, time and reply bytes per request, and the command
shapes whose time or reply bytes per request grew. The load average is printed beside every
figure: compare CPU and counts, not wall times, on a shared machine.

`--idle-seconds S`: after each round, the platform at rest over S seconds (its periodic work
and the broker's own, per second): the low-noise figure to compare the broker's settings with.

The MongoDB stand-in and RabbitMQ are shared with whatever else runs on the machine (their
columns include that work; `MONGO_URI` may name a stand-in of one's own, `AMQP_URI` and
`RABBIT_MANAGEMENT_URI` a broker of one's own: the RabbitMQ column is the process listening on
`AMQP_URI`'s port, not the first `beam.smp` found); the services, the
gateway and the SMTP sink are this run's own. `--stand-in` starts a stand-in of this checkout's
build for the run (bench/standin.py: a free port, a fresh file), with dev/mongo-server/jvm.options
or `--stand-in-opts`, and prints its collector's pauses (from its `-Xlog:gc*` file: count, p50 /
p90 / max) while each size is measured — to compare the stand-in's JVM settings (its own
settings come from the environment, e.g. `AGORA_MONGO_FILL_RATE=50 python -m bench cpu --stand-in`
or `AGORA_MONGO_PAGE_SPLIT=8192`; its start line, printed, says the page split size it runs with).
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse
import contextlib
import os
import shlex
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from .growth import per_unit, shape_lines
from .load import Load, followed_platform
from .processes import (
    broker_pid,
    cpu_seconds,
    jvm_pause_seconds,
    jvm_thread_seconds,
    shared_pid,
    stand_in_pattern,
)
from .pyspy import Recording, table
from .standin import (
    pause_summary,
    pauses_between,
    private_stand_in,
    stack_jvm_options,
    started_with,
)

KINDS = ("ping", "home", "activity", "post")
CLIENTS = 4
STAND_IN = "stand-in (shared)"
BROKER = "rabbitmq (shared)"
GREW = 1.25  # --grow: a shape is listed when its time or bytes per request grew this much
SHAPES_SHOWN = 12
GROW_IDLE_SECONDS = 20.0  # --grow: the platform at rest measured this long at each size


@dataclass
class Sample:
    """One kind measured: CPU ms per request by process, the stand-in's JIT and collector
    threads apart (ms per request), the stand-in's collector pauses (wall ms per request),
    the database's shapes per request (with a timer)."""
    cpu: dict[str, float]
    jvm: dict[str, float] = field(default_factory=dict)
    pauses: float = 0.0
    shapes: dict[tuple, list[float]] = field(default_factory=dict)
    load_average: float = 0.0
    seconds: float = 0.0  # the measurement's wall time: what the processes' work at rest adds


class Meters:
    """What is read before and after a measurement: the processes' CPU, the stand-in's
    threads, the timer's shapes."""

    def __init__(self, load: Load, pids: dict[str, int]) -> None:
        self.load, self.pids = load, pids

    def read(self) -> tuple:
        stand_in = self.pids.get(STAND_IN)
        return (cpu_seconds(self.pids), jvm_thread_seconds(stand_in) if stand_in else {},
                jvm_pause_seconds(stand_in) if stand_in else 0.0,
                self.load.timer.snapshot() if self.load.timer else {}, time.monotonic())

    def since(self, before: tuple, units: float) -> Sample:
        (cpu0, jvm0, paused0, shapes0, at0), (cpu1, jvm1, paused1, shapes1, at1) = (
            before, self.read())
        return Sample({name: (cpu1[name] - cpu0[name]) * 1000 / units for name in self.pids},
                      {name: (jvm1[name] - jvm0[name]) * 1000 / units for name in jvm1},
                      (paused1 - paused0) * 1000 / units, per_unit(shapes0, shapes1, units),
                      os.getloadavg()[0], at1 - at0)


def measure(load: Load, meters: Meters, kind: str, requests: int,
            spied: dict[str, int] | None = None, folder: Path | None = None) -> Sample:
    """Per request of `kind`, by process (the `spied` ones sampled by py-spy into `folder`
    meanwhile, their tables printed)."""
    load.settle()
    recording = Recording(spied, folder) if spied and folder else None
    before = meters.read()

    def one(index: int) -> None:
        response = load.send(kind, load.members[index % len(load.members)])
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{kind}: {response.status_code} {response.text[:300]}")

    list(eventlet.GreenPool(CLIENTS).imap(one, range(requests)))
    if kind == "post":
        load.settle()  # its asynchronous cascade, to the last e-mail
    sample = meters.since(before, requests)
    if recording:
        for name, path in recording.stop().items():
            print(f"{kind}: py-spy, {name}", flush=True)
            print("\n".join(table(path, requests)), flush=True)
    return sample


def measure_idle(load: Load, meters: Meters, seconds: float) -> Sample:
    """The platform at rest, per second: its periodic work (relays' and mail passes, clocks)."""
    load.settle()
    load.quiet()
    before, started = meters.read(), time.monotonic()
    eventlet.sleep(seconds)  # the window at rest is what is measured
    return meters.since(before, time.monotonic() - started)


def print_idle(round_number: int, sample: Sample) -> None:
    print(f"round {round_number} idle     {sum(sample.cpu.values()):6.1f} ms of CPU per second "
          "at rest: " + ", ".join(f"{name} {ms:.1f}" for name, ms in sample.cpu.items())
          + f" (load average {sample.load_average:.1f})", flush=True)


def measure_all(load: Load, meters: Meters, kinds: list[str], requests: int,
                round_number: int, py_spy: Path | None, own: dict[str, int]
                ) -> dict[str, Sample]:
    samples: dict[str, Sample] = {}
    ping = None
    for kind in kinds:
        spied = own if py_spy and kind == "post" else None
        sample = samples[kind] = measure(load, meters, kind, requests, spied,
                                         py_spy and py_spy / f"round{round_number}")
        total = sum(sample.cpu.values())
        ping = ping or total
        print(f"round {round_number} {kind:8} {total:6.1f} ms of CPU per request "
              f"({total / ping:.1f}x a ping): "
              + ", ".join(f"{name} {ms:.1f}" for name, ms in sample.cpu.items())
              + f" (load average {sample.load_average:.1f}; {sample.seconds * 1000 / requests:.0f}"
              " ms of wall time per request, over which each process's work at rest counts "
              "too)", flush=True)
    return samples


def _ratio(small: float, large: float) -> str:
    return f"x{large / small:.2f}" if small > 0.05 else "-"


def growth_lines(kind: str, small: Sample, large: Sample, prefix: str) -> list[str]:
    """One kind at two sizes: CPU by process, the database per request, the shapes that grew."""
    unit = "second at rest" if kind == "idle" else "request"
    s_total, l_total = sum(small.cpu.values()), sum(large.cpu.values())
    lines = [f"{kind}: CPU ms per {unit} {s_total:.1f} -> {l_total:.1f} "
             f"({_ratio(s_total, l_total)}; load average {small.load_average:.1f} -> "
             f"{large.load_average:.1f})"]
    for name in small.cpu:
        s, g = small.cpu[name], large.cpu[name]
        jvm = ""
        if name == STAND_IN and small.jvm:
            jvm = "  (" + ", ".join(f"{part} {small.jvm[part]:.1f} -> {large.jvm[part]:.1f}"
                                    for part in small.jvm) + "; the rest " + _ratio(
                s - sum(small.jvm.values()), g - sum(large.jvm.values())) + (
                f"; its collector's pauses {small.pauses:.1f} -> {large.pauses:.1f} ms)")
        lines.append(f"  {name:<20} {s:7.2f} -> {g:7.2f}  {_ratio(s, g)}{jvm}")
    if small.shapes or large.shapes:
        figures = [[sum(v[i] for v in sample.shapes.values()) for i in range(3)]
                   for sample in (small, large)]
        lines.append(f"  database per {unit}: " + "  ->  ".join(
            f"{c:.1f} commands, {t * 1000:.2f} ms, {b / 1000:.1f} KB" for c, t, b in figures))
        grown = shape_lines(small.shapes, large.shapes, prefix, SHAPES_SHOWN, GREW,
                            at_least=0.02 * figures[0][1])
        lines.append(f"  shapes whose time (by 2 % of the total) or reply bytes per {unit} "
                     f"grew x{GREW} or more: "
                     f"{len(grown) // 2 or 'none'}")
        lines.extend("  " + line for line in grown)
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench cpu", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--kinds", default=",".join(KINDS),
                        help=f"comma-separated, among {', '.join(KINDS)} (ping always first)")
    parser.add_argument("--requests", type=int, default=40, help="requests of each kind")
    parser.add_argument("--rounds", type=int, default=1, help="measure every kind this often")
    parser.add_argument("--seed", type=int, default=100, help="posts created before measuring")
    parser.add_argument("--py-spy", type=Path, default=None, metavar="DIR",
                        help="sample the own processes with py-spy during the new posts")
    parser.add_argument("--grow", type=int, default=None, metavar="POSTS",
                        help="then seed up to POSTS posts, measure again and compare")
    parser.add_argument("--idle-seconds", type=float, default=None,
                        help="the platform at rest measured this long (every round; with "
                             "--grow, at each size: 20 s unless given)")
    parser.add_argument("--stand-in", action="store_true",
                        help="a private stand-in for this run, its collector's pauses printed")
    parser.add_argument("--stand-in-opts", default=None, metavar="OPTIONS",
                        help="its JVM options (implies --stand-in; default: "
                             "dev/mongo-server/jvm.options, the local stack's)")
    parser.add_argument("--stand-in-gc-log", type=Path, default=None, metavar="FILE",
                        help="keep its -Xlog:gc* log there")
    args = parser.parse_args(argv or [])
    kinds = ["ping", *[k for k in args.kinds.split(",") if k and k != "ping"]]
    with contextlib.ExitStack() as stack:
        gc_log = None
        if args.stand_in or args.stand_in_opts is not None:
            options = (shlex.split(args.stand_in_opts) if args.stand_in_opts is not None
                       else stack_jvm_options())
            database, gc_log = stack.enter_context(private_stand_in(options,
                                                                    args.stand_in_gc_log))
            os.environ["MONGO_URI"] = database.uri  # the platform's processes inherit it
            print(f"private stand-in {database.uri}: {' '.join(options)}; "
                  f"{started_with(database)}", flush=True)
        started = time.time()
        run(args, kinds, gc_log)
        if gc_log:
            ended = time.time()
            print("the stand-in's collector over the whole run (seeding included): "
                  + pause_summary(pauses_between(gc_log, started, ended), ended - started),
                  flush=True)


def run(args: argparse.Namespace, kinds: list[str], gc_log: Path | None) -> None:
    with followed_platform("cpu", args.seed, "Cpu", timed=bool(args.grow)) as (load, sink):
        pids = {name: process.pid for name, process in load.platform.processes.items()}
        pids["mail sink"] = sink.process.pid
        own = dict(pids)  # py-spy samples these (not the shared stand-in and broker)
        # the stand-in this platform talks to (several may run: one per engineer's branch)
        port = (load.timer.target[1] if load.timer
                else urllib.parse.urlsplit(load.platform.mongo).port or 27017)
        stand_in = shared_pid(stand_in_pattern(port))
        if stand_in:
            pids[STAND_IN] = stand_in
        broker = broker_pid(load.platform.amqp)
        if broker:
            pids[BROKER] = broker
        meters = Meters(load, pids)
        if not args.grow:
            for round_number in range(1, args.rounds + 1):
                measure_all(load, meters, kinds, args.requests, round_number, args.py_spy,
                            own)
                if args.idle_seconds:
                    print_idle(round_number, measure_idle(load, meters, args.idle_seconds))
            return
        sizes = []
        for round_number, target in enumerate((args.seed, args.grow), start=1):
            if target > load.created:
                started, before = time.monotonic(), load.created
                rate = load.grow(target - load.created)
                load.settle()
                print(f"seeded {load.created - before:,} posts at {rate:.1f} posts/s, caught up "
                      f"after {time.monotonic() - started:.0f} s (load average "
                      f"{os.getloadavg()[0]:.1f})", flush=True)
            posts, started = load.created, time.time()
            samples = measure_all(load, meters, kinds, args.requests, round_number,
                                  args.py_spy, own)
            samples["idle"] = measure_idle(load, meters, args.idle_seconds or GROW_IDLE_SECONDS)
            sizes.append((posts, samples))
            if gc_log:
                ended = time.time()
                print(f"the stand-in's collector while measuring at {posts:,} posts "
                      f"({ended - started:.0f} s): "
                      + pause_summary(pauses_between(gc_log, started, ended), ended - started)
                      + f" (load average {os.getloadavg()[0]:.1f})", flush=True)
        (small_posts, small), (large_posts, large) = sizes
        print(f"== growth {small_posts:,} -> {large_posts:,} posts: per kind and process, "
              f"small -> large and the ratio")
        for kind in [*kinds, "idle"]:
            print("\n".join(growth_lines(kind, small[kind], large[kind],
                                         load.platform.prefix)), flush=True)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
