"""Operations routes of the gateway: liveness, readiness, metrics, the OpenAPI document."""
from __future__ import annotations

import json

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.wrappers import Response

from services.shared.errors import NotFound
from services.shared.observability import CorrelationId, Probes

from ..calls import Reply
from ..http import route


def inside_only(call) -> None:
    """Probes and metrics are for the cluster (kubelet, Prometheus reach the pod directly). The
    Ingress routes the whole site (`/`) to the gateway, and every request through it carries
    X-Forwarded-For: those get a 404, as if the endpoint did not exist."""
    if call.request.headers.get("X-Forwarded-For"):
        raise NotFound("no such resource")


class HealthRoutes:
    """`/healthz`, `/readyz`, `/metrics` (as `HealthEndpoints` in services) and the OpenAPI doc."""

    probes = Probes()  # the gateway consumes events too: its dead letters are counted
    correlation = CorrelationId()

    @route("GET", "/healthz", auth="none", tags=["operations"], summary="Liveness")
    def healthz(self, call):
        inside_only(call)
        return {"status": "alive"}

    @route("GET", "/readyz", auth="none", tags=["operations"], errors=[503],
           summary="Readiness (database and broker reachable)")
    def readyz(self, call):
        inside_only(call)
        checks = self.probes.readiness()
        ready = all(value == "ok" for value in checks.values())
        return Reply({"status": "ready" if ready else "not ready", "checks": checks},
                     status=200 if ready else 503)

    @route("GET", "/metrics", auth="none", tags=["operations"], openapi=False,
           summary="Prometheus metrics")
    def prometheus_metrics(self, call):
        inside_only(call)
        self.probes.refresh_gauges()
        return Response(generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    @route("GET", "/api/v1/openapi.json", auth="none", tags=["operations"],
           summary="This API's OpenAPI 3 document")
    def openapi_document(self, call):
        from ..openapi import build_spec

        if getattr(type(self), "_openapi_cache", None) is None:
            type(self)._openapi_cache = json.dumps(build_spec(type(self)))
        return Response(type(self)._openapi_cache, content_type="application/json")
