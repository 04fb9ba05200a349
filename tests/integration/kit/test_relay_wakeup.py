"""An RPC's commits are published once its caller has the answer, not while it waits for it."""
import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.shared import event_store_provider
from services.shared.outbox import OutboxRelay

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
    db = mongo_client[f"{config['MONGO_DB_PREFIX']}_ledger"]
    # Record each relay pass that ended with the account's first commit marked published: the
    # relay waits after it (nothing else is appended, and the batch was not full).
    relay_once, idle_after_first = OutboxRelay.relay_once, []

    def recorded_pass(relay: OutboxRelay) -> int:
        published = relay_once(relay)
        if db.events.find_one({"stream_id": "acc-first", "published_at": {"$exists": True}}):
            idle_after_first.append(True)
        return published

    monkeypatch.setattr(OutboxRelay, "relay_once", recorded_pass)
    container.start()
    with ServiceRpcProxy("ledger", config, timeout=30) as proxy:
        yield proxy, db, idle_after_first


def test_an_rpc_commit_is_published_after_the_reply_and_not_during_it(ledger):
    proxy, db, idle_after_first = ledger
    # first let the relay reach its idle wait: a pass still running (the one at start, or the
    # one that publishes the first commit and marks it) would pick up any commit, whoever
    # wakes it
    proxy.deposit("acc-first", 1)
    wait_for(lambda: idle_after_first, timeout=20,
             message="the first commit published and the relay idle")
    published_during_the_rpc = proxy.deposit_and_watch("acc-w", 9, 1.5)
    assert published_during_the_rpc is False
    # woken by the end of the RPC, not by the periodic pass (IDLE_SECONDS away)
    wait_for(lambda: db.events.count_documents({"stream_id": "acc-w", "pending": True}) == 0,
             timeout=20, message="the commit published once the RPC answered")
