# ruff: noqa: E402 - eventlet.monkey_patch() must precede every other import
"""RabbitMQ messages per request, by exchange and by queue, from the broker's own counters.

    python -m bench messages                    ping, home feed, new post; 20 of each
    python -m bench messages --kinds post --requests 10
    python -m bench messages --kinds vote       members' votes on one post (at most 19)
    python -m bench messages --rpc 2000        the broker's CPU per RPC round trip, two ways
    python -m bench messages --events 2000     the broker's CPU per event, classic queues v1 / v2

Starts the whole platform as `bench load` does (its own vhost and databases, a local SMTP sink,
20 members each following the next 5), then sends `--requests` requests of each kind one after
the other and reads the management API's message statistics of the run's vhost before and
after, once the platform is quiet again (every queue empty and the counters unchanged over two
of the broker's statistics intervals): a new post is counted with its whole cascade. The vhost
is the run's own, so the counts are exact; what the platform publishes when idle is measured
over a window of the same run and subtracted.

Printed per request of each kind: publishes (messages clients sent to an exchange), routed
copies (messages queues received), deliveries, acks and publisher confirms; then each exchange's
publishes in and out and each queue's routed copies, deliveries and acks. RPC reply queues
(`rpc.reply-<service>-<uuid>`) are grouped by service.

`--rpc N` measures instead what one RPC round trip costs the broker (its CPU time from /proc:
run it on a machine where nothing else uses the broker, or compare only within the run) and the
caller, N round trips at a time, alternately with nameko's default publishers (request and reply
persistent and confirmed) and with the platform's (services/shared/rpc_messages.py: transient,
the reply unconfirmed), three times each, on a vhost of its own.

`--events N` measures what one event costs the broker as the platform sends it (the outbox
relay's publisher, confirmed; routed to 2 durable queues, each delivery acked) with the queues
declared as classic queues version 1 and version 2 (`x-queue-version`), and with transient
messages for comparison (the disk path's share), N events a way, alternated three times.
"""
from __future__ import annotations

import eventlet
import eventlet.queue

eventlet.monkey_patch()

import argparse
import contextlib
import re
import time
import urllib.parse
import uuid
from collections import Counter

import amqp
import kombu
import requests
from nameko.amqp.publish import Publisher

from services.shared.outbox import ConfirmingPublisher
from services.shared.rpc_messages import RpcReplyPublisher, RpcRequestPublisher

from .load import followed_platform
from .processes import broker_pid, cpu_seconds

KINDS = ("ping", "home", "post")
EXTRA_KINDS = ("vote",)  # not by default: a vote is the members' own, one per member
STATISTICS_INTERVAL = 5.0  # RabbitMQ's collect_statistics_interval (5 s by default)
QUIET_TIMEOUT = 300.0
IDLE_SECONDS = 15.0
# (what, statistic): the vhost's totals, then per exchange and per queue
VHOST_STATISTICS = (("publishes", "publish"), ("deliveries", "deliver_get"), ("acks", "ack"),
                    ("confirms", "confirm"), ("redeliveries", "redeliver"))
EXCHANGE_STATISTICS = ("publish_in", "publish_out")
QUEUE_STATISTICS = ("publish", "deliver_get", "ack", "redeliver")


class BrokerCounters:
    """The management API's cumulative message counters of one vhost."""

    def __init__(self, management_uri: str, vhost: str) -> None:
        parts = urllib.parse.urlsplit(management_uri)
        self.base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}"
        self.auth = (parts.username or "guest", parts.password or "guest")
        self.vhost = urllib.parse.quote(vhost, safe="")

    def _get(self, path: str, columns: str):
        response = requests.get(f"{self.base}{path}", params={"columns": columns},
                                auth=self.auth, timeout=10)
        response.raise_for_status()
        return response.json()

    def snapshot(self) -> tuple[Counter, int]:
        """(counters, messages waiting or unacked in the vhost's queues)."""
        counts: Counter = Counter()
        overview = self._get(f"/api/vhosts/{self.vhost}", "message_stats").get(
            "message_stats") or {}
        for what, statistic in VHOST_STATISTICS:
            counts[("total", what)] += overview.get(statistic) or 0
        for exchange in self._get(f"/api/exchanges/{self.vhost}", "name,message_stats"):
            stats = exchange.get("message_stats") or {}
            for statistic in EXCHANGE_STATISTICS:
                counts[("exchange", exchange["name"] or "(default)", statistic)] += \
                    stats.get(statistic) or 0
        waiting = 0
        for queue in self._get(f"/api/queues/{self.vhost}", "name,message_stats,messages"):
            stats = queue.get("message_stats") or {}
            name = queue_group(queue["name"])
            for statistic in QUEUE_STATISTICS:
                counts[("queue", name, statistic)] += stats.get(statistic) or 0
            waiting += queue.get("messages") or 0
        return +counts, waiting

    def quiet(self) -> Counter:
        """The counters once every queue is empty and they stayed the same over two statistics
        intervals (the broker publishes its statistics every few seconds)."""
        deadline = time.monotonic() + QUIET_TIMEOUT
        last, same = None, 0
        while same < 2:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the platform did not become quiet in {QUIET_TIMEOUT}s")
            eventlet.sleep(STATISTICS_INTERVAL + 0.5)  # ok: the broker's statistics interval
            counts, waiting = self.snapshot()
            same = same + 1 if waiting == 0 and counts == last else 0
            last = counts
        return last


