"""The live channel without infrastructure: who gets which event, bounded buffers, limits, frames,
and its OpenAPI entry."""
import json
import socket

import pytest

from gateway import errors
from gateway.live import (
    CLOSE,
    LiveCapacityReached,
    LiveEvent,
    LiveHub,
    LiveSettings,
    Stream,
    route_event,
    sse_frame,
)
from gateway.openapi import build_spec
from gateway.service import GatewayService
from services.shared.live import INBOX_CHANGED


def hub(**settings) -> LiveHub:
    """A hub as `setup()` leaves it, without a container (no broker needed for routing)."""
    live = LiveHub()
    live.settings = LiveSettings(**settings)
    live.boot, live.streams, live.count = "b", {}, 0
    live._ids = iter(range(1, 1000))
    return live


def member(user_id: str, sid: str = "s1") -> dict:
    return {"id": user_id, "roles": ["member"], "kind": "user", "sid": sid}


def test_a_message_reaches_its_participants_and_author_only_as_references():
    pairs = route_event({"type": "conversations.message_posted", "payload": {
        "conversation_id": "c1", "message_id": "m1", "author_id": "adv",
        "participant_ids": ["ada", "adv"], "body": "never forwarded"}})
    assert sorted(member for member, _ in pairs) == ["ada", "adv"]
    for _, event in pairs:
        assert event == LiveEvent("message", {"conversation_id": "c1", "message_id": "m1",
                                              "author_id": "adv"})


def test_inbox_signals_go_to_each_member_with_their_own_count():
    pairs = dict(route_event({"type": INBOX_CHANGED, "members": {
        "ada": {"unread": 3, "new": [{"id": "n1", "type": "reply", "title": "x"}]},
        "bob": {"unread": 1, "new": [{"id": "n2", "type": "mention"}]}}}))
    assert pairs["ada"] == LiveEvent("notification", {"unread": 3,
                                                      "new": [{"id": "n1", "type": "reply"}]})
    assert pairs["bob"].data["unread"] == 1 and pairs["bob"].data["new"][0]["id"] == "n2"


def test_reads_elsewhere_and_unknown_messages():
    assert route_event({"type": "notifications.marked_read", "payload": {"member_id": "ada"}}) \
        == [("ada", LiveEvent("read", {}))]
    assert route_event({"type": "posts.post_published", "payload": {"author_id": "ada"}}) == []
    assert route_event({"type": INBOX_CHANGED, "members": {"ada": "garbage"}}) == []


def test_dispatch_forwards_only_to_the_members_named():
    live = hub()
    ada, bob = live.open(member("ada"), None), live.open(member("bob", "s2"), None)
    assert live.dispatch({"type": "notifications.marked_read",
                          "payload": {"member_id": "ada"}}) == 1
    assert ada.next(0.01) == LiveEvent("read", {})
    assert bob.next(0.01) is None


def test_a_slow_reader_loses_events_and_is_told_to_resync():
    live = hub(buffer_size=2)
    stream = live.open(member("ada"), None)
    for _ in range(5):
        live.dispatch({"type": "notifications.marked_read", "payload": {"member_id": "ada"}})
    assert stream.queue.qsize() == 2 and stream.lagging
    frames = live.frames(stream, unread=4)
    assert next(frames).startswith(b"retry: ")
    assert b'"unread":4' in next(frames)
    assert b"event: resync" in next(frames)
    assert b"event: read" in next(frames)
    stream.close("session_revoked")
    assert b"event: read" in next(frames)
    assert next(frames) == sse_frame("closed", {"reason": "session_revoked"})
    with pytest.raises(StopIteration):
        next(frames)
    assert live.count == 0 and live.streams == {}


def test_limits_per_replica_and_per_member():
    live = hub(max_connections=3, max_per_member=2)
    oldest, older = live.open(member("ada"), None), live.open(member("ada"), None)
    newest = live.open(member("ada"), None)   # beyond the member's limit: the oldest ends
    assert live.streams["ada"] == [older, newest] and live.count == 2
    assert oldest.closed_reason == "superseded" and oldest.next(0.01) is CLOSE
    assert older.closed_reason is None
    live.open(member("bob"), None)
    with pytest.raises(LiveCapacityReached):
        live.open(member("cy"), None)
    assert "cy" not in live.streams
    limited = errors.problem_from_exception(LiveCapacityReached("full", {"retry_after": 10}),
                                            "/api/v1/me/events", "r1")
    assert limited.response().status_code == 503
    assert limited.response().headers["Retry-After"] == "10"


def test_a_superseded_stream_says_why_and_counts_once():
    live = hub(max_per_member=1)
    first = live.open(member("ada"), None)
    frames = live.frames(first, unread=0)
    next(frames), next(frames)                 # retry, hello
    live.open(member("ada"), None)
    assert next(frames) == sse_frame("closed", {"reason": "superseded"})
    with pytest.raises(StopIteration):
        next(frames)
    assert live.count == 1 and len(live.streams["ada"]) == 1


def test_a_stream_ends_as_soon_as_its_client_closes_the_connection():
    live = hub(heartbeat_seconds=5)
    server_side, browser_side = socket.socketpair()   # green: tests run monkey-patched
    stream = live.open(member("ada"), None)
    frames = live.frames(stream, unread=0, client=server_side)
    next(frames), next(frames)                 # retry, hello
    browser_side.close()                       # the page was left
    with pytest.raises(StopIteration):         # not a heartbeat 5 s later: ended, silently
        next(frames)
    assert live.count == 0 and live.streams == {}
    server_side.close()


def test_closing_wakes_the_writer_even_with_a_full_buffer():
    stream = Stream("ada", "s1", buffer_size=1)
    stream.offer(LiveEvent("read", {}))
    stream.offer(LiveEvent("read", {}))
    stream.close("session_revoked")
    assert stream.next(0.01) == LiveEvent("read", {})
    assert stream.next(0.01) is CLOSE


def test_frames_are_single_line_json():
    frame = sse_frame("message", {"text": "two\nlines"}, "b-1").decode()
    assert frame == 'id: b-1\nevent: message\ndata: {"text":"two\\nlines"}\n\n'
    assert json.loads(frame.split("data: ")[1])


def test_openapi_documents_the_stream():
    operation = build_spec(GatewayService)["paths"]["/api/v1/me/events"]["get"]
    assert "text/event-stream" in operation["responses"]["200"]["content"]
    assert {"401", "503"} <= set(operation["responses"])
    assert "429" not in operation["responses"]   # a member's extra stream ends their oldest
