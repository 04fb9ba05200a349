"""Every process answers /healthz, /readyz (really checking its dependencies) and /metrics."""
import pytest
import requests
from nameko.standalone.rpc import ServiceRpcProxy

from ...conftest import wait_for
from .sample import AuditService, LedgerService

pytestmark = pytest.mark.integration


def test_health_readiness_and_metrics(container_factory, service_config):
    container = container_factory(LedgerService, service_config)
    container.start()
    base = f"http://{service_config['WEB_SERVER_ADDRESS']}"
    assert requests.get(f"{base}/healthz", timeout=5).json() == {"status": "alive"}
    ready = requests.get(f"{base}/readyz", timeout=10)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
    with ServiceRpcProxy("ledger", service_config, timeout=10) as ledger:
        ledger.deposit("acc-1", 5)

    def published():
        text = requests.get(f"{base}/metrics", timeout=5).text
        return 'agora_events_published_total{event_type="ledger.deposited",service="ledger"}' \
            in text and text

    metrics = wait_for(published, message="published counter")
    assert 'agora_events_appended_total{event_type="ledger.deposited",service="ledger"}' in metrics
    assert "agora_handler_duration_seconds_bucket" in metrics
    assert 'agora_dead_letters{service="ledger"} 0.0' in metrics


def test_readiness_fails_clearly_when_the_database_is_unreachable(container_factory,
                                                                   service_config):
    broken = {**service_config,
              "MONGO_URI": "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300"}
    container = container_factory(AuditService, broken)
    container.start()
    base = f"http://{service_config['WEB_SERVER_ADDRESS']}"
    response = requests.get(f"{base}/readyz", timeout=10)
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["broker"] == "ok"
    assert body["checks"]["database"].startswith("unreachable")
    assert requests.get(f"{base}/healthz", timeout=5).status_code == 200  # alive all the same
