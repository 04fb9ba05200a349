# ruff: noqa: E402 - eventlet.monkey_patch() must precede every other import
"""One member alone: the synchronous request path of each kind, as a ratio to a bare ping.

    python -m bench single_user                  200 rounds, 100 posts seeded first
    python -m bench single_user --rounds 50 --posts 40
    python -m bench single_user --own-posts 1000  the member wrote 1,000 posts before
    python -m bench single_user --against ../agora-before
                                                 this checkout's new post against another's

Starts the whole platform as `bench load` does (`agora migrate`, every process, own vhost and
databases, a local SMTP sink), members each following the next 5, seeds `--posts` posts
through the API and waits until every consumer caught up and the platform is quiet (its
processes' CPU at rest: the seeding's e-mails sent, `Load.quiet`). Then one client, sequentially,
`--rounds` times: `GET /api/v1/ping` (the gateway's pipeline and one RPC that does nothing),
`POST /api/v1/posts`, `GET /api/v1/feeds/home`, `GET /api/v1/users/<id>/activity` — the
kinds alternate, so the machine's load falls on all of them alike, with `--pause` seconds
between two requests and `--after-post` after a post (a member reads; a post's asynchronous
work — moderation, fan-out, notifications — is done meanwhile, so each kind's latency is its
own path, not the tail of the request before it). Prints each kind's p50/p90 and its p50 as
a ratio to ping's p50 (issue 14's goal: a new post ≤ 2 × a ping); the latencies are the
client's, from send to answer.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse
import shutil
import time
from pathlib import Path

from .gateway import admin_with_categories, signed_in_members
from .load import CATEGORIES, SEED_CONCURRENCY, Load, _follow, whole_platform
from .openloop import percentile
from .writepath import Meter

KINDS = ("ping", "post", "home", "activity")


def rounds(load: Load, count: int, pause: float = 0.0, after_post: float = 0.0
           ) -> dict[str, list[float]]:
    """`count` rounds of every kind in turn by the same member, `pause` seconds between two
    requests (`after_post` after a post); seconds per request."""
    member, other = load.members[0], load.members[1]
    latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for _ in range(count):
        previous = None
        for kind in KINDS:
            wait = after_post if previous == "post" else pause
            if wait:
                eventlet.sleep(wait)  # the member reading: pacing, not a synchronisation
            previous = kind
            started = time.perf_counter()
            if kind == "activity":  # another member's journal, as the mix reads
                response = load.session.get(
                    f"{load.base}/api/v1/users/{other['id']}/activity", timeout=10,
                    headers={"Authorization": f"Bearer {member['token']}"})
            else:
                response = load.send(kind, member)
            latencies[kind].append(time.perf_counter() - started)
            if response.status_code not in (200, 201):
                raise RuntimeError(f"{kind}: {response.status_code} {response.text[:300]}")
    return latencies


def alternated(loads: dict[str, Load], count: int, pause: float, after_post: float,
               kinds: tuple[str, ...] = ("ping", "post")
               ) -> dict[tuple[str, str], list[float]]:
    """`count` rounds of `kinds` (a ping and a new post) by one member on each platform in turn
    (the order swapped every round), so that both share the machine's load alike; seconds."""
    latencies: dict[tuple[str, str], list[float]] = {
        (name, kind): [] for name in loads for kind in kinds}
    names = list(loads)
    for number in range(count):
        for name in names if number % 2 == 0 else reversed(names):
            load = loads[name]
            for kind in kinds:
                eventlet.sleep(pause)  # the member reading: pacing, not a synchronisation
                started = time.perf_counter()
                response = load.send(kind, load.members[0])
                latencies[(name, kind)].append(time.perf_counter() - started)
                if response.status_code not in (200, 201):
                    raise RuntimeError(f"{name} {kind}: {response.status_code}")
            if "post" in kinds:
                eventlet.sleep(after_post)  # the post's cascade done before the next request
    return latencies


def report_alternated(latencies: dict[tuple[str, str], list[float]]) -> None:
    p50 = {key: percentile(values, 0.5) * 1000 for key, values in latencies.items()}
    names = list(dict.fromkeys(name for name, _ in latencies))
    kinds = [kind for kind in dict.fromkeys(kind for _, kind in latencies) if kind != "ping"]
    for name in names:
        print(f"{name:<8} ping p50 {p50[(name, 'ping')]:6.1f} ms, " + ", ".join(
            f"{kind} p50 {p50[(name, kind)]:6.1f} ms = "
            f"{p50[(name, kind)] / p50[(name, 'ping')]:.2f} x its ping" for kind in kinds),
            flush=True)
    this, that = names
    print(", ".join(f"{kind} p50 {this} / {that} = {p50[(this, kind)] / p50[(that, kind)]:.2f}"
                    for kind in kinds), flush=True)


def own_posts(load: Load, count: int) -> None:
    """`count` posts by the measured member (a member with a history: every thread they
    write is watched, so what grows with it shows in their own requests)."""
    member = load.members[0]

    def create(_: int) -> None:
        response = load.send("post", member)
        if response.status_code != 201:
            raise RuntimeError(f"seeding: {response.status_code} {response.text[:300]}")

    pool = eventlet.GreenPool(SEED_CONCURRENCY)
    for _ in pool.imap(create, range(count)):
        pass


def report(latencies: dict[str, list[float]]) -> None:
    ping = percentile(latencies["ping"], 0.5)
    print(f"{'kind':<10}{'n':>6}{'p50 ms':>9}{'p90 ms':>9}{'p50/ping':>10}")
    for kind, values in latencies.items():
        p50 = percentile(values, 0.5)
        print(f"{kind:<10}{len(values):>6}{p50 * 1000:>9.2f}{percentile(values, 0.9) * 1000:>9.2f}"
              f"{p50 / ping:>10.2f}", flush=True)


