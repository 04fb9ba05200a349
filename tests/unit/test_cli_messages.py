"""`agora` speaks to operators without tracebacks or banners (no infrastructure needed)."""
from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

# A name the command does not take: a typo, or the gateway where only services with an event
# log make sense.
WRONG_NAMES = [
    ("dead-letters", "list", "nowhere"),
    ("dead-letters", "save", "nowhere", "--to", "x.jsonl"),
    ("replay", "nosuch"),
    ("replay", "gateway"),
    ("relay", "gateway"),
    ("migrate", "posts", "nosuch"),
    ("seal-existing", "gateway"),
    ("run", "nosuch"),
]


def agora(*args: str, language: str = "fr", **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "services.ops.cli", *args],
                          capture_output="stdout" not in options, text=True, timeout=120,
                          check=False, env={**os.environ, "AGORA_LANGUAGE": language}, **options)


def test_an_unknown_service_is_named_not_a_traceback_and_no_eventlet_banner():
    result = agora("dead-letters", "list", "nowhere", language="en")
    assert result.returncode == 2
    assert "unknown service 'nowhere' for this command; one of:" in result.stderr
    assert "posts" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Eventlet is deprecated" not in result.stderr


@pytest.mark.parametrize("command", WRONG_NAMES, ids=" ".join)
def test_every_command_names_the_services_it_takes_in_the_operators_language(command):
    result = agora(*command)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    wrong = command[2] if command[0] in ("dead-letters", "migrate") else command[1]
    sentence, names = result.stderr.strip().split(" ; au choix : ")
    assert sentence == f"service {wrong!r} inconnu pour cette commande"
    assert "posts" in names.split(", ") and wrong not in names.split(", ")


def test_replay_names_only_the_services_with_an_event_log_in_english_too():
    result = agora("replay", "gateway", language="en")
    assert result.returncode == 2
    assert result.stderr.strip() == ("unknown service 'gateway' for this command; one of: "
                                     "identity, posts, moderation, feeds, notifications, "
                                     "conversations")


def test_saving_dead_letters_needs_a_file_and_never_prints_them_on_a_terminal(tmp_path):
    without_file = agora("dead-letters", "save", "feeds")
    assert without_file.returncode == 2
    assert "--to FICHIER" in without_file.stderr
    assert "jamais vers un terminal" in without_file.stderr
    terminal, other_end = pty.openpty()
    try:
        on_terminal = agora("dead-letters", "save", "feeds", "--to", "-", language="en",
                            stdout=terminal, stderr=subprocess.PIPE)
    finally:
        os.close(terminal)
        os.close(other_end)
    assert on_terminal.returncode == 2
    assert "never to a terminal" in on_terminal.stderr
    existing = tmp_path / "earlier.jsonl"
    existing.write_text("the evidence\n")
    again = agora("dead-letters", "save", "feeds", "--to", str(existing), language="en")
    assert again.returncode == 2
    assert f"cannot create {existing}: File exists (save never overwrites a file)" \
        in again.stderr
    assert existing.read_text() == "the evidence\n"
