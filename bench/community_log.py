"""A community's event logs, as posts and feeds record them, for `python -m bench replay`.

Members register (identity), follow five others (feeds); each post is submitted, approved by
moderation and published, gets replies (each submitted, approved, published) and votes, and its
author and repliers watch its thread — every event decided by the services' own domain code
(`services.posts.domain`, `services.feeds.domain`, `services.identity.domain`), validated and
sealed by the event store as a command's would be. Posts' log holds its own commits and the
identity and moderation events it received; feeds' log its subscriptions and the identity and
public posts events it received — what `agora replay posts` and `agora replay feeds` read.
The logs are written in bulk (the figure measured is the replay, not the writing).
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.feeds import domain as feeds_domain
from services.feeds import schemas as _feeds_schemas  # noqa: F401 (registers the payloads)
from services.identity import domain as identity_domain
from services.identity import schemas as _identity_schemas  # noqa: F401
from services.moderation import schemas as _moderation_schemas  # noqa: F401
from services.posts import domain as posts_domain
from services.posts import schemas as _posts_schemas  # noqa: F401
from services.shared.envelope import CommandContext, Envelope, NewEvent, new_id, utc_now
from services.shared.event_store import Commit, EventStore
from services.shared.payloads import REGISTRY

TAGS = ["epargne", "credit", "carte", "assurance", "budget", "retraite", "immobilier"]
WORDS = ["compte", "livret", "taux", "prêt", "carte", "virement", "agence", "conseiller",
         "épargne", "budget", "frais", "assurance", "crédit", "retraite", "placement",
         "découvert", "plafond", "banque", "mobile"]


class _Log:
    """One service's log, built in memory in the order the service would record it."""

    def __init__(self, store: EventStore):
        self.store = store
        self.history: dict[str, list[Envelope]] = {}
        self.documents: list[dict[str, Any]] = []
        # recorded an hour ago: nothing for the replay's catch-up after its swap
        self.recorded_at = utc_now() - timedelta(hours=1)

    def append(self, stream_id: str, events: list[NewEvent], actor: str | None) -> list[Envelope]:
        """A command's commit (validated against its schema, sealed as the store seals)."""
        history = self.history.setdefault(stream_id, [])
        envelopes = [self.store._envelope(event, stream_id, len(history) + offset,
                                          CommandContext(actor=actor))
                     for offset, event in enumerate(events, start=1)]
        self._keep(Commit(id=new_id(), stream_id=stream_id, version=len(history) + 1,
                          position=len(self.documents) + 1, events=envelopes,
                          recorded_at=self.recorded_at))
        history.extend(envelopes)
        return envelopes

    def receive(self, envelopes: list[Envelope]) -> None:
        """Another service's events, recorded as its consumer records them."""
        for envelope in envelopes:
            self._keep(Commit(id=envelope.id,
                              stream_id=f"{envelope.source_service}:{envelope.stream_id}",
                              version=envelope.stream_version,
                              position=len(self.documents) + 1, events=[envelope],
                              recorded_at=self.recorded_at, received=True))

    def _keep(self, commit: Commit) -> None:
        self.documents.append(self.store._document(commit, pending=False))

    def write(self) -> int:
        for start in range(0, len(self.documents), 1000):
            self.store.events.insert_many(self.documents[start:start + 1000])
        return sum(len(document["events"]) for document in self.documents)


def _text(n: int, words: int) -> str:
    return " ".join(WORDS[(n * 7 + i * 3) % len(WORDS)] for i in range(words))


def _approved(target: posts_domain.Contribution, revision: int) -> Envelope:
    """Moderation's automatic approval of a submitted revision (nothing to hold)."""
    target_id = target.id
    _, payload = REGISTRY.serialize("moderation.item_approved", {
        "item_id": f"{target_id}.r{revision}", "review": "content",
        "target_type": target.target_type, "target_id": target_id, "post_id": target.post_id,
        "revision": revision, "author_id": target.author_id, "auto": True,
        "not_confidential": []})
    return Envelope.new(NewEvent("moderation.item_approved", payload),
                        stream_id=f"{target_id}.r{revision}", stream_version=1,
                        context=CommandContext())


