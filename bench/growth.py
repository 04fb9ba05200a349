# ruff: noqa: E402 - eventlet.monkey_patch() must precede every other import
"""Does a new post cost more as the data grows? Its database commands timed at two sizes.

    python -m bench growth                          200 posts, then 2,000
    python -m bench growth --small 200 --large 3000 --posts 40 --rate 3

The whole platform runs as in `bench load` (20 members each following the next 5, a vote for
every fifth seeded post) with its database address pointing at a timing proxy
(`MongoTimer`, bench/wirecount.py): every command any process sends is timed from its request
to its reply and filed under its *shape* — collection, command, the filter's fields and
operators, the sort, whether limited, an update's operators, an aggregate's stages — with the
bytes of its reply, without a line of instrumentation in the services.

At each size, `--posts` new posts are sent at a fixed `--rate` (open loop, random members)
and the run waits until every consumer has caught up; what every command shape cost per post
in that window (its count, its time, its reply bytes) is compared between the two sizes of the
same run. Printed: the posts' p50/p99 at each size, the database time per post, and the shapes
whose time per post grew, largest growth first, with the ratio large/small — a shape that
reads or writes an amount that grows with the data (a count, a sort without a limit, a
document that grows) shows as a ratio well above 1 at a similar count per post.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse
import shutil

from .gateway import admin_with_categories, signed_in_members
from .load import CATEGORIES, Load, _follow, timed_database, whole_platform
from .openloop import percentile
from .wirecount import MongoTimer

SHOWN = 25  # shapes printed, largest growth of time per post first


def timed_posts(load: Load, timer: MongoTimer, posts: int, rate: float) -> dict:
    """`posts` new posts at `rate` per second, until the platform caught up: the posts'
    latencies and, per command shape, [commands, seconds, reply bytes] per post."""
    before, created = timer.snapshot(), load.created
    outcomes = load.step({"post": 1}, rate, posts / rate)
    load.settle()
    per_post = per_unit(before, timer.snapshot(), max(1, load.created - created))
    latencies = [outcome.latency for outcome in outcomes if outcome.ok]
    return {"posts": load.created, "per_post": per_post, "failed": len(outcomes) - len(latencies),
            "p50": percentile(latencies, 0.5) if latencies else float("nan"),
            "p99": percentile(latencies, 0.99) if latencies else float("nan")}


def per_unit(before: dict, after: dict, units: float) -> dict[tuple, list[float]]:
    """Between two `MongoTimer.snapshot()`s, per shape: [commands, seconds, reply bytes] per
    unit (a post, a request, a second)."""
    per = {}
    for shape, (count, seconds, size) in after.items():
        was = before.get(shape, [0, 0.0, 0])
        if count > was[0]:
            per[shape] = [(count - was[0]) / units, (seconds - was[1]) / units,
                          (size - was[2]) / units]
    return per


def total(result: dict) -> float:
    """Milliseconds of database time per post."""
    return sum(seconds for _, seconds, _ in result["per_post"].values()) * 1000


def summary(result: dict) -> str:
    return (f"{result['posts']:,} posts: new post p50 {result['p50'] * 1000:.0f} ms, p99 "
            f"{result['p99'] * 1000:.0f} ms ({result['failed']} failed); database time per "
            f"post {total(result):.1f} ms in "
            f"{sum(c for c, _, _ in result['per_post'].values()):.0f} commands")


def report(small: dict, large: dict, prefix: str) -> list[str]:
    lines = [summary(small), summary(large)]
    lines.append(f"growth {small['posts']:,} -> {large['posts']:,} posts: database time per "
                 f"post x{total(large) / max(total(small), 1e-9):.2f}, p50 "
                 f"x{large['p50'] / small['p50']:.2f}")
    lines.append("per post at each size: commands, ms, ms per command, reply bytes per command; "
                 "ratio of ms per post large/small")
    return lines + shape_lines(small["per_post"], large["per_post"], prefix)


def shape_lines(small: dict, large: dict, prefix: str, shown: int = SHOWN,
                grew: float = 0.0, at_least: float = 0.0) -> list[str]:
    """Two lines per command shape of `per_unit`'s figures at two sizes, the largest growth of
    time per unit first: the ratio large/small of the time, then each size's commands, ms,
    ms per command and reply bytes per command. With `grew`, only the shapes whose time or
    reply bytes per unit grew by that factor or more, and their time by `at_least` seconds
    or their bytes by 100 (smaller moves are the machine's noise)."""
    rows = []
    for shape in set(small) | set(large):
        s, g = small.get(shape, [0.0, 0.0, 0.0]), large.get(shape, [0.0, 0.0, 0.0])
        if not grew or (g[1] >= grew * s[1] and g[1] - s[1] >= at_least) \
                or (g[2] >= grew * s[2] and g[2] - s[2] >= 100):
            rows.append((g[1] - s[1], shape, s, g))
    rows.sort(key=lambda row: row[0], reverse=True)
    lines = []
    for _, (db, command, collection, detail), s, g in rows[:shown]:
        ratio = g[1] / s[1] if s[1] else float("inf")
        lines.append(
            f"  x{ratio:>6.2f}  {db.removeprefix(prefix + '_')}.{collection} {command} "
            f"{detail}".rstrip())
        lines.append("           " + "  ->  ".join(
            f"{c:.2f} cmds {t * 1000:.2f} ms ({t * 1000 / c if c else 0:.2f} ms, "
            f"{b / c if c else 0:.0f} B)" for c, t, b in (s, g)))
    return lines


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench growth")
    parser.add_argument("--small", type=int, default=200, help="posts at the first size")
    parser.add_argument("--large", type=int, default=2000, help="posts at the second size")
    parser.add_argument("--posts", type=int, default=40, help="posts timed at each size")
    parser.add_argument("--rate", type=float, default=3.0, help="posts per second")
    parser.add_argument("--members", type=int, default=20)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv or [])
    workdir, sink, platform = whole_platform("growth")
    timer = timed_database(platform)
    try:
        platform.start(migrate=True)
        admin_with_categories(platform, CATEGORIES)
        load = Load(platform, signed_in_members(platform.gateway, args.members, "Growth"))
        _follow(load)
        results = []
        for target in (args.small, args.large):
            rate = load.grow(max(0, target - load.created))
            load.settle()
            print(f"seeded up to {load.created:,} posts ({rate:.0f} posts/s); timing "
                  f"{args.posts} posts at {args.rate:g}/s", flush=True)
            results.append(timed_posts(load, timer, args.posts, args.rate))
            print(summary(results[-1]), flush=True)  # a run cut short still says this much
        print("\n".join(report(*results, platform.prefix)))
    finally:
        platform.stop()
        sink.stop()
        timer.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
