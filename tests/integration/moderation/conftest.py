from ..posts.fixtures import moderation, platform, posts  # noqa: F401 - fixtures
