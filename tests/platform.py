"""The platform under test: the real processes (`agora run <name>`), started once per test session
and shared by the end-to-end (tests/e2e) and browser (tests/browser) tests; tests/conftest.py
registers its fixtures, tests/e2e/conftest.py re-exports its names.

`platform` (session-scoped) gives the whole test session its own RabbitMQ vhost (management API)
and MongoDB database prefix, generates a token key pair into a temp dir, runs `agora migrate`,
starts every process that exists in this checkout (`services.shared.config.available_processes()`:
a service appears here as soon as its config.yaml does) with free ports, waits for each `/readyz`,
and stops them all at the end (SIGTERM, then SIGKILL). Process logs are files in
`platform.log_dir`; when a test fails, the tail of every log is attached to its report.

Use it through its helpers::

    def test_something(platform):
        api = platform.api                      # requests against the gateway, problem-aware
        ada = api.new_user(customer=True)       # registered and logged in
        response = api.get("/api/v1/me", user=ada)
        admin = platform.admin                  # created with `agora create-admin`
        platform.amqp_uri                       # for pika subscribers (a bank system's view)
"""
from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from nameko.testing.utils import find_free_port

from services.devtools.gateway_client import GatewayClient, TotpDevice
from services.devtools.mailsink import MailSink
from services.identity.keys import generate_keypair
from services.shared.config import available_processes
from services.shared.write_limits import NO_LIMITS

from .conftest import (
    AMQP_URI,
    MONGO_URI,
    RABBIT_MANAGEMENT_URI,
    ROOT,
    RUN_ID,
    dies_with_the_test_run,
    drop_databases,
    wait_for,
)

PASSWORD = "e2e correct horse battery"
SERVICE_SECRET = "e2e-crm-secret-" + uuid.uuid4().hex
CORS_ORIGIN = "http://web.e2e.test"
REGISTER_ADDRESS_LIMIT = 100
# writes per member and minute (services/shared/write_limits.py): above what the heaviest tests
# write in a minute as one member (53 replies; 2 × 101 messages when the long-conversation test
# runs on both devices back to back, which went past 150 in CI), with no hourly ceiling (0), which
# a session's demo members would reach; test_write_abuse runs a platform of its own without
# these, at the production defaults
WRITE_LIMITS = {**NO_LIMITS, **{f"AGORA_{kind.upper()}_LIMIT_PER_MINUTE": str(limit) for kind, limit
                                 in {"post": 30, "reply": 80, "conversation": 30,
                                     "message": 400, "edit": 60}.items()}}
TEST_CATEGORIES = ("cards", "loans", "savings", "insurance", "news", "notif-e2e", "app",
                   "accounts", "credit")
VERIFY_LINK = re.compile(r"https?://[^\s]+/verify-email\?token=([A-Za-z0-9_%-]+)")
READY_TIMEOUT = float(os.environ.get("AGORA_E2E_READY_TIMEOUT", "180"))  # a bound, not a delay


# -- the HTTP client ------------------------------------------------------------------------------

@dataclass
class User:
    id: str
    email: str
    password: str
    display_name: str
    access_token: str = ""
    refresh_token: str = ""
    roles: list[str] = field(default_factory=lambda: ["member"])
    # the client address this user's requests come from (X-Forwarded-For; the platform trusts
    # one proxy hop): each test user is a distinct client, as real members are, so the limits
    # per address (registration, flags, logins) see what they would in production
    address: str = field(default_factory=lambda: new_address())
    device: TotpDevice | None = None  # the authenticator app, once the user has one

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def new_address() -> str:
    """A fresh client address in 10.0.0.0/8 (never one the tests pick on purpose)."""
    value = uuid.uuid4().int
    return f"10.{value % 250 + 1}.{value // 250 % 250 + 1}.{value // 62500 % 250 + 1}"


def _expired(response: requests.Response) -> bool:
    """The detail is in the reader's language (French by default): the reason is the contract."""
    return response.status_code == 401 and (response.json() or {}).get("reason") == \
        "token_expired"


def _step_up_asked(response: requests.Response) -> bool:
    if response.status_code != 403:
        return False
    return "X-Agora-TOTP" in ((response.json() or {}).get("errors") or {})


