"""Its author corrects a text never published while it still waits for moderation (being
checked, or held: e.g. for the IBAN typed in it): posts takes the correction as a text sent again
whole (``*_corrected``, `replaces_revision`; no public ``*_edit_submitted``, which tells of a
published text's edit), never publishes the older waiting revision after it, and moderation
leaves only the correction in the CMs' queue, held again for every reason that still applies."""
import pytest

from services.moderation import domain as moderation
from services.posts import domain
from services.shared.envelope import CommandContext, Envelope, NewEvent
from services.shared.errors import InvalidInput, NotFound, Unprocessable
from services.shared.payloads import REGISTRY

from .streams import AUTHOR, CM, OTHER, POST, submitted

pytestmark = pytest.mark.unit

IBAN = "FR76 3000 6000 0112 3456 7890 189"
CORRECTED = {"title": "Card limit abroad", "body": "How do I raise my limit? (no IBAN now)"}


def held(body=f"My IBAN is {IBAN}"):
    """A question its author sent with an IBAN: held by the detector (posts: still pending)."""
    stream, submission = submitted({**POST, "body": body})
    assert domain.on_review(stream.state, "held", "content", 1) == []
    return stream, submission


def test_its_author_corrects_a_held_text_as_a_text_sent_again_that_replaces_it():
    stream, _ = held()
    correction = domain.submit_edit(AUTHOR, stream.state, CORRECTED, returned_tags=["travel"])
    [public] = correction.public
    assert public.type == "posts.post_corrected"  # never post_edit_submitted: not published
    assert public.payload["revision"] == 2 and public.payload["replaces_revision"] == 1
    assert public.payload["tags"] == []  # none published: the announcement names none
    [content] = correction.content
    assert content.payload["body"] == CORRECTED["body"] and content.payload["revision"] == 2
    assert content.payload["tags"] == ["travel"]  # the waiting revision's, unless named
    assert "sent_again" not in content.payload  # nobody refused it: no person asked to read it
    _version, payload = REGISTRY.serialize(public.type, public.payload)
    assert payload["replaces_revision"] == 1  # the event's schema keeps it
    stream.append(correction.public)
    state = stream.state
    assert state.state == "pending" and state.last_revision == 2 and not state.published_revision


def test_a_correction_is_its_authors_alone_and_whole():
    stream, _ = held()
    with pytest.raises(Unprocessable):  # a CM redacts it in the queue, as before
        domain.submit_edit(CM, stream.state, CORRECTED)
    with pytest.raises(NotFound):  # another member does not learn it exists
        domain.submit_edit(OTHER, stream.state, CORRECTED)
    with pytest.raises(InvalidInput):
        domain.submit_edit(AUTHOR, stream.state, {"body": "only the body"})


def test_the_older_waiting_revision_is_never_published_nor_refused_after_the_correction():
    stream, _ = held()
    correction = domain.submit_edit(AUTHOR, stream.state, CORRECTED)
    stream.append(correction.public)
    # a CM's decision on the held revision, crossing the correction: nothing happens
    old = {"target_type": "post", "target_id": "p1", "revision": 1, "title": "Card limit abroad",
           "body": f"My IBAN is {IBAN}", "submitted_by": AUTHOR["id"]}
    assert domain.on_review(stream.state, "approved", "content", 1, content=old) == []
    assert domain.on_review(stream.state, "redacted", "content", 1, title="T", body="B") == []
    assert domain.on_review(stream.state, "rejected", "content", 1, reason_code="spam") == []
    # the correction's verdict publishes it
    [published] = domain.on_review(stream.state, "approved", "content", 2,
                                   content=correction.content[0].payload)
    assert published.type == "posts.post_published" and published.payload["revision"] == 2
    assert published.payload["body"] == CORRECTED["body"]


def test_a_correction_after_a_refusal_is_still_read_by_a_person():
    stream, _ = held()
    stream.append(domain.on_review(stream.state, "rejected", "content", 1,
                                   reason_code="confidential_data"))
    again = domain.submit_edit(AUTHOR, stream.state, CORRECTED)
    # after a refusal, as before: a second chance, not a correction of a waiting text
    assert [e.type for e in again.public] == ["posts.post_resubmitted"]
    assert "replaces_revision" not in again.public[0].payload
    assert again.content[0].payload["sent_again"] is True
    stream.append(again.public)
    # corrected again while that one waits: a person refused the text last, a person reads it
    third = domain.submit_edit(AUTHOR, stream.state, {**CORRECTED, "body": "Third try"})
    assert [e.type for e in third.public] == ["posts.post_corrected"]
    assert third.public[0].payload["replaces_revision"] == 2
    assert third.content[0].payload["sent_again"] is True


