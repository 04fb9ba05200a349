"""The merge workflow's second half: a merged idea's votes move to its target, voter by voter,
each step decided on fresh state (domain.move_vote), so that a crash in between is finished by
the next run. service.py runs it from the merge RPC and again from the `posts.idea_merged`
reaction (and for a vote that raced the merge)."""
from __future__ import annotations

from collections.abc import Callable

from services.shared.envelope import CommandContext
from services.shared.event_store import Commit

from . import domain
from .queries import PostsQueries


def move_votes(store, queries: PostsQueries, load_post: Callable[[str], domain.Contribution],
               decide: Callable[..., Commit | None], source_id: str, context: CommandContext,
               voters: list[str] | None = None) -> int:
    """Move the votes of a merged idea to its target (each voter at most once there).

    Idempotent and restartable: for each voter the target's vote is added first, then the
    source's withdrawn, each decided on fresh state — a crash in between is finished by the
    next run (the merge RPC, then the `posts.idea_merged` reaction, both run it). `load_post`
    folds a post's stream, `decide` is the service's `_decide`."""
    source = load_post(source_id)
    if not source.merged_into:
        return 0
    target = load_post(source.merged_into)
    if voters is None:
        voters = queries.voters(source_id)
    moved = 0
    for voter in voters:
        source_stream = domain.vote_stream(source_id, voter)
        target_stream = domain.vote_stream(target.id, voter)

        def join(history, voter=voter, source_stream=source_stream):
            source_vote = domain.fold_vote(store.load(source_stream))
            return domain.move_vote(source, target, source_vote, domain.fold_vote(history),
                                    voter)[1]

        def leave(history, voter=voter, target_stream=target_stream):
            target_vote = domain.fold_vote(store.load(target_stream))
            return domain.move_vote(source, target, domain.fold_vote(history), target_vote,
                                    voter)[0]

        decide(target_stream, join, None, context)
        moved += decide(source_stream, leave, None, context) is not None
    return moved
