"""feeds: subscriptions (follow, watch, tags, categories, mute) and activity journals (public, a
member's activity, featured, home) — nameko entrypoints.

Thin: parse, let `domain` decide, append, apply inline, read through `queries` (subscriptions)
and `timeline` (journals and the home feed). Posts' and
identity's events are recorded in feeds' own log and projected (`record_and_apply`); authors
and repliers start watching their threads through feeds' own events, caused by posts' events.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from nameko.extensions import DependencyProvider
from nameko.rpc import rpc
from nameko.timer import timer

from services.shared import ids
from services.shared.actors import require_member, require_moderator
from services.shared.consumer import reliable_handler
from services.shared.decisions import Decisions
from services.shared.envelope import CommandContext, Envelope
from services.shared.errors import EXPECTED_ERRORS
from services.shared.event_store_provider import EventStoreProvider
from services.shared.observability import HealthEndpoints
from services.shared.projections import ReadModelsProvider
from services.shared.validation import load_input

from . import domain, projections, timeline
from .projections import VIEWS
from .queries import Subscriptions
from .schemas import CategoryPath, FeedQuerySchema, TagPath

log = logging.getLogger(__name__)

WINDOW_SWEEP_SECONDS = 3600


class FeedSettingsProvider(DependencyProvider):
    """Reads `FEEDS` from the config (threshold, window) for the projection and the reads."""

    def setup(self) -> None:
        self.settings = projections.configure(self.container.config)

    def get_dependency(self, worker_ctx) -> projections.FeedSettings:
        return self.settings


class FeedsService(Decisions, HealthEndpoints):
    name = "feeds"
    store = EventStoreProvider()
    views = ReadModelsProvider(VIEWS)
    settings = FeedSettingsProvider()

    @property
    def queries(self) -> Subscriptions:
        return Subscriptions(self.views)

    # -- subscriptions ---------------------------------------------------------------------

    def _subscribe(self, kind: domain.Kind, actor, target: str, on: bool,
                   reason: str = "member", context: CommandContext | None = None,
                   new_stream: bool = False) -> bool:
        member_id = actor["id"]
        commit = (self._decide_new if new_stream else self._decide)(
            kind.stream(member_id, target),
            lambda history: domain.subscribe(kind, member_id, target, on,
                                             domain.fold(history), reason),
            member_id, context)
        return commit is not None

    def _command(self, kind: domain.Kind, actor, target: str, on: bool) -> dict[str, Any]:
        actor = require_member(actor)
        if on:  # leaving is always possible, even when the target is gone
            domain.check_target(kind, actor["id"], target, self.queries.target_exists(kind, target))
        self._subscribe(kind, actor, target, on)
        state = {"follow": "following", "watch": "watching", "tag": "following",
                 "category": "following", "mute": "muted"}[kind.name]
        return {kind.key: target, state: bool(on)}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def follow(self, actor, user_id, on=True):
        return self._command(domain.FOLLOW, actor, ids.USER.require(user_id), on)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def watch(self, actor, post_id, on=True):
        return self._command(domain.WATCH, actor, ids.POST.require(post_id), on)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def merge_watchers(self, actor, post_id, into_id):
        """Before a CM merges an idea: how many members watch it and how many of them would
        start watching `into_id` (those already there stay as they are) (CMs)."""
        require_moderator(actor, "merge_ideas")
        return self.queries.merge_watchers(ids.POST.require(post_id), ids.POST.require(into_id))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def follow_tag(self, actor, tag, on=True):
        return self._command(domain.TAG, actor, load_input(TagPath, {"tag": tag})["tag"], on)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def follow_category(self, actor, category, on=True):
        category = load_input(CategoryPath, {"category": category})["category"]
        return self._command(domain.CATEGORY, actor, category, on)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def mute(self, actor, post_id, on=True):
        return self._command(domain.MUTE, actor, ids.POST.require(post_id), on)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def subscriptions(self, actor):
        """What I follow, watch and mute."""
        return self.queries.of(require_member(actor)["id"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_member(self, actor):
        """What feeds holds about the member (GDPR export): every subscription with since when
        (no cap, unlike `subscriptions`), and the threads they muted. Who follows them is
        other members' data and stays out."""
        return self.queries.export(require_member(actor)["id"])

    # -- journals ----------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def home(self, actor, query=None):
        actor = require_member(actor)
        return timeline.home(self.views.rm, actor["id"], load_input(FeedQuerySchema, query),
                             self.settings, int(time.time() * 1_000_000))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def public(self, actor, query=None):
        return timeline.public(self.views.rm, load_input(FeedQuerySchema, query))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def featured(self, actor, query=None):
        return timeline.featured(self.views.rm, load_input(FeedQuerySchema, query))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def activity(self, actor, user_id, query=None):
        return timeline.activity(self.views.rm, ids.USER.require(user_id),
                                 load_input(FeedQuerySchema, query))

    # -- upkeep ------------------------------------------------------------------------------

    @timer(interval=WINDOW_SWEEP_SECONDS)
    def sweep_windows(self):
        """Drop window entries older than `window_days` (readers page them from the source)."""
        cutoff = int((time.time() - self.settings.window_days * 86_400) * 1_000_000)
        self.views["home_entries"].delete_many({"ts": {"$lte": cutoff}})

    # -- events ------------------------------------------------------------------------------

    @reliable_handler("feeds", "feeds.*", idempotent=True)
    def project(self, event: Envelope):
        self.views.apply(event)

    @reliable_handler("identity", "identity.*", idempotent=True)
    def on_identity_event(self, event: Envelope):
        """Who exists (a follow needs its member) and authors' public summaries."""
        self.views.record_and_apply(event)

    @reliable_handler("posts", "posts.*", idempotent=True, batch=True,
                      only=projections.POSTS_EVENTS)
    def on_posts_event(self, events: list[Envelope]):
        """What waits in the queue, applied together (as they come: any order); then each
        event's reaction. Only the types feeds handles are bound (a post's submission, votes,
        locks and pins never reach it)."""
        self.views.record_and_apply_all(events)
        for event in events:
            self._react_to_post(event)

    def _react_to_post(self, event: Envelope) -> None:
        p = event.payload
        context = CommandContext(correlation_id=self.correlation).caused_by(event)
        if event.type == "posts.post_published":
            self._auto_watch(p["author_id"], p["post_id"], "authored", context)
        elif event.type == "posts.reply_published":
            self._auto_watch(p["author_id"], p["post_id"], "replied", context)
        elif event.type == "posts.idea_merged":
            for member_id in self.queries.watchers(p["post_id"]):
                self._auto_watch(member_id, p["into_id"], "merged", context)

    def _auto_watch(self, member_id: str, post_id: str, reason: str,
                    context: CommandContext) -> None:
        """Authors and repliers watch their threads (unless they unwatched it themselves). An
        author's watch of a published post is a new stream but for a redelivery or a post
        published again: it is appended without loading it (a conflict decides on what is
        there); a replier's or a merge's often exists already."""
        context = CommandContext(actor=member_id, correlation_id=context.correlation_id,
                                 causation_id=context.causation_id)
        self._subscribe(domain.WATCH, {"id": member_id}, post_id, True, reason, context,
                        new_stream=reason == "authored")
