"""Gateway latency: GET /api/v1/me and POST /api/v1/auth/login against a bare gateway -> RPC ping.

    python -m bench gateway        (make bench runs every benchmark)

Starts its own identity and gateway (`agora run`, own vhost and databases, fresh keys), registers
a few users, then runs interleaved rounds of three request kinds at the same concurrency:

- `ping`:  GET /api/v1/ping — the baseline: the gateway's @route pipeline and one RPC round trip
           to identity that does nothing;
- `me`:    GET /api/v1/me — token verification in the gateway + one RPC + one read-model lookup;
- `login`: POST /api/v1/auth/login — one RPC doing an argon2id verification (19 MiB, t=2), a
           throttle check, a session insert and a token signature.

Prints p50/p99 (ms) and throughput per kind, and each kind's p50/p99 as a ratio to ping's,
medians over the rounds. Knobs: BENCH_CONCURRENCY (8), BENCH_ROUNDS (5), BENCH_REQUESTS (300 per
round for ping and me; a quarter of that for login).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from services.shared.config import stack_env
from services.shared.write_limits import NO_LIMITS

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench correct horse battery"
ADMIN_PASSWORD = "bench admin correct horse battery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Platform:
    """Processes of our own (`agora run`), on a vhost and databases of their own."""

    def __init__(self, names: tuple[str, ...] = ("identity", "gateway"),
                 env: dict[str, str] | None = None) -> None:
        self.names = names
        self.extra_env = env or {}
        stack = stack_env()
        self.amqp = stack.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
        self.management = stack.get("RABBIT_MANAGEMENT_URI", "http://guest:guest@127.0.0.1:15672")
        self.mongo = stack.get("MONGO_URI", "mongodb://127.0.0.1:27017")
        run_id = uuid.uuid4().hex[:6]
        self.vhost = f"agora-bench-{run_id}"
        self.prefix = f"bench{run_id}"
        self.workdir = Path(tempfile.mkdtemp(prefix="agora-bench-"))
        self.processes: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}
        self.env: dict[str, str] = {}

    def _management(self, method: str, path: str, json=None,
                    params: dict[str, str] | None = None) -> requests.Response:
        parts = urllib.parse.urlsplit(self.management)
        base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}"
        response = requests.request(method, base + path, json=json, params=params, timeout=10,
                                    auth=(parts.username or "guest", parts.password or "guest"))
        if response.status_code >= 400 and method != "DELETE":
            raise RuntimeError(f"management API {method} {path}: {response.status_code}")
        return response

    def queues(self, columns: str) -> list[dict]:
        """The platform's queues as the management API lists them, with `columns` only."""
        vhost = urllib.parse.quote(self.vhost, safe="")
        return self._management("GET", f"/api/queues/{vhost}", params={"columns": columns}).json()

    def start(self, migrate: bool = False) -> None:
        """Start the processes (after `agora migrate`, which declares every index, if asked)."""
        from services.identity.keys import generate_keypair

        private, public = generate_keypair(self.workdir / "keys")
        quoted = urllib.parse.quote(self.vhost, safe="")
        self._management("PUT", f"/api/vhosts/{quoted}")
        self._management("PUT", f"/api/permissions/{quoted}/guest",
                         {"configure": ".*", "write": ".*", "read": ".*"})
        parts = urllib.parse.urlsplit(self.amqp)
        amqp = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + quoted, "", ""))
        env = {**os.environ, "AMQP_URI": amqp, "MONGO_URI": self.mongo,
               "MONGO_DB_PREFIX": self.prefix, "AGORA_JWT_PRIVATE_KEY_FILE": str(private),
               "AGORA_JWT_PUBLIC_KEY_FILE": str(public), "LOG_LEVEL": "WARNING",
               "PYTHONWARNINGS": "ignore",
               **NO_LIMITS,  # the clients write as fast as they can: no per-member limit
               **self.extra_env}
        self.env = env
        if migrate:
            self.agora("migrate", *self.names, timeout=300)
        for name in self.names:
            port = self.ports[name] = _free_port()
            with open(self.workdir / f"{name}.log", "ab") as log:
                self.processes[name] = subprocess.Popen(
                    [*_agora_command(), "run", name], cwd=ROOT, stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**env, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
                         "GATEWAY_PORT": str(port)})
        for name, port in self.ports.items():
            deadline = time.monotonic() + 90
            while True:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).ok:
                        break
                except requests.RequestException:
                    pass
                if self.processes[name].poll() is not None or time.monotonic() > deadline:
                    tail = (self.workdir / f"{name}.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{name} did not start:\n{tail}")
                time.sleep(0.1)

    def agora(self, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> str:
        """Run an `agora` sub-command against this platform; its output (raises if it fails)."""
        done = subprocess.run([*_agora_command(), *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=timeout, env={**self.env, **(env or {})})
        if done.returncode != 0:
            raise RuntimeError(f"agora {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def keep_logs(self) -> Path:
        """A copy of the processes' logs that `stop` does not remove (after a failed run)."""
        kept = Path(tempfile.mkdtemp(prefix="agora-bench-logs-"))
        for log in self.workdir.glob("*.log"):
            shutil.copy(log, kept)
        return kept

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        try:
            self._management("DELETE", f"/api/vhosts/{urllib.parse.quote(self.vhost, safe='')}")
            from pymongo import MongoClient

            client = MongoClient(self.mongo, serverSelectionTimeoutMS=5000)
            for name in client.list_database_names():
                if name.startswith(self.prefix + "_"):
                    client.drop_database(name)
            client.close()
        except Exception as error:
            print(f"(clean-up incomplete: {error})")
        shutil.rmtree(self.workdir, ignore_errors=True)


def _agora_command() -> list[str]:
    agora = Path(sys.executable).with_name("agora")
    return [str(agora)] if agora.exists() else [sys.executable, "-m", "services.ops.cli"]


def admin_with_categories(platform: Platform, slugs: tuple[str, ...]) -> str:
    """Create an admin (`agora create-admin`), log in (enrolling the second factor) and create
    the categories posts name; the admin's access token."""
    from services.devtools.gateway_client import GatewayClient

    email = f"admin-{uuid.uuid4().hex[:6]}@bench.test"
    platform.agora("create-admin", "--email", email, "--name", "Opérateur Principal",
                   env={"AGORA_ADMIN_PASSWORD": ADMIN_PASSWORD})
    client = GatewayClient(platform.gateway)
    response, _ = client.log_in(email, ADMIN_PASSWORD)
    if response.status_code != 200:
        raise RuntimeError(f"admin login: {response.status_code} {response.text[:300]}")
    token = response.json()["access_token"]
    for slug in slugs:
        created = client.send("POST", "/api/v1/categories", token=token,
                              json={"slug": slug, "name": {"fr": slug, "en": slug}})
        if created.status_code != 201:
            raise RuntimeError(f"category {slug}: {created.status_code} {created.text[:300]}")
    return token


def signed_in_members(base: str, count: int, name: str) -> list[dict]:
    """Register and log in `count` members: [{"email", "token", "id"}]."""
    users = []
    for i in range(count):
        email = f"{name.lower()}{i}-{uuid.uuid4().hex[:6]}@bench.test"
        requests.post(base + "/api/v1/auth/register", timeout=30, json={
            "email": email, "password": PASSWORD, "display_name": f"{name} {i}"}
                      ).raise_for_status()
        login = requests.post(base + "/api/v1/auth/login", timeout=30, json={
            "email": email, "password": PASSWORD}).json()
        users.append({"email": email, "token": login["access_token"], "id": login["user_id"]})
    return users


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _run(kind: str, count: int, concurrency: int, base: str, users: list[dict]) -> dict:
    sessions = [requests.Session() for _ in range(concurrency)]

    def one(i: int) -> float:
        session, user = sessions[i % concurrency], users[i % len(users)]
        started = time.perf_counter()
        if kind == "ping":
            response = session.get(base + "/api/v1/ping", timeout=30)
        elif kind == "me":
            response = session.get(base + "/api/v1/me", timeout=30,
                                   headers={"Authorization": f"Bearer {user['token']}"})
        else:
            response = session.post(base + "/api/v1/auth/login", timeout=30,
                                    json={"email": user["email"], "password": PASSWORD})
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{kind}: {response.status_code} {response.text[:200]}")
        return elapsed

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = list(pool.map(one, range(count)))
    wall = time.perf_counter() - started
    return {"p50": _percentile(latencies, 0.5) * 1000, "p99": _percentile(latencies, 0.99) * 1000,
            "rps": count / wall}


def main() -> None:
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", "8"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
    requests_per_round = int(os.environ.get("BENCH_REQUESTS", "300"))
    platform = Platform()
    try:
        platform.start()
        base = platform.gateway
        users = signed_in_members(base, concurrency, "Bench")
        counts = {"ping": requests_per_round, "me": requests_per_round,
                  "login": max(concurrency, requests_per_round // 4)}
        for kind in counts:  # warm-up: connections, caches, JIT-free but lazy imports
            _run(kind, concurrency * 4, concurrency, base, users)
        results: dict[str, list[dict]] = {kind: [] for kind in counts}
        for _ in range(rounds):
            for kind, count in counts.items():
                results[kind].append(_run(kind, count, concurrency, base, users))
        print(f"gateway latency, {concurrency} concurrent clients, median of {rounds} interleaved "
              f"rounds (identity + gateway, one process each)")
        summary = {kind: {metric: statistics.median(r[metric] for r in runs)
                          for metric in ("p50", "p99", "rps")}
                   for kind, runs in results.items()}
        base_line = summary["ping"]
        print(f"{'route':<28}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}{'p50/ping':>10}"
              f"{'p99/ping':>10}")
        labels = {"ping": "GET /api/v1/ping (baseline)", "me": "GET /api/v1/me",
                  "login": "POST /api/v1/auth/login"}
        for kind, figures in summary.items():
            print(f"{labels[kind]:<28}{figures['p50']:>9.2f}{figures['p99']:>9.2f}"
                  f"{figures['rps']:>9.0f}{figures['p50'] / base_line['p50']:>10.2f}"
                  f"{figures['p99'] / base_line['p99']:>10.2f}")
    finally:
        platform.stop()


if __name__ == "__main__":
    main()
