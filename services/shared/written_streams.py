"""Streams this process wrote whole: their commits as the log holds them, so that deciding on
one again (`EventStore.execute`) need not read it back.

A command decides on a stream's history and appends at the version it ends at; the unique
(stream_id, version) index refuses the append when another writer got there first. So a history
kept in memory can only be *old*, never wrong: an old one ends in a conflict, and the store
forgets the stream and decides again on what it loads. Which makes it worth keeping only the
streams whose every commit this process appended (opened here, each later commit on top of what
was kept) — the case of a post's verdict, decided a few milliseconds after the same process
created the post, on the stream it opened.

What is kept is each commit's document as the log stores it (personal fields sealed), as BSON
bytes decoded with the log's codec options at each read: it reads back exactly as a load would
(dates to the millisecond and in the codec's time zone, lists for tuples, fresh objects that a
decision may not change for the next one), and it is unsealed when read, so an erased member's
fields read as erased here too.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import bson
from bson.codec_options import CodecOptions

WRITTEN_KEPT = 2_000      # streams a process keeps (the least recently written go first)
WRITTEN_EVENTS = 50       # a stream longer than this is not kept (its load is its own business)
WRITTEN_SECONDS = 60.0    # kept this long after its last write: verdicts come within seconds

Document = dict[str, Any]
Kept = tuple[int, int, bytes]  # a commit's last version, its events, its document as BSON


class WrittenStreams:
    """stream id -> the documents of its commits, in order, for streams written whole here."""

    def __init__(self, codec_options: CodecOptions, kept: int = WRITTEN_KEPT,
                 seconds: float = WRITTEN_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.codec_options = codec_options
        self.kept, self.seconds, self.clock = kept, seconds, clock
        self._streams: OrderedDict[str, tuple[float, list[Kept]]] = OrderedDict()
        self._lock = threading.Lock()

    def appended(self, stream_id: str, expected_version: int, document: Document) -> None:
        """A commit this process stored after `expected_version`: kept when it opens the stream
        or follows what is kept of it; otherwise the stream is not (or no longer) known whole."""
        stored = (document["last_version"], len(document["events"]),
                  bson.encode(document, codec_options=self.codec_options))
        with self._lock:
            kept = self._known(stream_id)
            if expected_version == 0:
                commits = [stored]
            elif kept is not None and kept[-1][0] == expected_version:
                commits = [*kept, stored]
            else:
                self._streams.pop(stream_id, None)
                return
            if sum(events for _, events, _ in commits) > WRITTEN_EVENTS:
                self._streams.pop(stream_id, None)
                return
            self._streams[stream_id] = (self.clock(), commits)
            self._streams.move_to_end(stream_id)
            while len(self._streams) > self.kept:
                self._streams.popitem(last=False)

    def history(self, stream_id: str) -> list[Document] | None:
        """The stream's commit documents as last written here, or None when not known whole."""
        with self._lock:
            kept = self._known(stream_id)
        if kept is None:
            return None
        return [bson.decode(encoded, codec_options=self.codec_options) for *_, encoded in kept]

    def forget(self, stream_id: str) -> None:
        with self._lock:
            self._streams.pop(stream_id, None)

    def _known(self, stream_id: str) -> list[Kept] | None:
        entry = self._streams.get(stream_id)
        if entry is None:
            return None
        written_at, commits = entry
        if self.clock() - written_at > self.seconds:
            del self._streams[stream_id]
            return None
        return commits
