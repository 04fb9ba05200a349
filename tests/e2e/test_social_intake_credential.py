"""The social-listening intake as a bank system tries it locally: with the demo bank-system
credential `make up` makes and prints (dev/platform.sh demo-credential), exactly as the README's
curl example sends it; without a key, the 401 says which header is missing."""
from __future__ import annotations

import re
import uuid

from ..conftest import ROOT
from .steps import ok, problem

URL = "/api/v1/channels/social/mentions"


def test_the_demo_credential_opens_a_case_and_a_missing_key_is_named(platform, api):
    key = platform.demo_service_key
    assert re.fullmatch(r"demo-bank:[A-Za-z0-9_-]{20,}", key)
    member = api.new_user(customer=True)
    mention = {"channel": "twitter", "external_id": f"tweet-{uuid.uuid4().hex}",
               "handle": "@karim_b", "text": "@MaBanque my card was swallowed by the ATM",
               "member_id": member.id}

    missing = problem(api.post(URL, json={}), 401)
    assert "X-Agora-Service-Key" in missing["detail"]
    assert "X-Agora-Service-Key" in problem(api.post(URL, json=mention), 401)["detail"]
    problem(api.post(URL, json=mention, headers={"X-Agora-Service-Key": key + "x"}), 401)

    case = ok(api.post(URL, json=mention, headers={"X-Agora-Service-Key": key}), 201)
    assert case["matched"] and case["created"] and case["queue"]  # no advisor: staff queue
    again = ok(api.post(URL, json=mention, headers={"X-Agora-Service-Key": key}), 201)
    assert again["duplicate"] and again["conversation_id"] == case["conversation_id"]
    assert ok(api.get(f"/api/v1/conversations/{case['conversation_id']}",
                      user=member))["origin"] == "social"


def test_the_readme_shows_the_social_intake_with_the_demo_credential():
    readme = (ROOT / "README.md").read_text()
    example = readme[readme.index("### A bank system: the social-listening intake"):]
    assert "bash dev/platform.sh demo-credential" in example
    assert '-H "X-Agora-Service-Key: $KEY"' in example and "$B/channels/social/mentions" in example