class Api(GatewayClient):
    """requests against the gateway: `api.post(path, json=..., user=ada)` -> the raw response.

    As a real client does, with `user=`: an expired access token is refreshed and the request
    sent again, and a privileged change asked for a fresh second factor is sent again with the
    current code of the user's TOTP device in X-Agora-TOTP (`api.send` does neither)."""

    def request(self, method: str, path: str, user: User | None = None, token: str | None = None,
                **kwargs) -> requests.Response:
        headers = kwargs.get("headers") or {}
        explicit = "Authorization" in headers  # e.g. a forged token
        if token is None and user is not None and not explicit:
            token = user.access_token
        if user is not None and "X-Forwarded-For" not in headers:
            kwargs["headers"] = headers = {**headers, "X-Forwarded-For": user.address}
        response = self.send(method, path, token=token, **kwargs)
        if user is not None and token == user.access_token and user.refresh_token \
                and _expired(response):
            refreshed = self.send("POST", "/api/v1/auth/refresh",
                                  json={"refresh_token": user.refresh_token})
            if refreshed.status_code == 200:
                pair = refreshed.json()
                user.access_token, user.refresh_token = pair["access_token"], \
                    pair["refresh_token"]
                token = user.access_token
                response = self.send(method, path, token=token, **kwargs)
        if user is not None and user.device and _step_up_asked(response) \
                and "X-Agora-TOTP" not in headers:
            kwargs["headers"] = {**headers, "X-Agora-TOTP": user.device.current_code()}
            response = self.send(method, path, token=token, **kwargs)
        return response

    # -- identity helpers

    @staticmethod
    def unique_email(tag: str = "user") -> str:
        return f"{tag}-{uuid.uuid4().hex[:10]}@e2e.test"

    def register(self, email: str | None = None, password: str = PASSWORD,
                 display_name: str | None = None, customer: bool = False,
                 expect: int = 202, **kwargs) -> User:
        email = email or self.unique_email()
        display_name = display_name or f"User {email.split('@')[0][-6:]}"
        address = new_address()
        headers = {"X-Forwarded-For": address, **(kwargs.pop("headers", None) or {})}
        response = self.post("/api/v1/auth/register", json={
            "email": email, "password": password, "display_name": display_name,
            "customer": customer}, headers=headers, **kwargs)
        assert response.status_code == expect, response.text
        # the answer is the same for a new and a taken address (no id): the login tells it
        login = self.post("/api/v1/auth/login", headers=headers,
                          json={"email": email, "password": password})
        assert login.status_code == 200, login.text
        return User(id=login.json()["user_id"], email=email, password=password,
                    display_name=display_name, address=headers["X-Forwarded-For"])

    def login(self, user: User, expect: int = 200, **kwargs) -> User:
        """The whole login, second factor included: staff enrol at their first login (the
        device, computing codes with the TOTP library, is kept on the User)."""
        headers = {"X-Forwarded-For": user.address, **(kwargs.get("headers") or {})}
        response, user.device = self.log_in(user.email, user.password, user.device, headers)
        assert response.status_code == expect, response.text
        tokens = response.json()
        user.access_token, user.refresh_token = tokens["access_token"], tokens["refresh_token"]
        return user

    def new_user(self, **kwargs) -> User:
        return self.login(self.register(**kwargs))

    def new_staff(self, admin: User, *roles: str, display_name: str | None = None) -> User:
        """A member made staff, then given `display_name`: a staff name ("Bernard (conseiller)")
        is refused to members, so staff pick it once the role is theirs (identity/names.py)."""
        user = self.new_user()
        self.grant(admin, user, *roles)
        if display_name:
            response = self.patch("/api/v1/me", user=user, json={"display_name": display_name})
            assert response.status_code == 200, response.text
            user.display_name = display_name
        return user

    def grant(self, admin: User, user: User, *roles: str) -> None:
        response = self.put(f"/api/v1/users/{user.id}/roles", user=admin,
                            json={"roles": sorted(set(roles))})
        assert response.status_code == 200, response.text
        user.roles = ["member", *roles]
        if user.access_token:
            self.login(user)  # the new roles are in the next token


# -- the processes --------------------------------------------------------------------------------

@dataclass
class Process:
    name: str
    port: int
    log_path: Path
    popen: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])


