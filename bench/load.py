# ruff: noqa: E402 - eventlet.monkey_patch() must precede every other import
"""The platform under a real mix, at a constant arrival rate, before and after the data grows.

    python -m bench load                 2,000 posts, then 20,000 (a developer's coffee break)
    python -m bench load --quick         200, then 2,000 (a few minutes)
    python -m bench load --posts 500 --growth 10 --step-seconds 10

Starts the whole platform (`agora migrate`, then every process of this checkout with `agora
run`, own vhost and databases, a local SMTP sink), an admin, categories and `--members`
members each following the next 5, then creates `--posts` posts through the API (with a vote
for every fifth, by a follower of its author) and waits until every consumer has caught up.

Then, open loop (bench/openloop.py: each request sent at its intended time from green threads,
its latency measured from that time, so queueing is never hidden), rates stepped up (× 1.5)
until the p99 of a step exceeds the budget (200 ms) or a request fails, then bisected twice:

- **floor**: `GET /api/v1/ping` alone (the gateway's pipeline and one RPC that does nothing);
- **mix**: 60 % `GET /api/v1/feeds/home` / 30 % `GET /api/v1/users/<id>/activity` / 10 %
  `POST /api/v1/posts`, as random members;
- **alone** (`--alone`, default `post`): new posts alone (held at p99 ≤ 500 ms), and on
  request the home feed or the journal alone (at the budget);
- **one member alone**: sequential rounds of ping, new post, home feed and journal
  (bench/single_user.py), each kind's p50 as a ratio to ping's.

Every step waits until the consumers have caught up before the next (a write's downstream work
is asynchronous), and the first tenth of a step is not counted (connections warm up). Printed:
the highest rate held by each, the mix's as a ratio to the floor's, each kind's p50/p99 at that
rate, and the driver's own scheduling lag (p99 of actual minus intended send time: when it is
a sizeable part of the latencies, the driver, not the platform, is the limit), and at every
step the machine's CPU while sending over the requests sent (/proc/stat: every process, the
shared stand-in and broker and the driver included) with the share of its cores busy. A ping's
CPU over another kind's is the highest share of the floor that kind could reach while the cores
are the limit, printed beside each goal ("leaves room for"). Then the data
grows `--growth`-fold (more posts through the API) and everything is measured again; then the
two sizes are compared and issue 14's goals listed, each met or not.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse
import contextlib
import itertools
import os
import random
import shutil
import signal
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

from services.devtools.mailsink import MailSink

from .gateway import Platform, admin_with_categories, signed_in_members
from .openloop import RateSearch, arrival_offsets, kinds_in_mix, percentile, rate_to_report
from .processes import CORES, MachineCpu, cpu_seconds
from .wirecount import MongoTimer
from .writepath import with_port

MIX = {"home": 6, "activity": 3, "post": 1}
FLOOR = {"ping": 1}
# Kinds that can also be measured alone (`--alone`), each with the p99 budget issue 14 gives it:
# new posts alone are held at p99 <= 500 ms, reads at the run's budget.
ALONE_BUDGETS_MS = {"post": 500.0, "home": None, "activity": None}
# Issue 14's goals, as ratios to the ping floor measured in the same run.
GOAL_MIX = 0.6              # the mix's rate held / the floor's
GOAL_GROWTH = 0.10          # the mix's share of the floor may move this much with the growth
GOAL_POSTS = 0.2            # new posts alone (p99 <= 500 ms) / the floor
GOAL_SINGLE_POST = 2.0      # one member's new post p50 / one member's ping p50
SINGLE_ROUNDS = 60          # one member's sequential rounds of ping, post, home, activity
SINGLE_PAUSE = 0.25         # seconds between two of them (see bench/single_user.py)
SINGLE_AFTER_POST = 1.0     # seconds after a post (bench/single_user.py's default)
QUIET_SHARE = 0.05          # the platform's own processes at rest: under 5 % of a core together
QUIET_WINDOW = 1.0          # seconds of CPU time per sample (/proc)
CATEGORIES = ("cards", "loans", "savings")
FOLLOWS = 5                 # each member follows the next FOLLOWS members
VOTE_EVERY = 5              # seeding: one vote for every fifth post
SEED_CONCURRENCY = 8        # seeding is closed loop: it only has to be quick
MAX_IN_FLIGHT = 2000        # open loop: requests outstanding at once (a 10 s timeout bounds it)
TIMEOUT = 10.0
WARM_FRACTION = 0.1         # of each step, not counted
CONFIRMATIONS = 1           # a step that fails is run again: the machine may be shared
SETTLE_TIMEOUT = 300.0


class Stopped(Exception):
    """SIGINT or SIGTERM: stop at the next step, then clean up (processes, vhost, databases)."""


_stop_asked = False


def _ask_to_stop(signum, frame) -> None:
    # An exception raised from a signal handler would land in whichever green thread runs (the
    # hub swallows it): the loops look at this flag instead.
    global _stop_asked
    _stop_asked = True


def _check_stop() -> None:
    if _stop_asked:
        raise Stopped()


@dataclass
class Outcome:
    kind: str
    lag: float        # seconds between the intended and the actual send time
    latency: float    # seconds from the intended send time to the answer
    ok: bool
    due: float = 0.0  # the intended send time, wall clock (epoch seconds): to line up with logs


class Load:
    def __init__(self, platform: Platform, members: list[dict]) -> None:
        self.base = platform.gateway
        self.platform = platform
        self.members = members
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=MAX_IN_FLIGHT)
        self.session.mount("http://", adapter)
        self.numbers = itertools.count(1)
        self.rng = random.Random(11)
        self.created = 0  # posts created so far (seeding, the mix's writes, settle markers)
        self.timer: MongoTimer | None = None  # the database's timing proxy, when there is one
        self._voted_on: str | None = None  # the post the `vote` kind votes on (made at once)
        self._votes: dict[str, bool] = {}  # member id -> whether their vote is cast now

    # -- the requests

    def send(self, kind: str, member: dict) -> requests.Response:
        auth = {"Authorization": f"Bearer {member['token']}"}
        if kind == "ping":
            return self.session.get(self.base + "/api/v1/ping", timeout=TIMEOUT)
        if kind == "home":
            return self.session.get(self.base + "/api/v1/feeds/home", headers=auth,
                                    timeout=TIMEOUT)
        if kind == "activity":
            other = self.rng.choice(self.members)
            return self.session.get(f"{self.base}/api/v1/users/{other['id']}/activity",
                                    headers=auth, timeout=TIMEOUT)
        if kind == "vote":
            return self._vote(member, auth)
        number = next(self.numbers)
        response = self.session.post(
            self.base + "/api/v1/posts", headers=auth, timeout=TIMEOUT,
            json={"kind": "question", "category": CATEGORIES[number % len(CATEGORIES)],
                  "title": f"Question de charge numéro {number}",
                  "body": "Comment *augmenter* le plafond de ma carte pendant un voyage ?"})
        if response.status_code == 201:
            self.created += 1
        return response

    def _vote(self, member: dict, auth: dict[str, str]) -> requests.Response:
        """The member's vote on another member's post, cast and taken back in turn (a command
        on a stream of its own, as a member's edits, follows and decisions are)."""
        if self._voted_on is None:
            author = next(other for other in self.members if other is not member)
            created = self.send("post", author)
            created.raise_for_status()
            self._voted_on = created.json()["id"]
            self.settled_post(self._voted_on)
        cast = not self._votes.get(member["id"], False)
        response = self.session.request("PUT" if cast else "DELETE",
                                        f"{self.base}/api/v1/posts/{self._voted_on}/vote",
                                        headers=auth, timeout=TIMEOUT)
        if response.status_code == 200:
            self._votes[member["id"]] = cast
        return response

    def _one(self, kind: str, due: float, outcomes: list[Outcome]) -> None:
        member = self.rng.choice(self.members)
        sent = time.perf_counter()
        try:
            ok = self.send(kind, member).status_code in (200, 201)
        except requests.RequestException:
            ok = False
        wall_due = due + time.time() - time.perf_counter()
        outcomes.append(Outcome(kind, sent - due, time.perf_counter() - due, ok, wall_due))

    # -- one step at a constant rate

    def step(self, mix: dict[str, int], rate: float, seconds: float,
             warming: list[Outcome] | None = None) -> list[Outcome]:
        """The step's outcomes after its first tenth; those of the first tenth (connections
        warming up) go to `warming` when given."""
        offsets = arrival_offsets(rate, seconds)
        kinds = kinds_in_mix(len(offsets), mix, seed=int(rate * 1000))
        outcomes: list[Outcome] = []
        warming = [] if warming is None else warming
        pool = eventlet.GreenPool(MAX_IN_FLIGHT)
        start = time.perf_counter() + 0.05
        for offset, kind in zip(offsets, kinds, strict=True):
            _check_stop()
            delay = start + offset - time.perf_counter()
            if delay > 0:
                eventlet.sleep(delay)
            pool.spawn_n(self._one, kind, start + offset,
                         outcomes if offset >= WARM_FRACTION * seconds else warming)
        pool.waitall()
        return outcomes

    # -- the data

    def grow(self, posts: int) -> float:
        """Create `posts` posts through the API (a vote for every fifth, by a follower of its
        author); returns posts per second."""
        numbers = list(range(posts))
        started = time.perf_counter()

        def create(n: int) -> None:
            _check_stop()
            author = self.members[n % len(self.members)]
            response = self.send("post", author)
            if response.status_code != 201:
                raise RuntimeError(f"seeding: {response.status_code} {response.text[:300]}")
            if n % VOTE_EVERY == 0:
                voter = self.members[(n - 1) % len(self.members)]  # follows the author
                post_id = response.json()["id"]
                self.settled_post(post_id)
                vote = self.session.put(f"{self.base}/api/v1/posts/{post_id}/vote",
                                        headers={"Authorization": f"Bearer {voter['token']}"},
                                        timeout=TIMEOUT)
                if vote.status_code != 200:
                    raise RuntimeError(f"seeding vote: {vote.status_code} {vote.text[:300]}")

        pool = eventlet.GreenPool(SEED_CONCURRENCY)
        for _ in pool.imap(create, numbers):
            pass
        return posts / (time.perf_counter() - started)

    def settled_post(self, post_id: str) -> None:
        """Wait until moderation has published a post (a vote needs it published)."""
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while self.session.get(f"{self.base}/api/v1/posts/{post_id}",
                               timeout=TIMEOUT).status_code != 200:
            _check_stop()
            if time.monotonic() > deadline:
                raise RuntimeError(f"post {post_id} not published after {SETTLE_TIMEOUT}s")
            eventlet.sleep(0.05)  # poll interval of a bounded wait

    def settle(self) -> float:
        """Wait until every queue of the platform's vhost is empty twice in a row (the broker's
        statistics are a few seconds old) and a fresh post reaches its author's journal (it
        went through posts, moderation and feeds after everything before it); seconds waited."""
        started = time.monotonic()
        author = self.members[0]
        response = self.send("post", author)
        response.raise_for_status()
        marker = response.json()["id"]
        deadline = started + SETTLE_TIMEOUT
        empty_in_a_row = 0
        while empty_in_a_row < 2 or not self._in_journal(author, marker):
            _check_stop()
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the consumers did not catch up in {SETTLE_TIMEOUT}s: queues holding "
                    f"messages (ready, unacknowledged, consumers): {self._waiting() or 'none'}; "
                    f"the marker post {marker} "
                    f"{'is' if self._in_journal(author, marker) else 'is not'} in its author's "
                    "journal")
            empty_in_a_row = empty_in_a_row + 1 if self._queued() == 0 else 0
            eventlet.sleep(1.0)  # poll interval of a bounded wait (statistics refresh ~5 s)
        return time.monotonic() - started

    def quiet(self) -> float:
        """Wait until the platform's own processes (services, gateway) use less than
        QUIET_SHARE of a core together over QUIET_WINDOW, twice in a row: what `settle` cannot
        see — work that waits in the databases rather than in the queues (e-mails to send after
        a burst of posts, outbox passes) — is done too; seconds waited."""
        started = time.monotonic()
        pids = {name: process.pid for name, process in self.platform.processes.items()}
        quiet_in_a_row = 0
        while quiet_in_a_row < 2:
            _check_stop()
            if time.monotonic() - started > SETTLE_TIMEOUT:
                raise RuntimeError(f"the platform was not quiet after {SETTLE_TIMEOUT}s")
            before, since = cpu_seconds(pids), time.monotonic()
            eventlet.sleep(QUIET_WINDOW)  # the sample's window: CPU time is read across it
            after = cpu_seconds(pids)
            share = sum(after[name] - before[name] for name in pids) / (time.monotonic() - since)
            quiet_in_a_row = quiet_in_a_row + 1 if share < QUIET_SHARE else 0
        return time.monotonic() - started

    def _in_journal(self, author: dict, item_id: str) -> bool:
        page = self.session.get(f"{self.base}/api/v1/users/{author['id']}/activity",
                                timeout=TIMEOUT).json()
        return any(item.get("id") == item_id or item.get("post_id") == item_id
                   for item in page.get("items", []))

    def _queued(self) -> int:
        return sum(queue.get("messages") or 0 for queue in self.platform.queues("name,messages"))

    def _waiting(self) -> dict[str, tuple[int, int, int]]:
        """The queues holding messages: name -> (ready, unacknowledged, consumers)."""
        return {queue["name"]: (queue.get("messages_ready") or 0,
                                queue.get("messages_unacknowledged") or 0,
                                queue.get("consumers") or 0)
                for queue in self.platform.queues(
                    "name,messages,messages_ready,messages_unacknowledged,consumers")
                if queue.get("messages")}


