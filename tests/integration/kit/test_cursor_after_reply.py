"""An inline apply whose cursor moves after the RPC's reply (`apply_commit(...,
cursor_after_reply=True)`): the caller reads its writes, the cursor's compare-and-set is made
once by whoever needs it first, and a crash between the reply and it leaves one effect."""
import signal
import time

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.utils import find_free_port
from pymongo import MongoClient

from services.shared import commands, event_store_provider, projections
from services.shared.envelope import CommandContext, Envelope, NewEvent
from services.shared.event_store import EventStore
from services.shared.projections import (
    Projection,
    ProjectionRunner,
    ReadModels,
    before_the_move,
    insert_versioned,
)

from ...commands import CommandLog
from ...conftest import MONGO_URI, wait_for
from .sample import BALANCES, deposit
from .test_crash_recovery import config_file, ready, start_service, stop_service

pytestmark = pytest.mark.integration

IDLE_SECONDS = 120.0  # the relay's periodic pass: far longer than the test may take

# A handler that counts its runs, unguarded: a second run of an event shows.
RUNS = Projection("runs", service="ledger", collections=["runs"])


@RUNS.on("ledger.deposited")
def _counted(rm: ReadModels, event: Envelope) -> None:
    rm["runs"].update_one({"_id": event.id}, {"$inc": {"n": 1}}, upsert=True)


# A handler that leaves a look for before its cursor's move (`before_the_move`), noting what
# the cursor was when the look was made; it fails while `FAILING` holds its event's id.
LOOKS = Projection("looks", service="ledger", collections=["looks"])
FAILING: set[str] = set()


@LOOKS.on("ledger.deposited")
def _looked_later(rm: ReadModels, event: Envelope) -> None:
    rm["looks"].update_one({"_id": event.id}, {"$set": {"written": True}}, upsert=True)

    def look() -> None:
        if event.id in FAILING:
            raise RuntimeError("the look failed")
        cursor = rm[LOOKS.cursors].find_one({"_id": event.stream_id}) or {}
        rm["looks"].update_one({"_id": event.id}, {"$inc": {"looks": 1}, "$set": {
            "cursor_then": cursor.get("version", 0)}})

    before_the_move(look)


def _runs(runner: ProjectionRunner) -> dict[str, int]:
    return {doc["_id"]: doc["n"] for doc in runner["runs"].find()}


def _cursor(runner: ProjectionRunner, key: str) -> int:
    return (runner[RUNS.cursors].find_one({"_id": key}) or {}).get("version", 0)


@pytest.fixture
def in_an_rpc():
    """What `EventStoreProvider.worker_setup` sets up for an RPC's worker: the work left for
    after its reply, run by the test where the teardown would."""
    pending: list = []
    token = event_store_provider._after_reply.set(pending)
    yield pending
    event_store_provider._after_reply.reset(token)


def test_the_handler_runs_before_the_reply_and_the_cursor_moves_after_it(store, in_an_rpc):
    runner = ProjectionRunner(RUNS, store)
    commit = deposit(store, "acc-1", 5)
    assert runner.apply_commit(commit, cursor_after_reply=True) == 1
    assert _runs(runner) == {commit.events[0].id: 1}  # what the answer reads is there
    assert _cursor(runner, "acc-1") == 0 and len(in_an_rpc) == 1  # left for the teardown
    in_an_rpc.pop()()
    assert _cursor(runner, "acc-1") == 1
    # the own subscription's delivery: a duplicate, known without a read
    assert runner.apply(commit.events[0]) == 0
    assert _runs(runner) == {commit.events[0].id: 1}


def test_the_streams_next_apply_and_the_subscription_make_the_pending_move_first(
        store, in_an_rpc):
    runner = ProjectionRunner(RUNS, store)
    first = deposit(store, "acc-1", 5)
    runner.apply_commit(first, cursor_after_reply=True)
    # the subscription brings the event back before the teardown: it moves the cursor itself
    assert runner.apply(first.events[0]) == 0
    assert _cursor(runner, "acc-1") == 1
    second = deposit(store, "acc-1", 7)
    runner.apply_commit(second, cursor_after_reply=True)
    third = deposit(store, "acc-1", 9)
    runner.apply_commit(third)  # the stream's next inline apply: the pending move first
    assert _cursor(runner, "acc-1") == 3
    for work in in_an_rpc:  # the teardowns come last: nothing left to do
        work()
    assert _cursor(runner, "acc-1") == 3
    assert _runs(runner) == {commit.events[0].id: 1 for commit in (first, second, third)}


def test_outside_an_rpc_the_cursor_moves_at_once(store):
    runner = ProjectionRunner(RUNS, store)
    commit = deposit(store, "acc-1", 5)
    assert runner.apply_commit(commit, cursor_after_reply=True) == 1
    assert _cursor(runner, "acc-1") == 1
    assert runner.apply(commit.events[0]) == 0
    assert _runs(runner) == {commit.events[0].id: 1}


