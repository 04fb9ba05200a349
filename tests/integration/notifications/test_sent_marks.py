"""A sending batch's mails are marked sent in one command, once the batch is through; a sender
killed between its sends and that mark (SIGKILL, no clean-up) loses nothing: once the lease runs
out, the next pass sends the batch again, each mail with the Message-ID it had (the receiving
side recognises the duplicate), and marks it once."""
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from pymongo import MongoClient

from services.notifications.delivery import OUTGOING_MAIL, Deliveries, DeliverySettings

from ...commands import CommandLog
from .deliveries import Clock

pytestmark = pytest.mark.integration


def notify(db, readers: list[str], post: str) -> None:
    """What the inbox projection leaves for delivery: one notification to each reader, by
    e-mail at once (their addresses known)."""
    db.contacts.insert_many([{"_id": reader, "email": f"{reader}@example.org"}
                             for reader in readers if not db.contacts.find_one({"_id": reader})])
    db.inbox.insert_many([{
        "_id": f"n-{post}-{reader}", "member_id": reader, "type": "followed_activity",
        "kind": "idea", "title": "Épargne", "post_id": post, "by_team": True,
        "ts": int(time.time() * 1_000_000), "queued": False, "read": False,
        "channels": {"email": "immediate"}} for reader in readers])


def test_a_batch_of_mails_is_marked_sent_in_one_command(notifications_config, mailsink):
    updates = CommandLog()
    client = MongoClient(notifications_config["MONGO_URI"], event_listeners=[updates])
    try:
        db = client[f"{notifications_config['MONGO_DB_PREFIX']}_notifications"]
        readers = [f"r{n}-{uuid.uuid4().hex[:8]}" for n in range(4)]
        notify(db, readers, "p-one-mark")
        deliveries = Deliveries(db, DeliverySettings(smtp_host=mailsink.host,
                                                     smtp_port=mailsink.port), pusher=None)
        updates.clear()
        assert deliveries.pass_once()["mails"] == 4
        # the queuing's upsert of the four, and one mark for the four (one per mail before)
        assert updates.count("update", OUTGOING_MAIL) == 2
        assert {doc["state"] for doc in db[OUTGOING_MAIL].find(
            {"member_id": {"$in": readers}})} == {"sent"}
        assert all(len(mailsink.messages(to=f"{reader}@example.org")) == 1 for reader in readers)
    finally:
        client.close()


SENDER = """
import sys
from pymongo import MongoClient
from services.notifications.delivery import Deliveries, DeliverySettings
uri, name, host, port = sys.argv[1:5]
db = MongoClient(uri)[name]
Deliveries(db, DeliverySettings(smtp_host=host, smtp_port=int(port)), pusher=None).pass_once()
"""


def test_a_sender_killed_between_its_sends_and_their_mark_sends_them_again_with_their_ids(
        notifications_config, mailsink, notifications_db):
    db = notifications_db
    readers = [f"k{n}-{uuid.uuid4().hex[:8]}" for n in range(3)]
    notify(db, readers, "p-killed")
    sender = subprocess.run(
        [sys.executable, "-c", SENDER, notifications_config["MONGO_URI"], db.name,
         mailsink.host, str(mailsink.port)],
        env={**os.environ, "AGORA_FAILPOINTS": "sent_not_marked"}, timeout=60,
        capture_output=True)
    assert sender.returncode == -signal.SIGKILL, sender.stderr.decode()[-2000:]
    first = {reader: mailsink.messages(to=f"{reader}@example.org") for reader in readers}
    assert all(len(mails) == 1 for mails in first.values())  # sent, then the sender died
    mails = {doc["member_id"]: doc
             for doc in db[OUTGOING_MAIL].find({"member_id": {"$in": readers}})}
    assert {doc["state"] for doc in mails.values()} == {"sending"}  # not marked

    settings = DeliverySettings(smtp_host=mailsink.host, smtp_port=mailsink.port)
    clock = Clock(time.time())
    deliveries = Deliveries(db, settings, pusher=None, clock=clock)
    assert deliveries.pass_once()["mails"] == 0  # held by the dead sender's lease
    clock.now = max(doc["claimed_until"] for doc in mails.values()) + 1
    assert deliveries.pass_once()["mails"] == 3  # the lease ran out: taken over
    assert deliveries.pass_once()["mails"] == 0  # and marked: never a third time
    for reader in readers:
        again = mailsink.messages(to=f"{reader}@example.org")
        assert len(again) == 2
        assert again[0]["Message-ID"] == again[1]["Message-ID"]  # the duplicate is recognisable
    assert {(doc["state"], doc["claims"]) for doc in db[OUTGOING_MAIL].find(
        {"member_id": {"$in": readers}})} == {("sent", 2)}