# -- the search for the highest rate held --------------------------------------------------------

@dataclass
class Step:
    rate: float
    held: bool
    outcomes: list[Outcome]
    settle_seconds: float
    cpu_ms: float = float("nan")  # the machine's CPU while sending, a request sent
    busy: float = float("nan")    # share of the machine's cores busy while the step sent

    @property
    def latencies(self) -> list[float]:
        return [outcome.latency for outcome in self.outcomes]

    def p(self, fraction: float, kind: str | None = None) -> float:
        values = [o.latency for o in self.outcomes if kind is None or o.kind == kind]
        return percentile(values, fraction) * 1000 if values else float("nan")

    @property
    def lag_p99(self) -> float:
        return percentile([o.lag for o in self.outcomes], 0.99) * 1000

    @property
    def failures(self) -> int:
        return sum(not o.ok for o in self.outcomes)


def highest_rate_held(load: Load, name: str, mix: dict[str, int], start: float,
                      seconds: float, budget_ms: float) -> tuple[RateSearch, dict[float, Step]]:
    search = RateSearch(start=start)
    steps: dict[float, Step] = {}
    while (rate := search.next_rate()) is not None:
        for _ in range(CONFIRMATIONS + 1):
            warming: list[Outcome] = []
            started = MachineCpu.now()
            outcomes = load.step(mix, rate, seconds, warming)
            sent = MachineCpu.now()
            # Everything the machine did while the requests were sent, over every request sent
            # (the warm-up's too). Not the catch-up's: its own polling (the broker's queue
            # statistics every second) and the quiet windows weighed on a slow step's few
            # requests (a ping "15 ms" at 40/s, against 3 at 600/s). Nor is the machine's work
            # at rest subtracted: measured over a second before the step, it swung with the
            # stand-in's own background work (a held mix "0.3 ms" a request).
            cpu_ms = sent.busy_since(started) * 1000 / max(len(outcomes) + len(warming), 1)
            # Queues empty is not enough: an overloaded step leaves work waiting in the
            # databases (e-mails, outbox passes) that would count against the next, lower step.
            settle = load.settle() + load.quiet()
            step = Step(rate, False, outcomes, settle, cpu_ms, sent.rate_since(started) / CORES)
            step.held = step.failures == 0 and step.p(0.99) <= budget_ms
            print(f"  {name:<5}{rate:>7.1f}/s  p50 {step.p(0.5):>7.1f} ms  p99 "
                  f"{step.p(0.99):>7.1f} ms  failed {step.failures:>3}  driver lag p99 "
                  f"{step.lag_p99:>6.1f} ms  {'held' if step.held else 'NOT held'}  (caught up "
                  f"in {settle:.0f} s; load average {os.getloadavg()[0]:.1f}; CPU "
                  f"{cpu_ms:.1f} ms a request, cores {step.busy:.0%} busy while sending)",
                  flush=True)
            if step.held:
                break  # a failure is confirmed by running the step again; a success is not
        search.record(rate, step.held)
        steps[rate] = step
    return search, steps


