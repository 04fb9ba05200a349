"""Monitoring: scrape configuration, alert rules on the platform's metrics, Grafana dashboard."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from .conftest import K8S, REPO, SERVICES, pod_labels, selector_matches

pytestmark = pytest.mark.k8s

# The metrics every process exposes (the contract); histograms add _bucket/_sum/_count.
AGORA_METRICS = {
    "agora_events_appended_total",
    "agora_events_published_total",
    "agora_events_consumed_total",
    "agora_handler_duration_seconds",
    "agora_handler_batch_size",  # batch handlers: how much waited
    "agora_outbox_backlog",
    "agora_outbox_backlog_age_seconds",  # how old the backlog's last count is
    "agora_outbox_relay_failures_total",
    "agora_dead_letters",
    "agora_delivery_dead_letters",  # notifications' delivery outboxes
    "agora_http_requests_total",
    "agora_http_request_duration_seconds",
}
HISTOGRAMS = {"agora_handler_duration_seconds", "agora_handler_batch_size",
              "agora_http_request_duration_seconds"}
REQUIRED_ALERTS = {
    "AgoraGatewayHighErrorRate": "agora_http_requests_total",  # error rate
    "AgoraHandlerFailures": "agora_events_consumed_total",  # handler failures
    "AgoraDeadLetters": "agora_dead_letters",  # dead letters > 0
    "AgoraDeliveryDeadLetters": "agora_delivery_dead_letters",  # mails/pushes given up on
    "AgoraOutboxBacklogGrowing": "agora_outbox_backlog",  # outbox backlog growing
    "AgoraOutboxRelayFailing": "agora_outbox_relay_failures_total",  # relay down, no backlog
    "AgoraConsumerLag": "rabbitmq_detailed_queue_messages_ready",  # consumer lag
    "AgoraPodsNotReady": "kube_pod_status_ready",  # pods not ready
}
DASHBOARD = K8S / "components" / "monitoring" / "dashboards" / "agora-platform.json"
RUNBOOK = REPO / "docs" / "runbook.md"


def metric_names(expr: str) -> set[str]:
    return set(re.findall(r"\b((?:agora|rabbitmq|kube)_[a-z_]+)\b", expr))


def assert_known_metrics(expr: str):
    for name in metric_names(expr):
        if name.startswith("agora_"):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            assert name in AGORA_METRICS or base in HISTOGRAMS, f"unknown metric {name} in {expr}"


def rules(prod) -> list[dict]:
    (rule,) = prod.of_kind("PrometheusRule")
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def github_anchors(markdown: str) -> set[str]:
    anchors = set()
    for heading in re.findall(r"^#+\s+(.*)$", markdown, re.MULTILINE):
        anchor = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(anchor)
    return anchors


def test_service_monitor_scrapes_every_service(prod):
    (sm,) = prod.of_kind("ServiceMonitor")
    assert [(e["port"], e["path"]) for e in sm["spec"]["endpoints"]] == [("http", "/metrics")]
    for service in SERVICES:
        svc = prod.get("Service", f"agora-{service}")
        assert selector_matches(sm["spec"]["selector"], svc["metadata"]["labels"]), service


def test_pod_monitor_scrapes_rabbitmq_queue_depths(prod, dev):
    (pm,) = prod.of_kind("PodMonitor")
    paths = {e["path"]: e for e in pm["spec"]["podMetricsEndpoints"]}
    assert paths["/metrics/detailed"]["params"]["vhost"] == ["agora"]
    assert "queue_coarse_metrics" in paths["/metrics/detailed"]["params"]["family"]
    assert selector_matches(
        pm["spec"]["selector"], pod_labels(dev.get("StatefulSet", "agora-rabbitmq"))
    )


@pytest.mark.parametrize("alert", sorted(REQUIRED_ALERTS))
def test_required_alert(prod, alert):
    (rule,) = [r for r in rules(prod) if r.get("alert") == alert]
    assert REQUIRED_ALERTS[alert] in metric_names(rule["expr"])
    assert rule["labels"]["severity"] in {"warning", "critical"}
    assert rule["annotations"]["summary"] and rule["annotations"]["description"]
    assert re.fullmatch(r"\d+m", rule["for"])


def _queue_matchers(expr: str) -> list[tuple[str, re.Pattern]]:
    """The `queue` label matchers of a PromQL expression: (operator, anchored regex)."""
    return [(op, re.compile(value.replace("\\\\", "\\")))
            for op, value in re.findall(r'queue(=~|!~)"([^"]*)"', expr)]


def _selects(expr: str, queue: str) -> bool:
    return all(bool(regex.fullmatch(queue)) == (op == "=~") for op, regex in _queue_matchers(expr))


@pytest.mark.parametrize("alert", ["AgoraConsumerLag", "AgoraConsumerLagGrowing"])
def test_agoras_lag_alerts_leave_bank_systems_queues_out(prod, alert):
    """A bank system's queue (bank.*) backing up is its consumer's affair: the alerts that send
    Agora's on-call to Agora's pods do not fire for it."""
    (rule,) = [r for r in rules(prod) if r.get("alert") == alert]
    assert _queue_matchers(rule["expr"])
    assert _selects(rule["expr"], "evt-posts-posts.post_published--feeds.on_post_published")
    for queue in ("bank.crm.posts", "bank.erasure.identity", "feeds.dead-letters"):
        assert not _selects(rule["expr"], queue), queue


def test_bank_systems_queues_have_their_own_alert_for_their_owners(prod):
    (rule,) = [r for r in rules(prod) if r.get("alert") == "AgoraBankQueueBacklog"]
    assert _selects(rule["expr"], "bank.crm.posts")
    assert not _selects(rule["expr"], "evt-posts-posts.post_published--feeds.on_post_published")
    assert rule["labels"]["team"] == "bank-systems"  # routed to them, not Agora's on-call
    assert "{{ $labels.system }}" in rule["annotations"]["summary"]
    assert 'label_replace(' in rule["expr"] and '"system"' in rule["expr"]


def test_dead_letters_alert_fires_on_any(prod):
    (rule,) = [r for r in rules(prod) if r.get("alert") == "AgoraDeadLetters"]
    assert re.search(r"agora_dead_letters\)\s*>\s*0\s*$", rule["expr"].strip())


def test_alerts_use_known_metrics_and_link_the_runbook(prod):
    anchors = github_anchors(RUNBOOK.read_text())
    for rule in rules(prod):
        assert_known_metrics(rule["expr"])
        url = rule["annotations"]["runbook_url"]
        assert url.startswith("https://github.com/agora-community/agora/blob/main/docs/runbook.md#")
        assert url.split("#", 1)[1] in anchors, (
            f"{rule['alert']}: no section {url} in docs/runbook.md"
        )


def runbook_sections(markdown: str) -> dict[str, str]:
    """Each heading's anchor -> its text up to the next heading (fenced code is not a heading)."""
    sections: dict[str, str] = {}
    anchor, fenced = None, False
    for line in markdown.splitlines():
        fenced ^= line.startswith("```")
        heading = None if fenced else re.match(r"^#+\s+(.*)$", line)
        if heading:
            anchor = next(iter(github_anchors(line)))
            sections[anchor] = ""
        elif anchor is not None:
            sections[anchor] += line + "\n"
    return sections


