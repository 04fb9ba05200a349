"""A bank system that follows Agora's identity events and honours erasure (pika, stdlib only).

Other bank systems (a CRM, complaint handling, analytics) bind their own queue to the public
exchange `identity.events` (docs/asyncapi.yaml) with the bank-system broker user, which may read
`*.events` and configure only queues named `bank.*`. This example keeps a small member directory
(which Agora accounts exist, whether they declared they are customers, since when, the verified
badge) in its own SQLite file, and on the GDPR tombstone `identity.user_erased` does what every
consumer must:

1. delete every personal datum it holds about the subject (here the whole directory row; in a
   real system also copies of their name, bio or address, the link between its own customer
   record and the Agora id — e.g. found with `GET /api/v1/users?email=` — everything kept per
   member about the id: follows, votes, activity histories, scores; caches, search indexes and
   exports derived from Agora's events). Counts with no way back to the person may stay;
2. keep only what it must to prove the erasure and stay idempotent: the tombstone itself
   (`user_id`, `erased_at`) — a random id, no name, no contact;
3. never re-identify: a late or replayed event about an erased member (a redelivery, a queue
   re-driven from dead letters) never brings a row back, and the id is not joined with other
   sources to find out who it was.

The erasure does not take the member's contributions away: Agora keeps their published posts and
replies public, text as written, under the same `author_id`, shown as "Ancien membre · Former
member" (no bio, no badge); @mentions of them in others' texts are replaced
(`posts.mentions_unlinked`). A system that copied `posts.post_published` / `reply_published`
may keep those copies the same way — author shown as "Former member", `author_id` an opaque key
never joined back to a person, mentions replaced as `posts.mentions_unlinked` says — or delete
them if it no longer needs them. This example follows identity's events only, so it holds none
(docs/asyncapi.yaml, `identity.user_erased`, is the contract in full).

Delivery is at least once: each event's effect and its id are stored in one SQLite transaction,
and the message is acknowledged only after it, so a crash redelivers and the id dedupes. A
message that cannot be read is rejected without requeue and lands in the system's own
dead-letter queue (`bank.<system>.dead-letters`), never dropped and never retried forever.
Personal fields of Agora's events (`display_name` of `identity.user_registered`, names and bios
of `identity.profile_updated`) arrive *sealed* with the member's key, which only Agora holds:
a bank system cannot read them and has nothing to forget there — erasure shreds that key.

Run it::

    python examples/erasure_consumer.py --amqp-uri amqp://bank-user:secret@rabbitmq:5672/ \\
        --system crm --database crm-members.sqlite
"""
from __future__ import annotations

import argparse
import json
import logging
import signal
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pika

EXCHANGE = "identity.events"
REGISTERED = "identity.user_registered"
VERIFIED = "identity.user_verified"
VERIFICATION_WITHDRAWN = "identity.user_verification_withdrawn"
ERASED = "identity.user_erased"
ROUTING_KEYS = (REGISTERED, VERIFIED, VERIFICATION_WITHDRAWN, ERASED)

log = logging.getLogger("erasure_consumer")


def queue_names(system: str) -> tuple[str, str]:
    """(the system's queue, its dead-letter queue): the bank user may only make `bank.*`.

    >>> queue_names("crm")
    ('bank.crm.identity', 'bank.crm.dead-letters')
    """
    return f"bank.{system}.identity", f"bank.{system}.dead-letters"


class UnreadableEvent(ValueError):
    """A message that is not an Agora envelope: dead-lettered, never retried."""


