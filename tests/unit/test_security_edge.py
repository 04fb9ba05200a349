"""Security headers and security events, without infrastructure."""
import json
import logging

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from gateway.security import log_refusal, secure_headers
from services.shared.security_log import SECURITY_LOGGER, security_event

pytestmark = pytest.mark.unit


def request(path="/api/v1/posts", headers=None):
    return Request(EnvironBuilder(path=path, headers=headers or {}).get_environ())


@pytest.mark.parametrize("req, cached", [
    (request("/api/v1/me"), "public, max-age=60"),                        # personal data
    (request("/api/v1/auth/login"), "public, max-age=60"),                # tokens
    (request(headers={"Authorization": "Bearer x"}), "public, max-age=60"),
    (request(headers={"Cookie": "session=x"}), "public, max-age=60"),
    (request(), None),                                                     # default
])
def test_no_store_wherever_a_credential_or_personal_data_can_be(req, cached):
    response = Response("{}", headers={"Cache-Control": cached} if cached else {})
    secure_headers(req, response)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_public_asset_may_be_cached_when_no_credential_is_sent():
    response = Response("body{}", headers={"Cache-Control": "public, max-age=3600"})
    secure_headers(request("/static/site.css"), response)
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_security_events_never_carry_a_secret(caplog):
    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER):
        fields = security_event("authentication_failed", reason="bad signature",
                                request_id="r1", client="10.0.0.1", route="/api/v1/me",
                                token="eyJ.secret", refresh_token="r.secret",
                                password="hunter2", service_key="crm:s3cret",
                                email="ada@example.org")
    assert fields["route"] == "/api/v1/me" and fields["client"] == "10.0.0.1"
    text = json.dumps(fields) + caplog.text
    for secret in ("eyJ.secret", "r.secret", "hunter2", "s3cret", "ada@example.org"):
        assert secret not in text


def test_only_401_and_403_are_logged_with_who_and_why():
    req = request(headers={"Authorization": "Bearer eyJ.secret"})
    req.environ["agora.actor"] = {"id": "u1", "roles": ["member"]}
    refused = Response(json.dumps({"detail": "this route is for admin only"}), status=403)
    fields = log_refusal(req, refused, "/api/v1/users/{id}/roles", "r2", "10.0.0.2")
    assert fields["security_event"] == "authorization_failed" and fields["actor_id"] == "u1"
    assert fields["reason"] == "this route is for admin only" and fields["status"] == 403
    assert "eyJ.secret" not in json.dumps(fields)
    assert log_refusal(req, Response("{}", status=404), "/x", "r3", "c") is None
