"""Live signals: "something changed for these members", for the gateway's live channel.

A live signal is not an event of the log. It is a transient hint a service publishes when a
member's view changed in a way the event log does not say by itself (notifications: "new
notifications in your inbox, N unread" is decided by notifications' projection, not carried by
any event). It goes to the exchange ``<service>.live`` (topic, durable, messages *not*
persistent, routing key = the signal type), which only gateway replicas bind, each with an
exclusive auto-delete queue. Losing one costs a late badge, never data: the browser refreshes
its counts whenever it (re)connects, and everything shown is read through the API.

Like events on the private exchanges, signals carry references and counts, never content.

Example::

    publisher = LivePublisher(amqp_uri, "notifications")
    publisher.publish("notifications.inbox_changed",
                      {"members": {"u1": {"unread": 3, "new": [{"id": "n1", "type": "reply"}]}}})
"""
from __future__ import annotations

import contextlib
import json
import logging
from typing import Any

import kombu
from amqp.basic_message import Message

log = logging.getLogger(__name__)

INBOX_CHANGED = "notifications.inbox_changed"


def live_exchange(service: str) -> str:
    """Where `service` publishes live signals (bound only by gateway replicas)."""
    return f"{service}.live"


class LivePublisher:
    """Best-effort publisher of live signals: one connection, reopened after a failure; a
    signal that cannot be sent is logged and dropped (see the module docstring for why)."""

    def __init__(self, amqp_uri: str, service: str):
        self.amqp_uri = amqp_uri
        self.exchange = live_exchange(service)
        self._connection: kombu.Connection | None = None
        self._channel = None

    def publish(self, signal_type: str, body: dict[str, Any]) -> bool:
        message = Message(json.dumps({"type": signal_type, **body}),
                          content_type="application/json", delivery_mode=1, type=signal_type)
        for _attempt in (1, 2):  # a connection closed by the broker since last time: reopen once
            try:
                self._open().basic_publish(message, exchange=self.exchange,
                                           routing_key=signal_type)
                return True
            except Exception as error:  # any broker or socket failure: the signal is a hint
                log.warning("live signal %s not published: %s", signal_type, error)
                self.close()
        return False

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.release()
        self._connection = None
        self._channel = None

    def _open(self):
        if self._channel is None:
            self._connection = kombu.Connection(self.amqp_uri, connect_timeout=5)
            self._connection.connect()
            channel = self._connection.connection.channel()
            channel.exchange_declare(self.exchange, "topic", durable=True, auto_delete=False)
            self._channel = channel
        return self._channel
