"""Fault injection against the real processes: bursts of writes by retrying clients, one fault.

A `ChaosPlatform` is the e2e platform (real `agora run` processes on free ports, each in a process
group of its own, own vhost and database prefix) with processes that can be SIGKILLed and
restarted. A scenario:

1. binds a bank system's queue (pika) to the public exchanges the writes produce events on;
2. starts a burst of writes from parallel clients retrying as a mobile app does: the same
   `Idempotency-Key` again after a connection error, a timeout, a 5xx, a 409 "in progress" or a
   429, until an answer or the client's deadline;
3. injects one fault once a share of the burst is acknowledged (SIGKILL and restart of processes,
   a poison message, a slow consumer);
4. measures, from the end of the fault to the moment everything holds (or the convergence
   timeout): writes acknowledged; acknowledged writes visible through the API (read models, and
   for posts the public feed); duplicates (resources beyond one per write); events delivered to
   the bank system (each resource's event applied once: distinct event ids per resource).

`Row`s print as one table (`table`). The suite (tests/chaos) runs the short form;
`python -m bench chaos` the long one.
"""
from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import eventlet
import pika
import requests

from services.identity.domain import REGISTRATION_ATTEMPTED, account_stream
from services.shared.config import PROCESSES
from services.shared.dead_letters import count_dead_letters
from services.shared.write_limits import NO_LIMITS

from ..conftest import AMQP_URI, RUN_ID
from ..e2e.conftest import Api, Platform, User, _with_vhost, new_address

RETRY_DELAYS_MS = "[200, 400]"  # a handler's retries before its dead letter (production: 36 s)
# A claim on an event left by a killed consumer is taken over after this (production: 60 s): it
# bounds the convergence after a consumer's SIGKILL.
CLAIM_TIMEOUT_SECONDS = 5
CLIENT_TIMEOUT = 6.0  # a mobile client's HTTP timeout
RPC_TIMEOUT = "5"  # the gateway's, shorter than the client's: 504 answers do happen
_platforms = iter(range(1, 1000))


# -- the platform ---------------------------------------------------------------------------------

class ChaosPlatform(Platform):
    """The e2e platform whose processes a test may SIGKILL and restart."""

    def __init__(self, workdir: Path, mongo_client, private_amqp_uri: str | None = None,
                 private_mongo_uri: str | None = None, retry_delays_ms: str = RETRY_DELAYS_MS):
        super().__init__(workdir)
        self.mongo = mongo_client
        number = next(_platforms)
        self.vhost = f"agora-chaos-{RUN_ID}-{number}"
        self.db_prefix = f"chaos{RUN_ID}{number}"
        self.private_amqp_uri = private_amqp_uri  # a broker of our own: its default vhost
        self.private_mongo_uri = private_mongo_uri
        self.amqp_uri = private_amqp_uri or _with_vhost(AMQP_URI, self.vhost)
        self.retry_delays_ms = retry_delays_ms
        self.config_dir = workdir / "config"
        self.held: set[str] = set()  # stopped on purpose: the supervisor leaves them alone
        self.crashes: collections.Counter = collections.Counter()
        self._supervisor = None

    def start(self) -> None:
        super().start()
        self._supervisor = eventlet.spawn(self._supervise)

    def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.kill()
        super().stop()

    def _supervise(self) -> None:
        """What Kubernetes does for a pod whose process exited: start it again (and count)."""
        while True:
            for name, process in self.processes.items():
                if name not in self.held and process.popen.poll() is not None:
                    self.crashes[name] += 1
                    self.spawn(process)
            eventlet.sleep(0.5)  # ok: the supervisor's poll interval

    def declare_vhost(self) -> None:
        if self.private_amqp_uri is None:
            super().declare_vhost()

    def cleanup(self, mongo_client) -> None:
        if self.private_amqp_uri is None:
            super().cleanup(mongo_client)

    def prepare(self) -> None:
        super().prepare()
        if self.private_mongo_uri:
            self.env["MONGO_URI"] = self.private_mongo_uri
        self.env["GATEWAY_RPC_TIMEOUT_SECONDS"] = RPC_TIMEOUT
        self.env["NOTIFICATIONS_RETRY_BASE_SECONDS"] = "0.5"
        self.env.update(NO_LIMITS)  # a burst of writes by a few members is the point here
        self.config_dir.mkdir(parents=True, exist_ok=True)
        for name, (_, path) in PROCESSES.items():
            text = re.sub(r"retry_delays_ms: \[[^\]]*\]",
                          f"retry_delays_ms: {self.retry_delays_ms}\n"
                          f"  claim_timeout_seconds: {CLAIM_TIMEOUT_SECONDS}", path.read_text())
            (self.config_dir / f"{name}.yaml").write_text(text)

    def run_options(self, name: str) -> list[str]:
        return ["--config", str(self.config_dir / f"{name}.yaml")]

    def kill(self, *names: str) -> None:
        """SIGKILL: no clean-up, no goodbye to the broker (os.kill, the real signal)."""
        for name in names:
            self.held.add(name)
            popen = self.processes[name].popen
            with contextlib.suppress(ProcessLookupError):
                os.kill(popen.pid, signal.SIGKILL)
            popen.wait(timeout=10)

    def terminate(self, *names: str) -> None:
        """A graceful stop (SIGTERM: nameko finishes its workers), as a rolling deploy does."""
        for name in names:
            self.held.add(name)
            popen = self.processes[name].popen
            popen.send_signal(signal.SIGTERM)
            popen.wait(timeout=30)

    def restart(self, *names: str, env: dict[str, str] | None = None) -> None:
        for name in names:
            self.spawn(self.processes[name], env)
            self.held.discard(name)
        for name in names:
            self._wait_ready(self.processes[name])

    def user(self, tag: str) -> User:
        """A member for the scenarios (registration answers alike when repeated: on a loaded
        machine a 504 is retried with the same address)."""
        email = self.api.unique_email(tag)
        for _ in range(2):
            with contextlib.suppress(AssertionError):
                return self.api.new_user(email=email)
        return self.api.new_user(email=email)


