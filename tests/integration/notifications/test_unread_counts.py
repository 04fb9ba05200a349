"""The member's unread count (a document of the inbox), kept by notifications' projection: always
the number of their unread notifications in the inbox — as notifications are created and read,
when events are applied again (redelivered, or after a crash between two writes), by batches,
and after a replay rebuilt it."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import MongoClient

from services.notifications.delivery import Deliveries, DeliverySettings
from services.notifications.projections import (
    HELD,
    VIEWS,
    count_id,
    move_unread_counts,
    release_held,
    unread_count,
    unread_counts,
)
from services.shared.envelope import CommandContext, Envelope, NewEvent
from services.shared.event_store import EventStore
from services.shared.projections import BufferedReadModels, ProjectionRunner, replay
from tests.commands import CommandLog
from tests.conftest import MONGO_URI

from .events import received

pytestmark = pytest.mark.integration


class Conversation:
    """Private messages between `members`: each one notifies every member but its author."""

    def __init__(self, members: list[str]):
        self.members, self.id, self.version = members, f"c-{uuid.uuid4().hex[:8]}", 0

    def message(self, author: str, ago: timedelta = timedelta(0)) -> Envelope:
        self.version += 1
        return received("conversations.message_posted", self.id, self.version, {
            "conversation_id": self.id, "author_id": author, "participant_ids": self.members,
            "message_id": uuid.uuid4().hex}, ago)


def read(runner, member: str, ids: list[str] | None = None):
    """The member marks `ids`, or everything until now, read (their own event, applied)."""
    store, stream = runner.store, f"inbox.{member}"
    payload = {"member_id": member, "ids": ids or [],
               "up_to_ts": None if ids else int(datetime.now(UTC).timestamp() * 1_000_000)}
    commit = store.append(stream, store.stream_version(stream),
                          [NewEvent("notifications.marked_read", payload)], CommandContext())
    runner.apply_commit(commit)
    return commit.events[0]


def truth(runner, member: str) -> int:
    return runner.rm["inbox"].count_documents({"member_id": member, "read": False})


def assert_counts_right(runner, members: list[str]) -> None:
    assert unread_counts(runner.rm, members) == {m: truth(runner, m) for m in members}


def test_the_count_follows_notifications_created_read_one_by_one_and_all_read(runner):
    ana, bob, cyd = (f"m-{uuid.uuid4().hex[:6]}" for _ in range(3))
    talk = Conversation([ana, bob, cyd])
    for author in (ana, ana, bob, ana):
        runner.record_and_apply(talk.message(author))
    assert unread_counts(runner.rm, [ana, bob, cyd]) == {ana: 1, bob: 3, cyd: 4}
    bobs = [doc["_id"] for doc in runner.rm["inbox"].find({"member_id": bob})]
    read(runner, bob, bobs[:1])
    read(runner, bob, bobs[:2])  # the first one again: only the second counts
    assert unread_count(runner.rm, bob) == 1
    read(runner, cyd)
    assert unread_counts(runner.rm, [ana, bob, cyd]) == {ana: 1, bob: 1, cyd: 0}
    runner.record_and_apply(talk.message(ana))
    assert unread_counts(runner.rm, [bob, cyd]) == {bob: 2, cyd: 1}
    assert_counts_right(runner, [ana, bob, cyd])
    assert runner.rm["inbox"].count_documents({"queued": HELD}) == 0  # all given to delivery


def test_events_applied_again_count_once(runner):
    """A redelivered event, or one applied again because its applier crashed before the
    stream's cursor moved (its handler runs twice), changes nothing the second time."""
    ana, bob = f"m-{uuid.uuid4().hex[:6]}", f"m-{uuid.uuid4().hex[:6]}"
    talk = Conversation([ana, bob])
    first, second = talk.message(ana), talk.message(ana)
    for event in (first, second, first, second):  # redelivered: the cursor skips them
        runner.record_and_apply(event)
    notify = VIEWS.handlers_for(first.type)
    notify(runner.rm, second)  # the handler itself again: a crash before the cursor moved
    assert unread_count(runner.rm, bob) == 2
    everything = read(runner, bob)
    VIEWS.handlers_for(everything.type)(runner.rm, everything)
    assert unread_count(runner.rm, bob) == 0
    assert_counts_right(runner, [ana, bob])


