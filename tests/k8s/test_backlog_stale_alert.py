"""AgoraOutboxBacklogStale: a backlog nobody could count for minutes says so (`promtool test
rules`, as test_alert_rules.py). The count runs every 10 s in the background; its age grows
while MongoDB is unreachable from the pod, and the backlog alerts read an old number."""

from __future__ import annotations

import pytest

from .test_alert_rules import _assert_passes, promtool_test

pytestmark = pytest.mark.k8s

STALE = {"alertname": "AgoraOutboxBacklogStale", "service": "posts", "severity": "warning"}


def says(age: str) -> dict:
    """What the alert says (promtool compares the annotations too) when the count is `age` old."""
    return {
        "summary": f"The outbox backlog of posts has not been counted for {age}.",
        "description": "A pod of posts cannot count its unpublished commits (MongoDB unreachable "
                       "from it?): agora_outbox_backlog shows an old count, and the backlog "
                       "alerts cannot be trusted for this service.",
        "runbook_url": "https://github.com/agora-community/agora/blob/main/docs/runbook.md"
                       "#agoraoutboxbackloggrowing",
    }


def _case(ages: str, expected: list[tuple[str, str | None]]) -> dict:
    return {
        "interval": "1m",
        "input_series": [{"series": 'agora_outbox_backlog_age_seconds{service="posts",'
                                    'pod="agora-posts-1"}', "values": ages}],
        "alert_rule_test": [
            {"eval_time": at, "alertname": "AgoraOutboxBacklogStale",
             "exp_alerts": [{"exp_labels": STALE, "exp_annotations": says(age)}] if age else []}
            for at, age in expected
        ],
    }


def test_a_backlog_not_counted_for_minutes_raises_an_alert(prod, tmp_path):
    # counted every 10 s (ages under 10), then MongoDB away from minute 5: +60 s a minute
    _assert_passes(promtool_test(prod, tmp_path, [
        _case("5 3 8 4 6 65+60x20", [("6m", None), ("9m", None), ("14m", "10m 5s")])]))


def test_a_backlog_counted_again_stops_the_alert(prod, tmp_path):
    _assert_passes(promtool_test(prod, tmp_path, [
        _case("65+60x12 5 3 8 4 6", [("12m", "13m 5s"), ("15m", None)])]))
