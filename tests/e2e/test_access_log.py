"""What an SRE finds in the logs about one request: the gateway's access line (request id as
`correlation_id`, method, route, status, duration) for every answer, the cause of a 5xx beside it,
the same id in the services' lines, the runbook's grep finding the failures — and never a
credential of the query string."""
from __future__ import annotations

import json
import re
import signal
import uuid
from pathlib import Path

import requests

from ..conftest import wait_for
from .clients import gateway_replica
from .steps import ok, problem

RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "runbook.md"


def lines_of(log_path: Path, request_id: str) -> list[dict]:
    return [json.loads(line) for line in log_path.read_text(errors="replace").splitlines()
            if request_id in line and line.startswith("{")]


def access_line(log_path: Path, request_id: str) -> dict:
    def found():
        return [line for line in lines_of(log_path, request_id)
                if line["logger"] == "agora.access"]
    [line] = wait_for(found, timeout=10, message=f"access line of {request_id}")
    assert line["correlation_id"] == request_id
    assert line["duration_ms"] >= 0 and line["client"]
    return line


def test_every_answer_has_an_access_line_and_its_id_reaches_the_services(platform, api):
    gateway_log = platform.processes["gateway"].log_path
    author = api.new_user()
    created = f"acc-{uuid.uuid4().hex}"
    ok(api.post("/api/v1/posts", user=author, headers={"X-Request-ID": created}, json={
        "kind": "question", "title": "Frais de tenue de compte", "body": "Combien ?",
        "category": "cards"}), 201)
    line = access_line(gateway_log, created)
    assert (line["method"], line["route"], line["status"]) == ("POST", "/api/v1/posts", 201)
    assert line["path"] == "/api/v1/posts"

    missing = f"acc-{uuid.uuid4().hex}"
    nowhere = f"p{uuid.uuid4().hex[:20]}"  # a post id of the right shape: the service says 404
    body = problem(api.get(f"/api/v1/posts/{nowhere}", headers={"X-Request-ID": missing}), 404)
    assert body["request_id"] == missing
    line = access_line(gateway_log, missing)
    assert (line["route"], line["status"]) == ("/api/v1/posts/{id}", 404)
    # the id travelled with the RPC: the posts service's line about the refusal carries it
    posts_lines = wait_for(lambda: lines_of(platform.processes["posts"].log_path, missing),
                           timeout=10, message="the posts service's line")
    assert {line["correlation_id"] for line in posts_lines} == {missing}


def test_credentials_in_the_query_string_are_in_no_log_line(platform, api):
    secret = f"eyJzZWNyZXQi{uuid.uuid4().hex}.c2lnbmF0dXJl"
    for method in ("GET", "POST"):
        request_id = f"acc-{uuid.uuid4().hex}"
        problem(api.request(method, "/api/v1/unsubscribe", params={"token": secret},
                            headers={"X-Request-ID": request_id}), 400)
        line = access_line(platform.processes["gateway"].log_path, request_id)
        assert line["path"] == "/api/v1/unsubscribe?token=[redacted]"
        assert secret not in line["message"]
    for log in platform.log_dir.glob("*.log"):
        assert secret not in log.read_text(errors="replace"), log.name


def test_a_timeout_is_logged_with_the_rpc_that_did_not_answer_and_the_runbook_finds_it(
        platform):
    """As an SRE saw it: a frozen service, a 504 whose request id must lead to the cause."""
    with gateway_replica(platform, "gateway-timeout", GATEWAY_RPC_TIMEOUT_SECONDS="1") as replica:
        posts = platform.processes["posts"].popen
        request_id = f"acc-{uuid.uuid4().hex}"
        posts.send_signal(signal.SIGSTOP)
        try:
            response = requests.get(f"{replica.url}/api/v1/posts", params={"limit": 1},
                                    headers={"X-Request-ID": request_id}, timeout=30)
        finally:
            posts.send_signal(signal.SIGCONT)
        assert problem(response, 504)["request_id"] == request_id
        line = access_line(replica.log_path, request_id)
        assert (line["method"], line["route"], line["status"]) == ("GET", "/api/v1/posts", 504)
        [cause] = [line for line in lines_of(replica.log_path, request_id)
                   if line["level"] == "error"]
        assert "posts.list_posts did not answer within 1 s" in cause["message"], cause
        assert cause["correlation_id"] == request_id
        # the runbook's greps for AgoraGatewayHighErrorRate find the request, then its cause
        section = RUNBOOK.read_text().split("### AgoraGatewayHighErrorRate")[1].split("###")[0]
        failures, causes = re.findall(r"grep '([^']+)'", section)
        log = replica.log_path.read_text().splitlines()
        assert [json.loads(text) for text in log if failures in text
                and request_id in text] == [line], failures
        assert [json.loads(text) for text in log if causes in text
                and request_id in text] == [cause], causes