def test_an_events_notifications_and_their_counts_are_one_command(runner):
    """An applier that dies sends all of it or nothing: no notification is ever left without
    its count (an earlier version inserted them held, counted them, then released them)."""
    listener = CommandLog(runner.store.db.name)
    client = MongoClient(MONGO_URI, tz_aware=True, event_listeners=[listener])
    try:
        store = EventStore(client[runner.store.db.name], "notifications")
        members = [f"m-{uuid.uuid4().hex[:6]}" for _ in range(4)]
        event = Conversation(members).message(members[0])
        VIEWS.handlers_for(event.type)(ProjectionRunner(VIEWS, store).rm, event)
    finally:
        client.close()
    assert listener.writes() == [("update", "inbox")]
    assert unread_counts(runner.rm, members) == {members[0]: 0, **{m: 1 for m in members[1:]}}
    assert runner.rm["inbox"].count_documents({"member_id": {"$in": members},
                                               "queued": False}) == 3


def test_a_notification_an_earlier_version_left_held_is_counted_once(runner):
    """An earlier version inserted a notification held and died before counting it: the event
    applied again counts it once, and delivery releases it without counting it again."""
    ana, bob = f"m-{uuid.uuid4().hex[:6]}", f"m-{uuid.uuid4().hex[:6]}"
    talk = Conversation([ana, bob])
    event = talk.message(ana)
    runner.store.record_received(event)
    VIEWS.handlers_for(event.type)(runner.rm, event)
    notification = runner.rm["inbox"].find_one({"member_id": bob})
    # as the crashed applier left it: inserted, held, not counted
    runner.rm["inbox"].update_one({"_id": notification["_id"]}, {"$set": {"queued": HELD}})
    runner.rm["inbox"].delete_one({"_id": count_id(bob)})
    assert unread_count(runner.rm, bob) == 0
    assert runner.record_and_apply(event) == 1  # the cursor had not moved: applied again
    assert unread_count(runner.rm, bob) == 1
    assert release_held(runner.rm, before_ts=notification["ts"] + 1) == 1  # delivery's
    assert unread_count(runner.rm, bob) == 1
    assert runner.rm["inbox"].find_one({"_id": notification["_id"]})["queued"] is False


def test_what_stays_held_is_counted_and_released_by_delivery(runner):
    """The event applied again after such a crash may no longer notify that member (an
    unfollow came in between): delivery's pass counts and releases what waits held."""
    ana, bob = f"m-{uuid.uuid4().hex[:6]}", f"m-{uuid.uuid4().hex[:6]}"
    runner.rm["inbox"].insert_one({
        "_id": f"left-{uuid.uuid4().hex}", "member_id": bob, "event_id": uuid.uuid4().hex,
        "type": "private_message", "read": False, "queued": HELD, "channels": {},
        "ts": int((datetime.now(UTC) - timedelta(minutes=5)).timestamp() * 1_000_000)})
    announced = []
    deliveries = Deliveries(runner.store.db, DeliverySettings(), None,
                            announce=lambda kind, data: announced.append(data))
    deliveries.pass_once()
    assert unread_count(runner.rm, bob) == 1
    assert runner.rm["inbox"].count_documents({"member_id": bob, "queued": True}) == 1
    assert announced[-1]["members"][bob]["unread"] == 1  # the live hint carries the count
    deliveries.pass_once()  # nothing left held: nothing counted twice
    assert unread_count(runner.rm, bob) == 1
    assert_counts_right(runner, [ana, bob])