def test_a_move_another_applier_made_first_leaves_one_run(store, in_an_rpc):
    runner, elsewhere = ProjectionRunner(RUNS, store), ProjectionRunner(RUNS, store)
    first = deposit(store, "acc-1", 5)
    runner.apply_commit(first, cursor_after_reply=True)
    second = deposit(store, "acc-1", 7)
    # another replica's command on the stream: it finds v1 not applied (the cursor did not
    # move yet), runs its handler again, then v2's — the case the guards are there for
    elsewhere.apply_commit(second)
    in_an_rpc.pop()()  # the compare-and-set finds the cursor moved on: nothing to do
    assert _cursor(runner, "acc-1") == 2
    assert runner.apply(first.events[0]) == 0 and runner.apply(second.events[0]) == 0
    assert _runs(runner)[second.events[0].id] == 1


def test_an_inline_apply_keeps_the_documents_its_writes_left_and_only_those(store, in_an_rpc):
    """`keeping`: the answer's documents come back from the handlers' writes (one
    `findAndModify` each); a write that changed nothing (the event applied already) keeps
    nothing, so the answer reads that document as usual."""
    runner = ProjectionRunner(BALANCES, store)
    first = deposit(store, "acc-kept", 5)
    written = runner.keeping("balances")
    assert runner.apply_commit(first, cursor_after_reply=True, into=written) == 1
    kept = written.written("balances")
    assert kept == {"acc-kept": runner["balances"].find_one({"_id": "acc-kept"})}
    assert kept["acc-kept"]["cents"] == 5
    in_an_rpc.pop()()
    again = runner.keeping("balances")  # a second run of the handler: `update_once` refuses it
    BALANCES.handlers_for("ledger.deposited")(again, first.events[0])
    assert again.written("balances") == {}
    assert runner["balances"].find_one({"_id": "acc-kept"})["cents"] == 5


@pytest.fixture
def watched_store(db_prefix):
    """The ledger's store on a client of its own whose cursor reads of RUNS are counted."""
    reads = CommandLog()
    client = MongoClient(MONGO_URI, event_listeners=[reads])
    store = EventStore(client[f"{db_prefix}_ledger"], "ledger")
    store.ensure_indexes()
    yield store, reads
    client.close()


def test_a_commit_that_opens_its_stream_is_applied_without_reading_its_cursor(
        watched_store, in_an_rpc):
    store, reads = watched_store
    runner = ProjectionRunner(RUNS, store)
    opener = deposit(store, "acc-new", 5)  # a minted stream: nothing of it applied anywhere
    assert opener.written_now and opener.version == 1
    assert runner.apply_commit(opener, cursor_after_reply=True) == 1
    assert reads.count("find", RUNS.cursors) == 0 and _runs(runner) == {opener.events[0].id: 1}
    in_an_rpc.pop()()
    assert _cursor(runner, "acc-new") == 1
    # a later commit of the stream: this process moved its cursor to the version before, so
    # it is not read either; another process, which did not, reads it, and so does a commit
    # applied without `cursor_after_reply` (handlers not checked for a second run)
    reads.clear()
    runner.apply_commit(deposit(store, "acc-new", 7), cursor_after_reply=True)
    in_an_rpc.pop()()
    assert reads.count("find", RUNS.cursors) == 0
    assert _cursor(runner, "acc-new") == 2  # (a read of the test's own)
    reads.clear()
    ProjectionRunner(RUNS, store).apply_commit(deposit(store, "acc-new", 8),
                                               cursor_after_reply=True)
    assert reads.count("find", RUNS.cursors) == 1
    in_an_rpc.pop()()
    runner.apply_commit(deposit(store, "acc-other", 9))
    assert reads.count("find", RUNS.cursors) >= 2
    assert list(_runs(runner).values()) == [1] * 4


def test_the_moves_of_commits_applied_together_are_one_command_after_the_reply(
        watched_store, in_an_rpc):
    store, reads = watched_store
    runner = ProjectionRunner(RUNS, store)
    commits = [deposit(store, stream, 5) for stream in ("acc-a", "acc-b", "acc-c")]
    assert runner.apply_commits(commits, cursor_after_reply=True) == 3
    assert reads.pairs(RUNS.cursors) == [] and len(in_an_rpc) == 1
    # the subscription's delivery of one of them comes before the teardown: it makes the three
    # moves in one command, and the teardown has nothing left to do
    assert runner.apply(commits[2].events[0]) == 0
    assert reads.pairs(RUNS.cursors) == [("update", RUNS.cursors)]
    in_an_rpc.pop()()
    assert reads.pairs(RUNS.cursors) == [("update", RUNS.cursors)]
    assert [_cursor(runner, stream) for stream in ("acc-a", "acc-b", "acc-c")] == [1, 1, 1]
    reads.clear()
    for commit in commits:  # each a duplicate, known without a read
        assert runner.apply(commit.events[0]) == 0
    assert reads.pairs(RUNS.cursors) == [] and list(_runs(runner).values()) == [1, 1, 1]