def queue_group(name: str) -> str:
    """A queue's name, RPC reply queues (one per process, a uuid each) grouped by service."""
    return re.sub(r"^(rpc\.reply-[\w-]+?)-[0-9a-f-]{32,36}$", r"\1-*", name)


def per_request(before: Counter, after: Counter, idle: dict, seconds: float,
                requests_sent: int) -> dict:
    keys = set(before) | set(after)
    return {key: max(0.0, (after[key] - before[key] - idle.get(key, 0.0) * seconds)
                     / requests_sent) for key in keys}


def report(kind: str, requests_sent: int, counts: dict) -> list[str]:
    totals = ", ".join(f"{what} {counts.get(('total', what), 0.0):.2f}"
                       for what, _ in VHOST_STATISTICS)
    routed = sum(n for key, n in counts.items() if key[0] == "queue" and key[2] == "publish")
    lines = [f"{kind} ({requests_sent} requests), per request: {totals}, "
             f"routed to queues {routed:.2f}"]
    exchanges = sorted({key[1] for key in counts if key[0] == "exchange"})
    for name in exchanges:
        into, out = (counts.get(("exchange", name, s), 0.0) for s in EXCHANGE_STATISTICS)
        if into >= 0.005 or out >= 0.005:
            lines.append(f"  exchange {name:<40} in {into:6.2f}  out {out:6.2f}")
    queues = sorted({key[1] for key in counts if key[0] == "queue"})
    for name in queues:
        values = [counts.get(("queue", name, s), 0.0) for s in QUEUE_STATISTICS]
        if any(value >= 0.005 for value in values):
            routed_in, delivered, acked, redelivered = values
            lines.append(f"  queue {name:<60} routed {routed_in:5.2f}  delivered "
                         f"{delivered:5.2f}  acked {acked:5.2f}"
                         + (f"  redelivered {redelivered:.2f}" if redelivered >= 0.005 else ""))
    return lines


def rpc_round_trips(management_uri: str, amqp_uri: str, round_trips: int) -> None:
    """The broker's CPU and the caller's wait per RPC round trip, nameko's publishers against
    the platform's, alternated on a vhost of the run's own."""
    broker = _broker(amqp_uri)
    ways = {"nameko's (persistent, both confirmed)": (Publisher, Publisher),
            "the platform's (transient, reply unconfirmed)": (RpcRequestPublisher,
                                                              RpcReplyPublisher)}
    with _private_vhost(management_uri, amqp_uri, "rpc") as uri:
        results: dict[str, list[tuple[float, float]]] = {way: [] for way in ways}
        for _ in range(3):
            for way, (request_cls, reply_cls) in ways.items():
                results[way].append(_round_trips(uri, request_cls, reply_cls, round_trips,
                                                 broker))
        for way, runs in results.items():
            print(f"RPC round trip, {way}: broker CPU "
                  + ", ".join(f"{cpu:.3f}" for cpu, _ in runs) + " ms; caller's wait "
                  + ", ".join(f"{wait:.3f}" for _, wait in runs) + " ms")
        nameko, ours = (sorted(cpu for cpu, _ in runs)[1] for runs in results.values())
        print(f"broker CPU per round trip, median of 3, the platform's / nameko's: "
              f"{ours:.3f} / {nameko:.3f} ms = {ours / nameko:.2f}x")


def _broker(amqp_uri: str) -> dict[str, int]:
    pid = broker_pid(amqp_uri)
    if not pid:
        raise RuntimeError(f"no RabbitMQ process on this machine listens for {amqp_uri}")
    return {"rabbitmq": pid}


