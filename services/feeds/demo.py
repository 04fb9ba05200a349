"""Demo subscriptions for LOCAL use (`agora seed-demo` calls `seed(api)` after posts' demo).

Members follow the advisor, each other, the community managers' account and a few tags, so
every demo member opens a home feed with something in it (following backfills recent posts).
Everything goes through the public API; PUT is idempotent, so re-running changes nothing.
"""
from __future__ import annotations

import time

WAIT_SECONDS = 30

FOLLOWS = {
    "member1@demo.agora": ["advisor1@demo.agora", "member2@demo.agora", "cm1@demo.agora"],
    "member2@demo.agora": ["member1@demo.agora", "cm1@demo.agora"],
    "member3@demo.agora": ["advisor1@demo.agora", "cm1@demo.agora"],
    "member4@demo.agora": ["member3@demo.agora", "cm1@demo.agora"],
    "member5@demo.agora": ["cm1@demo.agora"],
}
TAGS = {"member3@demo.agora": ["voyage", "épargne"], "member5@demo.agora": ["carte"]}
CATEGORIES = {"member4@demo.agora": ["cards"]}


def _put(api, path: str, as_: str) -> None:
    """Feeds learns members from identity's events: a follow may 404 for a moment."""
    deadline = time.monotonic() + WAIT_SECONDS
    while (api.put(path, as_=as_, expect=(200, 404)) or {}).get("status") == 404:
        if time.monotonic() > deadline:
            raise RuntimeError(f"PUT {path} as {as_} kept answering 404")
        time.sleep(0.2)


def seed(api) -> None:
    for member, followed in FOLLOWS.items():
        for other in followed:
            _put(api, f"/api/v1/me/following/{api.user_id(other)}", member)
    for member, tags in TAGS.items():
        for tag in tags:
            _put(api, f"/api/v1/me/following-tags/{tag}", member)
    for member, categories in CATEGORIES.items():
        for category in categories:
            _put(api, f"/api/v1/me/following-categories/{category}", member)
