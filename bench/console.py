"""The moderation queue with 10,000 items held against 100, in the same run.

    python -m bench console

Starts its own identity, posts, moderation and gateway (`agora run`, own vhost and databases,
after `agora migrate`, so the queue's indexes are those a deployment has), then holds items in
moderation's queue read model directly — documents of the shape its projection writes for a
held question with an IBAN (the write path is not what is measured: 10,000 submissions through
the detector would take minutes and measure posts, not the queue) — 100 first, then 9,900 more.
At each size it measures, sequentially (one client), the first page of the queue as the console
reads it:

- `GET /api/v1/moderation/queue?limit=30` (the API, as a CM's token);
- `GET /console/moderation` (the console page: the same RPC, the oldest item opened with its
  author's history and notes, rendered);

and prints p50/p99 ms at each size and the ratio 10,000 / 100 — a list paged by cursor over an
index should not grow with what waits behind its first page. Knob: BENCH_REQUESTS (100 per
kind and size).
"""
from __future__ import annotations

import os
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import requests
from pymongo import MongoClient

from .gateway import Platform, admin_with_categories, signed_in_members

SIZES = (100, 10_000)
BATCH = 1000
BODY = ("Bonjour, mon virement vers FR76 3000 6000 0112 3456 7890 189 n'est pas arrivé, "
        "pouvez-vous vérifier ?")
MASKED = "Bonjour, mon virement vers FR76 •••• •••• •••• •••• •••• 189 n'est pas arrivé, " \
         "pouvez-vous vérifier ?"


def held_items(start: int, count: int, author_id: str) -> list[dict]:
    """Held questions as moderation's projection writes them (`_held`), oldest first."""
    first = datetime.now(UTC) - timedelta(days=2)
    items = []
    for number in range(start, start + count):
        held = first + timedelta(seconds=number)
        post_id = "p" + uuid.uuid4().hex[:20]
        items.append({
            "_id": f"{post_id}.r1", "review": "content", "target_type": "post",
            "target_id": post_id, "post_id": post_id, "revision": 1, "author_id": author_id,
            "reasons": ["detector"], "flag_count": 0, "policy_rules": [],
            "detector_kinds": ["iban"], "state": "held", "held_at": held.isoformat(),
            "held_ts": int(held.timestamp() * 1_000_000),
            "content": {"title": f"Virement en attente {number}", "body": BODY},
            "proposal": {"title": f"Virement en attente {number}", "body": MASKED}})
    return items


def _timed(session: requests.Session, url: str, count: int, **kwargs) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(url, timeout=60, **kwargs)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return samples


def _measure(base: str, token: str, count: int) -> dict[str, tuple[float, float]]:
    api, page = requests.Session(), requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    page.cookies.set("agora_at", token)
    targets = {"api": (api, f"{base}/api/v1/moderation/queue?limit=30"),
               "page": (page, f"{base}/console/moderation")}
    for session, url in targets.values():
        _timed(session, url, 5)  # warm-up: templates compiled, connections open
    samples: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(4):  # interleaved rounds
        for name, (session, url) in targets.items():
            samples[name] += _timed(session, url, max(1, count // 4))
    return {name: (statistics.median(values), statistics.quantiles(values, n=100)[98])
            for name, values in samples.items()}


def main() -> None:
    count = int(os.environ.get("BENCH_REQUESTS", "100"))
    platform = Platform(("identity", "posts", "moderation", "gateway"))
    try:
        platform.start(migrate=True)
        base = platform.gateway
        token = admin_with_categories(platform, ())  # an admin moderates like a CM
        author = signed_in_members(base, 1, "Queuebench")[0]
        client = MongoClient(platform.mongo)
        items = client[f"{platform.prefix}_moderation"]["items"]
        figures, held = {}, 0
        for size in SIZES:
            while held < size:
                batch = min(BATCH, size - held)
                items.insert_many(held_items(held, batch, author["id"]), ordered=False)
                held += batch
            queue = requests.get(f"{base}/api/v1/moderation/queue", params={"limit": 1},
                                 headers={"Authorization": f"Bearer {token}"}, timeout=60)
            assert queue.json()["waiting"] == size, queue.json().get("waiting")
            figures[size] = _measure(base, token, count)
        client.close()
        small, large = SIZES
        print(f"console: the moderation queue's first page, {count} sequential requests per "
              "kind and size")
        print(f"{'request':<44}{'held':>8}{'p50 ms':>9}{'p99 ms':>9}")
        for name, label in (("api", "GET /api/v1/moderation/queue?limit=30"),
                            ("page", "GET /console/moderation (page)")):
            for size in SIZES:
                p50, p99 = figures[size][name]
                print(f"{label:<44}{size:>8,}{p50:>9.1f}{p99:>9.1f}")
            print(f"  {label}: p50 at {large:,} / at {small:,} = "
                  f"{figures[large][name][0] / figures[small][name][0]:.2f}")
    finally:
        platform.stop()


if __name__ == "__main__":
    main()
