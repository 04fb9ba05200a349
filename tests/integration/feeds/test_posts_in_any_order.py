"""Feeds applies posts' events as they come (services/feeds/projections.py, "items"): no stream
cursor, so the items and the home windows must not depend on the order or the number of
deliveries, and a replay must rebuild them as they are."""
import functools
import itertools
import random
from datetime import UTC, datetime

import pytest

from services.feeds.projections import POSTS_EVENTS, VIEWS, micros
from services.shared.envelope import Envelope
from services.shared.projections import replay
from tests.integration import as_they_come
from tests.integration.as_they_come import delivered_twice, posts_event, shuffled

pytestmark = pytest.mark.integration

AUTHOR, REPLIER, FOLLOWER = "u-author", "u-replier", "u-follower"
POST, REPLY = "p-any-order", "r-any-order"
STARTED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


POST_REF = {"post_id": POST, "author_id": AUTHOR, "kind": "idea", "category": "cards",
            "tags": ["Cartes"]}
REPLY_REF = {"reply_id": REPLY, "post_id": POST, "post_author_id": AUTHOR, "post_kind": "idea",
             "author_id": REPLIER, "kind": "comment", "official": False}
MODELS = ("items", "home_entries")


def _event(fact: str, version: int, **extra) -> Envelope:
    return posts_event(fact, version, post_ref=POST_REF, reply_ref=REPLY_REF, started=STARTED,
                       **extra)


def _text(revision, title, redacted=False, tags=("Cartes",)):
    return {"revision": revision, "body": f"{title}, the body", "redacted": redacted,
            "title": title, "official": False, "category": "cards", "tags": list(tags)}


# an idea rejected, corrected and published, hidden, edited while hidden, redacted (which ends
# the hold), featured, under review, edited again; a reply published, hidden, restored and
# edited (versions: their streams', the submissions between them left out)
POST_HISTORY = [
    _event("post_rejected", 2, revision=1, reason_code="other"),
    _event("post_published", 4, **_text(2, "Carte bloquée")),
    _event("post_hidden", 5, reason="flags"),
    _event("post_edited", 7, editor_id=AUTHOR, **_text(3, "Carte bloquée à Lisbonne")),
    _event("post_redacted", 8, **_text(3, "Carte bloquée à [retiré]", redacted=True)),
    _event("post_featured", 9, by="u-cm", position=None, pinned_until=None),
    _event("idea_status_changed", 10, by="u-cm", from_status="submitted",
           to_status="under_review"),
    _event("post_edited", 12, editor_id=AUTHOR, **_text(4, "Carte bloquée, réglé", tags=[])),
]
REPLY_HISTORY = [
    _event("reply_published", 2, revision=1, body="Same here", redacted=False),
    _event("reply_hidden", 3, reason="flags"),
    _event("reply_restored", 4),
    _event("reply_edited", 6, editor_id=REPLIER, revision=2, body="Same here, fixed",
           redacted=False),
]
DELETED = _event("post_deleted", 13, deleted_by=AUTHOR, by_staff=False)
REPLY_DELETED = _event("reply_deleted", 7, deleted_by=REPLIER, by_staff=False)


def test_only_the_posts_events_handled_are_bound():
    """A post's submission costs feeds no delivery (nor a vote, a lock, a pin)."""
    assert {"posts.post_submitted", "posts.reply_submitted", "posts.post_voted",
            "posts.post_locked"}.isdisjoint(POSTS_EVENTS)
    assert {event.type for event in POST_HISTORY + REPLY_HISTORY} <= set(POSTS_EVENTS)
    assert all(VIEWS.handlers_for(event_type) for event_type in POSTS_EVENTS)


def _followed(store):
    """FOLLOWER follows the author and the replier and watches the thread."""
    for source in (f"author:{AUTHOR}", f"author:{REPLIER}", f"thread:{POST}"):
        store.db["sources"].insert_one({"_id": source, "count": 1})
        store.db["subs"].insert_one({"_id": f"{source}|{FOLLOWER}", "source": source,
                                     "member": FOLLOWER})


@pytest.fixture
def fresh(mongo_client, db_prefix):
    """A new feeds database (and its log) per call, FOLLOWER following both authors."""
    return as_they_come.fresh_stores(mongo_client, f"{db_prefix}_feeds", "feeds", _followed)


read_models = functools.partial(as_they_come.read_models, names=MODELS)
applied = functools.partial(as_they_come.applied, VIEWS, names=MODELS)


def _by_id(models):
    return {doc["_id"]: doc for doc in models["items"]}


