"""What one new post costs in round trips, end to end, counted from the outside.

    python -m bench writepath          (make bench runs every benchmark)

The whole platform runs (`agora run`, own vhost and databases) with its database and broker
addresses pointing at counting proxies (bench/wirecount.py): every MongoDB command and every AMQP
`basic.publish` any process sends is counted, without a line of instrumentation in the services.
An author followed by FOLLOWERS members creates BENCH_WRITEPATH_POSTS posts through the API, one
after the other; the count runs until each post is in feeds, each follower has their
notification and its e-mail went out, and the platform is quiet again. What the processes do
when idle (relays polling their outbox, the mail sender, the SLA clock) is measured over a
window of the same run without posts and subtracted.

Printed per post: database commands by service and by command, RPC requests, event publishes,
and whether each total is within its budget (`BUDGET`; exit status 1 when one is not).
tests/e2e/test_write_round_trips.py makes the same measurement and fails over the budget.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from pymongo import MongoClient

from services.devtools.mailsink import MailSink

from .gateway import Platform, admin_with_categories, signed_in_members
from .wirecount import AmqpProxy, MongoProxy, database_round_trips

POSTS = int(os.environ.get("BENCH_WRITEPATH_POSTS", "20"))
# Posts sent at once (one client each): 1 measures one post at a time; more, the platform at
# saturation, where deliveries wait in the queues and batch handlers take them together.
CLIENTS = int(os.environ.get("BENCH_WRITEPATH_CLIENTS", "1"))
FOLLOWERS = 5
WARM_UP_POSTS = 3
IDLE_SECONDS = 10.0
SETTLE_TIMEOUT = 120.0
# Round trips one post may cost, end to end: a post by an author with FOLLOWERS followers, each
# notified in the app and by e-mail. Measured (docs/performance.md, "The write path of a
# post": 139-141 database commands since deliveries stopped claiming, looking for waiting
# events and re-reading cursors, and since the request path lost its extra reads; 227-240
# before; 1 RPC, 5 events + a live hint now and then), with room for what varies with the
# machine's load (relay and mail batches are smaller on a slow machine: 164 at a load average
# of 12 on 2 cores, the outbox relay's lease, journal and pending reads taking ~12 more) and
# the idle subtraction: a change that adds work to the write path fails the test and must say
# why here. 134.7-136.1 at a load average of 12-16 once the delivery pass claimed its mails in
# three commands and stopped re-reading what it knew (141.2-144.7 the same hour before).
# Conversations' 10.5 became 4.2 (AGORA_DELIVERY_BATCH=1) when it stopped receiving whole
# posts streams (a submission: nothing; a publication: no cursor read nor compare-and-set).
# 93.3 at a load average of 18 (128.5 on the code before, the same quarter of an hour) once
# moderation's review and posts' publication stopped reading what they knew and the relay
# marked small batches at once (113.5-123.4 at a load of 9-10, before conversations' cut).
BUDGET = {"database commands": 145, "rpc requests": 1, "event publishes": 6}
CATEGORY = "cards"


class Meter:
    """Counting proxies in front of the database and the broker, for one database prefix."""

    def __init__(self, mongo_uri: str, amqp_uri: str, prefix: str) -> None:
        mongo, amqp = urllib.parse.urlsplit(mongo_uri), urllib.parse.urlsplit(amqp_uri)
        self.database = MongoProxy(mongo.hostname, mongo.port or 27017).start()
        self.broker = AmqpProxy(amqp.hostname, amqp.port or 5672).start()
        self.mongo_uri = with_port(mongo_uri, self.database.port)
        self.amqp_uri = with_port(amqp_uri, self.broker.port)
        self.prefix = prefix

    def snapshot(self) -> Counter:
        """("db", service, command, collection), ("amqp", kind, what) and ("amqp", "method",
        name) -> count so far."""
        counts: Counter = Counter()
        for (db, command, collection), n in database_round_trips(
                self.database.snapshot()).items():
            if db.startswith(self.prefix + "_"):
                counts[("db", db.removeprefix(self.prefix + "_"), command, collection)] += n
        for (exchange, routing_key), n in self.broker.snapshot().items():
            counts[("amqp", *publish_kind(exchange, routing_key))] += n
        for method, n in self.broker.methods().items():
            counts[("amqp", "method", method)] += n
        return counts

    def stop(self) -> None:
        self.database.stop()
        self.broker.stop()


def with_port(uri: str, port: int) -> str:
    """`uri` with its host and port replaced by 127.0.0.1:`port` (credentials and path kept)."""
    parts = urllib.parse.urlsplit(uri)
    credentials, _, _ = parts.netloc.rpartition("@")
    host = f"127.0.0.1:{port}"
    return urllib.parse.urlunsplit((parts.scheme, f"{credentials}@{host}" if credentials
                                    else host, parts.path, parts.query, parts.fragment))


def publish_kind(exchange: str, routing_key: str) -> tuple[str, str]:
    """What a publish is: an RPC request (`nameko-rpc`, `<service>.<method>`), an RPC reply
    (`nameko-rpc`, the caller's reply queue), or an event or other message."""
    if exchange == "nameko-rpc":
        if "." in routing_key:
            return "rpc request", routing_key
        return "rpc reply", "(reply)"
    return "event publish", f"{exchange} {routing_key}"


def totals(per_post: Counter) -> dict[str, float]:
    sums = dict.fromkeys(BUDGET, 0.0)
    for key, n in per_post.items():
        if key[0] == "db":
            sums["database commands"] += n
        elif key[1] == "rpc request":
            sums["rpc requests"] += n
        elif key[1] == "event publish":
            sums["event publishes"] += n
    return sums


def over_budget(per_post: Counter) -> dict[str, tuple[float, float]]:
    """name -> (per post, budget) for every total above its budget."""
    return {name: (value, BUDGET[name]) for name, value in totals(per_post).items()
            if value > BUDGET[name]}


def round_trips_per_post(meter: Meter, post: Callable[[int], None],
                         settled: Callable[[], bool], posts: int = POSTS,
                         idle_seconds: float = IDLE_SECONDS,
                         sleep: Callable[[float], None] = time.sleep) -> tuple[Counter, float]:
    """Round trips per post (idle work subtracted) and the idle rate (round trips/s).

    `post(n)` creates n more posts; `settled()` says whether everything created so far has gone
    all the way (read without going through the proxies)."""
    def post_and_settle(count: int) -> None:
        post(count)
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while not settled():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the posts did not settle in {SETTLE_TIMEOUT}s")
            sleep(0.1)  # ok: poll interval of a bounded wait

    post_and_settle(WARM_UP_POSTS)  # connections, caches, lazy imports
    start, started = meter.snapshot(), time.monotonic()
    sleep(idle_seconds)  # ok: the idle window being measured
    idle = meter.snapshot() - start
    window = time.monotonic() - started
    idle_rate = sum(idle.values()) / window
    idle_per_second = {key: n / window for key, n in idle.items()}

    before, started = meter.snapshot(), time.monotonic()
    post_and_settle(posts)
    _quiet(meter, idle_rate, sleep)
    spent = meter.snapshot() - before
    seconds = time.monotonic() - started
    return Counter({key: max(0.0, (n - idle_per_second.get(key, 0.0) * seconds) / posts)
                    for key, n in spent.items()}), idle_rate


def _quiet(meter: Meter, idle_rate: float, sleep: Callable[[float], None]) -> None:
    """Until the round trips per second are back to the idle rate, twice in a row (the last
    e-mails' bookkeeping, the relays' idle folds)."""
    calm = 0
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while calm < 2:
        before = sum(meter.snapshot().values())
        sleep(1.0)  # ok: the window whose rate is compared with the idle rate
        calm = calm + 1 if sum(meter.snapshot().values()) - before <= idle_rate + 3 else 0
        if time.monotonic() > deadline:
            raise RuntimeError("the platform did not become quiet")


def all_the_way(direct: MongoClient, prefix: str, author_id: str, follower_ids: list[str],
                posts: Callable[[], int]) -> Callable[[], bool]:
    """settled(): every post in feeds, every follower notified of each, every e-mail sent."""
    feeds, notifications = direct[f"{prefix}_feeds"], direct[f"{prefix}_notifications"]

    def settled() -> bool:
        expected = posts()
        return feeds["items"].count_documents({"author_id": author_id}) >= expected \
            and notifications["inbox"].count_documents(
                {"member_id": {"$in": follower_ids}}) >= expected * len(follower_ids) \
            and notifications["outgoing_mail"].count_documents({"state": {"$ne": "sent"}}) == 0
    return settled


def report(per_post: Counter, idle_rate: float, posts: int = POSTS) -> list[str]:
    lines = [f"one new post, end to end ({FOLLOWERS} followers notified and e-mailed), "
             f"{posts} posts from {CLIENTS} client(s) at once, idle work subtracted "
             f"({idle_rate:.1f} round trips/s when idle)"]
    by_service: Counter = Counter()
    for key, n in per_post.items():
        if key[0] == "db":
            by_service[key[1]] += n
    lines.append("database commands per post, by service: " + ", ".join(
        f"{service} {n:.1f}" for service, n in by_service.most_common() if n >= 0.05))
    rows = sorted(((n, key) for key, n in per_post.items() if n >= 0.05), reverse=True)
    lines += [f"  {n:>6.2f}  {' '.join(key[1:])}" for n, key in rows]
    for name, value in totals(per_post).items():
        verdict = "within" if value <= BUDGET[name] else "OVER"
        lines.append(f"{name:<18} {value:>7.1f} per post  ({verdict} the budget of "
                     f"{BUDGET[name]})")
    return lines


def batch_sizes(platform: Platform) -> dict[str, tuple[float, float]]:
    """handler -> (deliveries handed over, batches) so far, from every process's /metrics."""
    found: dict[str, list[float]] = {}
    for port in platform.ports.values():
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        for match in re.finditer(
                r'^agora_handler_batch_size_(sum|count)\{[^}]*handler="([^"]+)"[^}]*\} (\S+)$',
                text, re.M):
            statistic, handler, value = match.groups()
            found.setdefault(handler, [0.0, 0.0])[statistic == "count"] += float(value)
    return {handler: (handed, taken) for handler, (handed, taken) in found.items() if taken}


def _follow(base: str, follower: dict, author: dict, timeout: float = 60.0) -> None:
    """Follow `author`; a 404 means feeds has not received the author's registration yet
    (identity's event, asynchronous: a loaded machine takes a while), so ask again."""
    deadline = time.monotonic() + timeout
    while True:
        response = requests.put(f"{base}/api/v1/me/following/{author['id']}", timeout=30,
                                headers={"Authorization": f"Bearer {follower['token']}"})
        if response.status_code != 404 or time.monotonic() > deadline:
            response.raise_for_status()
            return
        time.sleep(0.2)  # polling: the registration's arrival in feeds is not observable here


def main() -> None:
    workdir = Path(f"/tmp/agora-bench-writepath-{uuid.uuid4().hex[:6]}")
    sink = MailSink(workdir / "mail").start()
    platform = Platform(_processes(), env={
        "SMTP_HOST": sink.host, "SMTP_PORT": str(sink.port),
        "AGORA_REGISTER_ADDRESS_LIMIT": "1000", "LOG_LEVEL": "WARNING"})
    meter = Meter(platform.mongo, platform.amqp, platform.prefix)
    direct = MongoClient(platform.mongo)  # the bench's own reads: not counted
    platform.mongo, platform.amqp = meter.mongo_uri, meter.amqp_uri
    try:
        platform.start(migrate=True)
        base = platform.gateway
        admin_with_categories(platform, (CATEGORY,))
        author, *followers = signed_in_members(base, FOLLOWERS + 1, "Path")
        for follower in followers:
            _follow(base, follower, author)
        created = 0

        def post_one(number: int) -> None:
            response = requests.post(f"{base}/api/v1/posts", timeout=60, headers={
                "Authorization": f"Bearer {author['token']}"}, json={
                "kind": "question", "category": CATEGORY,
                "title": f"Plafond de carte, question {number}",
                "body": "Comment *augmenter* le plafond de ma carte pendant un voyage ?"})
            if response.status_code != 201:
                raise RuntimeError(f"{response.status_code} {response.text[:300]}")

        def post(count: int) -> None:
            nonlocal created
            numbers = range(created + 1, created + count + 1)
            created += count
            with ThreadPoolExecutor(CLIENTS) as clients:
                list(clients.map(post_one, numbers))

        settled = all_the_way(direct, platform.prefix, author["id"],
                              [follower["id"] for follower in followers], lambda: created)
        per_post, idle_rate = round_trips_per_post(meter, post, settled)
        batches = batch_sizes(platform)
    finally:
        platform.stop()
        sink.stop()
        meter.stop()
        direct.close()
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n".join(report(per_post, idle_rate)))
    if batches:
        print("deliveries per batch (batch handlers, whole run): " + ", ".join(
            f"{handler} {handed / taken:.1f}" for handler, (handed, taken) in sorted(
                batches.items())))
    if over_budget(per_post):
        sys.exit(1)


def _processes() -> tuple[str, ...]:
    from services.shared.config import available_processes

    return tuple(available_processes())


if __name__ == "__main__":
    main()
