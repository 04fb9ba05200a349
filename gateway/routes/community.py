"""Community health (CMs and admins): members, new members, contributions, ideas by status, the
questions' answer rate, time to first staff answer and the top contributors over one period —
one figure set gathered from identity, posts and moderation, each counting the same period.

`community_health()` is what the route answers and what the console's health screen draws.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from nameko.rpc import RpcProxy

from services.shared.periods import check_period

from ..calls import Call
from ..http import route
from ..web.page import gather
from .moderation import CM, ChannelAnswerTimes

HEALTH_DAYS = (7, 30, 90)


class CommunityHealthQuery(Schema):
    days = fields.Integer(load_default=30, validate=validate.OneOf(HEALTH_DAYS), metadata={
        "description": "the last 7, 30 or 90 days, up to now (without from and to)"})
    since = fields.AwareDateTime(data_key="from", metadata={
        "description": "with to: the period's start (ISO 8601 with its offset), included"})
    until = fields.AwareDateTime(data_key="to", metadata={
        "description": "with from: the period's end, excluded (at most 400 days after from)"})

    @validates_schema
    def _a_whole_period(self, data, **kwargs):
        if ("since" in data) != ("until" in data):
            raise ValidationError("give from and to together", "to")
        if "since" in data:
            check_period(data["since"], data["until"])


def health_period(query: dict[str, Any], now: datetime | None = None) -> dict[str, str]:
    """The loaded query's period as the services take it (ISO strings)."""
    if query.get("since"):
        since, until = query["since"], query["until"]
    else:
        until = now or datetime.now(UTC)
        since = until - timedelta(days=query.get("days") or 30)
    return {"since": since.isoformat(), "until": until.isoformat()}


def community_health(gateway: Any, actor: dict[str, Any], period: dict[str, str]
                     ) -> dict[str, Any]:
    """The three services' figures for `period`, asked together; the top contributors named.
    `gateway`: the GatewayService (its identity, posts and moderation proxies)."""
    found = gather(
        members=gateway.identity.community_statistics.call_async(actor, period),
        contributions=gateway.posts.community_statistics.call_async(actor, period),
        response_times=gateway.moderation.sla_statistics.call_async(actor, period))
    contributions = found["contributions"]
    top = contributions.pop("top_contributors")
    named = {user["id"]: user for user in gateway.identity.get_users(
        [entry["member_id"] for entry in top])["items"]} if top else {}
    return {**period, **found["members"], **contributions,
            "top_contributors": [{**entry, "display_name": (named.get(entry["member_id"]) or {})
                                  .get("display_name") or ""} for entry in top],
            "response_times": found["response_times"]["by_channel"]}


class TopContributor(Schema):
    member_id = fields.String(required=True)
    display_name = fields.String()
    contributions = fields.Integer(metadata={"description": "posts and replies published"})


class CommunityHealth(Schema):
    since = fields.String(data_key="from", metadata={"description": "the period's start"})
    until = fields.String(data_key="to", metadata={"description": "its end, excluded"})
    members = fields.Integer(metadata={"description": "members at the period's end (erased "
                                       "accounts left out)"})
    new_members = fields.Integer(metadata={"description": "who joined within the period"})
    contributions = fields.Integer(metadata={"description": "posts and replies published "
                                             "within the period and still visible"})
    replies = fields.Integer()
    posts_by_kind = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "question, idea, discussion, article"})
    ideas_by_status = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "the ideas published within the period, by their status now"})
    questions = fields.Integer()
    answered_questions = fields.Integer(metadata={"description": "questions of the period "
                                                  "with at least one reply"})
    answer_rate = fields.Float(allow_none=True, metadata={
        "description": "answered_questions / questions (null: no question)"})
    top_contributors = fields.List(fields.Nested(TopContributor), metadata={
        "description": "the 5 members who published most within the period"})
    response_times = fields.Dict(keys=fields.String(), values=fields.Nested(ChannelAnswerTimes),
                                 metadata={"description": "per channel (site, social, "
                                           "private): p50/p90 time to first staff answer of "
                                           "the clocks first answered within the period (one "
                                           "window)"})


class CommunityRoutes:
    identity = RpcProxy("identity")
    posts = RpcProxy("posts")
    moderation = RpcProxy("moderation")

    @route("GET", "/api/v1/community/health", auth=CM, query=CommunityHealthQuery,
           response=CommunityHealth, tags=["moderation"])
    def get_community_health(self, call: Call):
        """Community health over a period (CM): members, contributions, ideas, answers

        The last `days` (7, 30 or 90, by default 30), or `from` … `to`. Contributions count
        what was published within the period and is still visible; ideas count by their
        status now; response times are those of the first staff answers given within it.
        """
        return community_health(self, call.actor, health_period(call.query))