def test_a_reply_held_is_corrected_by_its_author_too():
    from .streams import published_post
    post = published_post().state
    reply = domain.submit_reply(AUTHOR, post, {"body": f"Use {IBAN}"}, "r1")
    from .streams import Stream
    stream = Stream("r1")
    stream.append(reply.public)
    correction = domain.submit_edit(AUTHOR, stream.state, {"body": "Use the app"})
    assert [e.type for e in correction.public] == ["posts.reply_corrected"]
    assert correction.public[0].payload["replaces_revision"] == 1


# -- moderation ------------------------------------------------------------------------------

def _posts_event(kind, payload):
    return Envelope.new(NewEvent(kind, payload), stream_id="p1", stream_version=3,
                        context=CommandContext())


def test_the_correction_withdraws_the_older_revisions_waiting_in_the_queue():
    assert moderation.withdrawals(_posts_event("posts.post_corrected", {
        "post_id": "p1", "revision": 2, "replaces_revision": 1})) == [
        ({"target_id": "p1", "review": "content", "revision": {"$lt": 2}}, "resubmitted")]
    # after a refusal the older item is decided: nothing waits to withdraw
    assert moderation.withdrawals(_posts_event("posts.post_resubmitted", {
        "post_id": "p1", "revision": 2})) == []
    assert moderation.withdrawals(_posts_event("posts.reply_corrected", {
        "reply_id": "r1", "post_id": "p1", "revision": 3, "replaces_revision": 2})) == [
        ({"target_id": "r1", "review": "content", "revision": {"$lt": 3}}, "resubmitted")]
    [withdrawn] = moderation.withdraw(moderation.Item(
        id="p1.r1", review="content", target_type="post", target_id="p1", post_id="p1",
        revision=1, author_id="m1", state="held"), "resubmitted")
    assert withdrawn.payload["cause"] == "resubmitted"
    REGISTRY.serialize(withdrawn.type, withdrawn.payload)  # a cause the schema takes


def _content(body, revision, **extra):
    return {"target_type": "post", "target_id": "p1", "post_id": "p1", "revision": revision,
            "author_id": "m1", "submitted_by": "m1", "submitter_roles": ["member"],
            "kind": "question", "category": "cards", "title": "Card limit", "body": body,
            "tags": [], **extra}


def _review(text, policy=moderation.DEFAULT_POLICY, approved=10, published=None):
    return moderation.review(moderation.Item(), text, policy, approved,
                             moderation.scan(text["title"], text["body"]), published)


def test_a_revision_reviewed_after_its_correction_was_announced_opens_no_item():
    waiting = {"state": "pending", "submitted_revision": 2}  # moderation's `targets`
    assert _review(_content(f"IBAN {IBAN}", 1), published=waiting) == []
    [approved] = _review(_content("clean", 2), published=waiting)
    assert approved.type == "moderation.item_approved"


def test_the_correction_is_held_again_for_every_reason_that_still_applies():
    # held only for the IBAN, corrected without it: published at once, as a first text would be
    [released] = _review(_content("clean now", 2))
    assert released.type == "moderation.item_approved"
    # still an IBAN: held by the detector again
    [detector] = _review(_content(f"still {IBAN}", 2))
    assert detector.payload["reasons"] == ["detector"]
    # a person must read it: pre-moderation, a new member, or sent again after a refusal
    policy = {**moderation.DEFAULT_POLICY, "premoderation": True, "new_member_threshold": 3}
    [premoderated] = _review(_content("clean now", 2), policy=policy, approved=0)
    assert premoderated.payload["reasons"] == ["policy"]
    assert premoderated.payload["policy_rules"] == ["global", "new_member"]
    [read_again] = _review(_content("clean now", 3, sent_again=True))
    assert read_again.payload["reasons"] == ["sent_again"]
