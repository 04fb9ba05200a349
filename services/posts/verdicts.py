"""Moderation's verdicts on posts' contributions: publish, reject, redact, hide or restore the
contribution a `moderation.item_*` event concerns (domain.on_review decides). Several steps:
the submitted text from its private content stream, then the decision on the contribution's
stream, applied to the read models at once."""
from __future__ import annotations

import logging
from collections.abc import Callable

from services.shared.envelope import CommandContext, Envelope
from services.shared.event_store import Commit

from . import domain

log = logging.getLogger(__name__)

VERDICTS = {"moderation.item_held": "held", "moderation.item_approved": "approved",
            "moderation.item_rejected": "rejected", "moderation.item_redacted": "redacted"}


def apply(store, views, event: Envelope, context: CommandContext,
          folded: Callable[[list[Envelope], str], domain.Contribution]) -> Commit | None:
    """The commit the verdict in `event` makes (None for another event, a verdict already
    applied, or an approval whose text is missing). `folded` folds a contribution's stream."""
    verdict = VERDICTS.get(event.type)
    if verdict is None:
        return None
    p = event.payload
    content = None
    if p["review"] == "content" and verdict in ("approved", "redacted"):
        # a revision's text is written once, by the submission (often this process's)
        text = domain.content_stream(p["target_id"], p["revision"])
        submitted = store.load_written_once(text)
        if not submitted:
            log.warning("verdict on %s r%s without its content; ignored", p["target_id"],
                        p["revision"])
            return None
        content = submitted[0].payload

    def decide(history):
        state = folded(history, p["target_type"])
        return domain.on_review(state, verdict, p["review"], p["revision"], content=content,
                                title=p.get("title"), body=p.get("body"),
                                reason_code=p.get("reason_code"), tags=p.get("tags"))

    # a conflict beyond the retries raises: the reliable handler tries again later
    commit = store.execute(p["target_id"], decide, context, retries=10)
    # at the floor: the contribution's cursor is not read when this process moved it to the
    # version before (its creation's inline apply); the verdicts' handlers make one effect
    # when run twice and do not undo a later event's (docs/performance.md, "Cursor reads and
    # received-event records left per post")
    views.apply_commit(commit, at_floor=True)
    return commit


def publishes_an_idea(commit: Commit | None) -> bool:
    """An idea's author votes for it as soon as it is published."""
    return commit is not None and any(
        e.type == "posts.post_published" and e.payload.get("kind") == "idea"
        for e in commit.events)
