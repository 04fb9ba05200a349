# ruff: noqa: E402 - eventlet.monkey_patch() must precede every other import
"""CPU time per request, per process of the platform: where a request's work is done.

    python -m bench cpu                         ping, home feed, journal, new post; 40 each
    python -m bench cpu --kinds post --requests 60 --rounds 2
    python -m bench cpu --kinds post --requests 200 --py-spy /tmp/spy   (pip install py-spy)

Starts the whole platform as `bench load` does (own vhost and databases, a local SMTP sink;
20 members each following the next 5, `--seed` posts through the API), then sends `--requests`
requests of each kind from 4 clients and reads each process's CPU time (user + system, from
/proc) before and after. A new post is counted until the platform is quiet again (its
moderation, fan-out, notifications and e-mails included). Printed per kind: the milliseconds of
CPU per request of every process and their sum, and the sum as a ratio to a ping's.

`--py-spy DIR` samples the platform's own processes with py-spy while the new posts are measured
(bench/pyspy.py: one raw file per process in DIR) and prints, for each, the milliseconds per post
by library and the top functions by own and cumulative time.

The MongoDB stand-in and RabbitMQ are shared with whatever else runs on the machine (their
columns include that work); the services, the gateway and the SMTP sink are this run's own.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse
import urllib.parse
from pathlib import Path

from .load import Load, followed_platform
from .processes import cpu_seconds, shared_pid, stand_in_pattern
from .pyspy import Recording, table

KINDS = ("ping", "home", "activity", "post")
CLIENTS = 4


def measure(load: Load, pids: dict[str, int], kind: str, requests: int,
            spied: dict[str, int] | None = None, folder: Path | None = None) -> dict[str, float]:
    """Milliseconds of CPU per request of `kind`, by process (the `spied` ones sampled by
    py-spy into `folder` meanwhile, their tables printed)."""
    load.settle()
    recording = Recording(spied, folder) if spied and folder else None
    before = cpu_seconds(pids)

    def one(index: int) -> None:
        response = load.send(kind, load.members[index % len(load.members)])
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{kind}: {response.status_code} {response.text[:300]}")

    list(eventlet.GreenPool(CLIENTS).imap(one, range(requests)))
    if kind == "post":
        load.settle()  # its asynchronous cascade, to the last e-mail
    after = cpu_seconds(pids)
    if recording:
        for name, path in recording.stop().items():
            print(f"{kind}: py-spy, {name}", flush=True)
            print("\n".join(table(path, requests)), flush=True)
    return {name: (after[name] - before[name]) * 1000 / requests for name in pids}


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
    args = parser.parse_args(argv or [])
    kinds = ["ping", *[k for k in args.kinds.split(",") if k and k != "ping"]]
    with followed_platform("cpu", args.seed, "Cpu") as (load, sink):
        pids = {name: process.pid for name, process in load.platform.processes.items()}
        pids["mail sink"] = sink.process.pid
        own = dict(pids)  # py-spy samples these (not the shared stand-in and broker)
        # the stand-in this platform talks to (several may run: one per engineer's branch)
        port = urllib.parse.urlsplit(load.platform.mongo).port or 27017
        for name, pattern in (("stand-in (shared)", stand_in_pattern(port)),
                              ("rabbitmq (shared)", "beam.smp")):
            pid = shared_pid(pattern)
            if pid:
                pids[name] = pid
        for round_number in range(1, args.rounds + 1):
            ping = None
            for kind in kinds:
                spied = own if args.py_spy and kind == "post" else None
                per = measure(load, pids, kind, args.requests, spied,
                              args.py_spy and args.py_spy / f"round{round_number}")
                total = sum(per.values())
                ping = ping or total
                print(f"round {round_number} {kind:8} {total:6.1f} ms of CPU per request "
                      f"({total / ping:.1f}x a ping): "
                      + ", ".join(f"{name} {ms:.1f}" for name, ms in per.items()), flush=True)

if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
