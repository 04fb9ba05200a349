"""Dead letters: list them, and send them back to the handler that failed (re-drive).

A dead letter keeps the original body and headers plus `x-agora-*` headers saying which handler
failed, after how many attempts, with which error, and the queue to send it back to. Re-driving
publishes it (publisher-confirmed) to that queue with the attempt count reset, then acks it in
the dead-letter queue: a crash in between leaves a duplicate, which the handler dedupes.

Example::

    for letter in list_dead_letters(amqp_uri, "feeds"):
        print(letter["message_id"], letter["error"])
    redrive(amqp_uri, "feeds")            # everything; or message_ids=[...]
"""
from __future__ import annotations

import json
from typing import Any

import kombu

from .consumer import ATTEMPTS_HEADER, dead_letter_queue


def _queue(channel, service: str) -> kombu.Queue:
    return kombu.Queue(dead_letter_queue(service), durable=True).bind(channel)


def count_dead_letters(amqp_uri: str, service: str) -> int:
    with kombu.Connection(amqp_uri, connect_timeout=5) as connection:
        try:
            _, count, _ = _queue(connection.channel(), service).queue_declare(passive=True)
        except Exception:  # no dead-letter queue declared yet: none
            return 0
        return count


def list_dead_letters(amqp_uri: str, service: str, limit: int = 100) -> list[dict[str, Any]]:
    """Peek at up to `limit` dead letters without removing them (unacked, then released)."""
    letters = []
    with kombu.Connection(amqp_uri, connect_timeout=5) as connection:
        channel = connection.channel()
        queue = _queue(channel, service)
        try:
            for _ in range(limit):
                message = queue.get(no_ack=False)
                if message is None:
                    break
                letters.append(_describe(message))
        finally:
            channel.close()  # every message we held goes back to the queue, in order
    return letters


def redrive(amqp_uri: str, service: str, message_ids: list[str] | None = None,
            limit: int | None = None) -> int:
    """Send dead letters back to their handlers' queues; returns how many were re-driven."""
    wanted = set(message_ids or [])
    moved = 0
    with kombu.Connection(amqp_uri, connect_timeout=5,
                          transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        queue = _queue(channel, service)
        producer = kombu.Producer(channel)
        kept = []
        try:
            while limit is None or moved < limit:
                message = queue.get(no_ack=False)
                if message is None:
                    break
                message_id = message.properties.get("message_id")
                target = message.headers.get("x-agora-queue")
                if (wanted and message_id not in wanted) or not target:
                    kept.append(message)
                    continue
                headers = {k: v for k, v in message.headers.items()
                           if not k.startswith("x-agora-") and k != ATTEMPTS_HEADER}
                headers["x-agora-redriven"] = int(message.headers.get("x-agora-redriven", 0)) + 1
                producer.publish(
                    message.body, exchange="", routing_key=target, headers=headers,
                    content_type=message.content_type, content_encoding=message.content_encoding,
                    delivery_mode=2, message_id=message_id,
                    type=message.properties.get("type"),
                )
                message.ack()
                moved += 1
        finally:
            channel.close()  # messages we skipped were never acked: they stay dead-lettered
    return moved


def _describe(message) -> dict[str, Any]:
    headers = message.headers
    try:
        body = json.loads(message.body)
        summary = {"event_type": body.get("type"), "stream_id": body.get("stream_id"),
                   "stream_version": body.get("stream_version")}
    except (ValueError, AttributeError):
        summary = {"event_type": None, "body_preview": message.body[:200].decode("utf-8", "replace")
                   if isinstance(message.body, bytes) else str(message.body)[:200]}
    return {
        "message_id": message.properties.get("message_id"),
        **summary,
        "handler": headers.get("x-agora-handler"),
        "queue": headers.get("x-agora-queue"),
        "attempts": headers.get(ATTEMPTS_HEADER),
        "reason": headers.get("x-agora-reason"),
        "error": headers.get("x-agora-error"),
        "failed_at": headers.get("x-agora-failed-at"),
    }