def test_each_alert_is_named_in_the_section_it_links(prod):
    """An on-call who searches the runbook for the alert's name finds what to do."""
    sections = runbook_sections(RUNBOOK.read_text())
    for rule in rules(prod):
        anchor = rule["annotations"]["runbook_url"].split("#", 1)[1]
        if anchor != rule["alert"].lower():  # a section of its own is named by its heading
            assert rule["alert"] in sections.get(anchor, ""), (
                f"{rule['alert']} links #{anchor}, whose section does not name it")


def test_dashboard_covers_the_platform_metrics(prod):
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "agora-platform"
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert exprs
    used = set()
    for expr in exprs:
        assert_known_metrics(expr)
        used |= {re.sub(r"_(bucket|sum|count)$", "", m) for m in metric_names(expr)}
    assert used >= AGORA_METRICS, AGORA_METRICS - used
    # Shipped as a ConfigMap the Grafana sidecar picks up.
    cm = prod.get("ConfigMap", "agora-grafana-dashboard")
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(cm["data"]["agora-platform.json"]) == dashboard


def test_promql_is_valid(prod, tmp_path):
    """promtool parses every alert and dashboard query (`make tools` extracts it from Debian's
    `prometheus` package; PROMTOOL names it, else it is looked up on PATH)."""
    promtool = os.environ.get("PROMTOOL") or shutil.which("promtool")
    if not promtool or not os.access(promtool, os.X_OK):
        pytest.fail("promtool not found: run `make tools` (or set PROMTOOL)", pytrace=False)
    groups = [g for r in prod.of_kind("PrometheusRule") for g in r["spec"]["groups"]]
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [
        t["expr"]
        .replace("$__rate_interval", "5m")
        .replace("$namespace", ".*")
        .replace("$service", ".*")
        for p in dashboard["panels"]
        for t in p.get("targets", [])
    ]
    groups.append(
        {
            "name": "dashboard",
            "rules": [{"record": f"dashboard:query{i}", "expr": e} for i, e in enumerate(exprs)],
        }
    )
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
