"""What a member is told of the private conversations' target (`sla.member_reply_target`):
that channel's target only; whole opening days named as such when only opening hours count."""
from __future__ import annotations

from services.moderation import sla

TARGETS = sla.default_targets({"site": 43200, "social": 7200, "private": 28800})


def with_private(seconds: int, business_hours: bool, week=None) -> dict:
    calendar = {**TARGETS["calendar"], **({"week": week} if week else {})}
    return {**TARGETS, "calendar": calendar, "channels": {
        **TARGETS["channels"], "private": {"target_seconds": seconds,
                                           "business_hours": business_hours}}}


def test_the_private_target_and_nothing_else():
    assert sla.member_reply_target(TARGETS) == {
        "target_seconds": 28800, "business_hours": False, "working_days": None}


def test_whole_opening_days_are_counted_as_working_days():
    nine_hours = 9 * 3600  # 09:00-18:00, Monday to Friday
    assert sla.member_reply_target(with_private(nine_hours, True))["working_days"] == 1
    assert sla.member_reply_target(with_private(2 * nine_hours, True))["working_days"] == 2
    assert sla.member_reply_target(with_private(4 * 3600, True))["working_days"] is None
    # continuous time is never working days, even 18 h
    assert sla.member_reply_target(with_private(2 * nine_hours, False))["working_days"] is None


def test_days_of_unequal_opening_hours_are_not_counted_as_days():
    week = {"mon": {"open": "09:00", "close": "18:00"}, "sat": {"open": "09:00", "close": "12:00"}}
    assert sla.member_reply_target(with_private(9 * 3600, True, week))["working_days"] is None
