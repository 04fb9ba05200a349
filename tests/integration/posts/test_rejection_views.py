"""A verdict as its author reads it: the document first, then the draft hanging on it
(queries.post). Whoever sees the rejection on the document must find the text given back — so
the projection writes the draft before the document (a read between the two writes, the other
way round, showed a returned draft beside the "held" badge; seen once in a whole-suite run).
Whoever finds the draft of a published text gone must find the document showing it — so the
publication deletes the draft after the document, and the author's read of a document still
pending without its draft reads it again (the other way round, the author read their new post
with neither text nor draft; seen once in a whole-suite run)."""
import pytest

from services.posts import domain, presenters
from services.posts.projections import VIEWS
from services.posts.queries import PostsQueries
from services.shared.envelope import CommandContext
from services.shared.event_store import len_version
from services.shared.projections import ProjectionRunner

from ...commands import CommandLog
from .fixtures import IBAN, member

pytestmark = pytest.mark.integration


@pytest.fixture
def views(logged_store):
    store, writes = logged_store("posts")
    runner = ProjectionRunner(VIEWS, store)
    VIEWS.ensure_indexes(runner.rm)
    return runner, writes


def _written(log: CommandLog) -> list[str | None]:
    return [collection for _, collection in log.writes()]


def _submitted(runner, stream_id, submission, version):
    commits = runner.store.append_all([
        (stream_id, version, submission.public),
        (domain.content_stream(submission.target_id, submission.revision), 0,
         submission.content)], CommandContext())
    runner.apply_commits(commits)


def _verdict(runner, post_id, verdict, revision, **extra):
    def decide(history):
        return domain.on_review(domain.fold(history), verdict, "content", revision, **extra)
    commit = runner.store.execute(post_id, decide, CommandContext())
    runner.apply_commit(commit)
    return commit


def _post(author):
    post_id = domain.new_post_id()
    return post_id, domain.submit_post(author, {
        "kind": "question", "title": "Plafond de ma carte", "body": f"Mon compte {IBAN}",
        "category": "cards", "tags": []}, post_id)


def test_a_rejected_edit_gives_its_draft_back_before_the_post_shows_the_rejection(views):
    runner, writes = views
    author = member()
    post_id, submission = _post(author)
    _submitted(runner, post_id, submission, 0)
    first = runner.store.load(domain.content_stream(post_id, 1))[0].payload
    _verdict(runner, post_id, "approved", 1, content=first)
    history = runner.store.load(post_id)
    _submitted(runner, post_id,
               domain.submit_edit(author, domain.fold(history), {"body": f"Et {IBAN}"}),
               len_version(history))

    writes.clear()
    commit = _verdict(runner, post_id, "rejected", 2, reason_code="confidential_data")

    assert [event.type for event in commit.events] == ["posts.post_edit_rejected"]
    assert _written(writes).index("drafts") < _written(writes).index("posts"), writes.pairs()
    doc = runner.rm["posts"].find_one({"_id": post_id})
    assert doc["pending_edit"]["state"] == "rejected"
    draft = runner.rm["drafts"].find_one({"_id": domain.content_stream(post_id, 2)})
    assert draft["returned"] is True and IBAN not in draft["body"]


def test_a_rejected_post_gives_its_draft_back_before_it_shows_rejected(views):
    runner, writes = views
    post_id, submission = _post(member())
    _submitted(runner, post_id, submission, 0)

    writes.clear()
    _verdict(runner, post_id, "rejected", 1, reason_code="confidential_data")

    assert _written(writes).index("drafts") < _written(writes).index("posts"), writes.pairs()
    assert runner.rm["posts"].find_one({"_id": post_id})["state"] == "rejected"
    assert runner.rm["drafts"].find_one({"_id": domain.content_stream(post_id, 1)})["returned"]


