"""Posts: pure rules (no infrastructure) — submissions, moderation verdicts, authorization,
questions, ideas, votes, merges."""
import pytest

from services.posts import domain
from services.shared.envelope import NewEvent
from services.shared.errors import Forbidden, InvalidInput, NotFound, Unprocessable
from services.shared.event_store import EventStore  # noqa: F401 - registry import side effects
from services.shared.members import ERASED_MENTION
from services.shared.payloads import REGISTRY

from .streams import (
    ADVISOR,
    AUTHOR,
    CM,
    OTHER,
    POST,
    Stream,
    idea,
    publish,
    published_post,
    submitted,
)

pytestmark = pytest.mark.unit


# -- submitting and publishing ------------------------------------------------------------------

def test_a_submission_announces_publicly_without_text_and_carries_the_text_privately():
    stream, submission = submitted()
    [public] = submission.public
    assert public.type == "posts.post_submitted"
    assert "title" not in public.payload and "body" not in public.payload
    [content] = submission.content
    assert content.type == "posts.content_submitted" and REGISTRY.is_private(content.type)
    assert content.payload["body"] == "How do I raise it?"
    assert domain.content_stream("p1", 1) == "p1.r1"
    assert stream.state.state == "pending" and not stream.state.visible


def test_approval_publishes_the_submitted_text_once():
    stream, submission = submitted()
    publish(stream, submission)
    state = stream.state
    assert state.visible and state.title == "Card limit abroad" and state.published_revision == 1
    assert stream.events[-1].type == "posts.post_published"
    again = domain.on_review(state, "approved", "content", 1,
                             content=submission.content[0].payload)
    assert again == []  # a redelivered verdict changes nothing


def test_held_changes_nothing_public_and_rejection_gives_the_reason_code():
    stream, _ = submitted()
    assert domain.on_review(stream.state, "held", "content", 1) == []
    [rejected] = domain.on_review(stream.state, "rejected", "content", 1, reason_code="spam")
    assert rejected.type == "posts.post_rejected" and rejected.payload["reason_code"] == "spam"
    stream.append([rejected])
    assert stream.state.state == "rejected"


def test_a_text_rejected_before_publication_is_corrected_and_resubmitted_by_its_author():
    stream, _ = submitted()
    stream.append(domain.on_review(stream.state, "rejected", "content", 1, reason_code="spam"))
    with pytest.raises(NotFound):  # someone else's unpublished text: as if it did not exist
        domain.submit_edit(OTHER, stream.state, {"title": "Mine", "body": "x"})
    with pytest.raises(InvalidInput):  # whole: the rejected text is not kept anywhere public
        domain.submit_edit(AUTHOR, stream.state, {"body": "Only the body"})
    again = domain.submit_edit(AUTHOR, stream.state, {"title": "Card limit abroad",
                                                      "body": "How do I raise my limit?"})
    assert again.revision == 2 and [e.type for e in again.public] == ["posts.post_resubmitted"]
    assert "body" not in again.public[0].payload  # public: no text
    assert again.content[0].payload["body"] == "How do I raise my limit?"
    stream.append(again.public)
    assert stream.state.state == "pending"
    [published] = domain.on_review(stream.state, "approved", "content", 2,
                                   content=again.content[0].payload)
    assert published.type == "posts.post_published" and published.payload["revision"] == 2
    stream.append([published])
    assert stream.state.visible and stream.state.body == "How do I raise my limit?"
    # once published then removed, a contribution stays removed
    stream.append(domain.on_review(stream.state, "held", "flags", 2))
    stream.append(domain.on_review(stream.state, "rejected", "flags", 2, reason_code="spam"))
    with pytest.raises(Unprocessable):
        domain.submit_edit(AUTHOR, stream.state, {"title": "Again", "body": "again"})


IBAN_TAGS = ["fr76", "3000", "6000", "0112", "3456", "7890", "189"]  # 4 digits at most each


