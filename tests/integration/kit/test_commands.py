"""One idempotency key, one effect: a command executed twice (the client retried after a crash or
a 504) finds the commit its first execution recorded; a command past its deadline does not start.
"""
import time

import eventlet
import pytest

from services.shared import commands
from services.shared.envelope import CommandContext, NewEvent
from services.shared.errors import CommandExpired

pytestmark = pytest.mark.integration
CONTEXT = CommandContext(actor="user-1", correlation_id="req-1")


def deposit(cents=1):
    return NewEvent("ledger.deposited", {"cents": cents, "currency": "EUR"})


def run(command_context, work, method="deposit"):
    """Run `work` as one execution of an RPC command carrying `command_context`."""
    token = commands.enter(command_context, "ledger", method)
    try:
        return work()
    finally:
        commands.leave(token)


def keyed(key="k-1", scope="user:user-1", timeout=30.0):
    return commands.rpc_context(scope, key, time.time() + timeout)


def test_a_command_executed_twice_appends_once_and_answers_the_first_commit(store):
    def create():
        account = "acc-" + commands.fresh_uuid("account").hex
        return account, store.append(account, 0, [deposit(5)], CONTEXT)

    first_id, first = run(keyed(), create)
    again_id, again = run(keyed(), create)
    assert again_id == first_id and again.id == first.id
    assert [e.id for e in again.events] == [e.id for e in first.events]
    assert store.count() == 1
    other_id, _ = run(keyed("k-2"), create)  # another key is another command
    assert other_id != first_id and store.count() == 2
    theirs, _ = run(keyed(scope="user:user-2"), create)  # the same key of another caller too
    assert theirs not in (first_id, other_id) and store.count() == 3


def test_execute_does_not_decide_again_a_command_it_recorded(store):
    store.append("acc-1", 0, [deposit(1)], CONTEXT)
    decisions = []

    def withdraw_all():
        def decide(history):
            decisions.append(len(history))
            return [deposit(-sum(e.payload["cents"] for e in history))]
        return store.execute("acc-1", decide, CONTEXT)

    first = run(keyed(), withdraw_all)
    store.append("acc-1", 2, [deposit(7)], CONTEXT)  # someone else writes in between
    again = run(keyed(), withdraw_all)
    assert again.id == first.id and decisions == [1]
    assert [e.payload["cents"] for e in store.load("acc-1")] == [1, -1, 7]


def test_a_command_that_stopped_half_way_finishes_its_missing_appends_on_retry(store):
    def transfer(crash=False):
        store.append("from", store.stream_version("from"), [deposit(-3)], CONTEXT)
        if crash:
            raise RuntimeError("process died here")
        store.append("to", store.stream_version("to"), [deposit(3)], CONTEXT)

    with pytest.raises(RuntimeError):
        run(keyed(), lambda: transfer(crash=True))
    run(keyed(), transfer)
    run(keyed(), transfer)
    assert [e.payload["cents"] for e in store.load("from")] == [-3]
    assert [e.payload["cents"] for e in store.load("to")] == [3]


def test_concurrent_executions_of_one_command_record_one_effect(store):
    def create():
        return store.execute("acc-" + commands.fresh_uuid("account").hex,
                             lambda history: [] if history else [deposit(1)], CONTEXT)

    results = []
    pool = eventlet.GreenPool(10)
    for _ in range(10):
        pool.spawn(lambda: results.append(run(keyed(), create)))
    pool.waitall()
    assert store.count() == 1
    assert {commit.id for commit in results if commit is not None} == {
        next(store.read_all()).id}


def test_a_command_past_its_deadline_is_not_started(store):
    expired = commands.rpc_context("user:user-1", "k-1", time.time() - 0.001)
    with pytest.raises(CommandExpired):
        run(expired, lambda: store.append("acc-1", 0, [deposit(1)], CONTEXT))
    unkeyed = commands.rpc_context("user:user-1", None, time.time() - 0.001)
    decided = []
    with pytest.raises(CommandExpired):  # refused before deciding: a decision may write too
        run(unkeyed, lambda: store.execute("acc-1", lambda h: decided.append(1), CONTEXT))
    assert store.count() == 0 and decided == []
    with pytest.raises(CommandExpired):  # what a command checks before its own side effects
        run(expired, commands.check_deadline)


def test_a_command_that_started_in_time_finishes_past_its_deadline(store):
    context = commands.rpc_context("user:user-1", "k-1", time.time() + 60)

    def two_appends():
        store.append("a", 0, [deposit(1)], CONTEXT)
        commands.current().deadline_ms = int(time.time() * 1000) - 1  # the gateway gave up
        store.append("b", 0, [deposit(1)], CONTEXT)

    run(context, two_appends)
    assert store.count() == 2


def test_outside_a_command_appends_are_unchanged(store):
    store.append("acc-1", 0, [deposit(1)], CONTEXT)
    store.append("acc-1", 1, [deposit(1)], CONTEXT)
    assert store.count() == 2
    assert store.events.count_documents({"command": {"$exists": True}}) == 0