def commands_per_request(load: Load, meter, count: int) -> None:
    """Database commands and publishes per request of each kind, `count` requests in a row
    after the platform is quiet (a post's asynchronous work included: the settle counts)."""
    member = load.members[0]
    for kind in KINDS:
        load.settle()
        before = meter.snapshot()
        for _ in range(count):
            load.send(kind, member).raise_for_status()
        requests_made = count
        if kind == "post":  # until everything downstream is done: the settle's marker post
            load.settle()   # counts as one more post
            requests_made += 1
        spent = meter.snapshot() - before
        total = sum(n for key, n in spent.items() if key[0] == "db") / requests_made
        print(f"-- {kind}: {total:.1f} database commands per request", flush=True)
        for key, n in sorted(spent.items(), key=lambda item: -item[1]):
            if n / requests_made >= 0.5:
                print(f"   {n / requests_made:6.1f}  {' '.join(key[1:])}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench single_user", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200, help="rounds of the four kinds")
    parser.add_argument("--posts", type=int, default=100, help="posts seeded first")
    parser.add_argument("--own-posts", type=int, default=0,
                        help="posts seeded first by the measured member itself (its history)")
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--pause", type=float, default=0.25,
                        help="seconds between two requests (default 0.25): the time a member "
                             "reads, in which a post's asynchronous work (moderation, fan-out, "
                             "notifications) is done, so that each kind's latency is its own "
                             "path and not the tail of the request before it; 0: back to back")
    parser.add_argument("--after-post", type=float, default=1.0,
                        help="seconds after a post (default 1): its moderation, fan-out and "
                             "notifications take longer than a read on a loaded machine")
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure this many times on the same platform (noisy machines)")
    parser.add_argument("--wire", action="store_true",
                        help="also count database commands per request of each kind (through "
                             "counting proxies: latencies then include the proxies' hop)")
    parser.add_argument("--against", metavar="CHECKOUT",
                        help="also start a platform from another checkout of Agora (a git "
                             "worktree of the code before a change) and alternate one member's "
                             "ping and new post between the two: post p50 this / that")
    parser.add_argument("--kinds", default="ping,post",
                        help="with --against: the kinds alternated, among ping, post, home, "
                             "activity, vote (a vote on another member's post, cast and taken "
                             "back in turn) (default ping,post; ping always first)")
    parser.add_argument("--hold", action="store_true",
                        help="after measuring, keep the platform up until Enter (profiling)")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv or [])
    workdir, sink, platform = whole_platform("single")
    meter = None
    if args.wire:
        meter = Meter(platform.mongo, platform.amqp, platform.prefix)
        platform.mongo, platform.amqp = meter.mongo_uri, meter.amqp_uri
    other = None
    try:
        platform.start(migrate=True)
        admin_with_categories(platform, CATEGORIES)
        load = Load(platform, signed_in_members(platform.gateway, args.members, "Single"))
        _follow(load)
        load.grow(args.posts)
        own_posts(load, args.own_posts)
        load.settle()
        if args.against:
            other = _against(args.against, args.members, args.posts)
            print(f"== single_user: one member on each platform in turn, {args.rounds} rounds "
                  f"of {args.kinds} (this checkout, and {args.against})", flush=True)
            loads = {"this": load, "that": other[2]}
            for each in loads.values():
                each.settle()
                each.quiet()
            kinds = ("ping", *[kind for kind in args.kinds.split(",") if kind != "ping"])
            alternated(loads, 10, args.pause, args.after_post, kinds)  # warm-up
            for _ in range(args.repeat):
                report_alternated(alternated(loads, args.rounds, args.pause, args.after_post,
                                             kinds))
            return
        load.quiet()  # the seeding's e-mails sent: nothing of it runs beside the rounds
        rounds(load, 10)  # warm-up: connections, lazy imports, caches
        for n in range(args.repeat):
            print(f"== single_user: one member, sequential, {args.rounds} rounds of "
                  f"{', '.join(KINDS)} ({load.created:,} posts, {args.own_posts:,} of them "
                  f"seeded by the member; run {n + 1}/{args.repeat})",
                  flush=True)
            report(rounds(load, args.rounds, args.pause, args.after_post))
            load.settle()
            load.quiet()
        if meter is not None:
            commands_per_request(load, meter, 20)
        if args.hold:
            pids = {name: process.pid for name, process in platform.processes.items()}
            print(f"platform held at {platform.gateway}; pids {pids}; member token "
                  f"{load.members[0]['token']}; other member {load.members[1]['id']}; "
                  "Enter stops", flush=True)
            input()
    finally:
        platform.stop()
        sink.stop()
        if other is not None:
            other[0].stop()
            other[1].stop()
            shutil.rmtree(other[3], ignore_errors=True)
        if meter is not None:
            meter.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _against(checkout: str, members: int, posts: int):
    """A second platform, from `checkout`'s code, seeded alike: (platform, sink, load, its
    work folder)."""
    workdir, sink, platform = whole_platform("against")
    platform.extra_env["PYTHONPATH"] = str(Path(checkout).resolve())
    try:
        platform.start(migrate=True)
        admin_with_categories(platform, CATEGORIES)
        load = Load(platform, signed_in_members(platform.gateway, members, "Against"))
        _follow(load)
        load.grow(posts)
    except BaseException:
        platform.stop()
        sink.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return platform, sink, load, workdir


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
