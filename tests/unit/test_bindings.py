"""Each service's subscriptions against what its handlers use: every event type a projection
(or a reaction) handles is bound to one of the service's queues on the exchange it is published
to, and a subscription narrowed to some types (`reliable_handler(..., only=...)`) either feeds a
projection that applies that source as it comes or leaves out whole streams only (a
whole-stream projection would wait forever for the versions its binding dropped).
docs/performance.md, "Bindings against handlers"."""
import re

import pytest

from gateway.service import GatewayService
from services.posts import domain
from services.posts import schemas as posts_schemas
from services.posts.verdicts import VERDICTS
from services.shared import broker_permissions as broker
from services.shared.config import import_service
from services.shared.outbox import private_exchange, public_exchange
from services.shared.payloads import REGISTRY
from services.shared.projections import ReadModelsProvider

pytestmark = pytest.mark.unit

# Types a service's entrypoint reacts to besides applying them (`event.type == ...` in
# service.py): they must reach it as well as its projection's.
REACTIONS = {
    "identity": ("identity.user_erased",),
    "posts": ("posts.idea_merged", "posts.post_published", "posts.post_voted",
              "identity.user_erased", *VERDICTS),
    "moderation": ("posts.content_submitted",),  # reviewed by the entrypoint itself
    "notifications": ("identity.user_erased",),
    "conversations": ("identity.user_erased", "identity.advisor_assigned"),
}


def services():
    return {name: import_service(name) for name in broker.SERVICES}


def bindings(cls):
    """(exchange, routing key, source, narrowed) of every reliable_handler of a service class."""
    found = []
    for name in dir(cls):
        for entrypoint in getattr(getattr(cls, name), "nameko_entrypoints", ()):
            if type(entrypoint).__name__ != "ReliableEventHandler":
                continue
            exchange = (private_exchange if entrypoint.private else public_exchange)(
                entrypoint.source_service)
            keys = entrypoint.only or (entrypoint.event_type,)
            found += [(exchange, key, entrypoint.source_service, bool(entrypoint.only))
                      for key in keys]
    return found


def projections(cls):
    return [value.projection for value in vars(cls).values()
            if isinstance(value, ReadModelsProvider)]


def matches(pattern: str, key: str) -> bool:
    """AMQP topic matching: `*` is one word, `#` zero or more."""
    words = "\\.".join("[^.]+" if word == "*" else ".*" if word == "#" else re.escape(word)
                       for word in pattern.split("."))
    return re.fullmatch(words.replace("\\..*", "(\\..*)?"), key) is not None


def handled(cls, service: str) -> set[str]:
    types = {event_type for projection in projections(cls) for event_type in projection._handlers}
    return types | set(REACTIONS.get(service, ()))


def exchange_of(event_type: str) -> str:
    source = event_type.split(".")[0]
    private = REGISTRY.is_private(event_type)
    return (private_exchange if private else public_exchange)(source)


@pytest.mark.parametrize("service", broker.SERVICES)
def test_every_handled_event_type_is_bound(service):
    cls = services()[service]
    bound = bindings(cls)
    missing = sorted(event_type for event_type in handled(cls, service)
                     if not any(exchange == exchange_of(event_type) and matches(key, event_type)
                                for exchange, key, _, _ in bound))
    assert not missing, f"{service} handles but does not bind {missing}"


# Per source, the families of types that make up streams of their own (a receiver applying
# that source's streams whole may leave a whole family unbound, never a part of one).
STREAM_FAMILIES = {"posts": posts_schemas.STREAM_FAMILIES}


@pytest.mark.parametrize("service", broker.SERVICES)
def test_a_narrowed_subscription_leaves_out_only_whole_streams_or_feeds_an_as_they_come_projection(
        service):
    cls = services()[service]
    as_they_come = {source for projection in projections(cls)
                    for source in projection.as_they_come}
    for exchange, source in {(e, source) for e, _, source, only in bindings(cls) if only}:
        if source in as_they_come:
            continue  # applied as they come: any subset of types
        bound = {key for e, key, _, only in bindings(cls) if e == exchange and only}
        unbound = {t for t in REGISTRY.event_types() if exchange_of(t) == exchange} - bound
        families = STREAM_FAMILIES.get(source, ())
        cut = [family for family in families if set(family) <= unbound]
        assert unbound == {t for family in cut for t in family}, (
            f"{service} applies {source}'s streams whole but leaves out "
            f"{sorted(unbound - {t for family in cut for t in family})}, part of streams it "
            "takes: their later versions would wait for the dropped ones")


def test_posts_stream_families_are_whole_streams():
    """A vote stream holds `vote_event`s only, a category stream category events only."""
    votes = {domain.vote_event(target, "voter", on).type
             for target in (domain.Contribution(id="p1", target_type="post", author_id="a"),
                            domain.Contribution(id="r1", target_type="reply", author_id="a",
                                                post_id="p1"))
             for on in (True, False)}
    assert votes == {*posts_schemas.POST_VOTE_EVENTS, *posts_schemas.REPLY_VOTE_EVENTS}
    assert set(posts_schemas.CATEGORY_EVENTS) == {
        t for t in REGISTRY.event_types() if t.startswith("posts.category_")}
    families = [t for family in posts_schemas.STREAM_FAMILIES for t in family]
    assert len(families) == len(set(families))


def test_the_projections_are_found():
    found = {service: projections(cls) for service, cls in services().items()}
    assert all(found.values()), found  # a service without one would pass the tests above idly
    assert not projections(GatewayService)


@pytest.mark.parametrize("pattern, key, expected", [
    ("posts.*", "posts.post_published", True), ("posts.*", "feeds.post_watched", False),
    ("posts.post_published", "posts.post_published", True), ("posts.#", "posts.a.b", True),
    ("posts.post_published", "posts.post_edited", False), ("posts.*", "posts.a.b", False)])
def test_topic_matching(pattern, key, expected):
    assert matches(pattern, key) is expected
