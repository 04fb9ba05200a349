"""services/shared/stalls.py in a fresh interpreter (a greenlet trace function is process-wide)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A green thread that computes for 40 ms without waiting, in code that looks like the platform's
# (compiled under a services/ path), beside one that sleeps: only the first is a stretch.
PROBE = """
import eventlet
eventlet.monkey_patch()
import time
from services.shared.stalls import log_stalls
log_stalls("probe")
code = compile('''
def compute(ms):
    until = time.perf_counter() + ms / 1000
    while time.perf_counter() < until:
        pass
    eventlet.sleep(0)  # ok: the switch that ends the stretch under test
''', "/somewhere/services/feeds/busy.py", "exec")
space = {"time": time, "eventlet": eventlet}
exec(code, space)
sleeper = eventlet.spawn(eventlet.sleep, 0.05)  # ok: the waiting green thread, not logged
busy = eventlet.spawn(space["compute"], 40)
busy.wait(); sleeper.wait()
"""


def _probe(tmp_path: Path, **env: str) -> list[list[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin", **env})
    assert done.returncode == 0, done.stderr
    log = tmp_path / "probe.stalls"
    return [line.split(" ", 3) for line in log.read_text().splitlines()] if log.exists() else []


def test_a_green_thread_holding_the_hub_is_logged_with_where_it_let_go(tmp_path: Path):
    stretches = _probe(tmp_path, AGORA_STALL_LOG=str(tmp_path))
    held = [s for s in stretches if "busy.py" in s[3]]
    assert len(held) == 1, stretches
    start, ms, cpu, where = held[0]
    assert float(start) > 1.7e9 and 40 <= float(ms) < 1000
    assert 0 < float(cpu) <= float(ms) + 1
    assert where == "feeds/busy.py:6 compute"  # where it let go: its sleep
    assert all(float(s[1]) < 40 for s in stretches if s is not held[0])  # the sleeper's wait


def test_nothing_is_logged_without_the_flag(tmp_path: Path):
    assert _probe(tmp_path) == []
    assert not list(tmp_path.iterdir())