class Platform:
    def __init__(self, workdir: Path, name: str = "e2e"):
        self.workdir = workdir
        self.log_dir = workdir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.key_dir = workdir / "keys"
        self.vhost = f"agora-{name}-{RUN_ID}"
        self.db_prefix = f"{name}{RUN_ID}"
        self.amqp_uri = _with_vhost(AMQP_URI, self.vhost)
        self.processes: dict[str, Process] = {}
        self.env: dict[str, str] = {}
        self.process_env: dict[str, dict[str, str]] = {}  # per process, over `env`
        self._admin: User | None = None
        self.api: Api | None = None
        self.mailsink: MailSink | None = None

    # -- lifecycle

    def prepare(self) -> None:
        private_key, public_key = generate_keypair(self.key_dir)
        self.declare_vhost()
        self.env = {
            **os.environ,
            "AMQP_URI": self.amqp_uri,
            "RABBIT_MANAGEMENT_URI": RABBIT_MANAGEMENT_URI,
            "MONGO_URI": MONGO_URI,
            "MONGO_DB_PREFIX": self.db_prefix,
            "AGORA_JWT_PRIVATE_KEY_FILE": str(private_key),
            "AGORA_JWT_PUBLIC_KEY_FILE": str(public_key),
            "AGORA_CORS_ORIGINS": CORS_ORIGIN,
            "AGORA_TRUSTED_PROXY_HOPS": "1",  # tests play several clients via X-Forwarded-For
            "AGORA_LOGIN_ADDRESS_LIMIT": "10",
            # registrations per address and hour: requests sent without a user come from
            # 127.0.0.1 and must stay under it; test_registration_limit_per_address reaches it
            "AGORA_REGISTER_ADDRESS_LIMIT": str(REGISTER_ADDRESS_LIMIT),
            # flags per member / per address and hides per trusted flagger (test_abuse_limits)
            "AGORA_FLAG_ACCOUNT_LIMIT": "4", "AGORA_FLAG_ADDRESS_LIMIT": "6",
            "AGORA_MASS_HIDE_LIMIT": "2",
            **WRITE_LIMITS,
            "AGORA_SERVICE_CREDENTIALS": f"crm:{_sha256(SERVICE_SECRET)},"
                                         f"{_demo_credential(self.key_dir)}",
            "LOG_LEVEL": os.environ.get("AGORA_E2E_LOG_LEVEL", "INFO"),
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("AGORA_FAILPOINTS", None)
        self.env.pop("WEB_SERVER_ADDRESS", None)
        self.env.pop("AGORA_ADMIN_PASSWORD", None)
        # feeds & notifications: a real local SMTP server keeping what it receives (read it with
        # `platform.mailsink.messages(to=...)`), a merge-on-read threshold tests can exceed
        self.mailsink = MailSink(self.workdir / "mail").start()
        self.env.update({"SMTP_HOST": self.mailsink.host, "SMTP_PORT": str(self.mailsink.port),
                         "FEEDS_PULL_THRESHOLD": "2", "NOTIFICATIONS_RETRY_BASE_SECONDS": "0.5",
                         "NOTIFICATIONS_SENDER_INTERVAL_SECONDS": "0.2",
                         # response-time clocks checked every second (tests set 1 s targets)
                         "AGORA_SLA_CHECK_SECONDS": "1",
                         "NOTIFICATIONS_UNSUBSCRIBE_SECRET": uuid.uuid4().hex})

    def declare_vhost(self) -> None:
        _management("PUT", f"/api/vhosts/{_quote(self.vhost)}")
        user = urllib.parse.urlparse(RABBIT_MANAGEMENT_URI).username or "guest"
        _management("PUT", f"/api/permissions/{_quote(self.vhost)}/{_quote(user)}",
                    json={"configure": ".*", "write": ".*", "read": ".*"})

    def start(self) -> None:
        migrate = self.agora("migrate", timeout=120)
        if migrate.returncode != 0:
            pytest.fail(f"agora migrate failed:\n{migrate.stdout}\n{migrate.stderr}")
        for name in available_processes():
            process = Process(name, find_free_port(), self.log_dir / f"{name}.log")
            self.spawn(process)
            self.processes[name] = process
        for process in self.processes.values():
            self._wait_ready(process)
        self.api = Api(self.processes["gateway"].url)
        self._wait_for_queue("posts.*--feeds.on_posts_event")  # feeds must hear of categories
        self.create_categories(*TEST_CATEGORIES)

    def create_categories(self, *slugs: str) -> None:
        """Posts name a category of the admins' list: create the ones tests post in."""
        for slug in slugs:
            response = self.api.post("/api/v1/categories", user=self.admin, json={
                "slug": slug, "name": {"fr": slug, "en": slug}})
            assert response.status_code == 201, response.text

    def _wait_for_queue(self, part: str) -> None:
        """A consumer's queue is declared (`/readyz` can answer before a consumer has bound its
        queue, and an event published before that is never delivered to it)."""
        def bound():
            queues = _management_json(f"/api/queues/{_quote(self.vhost)}")
            return any(part in queue["name"] for queue in queues)
        deadline = time.monotonic() + READY_TIMEOUT
        while not bound():
            if time.monotonic() > deadline:
                pytest.fail(f"no queue {part!r} after {READY_TIMEOUT}s")
            time.sleep(0.1)  # ok: the poll interval of a deadline-bounded readiness wait

    def spawn(self, process: Process, env: dict[str, str] | None = None) -> None:
        """Start `agora run <name>` in a session of its own (a process group to signal)."""
        env = {**self.env, **self.process_env.get(process.name, {}),
               "WEB_SERVER_ADDRESS": f"127.0.0.1:{process.port}", **(env or {})}
        if process.name == "gateway":
            env["GATEWAY_PORT"] = str(process.port)
        with open(process.log_path, "ab") as log:
            process.popen = subprocess.Popen(
                [*_agora_command(), "run", process.name, *self.run_options(process.name)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=dies_with_the_test_run)

    def run_options(self, name: str) -> list[str]:
        """Extra `agora run` options for a process (none here; the chaos suite adds some)."""
        return []

    def _wait_ready(self, process: Process) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                pytest.fail(f"{process.name} exited with {process.popen.returncode} during "
                            f"start-up; log tail:\n{process.tail()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(process.url + "/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)  # ok: the poll interval of a deadline-bounded readiness wait
        pytest.fail(f"{process.name} not ready after {READY_TIMEOUT}s; log tail:\n"
                    f"{process.tail()}")

    def stop(self) -> None:
        if self.mailsink is not None:
            self.mailsink.stop()
        for process in self.processes.values():
            if process.popen and process.popen.poll() is None:
                process.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.processes.values():
            if process.popen is None:
                continue
            try:
                process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait(timeout=10)

    def cleanup(self, mongo_client) -> None:
        with contextlib.suppress(requests.RequestException):
            _management("DELETE", f"/api/vhosts/{_quote(self.vhost)}")
        drop_databases(mongo_client, self.db_prefix)

    # -- helpers

    @property
    def base_url(self) -> str:
        return self.processes["gateway"].url

    def url(self, name: str) -> str:
        return self.processes[name].url

    def agora(self, *args: str, input: str | None = None, env: dict[str, str] | None = None,
              timeout: float = 60) -> subprocess.CompletedProcess:
        """Run an `agora` sub-command against this platform."""
        return subprocess.run([*_agora_command(), *args], cwd=ROOT, env={**self.env, **(env or {})},
                              input=input, capture_output=True, text=True, timeout=timeout)

    @property
    def admin(self) -> User:
        """An admin created with `agora create-admin` (once per session), logged in."""
        if self._admin is None:
            email = Api.unique_email("admin")
            result = self.agora("create-admin", "--email", email, "--name", "E2E Admin",
                                env={"AGORA_ADMIN_PASSWORD": PASSWORD})
            assert result.returncode == 0, result.stderr
            user = User(id=result.stdout.split("(user ")[1].split(")")[0], email=email,
                        password=PASSWORD, display_name="E2E Admin", roles=["member", "admin"])
            self._admin = self.api.login(user)
        return self._admin

    def verify_email(self, user: User) -> User:
        """Confirm `user`'s address as its owner does: the link of the sign-up e-mail, whose
        page POSTs its token (services/identity/verification.py). Lookups by address (staff,
        bank systems, the social intake) find only verified accounts."""
        self.confirm_address(user.email)
        return user

    def confirm_address(self, email: str) -> None:
        """`verify_email` for an address registered without the `Api` helpers."""
        def links():
            return [found for message in self.mailsink.messages(to=email)
                    if (found := VERIFY_LINK.search(message.get_content()))]
        token = urllib.parse.unquote(wait_for(
            links, timeout=20, message=f"the confirmation link for {email}")[-1].group(1))
        response = self.api.post("/api/v1/auth/email-verification/confirm",
                                 json={"token": token})
        assert response.status_code == 200, response.text

    @property
    def identity_config(self) -> dict[str, Any]:
        """The identity config of this platform, for in-process admin functions."""
        return {"MONGO_URI": MONGO_URI, "MONGO_DB_PREFIX": self.db_prefix,
                "IDENTITY": {"private_key_file": str(self.key_dir / "jwt-private.pem")}}

    @property
    def service_key(self) -> dict[str, str]:
        return {"X-Agora-Service-Key": f"crm:{SERVICE_SECRET}"}

    @property
    def demo_service_key(self) -> str:
        """The local demo bank-system credential, as `make up` makes and prints it."""
        return (self.key_dir / "demo-service-key").read_text().strip()

    def log_tails(self, lines: int = 30) -> str:
        return "\n".join(f"--- {p.name} ({p.log_path}) ---\n{p.tail(lines)}"
                         for p in self.processes.values())


def _agora_command() -> list[str]:
    script = Path(sys.executable).with_name("agora")
    return [str(script)] if script.exists() else [sys.executable, "-m", "services.ops.cli"]


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _demo_credential(key_dir: Path) -> str:
    """`make up`'s demo bank-system credential (dev/platform.sh), as the gateway is given it:
    `name:sha256(secret)`."""
    made = subprocess.run(["bash", str(ROOT / "dev" / "platform.sh"), "demo-credential"],
                          env={**os.environ, "AGORA_KEYS_DIR": str(key_dir)},
                          capture_output=True, text=True, timeout=60, check=True)
    name, _, secret = made.stdout.strip().partition(":")
    return f"{name}:{_sha256(secret)}"


def _sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def _with_vhost(uri: str, vhost: str) -> str:
    parts = urllib.parse.urlsplit(uri)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + _quote(vhost), "", ""))


