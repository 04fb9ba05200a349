"""A refused post keeps its title in moderation's `targets` (masked by the detector), so the
console's lists of a member's contributions (the author panel) name it: it was learnt only at
publication, and a post refused before publication appeared untitled. Rows stored before this
get it at `agora replay moderation`."""
import io

import pytest

from ...conftest import wait_for
from ..posts.fixtures import IBAN, cm, held_item, member, new_post

pytestmark = pytest.mark.integration


def test_a_refused_post_keeps_its_masked_title_and_a_replay_gives_it_to_older_rows(
        posts, moderation, platform, mongo_client):
    from services.moderation.projections import VIEWS
    from services.shared.event_store import EventStore
    from services.shared.projections import replay

    author, manager = member(), cm()
    post = new_post(posts, author, title=f"Mon IBAN {IBAN} refusé",
                    body="Pourquoi mon virement est-il bloqué ?")
    item = held_item(moderation, post["id"])
    moderation.decide(manager, item["id"], {"decision": "reject",
                                            "reason_code": "confidential_data"})

    def refused():
        found = moderation.member_contributions(manager, author["id"])["items"]
        return next((c for c in found if c["id"] == post["id"] and c["state"] == "rejected"),
                    None)

    contribution = wait_for(refused, timeout=20, message="the refusal known to moderation")
    title = contribution["title"]
    assert title and title.startswith("Mon IBAN ") and title.endswith(" refusé"), title
    assert IBAN not in title and "•" in title  # masked, as the queue's headlines are
    assert contribution["excerpt"] == ""  # the text itself is gone

    # a row stored before this change (no title): the replay gives it its title
    db = mongo_client[f"{platform['MONGO_DB_PREFIX']}_moderation"]
    db["targets"].update_one({"_id": post["id"]}, {"$unset": {"title": ""}})
    assert refused()["title"] is None
    replay(EventStore(db, "moderation"), VIEWS, out=io.StringIO(), quiesce_seconds=0.1)
    assert refused()["title"] == title
