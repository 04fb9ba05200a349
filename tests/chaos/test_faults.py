"""Nothing lost, nothing doubled, whatever is killed (short form; `python -m bench chaos` runs
the long one). Each test asserts its row of the fault table (printed at the end of the run)."""
from __future__ import annotations

import re

import pytest

from .harness import Row


def holds(row: Row) -> None:
    assert row.holds, (f"{row.fault}: {row.acknowledged}/{row.writes} acknowledged, "
                       f"{row.visible} visible, {row.duplicates} duplicates, {row.delivered} "
                       f"delivered, {row.applied_twice} applied twice, converged: "
                       f"{row.converge_seconds}; {row.details}")


def test_90_questions_while_posts_and_feeds_are_killed(faults, record):
    row = record(faults.posts_and_feeds_killed())
    holds(row)
    assert row.visible == 90 * faults.scale and row.details["in_public_feed"] == row.visible


@pytest.mark.parametrize("process", ["identity", "moderation", "notifications",
                                     "conversations", "gateway"])
def test_a_process_killed_mid_burst(faults, record, process):
    holds(record(faults.killed(process)))


def test_a_poison_message_is_dead_lettered_and_redriven_once_fixed(faults, record):
    row = record(faults.poison())
    holds(row)
    returncode, output = row.details["redrive"]
    assert returncode == 0 and "re-driven" in output, output
    # the unlucky author's reviews and the malformed message came back from the dead letters
    assert int(re.search(r"(\d+) dead letter", output).group(1)) >= 2, output
    # the malformed message is still poison: back in the dead letters, not retried forever
    assert row.details["dead_letters_left"]["moderation"] == 1, row.details


def test_a_slow_consumer_drops_nothing_and_its_backlog_drains(faults, record):
    holds(record(faults.slow_consumer()))