# -- the bank system ------------------------------------------------------------------------------

class BankSystem:
    """A pika subscriber bound to public exchanges (before the burst): what other bank systems
    see. Keeps, per event type and resource, the distinct event ids received."""

    def __init__(self, amqp_uri: str, bindings: tuple[tuple[str, str], ...]):
        self.amqp_uri = amqp_uri
        self.queue = f"bank-chaos-{uuid.uuid4().hex[:8]}"
        self._connect()
        self.channel.queue_declare(self.queue, durable=True)
        for exchange, routing_key in bindings:
            self.channel.exchange_declare(exchange, "topic", durable=True)
            self.channel.queue_bind(self.queue, exchange, routing_key=routing_key)
        self.events: dict[str, dict[str, set[str]]] = collections.defaultdict(
            lambda: collections.defaultdict(set))
        self.deliveries = 0

    def _connect(self) -> None:
        self.connection = pika.BlockingConnection(pika.URLParameters(self.amqp_uri))
        self.channel = self.connection.channel()

    def drain(self) -> None:
        """Take what arrived (a durable queue: after a broker restart, reconnect and go on)."""
        try:
            self._drain()
        except pika.exceptions.AMQPError:
            with contextlib.suppress(pika.exceptions.AMQPError):
                self._connect()  # if the broker is still down, the next look will retry

    def _drain(self) -> None:
        while True:
            method, _, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return
            self.deliveries += 1
            try:
                envelope = json.loads(body)
            except ValueError:
                self.events["(not an event)"][body.decode(errors="replace")].add("")
                continue
            payload = envelope.get("payload") or {}
            resource = (payload.get("post_id") or payload.get("message_id")
                        or payload.get("user_id") or envelope["stream_id"])
            self.events[envelope["type"]][resource].add(envelope["id"])

    def resources(self, event_type: str) -> dict[str, set[str]]:
        self.drain()
        return self.events[event_type]

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the broker may be the one that died
            self.channel.queue_delete(self.queue)
            self.connection.close()


# -- retrying clients -----------------------------------------------------------------------------

@dataclass
class Write:
    tag: str
    method: str
    path: str
    body: dict[str, Any]
    user: User | None
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    resource: str | None = None
    attempts: int = 0
    retried: bool = False
    answer: Any = None


RETRYABLE = {409, 429, 500, 502, 503, 504}


def send(api, write: Write, deadline: float) -> None:
    """Send until answered, with one key: what a mobile client on a flaky network does."""
    key = f"chaos-{write.tag}-{uuid.uuid4().hex[:8]}"
    pause = 0.2
    while time.monotonic() < deadline:
        write.attempts += 1
        try:
            response = api.request(write.method, write.path, user=write.user, json=write.body,
                                   headers={"Idempotency-Key": key, **write.headers},
                                   timeout=CLIENT_TIMEOUT)
        except requests.RequestException:
            response = None
        if response is not None and response.status_code not in RETRYABLE:
            write.status = response.status_code
            if response.status_code < 300 and response.content:
                write.resource = response.json().get("id")
                write.answer = response.json()
            return
        write.retried = True
        time.sleep(pause)  # ok: the client's back-off between two tries, not a synchronisation
        pause = min(pause * 2, 2.0)


