"""A CM's refusal or redaction of a held text is told to its author once posts applied it: posts
ignores a verdict about a revision its author corrected since (never published), and the
author must not read of a refusal or a publication that never happened. Moderation's event and
posts' outcome come in any order; whichever is applied second tells the author, once — on
replay too. A flag round's verdict is told at once, as before."""
import uuid

import pytest

from services.notifications.projections import VIEWS, unread_counts
from services.shared.projections import replay

from .events import received

pytestmark = pytest.mark.integration

REASON = {"reason_code": "off_topic", "reason": "Hors sujet"}


class HeldText:
    """A post or a reply (`target`) waiting for moderation: its stream (posts) numbered as
    posts numbers it, and moderation's verdicts about its revisions."""

    def __init__(self, target: str = "post"):
        tag = uuid.uuid4().hex[:8]
        self.target, self.author = target, f"m-{tag}"
        self.post, self.id = f"p-{tag}", f"p-{tag}" if target == "post" else f"r-{tag}"
        self.version = 0  # of the text's stream in posts

    def _ref(self) -> dict:
        if self.target == "post":
            return {"post_id": self.post, "author_id": self.author, "kind": "question",
                    "category": "cartes", "tags": []}
        return {"reply_id": self.id, "post_id": self.post, "post_author_id": "m-asker",
                "post_kind": "question", "author_id": self.author, "kind": "answer",
                "official": False}

    def posts(self, step: str, **payload):
        """posts' `posts.<target>_<step>`, the next event of the text's stream."""
        self.version += 1
        return received(f"posts.{self.target}_{step}", self.id, self.version,
                        {**self._ref(), **payload})

    def submitted(self):
        return self.posts("submitted", revision=1, staff_role=None)

    def corrected(self, revision: int = 2):
        return self.posts("corrected", revision=revision, editor_id=self.author,
                          replaces_revision=revision - 1)

    def rejected(self, revision: int = 1):
        return self.posts("rejected", revision=revision, reason_code=REASON["reason_code"])

    def published(self, revision: int = 1, redacted: bool = True):
        text = {"title": "Mon IBAN ***"} if self.target == "post" else {}
        return self.posts("published", revision=revision, body="Texte masqué",
                          redacted=redacted, **text, **({"official": False}
                                                       if self.target == "post" else {}))

    def verdict(self, decision: str, revision: int = 1, review: str = "content"):
        """moderation's `moderation.item_<decision>` about `revision`."""
        item = f"item-{self.id}.r{revision}"
        extra = REASON if decision == "rejected" else {
            "title": "Mon IBAN ***" if self.target == "post" else None, "body": "Texte masqué",
            "detector_kinds": ["iban"], "tags": None}
        return received(f"moderation.item_{decision}", item, 2, {
            "item_id": item, "review": review, "target_type": self.target,
            "target_id": self.id, "post_id": self.post, "revision": revision,
            "author_id": self.author, "submitted_by": self.author, **extra})

    def outcome(self, decision: str, revision: int = 1):
        """posts' outcome of that verdict."""
        return self.rejected(revision) if decision == "rejected" else \
            self.published(revision)


def told(runner, text: HeldText) -> list[tuple[str, str]]:
    """The author's moderation notices: (decision, the verdict's event id)."""
    return sorted((doc["decision"], doc["event_id"]) for doc in runner.rm["inbox"].find(
        {"member_id": text.author, "event_type": {"$regex": "^moderation"}}))


def waiting(runner, text: HeldText) -> int:
    return runner.rm["verdicts"].count_documents({"_id": {"$regex": f"^{text.id}\\."}})


def apply(runner, *events) -> None:
    for event in events:
        runner.record_and_apply(event)


@pytest.mark.parametrize("target", ["post", "reply"])
@pytest.mark.parametrize("decision", ["rejected", "redacted"])
@pytest.mark.parametrize("verdict_first", [True, False])
def test_the_author_is_told_once_posts_applied_the_verdict_whichever_comes_first(
        runner, target, decision, verdict_first):
    text = HeldText(target)
    apply(runner, text.submitted())
    verdict, outcome = text.verdict(decision), text.outcome(decision)
    apply(runner, verdict if verdict_first else outcome)
    assert told(runner, text) == []  # the verdict alone, or posts' outcome alone: not yet
    apply(runner, outcome if verdict_first else verdict)
    assert told(runner, text) == [(decision, verdict.id)]
    assert unread_counts(runner.rm, [text.author]) == {text.author: 1}
    assert waiting(runner, text) == 0  # nothing kept once told


@pytest.mark.parametrize("target", ["post", "reply"])
@pytest.mark.parametrize("decision", ["rejected", "redacted"])
def test_a_verdict_about_a_revision_corrected_since_tells_nothing(runner, target, decision):
    """The author corrected their waiting text (revision 2): posts ignores the CM's verdict
    about revision 1, so its author is not told of it; the verdict about revision 2 is told
    as usual once posts applied it."""
    text = HeldText(target)
    apply(runner, text.submitted(), text.corrected(2), text.verdict(decision, 1))
    assert told(runner, text) == []
    second = text.verdict(decision, 2)
    apply(runner, text.outcome(decision, 2), second)
    assert told(runner, text) == [(decision, second.id)]


@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("decision", ["rejected", "redacted"])
def test_both_events_applied_twice_tell_once_and_a_replay_rebuilds_the_same(
        runner, batched, decision):
    text, ignored = HeldText(), HeldText("reply")
    apply(runner, text.submitted(), ignored.submitted(), ignored.corrected(2))
    events = [text.verdict(decision), text.outcome(decision), ignored.verdict(decision, 1)]
    for _ in range(2):  # every event delivered twice
        if batched:
            runner.record_and_apply_all(events)
        else:
            apply(runner, *events)
    assert told(runner, text) == [(decision, events[0].id)]
    assert told(runner, ignored) == []
    assert unread_counts(runner.rm, [text.author]) == {text.author: 1}
    before = list(runner.rm["inbox"].find({"member_id": {"$in": [text.author, ignored.author]}})
                  .sort("_id", 1))
    replay(runner.store, VIEWS, quiesce_seconds=0.6)
    assert list(runner.rm["inbox"].find({"member_id": {"$in": [
        text.author, ignored.author]}}).sort("_id", 1)) == before
    assert unread_counts(runner.rm, [text.author]) == {text.author: 1}


@pytest.mark.parametrize("verdict_first", [True, False])
def test_a_flag_rounds_rejection_is_told_at_once_and_meets_posts_rejection(
        runner, verdict_first):
    """A flag round's verdict is about the visible text, which posts always has: told at once,
    as before; its rejection and posts' still meet, and leave nothing behind."""
    text = HeldText("reply")
    apply(runner, text.submitted(), text.published(1, redacted=False))
    verdict, outcome = text.verdict("rejected", 1, review="flags"), text.rejected(1)
    apply(runner, *([verdict, outcome] if verdict_first else [outcome, verdict]))
    assert told(runner, text) == [("rejected", verdict.id)]
    assert waiting(runner, text) == 0


def test_an_authors_publication_records_nothing(runner):
    """Publications not marked redacted (most of them, approved automatically) do not wait for
    a verdict: nothing is written for them."""
    text = HeldText()
    apply(runner, text.submitted(), text.published(1, redacted=False))
    assert waiting(runner, text) == 0
