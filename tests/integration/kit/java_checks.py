"""The MongoDB stand-in built by `make infra`, and the Java checks built beside it
(dev/mongo-server/src/test/java/agora/dev/): each compares one of the stand-in's own pieces with
mongo-java-server's and prints what it compared."""
import shutil
import subprocess
from pathlib import Path

import pytest

from bench.standin import started_with

from ...chaos.infra import PrivateDatabase


def built_stand_in() -> Path:
    """The stand-in's build directory; the test fails, naming the fix, where none is built."""
    cache = PrivateDatabase.stand_in_dir()
    if not (shutil.which("java") and cache):
        pytest.fail("no MongoDB stand-in: run `make infra`")
    return cache



def start_with_setting(server, monkeypatch, name: str, value) -> str:
    """Start `server` with the stand-in's setting `name` at `value` (None: unset, its default),
    which it inherits from the environment; what its start line says."""
    if value is None:
        monkeypatch.delenv(name, raising=False)
    else:
        monkeypatch.setenv(name, str(value))
    server.start()
    return started_with(server)

def java_check(name: str) -> str:
    """What the check `agora.dev.<name>` printed; the test fails if it failed or is not built."""
    cache = built_stand_in()
    classes = cache / "build" / "test-classes"
    assert (classes / "agora" / "dev" / f"{name}.class").exists(), \
        f"{classes}: a stand-in built before its {name} (dev/stack.sh down; up)"
    check = subprocess.run(
        ["java", "-cp", f"{classes}:{cache / 'build' / 'mongo-stand-in.jar'}:{cache / 'lib'}/*",
         f"agora.dev.{name}"], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    return check.stdout
