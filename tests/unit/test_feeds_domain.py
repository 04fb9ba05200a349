"""Feeds' pure rules: subscriptions, sources, fan-out vs merge, home merging, excerpts."""
import pytest

from services.feeds import domain
from services.posts import markdown
from services.shared.actors import require_member
from services.shared.envelope import Envelope, NewEvent
from services.shared.errors import NotFound, Unauthenticated, Unprocessable

from .streams import stored

pytestmark = pytest.mark.unit


def history(*events: NewEvent) -> list[Envelope]:
    return stored(list(events), "watch.m1.p1")


def watch(on: bool, reason: str = "member") -> NewEvent:
    return NewEvent(domain.WATCH.on if on else domain.WATCH.off,
                    {"member_id": "m1", "post_id": "p1", "reason": reason})


# -- subscriptions ----------------------------------------------------------------------------

def test_subscribing_is_idempotent_both_ways():
    off = domain.fold([])
    assert domain.subscribe(domain.WATCH, "m1", "p1", False, off) == []
    [event] = domain.subscribe(domain.WATCH, "m1", "p1", True, off)
    assert event.type == "feeds.post_watched"
    assert event.payload == {"member_id": "m1", "post_id": "p1", "reason": "member"}
    on = domain.fold(history(watch(True)))
    assert domain.subscribe(domain.WATCH, "m1", "p1", True, on) == []
    [event] = domain.subscribe(domain.WATCH, "m1", "p1", False, on)
    assert event.type == "feeds.post_unwatched"


def test_automatic_watches_never_undo_a_members_own_unwatch():
    fresh = domain.fold([])
    [event] = domain.subscribe(domain.WATCH, "m1", "p1", True, fresh, reason="replied")
    assert event.payload["reason"] == "replied"
    opted_out = domain.fold(history(watch(True, "authored"), watch(False)))
    assert opted_out == domain.SubscriptionState(on=False, opted_out=True)
    assert domain.subscribe(domain.WATCH, "m1", "p1", True, opted_out, reason="replied") == []
    # the member can still watch it again themself
    assert domain.subscribe(domain.WATCH, "m1", "p1", True, opted_out)
    # automation never unsubscribes
    on = domain.fold(history(watch(True)))
    assert domain.subscribe(domain.WATCH, "m1", "p1", False, on, reason="merged") == []


def test_streams_and_sources_per_kind():
    assert domain.FOLLOW.stream("m1", "u2") == "follow.m1.u2"
    assert domain.source_of(domain.FOLLOW, "u2") == "author:u2"
    assert domain.source_of(domain.WATCH, "p1") == "thread:p1"
    assert domain.source_of(domain.TAG, "travel") == "tag:travel"
    assert domain.source_of(domain.CATEGORY, "cards") == "category:cards"
    assert domain.source_of(domain.MUTE, "p1") is None


def test_every_followed_source_sorts_below_the_threads():
    """The home feed reads what a member follows as the range of sources below THREADS_FROM."""
    for kind in domain.KINDS.values():
        if kind.source is None:
            continue
        source = domain.source_of(kind, "zzz-\U0010ffff")
        assert (source < domain.THREADS_FROM) is (kind is not domain.WATCH), source
        assert domain.is_thread(source) is (kind is domain.WATCH)


def test_targets_are_checked():
    with pytest.raises(Unprocessable):
        domain.check_target(domain.FOLLOW, "m1", "m1", True)
    with pytest.raises(NotFound):
        domain.check_target(domain.FOLLOW, "m1", "u9", False)
    with pytest.raises(NotFound):
        domain.check_target(domain.WATCH, "m1", "p9", False)
    domain.check_target(domain.TAG, "m1", "travel", True)
    with pytest.raises(Unauthenticated):
        require_member(None)
    with pytest.raises(Unauthenticated):
        require_member({"id": "service:crm", "kind": "service"})


# -- items and sources ----------------------------------------------------------------------

POST = {"_id": "p1", "type": "post", "post_id": "p1", "author_id": "a", "tags": ["travel", "fx"],
        "category": "cards", "state": "published", "ts": 10}
