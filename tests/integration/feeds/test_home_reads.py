"""What a home page reads, against the real database: the read models are built by feeds' own
projection handlers, and a command listener sees every command the page sends."""
import time
import uuid

import pytest
from pymongo import MongoClient

from services.feeds import projections, timeline
from services.feeds.projections import VIEWS, FeedSettings
from services.shared.envelope import CommandContext, Envelope, NewEvent
from services.shared.projections import ReadModels

from ...commands import CommandLog
from ...conftest import MONGO_URI

pytestmark = pytest.mark.integration

WATCHED_THREADS = 120


def _apply(rm: ReadModels, event_type: str, payload: dict) -> None:
    event = Envelope.new(NewEvent(event_type, payload), stream_id=uuid.uuid4().hex,
                         stream_version=1, context=CommandContext())
    VIEWS.handlers_for(event_type)(rm, event)


def _published(rm: ReadModels, author: str, post_id: str) -> None:
    _apply(rm, "posts.post_published", {
        "post_id": post_id, "author_id": author, "kind": "question", "category": "cards",
        "tags": ["travel"], "title": f"Title of {post_id}", "body": "A body", "revision": 1,
        "redacted": False, "official": False})


def _a_follower_of(rm: ReadModels, posts: int) -> tuple[str, str, list[str]]:
    """A reader following an author who published `posts` posts: (reader, author, posts)."""
    reader, author = (f"u-{uuid.uuid4().hex[:8]}" for _ in range(2))
    _apply(rm, "feeds.member_followed", {"member_id": reader, "user_id": author,
                                         "reason": "member"})
    published = [f"p-{uuid.uuid4().hex[:10]}" for _ in range(posts)]
    for post_id in published:
        _published(rm, author, post_id)
    return reader, author, published


def _now() -> int:
    return int(time.time() * 1_000_000)


def _ids(page) -> list[str]:
    return [item["id"] for item in page["items"]]


@pytest.fixture
def reads(db_prefix):
    listener = CommandLog()
    client = MongoClient(MONGO_URI, event_listeners=[listener])
    rm = ReadModels(client[f"{db_prefix}_feeds"])
    VIEWS.ensure_indexes(rm)
    projections.configure({})
    yield rm, listener
    client.close()


def test_a_home_page_does_not_read_the_threads_a_member_watches(reads):
    """Every thread a member writes in is watched: the page reads what the member follows and,
    for the replies it shows, whether their threads are watched — never the whole list."""
    rm, listener = reads
    reader, author, posts = _a_follower_of(rm, 3)
    helper = f"u-{uuid.uuid4().hex[:8]}"
    threads = [f"p-{uuid.uuid4().hex[:10]}" for _ in range(WATCHED_THREADS)]
    for post_id in threads:
        _published(rm, reader, post_id)
        _apply(rm, "feeds.post_watched", {"member_id": reader, "post_id": post_id,
                                          "reason": "authored"})
    reply_id = f"r-{uuid.uuid4().hex[:10]}"
    _apply(rm, "posts.reply_published", {
        "post_id": threads[0], "reply_id": reply_id, "post_author_id": reader,
        "post_kind": "question", "author_id": helper, "kind": "answer", "body": "An answer",
        "revision": 1, "redacted": False, "official": False})

    listener.clear()
    page = timeline.home(rm, reader, {"limit": 20}, FeedSettings(), _now())

    assert _ids(page) == [reply_id, *reversed(posts)]
    assert page["items"][0]["reasons"] == [f"watching:{threads[0]}"]
    assert page["items"][1]["reasons"] == [f"following:{author}"]
    # the follow, and the one thread a reply on the page belongs to
    assert listener.returned.get("subs", 0) == 2, listener.returned

    _apply(rm, "feeds.post_unwatched", {"member_id": reader, "post_id": threads[0],
                                        "reason": "member"})
    page = timeline.home(rm, reader, {"limit": 20}, FeedSettings(), _now())
    assert _ids(page) == list(reversed(posts))


def test_a_first_page_held_by_the_window_is_four_reads_whatever_the_history(reads):
    """What the member follows, what they muted, the window, its items: the floor comes with
    the window (its marker), the authors from the process's memory."""
    rm, listener = reads
    reader, _, posts = _a_follower_of(rm, 12)
    settings = FeedSettings(home_cap=8)
    first = timeline.home(rm, reader, {"limit": 5}, settings, _now())  # trims, once
    assert _ids(first) == posts[::-1][:5]

    projections.CHOICES.forget(rm, reader)  # as in another process
    listener.clear()
    assert timeline.home(rm, reader, {"limit": 5}, settings, _now()) == first
    assert sorted(listener.pairs()) == [("find", "home_entries"), ("find", "items"),
                                        ("find", "mutes"), ("find", "subs")], listener.pairs()
    # the whole feed through the marker: the window's 8, then the rest from the source
    assert _ids(timeline.home(rm, reader, {"limit": 20}, settings, _now())) == posts[::-1]


