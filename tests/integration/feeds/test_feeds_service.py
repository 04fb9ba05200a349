"""Feeds in a nameko container with identity, posts and moderation: real events, real database."""
import uuid

import pytest

from services.feeds.projections import PROJECTION
from services.shared.event_store import EventStore
from services.shared.projections import replay

from ...conftest import wait_for
from ..posts.fixtures import ensure_category
from .fixtures import (
    CAP,
    actor,
    follow,
    home_ids,
    ids,
    in_home,
    post,
    published,
    register,
    reply,
)

pytestmark = pytest.mark.integration

IBAN = "FR76 3000 6000 0112 3456 7890 189"
CM = {"id": "cm-feeds", "roles": ["member", "community_manager"]}


@pytest.fixture
def feeds_db(mongo_client, stack):
    return mongo_client[f"{stack['MONGO_DB_PREFIX']}_feeds"]


def test_follow_and_unfollow_a_member(rpc, feeds_db):
    author, reader = register(rpc), register(rpc)
    follow(rpc, reader, author)
    post_id = published(rpc, post(rpc, author))
    in_home(rpc, reader, post_id)
    item = rpc.feeds.home(actor(reader), None)["items"][0]
    assert item["reasons"] == [f"following:{author['id']}"] and item["title"]
    assert feeds_db.home_entries.count_documents({"item": post_id}) == 1  # pushed: one entry
    assert post_id in ids(rpc.feeds.public(None, None))
    assert ids(rpc.feeds.activity(None, author["id"], None)) == [post_id]
    assert post_id not in home_ids(rpc, author)  # never one's own items
    assert rpc.feeds.subscriptions(actor(reader))["members"] == [author["id"]]

    assert rpc.feeds.follow(actor(reader), author["id"], False) == {
        "user_id": author["id"], "following": False}
    assert post_id not in home_ids(rpc, reader)  # the entry stays, the reader filters it
    with pytest.raises(Exception, match="Unprocessable"):
        rpc.feeds.follow(actor(reader), reader["id"], True)
    with pytest.raises(Exception, match="NotFound"):
        rpc.feeds.follow(actor(reader), "no-such-member", True)


def test_a_new_follower_gets_recent_posts_backfilled(rpc):
    author, reader = register(rpc), register(rpc)
    first = published(rpc, post(rpc, author, title="Before the follow"))
    wait_for(lambda: first in ids(rpc.feeds.activity(None, author["id"], None)))
    follow(rpc, reader, author)
    assert first in home_ids(rpc, reader)


def test_threads_authors_repliers_watch_and_mute(rpc):
    author, helper, lurker, other = (register(rpc) for _ in range(4))
    question = published(rpc, post(rpc, author))
    answer = reply(rpc, helper, question)
    in_home(rpc, author, answer)  # the author watches their thread
    assert rpc.feeds.home(actor(author), None)["items"][0]["post_title"] == "A question about cards"
    wait_for(lambda: rpc.feeds.subscriptions(actor(helper))["threads"] == [question])

    rpc.feeds.watch(actor(lurker), question, True)
    second = reply(rpc, other, question)
    in_home(rpc, lurker, second)
    in_home(rpc, helper, second)  # the replier watches too
    assert answer in home_ids(rpc, lurker)  # watching backfills the thread's replies

    rpc.feeds.mute(actor(lurker), question, True)
    assert second not in home_ids(rpc, lurker) and answer not in home_ids(rpc, lurker)
    rpc.feeds.mute(actor(lurker), question, False)
    assert second in home_ids(rpc, lurker)

    # an explicit unwatch is never undone by automation (replying again)
    rpc.feeds.watch(actor(helper), question, False)
    reply(rpc, helper, question, body="One more thing")
    third = reply(rpc, other, question, body="And another")
    in_home(rpc, author, third)
    assert third not in home_ids(rpc, helper)
    assert rpc.feeds.subscriptions(actor(helper))["threads"] == []
    with pytest.raises(Exception, match="NotFound"):
        rpc.feeds.watch(actor(lurker), "p-nothing", True)