REPLY = {"_id": "r1", "type": "reply", "post_id": "p1", "author_id": "b", "state": "published",
         "ts": 11}


def test_what_an_item_is_filed_under():
    assert domain.item_sources(POST) == ["author:a", "tag:travel", "tag:fx", "category:cards"]
    assert domain.item_sources(REPLY) == ["author:b", "thread:p1"]
    accented = {**POST, "tags": ["épargne", "Epargne", "prêt-immo"]}
    assert domain.item_sources(accented) == ["author:a", "tag:epargne", "tag:pret-immo",
                                             "category:cards"]


def test_home_keeps_matching_visible_items_with_their_reasons():
    subs = {"author:a", "tag:fx", "thread:p1"}
    assert domain.home_visible(POST, "m", subs, set()) == ["following:a", "tag:fx"]
    assert domain.home_visible(REPLY, "m", subs, set()) == ["watching:p1"]
    assert domain.home_visible(POST, "m", {"author:z"}, set()) == []
    assert domain.home_visible(POST, "a", subs, set()) == []  # never one's own
    assert domain.home_visible(REPLY, "m", subs, {"p1"}) == []  # muted thread
    assert domain.home_visible({**POST, "state": "removed"}, "m", subs, set()) == []
    assert domain.home_visible({**POST, "state": "hidden"}, "m", subs, set()) == []
    assert domain.home_visible({**REPLY, "parent_visible": False}, "m", subs, set()) == []


def test_source_filters():
    assert domain.source_filter([]) is None
    assert domain.source_filter(["author:a"]) == {"author_id": {"$in": ["a"]}}
    assert domain.source_filter(["thread:p", "tag:x", "author:b", "author:a", "category:c"]) == {
        "$or": [{"author_id": {"$in": ["a", "b"]}},
                {"type": "post", "tag_slugs": {"$in": ["x"]}},
                {"type": "post", "category": {"$in": ["c"]}},
                {"type": "reply", "post_id": {"$in": ["p"]}}]}


# -- fan-out on write vs merge on read ------------------------------------------------------

def test_small_sources_are_pushed_big_ones_pulled_and_pull_is_sticky():
    sources = ["author:a", "tag:travel", "tag:quiet", "category:cards"]
    counts = {"author:a": 3, "tag:travel": 10_001, "category:cards": 10_000}
    plan = domain.plan_delivery(sources, counts, pulled=set(), threshold=10_000)
    assert plan == domain.Delivery(push=["author:a", "category:cards"], pull=["tag:travel"])
    again = domain.plan_delivery(sources, {**counts, "tag:travel": 5},
                                 pulled={"tag:travel"}, threshold=10_000)
    assert again.pull == ["tag:travel"]  # once merged on read, always merged on read


def test_a_post_by_an_account_followed_by_everyone_costs_no_fan_out():
    plan = domain.plan_delivery(["author:bank"], {"author:bank": 100_000}, set(), 10_000)
    assert plan.push == [] and plan.pull == ["author:bank"]


def test_chunks():
    assert list(domain.chunks(list(range(5)), 2)) == [[0, 1], [2, 3], [4]]
    assert list(domain.chunks([], 3)) == []


def test_merging_newest_first_without_repeats():
    window = [{"_id": "c", "ts": 30}, {"_id": "a", "ts": 10}]
    pulled = [{"_id": "d", "ts": 40}, {"_id": "c", "ts": 30}, {"_id": "b", "ts": 10}]
    merged = [item["_id"] for item in domain.merge_newest([window, pulled])]
    assert merged == ["d", "c", "b", "a"]


def test_a_cards_excerpt_is_the_listings():
    """One reading of a body's Markdown for feed cards and post lists (services/posts/markdown.py,
    tested there): the marks out, the text a reader sees kept."""
    assert domain.excerpt is markdown.excerpt
    assert domain.excerpt("**Bold** move,\n\n see [the app](https://x.example)") == \
        "Bold move, see the app"
    assert domain.excerpt("Cartes > Plafonds") == "Cartes > Plafonds"
    long = domain.excerpt("word " * 100)
    assert len(long) == domain.EXCERPT_LENGTH and long.endswith("…")


