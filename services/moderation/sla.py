"""Response-time targets and clocks: pure rules, no I/O.

A *clock* measures how long a member waits for bank staff: a published question until its first
official answer (channel ``site``), a private conversation (``private``) or a social-media case
(``social``) from the member's message until the next staff message. Its *target* comes from
the CM-edited targets: per channel, and for site questions per category (a category target
overrides the site channel's). A target counts either every second (``business_hours: false``)
or only the bank's opening hours (``business_hours: true``), read from one *calendar*: a time
zone, opening hours per weekday (a day absent is closed) and closed dates (holidays).

>>> cal = Calendar.from_dict(DEFAULT_CALENDAR)
>>> friday_5pm = datetime(2026, 12, 4, 16, 0, tzinfo=timezone.utc)   # 17:00 in Paris
>>> deadline(friday_5pm, 2 * 3600, cal).isoformat()                  # Monday 10:00 in Paris
'2026-12-07T09:00:00+00:00'
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

CHANNELS = ("site", "social", "private")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_CALENDAR: dict[str, Any] = {
    "timezone": "Europe/Paris",
    "week": {day: {"open": "09:00", "close": "18:00"} for day in WEEKDAYS[:5]},
    "holidays": [],
}
SEARCH_DAYS = 400  # a calendar open less than one day a year never reaches a deadline


def default_targets(channel_seconds: dict[str, int]) -> dict[str, Any]:
    """The targets before any CM edited them: the configured seconds, counted continuously."""
    return {"channels": {channel: {"target_seconds": int(seconds), "business_hours": False}
                         for channel, seconds in channel_seconds.items()},
            "categories": {}, "calendar": DEFAULT_CALENDAR}


def change_targets(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any] | None:
    """The new targets (the sections given replace the current ones; channels one by one), or
    None when nothing changes (an idempotent PUT appends nothing)."""
    updated = {"channels": {**current["channels"], **changes.get("channels", {})},
               "categories": changes.get("categories", current["categories"]),
               "calendar": changes.get("calendar", current["calendar"])}
    return None if updated == current else updated


@dataclass(frozen=True)
class Target:
    seconds: int
    business_hours: bool


def target_for(targets: dict[str, Any], channel: str, category: str | None) -> Target:
    chosen = targets["channels"].get(channel) or targets["channels"]["site"]
    if channel == "site" and category and category in targets["categories"]:
        override = targets["categories"][category]
        business = override.get("business_hours")
        return Target(int(override["target_seconds"]),
                      chosen["business_hours"] if business is None else bool(business))
    return Target(int(chosen["target_seconds"]), bool(chosen["business_hours"]))


def shortest_target(targets: dict[str, Any], channel: str) -> int:
    """The shortest target a clock of `channel` can have (site: its categories' too)."""
    seconds = [int((targets["channels"].get(channel) or targets["channels"]["site"])[
        "target_seconds"])]
    if channel == "site":
        seconds += [int(value["target_seconds"]) for value in targets["categories"].values()]
    return min(seconds)


def member_reply_target(targets: dict[str, Any]) -> dict[str, Any]:
    """What a member is told of when the bank usually answers a private conversation: the
    ``private`` channel's target and nothing else (configuration, not data: no clock, no other
    channel, no calendar). ``working_days``: for a target counted in opening hours that is a
    whole number of the calendar's opening days (all of one length), that number — « 1 jour
    ouvré » says it better than « 9 h (heures ouvrées) »; else None."""
    target = target_for(targets, "private", None)
    days = None
    if target.business_hours:
        lengths = {_seconds_of(close) - _seconds_of(opening)
                   for opening, close in Calendar.from_dict(targets["calendar"]).week.values()}
        if len(lengths) == 1 and (length := lengths.pop()) > 0 and target.seconds % length == 0:
            days = target.seconds // length
    return {"target_seconds": target.seconds, "business_hours": target.business_hours,
            "working_days": days}


def _seconds_of(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60


# --- the calendar -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Calendar:
    zone: ZoneInfo
    week: dict[int, tuple[time, time]]  # weekday (0 = Monday) -> opening, closing
    holidays: frozenset[date]

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Calendar:
        week = {WEEKDAYS.index(day): (_clock(hours["open"]), _clock(hours["close"]))
                for day, hours in (raw.get("week") or {}).items()}
        holidays = frozenset(date.fromisoformat(str(day)) for day in raw.get("holidays") or [])
        return cls(ZoneInfo(raw.get("timezone") or "UTC"), week, holidays)

    def opening(self, day: date) -> tuple[datetime, datetime] | None:
        """That local day's opening hours as UTC instants, or None when closed."""
        hours = self.week.get(day.weekday())
        if hours is None or day in self.holidays:
            return None
        start, end = (datetime.combine(day, moment, tzinfo=self.zone).astimezone(UTC)
                      for moment in hours)
        return (start, end) if end > start else None


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in str(text).split(":"))
    return time(hours, minutes)


def _windows(start: datetime, calendar: Calendar):
    """Opening windows (UTC) from `start`'s local day on, clipped to start at `start`."""
    day = start.astimezone(calendar.zone).date()
    for offset in range(SEARCH_DAYS):
        window = calendar.opening(day + timedelta(days=offset))
        if window is None or window[1] <= start:
            continue
        yield max(window[0], start), window[1]


def elapsed(start: datetime, end: datetime, calendar: Calendar | None) -> float:
    """Seconds of waiting counted between two instants (opening hours only with a calendar)."""
    if end <= start:
        return 0.0
    if calendar is None:
        return (end - start).total_seconds()
    counted = 0.0
    for opens, closes in _windows(start, calendar):
        if opens >= end:
            break
        counted += (min(closes, end) - opens).total_seconds()
    return counted


def deadline(start: datetime, seconds: float, calendar: Calendar | None) -> datetime | None:
    """When a clock started at `start` reaches `seconds` (None: never, a calendar never open)."""
    if calendar is None:
        return start + timedelta(seconds=seconds)
    left = float(seconds)
    for opens, closes in _windows(start, calendar):
        span = (closes - opens).total_seconds()
        if left <= span:
            return opens + timedelta(seconds=left)
        left -= span
    return None


@dataclass(frozen=True)
class ClockReading:
    target_seconds: int
    business_hours: bool
    waited_seconds: float  # counted the way the target counts
    due_at: datetime | None
    breached: bool


def read_clock(targets: dict[str, Any], channel: str, category: str | None,
               started: datetime, until: datetime) -> ClockReading:
    """A clock's state at `until` (now, or its answer) against its current target."""
    target = target_for(targets, channel, category)
    calendar = Calendar.from_dict(targets["calendar"]) if target.business_hours else None
    due = deadline(started, target.seconds, calendar)
    return ClockReading(target.seconds, target.business_hours,
                        round(elapsed(started, until, calendar), 1), due,
                        due is not None and until >= due)


STATISTICS_WINDOWS_DAYS = (7, 30)


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (`share` in (0, 1]): a value that really occurred, so "p90 =
    5 h" means one member in ten waited 5 h or more — no interpolation between two waits.

    >>> percentile([60, 10, 30, 20, 50, 40, 70, 80, 90, 100], .5), percentile([7], .9)
    (50, 7)
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))  # ceil(n × share), at least the first
    return ordered[min(int(rank), len(ordered)) - 1]