def measure(load: Load, posts: int, seconds: float, budget_ms: float,
            alone: tuple[str, ...] = ("post",)) -> dict:
    print(f"-- {posts:,} posts: the floor, then the mix (steps of {seconds:.0f} s, "
          f"p99 budget {budget_ms:.0f} ms){', then alone: ' + ', '.join(alone) if alone else ''}",
          flush=True)
    load.quiet()  # the seeding's e-mails sent, not counted against the first step
    floor, floor_steps = highest_rate_held(load, "ping", FLOOR, 40.0, seconds, budget_ms)
    start = max(5.0, (floor.held or 40.0) / 8)
    searches = {"floor": (floor, floor_steps),
                "mix": highest_rate_held(load, "mix", MIX, start, seconds, budget_ms)}
    for kind in alone:
        kind_budget = ALONE_BUDGETS_MS[kind] or budget_ms
        searches[kind] = highest_rate_held(load, kind, {kind: 1}, start, seconds, kind_budget)
    result = {"posts": posts, "single": single_member(load)}
    for name, (search, steps) in searches.items():
        chosen = rate_to_report(search)
        result[name] = search.held
        result[f"{name}_step"] = steps[chosen[0]] if chosen else None
    result["alone"] = alone
    return result


def single_member(load: Load) -> dict[str, float]:
    """One member alone, sequentially (bench/single_user.py): each kind's p50 in ms."""
    from .single_user import rounds  # it imports this module

    load.settle()
    waited = load.quiet()  # the post-alone steps leave e-mails to send behind the queues
    latencies = rounds(load, SINGLE_ROUNDS, SINGLE_PAUSE, SINGLE_AFTER_POST)
    single = {kind: percentile(values, 0.5) * 1000 for kind, values in latencies.items()}
    print(f"  one member alone ({load.created:,} posts; quiet after {waited:.0f} s), p50: "
          + ", ".join(f"{kind} {ms:.1f} ms" for kind, ms in single.items()), flush=True)
    return single


