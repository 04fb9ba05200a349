"""A command that applies a commit which does not open its stream (an edit) looks at a replay's
swap flag before its apply's writes. When what the process knows of the flag is old (a
member's edit after seconds of quiet), the flag is read beside the command's own round trips —
its load and insert — not after them: the request does not wait one round trip more for it."""
from __future__ import annotations

from collections import Counter

import eventlet
import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.utils import find_free_port
from pymongo import monitoring

from services.moderation.service import ModerationService
from services.posts.service import PostsService
from services.shared.event_store_provider import before_reply
from services.shared.projections import ReadModelsProvider

from ...commands import CommandLog
from .fixtures import member, new_post, published

pytestmark = pytest.mark.integration

SENT = CommandLog(database="", tag=lambda: before_reply() and id(eventlet.getcurrent()))
monitoring.register(SENT)


@pytest.fixture
def published_posts(container_factory, service_config):
    """Posts and moderation (which publishes a post); posts' proxy, database and runner."""
    config = {**service_config, "AGORA": {**service_config["AGORA"], "sla_site_seconds": 3600}}
    containers = [container_factory(service, {
        **config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}"})
        for service in (PostsService, ModerationService)]
    for container in containers:
        container.start()
    runner = next(extension.runner for extension in containers[0].extensions
                  if isinstance(extension, ReadModelsProvider))
    with ServiceRpcProxy("posts", config, timeout=15) as proxy:
        yield proxy, f"{config['MONGO_DB_PREFIX']}_posts", runner


def test_an_edit_reads_the_swap_flag_beside_its_insert_not_after_it(published_posts):
    posts, database, runner = published_posts
    author = member()
    post = new_post(posts, author, title="Raising my card's limit abroad")
    published(posts, post["id"])
    runner._swap_checked_at = float("-inf")  # what seconds of quiet leave: the flag not known
    SENT.database = database
    SENT.clear()
    edited = posts.edit_post(author, post["id"], {"title": "Raising my card's limit in Canada"})
    sent = [one for one in SENT.sent if one.tag]
    SENT.database = ""
    flag = [one for one in sent if (one.name, one.collection) == ("find", "projection_checkpoints")]
    insert = [one for one in sent if (one.name, one.collection) == ("insert", "events")]
    assert len(flag) == 1 and len(insert) == 1, sent
    assert flag[0].tag != insert[0].tag  # in flight beside the command's thread, not in it
    commands = Counter(one.tag for one in sent)
    assert commands[flag[0].tag] == 1, sent
    assert edited["draft"]["title"] == "Raising my card's limit in Canada", edited