def test_tags_travel_with_the_text_and_only_a_verdict_publishes_them():
    """An IBAN typed as seven tags was announced on posts.events before moderation: the tags
    are reviewed with the text now, and public events name only tags already published."""
    stream, submission = submitted({**POST, "tags": ["Carte", *IBAN_TAGS, "carte"]})
    [public], [content] = submission.public, submission.content
    assert public.payload["tags"] == [] and stream.state.tags == []
    assert content.payload["tags"] == ["carte", *IBAN_TAGS, "carte"]  # as typed: the detector's
    REGISTRY.serialize(content.type, content.payload)  # content_submitted v2 takes them
    [rejected] = domain.on_review(stream.state, "rejected", "content", 1,
                                  reason_code="confidential_data")
    assert rejected.payload["tags"] == []
    [redacted] = domain.on_review(stream.state, "redacted", "content", 1, content=content.payload,
                                  title="Card limit abroad", body="How?", tags=["carte"])
    assert redacted.payload["tags"] == ["carte"]
    clean = {**content.payload, "tags": ["carte", "voyage", "carte"]}
    [published] = domain.on_review(stream.state, "approved", "content", 1, content=clean)
    assert published.payload["tags"] == ["carte", "voyage"]  # each once
    # before content_submitted v2 the tags were announced: those are published
    _, legacy = REGISTRY.upcast("posts.content_submitted", 1, {
        key: value for key, value in content.payload.items() if key != "tags"})
    announced = Stream("p2")
    announced.append([NewEvent("posts.post_submitted", {
        **public.payload, "post_id": "p2", "tags": ["voyage"]})])
    [old] = domain.on_review(announced.state, "approved", "content", 1,
                             content={**legacy, "target_id": "p2", "post_id": "p2"})
    assert old.payload["tags"] == ["voyage"]


def test_an_edit_of_the_tags_waits_for_moderation_and_a_redaction_of_flags_removes_them():
    stream = published_post()
    edit = domain.submit_edit(AUTHOR, stream.state, {"tags": ["plafond", *IBAN_TAGS]})
    assert edit.public[0].payload["tags"] == ["travel"]  # the published ones
    assert edit.content[0].payload["tags"] == ["plafond", *IBAN_TAGS]
    stream.append(edit.public)
    [edited] = domain.on_review(stream.state, "redacted", "content", 2,
                                content=edit.content[0].payload, title="Card limit abroad",
                                body="How do I raise it?", tags=["plafond"])
    assert edited.type == "posts.post_edited" and edited.payload["tags"] == ["plafond"]
    stream.append([edited])
    stream.append(domain.on_review(stream.state, "held", "flags", 2))
    [redacted] = domain.on_review(stream.state, "redacted", "flags", 2, title="T", body="B",
                                  tags=[])
    assert redacted.type == "posts.post_redacted" and redacted.payload["tags"] == []
    kept = domain.on_review(stream.state, "redacted", "flags", 2, title="T", body="B")
    assert kept[0].payload["tags"] == ["plafond"]  # a redaction from before tags were reviewed


def test_a_resubmission_keeps_the_tags_given_back_unless_it_names_others():
    stream, _ = submitted({**POST, "tags": ["carte", *IBAN_TAGS]})
    stream.append(domain.on_review(stream.state, "rejected", "content", 1, reason_code="spam"))
    text = {"title": "Card limit abroad", "body": "How do I raise my limit?"}
    again = domain.submit_edit(AUTHOR, stream.state, text, returned_tags=["carte"])
    assert again.public[0].payload["tags"] == []
    assert again.content[0].payload["tags"] == ["carte"]
    named = domain.submit_edit(AUTHOR, stream.state, {**text, "tags": ["voyage"]},
                               returned_tags=["carte"])
    assert named.content[0].payload["tags"] == ["voyage"]


def test_redaction_publishes_the_cm_text_with_the_mark():
    stream, _ = submitted()
    [event] = domain.on_review(stream.state, "redacted", "content", 1,
                               title="Card limit abroad", body="IBAN FR76 •••• 189")
    assert event.type == "posts.post_published" and event.payload["redacted"] is True
    assert event.payload["body"] == "IBAN FR76 •••• 189"


def test_an_edit_is_a_new_revision_published_as_post_edited():
    stream = published_post()
    edit = domain.submit_edit(AUTHOR, stream.state, {"body": "Edited", "tags": ["card"]})
    assert edit.revision == 2 and edit.public[0].type == "posts.post_edit_submitted"
    stream.append(edit.public)
    assert stream.state.body == "How do I raise it?"  # until moderation releases it
    [event] = domain.on_review(stream.state, "approved", "content", 2,
                               content=edit.content[0].payload)
    assert event.type == "posts.post_edited" and event.payload["tags"] == ["card"]
    stream.append([event])
    assert stream.state.body == "Edited" and stream.state.published_revision == 2


