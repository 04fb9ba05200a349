"""A sender claims a batch of due mails in three round trips, never one that another sender
holds: concurrent senders (replicas) share the due documents without a document sent twice, a
lease that ran out makes its documents claimable again, and a document claimed too often
without an outcome becomes a dead letter."""
import time
import uuid

import eventlet
import pytest

from services.notifications.delivery import (
    OUTBOX_CHECKED_EVERY,
    OUTGOING_MAIL,
    OUTGOING_PUSH,
    Deliveries,
    DeliverySettings,
    Outbox,
)

from ...commands import CommandLog
from .deliveries import Clock

pytestmark = pytest.mark.integration


@pytest.fixture
def db(notifications_db):
    return notifications_db


def due(outbox: Outbox, count: int, prefix: str) -> list[str]:
    ids = [f"{prefix}-{n:03d}" for n in range(count)]
    outbox.collection.bulk_write([outbox.add(doc_id, {"member_id": f"m-{doc_id}", "kind": "notice",
                                                      "notice": {}}) for doc_id in ids])
    return ids


def test_concurrent_senders_share_the_due_mails_and_none_is_claimed_twice(db):
    clock = Clock(1_000.0)
    settings = DeliverySettings(claim_seconds=60)
    senders = [Outbox(db, OUTGOING_MAIL, settings, clock) for _ in range(4)]
    ids = due(senders[0], 60, "share")
    taken: list[list[str]] = [[] for _ in senders]

    def drain(index: int) -> None:
        while batch := senders[index].claim(7):
            taken[index] += [doc["_id"] for doc in batch]
            eventlet.sleep(0)  # ok: a yield so the other senders interleave, synchronises nothing

    pool = eventlet.GreenPool()
    for index in range(len(senders)):
        pool.spawn(drain, index)
    pool.waitall()
    everything = [doc_id for mine in taken for doc_id in mine]
    assert sorted(everything) == ids  # each due mail claimed exactly once, by one sender
    assert senders[0].claim(50) == []  # held by their leases
    held = list(db[OUTGOING_MAIL].find({"_id": {"$in": ids}}))
    assert {(doc["state"], doc["claims"], doc["claimed_until"]) for doc in held} == {
        ("sending", 1, 1_060.0)}


def test_an_expired_lease_is_claimed_again_oldest_first_and_too_many_claims_dead_letter(db):
    clock = Clock(2_000.0)
    sender = Outbox(db, OUTGOING_MAIL, DeliverySettings(claim_seconds=10, max_attempts=2), clock)
    first = due(sender, 3, "lease-a")
    clock.now += 1
    later = due(sender, 2, "lease-b")
    claimed = [doc["_id"] for doc in sender.claim(4)]
    assert claimed == first + later[:1]  # oldest first, at most the limit
    sender.done(sender.collection.find_one({"_id": first[0]}))
    clock.now += 11  # the other leases ran out: a crashed sender's mails are taken over
    again = [doc["_id"] for doc in sender.claim(10)]
    assert sorted(again) == sorted(first[1:] + later)
    assert sender.collection.find_one({"_id": first[1]})["claims"] == 2
    clock.now += 11
    sender.claim(10)  # third claim: attempts 0 + max_attempts 2 allows it
    clock.now += 11
    assert sender.claim(10) == []  # a fourth claim without an outcome: the sender dies on them
    states = {doc["_id"]: doc["state"] for doc in sender.collection.find(
        {"_id": {"$in": first + later}})}
    assert states == {first[0]: "sent", **{doc_id: "dead" for doc_id in first[1:] + later}}
    assert sender.parked == 4


class RecordingPushProvider:
    def __init__(self):
        self.sent: list[str] = []

    def send(self, member_id, title, body, data):
        self.sent.append(data["notification_id"])