def build(posts_store: EventStore, feeds_store: EventStore, members: int, posts: int,
          replies: int, votes: int) -> tuple[int, int]:
    """Write both logs; returns how many events each holds (posts', feeds')."""
    posts_log, feeds_log = _Log(posts_store), _Log(feeds_store)
    people = [{"id": f"m{n:05d}", "roles": ["member"]} for n in range(members)]
    for n, person in enumerate(people):
        public, _ = identity_domain.register(person["id"], f"{person['id']}@example.org",
                                             f"Membre {n}", n % 3 == 0, utc_now())
        stream = identity_domain.user_stream(person["id"])
        registered = [posts_store._envelope(event, stream, version, CommandContext())
                      for version, event in enumerate(public, start=1)]  # identity's
        posts_log.receive(registered)
        feeds_log.receive(registered)
    for n, person in enumerate(people):
        for step in range(1, 6):
            followed = people[(n + step) % members]["id"]
            _subscribe(feeds_log, feeds_domain.FOLLOW, person["id"], followed, "member")
    for n in range(posts):
        author = people[n % members]
        post_id = f"p{n:08d}"
        data = {"kind": ("question", "idea", "discussion")[n % 3], "title": _text(n, 6),
                "body": _text(n, 40), "category": "general", "tags": [TAGS[n % len(TAGS)]]}
        _publish(posts_log, feeds_log, posts_domain.submit_post(author, data, post_id), author)
        _subscribe(feeds_log, feeds_domain.WATCH, author["id"], post_id, "authored")
        for r in range(replies):
            replier = people[(n + r + 1) % members]
            post = posts_domain.fold(posts_log.history[post_id])
            submission = posts_domain.submit_reply(replier, post, {"body": _text(n + r, 25)},
                                                   f"r{n:08d}{r:02d}")
            _publish(posts_log, feeds_log, submission, replier)
            _subscribe(feeds_log, feeds_domain.WATCH, replier["id"], post_id, "replied")
        post = posts_domain.fold(posts_log.history[post_id])
        for v in range(votes):
            voter = people[(n + v + 7) % members]
            if voter["id"] == author["id"]:
                continue
            stream = posts_domain.vote_stream(post_id, voter["id"])
            voted = posts_log.append(stream, posts_domain.vote(
                voter, post, posts_domain.fold_vote(posts_log.history.get(stream, [])), True),
                voter["id"])
            feeds_log.receive(voted)
    return posts_log.write(), feeds_log.write()


def _publish(posts_log: _Log, feeds_log: _Log, submission: posts_domain.Submission,
             author: dict[str, Any]) -> None:
    """Submitted, approved by moderation, published — as posts records it, and what feeds
    receives of it (its public events)."""
    target_id, revision = submission.target_id, submission.revision
    public = posts_log.append(target_id, submission.public, author["id"])
    posts_log.append(posts_domain.content_stream(target_id, revision), submission.content,
                     author["id"])
    state = posts_domain.fold(posts_log.history[target_id])
    state.id = state.id or target_id
    approval = _approved(state, revision)
    posts_log.receive([approval])
    content = posts_log.history[posts_domain.content_stream(target_id, revision)][0].payload
    published = posts_log.append(target_id, posts_domain.on_review(
        state, "approved", "content", revision, content=content), None)
    feeds_log.receive(public + published)


def _subscribe(feeds_log: _Log, kind: feeds_domain.Kind, member: str, target: str,
               reason: str) -> None:
    stream = kind.stream(member, target)
    events = feeds_domain.subscribe(kind, member, target, True,
                                    feeds_domain.fold(feeds_log.history.get(stream, [])), reason)
    if events:
        feeds_log.append(stream, events, member)
