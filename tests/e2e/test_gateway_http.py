"""The gateway's HTTP contract: problem+json for bad input, idempotency keys, request ids, CORS,
health and metrics, and the OpenAPI document."""
import json
import uuid

import eventlet
import pytest
import requests

from .conftest import CORS_ORIGIN, PASSWORD

PROBLEM = "application/problem+json"


def _problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


def _raw(api, method, path, data, content_type="application/json", headers=None):
    return api.request(method, path, data=data,
                       headers={"Content-Type": content_type, **(headers or {})})


# -- malformed input ----------------------------------------------------------------------------

@pytest.mark.parametrize("body, field", [
    (b'{"email": "a@b.example", "password": ', "_schema"),                  # truncated JSON
    (b"[1, 2, 3]", "_schema"),                                               # not an object
    (b'"just a string"', "_schema"),
    (b"\xff\xfe\x00garbage", "_schema"),                                     # not UTF-8
    (b'{"email": NaN}', "_schema"),
    (b"[" * 5000 + b"]" * 5000, "_schema"),                                  # deep nesting
    (json.dumps({"email": 42, "password": ["x"], "display_name": {}}).encode(), "email"),
    (json.dumps({"email": "not-an-email", "password": PASSWORD,
                 "display_name": "X Y"}).encode(), "email"),
    (json.dumps({"email": "a@b.example", "password": PASSWORD, "display_name": "Ada",
                 "is_admin": True}).encode(), "is_admin"),                   # unknown field
    (json.dumps({"email": "a@b.example", "password": PASSWORD,
                 "display_name": "x" * 20000}).encode(), "display_name"),    # huge string
    (json.dumps({"email": "a@b.example", "password": PASSWORD, "display_name": "Ada",
                 "customer": "maybe"}).encode(), "customer"),
    (b"", "_schema"),
])
def test_malformed_register_bodies_are_400_with_field_errors(api, body, field):
    problem = _problem(_raw(api, "POST", "/api/v1/auth/register", body), 400)
    assert field in problem["errors"], problem


def test_malformed_bodies_on_authenticated_routes(api):
    ada = api.new_user()
    headers = {"Authorization": f"Bearer {ada.access_token}"}
    _problem(_raw(api, "PATCH", "/api/v1/me", b'{"bio": 5}', headers=headers), 400)
    _problem(_raw(api, "PATCH", "/api/v1/me", b'{}', headers=headers), 400)
    _problem(_raw(api, "PATCH", "/api/v1/me", b'{"email": "x@y.z"}', headers=headers), 400)
    _problem(_raw(api, "PATCH", "/api/v1/me", b'{"display_name": "\\u0000evil"}',
                  headers=headers), 400)
    _problem(_raw(api, "POST", "/api/v1/me/password", b'{"current_password": null}',
                  headers=headers), 400)


def test_oversized_body_is_413(api):
    body = json.dumps({"email": "a@b.example", "password": PASSWORD,
                       "display_name": "x" * (70 * 1024)})
    _problem(_raw(api, "POST", "/api/v1/auth/register", body), 413)
    chunks = (part.encode() for part in [body[:1000], body[1000:]])  # chunked, no length
    _problem(api.post("/api/v1/auth/register", data=chunks,
                      headers={"Content-Type": "application/json"}), 413)


def test_wrong_content_type_is_415(api):
    body = json.dumps({"email": "a@b.example", "password": PASSWORD, "display_name": "Ada"})
    _problem(_raw(api, "POST", "/api/v1/auth/register", body, "text/plain"), 415)
    _problem(_raw(api, "POST", "/api/v1/auth/register", body,
                  "application/x-www-form-urlencoded"), 415)
    _problem(_raw(api, "POST", "/api/v1/auth/register", body,
                  "application/json; charset=latin-1"), 415)


def test_unknown_paths_methods_and_ids_are_problems(api):
    _problem(api.get("/api/v1/nothing-here"), 404)
    assert _problem(api.delete("/api/v1/auth/register"), 405)
    assert api.delete("/api/v1/auth/register").headers["Allow"] == "POST"
    _problem(api.get("/api/v1/users/" + "x" * 300), 404)
    _problem(api.get("/api/v1/users/does-not-exist"), 404)
    _problem(api.get("/api/v1/users/%00%01"), 404)


# -- idempotency ------------------------------------------------------------------------------