def test_tags_and_categories(rpc):
    author, reader = register(rpc), register(rpc)
    savings = f"savings-{uuid.uuid4().hex[:8]}"
    rpc.feeds.follow_tag(actor(reader), "travel", True)
    with pytest.raises(Exception, match="no such category"):
        rpc.feeds.follow_category(actor(reader), savings, True)
    ensure_category(rpc.posts, savings)

    def follow_savings():
        try:
            return rpc.feeds.follow_category(actor(reader), savings, True)
        except Exception as error:  # until feeds has received posts.category_created
            if "no such category" not in str(error):
                raise
            return None
    wait_for(follow_savings, message="the category followed once feeds knows it")
    tagged = published(rpc, post(rpc, author, tags=["Travel"]))
    in_category = published(rpc, post(rpc, author, category=savings))
    neither = published(rpc, post(rpc, author, category="loans"))
    in_home(rpc, reader, in_category)
    in_home(rpc, reader, tagged)
    reasons = {i["id"]: i["reasons"] for i in rpc.feeds.home(actor(reader), None)["items"]}
    assert reasons == {tagged: ["tag:travel"], in_category: [f"category:{savings}"]}
    assert neither not in reasons
    with pytest.raises(Exception, match="InvalidInput"):
        rpc.feeds.follow_tag(actor(reader), "Not A Tag 12345", True)


def test_removed_items_leave_every_feed_and_redactions_show_redacted(rpc, feeds_db):
    author, reader, helper = register(rpc), register(rpc), register(rpc)
    follow(rpc, reader, author)
    rpc.feeds.follow_tag(actor(reader), "removal", True)
    doomed = published(rpc, post(rpc, author, tags=["removal"]))
    answer = reply(rpc, helper, doomed)
    in_home(rpc, author, answer)
    in_home(rpc, reader, doomed)
    rpc.posts.delete_post(actor(author), doomed)
    for page in (lambda: rpc.feeds.public(None, {"limit": 100}),
                 lambda: rpc.feeds.activity(None, author["id"], None),
                 lambda: rpc.feeds.activity(None, helper["id"], None),  # its replies too
                 lambda: rpc.feeds.home(actor(reader), None),
                 lambda: rpc.feeds.home(actor(author), None)):
        wait_for(lambda page=page: not {doomed, answer} & set(ids(page())),
                 message="deleted post and its reply gone")
    assert feeds_db.home_entries.count_documents({"item": doomed}) == 1  # O(1) removal

    # held by the detector, redacted by a CM: feeds only ever see the redacted text
    held = post(rpc, author, title="My account", body=f"My IBAN is {IBAN}, why was I charged?")
    item = wait_for(lambda: next((i for i in rpc.moderation.queue(CM, {"limit": 200})["items"]
                                  if i["target_id"] == held), None))
    assert held not in ids(rpc.feeds.public(None, {"limit": 100}))
    rpc.moderation.decide(CM, item["id"], {"decision": "redact",
                                           "body": item["proposal"]["body"]})
    in_home(rpc, reader, held)
    shown = next(i for i in rpc.feeds.home(actor(reader), None)["items"] if i["id"] == held)
    assert shown["redacted"] and "3000 6000" not in shown["excerpt"], shown
    assert shown["redaction_mark"] == "edited by the community team"


def test_featured_feed(rpc):
    author = register(rpc)
    post_id = published(rpc, post(rpc, author, kind="discussion"))
    rpc.posts.set_featured(CM, post_id, True)
    wait_for(lambda: ids(rpc.feeds.featured(None, None))[:1] == [post_id])
    rpc.posts.set_featured(CM, post_id, False)
    wait_for(lambda: post_id not in ids(rpc.feeds.featured(None, None)))


