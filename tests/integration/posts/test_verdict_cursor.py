"""Moderation's verdict on a new post is applied by posts without reading the post's cursor:
the process moved it to the version before (the creation's inline apply), and the verdict's
commit was just written (`apply_commit(..., at_floor=True)`)."""
from __future__ import annotations

import pytest
from pymongo import monitoring

from ...commands import CommandLog
from .fixtures import cm, held_item, member, new_post, published

pytestmark = pytest.mark.integration

# registered for the whole process (the services' clients are created when their containers
# start); it records nothing until a test sets its database (None: every database)
SENT = CommandLog(database="")
monitoring.register(SENT)


@pytest.mark.parametrize("held", [False, True], ids=["automatic approval", "a CM's approval"])
def test_a_verdict_on_a_new_post_is_applied_without_reading_its_cursor(
        platform, posts, moderation, held):
    author = member()
    SENT.clear()
    SENT.database = None
    try:
        # held by the detector: a phone number, which a CM may approve by saying it may be
        # public (an IBAN is never approved as written)
        post = new_post(posts, author, title="Plafond de ma carte",
                        body="Mon agence : 01 23 45 67 89" if held else "Comment l'augmenter ?")
        if held:
            item = held_item(moderation, post["id"])
            moderation.decide(cm(), item["id"], {"decision": "approve",
                                                 "not_confidential": ["phone"]})
        published(posts, post["id"])
    finally:
        SENT.database = ""
    database = f"{platform['MONGO_DB_PREFIX']}_posts"
    assert SENT.reads_of("posts_views_cursors", post["id"], database) == []
