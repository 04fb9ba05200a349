"""A new post's answer is built from what its inline apply wrote (the writes return the post's
document and the author's draft, `WrittenDocuments`), not read back after them: and it is what
a later read returns. Posts runs alone here, so nothing rules on the post in between."""
from __future__ import annotations

from collections import Counter

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from pymongo import monitoring

from services.posts.service import PostsService

from .fixtures import member, new_post

pytestmark = pytest.mark.integration


class _Finds(monitoring.CommandListener):
    """The `find`s sent to one database while armed, by collection (registered for the whole
    process: the service's client is created when its container starts)."""

    def __init__(self) -> None:
        self.database: str | None = None
        self.finds: Counter = Counter()

    def arm(self, database: str) -> None:
        self.database, self.finds = database, Counter()

    def disarm(self) -> Counter:
        self.database = None
        return self.finds

    def started(self, event):
        if event.database_name == self.database and event.command_name == "find":
            self.finds[event.command["find"]] += 1

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


FINDS = _Finds()
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
    FINDS.arm(database)
    created = new_post(posts, author, title="Raising my card's limit abroad", tags=["cards"])
    finds = FINDS.disarm()
    # the handlers' reads before their writes (the post's document by the announcement's and
    # by the text's), none after them: no draft and no document read back for the answer
    assert finds["drafts"] == 0, finds
    assert finds["posts"] <= 2, finds
    assert created["state"] == "pending" and created["draft"]["title"] == \
        "Raising my card's limit abroad", created
    assert posts.get_post(author, created["id"]) == created