def answer_times(waits: list[tuple[float, float]], now: float) -> list[dict[str, Any]]:
    """Per window (7 and 30 days): how many clocks were answered within it and the p50 / p90 of
    their waits. `waits`: (when staff first answered, epoch seconds; the wait, seconds)."""
    return [window_figures(days, [wait for answered, wait in waits
                                  if answered >= now - days * 86400])
            for days in STATISTICS_WINDOWS_DAYS]


def window_figures(days: float, waits: list[float]) -> dict[str, Any]:
    """How many waits, their p50 and p90, for a window of `days`."""
    return {"days": days, "answered": len(waits), "p50_seconds": percentile(waits, .5),
            "p90_seconds": percentile(waits, .9)}


def from_micros(ts: int | float) -> datetime:
    return datetime.fromtimestamp(ts / 1e6, tz=UTC)


def read_clock_of(targets: dict[str, Any], clock: dict[str, Any], until: datetime
                  ) -> ClockReading:
    """`read_clock` for a clock of the `sla` read model (published at `published_ts`)."""
    return read_clock(targets, clock.get("channel", "site"), clock.get("category"),
                      from_micros(clock["published_ts"]), until)


@dataclass(frozen=True)
class FlagsDeadline:
    target_seconds: int
    due_at: datetime
    overdue: bool


def flags_deadline(held_ts: int | float, flags_target_hours: int | None, now: float
                   ) -> FlagsDeadline:
    """The flags queue's own target (the policy's `flags_target_hours`, counted every second
    from when the contribution was held): due then, overdue strictly after.

    >>> flags_deadline(0, 2, 7200.0).overdue, flags_deadline(0, 2, 7200.5).overdue
    (False, True)
    """
    target = int(flags_target_hours) * 3600
    due = held_ts / 1e6 + target
    return FlagsDeadline(target, datetime.fromtimestamp(due, UTC), now > due)


def breach_alert(clock: dict[str, Any], conversation: dict[str, Any] | None,
                 reading: ClockReading) -> dict[str, Any]:
    """The payload of `moderation.sla_breached` for a clock waiting beyond its target: a
    question's clock names its post, a conversation's its conversation and staff."""
    return {
        "clock_id": clock["_id"], "channel": clock.get("channel", "site"),
        "post_id": None if conversation else clock["_id"],
        "conversation_id": clock.get("conversation_id"), "author_id": clock["author_id"],
        "staff_ids": sorted((conversation or {}).get("staff_ids") or []),
        "category": clock.get("category"), "published_at": clock["published_at"],
        "target_seconds": reading.target_seconds, "business_hours": reading.business_hours}
