"""A new post's answer is built from what its inline apply wrote (the writes return the post's
document and the author's draft, `WrittenDocuments`), not read back after them: and it is what
a later read returns. Posts runs alone here, so nothing rules on the post in between."""
from __future__ import annotations

from collections import Counter

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from pymongo import monitoring

from services.posts.service import PostsService

from ...commands import CommandLog
from .fixtures import member, new_post

pytestmark = pytest.mark.integration


# registered for the whole process (the service's client is created when its container
# starts); it records nothing until a test names its database
FINDS = CommandLog(database="")
monitoring.register(FINDS)


@pytest.fixture
def posts_alone(container_factory, service_config):
    container = container_factory(PostsService, service_config)
    container.start()
    with ServiceRpcProxy("posts", service_config, timeout=15) as proxy:
        yield proxy, f"{service_config['MONGO_DB_PREFIX']}_posts"


def test_a_new_posts_answer_is_what_its_writes_left_and_what_a_later_read_returns(posts_alone):
    posts, database = posts_alone
    author = member()
    new_post(posts, author, title="A first post: the category is known")
    FINDS.clear()
    FINDS.database = database
    created = new_post(posts, author, title="Raising my card's limit abroad", tags=["cards"])
    FINDS.database = ""
    finds = Counter(sent.collection for sent in FINDS.matching("find"))
    # the handlers' reads before their writes (the post's document by the announcement's and
    # by the text's), none after them: no draft and no document read back for the answer
    assert finds["drafts"] == 0, finds
    assert finds["posts"] <= 2, finds
    assert created["state"] == "pending" and created["draft"]["title"] == \
        "Raising my card's limit abroad", created
    assert posts.get_post(author, created["id"]) == created