def test_any_order_and_any_repetition_gives_the_same_items_and_windows(fresh):
    history = POST_HISTORY + REPLY_HISTORY
    expected = applied(fresh(), history, batched=False)
    post, reply = _by_id(expected)[POST], _by_id(expected)[REPLY]
    assert (post["state"], post["title"], post["revision"], post["tag_slugs"]) == (
        "published", "Carte bloquée, réglé", 4, [])
    assert (post["featured"], post["status"], post["ts"]) == (
        True, "under_review", micros(POST_HISTORY[1]))  # when it was published
    assert (reply["state"], reply["excerpt"], reply["post_title"], reply["parent_visible"]) == (
        "published", "Same here, fixed", "Carte bloquée, réglé", True)
    assert [doc["_id"] for doc in expected["home_entries"]] == [
        f"{FOLLOWER}:{POST}", f"{FOLLOWER}:{REPLY}"]  # each item pushed once

    rng = random.Random(14)
    for n, order in enumerate(shuffled(history, rng, 5)):
        assert applied(fresh(), order, batched=bool(n % 2)) == expected, order
    twice = delivered_twice(history, rng)
    assert applied(fresh(), twice, batched=False) == expected
    assert applied(fresh(), twice, batched=True) == expected
    assert fresh().db["feeds_views_cursors"].count_documents({}) == 0  # no stream cursor


def test_every_permutation_of_a_post_and_a_reply_published_and_hidden(fresh):
    """Every order of four events of two streams (a reply may come before its post, and each
    publication after the hold), one by one and in a batch in turn."""
    events = [POST_HISTORY[1], POST_HISTORY[2], REPLY_HISTORY[0], REPLY_HISTORY[1]]
    expected = applied(fresh(), events, batched=False)
    post, reply = _by_id(expected)[POST], _by_id(expected)[REPLY]
    assert (post["state"], reply["state"], reply["parent_visible"], reply["post_title"]) == (
        "hidden", "hidden", False, "Carte bloquée")
    for n, order in enumerate(itertools.permutations(events)):
        assert applied(fresh(), list(order), batched=bool(n % 2)) == expected, order


@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("earlier, later, post_state, reply_state", [
    (POST_HISTORY[1], DELETED, "removed", "published"),  # a late publication after deletion
    (POST_HISTORY[1], POST_HISTORY[2], "hidden", "published"),  # hidden before its publication
    (POST_HISTORY[2], POST_HISTORY[4], "published", "published"),  # redacted: shown again
    (POST_HISTORY[2], POST_HISTORY[3], "hidden", "published"),  # an edit keeps it hidden
    (POST_HISTORY[0], POST_HISTORY[1], "published", "published"),  # rejected, then corrected
    (POST_HISTORY[3], POST_HISTORY[7], "published", "published"),  # an older edit after
    (REPLY_HISTORY[0], REPLY_DELETED, "published", "removed"),  # a reply removed first
], ids=["deleted", "hidden", "redacted", "edited-hidden", "resubmitted", "edits",
        "reply-deleted"])
def test_an_out_of_order_pair_gives_the_same_items_in_both_orders(fresh, earlier, later,
                                                                 post_state, reply_state,
                                                                 batched):
    """In order after the publications, and the other way round before them."""
    published = [POST_HISTORY[1], REPLY_HISTORY[0]]
    in_order = applied(fresh(), [*published, earlier, later], batched)
    assert applied(fresh(), [later, earlier, *published], batched) == in_order
    post, reply = _by_id(in_order)[POST], _by_id(in_order)[REPLY]
    assert (post["state"], reply["state"]) == (post_state, reply_state)
    assert reply["parent_visible"] is (post_state == "published")
    assert reply["post_title"] == post["title"]


def test_a_state_before_the_publication_shows_nothing_until_it_comes(fresh):
    store = fresh()
    applied(store, [POST_HISTORY[4]], batched=False)  # the redaction: shown, once published
    waiting = store.db["items"].find_one({"_id": POST})
    assert waiting["state"] == "shown" and "ts" not in waiting and "type" not in waiting
    assert applied(store, [POST_HISTORY[1]], batched=False)["home_entries"]
    assert store.db["items"].find_one({"_id": POST})["state"] == "published"


def test_replay_rebuilds_the_same_items_from_events_recorded_out_of_order(fresh):
    store = fresh()
    history = POST_HISTORY + REPLY_HISTORY + [DELETED]
    # recorded out of order, as a retried delivery leaves them
    live = applied(store, list(reversed(history)), batched=False)
    assert {doc["_id"]: doc["state"] for doc in live["items"]} == {
        POST: "removed", REPLY: "published"}
    assert _by_id(live)[REPLY]["parent_visible"] is False
    for batch_size in (500, 0):  # batched, then one event at a time
        replay(store, VIEWS, quiesce_seconds=0, batch_size=batch_size)
        assert read_models(store)["items"] == live["items"]
