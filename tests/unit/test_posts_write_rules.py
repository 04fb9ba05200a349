"""Posts' rules found by an attacker's review (issue s25: F3, F9, F10), without infrastructure:
staff-only categories (the team's announcements), a 404 for whoever may not read a text, on every
command taking its id, and a self-vote refusal that speaks of the reply voted for."""
import pytest

from services.posts import demo, domain
from services.posts.schemas import CategoryCreateSchema, CategoryEditSchema, PostCreateSchema
from services.shared.errors import Forbidden, NotFound, Unprocessable
from services.shared.payloads import REGISTRY

from .streams import ADVISOR, AUTHOR, CM, OTHER, POST, Stream, published_post, submitted

pytestmark = pytest.mark.unit

ADMIN = {"id": "u-admin", "roles": ["member", "admin"]}
NEWS = {**POST, "kind": "discussion", "category": "news"}


def reply_to(post_stream, actor, reply_id):
    stream = Stream(reply_id)
    submission = domain.submit_reply(actor, post_stream.state, {"body": "A reply"}, reply_id)
    stream.append(submission.public)
    stream.append(domain.on_review(stream.state, "approved", "content", 1,
                                   content=submission.content[0].payload))
    return stream


# -- F3: staff-only categories ---------------------------------------------------------------

def test_only_community_managers_and_admins_start_a_post_in_a_staff_only_category():
    data = PostCreateSchema().load(NEWS)
    for writer in (AUTHOR, ADVISOR):  # an advisor is staff, but does not speak for the team
        with pytest.raises(Forbidden) as refused:
            domain.submit_post(writer, data, "p1", staff_only=True)
        assert refused.value.catalogue["key"] == "category_staff_only"
        assert refused.value.details["fields"]["category"] == [
            "only community managers and admins post in the category 'news'"]
    for writer in (CM, ADMIN):
        assert domain.submit_post(writer, data, "p1", staff_only=True).public
    assert domain.submit_post(AUTHOR, data, "p1").public  # an open category
    assert domain.may_post_in(AUTHOR, False) and not domain.may_post_in(AUTHOR, True)
    assert domain.may_post_in(CM, True) and not domain.may_post_in(None, True)


def test_a_member_cannot_move_a_post_into_a_staff_only_category_but_keeps_editing_there():
    post = published_post()
    with pytest.raises(Forbidden):
        domain.submit_edit(AUTHOR, post.state, {"category": "news"}, staff_only=True)
    assert domain.submit_edit(CM, post.state, {"category": "news"}, staff_only=True).public
    # a category restricted after the post was filed under it: its author still edits it
    assert domain.submit_edit(AUTHOR, post.state, {"body": "Corrected", "category": "cards"},
                              staff_only=True).public


def test_categories_carry_their_staff_only_setting_and_older_events_read_as_open():
    created = CategoryCreateSchema().load({"name": {"fr": "Actualités", "en": "News"},
                                           "staff_only": True})
    [event] = domain.create_category(ADMIN, None, "news", created, 0)
    assert event.payload["staff_only"] is True
    stream = Stream(domain.category_stream("news"))
    stream.append([event])
    state = domain.fold_category(stream.events)
    assert state["staff_only"] is True
    assert domain.create_category(ADMIN, state, "news", created, 0) == []  # the same again
    [opened] = domain.update_category(ADMIN, state, "news",
                                      CategoryEditSchema().load({"staff_only": False}))
    assert opened.type == "posts.category_updated" and opened.payload["staff_only"] is False
    assert CategoryCreateSchema().load({"name": {"fr": "x", "en": "x"}})["staff_only"] is False
    for event_type in ("posts.category_created", "posts.category_updated"):
        version, payload = REGISTRY.upcast(event_type, 1, {
            "slug": "cards", "name": {"fr": "Cartes", "en": "Cards"},
            "description": {"fr": "", "en": ""}, "position": 0, "by": "u-admin"})
        assert version == 2 and payload["staff_only"] is False


def test_the_demo_keeps_its_news_category_for_the_team():
    sent = []

    class CategoriesDone(Exception):
        pass

    class Seeding:
        """The demo's API client, up to the first post (categories come first)."""

        def post(self, path, json=None, **kwargs):
            if path != "/api/v1/categories":
                raise CategoriesDone
            sent.append(json)

    with pytest.raises(CategoriesDone):
        demo.seed(Seeding())
    assert {category["slug"] for category in sent if category["staff_only"]} == {"news"}
    assert len(sent) == len(demo.CATEGORIES)


# -- F9: whoever may not read a text gets the 404 of its GET -----------------------------------

def test_someone_elses_held_text_answers_404_to_every_command():
    held, _ = submitted(post_id="p7")  # pending or held: nobody but its author and the CMs
    refusals = [
        lambda: domain.submit_edit(OTHER, held.state, {"body": "x"}),
        lambda: domain.delete(OTHER, held.state),
        lambda: domain.vote(OTHER, held.state, domain.VoteState(), True),
        lambda: domain.vote(OTHER, held.state, domain.VoteState(), False),
        lambda: domain.submit_reply(OTHER, held.state, {"body": "x"}, "r7"),
        lambda: domain.accept_answer(OTHER, held.state, domain.Contribution(id="r1")),
    ]
    for refused in refusals:
        with pytest.raises(NotFound) as found:
            refused()
        assert found.value.catalogue["key"] == "no_such_post"
        assert found.value.details == {"id": "p7"}
    # its author and the CMs are still told what the state allows
    with pytest.raises(Unprocessable):
        domain.vote(CM, held.state, domain.VoteState(), True)
    assert domain.delete(AUTHOR, held.state)


def test_a_held_reply_cannot_be_found_through_the_question_it_answers():
    question = published_post(post_id="p8")
    pending = Stream("r8")
    pending.append(domain.submit_reply(OTHER, question.state, {"body": "x"}, "r8").public)
    with pytest.raises(NotFound):  # the question's author cannot read it yet
        domain.accept_answer(AUTHOR, question.state, pending.state)
    with pytest.raises(NotFound) as found:
        domain.delete(AUTHOR, pending.state)
    assert found.value.catalogue["key"] == "no_such_reply"
    with pytest.raises(Unprocessable):  # a CM sees it, and that it waits
        domain.accept_answer(CM, question.state, pending.state)


# -- F10: voting for one's own reply --------------------------------------------------------------

def test_voting_for_ones_own_reply_says_so_without_speaking_of_ideas():
    reply = reply_to(published_post(post_id="p9"), OTHER, "r9")
    with pytest.raises(Unprocessable) as refused:
        domain.vote(OTHER, reply.state, domain.VoteState(), True)
    assert refused.value.catalogue["key"] == "vote_own_reply"
    assert refused.value.message == "you cannot vote for your own reply"
