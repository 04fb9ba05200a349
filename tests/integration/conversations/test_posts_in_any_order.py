"""Conversations receives only some of posts' events (services/conversations/projections.py,
"posts"), applied as they come: the read models must not depend on the order or the number of
deliveries, and a replay must rebuild them as they are."""
import functools
import random
from datetime import UTC, datetime

import pytest

from services.conversations.projections import POSTS_EVENTS, VIEWS
from services.shared.envelope import Envelope
from services.shared.projections import ProjectionRunner, replay
from tests.integration import as_they_come
from tests.integration.as_they_come import delivered_twice, posts_event, shuffled

pytestmark = pytest.mark.integration

AUTHOR, POST, REPLY = "u-author", "p-any-order", "r-any-order"
STARTED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


POST_REF = {"post_id": POST, "author_id": AUTHOR, "kind": "question", "category": "cards",
            "tags": []}
REPLY_REF = {"reply_id": REPLY, "post_id": POST, "post_author_id": AUTHOR,
             "post_kind": "question", "author_id": AUTHOR, "kind": "comment", "official": False}
MODELS = ("posts", "activity")


def _event(fact: str, version: int, **extra) -> Envelope:
    return posts_event(fact, version, post_ref=POST_REF, reply_ref=REPLY_REF, started=STARTED,
                       **extra)


def _text(revision, title=None, redacted=False):
    return {"revision": revision, "body": "…", "redacted": redacted, "title": title}


# a post rejected, corrected and published, hidden, edited while hidden, restored, redacted,
# edited after the redaction; a reply published and hidden (versions: their streams', the
# submissions and votes between them not bound)
POST_HISTORY = [
    _event("post_rejected", 2, revision=1, reason_code="other"),
    _event("post_published", 4, **_text(2, "Carte bloquée")),
    _event("post_hidden", 5, reason="flags"),
    _event("post_edited", 7, editor_id=AUTHOR, **_text(3, "Carte bloquée à Lisbonne")),
    _event("post_restored", 8),
    _event("post_redacted", 9, **_text(3, "Carte bloquée à [retiré]", redacted=True)),
    _event("post_edited", 11, editor_id=AUTHOR, **_text(4, "Carte bloquée, réglé")),
]
REPLY_HISTORY = [
    _event("reply_published", 2, revision=1, body="…", redacted=False),
    _event("reply_hidden", 3, reason="flags"),
]
DELETED = _event("post_deleted", 12, deleted_by=AUTHOR, by_staff=False)
REPLY_DELETED = _event("reply_deleted", 4, deleted_by=AUTHOR, by_staff=False)


@pytest.fixture
def fresh(mongo_client, db_prefix):
    """A new conversations database (and its log) per call."""
    return as_they_come.fresh_stores(mongo_client, f"{db_prefix}_conv", "conversations")


read_models = functools.partial(as_they_come.read_models, names=MODELS)
applied = functools.partial(as_they_come.applied, VIEWS, names=MODELS)


def test_the_bound_events_are_the_ones_handled():
    assert set(POSTS_EVENTS) == {event.type for event in [*POST_HISTORY, *REPLY_HISTORY,
                                                          DELETED]} | {
        "posts.reply_redacted", "posts.reply_restored", "posts.reply_deleted",
        "posts.reply_rejected"}
    assert "posts.post_submitted" not in POSTS_EVENTS  # a submission costs conversations nothing
    assert all(VIEWS.handlers_for(event_type) for event_type in POSTS_EVENTS)


def test_any_order_and_any_repetition_gives_the_same_read_models(fresh):
    history = POST_HISTORY + REPLY_HISTORY
    expected = applied(fresh(), history, batched=False)
    post = expected["posts"][0]
    assert (post["state"], post["title"]) == ("published", "Carte bloquée, réglé")
    activity = {doc["_id"]: doc for doc in expected["activity"]}
    assert activity[POST]["hidden"] is False and "removed" not in activity[POST]
    assert activity[POST]["at"] == POST_HISTORY[1].occurred_at  # when it was published
    assert activity[REPLY]["hidden"] is True and activity[REPLY]["post_id"] == POST

    rng = random.Random(14)
    for n, order in enumerate(shuffled(history, rng, 4)):
        assert applied(fresh(), order, batched=bool(n % 2)) == expected, order
    twice = delivered_twice(history, rng)
    assert applied(fresh(), twice, batched=False) == expected


