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

Printed per post: database commands by service and by command, RPC requests, RPC replies, event
publishes; and whether each total is within its budget (`BUDGET`): exit status 1 when one is
not, so the figure cannot grow unnoticed.
"""
from __future__ import annotations

import os
import sys
import time
import urllib.parse
import uuid
from collections import Counter
from pathlib import Path

import requests
from pymongo import MongoClient

from services.notifications.mailsink import MailSink

from .gateway import Platform, admin_with_categories, signed_in_members
from .wirecount import AmqpProxy, MongoProxy, database_round_trips

POSTS = int(os.environ.get("BENCH_WRITEPATH_POSTS", "20"))
FOLLOWERS = 5
IDLE_SECONDS = 10.0
SETTLE_TIMEOUT = 120.0
# Round trips one post may cost, end to end (a post by an author with FOLLOWERS followers, who
# get a notification and an e-mail each). Measured, then rounded up by about 10 %: a change that
# adds work to the write path fails here and must say why in this table.
BUDGET = {"database commands": 0, "rpc requests": 0, "event publishes": 0}
CATEGORY = "cards"


class Counted:
    """The platform behind counting proxies."""

    def __init__(self) -> None:
        self.workdir = Path(f"/tmp/agora-bench-writepath-{uuid.uuid4().hex[:6]}")
        self.sink = MailSink(self.workdir / "mail").start()
        self.platform = Platform(_processes(), env={
            "SMTP_HOST": self.sink.host, "SMTP_PORT": str(self.sink.port),
            "AGORA_REGISTER_ADDRESS_LIMIT": "1000", "LOG_LEVEL": "WARNING"})
        self.real_mongo = self.platform.mongo
        mongo = urllib.parse.urlsplit(self.platform.mongo)
        amqp = urllib.parse.urlsplit(self.platform.amqp)
        self.database = MongoProxy(mongo.hostname, mongo.port or 27017).start()
        self.broker = AmqpProxy(amqp.hostname, amqp.port or 5672).start()
        self.platform.mongo = _with_port(self.platform.mongo, self.database.port)
        self.platform.amqp = _with_port(self.platform.amqp, self.broker.port)
        self.direct = MongoClient(self.real_mongo)  # the bench's own reads: not counted

    def snapshot(self) -> Counter:
        counts = Counter()
        for (db, command, collection), n in database_round_trips(
                self.database.snapshot()).items():
            if db.startswith(self.platform.prefix + "_"):
                counts[("db", db.removeprefix(self.platform.prefix + "_"), command,
                        collection)] += n
        for (exchange, routing_key), n in self.broker.snapshot().items():
            counts[("amqp", *_publish_kind(exchange, routing_key))] += n
        return counts

    def stop(self) -> None:
        self.platform.stop()
        self.sink.stop()
        self.database.stop()
        self.broker.stop()
        self.direct.close()


def _with_port(uri: str, port: int) -> str:
    parts = urllib.parse.urlsplit(uri)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urllib.parse.urlunsplit((parts.scheme, f"{netloc[0]}@{host}" if len(netloc) == 2
                                    else host, parts.path, parts.query, parts.fragment))


def _publish_kind(exchange: str, routing_key: str) -> tuple[str, str]:
    if exchange == "nameko-rpc":
        if "." in routing_key and not routing_key.startswith("rpc.reply"):
            return "rpc request", routing_key
        return "rpc reply", "(reply)"
    return "event publish", f"{exchange} {routing_key}"


def totals(per_post: Counter) -> dict[str, float]:
    sums = {"database commands": 0.0, "rpc requests": 0.0, "event publishes": 0.0}
    for key, n in per_post.items():
        if key[0] == "db":
            sums["database commands"] += n
        elif key[1] == "rpc request":
            sums["rpc requests"] += n
        elif key[1] == "event publish":
            sums["event publishes"] += n
    return sums


def main() -> None:
    counted = Counted()
    platform = counted.platform
    try:
        platform.start(migrate=True)
        base = platform.gateway
        admin_with_categories(platform, (CATEGORY,))
        members = signed_in_members(base, FOLLOWERS + 1, "Path")
        author, followers = members[0], members[1:]
        for follower in followers:
            requests.put(f"{base}/api/v1/me/following/{author['id']}", timeout=30, headers={
                "Authorization": f"Bearer {follower['token']}"}).raise_for_status()
        posted = 0

        def post(count: int) -> None:
            nonlocal posted
            for _ in range(count):
                posted += 1
                response = requests.post(f"{base}/api/v1/posts", timeout=30, headers={
                    "Authorization": f"Bearer {author['token']}"}, json={
                    "kind": "question", "category": CATEGORY,
                    "title": f"Plafond de carte, question {posted}",
                    "body": "Comment *augmenter* le plafond de ma carte pendant un voyage ?"})
                if response.status_code != 201:
                    raise RuntimeError(f"{response.status_code} {response.text[:300]}")
            _settled(counted, author, followers, posted)

        post(3)  # warm-up: connections, caches, lazy imports
        idle_start, started = counted.snapshot(), time.monotonic()
        time.sleep(IDLE_SECONDS)  # ok: the idle window being measured
        idle = counted.snapshot() - idle_start
        idle_seconds = time.monotonic() - started

        before, started = counted.snapshot(), time.monotonic()
        post(POSTS)
        _quiet(counted, idle, idle_seconds)
        spent = counted.snapshot() - before
        seconds = time.monotonic() - started
        per_post = Counter({key: max(0.0, (spent[key] - idle[key] * seconds / idle_seconds)
                                     / POSTS) for key in spent})
    finally:
        counted.stop()
    sys.exit(_report(per_post, idle, idle_seconds))


def _report(per_post: Counter, idle: Counter, idle_seconds: float) -> int:
    print(f"one new post, end to end ({FOLLOWERS} followers notified and e-mailed), "
          f"{POSTS} posts, idle work subtracted ({sum(idle.values()) / idle_seconds:.1f} "
          f"round trips/s when idle)")
    by_service: Counter = Counter()
    for key, n in per_post.items():
        if key[0] == "db":
            by_service[key[1]] += n
    print("database commands per post, by service: " + ", ".join(
        f"{service} {n:.1f}" for service, n in by_service.most_common()))
    rows = sorted(((n, key) for key, n in per_post.items() if n >= 0.05), reverse=True)
    for n, key in rows:
        print(f"  {n:>6.2f}  {' '.join(key[1:])}")
    status = 0
    for name, value in totals(per_post).items():
        budget = BUDGET[name]
        verdict = "within" if value <= budget else "OVER"
        status |= value > budget
        print(f"{name:<18} {value:>7.1f} per post  ({verdict} the budget of {budget})")
    return status


def _settled(counted: Counted, author: dict, followers: list[dict], posts: int) -> None:
    """Every post in feeds, every follower notified, every e-mail sent (read straight from the
    databases, so these reads are not counted)."""
    prefix = counted.platform.prefix
    feeds = counted.direct[f"{prefix}_feeds"]
    notifications = counted.direct[f"{prefix}_notifications"]
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while True:
        items = feeds["items"].count_documents({"author_id": author["id"]})
        inbox = notifications["inbox"].count_documents(
            {"member_id": {"$in": [f["id"] for f in followers]}})
        unsent = notifications["outgoing_mail"].count_documents({"state": {"$ne": "sent"}})
        if items >= posts and inbox >= posts * len(followers) and unsent == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"not settled: {items} items, {inbox} notifications, "
                               f"{unsent} e-mails unsent")
        time.sleep(0.1)  # ok: poll interval of a bounded wait


def _quiet(counted: Counted, idle: Counter, idle_seconds: float) -> None:
    """Until the round trips per second are back to the idle rate, twice in a row."""
    idle_rate = sum(idle.values()) / idle_seconds
    calm = 0
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while calm < 2:
        before = sum(counted.snapshot().values())
        time.sleep(1.0)  # ok: the window whose rate is compared with the idle rate
        calm = calm + 1 if sum(counted.snapshot().values()) - before <= idle_rate + 3 else 0
        if time.monotonic() > deadline:
            raise RuntimeError("the platform did not become quiet")


def _processes() -> tuple[str, ...]:
    from services.shared.config import available_processes

    return tuple(available_processes())


if __name__ == "__main__":
    main()