class Burst:
    """`clients` parallel clients, each sending its share of `writes` in order."""

    def __init__(self, base_url: str, writes: list[Write], clients: int,
                 deadline_seconds: float):
        self.writes = writes
        self.deadline = time.monotonic() + deadline_seconds
        self.pool = eventlet.GreenPool(clients)
        shares = [writes[index::clients] for index in range(clients)]
        self.threads = [self.pool.spawn(self._run, Api(base_url), share) for share in shares]

    def _run(self, api, share: list[Write]) -> None:
        for write in share:
            send(api, write, self.deadline)

    @property
    def acknowledged(self) -> list[Write]:
        return [w for w in self.writes if w.status is not None and 200 <= w.status < 300]

    def wait(self) -> None:
        self.pool.waitall()


# -- workloads: what is written, and how to see it -----------------------------------------------

@dataclass
class Observed:
    visible: int = 0
    duplicates: int = 0
    delivered: int = 0
    applied_twice: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    def complete(self, acknowledged: int) -> bool:
        return (self.visible == acknowledged and self.delivered == acknowledged
                and self.duplicates == 0 and self.applied_twice == 0)


class Questions:
    """Questions by members; visible = published, found by search and in the public feed;
    delivered = `posts.post_published` on `posts.events`."""

    bindings = (("posts.events", "posts.post_published"),)

    def __init__(self, platform: ChaosPlatform, authors: list[User]):
        self.platform, self.authors = platform, authors
        self.marker = "chaos" + uuid.uuid4().hex[:8]

    def writes(self, count: int) -> list[Write]:
        return [Write(tag=f"q{index}", method="POST", path="/api/v1/posts",
                      user=self.authors[index % len(self.authors)],
                      body={"kind": "question", "category": "cards",
                            "title": f"Question {self.marker} number q{index}",
                            "body": f"How do I raise my card limit? ({index})"})
                for index in range(count)]

    def observe(self, acknowledged: list[Write], bank: BankSystem) -> Observed:
        api = self.platform.api
        listed = _pages(api, "/api/v1/posts", {"q": self.marker, "limit": 100})
        tags = collections.Counter(re.search(r"number (q\d+)", p["title"]).group(1)
                                   for p in listed)
        listed_ids = {p["id"] for p in listed}
        in_feed = {item.get("post_id") or item["id"]
                   for item in _pages(api, "/api/v1/feeds/public", {"limit": 100})}
        ids = {w.resource for w in acknowledged}
        published = bank.resources("posts.post_published")
        return Observed(
            visible=len(ids & listed_ids & in_feed),
            duplicates=sum(count - 1 for count in tags.values()),
            delivered=len(ids & set(published)),
            applied_twice=sum(1 for post in ids if len(published.get(post, ())) > 1),
            details={"listed": len(listed_ids), "in_public_feed": len(ids & in_feed)})


class Registrations:
    """Accounts (each from its own client address, as the registration limits expect);
    visible = its owner logs in; delivered = `identity.user_registered`; duplicates = accounts
    nobody logs in to, and notices "someone tried to register your address" (a retry is not)."""

    bindings = (("identity.events", "identity.user_registered"),)

    def __init__(self, platform: ChaosPlatform):
        self.platform = platform
        self.marker = uuid.uuid4().hex[:6]

    def writes(self, count: int) -> list[Write]:
        return [Write(tag=f"u{index}", method="POST", path="/api/v1/auth/register", user=None,
                      headers={"X-Forwarded-For": new_address()},
                      body={"email": f"chaos-{self.marker}-{index}@chaos.test",
                            "password": f"Lantern {uuid.uuid4().hex[:12]} orchard",
                            "display_name": f"Chaos {self.marker} {index}"})
                for index in range(count)]

    def observe(self, acknowledged: list[Write], bank: BankSystem) -> Observed:
        api = self.platform.api
        for write in acknowledged:
            if write.resource is None:  # the answer has no id: the owner's login tells it
                login = api.post("/api/v1/auth/login", headers=write.headers, json={
                    "email": write.body["email"], "password": write.body["password"]})
                if login.status_code == 200:
                    write.resource = login.json()["user_id"]
        ids = {w.resource for w in acknowledged if w.resource}
        registered = bank.resources("identity.user_registered")
        return Observed(visible=len(ids), delivered=len(ids & set(registered)),
                        duplicates=len(set(registered) - ids) + len(self.notices(ids)),
                        applied_twice=sum(1 for u in ids if len(registered.get(u, ())) > 1))

    def notices(self, user_ids: set[str]) -> list[str]:
        events = self.platform.mongo[f"{self.platform.db_prefix}_identity"]["events"]
        return [event["stream_id"] for commit in events.find(
                    {"stream_id": {"$in": [account_stream(u) for u in user_ids]}})
                for event in commit["events"] if event["type"] == REGISTRATION_ATTEMPTED]


