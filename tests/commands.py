"""What a MongoDB client sends, as the tests that count round trips see it (pymongo's command
monitoring): one listener for all of them, so each test says only what it counts."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any, NamedTuple

from pymongo import monitoring

WRITES = ("insert", "update", "delete", "findAndModify")


class Sent(NamedTuple):
    database: str
    name: str  # find, update, findAndModify...
    collection: str | None
    command: dict[str, Any]
    tag: Any = None  # what the log's `tag()` said as it was sent


class CommandLog(monitoring.CommandListener):
    """Every command started, in order (`sent`), and how many documents each collection's
    finds returned (`returned`). `database`: only the commands sent to it (None: all; "":
    none, until a test sets one — for a listener registered for a whole process). `tag`: what
    to note with each command, asked in the context that sends it (e.g. which green thread)."""

    def __init__(self, database: str | None = None, tag: Callable[[], Any] | None = None):
        self.database = database
        self.tag = tag
        self.sent: list[Sent] = []
        self.returned: Counter = Counter()
        self._finds: dict[int, str] = {}

    def clear(self) -> None:
        self.sent.clear()
        self.returned.clear()

    def count(self, name: str | None = None, collection: str | None = None) -> int:
        return len(self.matching(name, collection))

    def matching(self, name: str | None = None, collection: str | None = None) -> list[Sent]:
        return [sent for sent in self.sent if name in (None, sent.name)
                and collection in (None, sent.collection)]

    def reads_of(self, collection: str, doc_id: str, database: str | None = None
                 ) -> list[Sent]:
        """The `find`s on `collection` (in `database`, if given) that ask for `doc_id`, alone
        or in an `$in`."""
        def asks(sent: Sent) -> bool:
            wanted = (sent.command.get("filter") or {}).get("_id")
            return wanted == doc_id or (isinstance(wanted, dict) and doc_id in wanted.get(
                "$in", ()))
        return [sent for sent in self.matching("find", collection)
                if database in (None, sent.database) and asks(sent)]

    def writes(self) -> list[tuple[str, str | None]]:
        """(command, collection) of each command that writes, in the order they were sent."""
        return [(sent.name, sent.collection) for sent in self.sent if sent.name in WRITES]

    def pairs(self, collection: str | None = None) -> list[tuple[str, str | None]]:
        """(command, collection) of each command sent (to `collection` only, if given)."""
        return [(sent.name, sent.collection) for sent in self.matching(collection=collection)]

    def started(self, event):
        if self.database is not None and event.database_name != self.database:
            return
        target = event.command.get(event.command_name)
        collection = target if isinstance(target, str) else None
        self.sent.append(Sent(event.database_name, event.command_name, collection,
                              event.command, self.tag() if self.tag is not None else None))
        if event.command_name == "find" and collection is not None:
            self._finds[event.request_id] = collection

    def succeeded(self, event):
        collection = self._finds.pop(event.request_id, None)
        if collection is not None:
            self.returned[collection] += len(event.reply.get("cursor", {}).get("firstBatch", []))

    def failed(self, event):
        self._finds.pop(event.request_id, None)
