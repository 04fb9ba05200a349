"""The chaos platform (its own processes, vhost and databases: the faults injected here reach
nobody else) and the fault table printed at the end of the run."""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from tests.platform import running

from .harness import ChaosPlatform, Faults, Row, table

ROWS: list[Row] = []
_STARTED: list[float] = []


@pytest.fixture(scope="session")
def chaos_platform(mongo_client):
    _STARTED.append(time.monotonic())
    platform = ChaosPlatform(Path(tempfile.mkdtemp(prefix="agora-chaos-")), mongo_client)
    try:
        with running(platform, mongo_client):
            yield platform
    finally:
        print(f"\nchaos process logs: {platform.log_dir}")


@pytest.fixture(scope="session")
def faults(chaos_platform) -> Faults:
    return Faults(chaos_platform, scale=int(os.environ.get("AGORA_CHAOS_SCALE", 1)))


@pytest.fixture
def record():
    def keep(row: Row) -> Row:
        ROWS.append(row)
        return row
    return keep


def pytest_collection_modifyitems(items):
    for item in items:
        if "/chaos/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.chaos)


def pytest_terminal_summary(terminalreporter):
    if ROWS:
        elapsed = time.monotonic() - _STARTED[0] if _STARTED else 0
        terminalreporter.write_sep("=", f"fault injection (tests/chaos, {elapsed:.0f} s)")
        terminalreporter.write_line(table(ROWS))