def report(result: dict) -> None:
    floor, mix = result["floor"], result["mix"]
    print(f"{result['posts']:,} posts: ping floor held {floor or 0:.1f} req/s; mix held "
          f"{mix or 0:.1f} req/s = {(mix or 0) / floor:.2f} x the floor" if floor else
          f"{result['posts']:,} posts: the ping floor held no rate")
    print(f"  {'kind':<10}{'rate/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'p50/ping':>10}{'p99/ping':>10}"
          f"  (at the highest rate held, else the lowest tried)")
    ping = result["floor_step"]
    rows = [("ping", ping, ping.rate, "ping")] if ping else []
    if result["mix_step"]:
        for kind, weight in MIX.items():
            rows.append((kind, result["mix_step"],
                         result["mix_step"].rate * weight / sum(MIX.values()), kind))
    for label, step, rate, kind in rows:
        ratio_50 = step.p(0.5, kind) / ping.p(0.5) if ping else float("nan")
        ratio_99 = step.p(0.99, kind) / ping.p(0.99) if ping else float("nan")
        print(f"  {label:<10}{rate:>8.1f}{step.p(0.5, kind):>9.1f}{step.p(0.99, kind):>9.1f}"
              f"{ratio_50:>10.2f}{ratio_99:>10.2f}{'' if step.held else '  not held'}")
    for kind in result["alone"]:
        step, held = result[f"{kind}_step"], result[kind]
        if step:
            print(f"  {kind + ' alone':<18} held {held or 0:.1f} req/s = "
                  f"{(held or 0) / floor:.2f} x the floor; p50 {step.p(0.5):.1f} ms, p99 "
                  f"{step.p(0.99):.1f} ms at {step.rate:.1f}/s{'' if step.held else ' (not held)'}"
                  if floor else f"  {kind} alone: no floor to compare with")
    single = result["single"]
    print("  one member alone, p50 / ping's p50: " + ", ".join(
        f"{kind} {ms / single['ping']:.2f}" for kind, ms in single.items() if kind != "ping"))
    lags = [step.lag_p99 for name in ("floor", "mix", *result["alone"])
            if (step := result[f"{name}_step"])]
    if lags:
        print(f"  driver scheduling lag p99 at those rates: "
              f"{', '.join(f'{lag:.1f} ms' for lag in lags)}")
    if ping:
        print(f"  the machine's CPU a request while sending at those rates (every process, the "
              f"driver's too), and the share of the floor it leaves room for: ping "
              f"{ping.cpu_ms:.1f} ms ({ping.busy:.0%} of the cores busy while sending)"
              + "".join(f"; {name} {step.cpu_ms:.1f} ms = {step.cpu_ms / ping.cpu_ms:.1f} pings, "
                        f"at most {cpu_ceiling(result, name):.2f} x ({step.busy:.0%} busy)"
                        for name in ("mix", *result["alone"])
                        if (step := result[f"{name}_step"])))


