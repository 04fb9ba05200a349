"""Community health (`/console/health`, CMs and admins): one period's members, contributions,
ideas, answer rate, response times and top contributors, as charts a CM can show their manager.

The figures are those of `GET /api/v1/community/health` (`community_health()`, the same RPCs with
the same actor); the charts are drawn by the server as SVG with the console's one bar-chart
layout (`bar_chart`, shared with the response-time board), each repeated as a table. A period
is the last 7, 30 or 90 days, or from one day to another (both included, in the bank's time
zone).
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from nameko.rpc import RpcProxy

from gateway.routes.community import HEALTH_DAYS, community_health, health_period
from services.posts.schemas import IDEA_STATUSES, KINDS
from services.shared.periods import MAX_PERIOD_DAYS

from .. import i18n
from ..page import PageCall, page
from .console import duration, require_console
from .console_oversight import answer_time_chart, bar_chart

NAME_IN_CHART = 28  # characters of a member's name beside a bar (the table has it whole)


class HealthScreenQuery(Schema):
    days = fields.Integer(validate=validate.OneOf(HEALTH_DAYS))
    since = fields.Date(data_key="from")
    until = fields.Date(data_key="to")

    @validates_schema
    def _a_whole_period(self, data, **kwargs):
        if ("since" in data) != ("until" in data):
            raise ValidationError("give from and to together", "to")
        if "since" in data and not 0 <= (data["until"] - data["since"]).days < MAX_PERIOD_DAYS:
            raise ValidationError("a period of at most 400 days", "to")  # MAX_PERIOD_DAYS


def day_period(first: Any, last: Any) -> dict[str, Any]:
    """From the first day's midnight to the midnight after the last, in the bank's time zone."""
    zone = i18n.DISPLAY_ZONE
    return {"since": datetime.combine(first, time(), zone),
            "until": datetime.combine(last + timedelta(days=1), time(), zone)}


def health_href(days: int) -> str:
    return "/console/health?" + urlencode({"days": days})


class ConsoleHealthPages:
    identity = RpcProxy("identity")
    posts = RpcProxy("posts")
    moderation = RpcProxy("moderation")

    @page("GET", "/console/health", query=HealthScreenQuery)
    def console_health_page(self, call: PageCall):
        require_console(call)
        query = call.query
        if query.get("since"):
            period = health_period(day_period(query["since"], query["until"]))
        else:
            period = health_period({"days": query.get("days") or 30})
        figures = community_health(self, call.actor, period)
        kinds = [(call.t(f"console_health.kind_{kind}"), figures["posts_by_kind"][kind])
                 for kind in KINDS] + [(call.t("console_health.replies"), figures["replies"])]
        statuses = [(call.t(f"console_health.status_{status}"),
                     figures["ideas_by_status"].get(status, 0)) for status in IDEA_STATUSES]
        people = [(entry["display_name"] or call.t("common.member"), entry["contributions"])
                  for entry in figures["top_contributors"]]
        return call.render(
            "console/health.html", title=call.t("console_health.title"), noindex=True,
            section="console", console_tab="health", figures=figures,
            days=None if query.get("since") else (query.get("days") or 30),
            chosen_from=query.get("since"), chosen_to=query.get("until"),
            last_day=(datetime.fromisoformat(period["until"]) - timedelta(seconds=1)),
            choices=[(days, health_href(days)) for days in HEALTH_DAYS],
            kinds=kinds, statuses=statuses, people=people,
            kinds_chart=self._count_chart(call.t("console_health.kinds_chart"), kinds),
            statuses_chart=self._count_chart(call.t("console_health.ideas_chart"), statuses),
            people_chart=self._count_chart(call.t("console_health.top_chart"), [
                (name if len(name) <= NAME_IN_CHART else name[:NAME_IN_CHART - 1] + "…", count)
                for name, count in people]),
            times_chart=answer_time_chart({"by_channel": figures["response_times"]}),
            duration=lambda seconds: duration(call, seconds))

    @staticmethod
    def _count_chart(title: str, counts: list[tuple[str, int]]) -> dict[str, Any]:
        return bar_chart([{"title": title, "marker": None, "bars": [
            {"label": label, "value": value} for label, value in counts]}])
