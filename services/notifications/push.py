"""Mobile push through a provider interface.

A provider gets the member, a title and a body already written by `domain.push` (public fields
only, never a private message or a redacted original) and a few ids for the app to open the
right screen. The default provider logs (no device registry yet); a real one (FCM, APNs, a bank's
push gateway) is a class named in the config: ``NOTIFICATIONS.push_provider: "pkg.mod:Class"``,
built with the `NOTIFICATIONS` settings dict. Raising from `send` makes delivery retry later (a
bounded number of times); raising `delivery.PermanentFailure` (unknown device, payload refused)
makes the push a dead letter at once.
"""
from __future__ import annotations

import importlib
import logging
from typing import Any, Protocol

log = logging.getLogger(__name__)


class PushProvider(Protocol):
    def send(self, member_id: str, title: str, body: str, data: dict[str, str]) -> None: ...


class LoggingPushProvider:
    """Writes one log line per push (who, which notification): for development and tests."""

    def __init__(self, settings: dict[str, Any] | None = None):
        self.sent: list[tuple[str, dict[str, str]]] = []

    def send(self, member_id: str, title: str, body: str, data: dict[str, str]) -> None:
        self.sent.append((member_id, data))
        log.info("push notification", extra={"member_id": member_id, **data})


def load_provider(spec: str | None, settings: dict[str, Any]) -> PushProvider:
    if not spec or spec == "logging":
        return LoggingPushProvider(settings)
    module_name, _, class_name = spec.partition(":")
    return getattr(importlib.import_module(module_name), class_name)(settings)