def test_an_older_revision_approved_late_does_not_overwrite_a_newer_one():
    stream = published_post()
    two = domain.submit_edit(AUTHOR, stream.state, {"body": "two"})
    stream.append(two.public)
    three = domain.submit_edit(AUTHOR, stream.state, {"body": "three"})
    stream.append(three.public)
    stream.append(domain.on_review(stream.state, "approved", "content", 3,
                                   content=three.content[0].payload))
    assert domain.on_review(stream.state, "approved", "content", 2,
                            content=two.content[0].payload) == []


def test_a_rejected_edit_keeps_the_published_revision():
    stream = published_post()
    edit = domain.submit_edit(AUTHOR, stream.state, {"body": "bad"})
    stream.append(edit.public)
    [event] = domain.on_review(stream.state, "rejected", "content", 2, reason_code="abusive")
    assert event.type == "posts.post_edit_rejected"
    stream.append([event])
    assert stream.state.visible and stream.state.body == "How do I raise it?"


def test_the_revision_after_a_refused_one_is_sent_again_for_a_person_to_read():
    """A refused edit, then another edit: the detector alone must not publish an insult
    reworded; once a revision is published again, the next edit is an ordinary one."""
    stream = published_post()
    edit = domain.submit_edit(AUTHOR, stream.state, {"body": "bad"})
    assert "sent_again" not in edit.content[0].payload  # an ordinary edit
    stream.append(edit.public)
    stream.append(domain.on_review(stream.state, "rejected", "content", 2, reason_code="abusive"))
    again = domain.submit_edit(AUTHOR, stream.state, {"body": "bad, reworded"})
    assert again.content[0].payload["sent_again"] is True
    stream.append(again.public)
    stream.append(domain.on_review(stream.state, "approved", "content", 3,
                                   content=again.content[0].payload))
    after = domain.submit_edit(AUTHOR, stream.state, {"body": "fine"})
    assert "sent_again" not in after.content[0].payload
    # a text refused before anyone saw it, sent again: the same
    first, _ = submitted()
    first.append(domain.on_review(first.state, "rejected", "content", 1, reason_code="spam"))
    resent = domain.submit_edit(AUTHOR, first.state, {"title": "Card", "body": "Limit?"})
    assert resent.content[0].payload["sent_again"] is True
    REGISTRY.serialize("posts.content_submitted", resent.content[0].payload)


def test_flags_hide_then_restore_or_remove_or_redact():
    stream = published_post()
    [hidden] = domain.on_review(stream.state, "held", "flags", 1)
    assert hidden.type == "posts.post_hidden"
    stream.append([hidden])
    assert not stream.state.visible
    assert domain.on_review(stream.state, "held", "flags", 1) == []
    [restored] = domain.on_review(stream.state, "approved", "flags", 1)
    assert restored.type == "posts.post_restored"
    [redacted] = domain.on_review(stream.state, "redacted", "flags", 1, title="T", body="B")
    assert redacted.type == "posts.post_redacted" and redacted.payload["redacted"]
    stream.append([redacted])
    assert stream.state.visible and stream.state.body == "B"


def test_a_verdict_on_a_deleted_post_is_ignored():
    stream, submission = submitted()
    stream.append(domain.delete(AUTHOR, stream.state))
    assert domain.on_review(stream.state, "approved", "content", 1,
                            content=submission.content[0].payload) == []


# -- authorization -----------------------------------------------------------------------------

def test_articles_are_for_cms_and_staff_posts_are_official():
    with pytest.raises(Forbidden):
        domain.submit_post(AUTHOR, {**POST, "kind": "article"}, "p1")
    assert domain.submit_post(CM, {**POST, "kind": "article"}, "p1").public
    stream, submission = submitted(actor=ADVISOR)
    publish(stream, submission)
    assert stream.events[-1].payload["official"] is True
    edit = domain.submit_edit(ADVISOR, stream.state, {"body": "better"})
    stream.append(edit.public)
    stream.append(domain.on_review(stream.state, "approved", "content", 2,
                                   content=edit.content[0].payload))
    assert stream.events[-1].payload["official"] is True  # still, after an edit


