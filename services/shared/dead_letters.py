"""Dead letters: list them, keep a copy, and send them back to the handler that failed (re-drive).

A dead letter keeps the original body and headers plus `x-agora-*` headers saying which handler
failed, after how many attempts, with which error, and the queue to send it back to. A message
the broker dead-lettered itself (a process crashed on it until the queue's delivery limit, the
`agora-<service>-dead-lettering` policy) has no `x-agora-*` headers: the broker's own record,
`x-death` (most recent first), names the queue and the reason instead. Re-driving publishes a
letter (publisher-confirmed) to its queue with the attempt count reset, then acks it in the
dead-letter queue: a crash in between leaves a duplicate, which the handler dedupes.

Example::

    for letter in list_dead_letters(amqp_uri, "feeds"):
        print(letter["message_id"], letter["error"])
    with private_file("feeds-dead-letters.jsonl") as out:   # the evidence, before a purge
        save_dead_letters(amqp_uri, "feeds", out)
    redrive(amqp_uri, "feeds")            # everything; or message_ids=[...], or limit=N
"""
from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

import kombu

from .consumer import ATTEMPTS_HEADER, dead_letter_queue

# What the broker adds to a message it delivers or dead-letters: not to be sent back with it
# (x-death stays: the history of its dead-letterings).
BROKER_DELIVERY_HEADERS = ("x-delivery-count",)


def _queue(channel, service: str) -> kombu.Queue:
    return kombu.Queue(dead_letter_queue(service), durable=True).bind(channel)


def _waiting(queue: kombu.Queue) -> int:
    """How many letters the queue holds ready now (a queue never declared raises)."""
    _, count, _ = queue.queue_declare(passive=True)
    return count


def _taken(queue: kombu.Queue, most: int) -> Iterator[kombu.Message]:
    """Up to `most` letters, one by one, each held unacked until acked or until the channel
    closes (which puts back, in order, every letter not acked): none is taken twice."""
    for _ in range(most):
        message = queue.get(no_ack=False)
        if message is None:
            return
        yield message


def count_dead_letters(amqp_uri: str, service: str) -> int:
    with kombu.Connection(amqp_uri, connect_timeout=5) as connection:
        try:
            return _waiting(_queue(connection.channel(), service))
        except Exception:  # no dead-letter queue declared yet: none
            return 0


def list_dead_letters(amqp_uri: str, service: str, limit: int = 100) -> list[dict[str, Any]]:
    """Peek at up to `limit` dead letters without removing them (unacked, then released)."""
    with kombu.Connection(amqp_uri, connect_timeout=5) as connection:
        channel = connection.channel()
        try:
            return [_describe(message) for message in _taken(_queue(channel, service), limit)]
        finally:
            channel.close()  # every message we held goes back to the queue, in order


def save_dead_letters(amqp_uri: str, service: str, out: IO[str],
                      limit: int | None = None) -> int:
    """Write the whole dead letters (properties, headers, body), one JSON document a line, to
    `out`, without removing them; returns how many. The copy to keep before a purge: bodies
    may hold private text, so `out` is a file of the operator's (`private_file`), never a log."""
    saved = 0
    with kombu.Connection(amqp_uri, connect_timeout=5) as connection:
        channel = connection.channel()
        queue = _queue(channel, service)
        try:
            waiting = _waiting(queue)
            for message in _taken(queue, waiting if limit is None else min(limit, waiting)):
                out.write(json.dumps(_whole(message), ensure_ascii=False, default=_plain) + "\n")
                saved += 1
        finally:
            channel.close()  # every message we held goes back to the queue, in order
    return saved


def private_file(path: str) -> IO[str]:
    """A new file only its owner can read (0600, whatever the umask); an existing file is never
    overwritten (FileExistsError): it may be the evidence of an earlier save."""
    return open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w",
                encoding="utf-8")


def redrive(amqp_uri: str, service: str, message_ids: list[str] | None = None,
            limit: int | None = None) -> int:
    """Send dead letters back to their handlers' queues; returns how many were re-driven.

    One pass looks at the letters waiting when it starts, each once: a letter its handler
    dead-letters again at once (still poison) comes back behind them, for a later pass — the
    pass neither loops on it nor counts it twice."""
    return redrive_pass(amqp_uri, service, message_ids, limit)[0]