def test_an_account_above_the_threshold_is_merged_on_read(rpc, feeds_db):
    bank = register(rpc, "Camille", roles=["community_manager"])
    readers = [register(rpc) for _ in range(3)]  # THRESHOLD is 2
    for reader in readers:
        follow(rpc, reader, bank)
    post_id = published(rpc, post(rpc, bank, kind="article", title="New fees from March"))
    for reader in readers:
        in_home(rpc, reader, post_id)
    assert feeds_db.home_entries.count_documents({"item": post_id}) == 0  # no per-follower write
    assert feeds_db.sources.find_one({"_id": f"author:{bank['id']}"})["pull"] is True
    # a fourth follower needs no backfill either: the source is merged on read
    late = register(rpc)
    follow(rpc, late, bank)
    assert post_id in home_ids(rpc, late)


def test_the_window_is_capped_and_older_items_come_from_the_source(rpc, feeds_db):
    author, reader = register(rpc), register(rpc)
    follow(rpc, reader, author)
    posts = [published(rpc, post(rpc, author, title=f"Post number {n}")) for n in range(CAP + 3)]
    wait_for(lambda: feeds_db.home_entries.count_documents({"m": reader["id"]}) == CAP + 3)
    seen = every_page(rpc, reader, 4)
    assert seen == list(reversed(posts))
    entries = {"m": reader["id"], "item": {"$exists": True}}
    assert feeds_db.home_entries.count_documents(entries) == CAP
    floor = feeds_db.home_floors.find_one({"_id": reader["id"]})["ts"]
    # the window's own marker of the floor: what a first page meets in order, without a read
    assert feeds_db.home_entries.find_one({"_id": f"{reader['id']};floor"})["ts"] == floor
    # the same pages once more: the first one cut by the marker, the next ones by the floor
    assert every_page(rpc, reader, 4) == seen
    assert ids(rpc.feeds.home(actor(reader), {"limit": 20})) == seen  # through the marker


def every_page(rpc, member, limit: int) -> list[str]:
    """The ids of a member's whole home feed, page after page."""
    seen, cursor = [], None
    while True:
        page = rpc.feeds.home(actor(member), {"limit": limit, "cursor": cursor})
        seen += ids(page)
        cursor = page["next_cursor"]
        if not cursor:
            return seen


def test_replay_rebuilds_the_same_feeds(rpc, stack, mongo_client):
    bank = register(rpc, roles=["community_manager"])
    author, reader, helper = (register(rpc) for _ in range(3))
    readers = [reader, *(register(rpc) for _ in range(2))]
    for member in readers:
        follow(rpc, member, bank)
    follow(rpc, reader, author)
    rpc.feeds.follow_tag(actor(reader), "replay", True)
    big = published(rpc, post(rpc, bank, kind="article"))
    small = published(rpc, post(rpc, author, tags=["replay"]))
    gone = published(rpc, post(rpc, author, kind="idea"))
    answer = reply(rpc, helper, small)
    rpc.posts.delete_post(actor(author), gone)
    rpc.posts.set_featured(CM, small, True)

    def snapshot():
        return {"home": [rpc.feeds.home(actor(m), None) for m in (reader, author, helper)],
                "public": rpc.feeds.public(None, {"limit": 100}),
                "featured": rpc.feeds.featured(None, None),
                "activity": rpc.feeds.activity(None, author["id"], None)}
    wait_for(lambda: ids(rpc.feeds.featured(None, None)) == [small]
             and gone not in ids(rpc.feeds.public(None, {"limit": 100}))
             and answer in home_ids(rpc, author) and big in home_ids(rpc, reader))
    before = snapshot()
    assert set(ids(before["home"][0])) == {big, small}
    db = mongo_client[f"{stack['MONGO_DB_PREFIX']}_feeds"]
    replay(EventStore(db, "feeds"), PROJECTION, quiesce_seconds=0.6)
    assert snapshot() == before