def test_the_next_pages_take_what_the_member_follows_and_mutes_from_memory(reads):
    """Within CHOICES_SECONDS a member's next first page is two reads, the window and its
    items; only the cards' fields are read."""
    rm, listener = reads
    reader, _, _ = _a_follower_of(rm, 6)
    first = timeline.home(rm, reader, {"limit": 5}, FeedSettings(), _now())

    listener.clear()
    assert timeline.home(rm, reader, {"limit": 5}, FeedSettings(), _now()) == first
    assert sorted(listener.pairs()) == [("find", "home_entries"), ("find", "items")], \
        listener.pairs()
    assert listener.matching("find", "items")[0].command["projection"] == timeline.CARD


def test_a_follow_or_a_mute_applied_here_is_on_the_next_page(reads):
    """The process that applies a member's subscription or mute forgets their choices: what
    they follow or mute through it is on their very next page."""
    rm, _ = reads
    reader, _, posts = _a_follower_of(rm, 2)
    other = f"u-{uuid.uuid4().hex[:8]}"
    theirs = f"p-{uuid.uuid4().hex[:10]}"
    _published(rm, other, theirs)
    assert _ids(timeline.home(rm, reader, {"limit": 20}, FeedSettings(), _now())) == \
        posts[::-1]

    _apply(rm, "feeds.member_followed", {"member_id": reader, "user_id": other,
                                         "reason": "member"})
    assert _ids(timeline.home(rm, reader, {"limit": 20}, FeedSettings(), _now())) == \
        [theirs, *posts[::-1]]

    _apply(rm, "feeds.thread_muted", {"member_id": reader, "post_id": theirs})
    assert _ids(timeline.home(rm, reader, {"limit": 20}, FeedSettings(), _now())) == \
        posts[::-1]


def test_choices_read_before_a_change_are_not_kept(reads):
    """A page that read a member's choices while this process applied a change to them (the
    read may hold what the change replaced) does not keep them."""
    rm, _ = reads
    member = f"u-{uuid.uuid4().hex[:8]}"
    since = projections.CHOICES.changes
    projections.CHOICES.forget(rm, member)  # a change applied meanwhile
    projections.CHOICES.put(rm, member, (frozenset(), frozenset()), since)
    assert projections.CHOICES.get(rm, member) is None
    projections.CHOICES.put(rm, member, (frozenset(), frozenset()), projections.CHOICES.changes)
    assert projections.CHOICES.get(rm, member) == (frozenset(), frozenset())


def test_a_floor_cut_before_the_marker_existed_is_honoured(reads):
    """A window trimmed by an older version has its floor in `home_floors` only: the first
    page of a process copies it into the marker, so no item between it and the time window
    goes missing."""
    rm, _ = reads
    reader, _, posts = _a_follower_of(rm, 6)
    cut = rm["items"].find_one({"_id": posts[2]})["ts"]  # what the older trim left: 3 newest
    rm["home_floors"].insert_one({"_id": reader, "ts": cut})
    rm["home_entries"].delete_many({"m": reader, "ts": {"$lte": cut}})

    page = timeline.home(rm, reader, {"limit": 20}, FeedSettings(home_cap=3), _now())
    assert _ids(page) == posts[::-1]


def test_a_trim_reads_what_it_drops_not_the_window_it_keeps(reads):
    """A window past its cap is cut from its old end, after a count: the trim's reads of the
    window cover the entries it drops and the one where the cut falls, not the `cap` entries
    it keeps; the page still shows every item, the dropped ones from below the floor."""
    rm, listener = reads
    reader, _, posts = _a_follower_of(rm, 23)
    cap = 20
    listener.clear()
    assert timeline.trim(rm, reader, cap) == 3
    finds = listener.matching("find", "home_entries")
    assert sum(sent.command.get("skip", 0) + sent.command.get("limit", 0)
               for sent in finds) <= 3 + 1, [sent.command for sent in finds]
    assert rm["home_entries"].count_documents({"m": reader}) == cap + 1  # and the marker

    listener.clear()
    assert timeline.trim(rm, reader, cap) == 0  # the marker is where the cut falls
    assert sum(sent.command.get("skip", 0) + sent.command.get("limit", 0)
               for sent in listener.matching("find", "home_entries")) <= 1
    page = timeline.home(rm, reader, {"limit": 30}, FeedSettings(home_cap=cap), _now())
    assert _ids(page) == posts[::-1]
