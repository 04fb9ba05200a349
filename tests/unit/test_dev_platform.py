"""dev/platform.sh's ports (`make up`): two platforms on one machine never share one.

The script runs from a copy of dev/ (its own .state/, never the work tree's platform) with the
project's python, and `agora` replaced by /bin/false: nothing it could start would run.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from nameko.testing.utils import find_free_port

from ..conftest import ROOT, dies_with_the_test_run, wait_for

pytestmark = pytest.mark.unit

# `agora run identity` as dev/platform.sh starts it, reduced to its /readyz on WEB_SERVER_ADDRESS
READY_SERVICE = """
import http.server, os
host, port = os.environ["WEB_SERVER_ADDRESS"].rsplit(":", 1)
class Ready(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/readyz" else 404)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer((host, int(port)), Ready).serve_forever()
"""


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    (tmp_path / "dev").mkdir()
    for name in ("platform.sh", "paths.sh"):
        shutil.copy(ROOT / "dev" / name, tmp_path / "dev" / name)
    return tmp_path


def platform_sh(copy: Path, command: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("SMTP_HOST", "WEB_SERVER_ADDRESS", "GATEWAY_PORT",
                          "AGORA_SERVICE_PORT_BASE", "AGORA_MAIL_PORT")}
    return subprocess.run(["bash", str(copy / "dev" / "platform.sh"), command], cwd=copy,
                          env={**clean, "AGORA_PYTHON": sys.executable, "AGORA_BIN": "/bin/false",
                               **env}, capture_output=True, text=True, timeout=120)


def test_up_refuses_a_port_another_platform_listens_on_and_names_the_process(copy):
    with socket.socket() as other:  # another platform's identity: eventlet sets SO_REUSEPORT
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        taken = other.getsockname()[1]

        up = platform_sh(copy, "up", GATEWAY_PORT=str(find_free_port()),
                         AGORA_SERVICE_PORT_BASE=str(taken - 1),
                         AGORA_MAIL_PORT=str(find_free_port()))

    assert up.returncode == 1, up.stdout + up.stderr
    assert f"port 127.0.0.1:{taken} (identity) is already in use by pid {os.getpid()} (" \
        in up.stderr
    assert "AGORA_SERVICE_PORT_BASE" in up.stderr
    assert "migrating" not in up.stdout  # refused before anything started
    assert not list((copy / ".state" / "run").glob("*.pid"))


def test_up_refuses_two_knobs_on_one_port(copy):
    base = find_free_port() - 1
    up = platform_sh(copy, "up", GATEWAY_PORT=str(base + 1),
                     AGORA_SERVICE_PORT_BASE=str(base), AGORA_MAIL_PORT=str(find_free_port()))

    assert up.returncode == 1, up.stdout + up.stderr
    assert f"port {base + 1} is both gateway's and identity's" in up.stderr


def test_status_probes_the_port_a_process_was_started_on_whatever_the_environment_says(copy):
    port = find_free_port()
    service = subprocess.Popen([sys.executable, "-c", READY_SERVICE, "run", "identity"],
                               env={**os.environ, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"},
                               preexec_fn=dies_with_the_test_run)
    try:
        (copy / ".state" / "run").mkdir(parents=True)
        (copy / ".state" / "run" / "agora-identity.pid").write_text(f"{service.pid}\n")
        wait_for(lambda: _ready(port), message="the service's /readyz")

        status = platform_sh(copy, "status", AGORA_SERVICE_PORT_BASE=str(find_free_port()))
    finally:
        service.kill()
        service.wait()

    identity = next(line for line in status.stdout.splitlines() if line.startswith("identity:"))
    assert f"running (pid {service.pid}), ready" in identity
    assert f"http://127.0.0.1:{port} " in identity


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False
