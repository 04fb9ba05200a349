"""An RPC's commits are published once its caller has the answer, not while it waits for it."""
import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.shared import event_store_provider

from ...conftest import wait_for
from .sample import LedgerService

pytestmark = pytest.mark.integration

IDLE_SECONDS = 120.0  # the relay's periodic pass: far longer than the test may take


@pytest.fixture
def ledger(container_factory, service_config, mongo_client, monkeypatch):
    # the idle interval is capped by the failure backoff's bound: lift both out of the way
    monkeypatch.setattr(event_store_provider, "RELAY_MAX_BACKOFF_SECONDS", IDLE_SECONDS)
    config = {**service_config, "AGORA": {**service_config["AGORA"],
                                          "relay_interval_seconds": IDLE_SECONDS}}
    container = container_factory(LedgerService, config)
    container.start()
    with ServiceRpcProxy("ledger", config, timeout=30) as proxy:
        yield proxy, mongo_client[f"{config['MONGO_DB_PREFIX']}_ledger"]


def test_an_rpc_commit_is_published_after_the_reply_and_not_during_it(ledger):
    proxy, db = ledger
    # first let the relay reach its idle wait: a pass already running (the one at start, or
    # the one that follows a publication) would pick up any commit, whoever wakes it
    proxy.deposit("acc-first", 1)
    wait_for(lambda: db.events.count_documents({"stream_id": "acc-first", "pending": True}) == 0,
             timeout=20, message="the first commit published and the relay idle")
    published_during_the_rpc = proxy.deposit_and_watch("acc-w", 9, 1.5)
    assert published_during_the_rpc is False
    # woken by the end of the RPC, not by the periodic pass (IDLE_SECONDS away)
    wait_for(lambda: db.events.count_documents({"stream_id": "acc-w", "pending": True}) == 0,
             timeout=20, message="the commit published once the RPC answered")
