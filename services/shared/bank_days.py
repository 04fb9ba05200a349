"""The bank's calendar day. An absence's `until` (the day the advisor is back) is a day in the
bank's time zone — the one of the SLA's default calendar (services/moderation/sla.py
`DEFAULT_CALENDAR`) — not a UTC day: in Paris the return day starts at 00:00, not at 01:00 or
02:00, and just after local midnight « today » is already the new day.

>>> from datetime import UTC, datetime
>>> bank_today(datetime(2026, 12, 7, 23, 30, tzinfo=UTC)).isoformat()   # 00:30 in Paris
'2026-12-08'
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BANK_TIME_ZONE = ZoneInfo("Europe/Paris")


def bank_today(now: datetime) -> date:
    """The day it is at the bank at `now` (an aware datetime)."""
    return now.astimezone(BANK_TIME_ZONE).date()
