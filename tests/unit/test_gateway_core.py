"""Gateway core without infrastructure: error table, auth rules, token checks, OpenAPI document."""
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nameko.exceptions import RemoteError

from gateway import errors
from gateway.auth import (
    TokenExpired,
    TokenVerifier,
    actor_from_claims,
    authorize,
    parse_auth,
    parse_service_credentials,
    service_actor,
    service_credential_digest,
)
from gateway.calls import RouteSpec
from gateway.http import routes_of
from gateway.openapi import build_spec
from gateway.service import GatewayService
from gateway.settings import Settings
from services.shared.errors import (
    EXPECTED_ERRORS,
    Forbidden,
    InvalidInput,
    TooManyRequests,
    Unauthenticated,
)
from services.shared.expiring import ExpiringCache

pytestmark = pytest.mark.unit


# -- errors -------------------------------------------------------------------------------------

def test_every_kit_error_has_a_status():
    for error_class in EXPECTED_ERRORS:
        assert error_class.__name__ in errors.STATUS_BY_ERROR


def test_an_unreachable_broker_is_a_503_not_a_500():
    from kombu.exceptions import OperationalError

    problem = errors.problem_from_exception(OperationalError("[Errno 111] ECONNREFUSED"), "/x")
    assert problem.status == 503


def test_remote_kit_error_keeps_message_and_field_errors():
    raised = InvalidInput("bad", {"fields": {"email": ["taken"]}})
    remote = RemoteError("InvalidInput", str(raised))
    problem = errors.problem_from_exception(remote, "/x", "rid")
    assert problem.status == 400
    assert problem.body["errors"] == {"email": ["taken"]}
    assert problem.body["detail"] == "bad"
    assert problem.body["request_id"] == "rid"
    assert problem.response().content_type == "application/problem+json"


def test_too_many_requests_sets_retry_after():
    problem = errors.problem_from_exception(TooManyRequests("slow down", {"retry_after": 2.2}))
    assert problem.status == 429
    assert problem.headers["Retry-After"] == "3"


def test_unknown_remote_error_is_502_without_details():
    remote = RemoteError("KeyError", "'password_hash' secret stuff")
    problem = errors.problem_from_exception(remote, "/x", "r")
    assert problem.status == 502
    assert "secret" not in json.dumps(problem.body)


def test_gateway_bug_is_500_generic():
    problem = errors.problem_from_exception(ZeroDivisionError("boom"))
    assert problem.status == 500 and "boom" not in json.dumps(problem.body)


# -- auth rules -----------------------------------------------------------------------------------

MEMBER = {"id": "u1", "roles": ["member"], "kind": "user"}
ADMIN = {"id": "u2", "roles": ["member", "admin"], "kind": "user"}
ADVISOR = {"id": "u3", "roles": ["member", "advisor"], "kind": "user"}
SERVICE = {"id": "service:crm", "roles": ["service"], "kind": "service"}


@pytest.mark.parametrize("levels, actor, outcome", [
    ("public", None, None),
    ("member", None, Unauthenticated),
    ("member", MEMBER, None),
    ("admin", MEMBER, Forbidden),
    ("admin", ADMIN, None),
    ("community_manager", ADMIN, None),  # admins satisfy every role
    ("staff", ADVISOR, None),
    ("staff", MEMBER, Forbidden),
    ("admin|service", SERVICE, None),
    ("admin", SERVICE, Forbidden),
    ("member", SERVICE, Forbidden),
])
def test_authorize(levels, actor, outcome):
    if outcome is None:
        authorize(parse_auth(levels), actor)
    else:
        with pytest.raises(outcome):
            authorize(parse_auth(levels), actor)


def test_unknown_auth_level_is_a_programming_error():
    with pytest.raises(ValueError):
        parse_auth("members")
    with pytest.raises(ValueError):
        parse_auth("public|admin")


def test_service_credentials():
    credentials = parse_service_credentials(f"crm:{service_credential_digest('s3cret')}")
    assert service_actor("crm:s3cret", credentials)["id"] == "service:crm"
    for header in ("crm:wrong", "other:s3cret", "crm:", "crm"):
        with pytest.raises(Unauthenticated):
            service_actor(header, credentials)
    with pytest.raises(ValueError):
        parse_service_credentials("crm:not-hex")


# -- tokens ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def keys():
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, public


