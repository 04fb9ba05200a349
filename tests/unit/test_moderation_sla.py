"""Response-time targets and clocks (services/moderation/sla.py): targets per channel and
category, the business-hours calendar (time zone, weekly hours, holidays, DST), breaches."""
from datetime import UTC, datetime, timedelta

import pytest

from services.moderation import sla
from services.moderation.schemas import SlaTargetsUpdateSchema

pytestmark = pytest.mark.unit

UTC = UTC
PARIS = sla.Calendar.from_dict(sla.DEFAULT_CALENDAR)  # Mon-Fri 09:00-18:00 Europe/Paris
TARGETS = {**sla.default_targets({"site": 43200, "social": 7200, "private": 28800}),
           "categories": {"cards": {"target_seconds": 3600, "business_hours": True}}}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_targets_per_channel_and_a_category_override_for_site_questions():
    assert sla.target_for(TARGETS, "site", "savings") == sla.Target(43200, False)
    assert sla.target_for(TARGETS, "site", "cards") == sla.Target(3600, True)
    assert sla.target_for(TARGETS, "social", "cards") == sla.Target(7200, False)
    assert sla.target_for(TARGETS, "private", None) == sla.Target(28800, False)


def test_business_hours_count_only_opening_hours_across_nights_weekends_and_holidays():
    friday_5pm = at("2026-12-04T17:00:00+01:00")
    assert sla.deadline(friday_5pm, 2 * 3600, PARIS) == at("2026-12-07T10:00:00+01:00")
    assert sla.elapsed(friday_5pm, at("2026-12-07T10:00:00+01:00"), PARIS) == 7200
    saturday = at("2026-12-05T11:00:00+01:00")  # closed: the clock starts Monday 09:00
    assert sla.deadline(saturday, 60, PARIS) == at("2026-12-07T09:01:00+01:00")
    christmas = sla.Calendar.from_dict({**sla.DEFAULT_CALENDAR, "holidays": ["2026-12-25"]})
    thursday_eve = at("2026-12-24T17:30:00+01:00")
    assert sla.deadline(thursday_eve, 3600, christmas) == at("2026-12-28T09:30:00+01:00")


def test_daylight_saving_time_keeps_local_opening_hours():
    # Paris goes to summer time on Sunday 29 March 2026: 09:00 local is 07:00 UTC on Monday
    friday = at("2026-03-27T17:00:00+01:00")
    assert sla.deadline(friday, 2 * 3600, PARIS) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_a_continuous_target_counts_every_second():
    start = at("2026-12-05T11:00:00+01:00")
    assert sla.deadline(start, 90, None) == start + timedelta(seconds=90)
    reading = sla.read_clock(TARGETS, "private", None, start, start + timedelta(hours=9))
    assert reading.breached and reading.waited_seconds == 9 * 3600


def test_a_calendar_that_never_opens_never_breaches():
    closed = {**TARGETS, "calendar": {"timezone": "UTC", "week": {"mon": {
        "open": "09:00", "close": "10:00"}}, "holidays": []},
        "channels": {**TARGETS["channels"], "social": {"target_seconds": 10 ** 7,
                                                        "business_hours": True}}}
    reading = sla.read_clock(closed, "social", None, at("2026-12-07T09:00:00+00:00"),
                             at("2026-12-08T09:00:00+00:00"))
    assert reading.due_at is None and not reading.breached


def test_changing_targets_replaces_the_sections_given_and_is_idempotent():
    changed = sla.change_targets(TARGETS, {"channels": {"social": {
        "target_seconds": 600, "business_hours": False}}})
    assert changed["channels"]["social"]["target_seconds"] == 600
    assert changed["channels"]["site"] == TARGETS["channels"]["site"]
    assert changed["categories"] == TARGETS["categories"]
    assert sla.change_targets(changed, {"channels": {"social": {
        "target_seconds": 600, "business_hours": False}}}) is None


def test_targets_input_is_validated_field_by_field():
    with pytest.raises(Exception) as error:
        SlaTargetsUpdateSchema().load({
            "channels": {"phone": {"target_seconds": 60}, "site": {"target_seconds": 0}},
            "calendar": {"timezone": "Mars/Olympus", "week": {"mon": {
                "open": "18:00", "close": "09:00"}}, "holidays": ["2026-02-30"]}})
    messages = error.value.messages
    assert set(messages["channels"]) == {"phone", "site"}
    assert set(messages["calendar"]) == {"timezone", "week", "holidays"}


# -- answer-time statistics: nearest-rank percentiles per window ------------------------------

def test_percentiles_are_waits_that_really_occurred():
    waits = [60, 10, 30, 20, 50, 40, 70, 80, 90, 100]
    assert sla.percentile(waits, .5) == 50 and sla.percentile(waits, .9) == 90
    assert sla.percentile([7], .5) == 7 and sla.percentile([7], .9) == 7
    assert sla.percentile([5, 500], .5) == 5 and sla.percentile([5, 500], .9) == 500
    assert sla.percentile([], .5) is None


def test_answer_times_count_each_window_from_the_answer():
    now = at("2026-12-01T12:00:00+00:00").timestamp()
    day = 86400
    waits = [(now - 1 * day, 600), (now - 6 * day, 60), (now - 8 * day, 6000),
             (now - 29 * day, 3600), (now - 31 * day, 9)]  # the last: outside both windows
    week, month = sla.answer_times(waits, now)
    assert week == {"days": 7, "answered": 2, "p50_seconds": 60, "p90_seconds": 600}
    assert month == {"days": 30, "answered": 4, "p50_seconds": 600, "p90_seconds": 6000}
    empty = sla.answer_times([], now)
    assert [w["answered"] for w in empty] == [0, 0] and empty[0]["p50_seconds"] is None


def test_the_flags_queue_is_due_its_policy_hours_after_the_hold_and_overdue_only_after():
    held = at("2026-12-04T10:00:00+00:00")
    held_ts = held.timestamp() * 1_000_000
    due = held + timedelta(hours=24)
    on_time = sla.flags_deadline(held_ts, 24, due.timestamp())
    assert on_time == sla.FlagsDeadline(24 * 3600, due, False)
    assert sla.flags_deadline(held_ts, 24, due.timestamp() + 1).overdue
    assert sla.flags_deadline(held_ts, 2, held.timestamp() + 2 * 3600 + 1).overdue


def test_a_breach_alert_names_the_post_of_a_question_and_the_staff_of_a_conversation():
    reading = sla.read_clock_of(TARGETS, {"published_ts": at(
        "2026-12-04T10:00:00+00:00").timestamp() * 1e6, "category": "cards"},
        at("2026-12-07T10:00:00+00:00"))
    assert reading.breached and reading.target_seconds == 3600 and reading.business_hours
    question = {"_id": "p1", "author_id": "alice", "category": "cards",
                "published_at": "2026-12-04T10:00:00+00:00"}
    assert sla.breach_alert(question, None, reading) == {
        "clock_id": "p1", "channel": "site", "post_id": "p1", "conversation_id": None,
        "author_id": "alice", "staff_ids": [], "category": "cards",
        "published_at": "2026-12-04T10:00:00+00:00", "target_seconds": 3600,
        "business_hours": True}
    clock = {**question, "_id": "c1.3", "channel": "private", "conversation_id": "c1"}
    alert = sla.breach_alert(clock, {"staff_ids": ["zoe", "bob"]}, reading)
    assert (alert["post_id"], alert["conversation_id"], alert["staff_ids"]) == (
        None, "c1", ["bob", "zoe"])