def test_an_opening_commit_another_applier_took_first_makes_one_effect(store, in_an_rpc):
    runner, elsewhere = ProjectionRunner(BALANCES, store), ProjectionRunner(BALANCES, store)
    opener = deposit(store, "acc-new", 5)
    # another replica's subscription got it between the insert and the inline apply (the
    # relay's periodic pass published it): the inline apply runs the handler again, whose
    # guard makes one effect, and its compare-and-set finds the cursor moved
    assert elsewhere.apply(opener.events[0]) == 1
    runner.apply_commit(opener, cursor_after_reply=True)
    for work in in_an_rpc:  # the teardown
        work()
    assert runner[BALANCES.cursors].find_one({"_id": "acc-new"})["version"] == 1
    assert runner["balances"].find_one({"_id": "acc-new"})["cents"] == 5
    assert runner.apply(opener.events[0]) == 0


def test_a_keyed_retry_of_an_opening_commit_reads_the_cursor_and_runs_nothing_again(
        store, in_an_rpc):
    runner = ProjectionRunner(RUNS, store)
    context = commands.rpc_context("user:user-1", "k-1", time.time() + 30)

    def execution():
        token = commands.enter(context, "ledger", "open")
        try:
            commit = store.append("acc-keyed", 0, [NewEvent(
                "ledger.deposited", {"cents": 5, "currency": "EUR"})], CommandContext())
            runner.apply_commit(commit, cursor_after_reply=True)
            return commit
        finally:
            commands.leave(token)

    first = execution()
    in_an_rpc.pop()()
    again = execution()  # the same key: the earlier execution's commit, not written now
    assert again.id == first.id and not again.written_now
    assert _runs(runner) == {first.events[0].id: 1} and _cursor(runner, "acc-keyed") == 1


def _ledger_running(port, process):
    if process.poll() is not None:
        return False
    return ready(port)


def test_a_crash_between_the_reply_and_the_cursor_leaves_one_effect(
        tmp_path, rabbit_config, db_prefix, mongo_client):
    port = find_free_port()
    # the doomed process's relay passes only when woken (or every RELAY_MAX_BACKOFF_SECONDS):
    # the commit is not published, so not brought back by the subscription, before the crash
    doomed_config = config_file(tmp_path / "doomed.yaml", rabbit_config, db_prefix, port,
                                AGORA={"relay_interval_seconds": IDLE_SECONDS,
                                       "relay_lease_seconds": 1})
    config_path = config_file(tmp_path / "ledger.yaml", rabbit_config, db_prefix, port, AGORA={
        "relay_interval_seconds": 0.2, "relay_lease_seconds": 1})
    config = {"AMQP_URI": rabbit_config["AMQP_URI"]}
    db = mongo_client[f"{db_prefix}_ledger"]
    doomed = start_service(doomed_config, tmp_path / "ledger.log",
                           {"AGORA_FAILPOINTS": "after_reply"})
    try:
        wait_for(lambda: _ledger_running(port, doomed), timeout=60, message="ledger ready")
        with ServiceRpcProxy("ledger", config, timeout=30) as proxy:
            proxy.deposit("acc-first", 1)  # (no work after its reply: no crash)
            # its publication is the relay's last pass for a while: the next RPC is not
            # published behind its back
            wait_for(lambda: db.events.count_documents({"pending": True}) == 0, timeout=30,
                     message="the first commit published")
            answer = proxy.deposit_cursor_after_reply("acc-9", 42)
        assert doomed.wait(timeout=30) == -signal.SIGKILL  # killed right after the reply
    finally:
        if doomed.poll() is None:
            doomed.kill()
    assert answer["balance"] == 42 and answer["cursor"] == 0  # read its write, cursor not moved
    assert (db[BALANCES.cursors].find_one({"_id": "acc-9"}) or {}).get("version", 0) == 0

    restarted = start_service(config_path, tmp_path / "ledger.log")
    try:
        # the commit goes out after the restart and the own subscription applies it: the
        # handler runs a second time, the effect stays one
        wait_for(lambda: (db[BALANCES.cursors].find_one({"_id": "acc-9"}) or {}).get(
            "version") == 1, timeout=60, message="the cursor moved after the restart")
        wait_for(lambda: db.events.count_documents({"pending": True}) == 0, timeout=30,
                 message="the commit published")
        balance = db["balances"].find_one({"_id": "acc-9"})
        assert balance["cents"] == 42
        assert balance["_applied"] == [answer["event_id"]]
        assert db.events.count_documents({"stream_id": "acc-9"}) == 1
    finally:
        stop_service(restarted)


