"""Only the newest link is e-mailed, whatever order its requests' deliveries come in.

A member asking for a confirmation (or reset) link several times makes every earlier link stop
working (identity keeps only the latest). Notifications' handler runs deliveries concurrently
and a retried delivery comes back late, so an older request may reach `queue_link` after a
newer one: its mail must not replace the newer one's (the member would get only a dead link),
nor go out after it."""
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest

from services.notifications.delivery import OUTGOING_MAIL, Deliveries, DeliverySettings
from services.shared.envelope import Envelope

from ...conftest import wait_for
from .events import received

pytestmark = pytest.mark.integration

LINK = re.compile(r"/verify-email\?token=([A-Za-z0-9_%-]+)")


def requested(member: str, version: int) -> Envelope:
    """The account stream's `version`-th event: a confirmation link asked for."""
    return received("identity.email_verification_requested", f"account-{member}", version, {
        "user_id": member, "token": f"token-{version}-{uuid.uuid4().hex}",
        "expires_at": (datetime.now(UTC) + timedelta(hours=48)).isoformat()})


@pytest.fixture
def deliveries(notifications_db, mailsink):
    return Deliveries(notifications_db, DeliverySettings(
        smtp_host=mailsink.host, smtp_port=mailsink.port), pusher=None)


@pytest.fixture
def member(notifications_db):
    member = f"m-{uuid.uuid4().hex[:10]}"
    notifications_db.contacts.insert_one({"_id": member, "email": f"{member}@example.org"})
    return member


def links(mailsink, member, count: int) -> list[str]:
    """The links e-mailed to `member`, once `count` have arrived (the sink stores what SMTP
    accepted as it comes)."""
    def arrived():
        found = [unquote(link.group(1))
                 for mail in mailsink.all_messages(to=f"{member}@example.org")
                 if (link := LINK.search(mail.get_content()))]
        return found if len(found) >= count else None
    return wait_for(arrived, message=f"{count} link(s) e-mailed to {member}")


def test_an_older_request_delivered_late_replaces_nothing_and_is_not_sent(
        deliveries, member, mailsink, notifications_db):
    third, fourth, fifth = (requested(member, version) for version in (3, 4, 5))
    assert deliveries.queue_link(fifth)
    assert not deliveries.queue_link(third)  # a retry coming back after the newer request
    assert not deliveries.queue_link(fourth)
    assert deliveries.pass_once()["mails"] == 1
    assert links(mailsink, member, 1) == [fifth.payload["token"]]
    # once the newest went out, a still later delivery of an older request sends nothing
    assert not deliveries.queue_link(fourth)
    assert deliveries.pass_once()["mails"] == 0
    assert {doc["state"] for doc in notifications_db[OUTGOING_MAIL].find(
        {"member_id": member})} == {"sent"}


def test_requests_delivered_in_order_before_a_send_leave_only_the_newest(
        deliveries, member, mailsink):
    asked = [requested(member, version) for version in range(2, 7)]
    assert all(deliveries.queue_link(event) for event in asked)  # each newest when it came
    assert deliveries.pass_once()["mails"] == 1
    assert links(mailsink, member, 1) == [asked[-1].payload["token"]]
    newer = requested(member, 7)
    assert deliveries.queue_link(newer)  # asked again after a send: sent too
    assert deliveries.pass_once()["mails"] == 1
    assert links(mailsink, member, 2) == [asked[-1].payload["token"], newer.payload["token"]]
