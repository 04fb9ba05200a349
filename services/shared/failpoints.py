"""Named crash points for fault-injection tests.

`AGORA_FAILPOINTS=after_commit` makes a process kill itself (SIGKILL, no clean-up) when it reaches
`failpoint("after_commit")`, which is how the tests prove that an event committed but not yet
published is still delivered after a restart. Unset (always, in production) it costs one lookup.
"""
from __future__ import annotations

import os
import signal


def failpoint(name: str) -> None:
    armed = os.environ.get("AGORA_FAILPOINTS", "")
    if armed and name in armed.split(","):
        os.kill(os.getpid(), signal.SIGKILL)