def cpu_ceiling(result: dict, name: str) -> float:
    """The highest share of the floor that `name`'s CPU a request leaves room for, where the
    machine's cores are the limit (both measured in the same run): a ping's CPU over its."""
    ping, step = result["floor_step"], result[f"{name}_step"]
    return ping.cpu_ms / step.cpu_ms if ping and step and step.cpu_ms > 0 else float("nan")


def goals(small: dict, large: dict) -> list[tuple[str, str, bool]]:
    """Issue 14's goals as (goal, measured, met), from the two sizes of one run."""
    def share(result: dict, name: str) -> float:
        return (result[name] or 0) / result["floor"] if result["floor"] else 0.0

    def room(result: dict, name: str) -> str:
        return f" (its CPU a request leaves room for {cpu_ceiling(result, name):.2f})"

    rows = []
    for result in (small, large):
        rows.append((f"mix >= {GOAL_MIX} x floor at p99 <= budget ({result['posts']:,} posts)",
                     f"{share(result, 'mix'):.2f}{room(result, 'mix')}",
                     share(result, "mix") >= GOAL_MIX))
    before, after = share(small, "mix"), share(large, "mix")
    moved = abs(after - before) / before if before else float("inf")
    rows.append((f"mix's share after {large['posts'] / max(small['posts'], 1):.0f}x growth "
                 f"within {GOAL_GROWTH:.0%}", f"{before:.2f} -> {after:.2f}",
                 moved <= GOAL_GROWTH))
    for result in (small, large):
        if "post" in result["alone"]:
            rows.append((f"new posts alone >= {GOAL_POSTS} x floor at p99 <= 500 ms "
                         f"({result['posts']:,} posts)",
                         f"{share(result, 'post'):.2f}{room(result, 'post')}",
                         share(result, "post") >= GOAL_POSTS))
        single = result["single"]
        ratio = single["post"] / single["ping"]
        rows.append((f"one member's new post p50 <= {GOAL_SINGLE_POST} x ping "
                     f"({result['posts']:,} posts)", f"{ratio:.2f}", ratio <= GOAL_SINGLE_POST))
    return rows


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="200 posts growing to 2,000, steps of 8 s")
    parser.add_argument("--posts", type=int, help="posts before growth (default 2,000)")
    parser.add_argument("--growth", type=int, default=10, help="growth factor (default 10)")
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--step-seconds", type=float, help="seconds per rate (default 15)")
    parser.add_argument("--budget-ms", type=float, default=200.0, help="p99 budget")
    parser.add_argument("--alone", default="post",
                        help="kinds also measured alone, comma-separated, among post, home, "
                             "activity (default: post, judged at p99 <= 500 ms; '' for none)")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv or [])
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _ask_to_stop)
    posts = args.posts or (200 if args.quick else 2000)
    alone = tuple(kind for kind in args.alone.split(",") if kind)
    unknown = [kind for kind in alone if kind not in ALONE_BUDGETS_MS]
    if unknown:
        raise SystemExit(f"--alone: unknown kind(s) {', '.join(unknown)}")
    seconds = args.step_seconds or (8.0 if args.quick else 15.0)
    workdir, sink, platform = whole_platform("load")
    try:
        platform.start(migrate=True)
        print(f"platform: {', '.join(platform.names)} (one process each), database "
              f"{platform.mongo}", flush=True)
        admin_with_categories(platform, CATEGORIES)
        members = signed_in_members(platform.gateway, args.members, "Load")
        load = Load(platform, members)
        _follow(load)
        results = []
        for target in (posts, posts * args.growth):
            missing = max(0, target - load.created)  # the mix's writes count too
            rate = load.grow(missing)
            load.settle()
            print(f"seeded {missing:,} posts through the API at {rate:.0f} posts/s",
                  flush=True)
            results.append(measure(load, load.created, seconds, args.budget_ms, alone))
        print(f"== load: {args.members} members each following {FOLLOWS}, open loop, "
              f"60% home feed / 30% activity journal / 10% new post")
        for result in results:
            report(result)
        small, large = results
        if small["mix"] and large["mix"] and small["floor"] and large["floor"]:
            print(f"growth {small['posts']:,} -> {large['posts']:,} posts: mix held "
                  f"{large['mix'] / small['mix']:.2f} x (as a share of the floor: "
                  f"{small['mix'] / small['floor']:.2f} -> {large['mix'] / large['floor']:.2f})")
        elif small["mix_step"] and large["mix_step"]:
            print(f"growth {small['posts']:,} -> {large['posts']:,} posts: mix held "
                  f"{small['mix'] or 0:.1f} -> {large['mix'] or 0:.1f} req/s; mix p50 "
                  f"{small['mix_step'].p(0.5):.0f} ms at {small['mix_step'].rate:.1f}/s -> "
                  f"{large['mix_step'].p(0.5):.0f} ms at {large['mix_step'].rate:.1f}/s")
        print("== issue 14's goals (ratios to the ping floor of the same run)")
        for goal, measured, met in goals(small, large):
            print(f"  {'met    ' if met else 'NOT met'}  {goal}: {measured}")
    except BaseException:
        print(f"the platform's logs are kept in {platform.keep_logs()}", flush=True)
        raise
    finally:
        platform.stop()
        sink.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def whole_platform(name: str) -> tuple[Path, MailSink, Platform]:
    """Every process of this checkout (not started yet) with a local SMTP sink, long-lived
    access tokens and sign-up limits out of the way: (work folder, sink, platform)."""
    workdir = Path(f"/tmp/agora-bench-{name}-{uuid.uuid4().hex[:6]}")
    sink = MailSink(workdir / "mail").start()
    platform = Platform(_processes(), env={
        "SMTP_HOST": sink.host, "SMTP_PORT": str(sink.port),
        "AGORA_ACCESS_TOKEN_SECONDS": "86400", "AGORA_REGISTER_ADDRESS_LIMIT": "10000",
        "AGORA_LOGIN_ADDRESS_LIMIT": "10000", "LOG_LEVEL": "WARNING"})
    return workdir, sink, platform