class MemberDirectory:
    """The bank system's own store: members, erasure tombstones, handled event ids."""

    def __init__(self, path: str):
        self.db = sqlite3.connect(path, isolation_level=None)  # explicit transactions below
        self.db.executescript("""
            CREATE TABLE IF NOT EXISTS members (
                user_id TEXT PRIMARY KEY, customer INTEGER, joined_at TEXT, verified INTEGER);
            CREATE TABLE IF NOT EXISTS erasures (
                user_id TEXT PRIMARY KEY, erased_at TEXT, handled_at TEXT);
            CREATE TABLE IF NOT EXISTS handled (event_id TEXT PRIMARY KEY);
        """)

    def close(self) -> None:
        self.db.close()

    def handle(self, envelope: Mapping[str, Any]) -> bool:
        """Apply one event with its id, in one transaction; False if it was handled before."""
        try:
            event_id, event_type = str(envelope["id"]), str(envelope["type"])
            payload = envelope["payload"]
            user_id = str(payload["user_id"])
        except (KeyError, TypeError) as error:
            raise UnreadableEvent(f"not an identity event: missing {error}") from None
        with _transaction(self.db):
            if self.db.execute("SELECT 1 FROM handled WHERE event_id = ?",
                               (event_id,)).fetchone():
                return False
            self.db.execute("INSERT INTO handled (event_id) VALUES (?)", (event_id,))
            if event_type == ERASED:
                self._erase(user_id, str(payload.get("erased_at") or ""))
            elif self.is_erased(user_id):
                pass  # never re-identify: nothing about an erased member comes back
            elif event_type == REGISTERED:
                self.db.execute(
                    "INSERT INTO members (user_id, customer, joined_at, verified) "
                    "VALUES (?, ?, ?, 0) ON CONFLICT (user_id) DO UPDATE SET "
                    "customer = excluded.customer, joined_at = excluded.joined_at",
                    (user_id, int(bool(payload.get("customer"))), payload.get("joined_at")))
            elif event_type in (VERIFIED, VERIFICATION_WITHDRAWN):
                self.db.execute("UPDATE members SET verified = ? WHERE user_id = ?",
                                (int(event_type == VERIFIED), user_id))
        return True

    def _erase(self, user_id: str, erased_at: str) -> None:
        # every row this system derived from Agora's events about the member goes; only the
        # tombstone stays (proof of the erasure, and what keeps later events out)
        self.db.execute("DELETE FROM members WHERE user_id = ?", (user_id,))
        self.db.execute("INSERT OR IGNORE INTO erasures (user_id, erased_at, handled_at) "
                        "VALUES (?, ?, ?)", (user_id, erased_at, datetime.now(UTC).isoformat()))

    def member(self, user_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT user_id, customer, joined_at, verified FROM members "
                              "WHERE user_id = ?", (user_id,)).fetchone()
        fields = ("user_id", "customer", "joined_at", "verified")
        return dict(zip(fields, row, strict=True)) if row else None

    def is_erased(self, user_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM erasures WHERE user_id = ?",
                               (user_id,)).fetchone() is not None


class _transaction:
    """BEGIN ... COMMIT (ROLLBACK on error) on an autocommit sqlite3 connection."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, error, trace) -> None:
        self.db.execute("ROLLBACK" if kind else "COMMIT")


def declare(channel, system: str) -> str:
    """The system's durable queue bound to the identity events it needs, with its own
    dead-letter queue; idempotent (same arguments every time). Returns the queue's name."""
    queue, dead_letters = queue_names(system)
    channel.exchange_declare(dead_letters, "fanout", durable=True)
    channel.queue_declare(dead_letters, durable=True)
    channel.queue_bind(dead_letters, dead_letters)
    channel.queue_declare(queue, durable=True,
                          arguments={"x-dead-letter-exchange": dead_letters})
    for routing_key in ROUTING_KEYS:
        channel.queue_bind(queue, EXCHANGE, routing_key)
    return queue


def consume(amqp_uri: str, system: str, directory: MemberDirectory, prefetch: int = 50) -> None:
    """Follow the identity events until SIGTERM or SIGINT."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.basic_qos(prefetch_count=prefetch)
    queue = declare(channel, system)

    def on_message(channel, method, properties, body: bytes) -> None:
        try:
            envelope = json.loads(body)
            if not isinstance(envelope, dict):
                raise UnreadableEvent("not a JSON object")
            directory.handle(envelope)
        except (ValueError, UnreadableEvent) as error:  # json's errors are ValueErrors
            log.error("dead-lettered %s: %s", properties.message_id, error)
            channel.basic_nack(method.delivery_tag, requeue=False)
            return
        channel.basic_ack(method.delivery_tag)  # only once the effect is stored

    def stop(signum, frame) -> None:
        connection.add_callback_threadsafe(channel.stop_consuming)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    channel.basic_consume(queue, on_message)
    log.info("following %s on %s", EXCHANGE, queue)
    try:
        channel.start_consuming()
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--amqp-uri", required=True, help="the bank-system broker user's URI")
    parser.add_argument("--system", default="crm", help="names the queues: bank.<system>.*")
    parser.add_argument("--database", required=True, help="the SQLite file of the directory")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    directory = MemberDirectory(args.database)
    try:
        consume(args.amqp_uri, args.system, directory)
    finally:
        directory.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