def test_the_same_post_with_the_same_key_creates_one_user(platform, api, mongo_client):
    email = api.unique_email("idem")
    body = {"email": email, "password": PASSWORD, "display_name": "Retry Twice"}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = api.post("/api/v1/auth/register", json=body, headers=key)
    second = api.post("/api/v1/auth/register", json=body, headers=key)
    assert first.status_code == second.status_code == 202, (first.text, second.text)
    assert first.json() == second.json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    users = mongo_client[f"{platform.db_prefix}_identity"].users
    assert users.count_documents({"email": email}) == 1
    # same key, another body: refused
    other = api.post("/api/v1/auth/register", headers=key,
                     json={**body, "display_name": "Someone Else"})
    assert "Idempotency-Key" in _problem(other, 422)["errors"]
    # without the key, the retry is a second registration attempt: answered alike, no account
    assert api.post("/api/v1/auth/register", json=body).status_code == 202
    assert users.count_documents({"email": email}) == 1


def test_concurrent_duplicates_with_one_key_execute_once(platform, api, mongo_client):
    email = api.unique_email("idem-race")
    body = {"email": email, "password": PASSWORD, "display_name": "Racing Retries"}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    responses = list(eventlet.GreenPool(8).imap(
        lambda _: api.post("/api/v1/auth/register", json=body, headers=key), range(8)))
    assert [r.status_code for r in responses] == [202] * 8, [r.text for r in responses]
    assert len({r.text for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 7
    users = mongo_client[f"{platform.db_prefix}_identity"].users
    assert users.count_documents({"email": email}) == 1


def test_keys_are_scoped_to_the_caller(api):
    key = {"Idempotency-Key": "shared-key-" + uuid.uuid4().hex}
    ada, bob = api.new_user(), api.new_user()
    body = {"current_password": "wrong wrong wrong", "new_password": "whatever long passphrase"}
    a = api.post("/api/v1/me/password", user=ada, json=body, headers=key)
    b = api.post("/api/v1/me/password", user=bob, json=body, headers=key)
    assert a.status_code == b.status_code == 400
    assert "Idempotent-Replayed" not in b.headers


def test_a_bad_idempotency_key_is_400(api):
    response = api.post("/api/v1/auth/register", headers={"Idempotency-Key": "x" * 300}, json={
        "email": api.unique_email(), "password": PASSWORD, "display_name": "Key Too Long"})
    assert "Idempotency-Key" in _problem(response, 400)["errors"]


# -- request ids, CORS, health, metrics ---------------------------------------------------------

def test_request_id_is_echoed_or_generated(api):
    assert api.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] \
        == "abc-123"
    generated = api.get("/healthz", headers={"X-Request-ID": "bad id with spaces\u00e9"})
    assert generated.headers["X-Request-ID"] != "bad id with spaces"
    assert len(generated.headers["X-Request-ID"]) == 32


def test_cors_preflight_and_headers(api):
    preflight = api.request("OPTIONS", "/api/v1/auth/login", headers={
        "Origin": CORS_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, idempotency-key"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == CORS_ORIGIN
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Idempotency-Key" in preflight.headers["Access-Control-Allow-Headers"]
    simple = api.get("/healthz", headers={"Origin": CORS_ORIGIN})
    assert simple.headers["Access-Control-Allow-Origin"] == CORS_ORIGIN
    assert "X-Request-ID" in simple.headers["Access-Control-Expose-Headers"]
    foreign = api.request("OPTIONS", "/api/v1/auth/login", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_health_readiness_and_metrics(platform, api):
    assert api.get("/healthz").json() == {"status": "alive"}
    ready = api.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok",
                                                                   "broker": "ok"}
    api.get("/api/v1/users/nobody-at-all")
    text = api.get("/metrics").text
    assert ('agora_http_requests_total{method="GET",route="/api/v1/users/{id}",status="404"}'
            in text)
    assert 'agora_http_request_duration_seconds_bucket{le="0.005",method="GET",' \
           'route="/api/v1/users/{id}"}' in text
    for name in platform.processes:
        assert requests.get(platform.url(name) + "/metrics", timeout=5).status_code == 200


def test_openapi_document_lists_every_route_and_is_valid(api):
    from openapi_spec_validator import validate

    from gateway.http import routes_of
    from gateway.service import GatewayService

    response = api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    documented = {(path, method.upper()) for path, item in document["paths"].items()
                  for method in item}
    expected = {(spec.path, spec.method) for spec in routes_of(GatewayService) if spec.openapi}
    assert expected <= documented
    for route in [("/api/v1/auth/register", "POST"), ("/api/v1/auth/login", "POST"),
                  ("/api/v1/auth/refresh", "POST"), ("/api/v1/auth/logout", "POST"),
                  ("/api/v1/me", "GET"), ("/api/v1/me", "PATCH"), ("/api/v1/me/password", "POST"),
                  ("/api/v1/users/{id}", "GET"), ("/api/v1/users/{id}/roles", "PUT"),
                  ("/api/v1/users/{id}/advisor", "PUT"), ("/api/v1/me/advisor", "GET"),
                  ("/api/v1/users/{id}/verification", "PUT")]:
        assert route in documented, route
