"""Deliveries that retrying cannot fix end as dead letters — visible, re-drivable — and transient
failures are retried a bounded number of times: never a poison message retried forever.

Notifications in a nameko container with identity, posts, moderation and feeds, delivering to
the real local SMTP server (which refuses, with 550, recipients starting with ``refused``)."""
import json
import time
import uuid

import pytest

from services.notifications.delivery import Deliveries, DeliverySettings, PermanentFailure
from services.ops import cli

from ...conftest import wait_for
from ..feeds.fixtures import follow, post, published, register
from .deliveries import mails, notified

pytestmark = pytest.mark.integration


@pytest.fixture
def notifications_config(notifications_config):
    """Small retry budget, so that "bounded" is seen in seconds."""
    return {**notifications_config, "NOTIFICATIONS": {
        **notifications_config["NOTIFICATIONS"], "max_attempts": 3}}


@pytest.fixture
def outbox(mongo_client, notifications_config):
    return mongo_client[f"{notifications_config['MONGO_DB_PREFIX']}_notifications"][
        "outgoing_mail"]


@pytest.fixture
def agora(monkeypatch, notifications_config, capsys):
    """The SRE's command, `agora dead-letters ...`, against this test's databases."""
    monkeypatch.setenv("MONGO_URI", notifications_config["MONGO_URI"])
    monkeypatch.setenv("MONGO_DB_PREFIX", notifications_config["MONGO_DB_PREFIX"])
    monkeypatch.setenv("AMQP_URI", notifications_config["AMQP_URI"])
    monkeypatch.setenv("AGORA_LANGUAGE", "en")  # the messages this test reads

    def run(*args: str) -> list[str]:
        capsys.readouterr()
        assert cli.main(list(args)) == 0
        return capsys.readouterr().out.splitlines()
    return run


def dead(outbox, kind="notice", **match):
    """A dead letter of `kind` (a refused address also dead-letters the sign-up's confirmation
    mail, kind `email_verification`)."""
    return wait_for(lambda: outbox.find_one({"state": "dead", "kind": kind, **match}),
                    message=f"a dead letter {match}")


def test_a_mail_refused_for_good_is_dead_lettered_listed_and_redriven(
        rpc, mailsink, outbox, agora):
    author = register(rpc)
    follower = register(rpc, email=f"refused-{uuid.uuid4().hex[:8]}@example.org")
    sentinel = register(rpc)
    follow(rpc, follower, author)
    follow(rpc, sentinel, author)
    published(rpc, post(rpc, author, title="Nouveaux plafonds"))
    notified(rpc, follower, "followed_activity")
    mails(mailsink, sentinel, containing="Nouveaux plafonds")  # the same batch went on

    letter = dead(outbox, member_id=follower["id"])
    confirmation = dead(outbox, "email_verification", member_id=follower["id"])
    assert letter["attempts"] == 1  # a 550 is final: no retry
    assert "550" in letter["last_error"] and "refused by the SMTP server" in letter["last_error"]
    listed = [json.loads(line) for line in agora("dead-letters", "list", "notifications",
                                                  "--outbox", "mail")]
    assert sorted((entry["id"], entry["member_id"]) for entry in listed) == sorted([
        (letter["_id"], follower["id"]), (confirmation["_id"], follower["id"])])
    assert "Nouveaux plafonds" not in json.dumps(listed)  # ids and errors, no content
    assert agora("dead-letters", "count", "notifications", "--outbox", "mail") == ["2"]

    # The mailbox exists now (the server's answer changes): the SRE re-drives, it arrives.
    mailsink.stop()
    mailsink.refused_prefix = ""
    mailsink.start()
    assert agora("dead-letters", "redrive", "notifications", "--outbox", "mail",
                 "--id", letter["_id"]) == ["notifications mail: 1 dead letter(s) re-driven"]
    rpc.notifications.deliver_now()
    mails(mailsink, follower, containing="Nouveaux plafonds")
    assert outbox.find_one({"_id": letter["_id"]})["state"] == "sent"
    assert outbox.find_one({"_id": letter["_id"]})["redriven"] == 1


def test_a_mail_that_cannot_be_built_is_dead_lettered_and_the_others_go_out(
        rpc, mailsink, outbox, mongo_client, notifications_config):
    """Data stored before it was validated (an address with a line break here, as titles with
    CR/LF were) builds the same broken message on every try, which used to stop every pass."""
    member, other, author = register(rpc), register(rpc), register(rpc)
    follow(rpc, member, author)
    follow(rpc, other, author)
    contacts = mongo_client[f"{notifications_config['MONGO_DB_PREFIX']}_notifications"][
        "contacts"]
    wait_for(lambda: contacts.find_one({"_id": member["id"], "email": {"$ne": None}}),
             message="the member's address known to notifications")
    contacts.update_one({"_id": member["id"]},
                        {"$set": {"email": f"{member['email']}\r\nBcc: all@bank.example"}})
    published(rpc, post(rpc, author, title="Après le message empoisonné"))
    mails(mailsink, other, containing="Après le message empoisonné")
    letter = dead(outbox, member_id=member["id"])
    assert letter["attempts"] == 1 and letter["last_error"].startswith("cannot be built")
    assert mailsink.messages(to=member["email"]) == []  # notices (its confirmation went before)


def test_a_transient_failure_is_retried_a_bounded_number_of_times(rpc, outbox, agora):
    """No address will ever be known for this member: 3 attempts (the configured budget) with
    backoff, then a dead letter — not a retry every few minutes forever."""
    mail_id = f"orphan-{uuid.uuid4().hex[:8]}"
    outbox.insert_one({"_id": mail_id, "member_id": f"ghost-{uuid.uuid4().hex[:8]}",
                       "kind": "notice", "notice": {"type": "reply"}, "state": "pending",
                       "attempts": 0, "next_at": 0, "created_at": time.time()})
    rpc.notifications.deliver_now()
    letter = dead(outbox, _id=mail_id)
    assert letter["attempts"] == 3
    assert letter["last_error"] == "gave up after 3 attempts: no e-mail address known yet"
    assert agora("dead-letters", "redrive", "notifications", "--outbox", "mail") == [
        "notifications mail: 1 dead letter(s) re-driven"]
    assert dead(outbox, _id=mail_id)["redriven"] == 1  # a fresh budget, spent again


class RefusingPushProvider:
    """A provider that says, for one member, that the device is gone for good."""

    def __init__(self, refused: str):
        self.refused, self.sent = refused, []

    def send(self, member_id, title, body, data):
        if member_id == self.refused:
            raise PermanentFailure("unregistered device")
        self.sent.append(member_id)


def test_a_push_refused_for_good_is_dead_lettered(mongo_client, notifications_config):
    db = mongo_client[f"{notifications_config['MONGO_DB_PREFIX']}_notifications"]
    provider = RefusingPushProvider(refused="gone")
    deliveries = Deliveries(db, DeliverySettings(max_attempts=3), provider)
    notice = {"type": "reply", "actor_name": "Ada", "title": "Plafonds", "kind": "question"}
    db.outgoing_push.bulk_write([deliveries.push.add(f"push-{member}", {
        "member_id": member, "notice": notice}) for member in ("gone", "here")])
    deliveries.send_push()
    assert provider.sent == ["here"]
    letter = db.outgoing_push.find_one({"_id": "push-gone"})
    assert letter["state"] == "dead" and letter["attempts"] == 1
    assert deliveries.push.redrive() == 1
    assert db.outgoing_push.find_one({"_id": "push-gone"})["state"] == "pending"
