"""The log positions this process took, and what became of each: what the outbox relay
publishes next without reading the log back.

Every commit and every received record takes its position from one counter (`EventStore`), so
the positions after the last one the relay published are, up to the last one this process
took, either this process's — each stored as a pending commit, stored as something with
nothing to publish (a received event), or not stored (a refused insert, an error) — or another
process's. When every one of them is this process's and stored, the pending commits among them
are exactly what the log would answer: the relay publishes them from here. Anything else — a
position another process took, an insert whose outcome is not known, a relay that just
started — and the relay reads the log, as it always did; positions taken after this
process's last one are read by a later pass (the next commit here takes a position after
them, and the relay's idle pass reads the log).

One `OwnPositions` serves every store of a process on one database (`of`): a service's
commands append through one `EventStore` and its projection records received events through
another, and both take positions from the same counter.

A pending commit is kept as the log stores it (personal fields sealed), as BSON decoded with
the log's codec options when published: the messages are the ones a read would give.
"""
from __future__ import annotations

import threading
import weakref
from typing import Any

import bson
from bson.codec_options import CodecOptions
from pymongo.collection import Collection

POSITIONS_KEPT = 2_000  # positions known at once; past that, forgotten (the relay reads)

Document = dict[str, Any]
_UNKNOWN = object()
# id of a client -> database name -> its OwnPositions, dropped with the client (by identity:
# two clients of one server compare equal, and two processes are two clients in tests)
_OF_CLIENT: dict[int, dict[str, OwnPositions]] = {}
_OF_CLIENT_LOCK = threading.Lock()


def of(events: Collection) -> OwnPositions:
    """The `OwnPositions` of the log `events` in this process (one per client and database)."""
    client = events.database.client
    with _OF_CLIENT_LOCK:
        databases = _OF_CLIENT.get(id(client))
        if databases is None:
            databases = _OF_CLIENT[id(client)] = {}
            weakref.finalize(client, _OF_CLIENT.pop, id(client), None)
        known = databases.get(events.database.name)
        if known is None:
            known = databases[events.database.name] = OwnPositions(events.codec_options)
        return known


class OwnPositions:
    """position -> the pending commit stored at it (BSON), or None (stored, nothing to
    publish), for the positions this process took and stored; and the last position taken."""

    def __init__(self, codec_options: CodecOptions, kept: int = POSITIONS_KEPT) -> None:
        self.codec_options = codec_options
        self.kept = kept
        self._stored: dict[int, bytes | None] = {}
        self._last_taken = 0
        self._lock = threading.Lock()

    def taken(self, first: int, count: int) -> None:
        with self._lock:
            self._last_taken = max(self._last_taken, first + count - 1)

    def stored(self, document: Document, pending: bool) -> None:
        """The log now holds `document` (a commit to publish when `pending`)."""
        encoded = bson.encode({"_id": document["_id"], "position": document["position"],
                               "events": document["events"]},
                              codec_options=self.codec_options) if pending else None
        with self._lock:
            if len(self._stored) >= self.kept:
                self._stored.clear()  # a relay far behind, or not ours to run: it reads
            self._stored[document["position"]] = encoded

    def pending_after(self, position: int, limit: int) -> list[Document] | None:
        """The pending commits after `position`, in position order (at most `limit`), when
        every position from there to the last this process took is known stored here (none
        taken since: empty); None when one is not (the log must be read)."""
        with self._lock:
            last = self._last_taken
            if last <= position:
                return []
            if last - position > self.kept:
                return None
            found = [self._stored.get(at, _UNKNOWN) for at in range(position + 1, last + 1)]
        if any(fate is _UNKNOWN for fate in found):
            return None
        pending = [fate for fate in found if fate is not None][:limit]
        return [bson.decode(encoded, codec_options=self.codec_options)  # type: ignore[arg-type]
                for encoded in pending]

    @property
    def last_taken(self) -> int:
        return self._last_taken

    def forget_up_to(self, position: int) -> None:
        """Published up to `position` (or, for `float('inf')`, not this process's to publish)."""
        with self._lock:
            if position == float("inf"):
                self._stored.clear()
                return
            for at in [at for at in self._stored if at <= position]:
                del self._stored[at]
