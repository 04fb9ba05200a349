"""Streams built with the services' own pure rules, for the unit tests that start from a state:
a post submitted and published by posts' domain, a user registered by identity's domain. Shared by
test_posts_domain, test_identity_domain and test_content_safety (no broker, no database)."""
from datetime import UTC, datetime

from services.identity import domain as identity_domain
from services.posts import domain
from services.posts.schemas import PostCreateSchema
from services.shared.envelope import CommandContext, Envelope, NewEvent
from services.shared.event_store import EventStore  # noqa: F401 - registry import side effects
from services.shared.payloads import REGISTRY

# -- posts ------------------------------------------------------------------------------------

AUTHOR = {"id": "u-author", "roles": ["member"]}
OTHER = {"id": "u-other", "roles": ["member"]}
CM = {"id": "u-cm", "roles": ["member", "community_manager"]}
ADVISOR = {"id": "u-adv", "roles": ["member", "advisor"]}
POST = {"kind": "question", "title": "Card limit abroad", "body": "How do I raise it?",
        "category": "cards", "tags": ["travel"]}


class Stream:
    """An in-memory stream: envelopes as the store would give them back (schemas checked)."""

    def __init__(self, stream_id):
        self.stream_id = stream_id
        self.events: list[Envelope] = []

    def append(self, new_events: list[NewEvent]) -> list[Envelope]:
        added = []
        for event in new_events:
            version, payload = REGISTRY.serialize(event.type, event.payload)
            added.append(Envelope.new(NewEvent(event.type, payload), stream_id=self.stream_id,
                                      stream_version=len(self.events) + 1,
                                      context=CommandContext(), schema_version=version))
            self.events.append(added[-1])
        return added

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
    return [Envelope.new(event, stream_id=stream, stream_version=start + i,
                         context=CommandContext()) for i, event in enumerate(events)]


def user(user_id="u1", customer=False, roles=()):
    events, _ = identity_domain.register(user_id, f"{user_id}@example.org", f"User {user_id}",
                                         customer, NOW, roles)
    return identity_domain.fold(envelopes(events, f"user-{user_id}")), events
