"""What one new post costs end to end — database commands, RPC requests, event publishes —
counted from the outside and held to a budget (bench/writepath.py: the same measurement, with
the table per service and command; the figures are in docs/performance.md).

The platform here runs behind counting proxies of the MongoDB and AMQP wire protocols
(bench/wirecount.py), on a vhost and databases of its own: the services are not instrumented,
and no other test's traffic is counted. An author followed by 5 members posts; each post is
counted until it is in feeds, every follower is notified and e-mailed, and the platform is quiet
again; what the processes do when idle is measured in the same test and subtracted.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from bench.writepath import (
    FOLLOWERS,
    Meter,
    all_the_way,
    over_budget,
    report,
    round_trips_per_post,
)

from ..conftest import AMQP_URI, MONGO_URI, RUN_ID
from ..platform import Platform, _with_vhost, running

POSTS = 10


class CountedPlatform(Platform):
    """The e2e platform, its processes pointed at the counting proxies."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir, "counted")
        self.meter = Meter(MONGO_URI, AMQP_URI, self.db_prefix)

    def prepare(self) -> None:
        super().prepare()
        self.env["MONGO_URI"] = self.meter.mongo_uri
        self.env["AMQP_URI"] = _with_vhost(self.meter.amqp_uri, self.vhost)
        # the production defaults: a handful of followers is pushed, not merged on read; the
        # mail sender and the SLA clock poll at their own pace (less idle work to subtract)
        for name in ("FEEDS_PULL_THRESHOLD", "NOTIFICATIONS_SENDER_INTERVAL_SECONDS",
                     "AGORA_SLA_CHECK_SECONDS"):
            self.env.pop(name, None)


@pytest.fixture(scope="module")
def counted(mongo_client):
    platform = CountedPlatform(Path(tempfile.mkdtemp(prefix=f"agora-counted-{RUN_ID}-")))
    try:
        with running(platform, mongo_client):
            yield platform
    finally:
        platform.meter.stop()


def test_one_new_post_costs_no_more_round_trips_than_its_budget(counted, mongo_client):
    api = counted.api
    author = api.new_user()
    followers = [api.new_user() for _ in range(FOLLOWERS)]
    for follower in followers:
        response = api.put(f"/api/v1/me/following/{author.id}", user=follower)
        assert response.status_code in (200, 204), response.text
    created = 0

    def post(count: int) -> None:
        nonlocal created
        for _ in range(count):
            created += 1
            response = api.post("/api/v1/posts", user=author, json={
                "kind": "question", "category": "cards",
                "title": f"Plafond de carte, question {created}",
                "body": "Comment *augmenter* le plafond de ma carte pendant un voyage ?"})
            assert response.status_code == 201, response.text

    settled = all_the_way(mongo_client, counted.db_prefix, author.id,
                          [follower.id for follower in followers], lambda: created)
    per_post, idle_rate = round_trips_per_post(counted.meter, post, settled, posts=POSTS)
    figures = "\n".join(report(per_post, idle_rate, POSTS))
    print(figures)
    assert not over_budget(per_post), figures
    # the measurement saw the path at all (a proxy that counted nothing would pass the budget)
    assert per_post[("amqp", "rpc request", "posts.create_post")] == pytest.approx(1, abs=0.01)
    assert sum(n for key, n in per_post.items() if key[0] == "db") > 50, figures
