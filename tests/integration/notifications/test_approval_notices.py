"""A CM's approval of a held post is announced to its author with the post's title, which
notifications knows once posts published it: whichever of the approval and the publication is
applied first, the author gets one notification — and a publication with no approval waiting
does not look for one."""
import uuid

import pytest

from services.notifications.projections import (
    UPGRADES,
    VIEWS,
    ensure_indexes,
    mark_waiting_approvals,
)
from services.shared.envelope import Envelope
from services.shared.projections import ReadModels

from .events import received

pytestmark = pytest.mark.integration


class HeldPost:
    def __init__(self):
        self.id, self.author = f"p-{uuid.uuid4().hex[:8]}", f"m-{uuid.uuid4().hex[:6]}"

    def approved(self, auto: bool = False) -> Envelope:
        return received("moderation.item_approved", f"item-{self.id}.r1", 1, {
            "target_type": "post", "target_id": self.id, "revision": 1, "auto": auto,
            "review": "content", "author_id": self.author, "post_id": self.id})

    def published(self) -> Envelope:
        return received("posts.post_published", self.id, 1, {
            "post_id": self.id, "kind": "question", "author_id": self.author,
            "title": "Mon virement", "body": "Texte", "revision": 1})


class Watched(ReadModels):
    """Read models that note which collections a handler used."""

    def __init__(self, rm: ReadModels):
        super().__init__(rm.db, rm.suffix)
        self.used: set[str] = set()

    def __getitem__(self, name: str):
        self.used.add(name)
        return super().__getitem__(name)


def approval_notices(runner, post: HeldPost) -> list[dict]:
    return list(runner.rm["inbox"].find({"member_id": post.author, "event_type":
                                         "moderation.item_approved"}))


@pytest.mark.parametrize("approval_first", [True, False])
def test_the_author_is_told_once_with_the_title_whichever_comes_first(runner, approval_first):
    post = HeldPost()
    approved, published = post.approved(), post.published()
    for event in (approved, published) if approval_first else (published, approved):
        VIEWS.handlers_for(event.type)(runner.rm, event)
    VIEWS.handlers_for(published.type)(runner.rm, published)  # applied again: nothing more
    [notice] = approval_notices(runner, post)
    assert notice["title"] == "Mon virement"
    assert runner.rm["approvals"].count_documents({}) == 0
    assert not runner.rm["posts"].find_one({"_id": post.id}).get("approved")


def test_a_publication_with_no_approval_waiting_does_not_look_for_one(runner):
    post = HeldPost()
    VIEWS.handlers_for("moderation.item_approved")(runner.rm, post.approved(auto=True))
    watched = Watched(runner.rm)
    VIEWS.handlers_for("posts.post_published")(watched, post.published())
    assert "approvals" not in watched.used
    assert approval_notices(runner, post) == []  # an automatic approval says nothing


def test_the_upgrade_marks_approvals_stored_before_the_marks(runner):
    post = HeldPost()
    approved = post.approved()
    runner.rm["approvals"].insert_one({"_id": f"{post.id}.r1", "event": approved.to_dict()})
    assert mark_waiting_approvals(runner.rm) == 1
    VIEWS.handlers_for("posts.post_published")(runner.rm, post.published())
    assert [n["title"] for n in approval_notices(runner, post)] == ["Mon virement"]


def test_agora_migrate_marks_old_approvals_once(runner):
    """`agora migrate` runs at every deployment: its upgrade step reads every approval, so it
    runs where there are approvals to convert, and only the first time."""
    db = runner.store.db
    ensure_indexes(db)  # a fresh database: nothing to convert, nothing read
    assert "approvals" not in db.list_collection_names()
    older, later = HeldPost(), HeldPost()
    for post in (older, later):
        runner.rm["approvals"].insert_one({"_id": f"{post.id}.r1",
                                           "event": post.approved().to_dict()})
    db[UPGRADES].delete_one({"_id": "approval-marks"})  # as in a database of the last release
    ensure_indexes(db)
    ensure_indexes(db)  # the next deployment's: already done
    for post in (older, later):
        VIEWS.handlers_for("posts.post_published")(runner.rm, post.published())
    assert [n["title"] for n in approval_notices(runner, older)] == ["Mon virement"]
    assert [n["title"] for n in approval_notices(runner, later)] == ["Mon virement"]
    stored_after = HeldPost()  # (only an old pod stores one unmarked: the runbook's replay)
    runner.rm["approvals"].insert_one({"_id": f"{stored_after.id}.r1",
                                       "event": stored_after.approved().to_dict()})
    ensure_indexes(db)  # does not read the approvals again
    VIEWS.handlers_for("posts.post_published")(runner.rm, stored_after.published())
    assert approval_notices(runner, stored_after) == []
