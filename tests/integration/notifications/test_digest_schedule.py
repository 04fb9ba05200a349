"""Digests at each member's local hour, against the real database with a controlled clock: a
member's waiting items go out in one mail once their hour (in their time zone) has passed since
the oldest arrived; later items wait for the next day; two runs (two replicas) make one mail."""
from datetime import datetime

import pytest

from services.notifications.delivery import DIGEST_ITEMS, Deliveries, DeliverySettings

from .deliveries import Clock

pytestmark = pytest.mark.integration


def at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


@pytest.fixture
def db(notifications_db):
    return notifications_db


def waiting(db, item_id: str, member_id: str, when: str) -> None:
    db[DIGEST_ITEMS].insert_one({
        "_id": item_id, "member_id": member_id, "digest_id": None, "ts": int(at(when) * 1e6),
        "notice": {"type": "reply", "actor_name": "Ada", "kind": "question", "title": "T"}})


def digests(db, member_id: str) -> list[dict]:
    return list(db.outgoing_mail.find({"kind": "digest", "member_id": member_id}).sort("_id"))


def test_each_member_gets_one_digest_at_their_local_hour(db):
    clock = Clock(at("2026-12-01T06:30:00+00:00"))
    deliveries = Deliveries(db, DeliverySettings(digest_hour=8, default_timezone="Europe/Paris"),
                            pusher=None, clock=clock)
    db.prefs.insert_one({"_id": "tokyo", "types": {},
                         "digest": {"hour": 9, "timezone": "Asia/Tokyo"}})
    waiting(db, "paris-1", "paris", "2026-11-30T20:00:00+00:00")  # default: 08:00 in Paris
    waiting(db, "tokyo-1", "tokyo", "2026-11-30T20:00:00+00:00")  # 09:00 Tokyo = 00:00 UTC

    assert deliveries.run_digests() == 1  # 07:30 in Paris: only Tokyo's hour has passed
    assert [mail["_id"] for mail in digests(db, "tokyo")] == [
        f"digest:tokyo:{int(at('2026-12-01T00:00:00+00:00'))}"]
    assert digests(db, "paris") == []

    clock.now = at("2026-12-01T07:00:00+00:00")  # 08:00 in Paris
    waiting(db, "paris-2", "paris", "2026-12-01T06:59:00+00:00")
    waiting(db, "paris-late", "paris", "2026-12-01T07:00:30+00:00")  # after the hour
    assert deliveries.run_digests() == 1
    assert deliveries.run_digests() == 0  # another replica, the same minute: nothing more
    (mail,) = digests(db, "paris")
    assert mail["state"] == "pending"
    assert sorted(d["_id"] for d in db[DIGEST_ITEMS].find({"digest_id": mail["_id"]})) == [
        "paris-1", "paris-2"]
    assert db[DIGEST_ITEMS].find_one({"_id": "paris-late"})["digest_id"] is None

    clock.now = at("2026-12-02T07:00:05+00:00")  # the next morning
    assert deliveries.run_digests() == 1
    assert db[DIGEST_ITEMS].find_one({"_id": "paris-late"})["digest_id"] is not None


def test_send_now_takes_every_waiting_item_whatever_the_hour(db):
    clock = Clock(at("2026-12-01T10:00:00+00:00"))
    deliveries = Deliveries(db, DeliverySettings(), pusher=None, clock=clock)
    waiting(db, "now-1", "now", "2026-12-01T09:59:00+00:00")
    assert deliveries.run_digests() == 0
    assert deliveries.run_digests(force=True) == 1
    assert db[DIGEST_ITEMS].find_one({"_id": "now-1"})["digest_id"].startswith("digest:now:")

