"""An erased member is notified of nothing any more: what they followed, watched, muted and
voted for goes with the tombstone, and a follow or vote of theirs applied after it (another
source's stream runs behind identity's; a replay applies each source in turn) keeps no row
and makes no notification either, because their preferences became a marker no later event
overwrites."""
import uuid

import pytest

from services.notifications.projections import MEMBER_FIELDS

from .events import received

pytestmark = pytest.mark.integration


def member() -> str:
    return f"m-{uuid.uuid4().hex[:8]}"


def published(runner, author: str) -> str:
    post = f"p-{uuid.uuid4().hex[:8]}"
    runner.record_and_apply(received("posts.post_published", post, 1, {
        "post_id": post, "kind": "discussion", "author_id": author, "title": "Épargne",
        "body": "Un nouveau livret ?", "revision": 1}))
    return post


def followed(runner, follower: str, followee: str, version: int = 1):
    runner.record_and_apply(received("feeds.member_followed", f"follows-{follower}", version,
                                     {"member_id": follower, "user_id": followee}))


def notified(runner, reader: str, post: str) -> bool:
    return runner.rm["inbox"].count_documents({"member_id": reader, "post_id": post}) == 1


def test_an_erased_member_keeps_no_relation_and_is_notified_of_nothing(runner):
    ada, bob, cyd = member(), member(), member()
    followed(runner, ada, bob)
    followed(runner, cyd, bob)
    post = published(runner, bob)
    assert notified(runner, ada, post) and notified(runner, cyd, post)
    for event_type, payload in (("feeds.post_watched", {"post_id": post, "member_id": ada}),
                                ("feeds.thread_muted", {"post_id": post, "member_id": ada}),
                                ("posts.post_voted", {"post_id": post, "voter_id": ada})):
        runner.record_and_apply(received(event_type, f"{event_type}-{ada}", 1, payload))
    assert all(runner.rm[collection].count_documents({field: ada})
               for collection, field in MEMBER_FIELDS.items())

    runner.record_and_apply(received("identity.user_erased", ada, 1, {"user_id": ada}))
    for collection, field in MEMBER_FIELDS.items():
        assert runner.rm[collection].count_documents({field: ada}) == 0, collection
    assert runner.rm["inbox"].count_documents({"member_id": ada}) == 0
    # a follow and a vote of hers applied late keep no row, then a post she would be told of
    followed(runner, ada, bob, version=2)
    runner.record_and_apply(received("posts.post_voted", f"late-vote-{ada}", 1,
                                     {"post_id": post, "voter_id": ada}))
    for collection, field in MEMBER_FIELDS.items():
        assert runner.rm[collection].count_documents({field: ada}) == 0, collection
    later = published(runner, bob)
    assert notified(runner, cyd, later)
    assert runner.rm["inbox"].count_documents({"member_id": ada}) == 0
    # a preferences event of hers applied late does not bring the preferences back
    runner.record_and_apply(received("notifications.preferences_changed", f"prefs-{ada}", 3, {
        "member_id": ada, "types": {"followed_activity": ["in_app"]}}))
    assert runner.rm["prefs"].find_one({"_id": ada})["erased"] is True
    assert notified(runner, cyd, published(runner, bob))
    assert runner.rm["inbox"].count_documents({"member_id": ada}) == 0