def test_a_handlers_look_goes_after_the_reply_and_before_the_cursors_move(store, in_an_rpc):
    runner = ProjectionRunner(LOOKS, store)
    commit = deposit(store, "acc-look", 5)
    runner.apply_commit(commit, cursor_after_reply=True)
    event_id = commit.events[0].id
    assert runner["looks"].find_one({"_id": event_id}) == {"_id": event_id, "written": True}
    in_an_rpc.pop()()
    assert runner["looks"].find_one({"_id": event_id})["cursor_then"] == 0
    assert runner["looks"].find_one({"_id": event_id})["looks"] == 1
    assert (runner[LOOKS.cursors].find_one({"_id": "acc-look"}) or {})["version"] == 1


def test_outside_an_rpc_a_handlers_look_is_made_at_once(store):
    runner = ProjectionRunner(LOOKS, store)
    commit = deposit(store, "acc-look", 5)
    runner.apply_commit(commit, cursor_after_reply=True)
    assert runner["looks"].find_one({"_id": commit.events[0].id})["looks"] == 1
    assert runner[LOOKS.cursors].find_one({"_id": "acc-look"})["version"] == 1


def test_a_look_that_fails_leaves_the_cursor_and_the_event_is_applied_again(store, in_an_rpc):
    runner = ProjectionRunner(LOOKS, store)
    commit = deposit(store, "acc-failing", 5)
    event_id = commit.events[0].id
    FAILING.add(event_id)
    try:
        runner.apply_commit(commit, cursor_after_reply=True)
        with pytest.raises(RuntimeError):
            in_an_rpc.pop()()
    finally:
        FAILING.discard(event_id)
    assert runner[LOOKS.cursors].find_one({"_id": "acc-failing"}) is None
    assert runner.apply(commit.events[0]) == 1  # the subscription's delivery: handler and look
    assert runner["looks"].find_one({"_id": event_id})["looks"] == 1
    assert runner[LOOKS.cursors].find_one({"_id": "acc-failing"})["version"] == 1


def test_an_opening_events_document_is_inserted_or_the_one_found_is_given_back(store):
    first = deposit(store, "acc-opened", 5).events[0]
    documents = store.db["opened"]
    assert insert_versioned(documents, "doc-new", first, {"a": 1}) is None
    assert documents.find_one({"_id": "doc-new"}) == {"_id": "doc-new", "a": 1, "_v": 1}
    assert insert_versioned(documents, "doc-new", first, {"a": 2}) is None  # a second run
    assert documents.find_one({"_id": "doc-new"})["a"] == 1
    documents.insert_one({"_id": "doc-there", "held": True})  # another stream's write first
    assert insert_versioned(documents, "doc-there", first, {"a": 1}) == {
        "_id": "doc-there", "held": True}
    assert documents.find_one({"_id": "doc-there"}) == {"_id": "doc-there", "held": True}


def test_an_opening_commit_does_not_wait_for_a_swap_and_its_move_leaves_it_to_the_catch_up(
        store, in_an_rpc, monkeypatch):
    """A commit whose only cursor move is made after the reply is written at once, even with a
    replay's swap flag up (no round trip on the request's path for the flag); the move then sees
    the flag and is not made, so the replay's catch-up — here, the delivery after the flag fell
    — applies the event, whose handler made one effect either way."""
    runner = ProjectionRunner(BALANCES, store)
    checkpoints = store.db["projection_checkpoints"]
    checkpoints.update_one({"_id": BALANCES.name}, {"$set": {"swapping": True}}, upsert=True)
    runner._swap_checked_at = float("-inf")  # the flag as it is now
    monkeypatch.setattr(projections, "pause", lambda seconds: pytest.fail("it waited"))
    opener = deposit(store, "acc-open", 5)
    assert runner.apply_commit(opener, cursor_after_reply=True) == 1
    balance = runner["balances"].find_one({"_id": "acc-open"})
    assert balance["cents"] == 5  # written before the reply, what the answer reads
    in_an_rpc.pop()()  # the teardown: the flag is up, the move is not made
    assert (runner[BALANCES.cursors].find_one({"_id": "acc-open"}) or {}).get("version", 0) == 0
    checkpoints.update_one({"_id": BALANCES.name}, {"$set": {"swapping": False}})
    runner._swap_checked_at = float("-inf")
    runner.apply(opener.events[0])  # what applies it after the swap (the catch-up, a delivery)
    assert runner[BALANCES.cursors].find_one({"_id": "acc-open"})["version"] == 1
    assert runner["balances"].find_one({"_id": "acc-open"})["cents"] == 5  # one effect