class Messages:
    """Messages in private conversations (one per client); visible = in the conversation once;
    delivered = `conversations.message_posted` (references only) on `conversations.events`."""

    bindings = (("conversations.events", "conversations.message_posted"),)

    def __init__(self, platform: ChaosPlatform, members: list[User]):
        self.platform, self.members = platform, members
        self.marker = uuid.uuid4().hex[:8]
        self.conversations = {}
        for member in members:
            response = platform.api.post("/api/v1/conversations", user=member, json={
                "subject": f"Chaos {self.marker}", "message": "Hello"})
            assert response.status_code == 201, response.text
            self.conversations[member.id] = response.json()["id"]

    def writes(self, count: int) -> list[Write]:
        writes = []
        for index in range(count):
            member = self.members[index % len(self.members)]
            writes.append(Write(
                tag=f"m{index}", method="POST", user=member,
                path=f"/api/v1/conversations/{self.conversations[member.id]}/messages",
                body={"body": f"message {self.marker} m{index}"}))
        return writes

    def observe(self, acknowledged: list[Write], bank: BankSystem) -> Observed:
        api = self.platform.api
        bodies: collections.Counter = collections.Counter()
        seen_ids = set()
        for member in self.members:
            conversation = self.conversations[member.id]
            for message in _pages(api, f"/api/v1/conversations/{conversation}", {"limit": 200},
                                  user=member, key="messages"):
                if self.marker in (message.get("body") or ""):
                    bodies[message["body"]] += 1
                    seen_ids.add(message["id"])
        ids = {w.resource for w in acknowledged}
        posted = bank.resources("conversations.message_posted")
        return Observed(visible=len(ids & seen_ids),
                        duplicates=sum(count - 1 for count in bodies.values()),
                        delivered=len(ids & set(posted)),
                        applied_twice=sum(1 for m in ids if len(posted.get(m, ())) > 1))


def _pages(api, path: str, params: dict[str, Any], user: User | None = None,
           key: str = "items", limit_pages: int = 50) -> list[dict[str, Any]]:
    items, cursor = [], None
    for _ in range(limit_pages):
        response = api.get(path, user=user, params={**params, **({"cursor": cursor}
                                                                 if cursor else {})})
        if response.status_code != 200:
            return items
        page = response.json()
        items.extend(page[key])
        cursor = page.get("next_cursor")
        if not cursor:
            return items
    return items


# -- scenarios ------------------------------------------------------------------------------------

@dataclass
class Row:
    fault: str
    writes: int
    acknowledged: int
    visible: int
    duplicates: int
    delivered: int
    applied_twice: int
    converge_seconds: float | None
    retried: int
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        return (self.acknowledged == self.writes and self.visible == self.acknowledged
                and self.duplicates == 0 and self.delivered == self.acknowledged
                and self.applied_twice == 0 and self.converge_seconds is not None)


