"""Conversations with identity, posts and moderation in nameko containers (real broker, real
database): advisors come from identity's events, escalated posts from posts' events."""
import pytest

from services.conversations.service import ConversationsService
from services.identity.service import IdentityService
from services.moderation.service import ModerationService
from services.posts.service import PostsService

from ..feeds.fixtures import Rpc, stack_config, start  # noqa: F401 - fixtures


@pytest.fixture
def rpc(container_factory, stack_config):  # noqa: F811 - the fixture imported above
    start(container_factory, stack_config, IdentityService, PostsService, ModerationService,
          ConversationsService)
    client = Rpc(stack_config)
    yield client
    client.stop()


@pytest.fixture
def conversations_db(mongo_client, stack_config):  # noqa: F811
    return mongo_client[f"{stack_config['MONGO_DB_PREFIX']}_conversations"]