def timed_database(platform: Platform) -> MongoTimer:
    """A timing proxy (bench/wirecount.py, every command filed by shape) started in front of
    the platform's database, and the platform (not started yet) pointed at it."""
    parts = urllib.parse.urlsplit(platform.mongo)
    timer = MongoTimer(parts.hostname or "127.0.0.1", parts.port or 27017).start()
    platform.mongo = with_port(platform.mongo, timer.port)
    return timer


@contextlib.contextmanager
def followed_platform(name: str, seed: int, members_named: str, timed: bool = False):
    """The whole platform started (`whole_platform`), 20 members each following the next 5
    and `seed` posts: yields (load, sink); stops everything on the way out. `timed`: its
    database commands through a timing proxy (`load.timer`)."""
    workdir, sink, platform = whole_platform(name)
    timer = timed_database(platform) if timed else None
    try:
        platform.start(migrate=True)
        admin_with_categories(platform, CATEGORIES)
        load = Load(platform, signed_in_members(platform.gateway, 20, members_named))
        load.timer = timer
        _follow(load)
        load.grow(seed)
        yield load, sink
    finally:
        platform.stop()
        sink.stop()
        if timer:
            timer.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _processes() -> tuple[str, ...]:
    from services.shared.config import available_processes

    return tuple(available_processes())


def _follow(load: Load) -> None:
    count = len(load.members)
    for i, member in enumerate(load.members):
        for k in range(1, min(FOLLOWS, count - 1) + 1):
            followed = load.members[(i + k) % count]
            response = load.session.put(
                f"{load.base}/api/v1/me/following/{followed['id']}", timeout=TIMEOUT,
                headers={"Authorization": f"Bearer {member['token']}"})
            if response.status_code not in (200, 201, 204):
                raise RuntimeError(f"follow: {response.status_code} {response.text[:300]}")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