def redrive_pass(amqp_uri: str, service: str, message_ids: list[str] | None = None,
                 limit: int | None = None) -> tuple[int, set[str]]:
    """`redrive`, also returning the message ids it re-drove (so that an operator's `--id` that
    matched no letter is said, not passed over). Ids or a limit, not both: the ids bound the
    pass already, and a limit would leave named letters behind that then read as unknown."""
    if message_ids and limit is not None:
        raise ValueError("message_ids or limit, not both")
    wanted = set(message_ids or [])
    moved, moved_ids = 0, set()
    with kombu.Connection(amqp_uri, connect_timeout=5,
                          transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        queue = _queue(channel, service)
        producer = kombu.Producer(channel)
        try:
            for message in _taken(queue, _waiting(queue)):
                message_id = message.properties.get("message_id")
                target = _origin(message.headers)["queue"]
                if not target or (wanted and message_id not in wanted) or message_id in moved_ids:
                    continue  # never acked: it stays dead-lettered
                producer.publish(
                    message.body, exchange="", routing_key=target,
                    headers=_redriven_headers(message.headers),
                    content_type=message.content_type, content_encoding=message.content_encoding,
                    delivery_mode=2, message_id=message_id,
                    type=message.properties.get("type"),
                )
                message.ack()
                moved += 1
                if message_id:  # the same letter again, in this pass, is a copy that came back
                    moved_ids.add(message_id)
                if limit is not None and moved >= limit:
                    break
        finally:
            channel.close()  # messages we skipped were never acked: they stay dead-lettered
    return moved, moved_ids


def _redriven_headers(headers: dict[str, Any]) -> dict[str, Any]:
    """The letter's headers without its failure (a fresh attempt count), one more re-drive."""
    kept = {key: value for key, value in headers.items()
            if not key.startswith("x-agora-") and key != ATTEMPTS_HEADER
            and key not in BROKER_DELIVERY_HEADERS}
    return {**kept, "x-agora-redriven": int(headers.get("x-agora-redriven", 0)) + 1}


def _origin(headers: dict[str, Any]) -> dict[str, Any]:
    """Where and why the letter failed: the consumer's `x-agora-*` headers, else (the broker
    dead-lettered it) its last `x-death` record."""
    if headers.get("x-agora-queue") or not headers.get("x-death"):
        return {
            "handler": headers.get("x-agora-handler"),
            "queue": headers.get("x-agora-queue"),
            "attempts": headers.get(ATTEMPTS_HEADER),
            "reason": headers.get("x-agora-reason"),
            "error": headers.get("x-agora-error"),
            "failed_at": headers.get("x-agora-failed-at"),
            "dead_lettered": None,
        }
    death = headers["x-death"][0]
    queue = death.get("queue")
    return {
        "handler": _handler_of(queue),
        "queue": queue,
        "attempts": headers.get(ATTEMPTS_HEADER),
        "reason": f"dead-lettered by the broker: {death.get('reason')}",
        "error": None,
        "failed_at": _plain(death["time"]) if death.get("time") else None,
        "dead_lettered": death.get("count"),  # times the broker did, from that queue
    }


def _handler_of(queue: str | None) -> str | None:
    """`feeds.on_post_published` of a handler queue `evt-<source>-<type>--feeds.on_post_published`
    (consumer.handler_queue's naming)."""
    _, separator, handler = (queue or "").partition("--")
    return handler if separator else None


def _describe(message) -> dict[str, Any]:
    """What `list` shows of a letter: where it comes from and why it failed, never its body
    (members' private text may be in it, even in a body that is not JSON): `save` writes whole
    letters to a private file for whoever needs them."""
    headers = message.headers
    body = message.body if isinstance(message.body, bytes) else str(message.body).encode()
    return {
        "message_id": message.properties.get("message_id"),
        "type": message.properties.get("type"),
        **_envelope_position(body),
        "routing_key": _routing_key(headers),
        **_origin(headers),
        "size": len(body),
        "redriven": int(headers.get("x-agora-redriven", 0)),
    }


def _routing_key(headers: dict[str, Any]) -> str | None:
    """The key the letter was first published with (the consumer's header, else the broker's
    x-death record)."""
    if headers.get("x-agora-routing-key"):
        return headers["x-agora-routing-key"]
    keys = (headers.get("x-death") or [{}])[0].get("routing-keys") or [None]
    return keys[0]


def _envelope_position(body: bytes) -> dict[str, Any]:
    """The event type and stream position an envelope names (all None if the body is not one)."""
    try:
        envelope = json.loads(body)
        return {"event_type": envelope.get("type"), "stream_id": envelope.get("stream_id"),
                "stream_version": envelope.get("stream_version")}
    except (ValueError, AttributeError):
        return {"event_type": None, "stream_id": None, "stream_version": None}


def _whole(message) -> dict[str, Any]:
    """A letter as it is on the broker: properties, headers, and the body (text, or base64
    when it is not UTF-8)."""
    properties = {key: value for key, value in message.properties.items()
                  if key != "application_headers"}
    whole = {"message_id": properties.get("message_id"), "properties": properties,
             "headers": message.headers}
    body = message.body if isinstance(message.body, bytes) else str(message.body).encode()
    try:
        return {**whole, "body": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {**whole, "body_base64": base64.b64encode(body).decode("ascii")}


def _plain(value: Any) -> Any:
    """What JSON cannot hold as is, in the broker's headers: times (UTC), bytes, decimals."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
