"""What the notifications integration tests wait for: a member's in-app notifications (through the
service's RPC) and the e-mails the local SMTP server received. Conditions with a timeout, never
sleeps."""
from __future__ import annotations

from ...conftest import wait_for
from ..feeds.fixtures import actor


def inbox(rpc, member, **query):
    return rpc.notifications.inbox(actor(member), query or None)


def notified(rpc, member, kind, count=1, **match):
    """Wait until `member` has `count` notifications of `kind` (matching `match`); return them."""
    def check():
        found = [n for n in inbox(rpc, member, limit=100)["items"] if n["type"] == kind
                 and all(n.get(k) == v for k, v in match.items())]
        return found if len(found) >= count else None
    return wait_for(check, message=f"{member['id']} notified of {kind} {match}")


def mails(mailsink, member, count=1, containing=""):
    return wait_for(lambda: (found := [m for m in mailsink.messages(to=member["email"])
                                       if containing in m.get_content() + m["Subject"]])
                    and len(found) >= count and found,
                    message=f"{count} mail(s) to {member['id']} with {containing!r}")


class Clock:
    """A clock the test moves (`clock.now = ...`), for a `Deliveries` or an `Outbox`."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now

