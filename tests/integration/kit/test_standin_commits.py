"""The stand-in's commit buffer: how much changed before a commit starts, what it says it runs
with, and what a killed stand-in keeps whatever the buffer.

A commit writes every page changed since the last one; H2's own threshold (19 MB of changed
pages) started one every few posts at 2,500 posts, each rewriting the same hot pages, and the
collector paid for their copies (docs/performance.md, "The stand-in's commit buffer"). The
buffer is now a sixteenth of the heap; the background commit still runs at most a second after a
change, which is what a killed stand-in may lose.
"""
import os
import signal
import time

import pytest
from pymongo import MongoClient

from .java_checks import start_with_setting

pytestmark = pytest.mark.integration

COMMIT_WAIT = 15.0  # seconds: the background commit runs ~1 s after a change; a loaded machine


def _start(server, monkeypatch, megabytes):
    return start_with_setting(server, monkeypatch, "AGORA_MONGO_COMMIT_BUFFER_MB", megabytes)


def _file(server):
    return server.dir / "agora.mv.db"


def _written_since(server, stamp):
    """Wait until the store's file was written after `stamp` (its mtime then), bounded."""
    deadline = time.monotonic() + COMMIT_WAIT
    while os.stat(_file(server)).st_mtime_ns == stamp:
        assert time.monotonic() < deadline, f"no commit within {COMMIT_WAIT} s of a change"
        time.sleep(0.05)  # ok: poll interval of a deadline-bounded wait for the file's write


def _quiet(server):
    """The file's mtime once nothing is left to commit: unchanged over two commit delays
    (bounded: a store that kept writing would fail here)."""
    deadline = time.monotonic() + COMMIT_WAIT
    stamp = os.stat(_file(server)).st_mtime_ns
    while True:
        settled = time.monotonic() + 2.5
        while time.monotonic() < settled and os.stat(_file(server)).st_mtime_ns == stamp:
            time.sleep(0.05)  # ok: poll interval; the window is what is measured, not a sync
        now = os.stat(_file(server)).st_mtime_ns
        if now == stamp:
            return stamp
        assert time.monotonic() < deadline, f"the file still written after {COMMIT_WAIT} s"
        stamp = now


def _kill(server):
    os.killpg(server.process.pid, signal.SIGKILL)  # its own session: the group is ours alone
    server.process.wait(timeout=30)


def test_the_buffer_is_a_sixteenth_of_the_heap_unless_set(stand_in, monkeypatch):
    """The test's stand-in runs with 512 MB of heap: 32 MB; a setting wins (fails on a build
    with H2's fixed 19 MB, whose start line names no buffer)."""
    server = stand_in
    try:
        assert _start(server, monkeypatch, None).endswith(", commits past 32 MB")
        server.stop()
        assert _start(server, monkeypatch, 7).endswith(", commits past 7 MB")
    finally:
        server.stop()


@pytest.mark.parametrize("megabytes", ["0", "1025"])
def test_the_stand_in_refuses_a_buffer_it_cannot_use(stand_in, monkeypatch, megabytes):
    server = stand_in
    monkeypatch.setenv("AGORA_MONGO_COMMIT_BUFFER_MB", megabytes)
    try:
        with pytest.raises(RuntimeError):
            server.start()
    finally:
        server.stop()  # a build that ignores the setting started: not left running
    assert f"AGORA_MONGO_COMMIT_BUFFER_MB is not between 1 and 1024: {megabytes}" in \
        server.log.read_text()


def test_a_killed_stand_in_keeps_what_its_delayed_commit_wrote(stand_in, monkeypatch):
    """With a buffer no write here comes near (1 GB), the commit a second after a change still
    writes it: documents and an update acknowledged before that commit are there after a
    SIGKILL and a restart (fails where only a full buffer commits: nothing written, the wait
    for the file's write times out)."""
    server = stand_in
    try:
        _start(server, monkeypatch, 1024)
        client = MongoClient(server.uri)
        events = client["commits"]["events"]
        events.create_index("kind")
        events.insert_one({"_id": "first", "kind": 0})
        stamp = _quiet(server)  # the file as it is with nothing left to commit
        events.insert_many([{"_id": n, "kind": n % 3, "body": "é" * 300} for n in range(500)])
        events.update_one({"_id": "first"}, {"$set": {"kind": 9}})
        _written_since(server, stamp)
        _quiet(server)  # that commit done, not killed halfway through it
        client.close()
        _kill(server)

        _start(server, monkeypatch, 1024)
        client = MongoClient(server.uri)
        events = client["commits"]["events"]
        assert events.count_documents({}) == 501
        assert events.find_one({"_id": "first"})["kind"] == 9
        assert events.count_documents({"kind": 2}) == len(range(2, 500, 3))  # its index too
        client.close()
    finally:
        server.stop()
