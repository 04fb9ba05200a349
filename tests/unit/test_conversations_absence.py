"""The absence's rule in conversations (services/conversations/absence.py `cover`): the
customer writing brings their away advisor's backup in, staff writing bring nobody, and a
backup who left after that absence brought them in is not brought back by it — a later
declaration may bring them again. Who may join at all is one rule with the manual add
(`domain.may_join`): staff now, account not erased."""
import pytest

from services.conversations import absence, domain
from services.shared.envelope import Envelope

pytestmark = pytest.mark.unit

DECLARED = "2026-12-07T09:00:00+00:00"
CUSTOMER = {"id": "m1", "roles": ["member"]}


def _event(version, event_type, payload, at):
    return Envelope(id=f"e{version}", type=event_type, schema_version=1, stream_id="conv-c1",
                    stream_version=version, occurred_at=at, actor=None, correlation_id=None,
                    causation_id=None, payload={"conversation_id": "c1", **payload})


def _conversation(*later):
    return domain.fold([_event(1, domain.STARTED, {
        "member_id": "m1", "participant_ids": ["m1", "a1"], "origin": "member",
        "advisor_id": "a1"}, "2026-12-01T09:00:00+00:00"), *later])


def _away(since=DECLARED):
    return {"a1": {"id": "b1", "since": since}}


def test_the_customer_writing_brings_the_backup_in_staff_writing_nobody():
    s = _conversation()
    joined = absence.post_with_cover(CUSTOMER, s, "msg2", False, _away())
    assert [(e.type, e.payload.get("participant_id"), e.payload.get("added_by"))
            for e in joined][:1] == [(domain.PARTICIPANT_ADDED, "b1", "absence")]
    advisor = {"id": "a1", "roles": ["member", "advisor"]}
    assert [e.type for e in absence.post_with_cover(advisor, _conversation(), "msg3", False,
                                                    _away())] == [domain.MESSAGE_POSTED]


def test_a_backup_who_left_is_not_brought_back_by_the_same_absence():
    s = _conversation(
        _event(2, domain.PARTICIPANT_ADDED, {"participant_id": "b1", "added_by": "absence",
                                             "participant_ids": ["m1", "a1", "b1"]},
               "2026-12-07T10:00:00+00:00"),
        _event(3, domain.PARTICIPANT_LEFT, {"participant_id": "b1",
                                            "participant_ids": ["m1", "a1"]},
               "2026-12-07T11:00:00+00:00"))
    assert absence.cover(CUSTOMER, s, _away()) == []
    # declared again after they left (a new absence): they are brought in again
    again = absence.cover(CUSTOMER, s, _away("2026-12-08T09:00:00+00:00"))
    assert [e.payload["participant_id"] for e in again] == ["b1"]


def test_one_rule_for_who_may_join():
    assert domain.may_join(["member", "advisor"])
    assert not domain.may_join(["member"])
    assert not domain.may_join(["advisor"], erased=True)
    assert not domain.may_join(None)