def _management_json(path: str) -> Any:
    parts = urllib.parse.urlsplit(RABBIT_MANAGEMENT_URI)
    base = urllib.parse.urlunsplit((parts.scheme, parts.hostname + (f":{parts.port}"
                                                                    if parts.port else ""),
                                    parts.path.rstrip("/"), "", ""))
    response = requests.get(base + path, timeout=10,
                            auth=(parts.username or "guest", parts.password or "guest"))
    response.raise_for_status()
    return response.json()


def _management(method: str, path: str, json: Any = None) -> None:
    parts = urllib.parse.urlsplit(RABBIT_MANAGEMENT_URI)
    base = urllib.parse.urlunsplit((parts.scheme, parts.hostname + (f":{parts.port}"
                                                                    if parts.port else ""),
                                    parts.path.rstrip("/"), "", ""))
    response = requests.request(method, base + path, json=json, timeout=10,
                                auth=(parts.username or "guest", parts.password or "guest"))
    if response.status_code >= 400 and not (method == "DELETE" and response.status_code == 404):
        raise requests.HTTPError(f"{method} {path}: {response.status_code} {response.text}")


# -- fixtures -----------------------------------------------------------------------------------

_PLATFORM: Platform | None = None


@contextlib.contextmanager
def own_platform(name: str, mongo_client):
    """A platform of its own (vhost `agora-<name>-<run>`, databases `<name><run>_*`), running
    for the `with` block. Suites whose tests leave data the others would trip over (the browser
    suite changes the demo content the e2e demo tests check) each get one."""
    global _PLATFORM
    workdir = Path(tempfile.mkdtemp(prefix=f"agora-{name}-{RUN_ID}-"))
    platform = Platform(workdir, name)
    _PLATFORM = platform
    try:
        with running(platform, mongo_client):
            yield platform
    finally:
        print(f"\n{name} process logs: {platform.log_dir}")
        _PLATFORM = None


@pytest.fixture(scope="session")
def platform(mongo_client):
    with own_platform("e2e", mongo_client) as platform:
        yield platform


@contextlib.contextmanager
def running(platform: Platform, mongo_client):
    """Prepare and start `platform`; stop it and drop its vhost and databases afterwards."""
    platform.prepare()
    try:
        platform.start()
        yield platform
    finally:
        platform.stop()
        platform.cleanup(mongo_client)


@pytest.fixture
def api(platform) -> Api:
    return platform.api


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and _PLATFORM is not None and "platform" in item.fixturenames:
        report.sections.append(("platform process logs (tails)", _PLATFORM.log_tails()))