def run_scenario(platform: ChaosPlatform, fault: str, workload, writes: int,
                 inject: Callable[[Burst], None], recover: Callable[[], None] | None = None,
                 clients: int = 6, trigger: float = 0.3, burst_seconds: float | None = None,
                 converge_timeout: float = 60) -> Row:
    """A burst of `writes`; `inject` runs once `trigger` of them are acknowledged, `recover`
    (an operator's fix) once the burst is over; convergence is timed from the end of both."""
    burst_seconds = burst_seconds or 60 + writes  # a client gives up on a write after this
    bank = BankSystem(platform.amqp_uri, workload.bindings)
    crashes_before = collections.Counter(platform.crashes)
    try:
        burst = Burst(platform.base_url, workload.writes(writes), clients, burst_seconds)
        threshold = max(1, int(writes * trigger))
        _until(lambda: len(burst.acknowledged) >= threshold or not _running(burst),
               burst_seconds, f"{fault}: {threshold} writes acknowledged before the fault")
        inject(burst)
        recovered = time.monotonic()
        burst.wait()
        if recover is not None:
            recover()
            recovered = time.monotonic()
        acknowledged = burst.acknowledged
        observed = Observed()
        converged = None
        deadline = time.monotonic() + converge_timeout
        while True:
            observed = workload.observe(acknowledged, bank)
            if observed.complete(len(acknowledged)):
                converged = time.monotonic() - recovered
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.25)  # ok: poll interval of a deadline-bounded convergence wait
        return Row(fault=fault, writes=writes, acknowledged=len(acknowledged),
                   visible=observed.visible, duplicates=observed.duplicates,
                   delivered=observed.delivered, applied_twice=observed.applied_twice,
                   converge_seconds=converged, retried=sum(w.retried for w in burst.writes),
                   details={**observed.details, "deliveries": bank.deliveries,
                            "crashed_and_restarted": dict(platform.crashes - crashes_before),
                            "unanswered": [w.tag for w in burst.writes if w.status is None],
                            "refused": {w.tag: w.status for w in burst.writes
                                        if w.status is not None and w.status >= 300}})
    finally:
        bank.close()


def _running(burst: Burst) -> bool:
    return any(not thread.dead for thread in burst.threads)