def test_a_late_notification_read_by_a_reapplied_read_all_is_taken_off_once(runner):
    """"Everything read until now" applied again after a crash also marks a notification
    older than that moment that arrived in between: the count loses that one, not more."""
    ana, bob = f"m-{uuid.uuid4().hex[:6]}", f"m-{uuid.uuid4().hex[:6]}"
    talk, late = Conversation([ana, bob]), Conversation([ana, bob])
    runner.record_and_apply(talk.message(ana))
    everything = read(runner, bob)
    runner.record_and_apply(late.message(ana, ago=timedelta(minutes=1)))  # older than the read
    assert unread_count(runner.rm, bob) == 1
    VIEWS.handlers_for(everything.type)(runner.rm, everything)  # applied again
    VIEWS.handlers_for(everything.type)(runner.rm, everything)
    assert unread_count(runner.rm, bob) == 0
    assert_counts_right(runner, [ana, bob])


def test_a_mention_kept_by_an_edit_is_one_notification_counted_once(runner):
    author, zoe = f"m-{uuid.uuid4().hex[:6]}", f"m-{uuid.uuid4().hex[:6]}"
    runner.record_and_apply(received("identity.user_registered", zoe, 1, {
        "user_id": zoe, "display_name": "Zoé Mentionnée", "roles": ["member"]}))
    post = f"p-{uuid.uuid4().hex[:6]}"
    text = {"post_id": post, "kind": "question", "author_id": author, "title": "Virement",
            "body": f"Ask @{zoe}"}
    runner.record_and_apply(received("posts.post_published", post, 1, {**text, "revision": 1}))
    runner.record_and_apply(received("posts.post_edited", post, 2, {
        **text, "revision": 2, "body": f"Ask @{zoe}, really"}))
    assert unread_count(runner.rm, zoe) == 1
    assert_counts_right(runner, [zoe])


def test_a_batch_with_duplicates_counts_each_notification_once(runner):
    members = [f"m-{uuid.uuid4().hex[:6]}" for _ in range(4)]
    talks = [Conversation(members) for _ in range(3)]
    events = [talk.message(members[n % 4]) for n in range(3) for talk in talks]
    runner.record_and_apply_all(events[:5] + events[:2])
    runner.record_and_apply_all(events + events[4:6])
    assert_counts_right(runner, members)
    assert sum(unread_counts(runner.rm, members).values()) == 9 * 3


def test_in_a_batch_a_notification_and_its_count_go_together(runner):
    """A consumer's batch buffers the handlers' writes and sends each collection's in waves:
    a notification and its count go at once, outside the buffer, so that no wave can carry
    one without the other."""
    ana, bob = f"m-{uuid.uuid4().hex[:6]}", f"m-{uuid.uuid4().hex[:6]}"
    talk = Conversation([ana, bob])
    buffered = BufferedReadModels(runner.store.db)
    for event in (talk.message(ana), talk.message(ana)):  # bob's count written twice
        VIEWS.handlers_for(event.type)(buffered, event)
    notifications = list(runner.rm["inbox"].find({"member_id": bob}))  # the database, now
    assert [n["queued"] for n in notifications] == [False, False]
    assert unread_count(runner.rm, bob) == 2


def test_the_upgrade_moves_the_counts_into_the_inbox(runner):
    bob = f"m-{uuid.uuid4().hex[:6]}"
    runner.rm["unread"].insert_one({"_id": bob, "unread": 3, "_applied": ["n1", "n2", "n3"]})
    assert move_unread_counts(runner.rm) >= 1
    assert unread_count(runner.rm, bob) == 3
    assert runner.rm["unread"].count_documents({}) == 0
    assert move_unread_counts(runner.rm) == 0  # again: nothing left to move


def test_a_replay_rebuilds_the_same_counts(runner):
    members = [f"m-{uuid.uuid4().hex[:6]}" for _ in range(3)]
    talk = Conversation(members)
    for n in range(6):
        runner.record_and_apply(talk.message(members[n % 3]))
    read(runner, members[0], [runner.rm["inbox"].find_one({"member_id": members[0]})["_id"]])
    read(runner, members[1])
    before = unread_counts(runner.rm, members)
    assert before == {members[0]: 3, members[1]: 0, members[2]: 4}
    runner.rm["inbox"].update_one({"_id": count_id(members[2])}, {"$set": {"unread": 99}})
    replay(runner.store, VIEWS, quiesce_seconds=0.6)
    assert unread_counts(runner.rm, members) == before
    assert_counts_right(runner, members)