def test_only_the_author_or_a_cm_edits_or_deletes():
    stream = published_post()
    for command in (lambda a: domain.submit_edit(a, stream.state, {"body": "x"}),
                    lambda a: domain.delete(a, stream.state)):
        with pytest.raises(Forbidden):
            command(OTHER)
        with pytest.raises(Forbidden):
            command(None)
    assert domain.submit_edit(CM, stream.state, {"body": "x"}).public[0].payload["editor_id"] \
        == CM["id"]
    [deleted] = domain.delete(CM, stream.state)
    assert deleted.payload["by_staff"] is True
    stream.append([deleted])
    assert domain.delete(AUTHOR, stream.state) == []  # idempotent


def test_edits_need_a_field_and_a_published_post():
    stream, _ = submitted()
    with pytest.raises(Unprocessable):  # a CM's edit of a text waiting (its author corrects it)
        domain.submit_edit(CM, stream.state, {"body": "x"})
    with pytest.raises(InvalidInput):
        domain.submit_edit(AUTHOR, published_post().state, {})
    with pytest.raises(NotFound):
        domain.submit_edit(AUTHOR, domain.Contribution(id="nope", target_type="post"), {"x": 1})


def test_reading_rules():
    pending = {"state": "pending", "author_id": AUTHOR["id"]}
    assert domain.can_read(AUTHOR, pending) and domain.can_read(CM, pending)
    assert not domain.can_read(OTHER, pending) and not domain.can_read(None, pending)
    assert domain.can_read(None, {"state": "published", "author_id": "x"})
    assert not domain.can_read(OTHER, {"state": "hidden", "author_id": "x"})


# -- replies and questions ---------------------------------------------------------------------

def reply_to(post_stream, actor, reply_id="r1"):
    stream = Stream(reply_id)
    submission = domain.submit_reply(actor, post_stream.state, {"body": "Answer"}, reply_id)
    stream.append(submission.public)
    stream.append(domain.on_review(stream.state, "approved", "content", 1,
                                   content=submission.content[0].payload))
    return stream


def test_replies_are_answers_to_questions_and_official_from_staff():
    question = published_post()
    reply = reply_to(question, ADVISOR)
    assert reply.state.kind == "answer" and reply.state.official and reply.state.visible
    assert reply.events[-1].type == "posts.reply_published"
    discussion = published_post({**POST, "kind": "discussion"}, post_id="p2")
    assert reply_to(discussion, OTHER, "r2").state.kind == "comment"


def test_no_reply_to_a_locked_unpublished_or_merged_post():
    question = published_post()
    question.append(domain.set_flag(CM, question.state, "locked", True))
    with pytest.raises(Unprocessable):
        domain.submit_reply(OTHER, question.state, {"body": "x"}, "r1")
    pending, _ = submitted(post_id="p3")
    with pytest.raises(Unprocessable):  # its author sees it, and why not yet
        domain.submit_reply(AUTHOR, pending.state, {"body": "x"}, "r1")
    with pytest.raises(NotFound):  # to others it does not exist yet
        domain.submit_reply(OTHER, pending.state, {"body": "x"}, "r1")


def test_accepting_an_answer():
    question = published_post()
    answer = reply_to(question, OTHER)
    with pytest.raises(Forbidden):
        domain.accept_answer(OTHER, question.state, answer.state)
    [event] = domain.accept_answer(AUTHOR, question.state, answer.state)
    assert event.payload["reply_author_id"] == OTHER["id"]
    question.append([event])
    assert domain.accept_answer(CM, question.state, answer.state) == []
    idea = published_post({**POST, "kind": "idea"}, post_id="p9")
    with pytest.raises(Unprocessable):
        domain.accept_answer(AUTHOR, idea.state, reply_to(idea, OTHER, "r9").state)
    elsewhere = reply_to(published_post(post_id="p8"), OTHER, "r8")
    with pytest.raises(NotFound):
        domain.accept_answer(AUTHOR, question.state, elsewhere.state)


# -- ideas -------------------------------------------------------------------------------------


def test_idea_status_workflow():
    stream = idea()
    assert stream.state.idea_status == "submitted"
    with pytest.raises(Forbidden):
        domain.change_idea_status(AUTHOR, stream.state, "under_review", "note")
    with pytest.raises(Unprocessable):
        domain.change_idea_status(CM, stream.state, "delivered", "too early")
    for status in ("under_review", "planned", "delivered"):
        [event] = domain.change_idea_status(CM, stream.state, status, f"now {status}",
                                            release="v5.2" if status == "delivered" else None)
        stream.append([event])
    assert stream.state.idea_status == "delivered"
    assert stream.events[-1].payload["release"] == "v5.2"
    with pytest.raises(Unprocessable):
        domain.change_idea_status(CM, stream.state, "declined", "no")
    with pytest.raises(Unprocessable):
        domain.change_idea_status(CM, published_post().state, "planned", "not an idea")