def _claims(**overrides):
    now = int(time.time())
    claims = {"iss": "agora-identity", "aud": "agora-api", "sub": "u1", "iat": now,
              "exp": now + 300, "roles": ["member"], "sid": "s1"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def test_valid_token(keys):
    key, public = keys
    verifier = TokenVerifier(public, "agora-identity", "agora-api")
    claims = verifier.verify(jwt.encode(_claims(), key, algorithm="EdDSA"))
    assert actor_from_claims(claims) == {"id": "u1", "roles": ["member"], "kind": "user",
                                         "sid": "s1"}


@pytest.mark.parametrize("overrides", [
    {"exp": int(time.time()) - 60},
    {"aud": "someone-else"},
    {"iss": "evil"},
    {"sub": None},
    {"exp": None},
    {"roles": "admin"},
])
def test_bad_claims_are_refused(keys, overrides):
    key, public = keys
    verifier = TokenVerifier(public, "agora-identity", "agora-api")
    with pytest.raises(Unauthenticated):
        verifier.verify(jwt.encode(_claims(**overrides), key, algorithm="EdDSA"))


def test_forged_and_unsigned_tokens_are_refused(keys):
    _, public = keys
    verifier = TokenVerifier(public, "agora-identity", "agora-api")
    other = Ed25519PrivateKey.generate()
    forged = jwt.encode(_claims(), other, algorithm="EdDSA")
    unsigned = jwt.encode(_claims(), None, algorithm="none")
    hmac_with_public_key = _hs256(_claims(), public)
    for token in (forged, unsigned, hmac_with_public_key, "not.a.token", "x" * 5000):
        with pytest.raises(Unauthenticated):
            verifier.verify(token)


class WallClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_verified_token_is_not_verified_again_until_it_expires(keys):
    key, public = keys
    # jwt judges `exp` on the real clock, the cache on the verifier's: a token just past its
    # exp (still inside jwt's 5 s leeway) and a verifier's clock 60 s behind
    clock, monotonic = WallClock(), WallClock()
    token = jwt.encode(_claims(exp=int(clock.now) - 2), key, algorithm="EdDSA")
    clock.now -= 60
    verifier = TokenVerifier(public, "agora-identity", "agora-api", clock=clock,
                             verified=ExpiringCache(300, 100, clock=monotonic))
    first = verifier.verify(token)
    verifier.key = Ed25519PrivateKey.generate().public_key()  # a new check would now fail
    monotonic.now += 60
    assert verifier.verify(token) is first  # kept: not checked again
    monotonic.now += 4  # past exp + the leeway on the verifier's clock: checked again
    with pytest.raises(Unauthenticated):
        verifier.verify(token)


def test_a_refused_token_is_never_kept(keys):
    key, public = keys
    verifier = TokenVerifier(public, "agora-identity", "agora-api")
    forged = jwt.encode(_claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA")
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            verifier.verify(forged)
    expired = jwt.encode(_claims(exp=int(time.time()) - 60), key, algorithm="EdDSA")
    for _ in range(2):
        with pytest.raises(TokenExpired):
            verifier.verify(expired)


def _hs256(claims, secret: bytes) -> str:
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


# -- settings and routes -------------------------------------------------------------------

def test_settings_from_config():
    settings = Settings.from_config({"GATEWAY": {"cors_origins": "https://a.example, https://b/",
                                                 "max_body_bytes": 1024}})
    assert settings.allows_origin("https://a.example")
    assert settings.allows_origin("https://b")
    assert not settings.allows_origin("https://evil.example")
    assert settings.max_body_bytes == 1024


def test_route_templates_become_werkzeug_rules():
    spec = RouteSpec("GET", "/api/v1/users/{id}/roles", auth=("admin",))
    assert spec.rule == "/api/v1/users/<id>/roles"
    assert spec.path_names == ["id"]


def test_openapi_document_is_valid_and_lists_every_route():
    from openapi_spec_validator import validate

    document = build_spec(GatewayService)
    validate(document)
    documented = {(path, method.upper()) for path, item in document["paths"].items()
                  for method in item}
    for spec in routes_of(GatewayService):
        if spec.openapi:
            assert (spec.path, spec.method) in documented
    login = document["paths"]["/api/v1/auth/login"]["post"]
    assert "429" in login["responses"]
    assert login["requestBody"]["content"]["application/json"]["schema"]


def test_openapi_declares_the_headers_clients_read():
    """Generated clients expose only declared response headers: the request id on every
    answer, Retry-After on 429/503, the replay marker on idempotent commands, the queue's
    ETag and its 304."""
    paths = build_spec(GatewayService)["paths"]
    for item in paths.values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                assert "X-Request-ID" in response["headers"], status
                assert ("Retry-After" in response["headers"]) == (status in ("429", "503"))
    assert "Idempotent-Replayed" in paths["/api/v1/posts"]["post"]["responses"]["201"]["headers"]
    assert "Idempotent-Replayed" not in paths["/api/v1/auth/login"]["post"]["responses"][
        "200"]["headers"]
    queue = paths["/api/v1/moderation/queue"]["get"]
    assert "ETag" in queue["responses"]["200"]["headers"] and "304" in queue["responses"]
    assert any(parameter.get("name") == "If-None-Match" for parameter in queue["parameters"])
