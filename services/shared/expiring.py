"""`ExpiringCache`: a process's short memory of a read, bounded in time and in size.

For answers that change rarely and are read on every request (a category's state, a verified
access token's claims), so a request does not pay a round trip for them each time. Each use
states its bound where it is declared and in docs/architecture.md's table "What a process keeps
in memory" (tests/unit/test_memory_bounds.py): how long a change made elsewhere (another
replica, another process) can go unseen.

    categories = ExpiringCache(ttl_seconds=10, max_entries=1000)
    state = categories.get("cards")          # None: absent or older than 10 s
    if state is None:
        state = read_from_the_database("cards")
        categories.put("cards", state)
    categories.forget("cards")               # this process changed it: read it again next time

A read that was on the wire while this process changed what it read may hold the state the
change replaced: take `changes` before the read and give it to `put` (`since`), which then
keeps nothing if anything was forgotten meanwhile.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class ExpiringCache:
    """Values kept at most `ttl_seconds` after they were put, at most `max_entries` of them
    (the oldest put goes first). Not for `None` values: `get` answers None for "not known"."""

    def __init__(self, ttl_seconds: float, max_entries: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if ttl_seconds <= 0 or max_entries <= 0:
            raise ValueError("ttl_seconds and max_entries must be positive")
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self.changes = 0  # forgets so far (see `put`'s `since`)

    def get(self, key: Hashable) -> Any:
        """The value put for `key` less than `ttl_seconds` ago, else None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        if self._clock() >= expires_at:
            self._entries.pop(key, None)
            return None
        return value

    def put(self, key: Hashable, value: Any, ttl_seconds: float | None = None,
            since: int | None = None) -> None:
        """Keep `value` for `ttl_seconds` (at most the cache's own bound) — unless `since`,
        the `changes` count taken before `value` was read, says a forget came after it."""
        if value is None:
            raise ValueError("None means 'not known': do not cache it")
        if since is not None and since != self.changes:
            return
        ttl = self.ttl_seconds if ttl_seconds is None else min(ttl_seconds, self.ttl_seconds)
        self._entries.pop(key, None)
        self._entries[key] = (self._clock() + ttl, value)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        self.changes += 1
        self._entries.pop(key, None)

    def clear(self) -> None:
        self.changes += 1
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