def test_merge_rules():
    source, target = idea("i1"), idea("i2")
    with pytest.raises(Forbidden):
        domain.merge_idea(AUTHOR, source.state, target.state)
    with pytest.raises(Unprocessable):
        domain.merge_idea(CM, source.state, source.state)
    [merged] = domain.merge_idea(CM, source.state, target.state)
    source.append([merged])
    assert source.state.merged_into == "i2" and source.state.idea_status == "already_exists"
    assert domain.merge_idea(CM, source.state, target.state) == []  # idempotent retry
    with pytest.raises(Unprocessable):
        domain.merge_idea(CM, source.state, idea("i3").state)
    with pytest.raises(Unprocessable):  # into a merged idea: no chains
        domain.merge_idea(CM, idea("i4").state, source.state)
    with pytest.raises(Unprocessable):
        domain.change_idea_status(CM, source.state, "planned", "x")


# -- votes -------------------------------------------------------------------------------------

def test_votes_are_idempotent_per_member():
    post = published_post()
    votes = Stream(domain.vote_stream("p1", OTHER["id"]))
    votes.append(domain.vote(OTHER, post.state, domain.fold_vote(votes.events), True))
    assert domain.fold_vote(votes.events).voted
    assert domain.vote(OTHER, post.state, domain.fold_vote(votes.events), True) == []
    [unvote] = domain.vote(OTHER, post.state, domain.fold_vote(votes.events), False)
    assert unvote.type == "posts.post_unvoted" and unvote.payload["reason"] == "member"
    votes.append([unvote])
    assert domain.vote(OTHER, post.state, domain.fold_vote(votes.events), False) == []
    with pytest.raises(Forbidden):
        domain.vote(None, post.state, domain.VoteState(), True)
    pending, _ = submitted(post_id="p2")
    with pytest.raises(Unprocessable):
        domain.vote(CM, pending.state, domain.VoteState(), True)
    for on in (True, False):  # to others it does not exist yet, whatever they try
        with pytest.raises(NotFound):
            domain.vote(OTHER, pending.state, domain.VoteState(), on)


def test_an_idea_starts_with_its_authors_vote_and_nobody_votes_for_their_own_other_texts():
    """The own-vote rule (docs/architecture.md): an idea counts its author's vote from its
    publication, once; a question, discussion, article or reply is not voted for by its
    author."""
    proposal = idea()
    votes = Stream(domain.vote_stream("i1", AUTHOR["id"]))
    [cast] = domain.author_vote(proposal.state, votes.events)
    assert (cast.type, cast.payload["voter_id"], cast.payload["reason"]) == (
        "posts.post_voted", AUTHOR["id"], "author")
    votes.append([cast])
    assert domain.author_vote(proposal.state, votes.events) == []  # re-delivered: once
    # the author may withdraw it, and it is not cast again behind their back
    votes.append(domain.vote(AUTHOR, proposal.state, domain.fold_vote(votes.events), False))
    assert not domain.fold_vote(votes.events).voted
    assert domain.author_vote(proposal.state, votes.events) == []
    assert len(domain.vote(AUTHOR, proposal.state, domain.fold_vote(votes.events), True)) == 1
    # not before it is published, never for other kinds
    pending, _ = submitted({**POST, "kind": "idea"}, post_id="i2")
    assert domain.author_vote(pending.state, []) == []
    assert domain.author_vote(published_post(post_id="p2").state, []) == []
    for own, key in ((published_post(post_id="p3"), "vote_own"),
                     (published_post({**POST, "kind": "discussion"}, post_id="p4"), "vote_own"),
                     (reply_to(published_post(post_id="p5"), AUTHOR, "r5"), "vote_own_reply")):
        with pytest.raises(Unprocessable) as refused:
            domain.vote(AUTHOR, own.state, domain.VoteState(), True)
        assert refused.value.catalogue["key"] == key  # a reply's says nothing of ideas
        assert domain.vote(AUTHOR, own.state, domain.VoteState(), False) == []  # nothing to undo
    assert len(domain.vote(OTHER, reply_to(idea("i6"), AUTHOR, "r6").state,
                           domain.VoteState(), True)) == 1


