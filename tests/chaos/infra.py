"""A private RabbitMQ node and a private MongoDB (or its stand-in) that a scenario may stop.

The broker and database other engineers' tests use are never touched: these run on free ports,
with their data in a temporary directory, each in a process group of its own that only this
module signals. Started the way dev/stack.sh starts the local stack (Debian's rabbitmq-server
scripts; `mongod` when installed, else the mongo-java-server stand-in built by `make infra`).
"""
from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pika
from pymongo import MongoClient

from services.shared.config import ROOT

STARTUP_TIMEOUT = 120.0
_handed_out: set[int] = set()  # ports given to this process's servers (picked, maybe not bound)


def server_port() -> int:
    """A free port below the kernel's ephemeral range, for a server that a scenario restarts.

    A port taken from the ephemeral range (binding port 0) can be handed by the kernel to any
    outgoing connection as its source port while the server is down, and the restart then
    fails ("dist_port_already_used ... not_erlang": a private broker's restart did, once in a
    run of the kit's tests). Below the range only an explicit bind can take it."""
    low = _ephemeral_low()
    for _ in range(500):
        port = random.randint(max(1024, low - 16384), low - 1)
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue  # someone's
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port found below the ephemeral range (which starts at {low})")


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _wait(ready, process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not ready():
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited during start-up; see {log}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {STARTUP_TIMEOUT}s; see {log}")
        time.sleep(0.2)  # ok: poll interval of a deadline-bounded readiness wait


def _stop(process: subprocess.Popen | None, sig: int, timeout: float = 60) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)  # its own session: the group is ours alone
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class PrivateBroker:
    """A RabbitMQ node of our own (node name, AMQP and distribution ports, data directory)."""

    def __init__(self, workdir: Path):
        self.dir = workdir / "rabbitmq"
        self.port = server_port()
        self.dist_port = server_port()  # the same at every start: a restart is the same node
        self.node = f"chaos{self.port}@localhost"
        self.uri = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self.process: subprocess.Popen | None = None
        self.log = self.dir / "out.log"

    @staticmethod
    def available() -> bool:
        return Path("/usr/lib/rabbitmq/bin/rabbitmq-server").exists() or bool(
            shutil.which("rabbitmq-server"))

    def _bin(self) -> str:
        debian = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
        return str(debian) if debian.exists() else shutil.which("rabbitmq-server")

    def start(self) -> None:
        home = self.dir / "home"
        for sub in ("home", "mnesia", "log"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\nlog.console = false\n"
            "log.file.level = warning\n")
        (self.dir / "rabbitmq-env.conf").write_text("")
        (self.dir / "enabled_plugins").write_text("[].\n")
        cookie = home / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(os.urandom(20).hex().upper())
            cookie.chmod(0o400)
        env = {**os.environ, "HOME": str(home), "LC_ALL": "C.UTF-8",
               "RABBITMQ_NODENAME": self.node,
               "RABBITMQ_CONF_ENV_FILE": str(self.dir / "rabbitmq-env.conf"),
               "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
               "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
               "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
               "RABBITMQ_LOG_BASE": str(self.dir / "log"),
               "RABBITMQ_DIST_PORT": str(self.dist_port),
               "ERL_EPMD_ADDRESS": "127.0.0.1"}
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([self._bin()], cwd=self.dir, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        _wait(self._answers, self.process, f"RabbitMQ {self.node}", self.log)

    def _answers(self) -> bool:
        try:
            pika.BlockingConnection(pika.URLParameters(
                self.uri + "?connection_attempts=1&socket_timeout=1")).close()
            return True
        except Exception:  # not up yet: any failure to connect
            return False

    def stop(self) -> None:
        """A clean stop (SIGTERM: the node flushes and exits), as an operator's restart does."""
        _stop(self.process, signal.SIGTERM)


class PrivateDatabase:
    """`mongod`, or the MongoDB stand-in, on a free port with its data in our directory."""

    def __init__(self, workdir: Path, stand_in: bool = False,
                 java_options: list[str] | None = None):
        self.dir = workdir / "mongodb"
        self.stand_in = stand_in  # the stand-in even where mongod is installed (its file format)
        # the stand-in's JVM (a bench's choice); a scenario's small heap by default
        self.java_options = java_options or ["-Xmx512m", "-XX:+ExitOnOutOfMemoryError"]
        self.port = server_port()
        self.uri = f"mongodb://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = self.dir / "out.log"

    @staticmethod
    def stand_in_dir() -> Path | None:
        """The stand-in built by `make infra` (in this checkout's .state/, or the main one's
        when this is a git worktree)."""
        candidates = [ROOT / ".state" / "cache" / "mongo-server"]
        with contextlib.suppress(Exception):
            common = subprocess.run(["git", "rev-parse", "--git-common-dir"], cwd=ROOT,
                                    capture_output=True, text=True, check=True).stdout.strip()
            candidates.append((ROOT / common).resolve().parent / ".state" / "cache"
                              / "mongo-server")
        return next((c for c in candidates if (c / "build" / "mongo-stand-in.jar").exists()),
                    None)

    @classmethod
    def available(cls) -> bool:
        return bool(shutil.which("mongod")) or (bool(shutil.which("java"))
                                                 and cls.stand_in_dir() is not None)

    def command(self) -> list[str]:
        if shutil.which("mongod") and not self.stand_in:
            (self.dir / "db").mkdir(parents=True, exist_ok=True)
            return ["mongod", "--dbpath", str(self.dir / "db"), "--bind_ip", "127.0.0.1",
                    "--port", str(self.port)]
        cache = self.stand_in_dir()
        return ["java", *self.java_options,
                "-Dorg.slf4j.simpleLogger.log.de.bwaldvogel.mongo.wire=warn",
                "-Dorg.slf4j.simpleLogger.log.de.bwaldvogel.mongo.backend=warn",
                "-cp", f"{cache}/build/mongo-stand-in.jar:{cache}/lib/*",
                "agora.dev.MongoStandIn", "--host", "127.0.0.1", "--port", str(self.port),
                "--file", str(self.dir / "agora.mv.db")]

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.command(), cwd=self.dir, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        _wait(self._answers, self.process, "MongoDB", self.log)

    def _answers(self) -> bool:
        client = MongoClient(self.uri, serverSelectionTimeoutMS=500, connectTimeoutMS=500)
        try:
            client.admin.command("ping")
            return True
        except Exception:  # not up yet
            return False
        finally:
            client.close()

    def stop(self) -> None:
        _stop(self.process, signal.SIGTERM)
