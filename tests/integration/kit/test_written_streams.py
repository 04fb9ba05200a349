"""Streams a process wrote whole are decided on again without reading them back
(services/shared/written_streams.py), and never on an old memory: the append's version check
refuses one, and a no-op or a refusal decided on memory is decided again on the log.

Two `EventStore`s on one database are two processes of one service (each its own memory)."""
import pytest

from services.shared import metrics
from services.shared.envelope import CommandContext, NewEvent

from . import sample  # noqa: F401 - registers the ledger payload schemas

pytestmark = pytest.mark.integration
CONTEXT = CommandContext(actor="user-1", correlation_id="req-1")


class Refused(Exception):
    """A domain's refusal (a rule the history breaks)."""


def deposit(cents=1):
    return NewEvent("ledger.deposited", {"cents": cents, "currency": "EUR"})


def named(holder, name):
    return NewEvent("ledger.holder_named", {"holder_id": holder, "name": name})


def stream_reads(sent):
    return [s for s in sent.matching("find", "events") if "stream_id" in s.command["filter"]]


def conflicts():
    return metrics.CONCURRENCY_CONFLICTS.labels("ledger")._value.get()


def test_a_stream_written_here_is_decided_on_again_without_reading_it(processes):
    here, sent, _ = processes
    here.append("acc-1", 0, [deposit(1), deposit(2)], CONTEXT)
    seen = []

    def decide(history):
        seen.append(history)
        return [deposit(3)]

    assert here.execute("acc-1", decide, CONTEXT).version == 3
    assert here.execute("acc-1", decide, CONTEXT).version == 4  # what it appended is kept too
    assert stream_reads(sent) == []
    # what the decisions saw is what a load gives: dates, time zones, payloads, ids
    loaded = here.load("acc-1")
    assert seen[0] == loaded[:2] and seen[1] == loaded[:3]
    assert [e.occurred_at for e in seen[1]] == [e.occurred_at for e in loaded[:3]]


def test_a_revision_s_text_written_here_is_not_read_back(processes):
    here, sent, there = processes
    written = here.append("acc-1.r1", 0, [deposit(7)], CONTEXT)
    assert here.load_written_once("acc-1.r1") == here.load("acc-1.r1") == written.events
    sent.clear()
    assert here.load_written_once("acc-1.r1")[0].payload["cents"] == 7
    assert stream_reads(sent) == []
    there.append("acc-2.r1", 0, [deposit(8)], CONTEXT)  # another process's: read
    assert here.load_written_once("acc-2.r1")[0].payload["cents"] == 8
    assert len(stream_reads(sent)) == 1


def test_an_old_memory_ends_in_a_conflict_and_the_decision_is_made_on_the_log(processes):
    here, sent, there = processes
    here.append("acc-1", 0, [deposit(1)], CONTEXT)
    there.execute("acc-1", lambda history: [deposit(2)], CONTEXT)  # another process writes
    before = conflicts()
    seen = []

    def decide(history):
        seen.append([e.payload["cents"] for e in history])
        return [deposit(sum(seen[-1]))]

    commit = here.execute("acc-1", decide, CONTEXT)
    assert seen == [[1], [1, 2]]  # memory first, then the log after the refusal
    assert commit.version == 3 and commit.events[0].payload["cents"] == 3
    assert [e.payload["cents"] for e in here.load("acc-1")] == [1, 2, 3]
    assert conflicts() == before  # an old memory is not a conflict between writers
    sent.clear()
    here.execute("acc-1", lambda history: [deposit(4)], CONTEXT)  # known whole again? no:
    assert len(stream_reads(sent)) == 1  # what it loaded is not kept, only what it wrote whole


def test_a_no_op_or_a_refusal_on_memory_is_decided_again_on_the_log(processes):
    here, _, there = processes
    here.append("acc-1", 0, [deposit(1)], CONTEXT)
    there.execute("acc-1", lambda history: [deposit(2)], CONTEXT)

    def only_after_the_second(history):  # nothing to do until the other writer's event
        return [deposit(3)] if len(history) == 2 else []

    assert here.execute("acc-1", only_after_the_second, CONTEXT).version == 3
    here.append("acc-2", 0, [deposit(1)], CONTEXT)
    there.execute("acc-2", lambda history: [deposit(2)], CONTEXT)

    def refused_before_the_second(history):
        if len(history) < 2:
            raise Refused("not before the second deposit")
        return [deposit(3)]

    assert here.execute("acc-2", refused_before_the_second, CONTEXT).version == 3

    def always_refused(history):
        raise Refused("never")

    with pytest.raises(Refused):  # a refusal the log confirms is the answer
        here.execute("acc-2", always_refused, CONTEXT)


def test_an_erased_subject_reads_as_erased_from_memory_too(processes):
    here, sent, _ = processes
    here.append("holder-1", 0, [named("u1", "Ada Lovelace")], CONTEXT)
    here.keys.shred("u1")
    seen = []
    here.execute("holder-1", lambda history: seen.extend(history) or [deposit(1)], CONTEXT)
    assert stream_reads(sent) == []  # from memory, sealed as stored, unsealed as read
    assert seen[0].payload["name"] == "Former holder" == here.load("holder-1")[0].payload["name"]