@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("pair", [
    (POST_HISTORY[1], DELETED),                # a late publish after the deletion
    (POST_HISTORY[1], POST_HISTORY[2]),        # hidden before its publication arrived
    (POST_HISTORY[2], POST_HISTORY[3]),        # an edit of a hidden post keeps it hidden
    (POST_HISTORY[5], POST_HISTORY[6]),        # an edit after the redaction
    (POST_HISTORY[0], POST_HISTORY[1]),        # rejected, corrected, then published
], ids=["deleted", "hidden", "edited-hidden", "edited-after-redaction", "resubmitted"])
def test_an_out_of_order_pair_gives_the_same_read_models_in_both_orders(fresh, pair, batched):
    earlier, later = pair
    in_order = applied(fresh(), [earlier, later], batched)
    assert applied(fresh(), [later, earlier], batched) == in_order
    post = {doc["_id"]: doc for doc in in_order["posts"]}[POST]
    activity = {doc["_id"]: doc for doc in in_order["activity"]}.get(POST, {})
    if later is DELETED:  # gone for good: no title kept, and not brought back
        assert post["state"] == "deleted" and "title" not in post
        assert activity["hidden"] is True and activity["removed"] is True
    else:
        assert post["title"] == (later.payload.get("title") or earlier.payload["title"])
        assert activity["hidden"] is (later.type in ("posts.post_hidden",)
                                      or earlier.type == "posts.post_hidden")


@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("later", [REPLY_HISTORY[1], REPLY_DELETED], ids=["hidden", "deleted"])
def test_a_reply_hidden_or_deleted_before_its_publication_arrived_stays_so(fresh, later,
                                                                          batched):
    published = REPLY_HISTORY[0]  # its stream's first bound event: one write
    in_order = applied(fresh(), [published, later], batched)
    assert applied(fresh(), [later, published], batched) == in_order
    reply = {doc["_id"]: doc for doc in in_order["activity"]}[REPLY]
    assert reply["hidden"] is True and reply.get("removed", False) is (later is REPLY_DELETED)
    assert reply["at"] == published.occurred_at and reply["author_id"] == AUTHOR


def test_replay_rebuilds_the_same_read_models_from_the_recorded_events(fresh):
    store = fresh()
    history = POST_HISTORY + REPLY_HISTORY + [DELETED]
    # recorded out of order, as a retried delivery leaves them
    live = applied(store, list(reversed(history)), batched=False)
    assert {doc["_id"]: doc["state"] for doc in live["posts"]} == {POST: "deleted"}
    replay(store, VIEWS, quiesce_seconds=0)
    assert read_models(store) == live
    replay(store, VIEWS, quiesce_seconds=0, batch_size=0)  # one event at a time
    assert read_models(store) == live


def test_what_an_earlier_version_recorded_and_wrote_goes_on_and_replays(fresh):
    """An upgrade: the log holds whole streams (submissions included), the cursors and the
    documents written before (no versions, a title kept on the entry)."""
    store = fresh()
    submitted = _event("post_submitted", 1, revision=1)
    published = _event("post_published", 2, **_text(1, "Virement bloqué"))
    for event in (submitted, published):
        store.record_received(event)
    store.db["conversations_cursors"].insert_one({"_id": f"posts:{POST}", "version": 2,
                                                  "waiting": 0})
    store.db["posts"].insert_one({"_id": POST, "author_id": AUTHOR, "kind": "question",
                                  "state": "published", "title": "Virement bloqué"})
    store.db["activity"].insert_one({"_id": POST, "type": "post", "author_id": AUTHOR,
                                     "post_id": POST, "kind": "question",
                                     "title": "Virement bloqué", "at": published.occurred_at,
                                     "ts": 1})
    runner = ProjectionRunner(VIEWS, store)
    runner.record_and_apply(_event("post_hidden", 3, reason="flags"))
    runner.record_and_apply(_event("post_edited", 5, editor_id=AUTHOR,
                                   **_text(2, "Virement bloqué, réglé")))
    live = read_models(store)
    assert (live["posts"][0]["title"], live["activity"][0]["hidden"]) == (
        "Virement bloqué, réglé", True)
    replay(store, VIEWS, quiesce_seconds=0)
    rebuilt = read_models(store)
    assert rebuilt["posts"] == live["posts"]
    entry = rebuilt["activity"][0]
    assert entry["hidden"] is True and "title" not in entry  # titles come from `posts` now
    assert entry["at"] == published.occurred_at
    assert store.db["conversations_cursors"].count_documents({}) == 0  # the old ones went
