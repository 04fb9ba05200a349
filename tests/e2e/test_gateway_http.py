"""The gateway's HTTP contract: problem+json for bad input, idempotency keys, request ids, CORS,
health and metrics, and the OpenAPI document."""
import base64
import json
import socket
import uuid

import eventlet
import pytest
import requests

from .conftest import CORS_ORIGIN, PASSWORD
from .steps import ok, staff

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


# -- what the HTTP server refuses before the gateway's code (gateway/wsgi.py GatewayProtocol) ----

def _over_a_socket(platform, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """The answer to `request` sent as is over a real connection (no client library to tidy
    it): its status, headers (lower-cased names) and body."""
    host, port = platform.base_url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):  # the server closes the connection after it
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, _, value in
               (line.partition(": ") for line in lines)}
    return int(status_line.split()[1]), headers, body


def _server_problem(answer, status: int) -> dict:
    code, headers, body = answer
    assert code == status, body
    assert headers["content-type"] == PROBLEM and int(headers["content-length"]) == len(body)
    problem = json.loads(body)
    assert problem["status"] == status and problem["type"].startswith("urn:agora:problem:")
    assert problem["request_id"] == headers["x-request-id"] and problem["detail"]
    return problem


def test_an_address_or_headers_too_long_are_problems_not_empty_answers(platform):
    # s25 review: eventlet answered these itself, with an empty body (and 400 for headers)
    too_long = _server_problem(_over_a_socket(platform, b"GET /api/v1/posts?q=" + b"x" * 9000
                                              + b" HTTP/1.1\r\nHost: agora\r\n\r\n"), 414)
    assert too_long["title"] == "Adresse trop longue"  # French: no header could be read
    assert too_long["detail"].startswith("l’adresse de la requête est trop longue")

    def headers(*lines: bytes) -> bytes:
        return b"GET /api/v1/posts HTTP/1.1\r\nHost: agora\r\n" + b"".join(
            line + b"\r\n" for line in lines) + b"\r\n"

    one_long_line = _server_problem(_over_a_socket(platform, headers(
        b"Accept-Language: en", b"Cookie: " + b"c" * 9000)), 431)
    assert one_long_line["title"] == "En-têtes trop volumineux"
    too_many = _server_problem(_over_a_socket(platform, headers(
        *(b"X-Many-%d: 1" % n for n in range(120)))), 431)
    assert too_many["detail"].startswith("les en-têtes de la requête sont trop volumineux")
    garbled = _server_problem(_over_a_socket(platform, b"NOT HTTP AT ALL\r\n\r\n"), 400)
    assert garbled["detail"] == "la requête n’est pas une requête HTTP bien formée"
    # just under the limit: the gateway's own code answers (this address leads nowhere)
    unknown = _server_problem(_over_a_socket(platform, b"GET /api/v1/" + b"x" * 8000
                                             + b" HTTP/1.1\r\nHost: agora\r\n"
                                             b"Connection: close\r\n\r\n"), 404)
    assert unknown["instance"].startswith("/api/v1/xxx")


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


def _conforms(document, method, template, response):
    """The answer is one the OpenAPI document gives for this operation: a documented status,
    and a body valid against its schema (required fields, types, nullable)."""
    from openapi_schema_validator import OAS30Validator

    documented = document["paths"][template][method.lower()]["responses"].get(
        str(response.status_code))
    assert documented, f"{method} {template}: {response.status_code} is not documented"
    media_type = response.headers["Content-Type"].split(";")[0]
    schema = documented["content"][media_type]["schema"]
    errors = [error.message for error in OAS30Validator(
        {**schema, "components": document["components"]}).iter_errors(response.json())]
    assert not errors, (method, template, response.status_code, errors)


def test_answers_are_the_ones_the_openapi_document_describes(platform, api):
    document = api.get("/api/v1/openapi.json").json()
    member, admin = platform.verify_email(api.new_user()), platform.admin  # e-mail lookups find
    lookups = [  # (caller, query, status)
        (None, {"ids": f"{member.id},{admin.id}"}, 200),   # public summaries: no e-mail
        (member, {"ids": member.id}, 200),
        (member, {"email": member.email}, 403),             # e-mails are for staff
        (None, {"email": member.email}, 401),
        (admin, {"email": member.email}, 200),              # the private profile: its e-mail
        #                                                   (verified addresses only)
        (admin, {"name": member.display_name[:3]}, 200),
    ]
    for caller, query, status in lookups:
        response = api.get("/api/v1/users", user=caller, params=query)
        assert response.status_code == status, (query, response.text)
        _conforms(document, "GET", "/api/v1/users", response)
    found = api.get("/api/v1/users", user=admin, params={"email": member.email}).json()
    assert found["items"][0]["email"] == member.email
    assert "email" not in api.get("/api/v1/users", params={"ids": member.id}).json()["items"][0]
    _conforms(document, "GET", "/api/v1/posts", api.get("/api/v1/posts"))
    _conforms(document, "POST", "/api/v1/auth/login", _raw(
        api, "POST", "/api/v1/auth/login", b'{"email": "\\ud800@x.org", "password": "x"}'))


# -- texts that are not text, cursors we did not issue, refusals in the reader's words ----------

SURROGATE = {"fr": "Texte invalide : caractère non valide (UTF-16 isolé).",
             "en": "Invalid text: an unpaired UTF-16 surrogate."}