def test_the_background_pass_looks_at_an_outbox_it_queued_nothing_into_every_few_seconds(db):
    """A background pass sends what it has just queued at once; what falls due in an outbox
    without it (a retry, a claim left by a crashed sender) within `OUTBOX_CHECKED_EVERY` (or
    the retry delay, if shorter); an explicit pass (`deliver_now`) looks at once."""
    clock = Clock(3_000.0)
    provider = RecordingPushProvider()
    deliveries = Deliveries(db, DeliverySettings(retry_base_seconds=30), provider, clock=clock)
    notice = {"type": "reply", "actor_name": "Ada", "title": "Plafonds", "kind": "question"}

    def due_push(doc_id: str) -> None:  # as a retry falling due: not queued by this pass
        db[OUTGOING_PUSH].bulk_write([deliveries.push.add(doc_id, {
            "member_id": f"m-{doc_id}", "notice": notice})])

    due_push("lazy-1")
    deliveries.pass_once(background=True)
    assert provider.sent == ["lazy-1"]  # never looked at before
    due_push("lazy-2")
    clock.now += OUTBOX_CHECKED_EVERY - 1
    deliveries.pass_once(background=True)
    assert provider.sent == ["lazy-1"]  # looked at a moment ago
    db["inbox"].insert_one({"_id": "lazy-3", "member_id": "m-lazy-3", "type": "reply",
                            "ts": int(clock.now * 1_000_000), "queued": False,
                            "channels": {"push": True}, **notice})
    deliveries.pass_once(background=True)  # queued a push: looks at once, sends both
    assert sorted(provider.sent) == ["lazy-1", "lazy-2", "lazy-3"]
    due_push("lazy-4")
    deliveries.pass_once(background=True)
    assert "lazy-4" not in provider.sent
    clock.now += OUTBOX_CHECKED_EVERY
    deliveries.pass_once(background=True)
    assert provider.sent[-1] == "lazy-4"  # within OUTBOX_CHECKED_EVERY
    due_push("lazy-5")
    deliveries.pass_once()  # explicit: looks whatever the time
    assert provider.sent[-1] == "lazy-5"


def test_a_pass_queues_and_sends_a_notice_to_each_reader_in_their_language_reading_members_once(
        notifications_config, mailsink):
    """The recipients of one notification get it in their own language with the actor's name;
    the pass that queued it reads `members` once for both its queuing and its sending, and
    sends the mails it claimed as it queued them without looking for them in the outbox."""
    from pymongo import MongoClient

    finds = CommandLog()
    client = MongoClient(notifications_config["MONGO_URI"], event_listeners=[finds])
    try:
        db = client[f"{notifications_config['MONGO_DB_PREFIX']}_notifications"]
        tag = uuid.uuid4().hex[:8]
        readers = {f"fr-{tag}": "fr", f"en-{tag}": "en"}
        db.members.insert_many([{"_id": f"ada-{tag}", "display_name": "Ada Lovelace"}] + [
            {"_id": reader, "display_name": reader, "language": language}
            for reader, language in readers.items()])
        db.contacts.insert_many([{"_id": reader, "email": f"{reader}@example.org"}
                                 for reader in readers])

        def notify(post: str) -> None:
            db.inbox.insert_many([{
                "_id": f"n-{post}-{reader}", "member_id": reader, "type": "followed_activity",
                "kind": "idea", "title": "Épargne", "actor_id": f"ada-{tag}", "post_id": post,
                "ts": int(time.time() * 1_000_000), "queued": False, "read": False,
                "channels": {"email": "immediate"}} for reader in readers])

        settings = DeliverySettings(smtp_host=mailsink.host, smtp_port=mailsink.port)
        deliveries = Deliveries(db, settings, pusher=None)
        notify(f"p1-{tag}")
        finds.clear()
        assert deliveries.pass_once(background=True)["mails"] == 2
        assert finds.count("find", "members") == 1
        notify(f"p2-{tag}")  # the next post, within OUTBOX_CHECKED_EVERY
        finds.clear()
        assert deliveries.pass_once(background=True)["mails"] == 2
        assert finds.count("find", OUTGOING_MAIL) + finds.count(
            "findAndModify", OUTGOING_MAIL) == 0  # sent as claimed when queued
        assert {doc["state"] for doc in db[OUTGOING_MAIL].find(
            {"member_id": {"$in": list(readers)}})} == {"sent"}
        assert all(len(mailsink.messages(to=f"{reader}@example.org")) == 2
                   for reader in readers)  # each once
        subjects = {reader: mailsink.messages(to=f"{reader}@example.org")[0]["Subject"]
                    for reader in readers}
        assert "Ada Lovelace" in subjects[f"fr-{tag}"] and "Ada Lovelace" in subjects[f"en-{tag}"]
        assert subjects[f"fr-{tag}"] != subjects[f"en-{tag}"]  # each in their language
    finally:
        client.close()
