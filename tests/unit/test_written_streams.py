"""What a process keeps of the streams it wrote (services/shared/written_streams.py): only
streams written whole here, within its bounds of count, length and age."""
from bson.codec_options import CodecOptions

from services.shared import written_streams
from services.shared.written_streams import WrittenStreams


def commit(stream_id, version, events=1):
    return {"_id": f"{stream_id}@{version}", "stream_id": stream_id, "version": version,
            "last_version": version + events - 1, "events": [{"n": n} for n in range(events)]}


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def kept(clock=None, **bounds):
    return WrittenStreams(CodecOptions(tz_aware=True), clock=clock or Clock(), **bounds)


def test_a_stream_opened_here_is_kept_with_each_commit_that_follows():
    streams = kept()
    streams.appended("s", 0, commit("s", 1, events=2))
    streams.appended("s", 2, commit("s", 3))
    assert [c["version"] for c in streams.history("s")] == [1, 3]


def test_a_commit_that_does_not_follow_what_is_kept_forgets_the_stream():
    streams = kept()
    streams.appended("s", 0, commit("s", 1))
    streams.appended("s", 2, commit("s", 3))  # version 2 was another process's
    assert streams.history("s") is None
    streams.appended("t", 4, commit("t", 5))  # never opened here
    assert streams.history("t") is None


def test_bounds_count_length_and_age(monkeypatch):
    clock = Clock()
    streams = kept(clock, kept=2, seconds=60.0)
    for name in ("a", "b", "c"):
        streams.appended(name, 0, commit(name, 1))
    assert streams.history("a") is None and streams.history("c") is not None  # the oldest went
    clock.now = 61.0
    assert streams.history("c") is None  # too old
    monkeypatch.setattr(written_streams, "WRITTEN_EVENTS", 3)
    streams.appended("long", 0, commit("long", 1, events=3))
    assert streams.history("long") is not None
    streams.appended("long", 3, commit("long", 4))
    assert streams.history("long") is None  # longer than kept streams may be


def test_what_is_kept_is_a_copy_read_back_as_the_log_gives_it():
    streams = kept()
    written = commit("s", 1)
    streams.appended("s", 0, written)
    written["events"].append({"n": "later"})  # the caller's document, changed afterwards
    history = streams.history("s")
    assert history[0]["events"] == [{"n": 0}]
    history.append("mine")  # and the answer is the caller's list
    assert len(streams.history("s")) == 1
