"""A batch applied in memory leaves the process's other green threads their turns
(services/shared/turns.py): a read that a request makes while a long batch is being applied
(`Projection.apply_received`, the handlers' writes buffered) is answered within a few turns,
not after the whole batch."""
import time

import eventlet
import pytest

from services.shared.envelope import CommandContext, Envelope, NewEvent
from services.shared.event_store import EventStore
from services.shared.projections import Projection, ReadModels, update_once

pytestmark = pytest.mark.integration

# 500 events of 2 ms of computation each (a feeds batch's events cost 1-2 ms): 1 s in all
EVENTS, MS_EACH = 500, 2
BOUND_S = 0.3  # a turn comes every 4 ms; room for a loaded machine. Without turns: 1 s


def _compute(ms: float) -> None:
    until = time.perf_counter() + ms / 1000
    while time.perf_counter() < until:
        pass  # a handler's work in memory: no socket waited for


def test_a_read_is_answered_while_a_long_batch_is_applied(mongo_client, db_prefix):
    branch = EventStore(mongo_client[f"{db_prefix}_branch"], "branch")
    branch.ensure_indexes()
    rm = ReadModels(branch.db)
    busy = Projection("busy", service="branch", collections=["balances"])
    computing, started = eventlet.event.Event(), []

    @busy.on("ledger.deposited")
    def _deposited(views, event):
        if not started:  # the batch's first handler: its computation starts now
            started.append(time.perf_counter())
            computing.send()
        _compute(MS_EACH)
        update_once(views["balances"], event.stream_id, event,
                    {"$inc": {"cents": event.payload["cents"]}})

    def request() -> tuple[float, dict | None]:
        """A request's read, in a green thread of its own, once the batch computes."""
        computing.wait()
        found = rm["balances"].find_one({"_id": "acc-0"})
        return time.perf_counter(), found

    events = [Envelope.new(NewEvent("ledger.deposited", {"cents": 1, "currency": "EUR"}),
                           stream_id=f"acc-{n}", stream_version=1, context=CommandContext())
              for n in range(EVENTS)]
    reader = eventlet.spawn(request)
    recorded = branch.record_received_all(events)
    assert busy.apply_received(rm, events, recorded, branch) == EVENTS
    answered, found = reader.wait()
    waited = answered - started[0]
    assert waited < BOUND_S, f"the read waited {waited * 1000:.0f} ms behind the batch"
    assert found is None  # answered during the batch: its writes are sent at its end
    assert rm["balances"].count_documents({}) == EVENTS  # every event applied
