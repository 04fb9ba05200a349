# ruff: noqa: E402 - eventlet.monkey_patch() must precede every other import
"""The fault-injection suite in its long form: more writes, every fault twice.

    python -m bench chaos        (AGORA_CHAOS_SCALE=3 by default: 270 questions, 36 per process)

Starts its own platform (real `agora run` processes, own vhost and databases on the stack in
.state/stack.env), runs tests/chaos's scenarios — SIGKILL of posts+feeds during the 90-question
burst (x scale), SIGKILL of each process in turn, a poison message, a slow consumer — twice each,
plus a burst without any fault measured in the same run, and prints the table: acknowledged,
visible, duplicates, delivered, applied twice, time to converge (and its ratio to the baseline).
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import os
import tempfile
import time
from pathlib import Path

from pymongo import MongoClient

from tests.chaos.harness import ChaosPlatform, Faults, InfraFaults, Row, table
from tests.chaos.infra import PrivateBroker, PrivateDatabase
from tests.conftest import MONGO_URI

ROUNDS = 2
KILLED = ("identity", "moderation", "notifications", "conversations", "gateway")


def scenarios(faults: Faults) -> list:
    return [faults.posts_and_feeds_killed, *(lambda name=name: faults.killed(name)
                                             for name in KILLED),
            faults.poison, faults.slow_consumer]


def run_rounds(rows: list[Row], runs: list) -> None:
    for _ in range(ROUNDS):
        for scenario in runs:
            rows.append(scenario())
            print(table(rows[-1:]).splitlines()[2], flush=True)  # the row, under the header


def process_faults(rows: list[Row], scale: int) -> None:
    client = MongoClient(MONGO_URI, tz_aware=True)
    platform = ChaosPlatform(Path(tempfile.mkdtemp(prefix="agora-chaos-bench-")), client)
    platform.prepare()
    try:
        platform.start()
        faults = Faults(platform, scale=scale)
        rows.append(faults.baseline())
        run_rounds(rows, scenarios(faults))
    finally:
        platform.stop()
        platform.cleanup(client)


def infrastructure_faults(rows: list[Row], scale: int) -> None:
    """On a private broker and database (the shared ones are never stopped)."""
    if not (PrivateBroker.available() and PrivateDatabase.available()):
        print("RabbitMQ/MongoDB outages: skipped (no rabbitmq-server, or neither mongod nor "
              "the stand-in built by `make infra`)")
        return
    workdir = Path(tempfile.mkdtemp(prefix="agora-chaos-infra-"))
    broker, database = PrivateBroker(workdir), PrivateDatabase(workdir)
    platform = None
    try:
        broker.start()
        database.start()
        client = MongoClient(database.uri, tz_aware=True)
        platform = ChaosPlatform(workdir / "platform", client, private_amqp_uri=broker.uri,
                                 private_mongo_uri=database.uri,
                                 retry_delays_ms="[1000, 5000, 30000]")
        platform.prepare()
        platform.start()
        faults = InfraFaults(platform, broker, database, scale=scale)
        run_rounds(rows, [faults.broker_restarted, faults.database_restarted])
    finally:
        if platform is not None:
            platform.stop()
        database.stop()
        broker.stop()


def main() -> None:
    scale = int(os.environ.get("AGORA_CHAOS_SCALE", "3"))
    parts = os.environ.get("BENCH_CHAOS_PARTS", "processes,infrastructure").split(",")
    started = time.monotonic()
    rows: list[Row] = []
    if "processes" in parts:
        process_faults(rows, scale)
    if "infrastructure" in parts:
        infrastructure_faults(rows, scale)
    print(table(rows))
    baseline = rows[0] if rows and rows[0].fault.startswith("no fault") else None
    if baseline and baseline.converge_seconds:
        print("\nconvergence / the baseline's (a burst without fault): " + ", ".join(
            f"{row.fault}: {row.converge_seconds / baseline.converge_seconds:.1f}x"
            for row in rows[1:] if row.converge_seconds is not None))
    failed = [row.fault for row in rows if not row.holds]
    print(f"\n{len(rows)} scenarios in {time.monotonic() - started:.0f} s; "
          + (f"NOT HOLDING: {', '.join(failed)}" if failed else "all hold "
             "(everything acknowledged is visible and delivered once, no duplicates)"))


if __name__ == "__main__":
    main()
