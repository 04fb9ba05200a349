"""Independent round trips of one request, side by side instead of one after the other.

On this platform a request's latency is mostly its database round trips in sequence (each wakes
the database and then the service). Reads or writes that do not depend on each other (two
streams' inline applies, the parts of an answer) can be in flight together: each green thread
takes its own pooled connection, and the request waits for the slowest instead of the sum.

Example::

    draft, authors = at_once(lambda: read_draft(doc), lambda: read_authors([doc]))
"""
from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

import eventlet


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run `calls` concurrently (the first in this green thread, each with a copy of its
    context) and return their results in order once every one is done; the first error (in
    order) is raised after all have finished, so nothing keeps running behind the caller."""
    others = [eventlet.spawn(contextvars.copy_context().run, call) for call in calls[1:]]
    results: list[Any] = []
    errors: list[BaseException] = []
    for index, call in enumerate(calls):
        try:
            results.append(call() if index == 0 else others[index - 1].wait())
        except Exception as error:
            results.append(None)
            errors.append(error)
    if errors:
        raise errors[0]
    return results
