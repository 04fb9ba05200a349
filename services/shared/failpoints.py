"""Named crash points for fault-injection tests.

`AGORA_FAILPOINTS=after_commit` makes a process kill itself (SIGKILL, no clean-up) when it reaches
`failpoint("after_commit")`, which is how the tests prove that an event committed but not yet
published is still delivered after a restart. `AGORA_FAILPOINTS=slow_handler:0.2` makes every
`delay("slow_handler")` wait 0.2 s (a slow consumer, tests/chaos). Unset (always, in production)
each costs one lookup.
"""
from __future__ import annotations

import os
import signal
import time


def _armed() -> dict[str, str]:
    armed = os.environ.get("AGORA_FAILPOINTS", "")
    return dict(([*entry.split(":", 1), ""])[:2] for entry in armed.split(",") if entry)


def failpoint(name: str) -> None:
    if os.environ.get("AGORA_FAILPOINTS") and name in _armed():
        os.kill(os.getpid(), signal.SIGKILL)


def delay(name: str) -> None:
    if not os.environ.get("AGORA_FAILPOINTS"):
        return
    seconds = _armed().get(name)
    if seconds is not None:
        time.sleep(float(seconds or 0.1))  # ok: the injected slowness itself, not a wait
