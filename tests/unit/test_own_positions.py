"""What the relay may publish without reading the log (services/shared/own_positions.py):
only a run of positions all taken and stored by this process, within its bounds."""
from bson.codec_options import CodecOptions

from services.shared.own_positions import OwnPositions


def commit(position):
    return {"_id": f"c{position}", "position": position, "stream_id": "s", "pending": True,
            "events": [{"id": f"e{position}", "payload": {"cents": position}}]}


def test_a_run_of_own_stored_positions_gives_its_pending_commits_in_order():
    positions = OwnPositions(CodecOptions())
    positions.taken(1, 3)
    for at, pending in ((3, True), (1, True), (2, False)):
        positions.stored(commit(at), pending)
    assert [c["_id"] for c in positions.pending_after(0, limit=10)] == ["c1", "c3"]
    assert [c["_id"] for c in positions.pending_after(0, limit=1)] == ["c1"]
    assert positions.pending_after(1, limit=10) == [
        {"_id": "c3", "position": 3, "events": commit(3)["events"]}]  # what the relay reads
    assert positions.pending_after(3, limit=10) == []  # nothing of ours after it


def test_a_position_taken_and_not_stored_here_is_not_known():
    positions = OwnPositions(CodecOptions())
    positions.taken(1, 1)
    positions.taken(3, 1)  # 2: another process's
    positions.stored(commit(1), True)
    positions.stored(commit(3), True)
    assert positions.pending_after(0, limit=10) is None
    assert [c["_id"] for c in positions.pending_after(2, limit=10)] == ["c3"]
    positions.taken(4, 1)  # taken, its insert not answered yet
    assert positions.pending_after(2, limit=10) is None


def test_published_positions_are_forgotten_and_memory_is_bounded():
    positions = OwnPositions(CodecOptions(), kept=3)
    positions.taken(1, 3)
    for at in (1, 2, 3):
        positions.stored(commit(at), True)
    positions.forget_up_to(2)
    assert [c["_id"] for c in positions.pending_after(2, limit=10)] == ["c3"]
    assert positions.pending_after(1, limit=10) is None  # 2 forgotten
    positions.taken(4, 3)
    for at in (4, 5, 6):  # past `kept`: what was held is dropped, the relay reads
        positions.stored(commit(at), True)
    assert positions.pending_after(2, limit=10) is None
    assert positions.pending_after(0, limit=10) is None  # more than `kept` positions to cover
    positions.forget_up_to(float("inf"))
    assert positions.pending_after(5, limit=10) is None
