"""A batch applied in memory leaves the process's other green threads their turns
(services/shared/turns.py): an RPC that reaches the service while a long batch is being applied
is answered within a few turns, not after the whole batch."""
import time

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.shared.consumer import handler_queue

from ...conftest import wait_for
from .sample import BusyBranchService
from .test_batch_consumer import _deposits, _queue_up

pytestmark = pytest.mark.integration

QUEUE = handler_queue("ledger", "ledger.deposited", "busybranch", "on_deposited")
EVENTS, MS_EACH = 40, 25  # a batch of 40 events, each 25 ms of computation: 1 s in all
BOUND_S = 0.2  # a few turns of 4 ms and the round trip, with room for a loaded machine


def test_an_rpc_is_answered_while_a_long_batch_is_applied(
        container_factory, service_config, mongo_client):
    db = mongo_client[f"{service_config['MONGO_DB_PREFIX']}_busybranch"]
    config = {**service_config, "max_workers": EVENTS + 10}  # the prefetch lets all 40 wait
    streams = [f"acc-{n}" for n in range(EVENTS)]
    connection, _ = _queue_up(config["AMQP_URI"], _deposits(streams, (MS_EACH,)), QUEUE)
    with ServiceRpcProxy("busybranch", config, timeout=30) as proxy:  # its reply queue ready
        container_factory(BusyBranchService, config).start()
        batch = wait_for(lambda: db.batches.find_one({"size": {"$gte": EVENTS // 2}}),
                         timeout=30, message="a large batch started")
        sent = time.perf_counter()
        assert proxy.ping() == "pong"
        answered = time.perf_counter() - sent
        computing = db.balances.count_documents({})  # its writes are sent at its end
    wait_for(lambda: db.balances.count_documents({}) == EVENTS, timeout=30,
             message="every event applied")
    connection.close()
    assert computing == 0, "the ping came after the batch: nothing was measured"
    assert answered < BOUND_S, (
        f"the ping waited {answered * 1000:.0f} ms behind a batch of {batch['size']} events "
        f"({batch['size'] * MS_EACH} ms of computation)")
