"""What the tests of a projection that applies posts' events as they come share (feeds,
conversations): the events of one post and one reply, applied one by one or as one batch, the
read models read back in a stable order, and the delivery orders to try."""
import itertools
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from services.shared.envelope import Envelope, new_id
from services.shared.event_store import EventStore
from services.shared.projections import Projection, ProjectionRunner


def posts_event(fact: str, version: int, *, post_ref: dict, reply_ref: dict,
                started: datetime, **extra) -> Envelope:
    """`posts.<fact>` at `version` of the reply's stream (a `reply_*` fact) or the post's."""
    of_reply = fact.startswith("reply_")
    ref = reply_ref if of_reply else post_ref
    return Envelope(id=new_id(), type=f"posts.{fact}", schema_version=1,
                    stream_id=ref["reply_id"] if of_reply else ref["post_id"],
                    stream_version=version,
                    occurred_at=(started + timedelta(minutes=version)).isoformat(), actor=None,
                    correlation_id=None, causation_id=None, payload={**ref, **extra})


def read_models(store: EventStore, names: tuple[str, ...]) -> dict[str, list[dict]]:
    return {name: sorted(store.db[name].find(), key=lambda doc: doc["_id"]) for name in names}


def applied(views: Projection, store: EventStore, events: list[Envelope], batched: bool,
            names: tuple[str, ...]) -> dict[str, list[dict]]:
    """The read models after `events`, delivered one by one or as one batch."""
    runner = ProjectionRunner(views, store)
    if batched:
        runner.record_and_apply_all(events)
    else:
        for event in events:
            runner.record_and_apply(event)
    return read_models(store, names)


def shuffled(history: list[Envelope], rng: random.Random, count: int) -> list[list[Envelope]]:
    """The history reversed, then `count` random orders of it."""
    return [list(reversed(history))] + [rng.sample(history, len(history)) for _ in range(count)]


def delivered_twice(history: list[Envelope], rng: random.Random) -> list[Envelope]:
    """Every event re-delivered once, in a random order."""
    return rng.sample(history * 2, 2 * len(history))


def fresh_stores(mongo_client, database: str, service: str,
                 prepare: Callable[[EventStore], None] = lambda store: None
                 ) -> Callable[[], EventStore]:
    """A maker of new databases (each with its log and indexes, then `prepare`d), one a call."""
    counter = itertools.count()

    def make() -> EventStore:
        store = EventStore(mongo_client[f"{database}{next(counter)}"], service)
        store.ensure_indexes()
        prepare(store)
        return store

    return make