def test_a_lone_surrogate_in_any_text_of_a_body_is_400_naming_its_field(platform, api):
    """JSON may escape half of a character ("\\ud800"): the database refused it (502), or an
    answer echoed it. Every body is checked where it is decoded: each field holding one is
    named, nested ones by their path, in the reader's language."""
    ada = api.new_user()
    refused = [SURROGATE["fr"]]
    cases = [  # (who, method, path, body as sent: JSON escapes, field errors)
        (None, "POST", "/api/v1/auth/login", b'{"email": "\\ud800@x.org", "password": "x"}',
         {"email": refused}),
        (None, "POST", "/api/v1/auth/register",
         b'{"email": "a@b.example", "password": "x", "display_name": "Ada \\udfff"}',
         {"display_name": refused}),
        (ada, "PATCH", "/api/v1/me", b'{"bio": "\\ud83d\\ude00 ok, \\ud83d alone"}',
         {"bio": refused}),
        (ada, "POST", "/api/v1/posts", b'{"kind": "question", "title": "Ma carte \\ud800", '
         b'"body": "ok", "category": "cards", "tags": ["carte", "x\\ud800"]}',
         {"title": refused, "tags": {"1": refused}}),
        (ada, "POST", "/api/v1/previews", b'{"body": "\\ud800"}', {"body": refused}),
        (platform.admin, "POST", "/api/v1/categories",
         b'{"name": {"fr": "\\udc00", "en": "Savings"}}', {"name": {"fr": refused}}),
    ]
    for who, method, path, body, errors in cases:
        response = api.request(method, path, user=who, data=body,
                               headers={"Content-Type": "application/json"})
        assert _problem(response, 400)["errors"] == errors, (path, response.text)
    english = _raw(api, "POST", "/api/v1/auth/login", cases[0][3],
                   headers={"Accept-Language": "en"})
    assert _problem(english, 400)["errors"] == {"email": [SURROGATE["en"]]}
    # a pair is one character: taken
    assert api.post("/api/v1/previews", user=ada, data=b'{"body": "ok \\ud83d\\ude00"}',
                    headers={"Content-Type": "application/json"}).status_code == 200


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


NOT_OURS = {"fr": ["ce curseur ne vient pas de nous"], "en": ["not a cursor we issued"]}
# what lists paging on integers (timestamps, votes) never issue: beyond 64 bits, a lone
# surrogate, text, a float, NaN, a boolean; lists paging on text, anything but text
NOT_INTEGER_CURSORS = ['[1180591620717411303424,"x"]', '[1,"\\ud800"]', '["a","b"]',
                       '[1e308,"x"]', '[NaN,"x"]', '[true,"x"]']
NOT_TEXT_CURSORS = ['[1,"x"]', '[true,"x"]', '["a","\\ud800"]', '["\\udfff","x"]']


def test_a_cursor_we_did_not_issue_is_400_on_every_list(platform, api):
    member, manager = api.new_user(), staff(platform)
    on_integers = [(None, "/api/v1/posts", {}), (None, "/api/v1/posts", {"sort": "top"}),
                   (None, "/api/v1/feeds/public", {}), (None, "/api/v1/feeds/featured", {}),
                   (member, "/api/v1/feeds/home", {}), (member, "/api/v1/me/notifications", {}),
                   (member, "/api/v1/conversations", {}),
                   (manager, "/api/v1/moderation/queue", {}),
                   (manager, "/api/v1/moderation/audit", {})]
    on_text = [(platform.admin, "/api/v1/users", {"name": "a"}),
               (None, "/api/v1/posts", {"q": "carte"})]  # ranked by relevance: "score:ts"
    for lists, cursors in ((on_integers, NOT_INTEGER_CURSORS), (on_text, NOT_TEXT_CURSORS)):
        for who, path, query in lists:
            for raw in cursors:
                response = api.get(path, user=who, params={**query, "cursor": _cursor(raw)})
                assert _problem(response, 400)["errors"] == {"cursor": NOT_OURS["fr"]}, (
                    path, query, raw)
    anonymous = api.get("/api/v1/posts", params={"cursor": _cursor(NOT_INTEGER_CURSORS[0])},
                        headers={"Accept-Language": "en"})
    assert _problem(anonymous, 400)["errors"] == {"cursor": NOT_OURS["en"]}


def test_refusals_of_a_method_or_a_role_are_in_the_readers_words(platform, api):
    for language, detail, title in (
            ("fr", "la méthode DELETE n’est pas permise ici", "Méthode non autorisée"),
            ("en", "DELETE is not allowed here", "Method Not Allowed")):
        refused = api.delete("/api/v1/previews", headers={"Accept-Language": language})
        body = _problem(refused, 405)
        assert (body["detail"], body["title"]) == (detail, title)
        assert refused.headers["Allow"] == "POST"
    french, english = api.new_user(), api.new_user()
    ok(api.patch("/api/v1/me", user=english, json={"language": "en"}))
    api.login(english)  # tokens issued from now on carry the language
    for member, detail in (
            (french, "cette route est réservée à l’équipe de la communauté et aux "
                     "administrateurs"),
            (english, "this route is for community managers and admins only")):
        assert _problem(api.get("/api/v1/moderation/queue", user=member), 403)[
            "detail"] == detail
