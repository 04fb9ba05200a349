"""Sliding-window rate limits kept in a service's own MongoDB collection: ONE mechanism for every
limit Agora enforces (failed logins, registrations, flags, hides by flaggers).

A limit is a `ThrottlePolicy` (so many moments within a window) applied to a key: what is counted
("pair:<address>|<account>", "address:<ip>", "flagger:<id>"). `Throttle.wait(keys, now)` answers
how long the caller must wait before the next attempt counted under those keys (the longest of
the windows concerned), `Throttle.check` raises `TooManyRequests` with that delay (the gateway
answers 429 with `Retry-After`), `Throttle.record` counts one more moment under each key.

Why a collection and not memory: the service runs as several replicas; a limit per replica
would multiply it by the replica count. The moments expire through a TTL index.

Example::

    throttle = Throttle(db.registrations, {"address": ThrottlePolicy(10, timedelta(hours=1))})
    throttle.check({"address": "address:192.0.2.1"}, now, "too_many_registrations")
    throttle.record({"address": "address:192.0.2.1"}, now)
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ASCENDING
from pymongo.collection import Collection

from .errors import TooManyRequests


@dataclass(frozen=True)
class ThrottlePolicy:
    limit: int          # moments allowed within the window
    window: timedelta


def retry_after(moments: Iterable[datetime], now: datetime, policy: ThrottlePolicy
                ) -> float | None:
    """Seconds until another attempt is allowed, or None if one is allowed now.

    A sliding window: with `limit` moments inside the last `window`, the next attempt waits
    until the oldest of those leaves the window.

    >>> from datetime import timezone
    >>> now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> retry_after([now - timedelta(minutes=1)], now, ThrottlePolicy(1, timedelta(minutes=5)))
    240.0
    """
    recent = sorted(moment for moment in moments if moment > now - policy.window)
    if policy.limit <= 0 or len(recent) < policy.limit:
        return None
    oldest_counted = recent[-policy.limit]
    wait = (oldest_counted + policy.window - now).total_seconds()
    return max(wait, 1.0)


class Throttle:
    """Moments per key in one collection (`key`, `at`), judged by a policy per kind of key."""

    def __init__(self, collection: Collection, policies: dict[str, ThrottlePolicy],
                 kept: timedelta = timedelta(days=1)):
        self.collection = collection
        self.policies = policies
        self.kept = max([kept, *(policy.window for policy in policies.values())])

    def ensure_indexes(self) -> None:
        self.collection.create_index([("key", ASCENDING), ("at", ASCENDING)], name="key_at")
        self.collection.create_index("at", expireAfterSeconds=int(self.kept.total_seconds()),
                                     name="at_ttl")

    def moments(self, key: str, since: datetime, limit: int = 0) -> list[datetime]:
        cursor = self.collection.find({"key": key, "at": {"$gt": since}}, {"at": 1}).sort(
            "at", -1)
        if limit:
            cursor = cursor.limit(limit)
        return [document["at"] for document in cursor]

    def count(self, key: str, since: datetime) -> int:
        return self.collection.count_documents({"key": key, "at": {"$gt": since}})

    def wait(self, keys: dict[str, str], now: datetime) -> float | None:
        """Seconds to wait (the longest of the windows concerned), or None. `keys` maps a
        policy name to the key counted under it; names without a policy are ignored. A key
        judged by several policies (a burst window and an hourly one) is read once, over the
        longest of their windows."""
        judged: dict[str, list[ThrottlePolicy]] = {}
        for kind, key in keys.items():
            policy = self.policies.get(kind)
            if policy is not None and policy.limit > 0:  # 0: no limit, nothing to read
                judged.setdefault(key, []).append(policy)
        waits = []
        for key, policies in judged.items():
            times = self.moments(key, now - max(policy.window for policy in policies),
                                 max(policy.limit for policy in policies))
            waits += [wait for policy in policies
                      if (wait := retry_after(times, now, policy)) is not None]
        return max(waits) if waits else None

    def check(self, keys: dict[str, str], now: datetime, message_key: str) -> None:
        """Raise TooManyRequests (429, `retry_after` seconds) when a window is full; its
        message is the catalogue's `error.<message_key>`."""
        wait = self.wait(keys, now)
        if wait is not None:
            raise TooManyRequests.from_catalogue(message_key, {"retry_after": round(wait)})

    def record(self, keys: dict[str, str], now: datetime) -> None:
        """One moment under each key; a key judged by several policies (a burst window and an
        hourly one) is counted once."""
        if keys:
            self.collection.insert_many([{"key": key, "at": now}
                                         for key in dict.fromkeys(keys.values())])

    def take_back(self, keys: dict[str, str], now: datetime) -> None:
        """Forget the moment `record` counted at `now` under `keys` (what it counted did not
        happen after all)."""
        if keys:
            self.collection.delete_many({"key": {"$in": sorted(set(keys.values()))}, "at": now})

    def clear(self, key: str) -> None:
        self.collection.delete_many({"key": key})
