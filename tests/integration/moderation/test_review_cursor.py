"""Moderation's review of a submitted text opens the revision's item stream and applies it
without reading its cursor (`_decide_new(..., at_floor=True)`): nothing of a new stream was
applied anywhere before its first commit."""
from __future__ import annotations

import pytest
from pymongo import monitoring

from ...commands import CommandLog
from ...conftest import wait_for
from ..posts.fixtures import IBAN, held_item, member, new_post, published

pytestmark = pytest.mark.integration

SENT = CommandLog(database="")  # records nothing until a test sets its database
monitoring.register(SENT)


@pytest.mark.parametrize("held", [False, True], ids=["automatic approval", "a hold"])
def test_a_review_opens_its_item_without_reading_its_cursor(
        platform, posts, moderation, held):
    SENT.clear()
    SENT.database = None
    try:
        post = new_post(posts, member(), title="Plafond de ma carte",
                        body=f"Mon IBAN est {IBAN}" if held else "Comment l'augmenter ?")
        if held:
            held_item(moderation, post["id"])
        else:
            published(posts, post["id"])
        item_id = f"{post['id']}.r1"
        # the review's inline apply is over when it moved the item's cursor (a read comes first)
        wait_for(lambda: any(item_id in _moved(sent) for sent in SENT.sent),
                 message="the review item's cursor moved")
    finally:
        SENT.database = ""
    database = f"{platform['MONGO_DB_PREFIX']}_moderation"
    assert SENT.reads_of("moderation_views_cursors", item_id, database) == []


def _moved(sent) -> list[str]:
    """The cursors a command on `moderation_views_cursors` moves (`findAndModify`, or a
    bulk `update`)."""
    if sent.collection != "moderation_views_cursors":
        return []
    command = sent.command
    return [(command.get("query") or {}).get("_id"),
            *(update["q"].get("_id") for update in command.get("updates", []))]
