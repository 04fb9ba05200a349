"""Its author corrects a held text never published (posts' `correcting`): the CMs' queue then
holds one item of it, the latest revision's — the older one withdrawn (`resubmitted`), even
when the correction comes again with the same idempotency key (one key, one effect) — and
another bank system reads a text sent again (`posts.post_corrected`, `replaces_revision`),
never the edit of a published text (`posts.post_edit_submitted`)."""
from __future__ import annotations

import json
import time

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.shared import commands

from ...conftest import wait_for
from ..posts.fixtures import IBAN, cm, held_item, member, new_post, public_subscriber

pytestmark = pytest.mark.integration

PHONE = "06 12 34 56 78"


def waiting(moderation, target_id):
    return [item for item in moderation.queue(cm(), {"limit": 200})["items"]
            if item["target_id"] == target_id]


def test_the_queue_holds_only_the_latest_correction_made_once_per_key(platform, posts,
                                                                      moderation):
    received, close = public_subscriber(platform["AMQP_URI"])
    try:
        author = member()
        post = new_post(posts, author, title="Carte bloquée",
                        body=f"Ma carte est bloquée, mon IBAN est {IBAN}.")
        held = held_item(moderation, post["id"])
        assert held["revision"] == 1
        correction = {"title": "Carte bloquée",
                      "body": f"Ma carte est bloquée, rappelez-moi au {PHONE}."}
        context = commands.rpc_context(f"user:{author['id']}", "correct-1", time.time() + 30)
        with ServiceRpcProxy("posts", platform, context_data=context, timeout=15) as keyed:
            first = keyed.edit_post(author, post["id"], correction)
            again = keyed.edit_post(author, post["id"], correction)  # a retry: the same effect
        assert first["draft"]["revision"] == again["draft"]["revision"] == 2
        assert wait_for(lambda: [item["revision"] for item in waiting(moderation, post["id"])]
                        == [2], timeout=15, message="only the correction waits")
        item = moderation.get_item(cm(), held["id"])
        assert item["state"] == "withdrawn" and item["withdrawn_because"] == "resubmitted"
        [latest] = waiting(moderation, post["id"])
        assert latest["detector_kinds"] == ["phone"] and IBAN not in json.dumps(latest)

        def announced():
            bodies = [json.loads(body) for body in received()]
            announced.seen += [b for b in bodies if b["stream_id"] == post["id"]]
            return [b["type"] for b in announced.seen if b["type"].startswith("posts.")]
        announced.seen = []
        types = wait_for(lambda: "posts.post_corrected" in (found := announced()) and found,
                         timeout=15, message="the correction announced")
        assert types == ["posts.post_submitted", "posts.post_corrected"]  # once, no edit
        [resent] = [b for b in announced.seen if b["type"] == "posts.post_corrected"]
        assert resent["payload"]["revision"] == 2 and resent["payload"]["replaces_revision"] == 1
        assert "body" not in resent["payload"] and IBAN not in json.dumps(resent)
    finally:
        close()
