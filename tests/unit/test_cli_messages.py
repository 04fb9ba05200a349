"""`agora` speaks to operators without tracebacks or banners (no infrastructure needed)."""
from __future__ import annotations

import subprocess
import sys


def agora(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "services.ops.cli", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def test_an_unknown_service_is_named_not_a_traceback_and_no_eventlet_banner():
    result = agora("dead-letters", "list", "nowhere")
    assert result.returncode == 2
    assert "unknown service 'nowhere': one of" in result.stderr and "posts" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Eventlet is deprecated" not in result.stderr