@contextlib.contextmanager
def _private_vhost(management_uri: str, amqp_uri: str, purpose: str):
    """A vhost of the run's own (its AMQP URI), deleted with everything in it afterwards."""
    parts = urllib.parse.urlsplit(management_uri)
    base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}"
    auth = (parts.username or "guest", parts.password or "guest")
    quoted = urllib.parse.quote(f"agora-bench-{purpose}-{uuid.uuid4().hex[:6]}", safe="")
    requests.put(f"{base}/api/vhosts/{quoted}", auth=auth, timeout=10).raise_for_status()
    requests.put(f"{base}/api/permissions/{quoted}/{auth[0]}", auth=auth, timeout=10, json={
        "configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    amqp_parts = urllib.parse.urlsplit(amqp_uri)
    try:
        yield urllib.parse.urlunsplit((amqp_parts.scheme, amqp_parts.netloc, "/" + quoted, "",
                                       ""))
    finally:
        requests.delete(f"{base}/api/vhosts/{quoted}", auth=auth, timeout=10)


# (way, the queues' x-queue-version, the events' delivery mode)
EVENT_WAYS = (("classic queue v1, persistent", 1, 2), ("classic queue v2, persistent", 2, 2),
              ("classic queue v1, transient", 1, 1))
EVENT_FANOUT = 2  # queues each event is routed to (a post's events reach 2-5)


def event_deliveries(management_uri: str, amqp_uri: str, events: int) -> None:
    """The broker's CPU per event as the platform sends them (the outbox relay's confirmed
    publish, services/shared/outbox.py) to durable classic queues of each version, persistent
    and, for comparison, transient: each routed to EVENT_FANOUT queues, consumed and acked one
    by one; the ways alternated three times on a vhost of the run's own."""
    broker = _broker(amqp_uri)
    with _private_vhost(management_uri, amqp_uri, "events") as uri:
        results: dict[str, list[float]] = {way: [] for way, _, _ in EVENT_WAYS}
        for _ in range(3):
            for number, (way, version, mode) in enumerate(EVENT_WAYS):
                results[way].append(_events(uri, f"way{number}", version, mode, events,
                                            broker))
        for way, runs in results.items():
            print(f"event to {EVENT_FANOUT} queues, {way}: broker CPU "
                  + ", ".join(f"{cpu:.3f}" for cpu in runs) + " ms")
        medians = {way: sorted(runs)[1] for way, runs in results.items()}
        v1, v2, transient = (medians[way] for way, _, _ in EVENT_WAYS)
        print(f"broker CPU per event, median of 3: v2 / v1 {v2:.3f} / {v1:.3f} ms = "
              f"{v2 / v1:.2f}x; transient / persistent (v1) {transient:.3f} / {v1:.3f} ms = "
              f"{transient / v1:.2f}x")


def _events(uri: str, name: str, version: int, mode: int, events: int,
            broker: dict[str, int]) -> float:
    """Broker ms of CPU per event: published and confirmed one at a time, then delivered to
    and acked by each of the way's queues' consumers."""
    exchange = kombu.Exchange("bench.events", type="topic", durable=True)
    queues = [kombu.Queue(f"bench.{name}.{index}", exchange, routing_key=f"bench.{name}",
                          durable=True, queue_arguments={"x-queue-version": version})
              for index in range(EVENT_FANOUT)]
    acked = eventlet.queue.LightQueue()

    def consume(body, message) -> None:
        message.ack()
        acked.put(None)

    publisher = ConfirmingPublisher(uri)
    with kombu.Connection(uri) as consuming, consuming.Consumer(queues, callbacks=[consume],
                                                                prefetch_count=10):
        cpu_before = cpu_seconds(broker)["rabbitmq"]
        for number in range(events):
            message = amqp.Message(b'{"n": %d}' % number, content_type="application/json",
                                   delivery_mode=mode)
            publisher.publish_batch([("bench.events", f"bench.{name}", message)])
            while acked.qsize() < EVENT_FANOUT * (number + 1):
                consuming.drain_events(timeout=10)
        cpu = cpu_seconds(broker)["rabbitmq"] - cpu_before
    publisher.close()
    return cpu * 1000 / events


def _round_trips(uri: str, request_cls, reply_cls, round_trips: int,
                 broker: dict[str, int]) -> tuple[float, float]:
    """(broker ms of CPU, caller's ms) per round trip: a request to a durable queue, answered
    by a responder green thread on the caller's reply queue, one after the other (as nameko's
    RpcConsumer and ReplyListener declare them)."""
    exchange = kombu.Exchange("nameko-rpc", type="topic", durable=True)
    reply_key = uuid.uuid4().hex
    requests_queue = kombu.Queue("rpc-bench", exchange, routing_key="bench.*", durable=True)
    replies_queue = kombu.Queue(f"rpc.reply-bench-{reply_key}", exchange, routing_key=reply_key,
                                queue_arguments={"x-expires": 300000})
    request_publisher, reply_publisher = request_cls(uri), reply_cls(uri)
    answered = eventlet.queue.LightQueue()

    def respond(body, message) -> None:
        reply_publisher.publish({"result": body, "error": None}, exchange=exchange,
                                routing_key=message.properties["reply_to"],
                                correlation_id=message.properties.get("correlation_id"))
        message.ack()

    def answer(body, message) -> None:
        message.ack()
        answered.put(body)

    stop = False
    with kombu.Connection(uri) as serving, kombu.Connection(uri) as calling, \
            serving.Consumer(requests_queue, callbacks=[respond], prefetch_count=10), \
            calling.Consumer(replies_queue, callbacks=[answer], prefetch_count=10):

        def serve() -> None:
            while not stop:
                with contextlib.suppress(TimeoutError, OSError):
                    serving.drain_events(timeout=0.2)

        server = eventlet.spawn(serve)
        cpu_before, started = cpu_seconds(broker)["rabbitmq"], time.perf_counter()
        for number in range(round_trips):
            request_publisher.publish({"args": [number], "kwargs": {}}, exchange=exchange,
                                      routing_key="bench.ping", mandatory=True,
                                      reply_to=reply_key, correlation_id=str(number))
            while answered.qsize() == 0:
                calling.drain_events(timeout=10)
            answered.get()
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(broker)["rabbitmq"] - cpu_before
        stop = True
        server.wait()
    return cpu * 1000 / round_trips, seconds * 1000 / round_trips


def _voting(load, broker: BrokerCounters):
    """(a sender of votes on a new post of the first member's, the counters once it is quiet)."""
    author = load.members[0]
    created = load.send("post", author)
    if created.status_code != 201:
        raise RuntimeError(f"post to vote on: {created.status_code} {created.text[:300]}")
    post_id = created.json()["id"]

    def vote(_kind: str, member: dict) -> requests.Response:
        return load.session.put(f"{load.base}/api/v1/posts/{post_id}/vote", timeout=30,
                                headers={"Authorization": f"Bearer {member['token']}"})
    return vote, broker.quiet()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench messages",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--kinds", default=",".join(KINDS),
                        help=f"comma-separated, among {', '.join(KINDS + EXTRA_KINDS)}")
    parser.add_argument("--requests", type=int, default=20, help="requests of each kind")
    parser.add_argument("--seed", type=int, default=10, help="posts created before measuring")
    parser.add_argument("--rpc", type=int, default=0, metavar="N",
                        help="measure N RPC round trips each way instead (see above)")
    parser.add_argument("--events", type=int, default=0, metavar="N",
                        help="measure N events each way to classic queues v1 / v2 instead")
    args = parser.parse_args(argv or [])
    if args.rpc or args.events:
        from services.shared.config import stack_env

        stack = stack_env()
        uris = (stack.get("RABBIT_MANAGEMENT_URI", "http://guest:guest@127.0.0.1:15672"),
                stack.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"))
        if args.rpc:
            rpc_round_trips(*uris, args.rpc)
        if args.events:
            event_deliveries(*uris, args.events)
        return
    kinds = [kind for kind in args.kinds.split(",") if kind]
    with followed_platform("messages", args.seed, "Wire") as (load, _):
        broker = BrokerCounters(load.platform.management, load.platform.vhost)
        start = broker.quiet()
        started = time.monotonic()
        eventlet.sleep(IDLE_SECONDS)  # ok: the idle window being measured
        end = broker.quiet()
        window = time.monotonic() - started
        idle = {key: (end[key] - start[key]) / window for key in set(start) | set(end)
                if end[key] != start[key]}
        if idle:
            print("idle traffic (per second, subtracted): " + ", ".join(
                f"{' '.join(key[1:])} {n:.2f}" for key, n in sorted(idle.items())))
        before = end
        for index, kind in enumerate(kinds):
            send = load.send
            if kind == "vote":  # on a post of the first member's, made before measuring
                send, before = _voting(load, broker)
            started = time.monotonic()
            for number in range(args.requests):
                member = load.members[(index + number) % len(load.members)]
                if kind == "vote":
                    member = load.members[1 + number % (len(load.members) - 1)]
                response = send(kind, member)
                if response.status_code not in (200, 201):
                    raise RuntimeError(f"{kind}: {response.status_code} {response.text[:300]}")
            after = broker.quiet()
            counts = per_request(before, after, idle, time.monotonic() - started,
                                 args.requests)
            print("\n".join(report(kind, args.requests, counts)), flush=True)
            before = after


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
