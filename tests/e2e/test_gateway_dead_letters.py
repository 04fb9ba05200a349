"""The gateway consumes identity's events like a service: what it cannot handle waits in
`gateway.dead-letters`, counted on its /metrics (the AgoraDeadLetters alert) and listed, saved and
re-driven by `agora dead-letters ... gateway` as the runbook says."""
from __future__ import annotations

import json
import os
import re
import uuid

import pika

from services.shared.consumer import handler_queue
from services.shared.members import USER_ERASED

from ..conftest import wait_for

QUEUE = handler_queue("identity", USER_ERASED, "gateway", "on_user_erased")


def _dead_letters_on_metrics(api) -> float:
    found = re.search(r'^agora_dead_letters\{service="gateway"\} (\S+)$', api.get("/metrics").text,
                      re.MULTILINE)
    return float(found.group(1)) if found else -1.0


def _publish(platform, body: str, message_id: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(platform.amqp_uri))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish("", QUEUE, body.encode(), pika.BasicProperties(
        content_type="application/json", delivery_mode=2, message_id=message_id))
    connection.close()


def _take_off(platform, message_id: str) -> None:
    """Remove this test's letter from the gateway's dead letters (the others go back)."""
    connection = pika.BlockingConnection(pika.URLParameters(platform.amqp_uri))
    channel = connection.channel()
    while True:
        method, properties, _ = channel.basic_get("gateway.dead-letters")
        if method is None or properties.message_id == message_id:
            if method is not None:
                channel.basic_ack(method.delivery_tag)
            break
    connection.close()


def _letters(platform, message_id: str) -> list[dict]:
    listed = platform.agora("dead-letters", "list", "gateway", "--limit", "1000")
    assert listed.returncode == 0, listed.stderr
    return [letter for letter in map(json.loads, listed.stdout.splitlines())
            if letter["message_id"] == message_id]


def test_the_gateways_dead_letters_are_counted_listed_saved_and_redriven(platform, api,
                                                                          tmp_path):
    message_id = f"poison-{uuid.uuid4().hex}"
    body = json.dumps({"type": USER_ERASED, "note": "pas une enveloppe : texte privé"})
    before = max(_dead_letters_on_metrics(api), 0.0)
    _publish(platform, body, message_id)
    try:
        wait_for(lambda: _dead_letters_on_metrics(api) == before + 1,
                 message="the gateway's /metrics counts its dead letter")
        (letter,) = _letters(platform, message_id)
        assert letter["handler"] == "gateway.on_user_erased" and letter["queue"] == QUEUE

        copy = tmp_path / "gateway-dead-letters.jsonl"
        saved = platform.agora("dead-letters", "save", "gateway", "--to", str(copy),
                               env={"AGORA_LANGUAGE": "en"})
        assert saved.returncode == 0, saved.stderr
        assert "texte privé" not in saved.stdout + saved.stderr  # only in the file
        assert os.stat(copy).st_mode & 0o777 == 0o600
        (whole,) = [line for line in map(json.loads, copy.read_text().splitlines())
                    if line["message_id"] == message_id]
        assert whole["body"] == body

        redriven = platform.agora("dead-letters", "redrive", "gateway", "--id", message_id,
                                  env={"AGORA_LANGUAGE": "en"})
        assert redriven.stdout.strip() == "gateway: 1 dead letter(s) re-driven"
        # still poison: dead-lettered again, once re-driven
        wait_for(lambda: [letter["redriven"] for letter in _letters(platform, message_id)] == [1],
                 message="the letter back, re-driven once")
    finally:
        _take_off(platform, message_id)
