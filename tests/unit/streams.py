"""Streams built with the services' own pure rules, for the unit tests that start from a state:
a post submitted and published by posts' domain, a user registered by identity's domain. Shared by
the domain unit tests (no broker, no database): every stream is kept in the in-memory event store,
which passes the same contract suite as the services' (schemas checked, personal fields sealed and
opened, versions and envelopes as a service's store gives them back)."""
from datetime import UTC, datetime

# every service's event schemas, as each service's own store knows its events
import services.conversations.schemas
import services.feeds.schemas
import services.moderation.schemas
import services.notifications.schemas  # noqa: F401
from services.identity import domain as identity_domain
from services.posts import domain
from services.posts.schemas import PostCreateSchema
from services.shared.envelope import CommandContext, Envelope, NewEvent
from services.shared.event_store import EventStore, in_memory_event_store

# -- posts ------------------------------------------------------------------------------------

AUTHOR = {"id": "u-author", "roles": ["member"]}
OTHER = {"id": "u-other", "roles": ["member"]}
CM = {"id": "u-cm", "roles": ["member", "community_manager"]}
ADVISOR = {"id": "u-adv", "roles": ["member", "advisor"]}
POST = {"kind": "question", "title": "Card limit abroad", "body": "How do I raise it?",
        "category": "cards", "tags": ["travel"]}


def stored(new_events: list[NewEvent], stream_id: str, start: int = 1,
           context: CommandContext | None = None, store: EventStore | None = None
           ) -> list[Envelope]:
    """`new_events` appended to `stream_id` (after version `start - 1`) and read back."""
    if not new_events:
        return []
    store = store or in_memory_event_store("tests")
    store.append(stream_id, start - 1, list(new_events), context or CommandContext())
    return store.load(stream_id, after_version=start - 1)


class Stream:
    """One stream of the in-memory event store."""

    def __init__(self, stream_id):
        self.stream_id = stream_id
        self.store = in_memory_event_store("tests")

    @property
    def events(self) -> list[Envelope]:
        return self.store.load(self.stream_id)

    def append(self, new_events: list[NewEvent]) -> list[Envelope]:
        if not new_events:
            return []
        version = self.store.stream_version(self.stream_id)
        self.store.append(self.stream_id, version, new_events, CommandContext())
        return self.store.load(self.stream_id, after_version=version)

    @property
    def state(self) -> domain.Contribution:
        return domain.fold(self.events)


def submitted(data=POST, actor=AUTHOR, post_id="p1"):
    stream = Stream(post_id)
    submission = domain.submit_post(actor, PostCreateSchema().load(data), post_id)
    stream.append(submission.public)
    return stream, submission


def publish(stream, submission, revision=1):
    content = submission.content[0].payload
    stream.append(domain.on_review(stream.state, "approved", "content", revision,
                                   content=content))


def published_post(data=POST, actor=AUTHOR, post_id="p1"):
    stream, submission = submitted(data, actor, post_id)
    publish(stream, submission)
    return stream


def idea(post_id="i1"):
    return published_post({**POST, "kind": "idea"}, post_id=post_id)


# -- identity ---------------------------------------------------------------------------------

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def envelopes(events, stream="user-u1", start=1):
    return stored(events, stream, start)


def user(user_id="u1", customer=False, roles=()):
    events, _ = identity_domain.register(user_id, f"{user_id}@example.org", f"User {user_id}",
                                         customer, NOW, roles)
    return identity_domain.fold(envelopes(events, f"user-{user_id}")), events