def test_a_late_submitted_text_never_replaces_the_masked_draft_given_back(views):
    """The text's own event applied after the draft was given back (its writer died before
    applying it, and the subscription brings it late): the masked text stays."""
    runner, _ = views
    post_id, submission = _post(member())
    commits = runner.store.append_all([
        (post_id, 0, submission.public),
        (domain.content_stream(post_id, 1), 0, submission.content)], CommandContext())
    runner.apply_commit(commits[0])  # the announcement only; the text waits
    _verdict(runner, post_id, "rejected", 1, reason_code="confidential_data")
    runner.rm["posts"].update_one({"_id": post_id}, {"$unset": {"rejection": ""}})  # the look
    runner.apply_commit(commits[1])  # ... saw no rejection: the write must still not replace it

    draft = runner.rm["drafts"].find_one({"_id": domain.content_stream(post_id, 1)})
    assert draft["returned"] is True and IBAN not in draft["body"]


def _approved(runner, post_id, revision=1):
    content = runner.store.load(domain.content_stream(post_id, revision))[0].payload
    return _verdict(runner, post_id, "approved", revision, content=content)


def test_a_published_text_s_draft_goes_after_the_document_shows_it(views):
    runner, writes = views
    post_id, submission = _post(member())
    _submitted(runner, post_id, submission, 0)

    writes.clear()
    _approved(runner, post_id)

    written = _written(writes)
    assert written.index("history") < written.index("posts") < written.index("drafts"), \
        writes.pairs()
    assert runner.rm["posts"].find_one({"_id": post_id})["state"] == "published"
    assert runner.rm["drafts"].find_one({"target_id": post_id}) is None


def test_the_author_reading_before_the_publication_and_after_its_draft_went_sees_the_text(views):
    """The document read pending, then the draft read once the publication deleted it: the
    document is read again and shows the text — the draft's going implies it."""
    runner, _ = views
    author = member()
    post_id, submission = _post(author)
    _submitted(runner, post_id, submission, 0)
    queries = PostsQueries(runner.rm)
    stale = queries.doc("posts", post_id, author)
    assert stale["state"] == "pending" and queries._draft(stale, author) is not None
    _approved(runner, post_id)
    draft = queries._draft(stale, author)
    assert draft is None

    seen = presenters.post(queries._after_publication("posts", stale, draft, author), author,
                           draft=draft)
    assert seen["state"] == "published" and seen["title"] == "Plafond de ma carte"
    # anyone else, or a draft still there, takes the document as it was read
    assert queries._after_publication("posts", stale, draft, member()) is stale
    assert queries._after_publication("posts", stale, {"revision": 1}, author) is stale


def test_a_draft_at_the_revision_the_document_shows_is_not_shown(views):
    """Between the publication's document and its draft's deletion, the author sees the text
    once: published, without the same revision again as a draft."""
    runner, _ = views
    author = member()
    post_id, submission = _post(author)
    _submitted(runner, post_id, submission, 0)
    draft = runner.rm["drafts"].find_one({"target_id": post_id})
    _approved(runner, post_id)
    doc = runner.rm["posts"].find_one({"_id": post_id})

    assert "draft" not in presenters.post(doc, author, draft=draft)
    newer = {**draft, "revision": 2, "body": "Une modification"}
    assert presenters.post(doc, author, draft=newer)["draft"]["revision"] == 2


class _RefusedBetweenReads:
    """The read models, but the refusal lands just before the author's list reads its refused
    texts — after it read those waiting (seen once in a whole-suite run)."""

    def __init__(self, rm, refuse):
        self.rm, self.refuse = rm, refuse

    def __getitem__(self, name):
        collection, refuse = self.rm[name], self._once

        class Reads:
            def find(self, condition, *args, **kwargs):
                if condition.get("state") == "rejected":
                    refuse()
                return collection.find(condition, *args, **kwargs)

            def __getattr__(self, attribute):
                return getattr(collection, attribute)
        return Reads()

    def _once(self):
        refuse, self.refuse = self.refuse, lambda: None
        refuse()


def test_a_text_refused_while_its_author_s_list_is_read_is_listed_refused_only(views):
    runner, _ = views
    author = member()
    post_id, submission = _post(author)
    _submitted(runner, post_id, submission, 0)
    queries = PostsQueries(_RefusedBetweenReads(runner.rm, lambda: _verdict(
        runner, post_id, "rejected", 1, reason_code="confidential_data")))

    found = queries.waiting(author)

    assert [text["id"] for text in found["refused_posts"]] == [post_id]
    assert found["posts"] == []
