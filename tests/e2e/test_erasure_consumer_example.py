"""The example bank system (examples/erasure_consumer.py), run as its own process with the
bank-system broker user against the real broker and a running platform: it follows identity's
public events, forgets a member on the GDPR tombstone `identity.user_erased`, never brings them
back from a late event, and dead-letters what it cannot read instead of looping on it."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pika
import pytest

from examples.erasure_consumer import REGISTERED, MemberDirectory, declare, queue_names
from services.shared import broker_permissions as broker

from ..conftest import RABBIT_MANAGEMENT_URI, ROOT, wait_for
from .conftest import PASSWORD


@dataclass
class BankSystem:
    system: str
    database: Path
    process: subprocess.Popen
    admin_uri: str  # the test's own broker user, to publish what no bank system may

    def directory(self) -> MemberDirectory:
        return MemberDirectory(str(self.database))

    def publish_to_its_queue(self, body: bytes) -> None:
        """What a re-drive or a bad producer would put in the system's queue."""
        connection = pika.BlockingConnection(pika.URLParameters(self.admin_uri))
        try:
            connection.channel().basic_publish("", queue_names(self.system)[0], body)
        finally:
            connection.close()

    def dead_letters(self) -> list[bytes]:
        connection = pika.BlockingConnection(pika.URLParameters(self.admin_uri))
        try:
            channel, found = connection.channel(), []
            while True:
                method, _, body = channel.basic_get(queue_names(self.system)[1], auto_ack=True)
                if method is None:
                    return found
                found.append(body)
        finally:
            connection.close()


@pytest.fixture
def bank_reader_uri(platform, tmp_path):
    """The bank-system broker user (reads `*.events`, makes only `bank.*` queues) on this
    platform's vhost, made as `make up` makes it."""
    state = tmp_path / "broker-users.json"
    uris = broker.provision(platform.amqp_uri, RABBIT_MANAGEMENT_URI, state,
                            prefix=f"{platform.vhost}-{uuid.uuid4().hex[:6]}-")
    yield uris[broker.BANK_READER]
    broker.remove(RABBIT_MANAGEMENT_URI, state)


@pytest.fixture
def bank_system(platform, bank_reader_uri, tmp_path):
    system = f"crm{uuid.uuid4().hex[:8]}"
    # the queue exists before the first event we wait for (the process declares the same)
    connection = pika.BlockingConnection(pika.URLParameters(bank_reader_uri))
    declare(connection.channel(), system)
    connection.close()
    database = tmp_path / "crm-members.sqlite"
    MemberDirectory(str(database)).close()  # the tables, before the test reads them
    log = (tmp_path / "consumer.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "erasure_consumer.py"),
         "--amqp-uri", bank_reader_uri, "--system", system, "--database", str(database)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    yield BankSystem(system, database, process, platform.amqp_uri)
    process.terminate()
    try:
        assert process.wait(timeout=20) == 0, (tmp_path / "consumer.log").read_text()
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
        # the system's durable queues would keep collecting identity's events for the rest of
        # the session: a bank system that leaves removes them
        connection = pika.BlockingConnection(pika.URLParameters(platform.amqp_uri))
        channel = connection.channel()
        for queue in queue_names(system):
            channel.queue_delete(queue)
        channel.exchange_delete(queue_names(system)[1])
        connection.close()


def _when(bank: BankSystem, check, message: str):
    def probe():
        assert bank.process.poll() is None, "the example consumer died"
        directory = bank.directory()
        try:
            return check(directory)
        finally:
            directory.close()
    return wait_for(probe, timeout=30, message=message)


def test_the_example_forgets_an_erased_member_and_never_brings_them_back(platform, api,
                                                                         bank_system):
    name, bio = f"Ada Tombstone {uuid.uuid4().hex[:6]}", f"bio {uuid.uuid4().hex}"
    ada = api.new_user(display_name=name, customer=True)
    assert api.patch("/api/v1/me", user=ada, json={"bio": bio}).status_code == 200
    member = _when(bank_system, lambda d: d.member(ada.id), "the member reached the bank system")
    assert member["customer"] == 1 and member["joined_at"]

    erased = api.delete("/api/v1/me", user=ada, json={"password": PASSWORD})
    assert erased.status_code == 204, erased.text
    _when(bank_system, lambda d: d.is_erased(ada.id) and d.member(ada.id) is None,
          "the tombstone handled: the member is forgotten")

    # a late copy of the registration (a re-drive, a replay) does not bring them back
    late = {"id": str(uuid.uuid4()), "type": REGISTERED, "schema_version": 1,
            "stream_id": f"user-{ada.id}", "stream_version": 1,
            "payload": {"user_id": ada.id, "customer": True, "roles": ["member"],
                        "joined_at": member["joined_at"], "display_name": "sealed anyway"}}
    bank_system.publish_to_its_queue(json.dumps(late).encode())
    _when(bank_system, lambda d: d.db.execute("SELECT 1 FROM handled WHERE event_id = ?",
                                              (late["id"],)).fetchone(),
          "the late event handled")
    directory = bank_system.directory()
    try:
        assert directory.member(ada.id) is None and directory.is_erased(ada.id)
    finally:
        directory.close()
    # the bank system never held the member's name, bio or address: they arrive sealed
    stored = bank_system.database.read_bytes()
    for personal in (name, bio, ada.email):
        assert personal.encode() not in stored, personal


def test_the_example_dead_letters_what_it_cannot_read_and_keeps_going(api, bank_system):
    bank_system.publish_to_its_queue(b"not an event")
    bank_system.publish_to_its_queue(json.dumps({"id": "x", "type": REGISTERED}).encode())
    dead: list[bytes] = []
    wait_for(lambda: dead.extend(bank_system.dead_letters()) or len(dead) == 2, timeout=30,
             message="both unreadable messages in the system's dead-letter queue")
    assert b"not an event" in dead
    someone = api.new_user()
    _when(bank_system, lambda d: d.member(someone.id), "later events still handled")
