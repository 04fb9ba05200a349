"""`agora dead-letters` as the on-call SRE runs it, on the real broker and database: `list` shows
where a letter comes from and why it failed, never its body (members' private text may be in
it); an `--id` that matches nothing is said, with a non-zero exit status; an `--id` a command does
not take is refused, not ignored; an empty outbox says so; messages are in English unless the
operator asks for French."""
import json

import pika
import pytest

from services.ops import cli
from services.shared.consumer import dead_letter_queue

pytestmark = pytest.mark.integration

PRIVATE = "IBAN FR76 3000 6000 0112 3456 7890 189, texte privé d'un membre"
HANDLER_QUEUE = "evt-posts-posts.post_voted--feeds.on_post_voted"


@pytest.fixture
def agora(monkeypatch, service_config, capsys):
    """`agora ...` against this test's vhost and databases, in a shell without any language
    setting: (exit status, stdout, stderr)."""
    for name in ("AMQP_URI", "MONGO_URI", "MONGO_DB_PREFIX"):
        monkeypatch.setenv(name, service_config[name])
    for name in ("AGORA_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = cli.main(list(args))
        out, err = capsys.readouterr()
        return status, out, err
    return run


@pytest.fixture
def letters(service_config):
    """Two dead letters in feeds' dead-letter queue, as feeds' consumer leaves them: one whose
    body is not JSON, one an envelope; both hold a member's private text."""
    connection = pika.BlockingConnection(pika.URLParameters(service_config["AMQP_URI"]))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.queue_declare(HANDLER_QUEUE, durable=True)
    channel.queue_declare(dead_letter_queue("feeds"), durable=True)
    envelope = {"id": "e1", "type": "posts.post_voted", "stream_id": "p1", "stream_version": 3,
                "payload": {"note": PRIVATE}}
    bodies = {"poison-1": f"not json {{ {PRIVATE}", "poison-2": json.dumps(envelope)}
    for message_id, body in bodies.items():
        channel.basic_publish("", dead_letter_queue("feeds"), body.encode(), pika.BasicProperties(
            message_id=message_id, type="posts.post_voted", content_type="application/json",
            delivery_mode=2, headers={
                "x-agora-queue": HANDLER_QUEUE, "x-agora-handler": "feeds.on_post_voted",
                "x-agora-routing-key": "posts.post_voted", "x-agora-attempts": 1,
                "x-agora-reason": "poison message: not a valid event",
                "x-agora-error": "JSONDecodeError: Expecting value"}))
    connection.close()
    return bodies


def test_list_shows_where_and_why_never_the_body(agora, letters):
    status, out, err = agora("dead-letters", "list", "feeds")

    assert status == 0
    assert PRIVATE not in out + err and "not json" not in out + err
    listed = {letter["message_id"]: letter for letter in map(json.loads, out.splitlines())}
    assert set(listed) == set(letters)
    for message_id, body in letters.items():
        letter = listed[message_id]
        assert letter["size"] == len(body.encode())
        assert letter["type"] == letter["routing_key"] == "posts.post_voted"
        assert letter["queue"] == HANDLER_QUEUE
        assert letter["reason"] == "poison message: not a valid event"
        assert "body" not in letter and "body_preview" not in letter
    assert listed["poison-2"]["event_type"] == "posts.post_voted"
    assert listed["poison-2"]["stream_version"] == 3


def test_redriving_an_id_that_is_no_dead_letter_says_so(agora, letters):
    status, out, err = agora("dead-letters", "redrive", "feeds", "--id", "does-not-exist")

    assert status == 1
    assert out.strip() == "feeds: 0 dead letter(s) re-driven"
    assert err.strip() == "feeds: no dead letter with id does-not-exist"
    assert agora("dead-letters", "count", "feeds")[1].strip() == "2"  # nothing moved

    status, out, err = agora("dead-letters", "redrive", "feeds", "--id", "poison-1",
                             "--id", "nope")
    assert status == 1
    assert out.strip() == "feeds: 1 dead letter(s) re-driven"
    assert err.strip() == "feeds: no dead letter with id nope"
    assert agora("dead-letters", "redrive", "feeds", "--id", "poison-2")[0] == 0


@pytest.mark.parametrize("action", ["count", "list"])
def test_an_id_a_command_does_not_take_is_refused_not_ignored(agora, letters, action):
    status, out, err = agora("dead-letters", action, "feeds", "--id", "poison-1")

    assert status == 2 and out == ""
    assert err.strip() == (f"--id chooses the dead letters to re-drive; {action} takes every "
                           "one: leave --id out")


def test_an_empty_outbox_says_so_and_an_unknown_id_is_named(agora):
    status, out, err = agora("dead-letters", "list", "notifications", "--outbox", "mail")
    assert status == 0 and out == ""
    assert err.strip() == "notifications mail: no dead letters"

    status, out, err = agora("dead-letters", "redrive", "notifications", "--outbox", "push",
                             "--id", "nope1", "--id", "nope2")
    assert status == 1
    assert out.strip() == "notifications push: 0 dead letter(s) re-driven"
    assert err.splitlines() == ["notifications push: no dead letter with id nope1",
                                "notifications push: no dead letter with id nope2"]


def test_an_id_with_a_limit_is_refused_before_anything_moves(agora, letters):
    """`redrive --id poison-1 --id poison-2 --limit 1` re-drove poison-1, then stopped and
    named poison-2 — still waiting in the queue — as "no dead letter with id": at 3 a.m. the
    SRE believes it gone. The ids already bound the re-drive (each one, once), so a limit on
    top can only leave some named letters behind: the pair is refused, nothing moves."""
    status, out, err = agora("dead-letters", "redrive", "feeds", "--id", "poison-1",
                             "--id", "poison-2", "--limit", "1")

    assert status == 2 and out == ""
    assert err.strip() == ("--id names the dead letters to re-drive, each of them; --limit "
                           "bounds a re-drive of them all: give one or the other")
    assert agora("dead-letters", "count", "feeds")[1].strip() == "2"  # nothing moved
    # a delivery outbox's re-drive takes the same options: refused the same way
    status, _, err = agora("dead-letters", "redrive", "notifications", "--outbox", "mail",
                           "--id", "nope", "--limit", "1")
    assert status == 2 and "--limit" in err
    # each id alone, or a limit alone, re-drives as before
    assert agora("dead-letters", "redrive", "feeds", "--limit", "1")[1].strip() == \
        "feeds: 1 dead letter(s) re-driven"
    assert agora("dead-letters", "count", "feeds")[1].strip() == "1"


@pytest.mark.parametrize("limit", ["0", "abc"])
def test_a_limit_below_one_is_refused(agora, letters, capsys, limit):
    """`--limit 0` re-drove one letter (the bound was checked after the first move); `--limit
    abc` is refused with the same sentence, not argparse's "invalid _at_least_one value"."""
    with pytest.raises(SystemExit) as refused:
        agora("dead-letters", "redrive", "feeds", "--limit", limit)
    assert refused.value.code == 2
    assert capsys.readouterr().err.strip().endswith(
        f"argument --limit: --limit counts letters: {limit} is not 1 or more")
    assert agora("dead-letters", "count", "feeds")[1].strip() == "2"
