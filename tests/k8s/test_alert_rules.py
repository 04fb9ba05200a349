"""The alerts behave as the runbook says, on synthetic series (`promtool test rules`).

The rules are the prod overlay's rendered PrometheusRule; promtool evaluates them over the
series each case feeds and compares the alerts that fire at given times (PROMTOOL, as in
test_monitoring.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

pytestmark = pytest.mark.k8s

RELAY_FAILING = {"alertname": "AgoraOutboxRelayFailing", "service": "posts",
                 "severity": "critical"}
# promtool compares the annotations too: those of a relay failing 12 times a minute
RELAY_FAILING_SAYS = {
    "summary": "The outbox relay of posts has been failing for 10 minutes.",
    "description": "60 relay passes of posts failed over the last 5 minutes: what it commits is "
                   "not published (RabbitMQ unreachable or refusing, MongoDB unreachable), and "
                   "other services do not see it.",
    "runbook_url": "https://github.com/agora-community/agora/blob/main/docs/runbook.md"
                   "#agoraoutboxrelayfailing",
}


def promtool_test(prod, tmp_path, tests: list[dict]) -> subprocess.CompletedProcess:
    promtool = os.environ.get("PROMTOOL") or shutil.which("promtool")
    if not promtool or not os.access(promtool, os.X_OK):
        pytest.fail("promtool not found: run `make tools` (or set PROMTOOL)", pytrace=False)
    groups = [g for r in prod.of_kind("PrometheusRule") for g in r["spec"]["groups"]]
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": groups}))
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump({
        "rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests}))
    return subprocess.run([promtool, "test", "rules", "tests.yaml"], cwd=tmp_path,
                          capture_output=True, text=True, check=False)


def _relay_case(failures: str, expected: list[tuple[str, bool]]) -> dict:
    return {
        "interval": "1m",
        "input_series": [{"series": 'agora_outbox_relay_failures_total{service="posts",'
                                    'pod="agora-posts-1"}', "values": failures}],
        "alert_rule_test": [
            {"eval_time": at, "alertname": "AgoraOutboxRelayFailing",
             "exp_alerts": [{"exp_labels": RELAY_FAILING, "exp_annotations": RELAY_FAILING_SAYS}]
             if fires else []}
            for at, fires in expected
        ],
    }


def _assert_passes(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_relay_that_keeps_failing_raises_an_alert(prod, tmp_path):
    """Broker gone or refusing on a quiet platform: no commit, so no backlog to alert on — only
    failed passes (one every 5 s at most, 12 a minute)."""
    _assert_passes(promtool_test(prod, tmp_path, [
        _relay_case("0+12x30", [("5m", False), ("15m", True), ("30m", True)])]))


def test_one_failed_pass_does_not_page(prod, tmp_path):
    """A broker restart fails a pass or two, then the relay resumes: no alert."""
    _assert_passes(promtool_test(prod, tmp_path, [
        _relay_case("0 0 3x30", [("5m", False), ("12m", False), ("20m", False)])]))


def test_a_relay_that_recovers_stops_the_alert(prod, tmp_path):
    _assert_passes(promtool_test(prod, tmp_path, [
        _relay_case("0+12x20 240x20", [("15m", True), ("30m", False)])]))
