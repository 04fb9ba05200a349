# ruff: noqa: E402 - eventlet.monkey_patch() must precede every other import
"""Home-feed freshness and the write cost of a post, against the real broker and database.

    python -m bench feeds            (make bench runs every benchmark)

The feeds service runs in a nameko container (its own vhost and databases); posts are
`posts.post_published` events published on `posts.events` exactly as the posts service does.
Followers are seeded straight into feeds' read models (a benchmark of fan-out, not of 100,000
follow commands). For each author size:

- **freshness**: from publishing the event to the post being in every follower's home feed —
  pushed: the last follower's entry exists (fan-out inserts in member order, batch after batch);
  merged on read (more followers than FEEDS.pull_threshold): the item is projected, and a
  follower's home read returns it. p50 / p99 over BENCH_FEEDS_RUNS posts (fewer for big fan-outs).
- **baseline**, measured in the same run: inserting the same number of entries with bare
  `insert_many` batches (the database floor of fan-out on write).
- **write cost** of one post by an account with 100,000 followers: documents written (home
  entries, items, sources) — merged on read — against the 100,000 entries fan-out would write.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import os
import socket
import statistics
import time
import urllib.parse
import uuid

import requests
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ServiceRpcProxy
from pymongo import MongoClient

from services.feeds import projections
from services.feeds.service import FeedsService
from services.shared.envelope import CommandContext, Envelope, NewEvent
from services.shared.outbox import ConfirmingPublisher, to_message

AMQP_URI = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
MANAGEMENT = os.environ.get("RABBIT_MANAGEMENT_URI", "http://guest:guest@127.0.0.1:15672")
MONGO_URI = os.environ.get("MONGO_URI", "mongodb://127.0.0.1:27017")
RUNS = int(os.environ.get("BENCH_FEEDS_RUNS", "20"))
THRESHOLD = 10_000
SIZES = (10, 1_000, 20_000)
BIG = 100_000


def _management(method: str, path: str, **kwargs) -> None:
    parts = urllib.parse.urlsplit(MANAGEMENT)
    base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}"
    requests.request(method, base + path, auth=(parts.username or "guest",
                                                parts.password or "guest"), timeout=10, **kwargs)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Bench:
    def __init__(self):
        self.vhost = f"bench-feeds-{uuid.uuid4().hex[:6]}"
        self.prefix = f"bench{uuid.uuid4().hex[:6]}"
        parts = urllib.parse.urlsplit(AMQP_URI)
        self.amqp_uri = urllib.parse.urlunsplit(
            (parts.scheme, parts.netloc, "/" + urllib.parse.quote(self.vhost, safe=""), "", ""))
        self.client = MongoClient(MONGO_URI)
        self.db = self.client[f"{self.prefix}_feeds"]
        self.publisher = ConfirmingPublisher(self.amqp_uri)
        self.container: ServiceContainer | None = None

    def start(self, threshold: int) -> None:
        self.stop_service()
        config = {"AMQP_URI": self.amqp_uri, "MONGO_URI": MONGO_URI,
                  "MONGO_DB_PREFIX": self.prefix, "WEB_SERVER_ADDRESS": f"127.0.0.1:{_free_port()}",
                  "max_workers": 10, "AGORA": {"relay_interval_seconds": 0.5},
                  "FEEDS": {"pull_threshold": threshold}}
        self.config = config
        self.container = ServiceContainer(FeedsService, config)
        self.container.start()

    def stop_service(self) -> None:
        if self.container is not None:
            self.container.stop()
            self.container = None

    def setup(self) -> None:
        user = urllib.parse.urlsplit(MANAGEMENT).username or "guest"
        quoted = urllib.parse.quote(self.vhost, safe="")
        _management("PUT", f"/api/vhosts/{quoted}")
        _management("PUT", f"/api/permissions/{quoted}/{user}",
                    json={"configure": ".*", "write": ".*", "read": ".*"})

    def teardown(self) -> None:
        self.stop_service()
        self.publisher.close()
        self.client.drop_database(f"{self.prefix}_feeds")
        _management("DELETE", f"/api/vhosts/{urllib.parse.quote(self.vhost, safe='')}")

    # -- data --------------------------------------------------------------------------------

    def author_with(self, followers: int) -> tuple[str, list[str]]:
        author = f"author-{followers}-{uuid.uuid4().hex[:6]}"
        members = [f"m{n:06d}-{author}" for n in range(followers)]
        source = f"author:{author}"
        for start in range(0, followers, 5000):
            self.db.subs.insert_many([{"_id": f"{source}|{m}", "source": source, "member": m}
                                      for m in members[start:start + 5000]], ordered=False)
        self.db.sources.insert_one({"_id": source, "count": followers})
        return author, members

    def publish_post(self, author: str) -> str:
        post_id = "p" + uuid.uuid4().hex[:20]
        envelope = Envelope.new(NewEvent("posts.post_published", {
            "post_id": post_id, "author_id": author, "kind": "article", "category": "news",
            "tags": [], "revision": 1, "title": "Benchmark post", "body": "Hello followers",
            "redacted": False, "official": True}), stream_id=post_id, stream_version=1,
            context=CommandContext(actor=author))
        self.publisher.publish_batch([("posts.events", envelope.type,
                                       to_message(envelope.to_dict()))])
        return post_id

    # -- measures ----------------------------------------------------------------------------

    def freshness(self, author: str, members: list[str], runs: int, pulled: bool,
                  timeout: float = 300) -> list[float]:
        last = sorted(members)[-1]
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            post_id = self.publish_post(author)
            deadline = started + timeout
            while time.perf_counter() < deadline:
                if pulled:
                    done = self.db["items"].find_one({"_id": post_id}, {"_id": 1})
                else:
                    done = self.db["home_entries"].find_one({"_id": f"{last}:{post_id}"},
                                                            {"_id": 1})
                if done:
                    break
                eventlet.sleep(0.002)
            else:
                raise RuntimeError(f"post {post_id} not delivered within {timeout}s")
            samples.append(time.perf_counter() - started)
            if pulled:
                self.check_home(members[0], post_id)
        return samples

    def check_home(self, member: str, post_id: str) -> None:
        with ServiceRpcProxy("feeds", self.config, timeout=30) as feeds:
            items = feeds.home({"id": member, "roles": ["member"]}, {"limit": 5})["items"]
        if post_id not in [item["id"] for item in items]:
            raise RuntimeError(f"{post_id} missing from {member}'s merged home feed")

    def bare_inserts(self, followers: int) -> float:
        collection = self.db["baseline_entries"]
        post_id = uuid.uuid4().hex
        started = time.perf_counter()
        for start in range(0, followers, 1000):
            collection.insert_many([{"_id": f"m{n}:{post_id}", "m": f"m{n}", "item": post_id,
                                     "ts": n} for n in range(start, min(followers, start + 1000))],
                                   ordered=False)
        return time.perf_counter() - started


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _line(label: str, samples: list[float], baseline: float | None) -> None:
    p50, p99 = statistics.median(samples), _pct(samples, 0.99)
    ratio = f"   p50 = {p50 / baseline:5.1f}× bare inserts ({baseline * 1000:7.1f} ms)" \
        if baseline else ""
    print(f"  {label:<44} p50 {p50 * 1000:8.1f} ms   p99 {p99 * 1000:8.1f} ms   "
          f"(n={len(samples)}){ratio}")


def main() -> None:
    bench = Bench()
    bench.setup()
    try:
        bench.start(THRESHOLD)
        print(f"freshness: publish -> in every follower's home feed "
              f"(pull threshold {THRESHOLD:,})")
        for size in SIZES:
            author, members = bench.author_with(size)
            pulled = size > THRESHOLD
            runs = RUNS if size <= 1_000 or pulled else max(3, RUNS // 4)
            samples = bench.freshness(author, members, runs, pulled)
            mode = "merged on read" if pulled else "fan-out on write"
            _line(f"{size:>7,} followers ({mode})", samples,
                  None if pulled else bench.bare_inserts(size))
        # the same 20,000-follower author forced onto fan-out on write, to show the threshold
        bench.start(10 * BIG)
        author, members = bench.author_with(SIZES[-1])
        samples = bench.freshness(author, members, max(3, RUNS // 4), pulled=False)
        _line(f"{SIZES[-1]:>7,} followers (forced fan-out on write)", samples,
              bench.bare_inserts(SIZES[-1]))

        bench.start(THRESHOLD)
        author, members = bench.author_with(BIG)
        entries_before = projections.FANOUT_ENTRIES._value.get()
        home_before = bench.db["home_entries"].estimated_document_count()
        items_before = bench.db["items"].estimated_document_count()
        samples = bench.freshness(author, members, 1, pulled=True)
        written_entries = projections.FANOUT_ENTRIES._value.get() - entries_before
        home_delta = bench.db["home_entries"].estimated_document_count() - home_before
        items_delta = bench.db["items"].estimated_document_count() - items_before
        pull_flag = bench.db["sources"].find_one({"_id": f"author:{author}"}).get("pull")
        writes = items_delta + home_delta + (1 if pull_flag else 0)
        print(f"write cost: one post by an account with {BIG:,} followers")
        print(f"  home-feed entries written {written_entries:.0f} (collection delta "
              f"{home_delta}), items {items_delta}, sources flagged {int(bool(pull_flag))}: "
              f"{writes} document writes vs {BIG:,} for fan-out on write "
              f"(ratio {writes / BIG:.5f}); in every follower's feed after "
              f"{samples[0] * 1000:.1f} ms")
    finally:
        bench.teardown()


if __name__ == "__main__":
    main()
