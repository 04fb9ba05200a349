"""The period a statistics query covers: from `since` (included) to `until` (excluded), both
with their time zone, at most `MAX_PERIOD_DAYS` long — what the community-health figures of
identity, posts and moderation take, so that the three count over exactly the same span.

    period = load_input(PeriodArgs, {"since": "2026-11-01T00:00:00+01:00",
                                     "until": "2026-12-01T00:00:00+01:00"})
    collection.count_documents({"joined_ts": between(period)})
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validates_schema

MAX_PERIOD_DAYS = 400


class PeriodArgs(Schema):
    since = fields.AwareDateTime(required=True)
    until = fields.AwareDateTime(required=True)

    @validates_schema
    def _ordered(self, data, **kwargs):
        if "since" in data and "until" in data:
            check_period(data["since"], data["until"])


def check_period(since: datetime, until: datetime) -> None:
    """`ValidationError` on `until` unless it comes after `since`, at most MAX_PERIOD_DAYS on."""
    if until <= since:
        raise ValidationError("must be after since", "until")
    if (until - since).days > MAX_PERIOD_DAYS:
        raise ValidationError("a period of at most 400 days", "until")  # MAX_PERIOD_DAYS


def micros(moment: datetime) -> int:
    """The microsecond timestamps read models sort and filter by (`*_ts` fields)."""
    return int(moment.timestamp() * 1_000_000)


def between(period: dict[str, Any]) -> dict[str, int]:
    """The filter on a `*_ts` field for a loaded period."""
    return {"$gte": micros(period["since"]), "$lt": micros(period["until"])}


def days(period: dict[str, Any]) -> float:
    return (period["until"] - period["since"]).total_seconds() / 86400