def _until(condition: Callable[[], bool], timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(0.05)  # ok: poll interval of a deadline-bounded wait


def kill_and_restart(platform: ChaosPlatform, *names: str,
                     on_write_path: bool = True) -> Callable[[Burst], None]:
    """SIGKILL, then restart — for a process the writes go through, only once a client has
    seen the failure and retried (its request timed out or was refused): the retry with the same
    key, and requests left in the dead process's RPC queue, are what one key, one effect is
    about."""
    def inject(burst: Burst) -> None:
        platform.kill(*names)
        if on_write_path:
            _until(lambda: any(w.retried for w in burst.writes) or not _running(burst), 30,
                   f"a client retrying while {', '.join(names)} is down")
        platform.restart(*names)
    return inject


# -- the table ------------------------------------------------------------------------------------

HEADER = ("fault", "writes", "acked", "visible", "dupes", "delivered", "twice", "converge",
          "retried")


def table(rows: list[Row]) -> str:
    lines = [HEADER] + [(
        row.fault, str(row.writes), str(row.acknowledged), str(row.visible),
        str(row.duplicates), str(row.delivered), str(row.applied_twice),
        "never" if row.converge_seconds is None else f"{row.converge_seconds:.1f} s",
        str(row.retried)) for row in rows]
    widths = [max(len(line[column]) for line in lines) for column in range(len(HEADER))]
    rendered = ["  ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                          for column, (cell, width) in enumerate(zip(line, widths, strict=True)))
                for line in lines]
    rendered.insert(1, "-" * len(rendered[0]))
    notes = {"crashed_and_restarted": "crashed and restarted by the supervisor",
             "redriven_after_outage": "dead letters re-driven after the outage"}
    rendered += [f"  {row.fault}: {text}: {row.details[key]}"
                 for row in rows for key, text in notes.items() if row.details.get(key)]
    return "\n".join(rendered)


# -- the faults -----------------------------------------------------------------------------------

SERVICES = ("identity", "posts", "moderation", "feeds", "notifications", "conversations")


class Faults:
    """Every scenario of the suite, at `scale` (1: the short form of `make test`)."""

    def __init__(self, platform: ChaosPlatform, scale: int = 1):
        self.platform, self.scale = platform, scale
        self.authors = [platform.user("author") for _ in range(6)]

    def questions(self, authors: list[User] | None = None) -> Questions:
        return Questions(self.platform, authors or self.authors)

    def baseline(self) -> Row:
        """The same burst with no fault: what convergence costs when nothing fails."""
        return run_scenario(self.platform, "no fault (baseline)", self.questions(),
                            24 * self.scale, lambda burst: None)

    def posts_and_feeds_killed(self) -> Row:
        """The issue's scenario: 90 questions by 6 clients, posts and feeds SIGKILLed
        mid-burst and restarted."""
        return run_scenario(self.platform, "SIGKILL posts+feeds (90 questions)",
                            self.questions(), 90 * self.scale,
                            kill_and_restart(self.platform, "posts", "feeds"))

    def killed(self, name: str) -> Row:
        """SIGKILL of one process mid-burst, restarted; writes that go through it."""
        writes = 12 * self.scale
        if name == "identity":
            workload = Registrations(self.platform)
        elif name == "conversations":
            workload = Messages(self.platform, [self.platform.user("talk") for _ in range(3)])
        else:
            workload = self.questions()
        return run_scenario(self.platform, f"SIGKILL {name}", workload, writes,
                            kill_and_restart(self.platform, name, on_write_path=name in (
                                "identity", "posts", "conversations", "gateway")))

    def poison(self) -> Row:
        """A malformed message reaches every consumer of posts' events, and one author's
        submissions meet a corrupted record in moderation (its handler fails, is retried, then
        dead-lettered); the consumers keep going; an operator repairs the record and re-drives
        moderation's dead letters (`agora dead-letters redrive`)."""
        platform = self.platform
        unlucky = platform.user("unlucky")
        members = platform.mongo[f"{platform.db_prefix}_moderation"]["members"]
        members.update_one({"_id": unlucky.id}, {"$set": {"approved": "corrupted"}},
                           upsert=True)
        workload = self.questions([*self.authors, unlucky])
        writes = 14 * self.scale
        unlucky_writes = len(range(len(self.authors), writes, len(self.authors) + 1))
        before = count_dead_letters(platform.amqp_uri, "moderation")
        outcome: dict[str, Any] = {}

        def inject(burst: Burst) -> None:
            publish_malformed(platform.amqp_uri, "posts.events", "posts.post_published")

        def recover() -> None:
            _until(lambda: count_dead_letters(platform.amqp_uri, "moderation")
                   >= before + 1 + unlucky_writes, 60, "moderation's dead letters")
            members.update_one({"_id": unlucky.id}, {"$set": {"approved": 0}})
            result = platform.agora("dead-letters", "redrive", "moderation",
                                    env={"AGORA_LANGUAGE": "en"})
            outcome["redrive"] = (result.returncode, result.stdout.strip())

        row = run_scenario(platform, "poison message (moderation)", workload, writes, inject,
                           recover=recover, clients=7)
        row.details.update(outcome)
        row.details["dead_letters_left"] = {
            name: count_dead_letters(platform.amqp_uri, name) for name in SERVICES}
        return row

    def slow_consumer(self) -> Row:
        """feeds' handlers delayed (0.5 s each) while the writers keep going."""
        platform = self.platform

        def inject(burst: Burst) -> None:
            platform.terminate("feeds")
            platform.restart("feeds", env={"AGORA_FAILPOINTS": "slow_handler:0.5"})

        try:
            return run_scenario(platform, "slow consumer (feeds)", self.questions(),
                                12 * self.scale, inject)
        finally:
            platform.terminate("feeds")
            platform.restart("feeds")


def publish_malformed(amqp_uri: str, exchange: str, routing_key: str) -> None:
    """A message that is not an event at all, as a misbehaving producer would send."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(exchange, routing_key, b"{not json",
                              pika.BasicProperties(delivery_mode=2,
                                                   content_type="application/json"))
    finally:
        connection.close()


class InfraFaults(Faults):
    """The broker and the database stopped and started mid-burst: a platform on a private
    RabbitMQ node and a private MongoDB (tests/chaos/infra.py), production retry delays (a
    handler rides out an outage shorter than 36 s without a dead letter)."""

    def __init__(self, platform: ChaosPlatform, broker, database, scale: int = 1):
        super().__init__(platform, scale)
        self.broker, self.database = broker, database

    def _outage(self, name: str, server) -> Row:
        platform = self.platform
        redriven: dict[str, int] = {}

        def inject(burst: Burst) -> None:
            server.stop()
            _until(lambda: any(w.retried for w in burst.writes) or not _running(burst), 60,
                   f"a client retrying while {name} is down")
            server.start()

        def recover() -> None:
            """The runbook's step after an outage longer than the handlers' retries (36 s):
            re-drive what was dead-lettered meanwhile."""
            for service in SERVICES:
                letters = count_dead_letters(platform.amqp_uri, service)
                if letters:
                    platform.agora("dead-letters", "redrive", service)
                    redriven[service] = letters

        row = run_scenario(platform, f"{name} stopped+started", self.questions(),
                           24 * self.scale, inject, recover=recover, converge_timeout=120)
        row.details["redriven_after_outage"] = redriven
        return row

    def broker_restarted(self) -> Row:
        return self._outage("RabbitMQ", self.broker)

    def database_restarted(self) -> Row:
        return self._outage("MongoDB", self.database)
