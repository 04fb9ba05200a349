"""Root test configuration: real RabbitMQ and MongoDB over the network, isolated per test.

eventlet must patch the standard library before anything imports sockets, or nameko containers
hang — hence the first statement below.
"""
import eventlet

eventlet.monkey_patch()

import itertools
import os
import tempfile
import time
import uuid
import warnings
from pathlib import Path

import pytest

from services.shared.config import stack_env
from services.shared.query_shapes import SHAPES_DIR_ENV
from services.shared.write_limits import SETTINGS as WRITE_LIMIT_SETTINGS

ROOT = Path(__file__).resolve().parents[1]
RUN_ID = uuid.uuid4().hex[:6]
_databases = itertools.count(1)


_STACK = stack_env()

# Every service process of this session (nameko containers here, `agora run` processes of the
# e2e platform, which inherit the environment) records its query shapes for the index check
# (tests/e2e/test_query_indexes.py, run last).
QUERY_SHAPES_DIR = Path(os.environ.setdefault(
    SHAPES_DIR_ENV, os.path.join(tempfile.gettempdir(), f"agora-query-shapes-{RUN_ID}")))


def stack(name: str, default: str) -> str:
    return os.environ.get(name) or _STACK.get(name) or default


AMQP_URI = stack("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
RABBIT_MANAGEMENT_URI = stack("RABBIT_MANAGEMENT_URI", "http://guest:guest@127.0.0.1:15672")
MONGO_URI = stack("MONGO_URI", "mongodb://127.0.0.1:27017")


def pytest_configure(config):
    # nameko's plugin creates one vhost per test through these (its defaults are localhost).
    if config.option.RABBIT_AMQP_URI == "pyamqp://guest:guest@localhost:5672/":
        config.option.RABBIT_AMQP_URI = AMQP_URI
    if config.option.RABBIT_API_URI == "http://guest:guest@localhost:15672":
        config.option.RABBIT_API_URI = RABBIT_MANAGEMENT_URI
    config.option.suppress_eventlet_notification = True


def pytest_collection_modifyitems(items):
    # the index check reads the query shapes every other test of the session made the services
    # issue: it runs after them
    items.sort(key=lambda item: item.get_closest_marker("after_all_others") is not None)


def wait_for(condition, timeout: float = 15.0, interval: float = 0.02, message: str = ""):
    """Poll `condition` until it returns something truthy; fail with `message` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message or condition}")
        eventlet.sleep(interval)  # ok: wait_for's own poll interval, bounded by its timeout


def dies_with_the_test_run() -> None:
    """`preexec_fn` for the processes a test starts: the kernel kills them when pytest dies.

    A run cut short (a `timeout`, a killed terminal, CI's time limit) otherwise leaves whole
    platforms of `agora run` processes behind, still consuming the broker and the database and
    slowing every later run on the machine. Linux only (prctl); elsewhere a no-op.
    """
    import contextlib
    import ctypes
    import signal

    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@pytest.fixture
def logged_client():
    """A client of its own whose commands are logged — a process whose round trips a test
    counts: (client, its `CommandLog`)."""
    from pymongo import MongoClient

    from .commands import CommandLog

    sent = CommandLog()
    client = MongoClient(MONGO_URI, event_listeners=[sent], tz_aware=True)
    yield client, sent
    client.close()


@pytest.fixture
def logged_store(logged_client, db_prefix):
    """`logged_store(service)`: that service's event store in this test's database, on the
    logged client, indexes made: (the store, the client's `CommandLog`)."""
    from services.shared.event_store import EventStore

    client, sent = logged_client

    def make(service: str):
        store = EventStore(client[f"{db_prefix}_{service}"], service)
        store.ensure_indexes()
        return store, sent
    return make


@pytest.fixture(scope="session")
def mongo_client():
    from pymongo import MongoClient

    client = MongoClient(MONGO_URI, serverSelectionTimeoutMS=10000, tz_aware=True)
    client.admin.command("ping")
    yield client
    client.close()


@pytest.fixture
def db_prefix(mongo_client):
    """A database prefix no other test uses; its databases are dropped afterwards."""
    prefix = f"t{RUN_ID}_{next(_databases)}"
    yield prefix
    drop_databases(mongo_client, prefix)


def drop_databases(mongo_client, prefix: str, attempts: int = 5) -> None:
    """Drop the databases named `<prefix>_*`.

    A worker killed at container teardown may still have a collection creation in flight on the
    server; the MongoDB stand-in then fails a concurrent `listDatabases` with a namespace clash.
    That is a cleanup race, not a test failure: try again a few times (no wait needed, the clash
    is over once the in-flight command finished), then leave the leftovers to the next run.
    """
    from pymongo.errors import OperationFailure

    for attempt in range(attempts):
        try:
            for name in mongo_client.list_database_names():
                if name.startswith(prefix + "_"):
                    mongo_client.drop_database(name)
            return
        except OperationFailure as error:
            if attempt == attempts - 1:
                warnings.warn(f"databases {prefix}_* left behind: {error}", stacklevel=2)


@pytest.fixture
def service_config(rabbit_config, db_prefix):
    """nameko config for a service under test: own vhost, own databases, fast retries."""
    from nameko.testing.utils import find_free_port

    return {
        "AMQP_URI": rabbit_config["AMQP_URI"],
        "MONGO_URI": MONGO_URI,
        "MONGO_DB_PREFIX": db_prefix,
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}",
        "max_workers": 10,
        "AGORA": {"retry_delays_ms": [50, 100], "relay_interval_seconds": 0.2,
                  # tests write as one member faster than members may; a test of the write
                  # path gives posts the production limits back (test_create_answer.py)
                  **dict.fromkeys(WRITE_LIMIT_SETTINGS, 0)},
    }


# The running platform (every `agora run` process on free ports), shared by tests/e2e and
# tests/browser: registered here so that one test session starts it once.
from .platform import api, platform, pytest_runtest_makereport  # noqa: F401
