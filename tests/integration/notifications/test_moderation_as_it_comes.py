"""Moderation's streams are applied as they come in notifications (no stream cursor): an item's
events notify whatever their order, however often they are applied, and whether the item's
other events (a hold, a flag: nothing for notifications) ever arrive; a replay rebuilds the
same inbox."""
import uuid

import pytest

from services.notifications.projections import VIEWS, unread_counts
from services.shared.projections import replay

from .events import received

pytestmark = pytest.mark.integration


class ReviewedPost:
    """A published post whose item stream (moderation) was held, approved by a CM, flagged,
    then rejected: versions 1 to 4."""

    def __init__(self):
        tag = uuid.uuid4().hex[:8]
        self.post, self.author, self.item = f"p-{tag}", f"m-{tag}", f"item-{tag}"

    def published(self):
        return received("posts.post_published", self.post, 1, {
            "post_id": self.post, "kind": "question", "author_id": self.author,
            "title": "Mon virement", "body": "Texte", "revision": 1})

    def decision(self, decision: str, version: int, **extra):
        return received(f"moderation.item_{decision}", self.item, version, {
            "item_id": self.item, "review": "content", "target_type": "post",
            "target_id": self.post, "post_id": self.post, "revision": 1,
            "author_id": self.author, **extra})

    def approved(self):
        return self.decision("approved", 2, auto=False)

    def rejected(self):
        """After the flags (a content review's rejection is told once posts applied it:
        tests/integration/notifications/test_verdict_notices.py)."""
        return self.decision("rejected", 4, review="flags", reason_code="off_topic",
                             reason="Hors sujet")


def decisions(runner, post: ReviewedPost) -> list[str]:
    return sorted(doc["decision"] for doc in runner.rm["inbox"].find(
        {"member_id": post.author, "event_type": {"$regex": "^moderation"}}))


@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("rejection_first", [False, True])
def test_an_items_decisions_notify_in_any_order_once_without_their_streams_earlier_events(
        runner, batched, rejection_first):
    post = ReviewedPost()
    runner.record_and_apply(post.published())
    approved, rejected = post.approved(), post.rejected()
    events = [rejected, approved] if rejection_first else [approved, rejected]
    for _ in range(2):  # every event delivered twice
        if batched:
            runner.record_and_apply_all(events)
        else:
            for event in events:
                runner.record_and_apply(event)
    # versions 1 and 3 (the hold, a flag) never came: nothing waited for them
    assert decisions(runner, post) == ["approved", "rejected"]
    assert unread_counts(runner.rm, [post.author]) == {post.author: 2}
    assert runner.rm[VIEWS.cursors].find_one({"_id": f"moderation:{post.item}"}) is None
    before = list(runner.rm["inbox"].find({"member_id": post.author}).sort("_id", 1))
    replay(runner.store, VIEWS, quiesce_seconds=0.6)
    assert list(runner.rm["inbox"].find({"member_id": post.author}).sort("_id", 1)) == before
    assert unread_counts(runner.rm, [post.author]) == {post.author: 2}


def test_an_automatic_approval_changes_nothing_and_leaves_no_cursor(runner):
    post = ReviewedPost()
    runner.record_and_apply(post.published())
    runner.record_and_apply(post.decision("approved", 1, auto=True))
    assert decisions(runner, post) == []
    assert runner.rm[VIEWS.cursors].find_one({"_id": f"moderation:{post.item}"}) is None


@pytest.mark.parametrize("batched", [False, True])
def test_what_notifications_does_not_use_is_not_recorded_and_what_it_uses_is(
        runner, batched):
    """A hold, a flag round's approval, an automatic approval (another item): nothing here
    uses them, so the log does not keep them (two commands each: the position, the insert);
    a CM's approval and rejection are kept (what a replay applies)."""
    post, other = ReviewedPost(), ReviewedPost()
    runner.record_and_apply(post.published())
    unused = [post.decision("held", 1, reasons=["policy"], policy_rules=["new_member"],
                            detector_kinds=[], flag_count=0),
              post.decision("approved", 3, auto=False, review="flags"),
              other.decision("approved", 1, auto=True)]
    used = [post.approved(), post.rejected()]
    if batched:
        runner.record_and_apply_all(unused + used)
    else:
        for event in unused + used:
            runner.record_and_apply(event)
    recorded = [event.id for item in (post.item, other.item)
                for event in runner.store.load(f"moderation:{item}")]
    assert sorted(recorded) == sorted(event.id for event in used)
    assert decisions(runner, post) == ["approved", "rejected"]
