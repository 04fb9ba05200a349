"""What the site's edit pages rely on to word their notice (gateway/web/pages/thread_actions.py:
an edit answered without `published_at` is said "sent again for review", its box saying published
or why it waits): posts takes the edit of a text never published as a text sent again whole —
after moderation refused it (its author or a CM), or while it still waits, being checked or held
(its author only: a CM's is refused, 422; a CM redacts it in the queue)."""
import pytest

from services.posts import domain
from services.shared.errors import Unprocessable

from .streams import AUTHOR, CM, published_post, submitted

pytestmark = pytest.mark.unit

TEXT = {"title": "Card limit abroad", "body": "How do I raise my limit?"}


def test_a_text_being_checked_or_held_is_corrected_by_its_author_not_edited_by_a_cm():
    stream, _ = submitted()
    # held for the community team: nothing changes in posts, the text stays pending
    assert domain.on_review(stream.state, "held", "content", 1) == []
    assert stream.state.state == "pending" and not stream.state.published_revision
    with pytest.raises(Unprocessable):
        domain.submit_edit(CM, stream.state, TEXT)
    assert [e.type for e in domain.submit_edit(AUTHOR, stream.state, TEXT).public] == [
        "posts.post_corrected"]


def test_an_edit_accepted_is_of_a_published_text_or_the_resubmission_of_a_refused_one():
    stream, _ = submitted()
    stream.append(domain.on_review(stream.state, "rejected", "content", 1, reason_code="spam"))
    assert [e.type for e in domain.submit_edit(AUTHOR, stream.state, TEXT).public] == [
        "posts.post_resubmitted"]
    published = published_post(post_id="p2").state
    assert published.published_revision == 1
    assert [e.type for e in domain.submit_edit(AUTHOR, published, TEXT).public] == [
        "posts.post_edit_submitted"]
