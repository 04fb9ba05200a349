"""What every event-sourced service does with a command, written once.

A service class mixes `Decisions` in beside `HealthEndpoints` and declares its `store`
(`EventStoreProvider`) and `views` (`ReadModelsProvider`); an entrypoint then parses its input,
calls a pure rule of its domain through `_decide`, and returns::

    class PostsService(Decisions, HealthEndpoints):
        store = EventStoreProvider()
        views = ReadModelsProvider(VIEWS)

        @rpc
        def lock(self, actor, post_id):
            self._decide(post_id, lambda history: domain.lock(actor, domain.fold(history)), actor)
"""
from __future__ import annotations

from typing import Any

from .envelope import CommandContext
from .errors import ConcurrencyConflict
from .event_store import Commit


class Decisions:
    """`_decide`: load the stream, decide, append (re-deciding on a concurrent write), apply the
    commit to the read models at once (read-your-writes)."""

    def _context(self, actor: dict[str, Any] | str | None) -> CommandContext:
        """The command's context: who (an actor or an actor's id) and the request's correlation."""
        actor_id = actor.get("id") if isinstance(actor, dict) else actor
        return CommandContext(actor=actor_id, correlation_id=self.correlation)  # type: ignore[attr-defined]

    def _decide(self, stream_id: str, decide, actor: dict[str, Any] | str | None,
                context: CommandContext | None = None, into: Any = None) -> Commit | None:
        """When the decision is a no-op because a concurrent writer already did it, the stream's
        last event is applied here too before answering, so the caller reads its effect.
        `into`: the read models the inline apply writes through (`ProjectionRunner.keeping`:
        the command answers from what it wrote)."""
        commit = self.store.execute(  # type: ignore[attr-defined]
            stream_id, decide, context or self._context(actor))
        if commit is None:
            self._catch_up(stream_id)
        self.views.apply_commit(commit, into=into)  # type: ignore[attr-defined]
        return commit

    def _decide_new(self, stream_id: str, decide, actor: dict[str, Any] | str | None,
                    context: CommandContext | None = None, at_floor: bool = False
                    ) -> Commit | None:
        """`_decide` for a stream that is new unless this is a redelivery (a review item, the
        author's watch of their new thread): decided on no history and appended without
        loading the stream; a conflict (it exists) decides on what is there, as `_decide`.
        `at_floor`: the new stream's commit is applied without reading its cursor
        (`ProjectionRunner.apply_commit`; for handlers checked for a second run)."""
        context = context or self._context(actor)
        new_events = decide([])
        if new_events:
            try:
                commit = self.store.append(stream_id, 0, new_events, context)  # type: ignore[attr-defined]
            except ConcurrencyConflict:
                return self._decide(stream_id, decide, actor, context)
            self.views.apply_commit(commit, at_floor=at_floor)  # type: ignore[attr-defined]
            return commit
        return self._decide(stream_id, decide, actor, context)

    def _catch_up(self, stream_id: str) -> None:
        events = self.store.load(stream_id)  # type: ignore[attr-defined]
        if events:
            self.views.apply(events[-1])  # type: ignore[attr-defined]  # fills what is missing
