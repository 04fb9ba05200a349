"""What the end-to-end tests read the platform's outputs with: a bank system's own queue on one of
our exchanges (`Subscriber`, as a CRM would bind), and the live channel's server-sent events
(`LiveClient`, and `gateway_replica` for a gateway of other settings beside the platform's)."""
from __future__ import annotations

import contextlib
import json
import socket
import threading
import uuid

import pika
import requests

from ..conftest import wait_for
from ..platform import Process, find_free_port


class Subscriber:
    """A bank system's own queue bound to an exchange (it declares nothing of ours but the
    exchange, with the same arguments, in case it binds before the first event)."""

    def __init__(self, amqp_uri, exchange, routing_key="#"):
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        self.channel = self.connection.channel()
        self.channel.exchange_declare(exchange, "topic", durable=True)
        self.queue = f"bank-system-{uuid.uuid4().hex[:8]}"
        self.channel.queue_declare(self.queue, exclusive=True)
        self.channel.queue_bind(self.queue, exchange, routing_key=routing_key)
        self.received = []

    def drain(self):
        while True:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return self.received
            self.received.append((method.routing_key, properties, json.loads(body)))

    def find(self, predicate):
        return next((item for item in self.drain() if predicate(item)), None)

    def close(self):
        self.connection.close()


class LiveClient:
    """An SSE client reading one stream in the background: `frames` is every (event, data)."""

    def __init__(self, base_url: str, user, last_event_id: str | None = None):
        headers = {"Accept": "text/event-stream", "X-Forwarded-For": user.address,
                   "Authorization": f"Bearer {user.access_token}"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        self.response = requests.get(f"{base_url}/api/v1/me/events", headers=headers,
                                     stream=True, timeout=(5, 60))
        assert self.response.status_code == 200, self.response.text
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        assert self.response.headers["Cache-Control"] == "no-store"
        self.frames: list[tuple[str, dict, str | None]] = []
        self.ended = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        kind, data, event_id = None, None, None
        try:
            for line in self.response.iter_lines(chunk_size=1, decode_unicode=True):
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                elif line.startswith("id: "):
                    event_id = line[4:]
                elif line == "" and kind:
                    self.frames.append((kind, data, event_id))
                    kind, data, event_id = None, None, None
        except (requests.RequestException, OSError, ValueError, AttributeError):  # closed by us
            pass
        finally:
            self.ended.set()

    def of(self, kind: str) -> list[dict]:
        return [data for event, data, _ in self.frames if event == kind]

    def wait(self, kind: str, message: str, **match):
        def found():  # in a list: an empty `data` ({}) is a frame too
            return [data for data in self.of(kind)
                    if all(data.get(k) == v for k, v in match.items())][:1]
        return wait_for(found, timeout=20, message=message)[0]

    def close(self) -> None:
        """End the connection as a browser leaving the page does. Shut down first: closing the
        response under the reader (blocked in a read) fails and leaves the socket open."""
        with contextlib.suppress(Exception):
            self.response.raw.connection.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(Exception):
            self.response.close()


@contextlib.contextmanager
def gateway_replica(platform, log_name: str, **env: str):
    """Another `agora run gateway` replica on the platform's broker and databases, with `env`
    over the platform's settings (e.g. GATEWAY_LIVE_MAX_CONNECTIONS); stopped at the end."""
    process = Process("gateway", find_free_port(), platform.log_dir / f"{log_name}.log")
    platform.spawn(process, env=env)
    try:
        platform._wait_ready(process)
        yield process
    finally:
        process.popen.terminate()
        process.popen.wait(timeout=30)


def metric(base_url: str, name: str) -> float:
    """A replica's metric without labels (e.g. `agora_live_connections`), from its /metrics."""
    text = requests.get(f"{base_url}/metrics", timeout=5).text
    return next(float(line.split()[1]) for line in text.splitlines()
                if line.startswith(f"{name} "))
