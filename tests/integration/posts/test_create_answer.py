"""A new post's or reply's answer is built from what its inline apply wrote (the writes return
the document and the author's draft, `WrittenDocuments`), not read back after them, and it is
what a later read returns; the request waits for three round trips one after the other (four
for a reply, which loads its post first): the positions, the insert (the author's summary read
beside them, unless this process read it seconds before), the inline apply's writes — one more
where a member's writes are limited (the production default): the read of their recent writes,
whose record goes beside the write (services/shared/write_limits.py). The text's look for a
verdict comes after the reply."""
from __future__ import annotations

from collections import Counter

import eventlet
import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from pymongo import monitoring

from services.posts.service import PostsService
from services.shared.event_store_provider import before_reply
from services.shared.write_limits import SETTINGS as WRITE_LIMIT_SETTINGS

from ...commands import CommandLog
from .fixtures import member, new_post, published

pytestmark = pytest.mark.integration


# registered for the whole process (the service's client is created when its container
# starts); it records nothing until a test names its database
FINDS = CommandLog(database="", tag=lambda: before_reply() and id(eventlet.getcurrent()))
monitoring.register(FINDS)


@pytest.fixture
def posts_alone(container_factory, service_config):
    """posts as in production: its members' write limits at their defaults."""
    config = {**service_config, "AGORA": {name: value for name, value in
                                          service_config["AGORA"].items()
                                          if name not in WRITE_LIMIT_SETTINGS}}
    container = container_factory(PostsService, config)
    container.start()
    with ServiceRpcProxy("posts", config, timeout=15) as proxy:
        yield proxy, f"{config['MONGO_DB_PREFIX']}_posts"


def _request_path(create):
    """What the RPC's worker sent before its reply (other workers' commands left out): its
    commands by name and collection; the most that one of its green threads sent, one after
    the other (its side-by-side branches run beside that thread and send fewer: the request
    waits for about that many round trips); and its answer."""
    FINDS.clear()
    answer = create()
    sent = [one for one in FINDS.sent if one.tag]
    one_after_another = max(Counter(one.tag for one in sent).values())
    return Counter((one.name, one.collection) for one in sent), one_after_another, answer


def test_a_new_posts_answer_is_what_its_writes_left_and_what_a_later_read_returns(posts_alone):
    posts, database = posts_alone
    author = member()
    new_post(posts, author, title="A first post: the category is known")
    FINDS.database = database
    sent, in_sequence, created = _request_path(lambda: posts.create_post(author, {
        "kind": "question", "title": "Raising my card's limit abroad", "tags": ["cards"],
        "body": "How do I raise my card's payment limit?", "category": "cards"}))
    FINDS.database = ""
    # no read before the inline apply's writes but the author's recent writes (how fast they
    # may write), none after them for the answer; the author's summary is the one their first
    # post read (services/shared/members.py, SUMMARY_SECONDS)
    assert sent == Counter({("find", "write_throttle"): 1, ("insert", "write_throttle"): 1,
                            ("findAndModify", "counters"): 1, ("insert", "events"): 1,
                            ("findAndModify", "posts"): 1,
                            ("findAndModify", "drafts"): 1}), sent
    assert in_sequence == 4, sent
    assert created["state"] == "pending" and created["draft"]["title"] == \
        "Raising my card's limit abroad", created
    assert posts.get_post(author, created["id"]) == created


def test_a_new_replys_answer_is_what_its_writes_left_after_its_posts_load(posts, platform):
    author, replier = member(), member()
    post = new_post(posts, author, title="Which card for travelling abroad?")
    published(posts, post["id"])
    FINDS.database = f"{platform['MONGO_DB_PREFIX']}_posts"
    sent, in_sequence, reply = _request_path(lambda: posts.add_reply(
        replier, post["id"], {"body": "The premium one, no fees abroad."}))
    FINDS.database = ""
    # the post's history (to decide), then as a new post: positions, insert, writes
    assert sent == Counter({("find", "events"): 1, ("findAndModify", "counters"): 1,
                            ("insert", "events"): 1, ("find", "member_summaries"): 1,
                            ("findAndModify", "replies"): 1,
                            ("findAndModify", "drafts"): 1}), sent
    assert in_sequence == 4, sent
    assert reply["state"] == "pending" and reply["draft"]["body"] == \
        "The premium one, no fees abroad.", reply
    assert posts.get_reply(replier, reply["id"]) == reply


def test_a_post_page_does_not_read_again_the_author_read_seconds_before(posts_alone):
    posts, database = posts_alone
    author = member()
    post = new_post(posts, author, title="Which card for travelling abroad?")  # still pending
    FINDS.database = database
    sent, _, page = _request_path(lambda: posts.get_post(author, post["id"]))
    FINDS.database = ""
    # the author's summary: the one the new post's answer read a moment before
    assert ("find", "member_summaries") not in sent and ("find", "posts") in sent, sent
    assert page == post  # what the new post answered


def test_a_votes_answer_is_the_count_its_own_write_left(posts, platform):
    author, voter = member(), member()
    post = new_post(posts, author, title="Which card for travelling abroad?")
    published(posts, post["id"])
    FINDS.database = f"{platform['MONGO_DB_PREFIX']}_posts"
    answers = []
    for on in (True, False):
        sent, _, answer = _request_path(lambda on=on: posts.vote(voter, "post", post["id"], on))
        answers.append(answer["votes"])
        # the count from the `$inc`'s findAndModify, no read of the post after it
        assert ("find", "posts") not in sent and ("findAndModify", "posts") in sent, sent
    sent, _, again = _request_path(lambda: posts.vote(voter, "post", post["id"], False))
    FINDS.database = ""
    assert answers == [1, 0] and again["votes"] == 0  # a vote taken back twice: read, still 0
    assert ("find", "posts") in sent, sent
    assert posts.get_post(voter, post["id"])["votes"] == 0
