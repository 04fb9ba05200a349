"""Health, readiness, metrics and JSON logs with the correlation id — the same in every process.

Every service class mixes in `HealthEndpoints`, which serves on the process's own HTTP port:
- `GET /healthz`: the process answers (liveness: no dependency checks, so a broker outage does
  not make Kubernetes restart every pod);
- `GET /readyz`: 200 when MongoDB answers a ping and RabbitMQ accepts a connection, else 503 with
  which one failed (readiness: traffic and work stop flowing to a pod that cannot serve);
- `GET /metrics`: Prometheus text format.

Logs are one JSON object per line on stdout, with `correlation_id` taken from the nameko worker
context (the gateway's request id, carried through RPC headers and event envelopes).
"""
from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

import kombu
from nameko.extensions import DependencyProvider
from nameko.web.handlers import http
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.wrappers import Response

from . import metrics
from .mongo import mongo_uri, release_client, shared_client

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None)

_STANDARD_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": correlation_id.get(),
        }
        entry.update({k: v for k, v in vars(record).items()
                      if k not in _STANDARD_RECORD_FIELDS and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("kombu", "amqp", "pymongo", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


class CorrelationId(DependencyProvider):
    """Puts the worker's correlation id where log lines (and injected helpers) find it."""

    def worker_setup(self, worker_ctx) -> None:
        worker_ctx._agora_token = correlation_id.set(worker_ctx.data.get("correlation_id"))

    def worker_teardown(self, worker_ctx) -> None:
        token = getattr(worker_ctx, "_agora_token", None)
        if token is not None:
            correlation_id.reset(token)

    def get_dependency(self, worker_ctx) -> str | None:
        return worker_ctx.data.get("correlation_id")


class Probes(DependencyProvider):
    """Checks the process's dependencies for `/readyz` and refreshes gauges for `/metrics`."""

    def setup(self) -> None:
        self.uri = mongo_uri(self.container.config)
        self.client = shared_client(self.uri)
        self.amqp_uri = self.container.config["AMQP_URI"]

    def stop(self) -> None:
        release_client(self.uri)

    def get_dependency(self, worker_ctx) -> Probes:
        return self

    def readiness(self) -> dict[str, str]:
        checks = {}
        try:
            self.client.admin.command("ping")
            checks["database"] = "ok"
        except Exception as error:  # a probe reports, it never raises
            checks["database"] = f"unreachable: {type(error).__name__}"
        try:
            with kombu.Connection(self.amqp_uri, connect_timeout=2) as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
            checks["broker"] = "ok"
        except Exception as error:  # a probe reports, it never raises
            checks["broker"] = f"unreachable: {type(error).__name__}"
        return checks

    def refresh_gauges(self) -> None:
        from .consumer import dead_letter_queue

        service = self.container.service_name
        try:
            with kombu.Connection(self.amqp_uri, connect_timeout=2) as connection:
                queue = kombu.Queue(dead_letter_queue(service), durable=True)
                _, count, _ = queue.bind(connection.channel()).queue_declare(passive=True)
            metrics.DEAD_LETTERS.labels(service).set(count)
        except Exception:  # queue not declared yet, or broker down: keep the last value
            pass


def json_response(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


class HealthEndpoints:
    """Mixin for nameko service classes: `/healthz`, `/readyz`, `/metrics`."""

    probes = Probes()
    correlation = CorrelationId()

    @http("GET", "/healthz")
    def healthz(self, request):
        return json_response(200, {"status": "alive"})

    @http("GET", "/readyz")
    def readyz(self, request):
        checks = self.probes.readiness()
        ready = all(value == "ok" for value in checks.values())
        return json_response(200 if ready else 503,
                             {"status": "ready" if ready else "not ready", "checks": checks})

    @http("GET", "/metrics")
    def prometheus_metrics(self, request):
        self.probes.refresh_gauges()
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                        headers={"Content-Type": CONTENT_TYPE_LATEST})