def test_moving_a_vote_on_merge_counts_each_voter_once():
    source, target = idea("i1"), idea("i2")
    voted, not_voted = domain.VoteState(voted=True), domain.VoteState()
    leave, join = domain.move_vote(source.state, target.state, voted, not_voted, "v1")
    assert [e.type for e in leave] == ["posts.post_unvoted"]
    assert leave[0].payload["merged_into"] == "i2" and leave[0].payload["reason"] == "merged"
    assert [e.payload["merged_from"] for e in join] == ["i1"]
    leave, join = domain.move_vote(source.state, target.state, voted, voted, "v2")
    assert len(leave) == 1 and join == []  # already voted for the target: counted once
    assert domain.move_vote(source.state, target.state, not_voted, voted, "v3") == ([], [])


def test_a_locked_thread_is_frozen_for_members_but_not_for_cms():
    question = published_post()
    question.append(domain.set_flag(CM, question.state, "locked", True))
    post = question.state
    reply = domain.Contribution(id="r1", target_type="reply", author_id=OTHER["id"],
                                kind="answer", post_id=post.id, state="published")
    with pytest.raises(Unprocessable) as error:
        domain.submit_edit(AUTHOR, post, {"body": "changed"}, post.locked)
    assert error.value.details == {"locked": True}
    with pytest.raises(Unprocessable):
        domain.submit_edit(OTHER, reply, {"body": "changed"}, thread_locked=True)
    assert domain.submit_edit(CM, reply, {"body": "redacted"}, thread_locked=True).public
    for on, current in ((True, domain.VoteState()), (False, domain.VoteState(voted=True))):
        with pytest.raises(Unprocessable):
            domain.vote(OTHER, post, current, on, thread_locked=True)
    assert domain.vote(OTHER, post, domain.VoteState(voted=True), True, True) == []  # a no-op
    with pytest.raises(Unprocessable):
        domain.accept_answer(AUTHOR, post, reply)
    assert domain.accept_answer(CM, post, reply)
    assert domain.delete(AUTHOR, post)  # withdrawing one's own text stays possible


def test_featuring_pins_with_a_position_and_an_end_that_must_be_in_the_future():
    post = published_post()
    now = "2026-12-01T10:00:00+00:00"
    with pytest.raises(Forbidden):
        domain.feature(AUTHOR, post.state, 1, None, now)
    with pytest.raises(InvalidInput):
        domain.feature(CM, post.state, 1, "2026-12-01T09:59:59+00:00", now)
    post.append(domain.feature(CM, post.state, 2, "2026-12-02T10:00:00+00:00", now))
    assert (post.state.featured, post.state.pin_position) == (True, 2)
    assert domain.feature(CM, post.state, 2, "2026-12-02T10:00:00+00:00", now) == []
    moved = domain.feature(CM, post.state, 1, None, now)
    assert moved[0].payload["position"] == 1 and moved[0].payload["pinned_until"] is None


def test_an_erased_members_mentions_are_recorded_unlinked_never_by_name():
    tokens = domain.mention_tokens("u42", "Zoé Martin")
    assert tokens == ["u42", "zoemartin"]
    revisions = [
        {"target_type": "post", "target_id": "p1", "post_id": "p1", "revision": 1,
         "title": "Question pour @ZoeMartin", "body": "Bonjour @zoe.martin et @u42."},
        {"target_type": "reply", "target_id": "r1", "post_id": "p1", "revision": 2,
         "title": None, "body": "Rien sur elle, @Paul."},
    ]
    [event] = domain.unlink_mentions("u42", tokens, revisions)
    assert event.type == domain.MENTIONS_UNLINKED
    erased = ERASED_MENTION
    assert event.payload == {"member_id": "u42", "texts": [{
        "target_type": "post", "target_id": "p1", "post_id": "p1", "revision": 1,
        "title": f"Question pour {erased}", "body": f"Bonjour {erased} et {erased}."}]}
    assert "zoe" not in str(event.payload).lower()
    assert REGISTRY.serialize(event.type, event.payload) == (1, event.payload)  # valid
    assert domain.unlink_mentions("u42", tokens, revisions[1:]) == []
    assert domain.mention_tokens("u42", None) == ["u42"]  # the name already forgotten
