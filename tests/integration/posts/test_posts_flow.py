"""Posts through moderation: submit, publish, edit with history, delete; replies; visibility."""
import pytest
from nameko.exceptions import RemoteError

from ...conftest import wait_for
from .fixtures import IBAN, cm, held_item, member, new_post, published, reply_published

pytestmark = pytest.mark.integration


def test_a_clean_question_is_published_by_moderation_and_found_by_search(posts):
    author = member()
    created = new_post(posts, author, title="Plafond de carte à l'étranger",
                       body="Comment **augmenter** le plafond ?", tags=["voyage"])
    assert created["state"] == "pending"
    assert created["draft"]["title"] == "Plafond de carte à l'étranger"
    post = published(posts, created["id"])
    assert post["title"] == "Plafond de carte à l'étranger"
    assert post["body_html"] == "<p>Comment <strong>augmenter</strong> le plafond ?</p>"
    assert "draft" not in post and "review" not in post
    found = posts.list_posts(None, {"q": "PLAFOND etranger"})["items"]
    assert [item["id"] for item in found] == [created["id"]]
    assert posts.list_posts(None, {"q": "plafond inconnu"})["items"] == []


def test_a_pending_post_is_invisible_to_others(posts):
    author = member()
    created = new_post(posts, author, body=f"Mon IBAN est {IBAN}")
    with pytest.raises(RemoteError) as error:
        posts.get_post(member(), created["id"])
    assert error.value.exc_type == "NotFound"
    assert posts.get_post(author, created["id"])["state"] == "pending"
