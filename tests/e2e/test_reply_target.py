"""A member reads when the bank usually answers a private conversation (findings 38 §6): the
private conversations' target — the very one staff's clocks count against — and nothing else
(no other channel, no category, no calendar: those stay the CMs'). A target counted in opening
hours that is whole opening days says how many. The target changed here is put back at the
end, since the session's other tests share the moderation service."""
from __future__ import annotations

from ..conftest import wait_for
from .steps import ok, problem, staff

TARGETS = "/api/v1/moderation/sla/targets"
REPLY_TARGET = "/api/v1/me/reply-target"
NINE_TO_SIX = {day: {"open": "09:00", "close": "18:00"} for day in ("mon", "tue", "wed", "thu",
                                                                    "fri")}


def test_a_member_reads_the_private_target_only(platform, api):
    manager, member = staff(platform), api.new_user()
    original = ok(api.get(TARGETS, user=manager))
    private = original["channels"]["private"]
    assert private["business_hours"] is False  # the configured default: every second counts
    assert ok(api.get(REPLY_TARGET, user=member)) == {
        "target_seconds": private["target_seconds"], "business_hours": False,
        "working_days": None}
    problem(api.get(REPLY_TARGET), 401)
    problem(api.get(TARGETS, user=member), 403)  # the whole targets stay the CMs'

    try:
        # two opening days of 9 h, counted in opening hours: « 2 jours ouvrés »
        ok(api.put(TARGETS, user=manager, json={
            "channels": {"private": {"target_seconds": 18 * 3600, "business_hours": True},
                         "site": {"target_seconds": 777, "business_hours": False}},
            "calendar": {"timezone": "Europe/Paris", "week": NINE_TO_SIX, "holidays": []}}))
        wait_for(lambda: ok(api.get(REPLY_TARGET, user=member)) == {
            "target_seconds": 18 * 3600, "business_hours": True, "working_days": 2},
            timeout=20, message="the member reads the new private target")
        # four opening hours are no whole day: hours, counted in opening hours
        ok(api.put(TARGETS, user=manager, json={
            "channels": {"private": {"target_seconds": 4 * 3600, "business_hours": True}}}))
        answer = wait_for(lambda: (lambda a: a if a["target_seconds"] == 4 * 3600 else None)(
            ok(api.get(REPLY_TARGET, user=member))), timeout=20, message="4 h")
        assert answer == {"target_seconds": 4 * 3600, "business_hours": True,
                          "working_days": None}
        assert "777" not in str(answer)  # no other channel's figure
    finally:
        ok(api.put(TARGETS, user=manager, json={key: original[key] for key in (
            "channels", "categories", "calendar")}))
