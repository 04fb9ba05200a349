"""How fast a member may write: per member and kind of write (a post, a reply, a conversation, a
message, an edit of a post or a reply), a burst allowance per minute and a ceiling per hour,
kept in the writing service's own `write_throttle` collection by the one rate-limit mechanism
(`throttle.Throttle`). Past either, `TooManyRequests` (the gateway answers 429 with
`Retry-After`) says in the member's language how long to wait.

Why: without it one account posted 15 replies in 2.5 seconds, and each new account could open
staff-queue conversations without end. Staff are not limited: they answer and announce for the
bank, and a limit would stop an advisor in a busy hour. Edits count too: each one is a new
revision that moderation scans and may hold for a CM, so an edit loop floods the queue as surely
as new posts do (posts and replies share one `edit` allowance).

Configured from `AGORA` in the service's config.yaml: `<kind>_limit_per_minute` and
`<kind>_limit_per_hour` (0: no limit), defaults `DEFAULT_LIMITS`.

What it costs a write: one indexed read before it (both windows at once); the moment is
recorded beside the write, not after it, and taken back if the write failed.

Example::

    limits = WriteLimits(db.write_throttle, {"reply": (6, 60)})
    reply = limits.written(actor, "reply", lambda: add_the_reply())  # 429 past 6 a minute
"""
from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from nameko.extensions import DependencyProvider
from pymongo.collection import Collection

from .actors import Actor, is_staff
from .envelope import utc_now
from .errors import TooManyRequests
from .mongo import database_name, mongo_uri, release_client, shared_client
from .overlap import at_once
from .throttle import Throttle, ThrottlePolicy

Written = TypeVar("Written")

# kind of write -> (per minute, per hour): room for a lively thread or chat, not for a script
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "post": (3, 15), "reply": (6, 60), "conversation": (3, 10), "message": (10, 120),
    "edit": (6, 60)}
WINDOWS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1)}
MESSAGES = {"post": "too_many_posts", "reply": "too_many_replies",
            "conversation": "too_many_conversations", "message": "too_many_messages",
            "edit": "too_many_edits"}
COLLECTION = "write_throttle"
# the settings (config.yaml's `AGORA`), each from the environment variable AGORA_<SETTING>;
# NO_LIMITS turns them all off (0), e.g. for a benchmark whose clients write as fast as they can
SETTINGS = tuple(f"{kind}_limit_per_{window}" for kind in DEFAULT_LIMITS for window in WINDOWS)
NO_LIMITS = {f"AGORA_{name.upper()}": "0" for name in SETTINGS}


def limits_from(config: dict[str, Any], kinds: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    """(per minute, per hour) of each kind, from the config's `AGORA` section.

    >>> limits_from({"AGORA": {"reply_limit_per_minute": "0"}}, ("reply",))
    {'reply': (0, 60)}
    """
    settings = config.get("AGORA", {}) or {}

    def setting(name: str, default: int) -> int:
        value = settings.get(name)
        return default if value in (None, "") else int(value)  # 0 is a choice: no limit

    return {kind: (setting(f"{kind}_limit_per_minute", DEFAULT_LIMITS[kind][0]),
                   setting(f"{kind}_limit_per_hour", DEFAULT_LIMITS[kind][1]))
            for kind in kinds}


class WriteLimits:
    def __init__(self, collection: Collection, limits: dict[str, tuple[int, int]]):
        self.throttle = Throttle(collection, {  # a window without a limit (0) has no policy
            f"{kind}_{window}": ThrottlePolicy(limit, WINDOWS[window])
            for kind, per_window in limits.items()
            for window, limit in zip(WINDOWS, per_window, strict=True) if limit > 0})

    def ensure_indexes(self) -> None:
        self.throttle.ensure_indexes()

    def keys(self, actor: Actor | None, kind: str) -> dict[str, str]:
        """What one write of `kind` counts under: one key, judged by each window that has a
        limit; nothing for staff, for a signed-out caller (whom the command refuses anyway)
        or when no window has a limit."""
        if not actor or not actor.get("id") or is_staff(actor):
            return {}
        key = f"{kind}:{actor['id']}"
        return {name: key for window in WINDOWS
                if (name := f"{kind}_{window}") in self.throttle.policies}

    def check(self, keys: dict[str, str], kind: str, now: datetime) -> None:
        """TooManyRequests, saying in how many minutes, when a window of `keys` is full."""
        wait = self.throttle.wait(keys, now)
        if wait is not None:
            message = MESSAGES[kind]
            raise TooManyRequests.from_catalogue(message, {"retry_after": round(wait)},
                                                 minutes=math.ceil(wait / 60))

    def written(self, actor: Actor | None, kind: str, write: Callable[[], Written],
                now: datetime | None = None) -> Written:
        """`write()`'s result when the member may write another `kind` now (TooManyRequests
        otherwise), counted: its moment is recorded beside the write (the request does not
        wait for one more round trip) and taken back if the write failed — a write refused
        (bad input, a locked thread) costs the member nothing. Two writes racing for the last
        place of a window may both pass: the limit is a brake on floods, not an exact quota."""
        keys = self.keys(actor, kind)
        if not keys:
            return write()
        now = now or utc_now()
        self.check(keys, kind, now)
        try:
            result, _ = at_once(write, lambda: self.throttle.record(keys, now))
        except Exception:
            self.throttle.take_back(keys, now)
            raise
        return result


class WriteLimitsProvider(DependencyProvider):
    """The service's `WriteLimits` over its own database, for the kinds of write it takes."""

    def __init__(self, *kinds: str):
        self.kinds = kinds

    def setup(self) -> None:
        config = self.container.config
        self.uri = mongo_uri(config)
        db = shared_client(self.uri)[database_name(config, self.container.service_name)]
        self.limits = WriteLimits(db[COLLECTION], limits_from(config, self.kinds))
        self.limits.ensure_indexes()

    def stop(self) -> None:
        release_client(self.uri)

    def kill(self) -> None:
        release_client(self.uri)

    def get_dependency(self, worker_ctx) -> WriteLimits:
        return self.limits
