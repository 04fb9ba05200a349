"""Identity through the gateway: the account life cycle, uniqueness, throttling, token checks."""
import json
import time

import eventlet
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.shared.shredding import KEYS_SERVICE, SubjectKeys

from ..conftest import wait_for
from .conftest import PASSWORD

PROBLEM = "application/problem+json"


def _problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["type"].startswith("urn:agora:problem:")
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def test_register_login_me_patch_refresh_logout(api):
    email = api.unique_email("ada")
    registered = api.post("/api/v1/auth/register", json={
        "email": email.upper(), "password": PASSWORD, "display_name": "Ada Lovelace",
        "customer": True})
    assert registered.status_code == 202, registered.text
    assert registered.json()["email"] == email and "password" not in registered.text

    login = api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    tokens = login.json()
    profile = api.get("/api/v1/me", token=tokens["access_token"]).json()
    assert profile["email"] == email and profile["customer"] is True
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] > 0
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["sub"] == profile["id"] and claims["roles"] == ["member"]
    assert jwt.get_unverified_header(tokens["access_token"])["alg"] == "EdDSA"

    me = api.get("/api/v1/me", token=tokens["access_token"])
    assert me.status_code == 200 and me.json()["display_name"] == "Ada Lovelace"

    patched = api.patch("/api/v1/me", token=tokens["access_token"],
                        json={"display_name": "Ada L.", "bio": "Analytical engines"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["bio"] == "Analytical engines"
    public = api.get(f"/api/v1/users/{profile['id']}").json()
    assert public["display_name"] == "Ada L." and "email" not in public

    # refresh rotates: a new pair, and the old refresh token is spent
    refreshed = api.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["refresh_token"] != tokens["refresh_token"]
    assert api.get("/api/v1/me", token=second["access_token"]).status_code == 200

    # presenting the spent one again is a theft signal: the whole family is revoked
    _problem(api.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}),
             401)
    _problem(api.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}),
             401)
    wait_for(lambda: api.get("/api/v1/me", token=second["access_token"]).status_code == 401,
             message="access token of the revoked family refused")

    # a fresh session, then log out: refresh token and access token stop working
    third = api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
    out = api.post("/api/v1/auth/logout", token=third["access_token"],
                   json={"refresh_token": third["refresh_token"]})
    assert out.status_code == 204, out.text
    _problem(api.post("/api/v1/auth/refresh", json={"refresh_token": third["refresh_token"]}),
             401)
    wait_for(lambda: api.get("/api/v1/me", token=third["access_token"]).status_code == 401,
             message="logged-out access token refused")


def test_logout_with_only_the_refresh_token(api):
    ada = api.new_user()
    assert api.post("/api/v1/auth/logout", json={"refresh_token": ada.refresh_token}
                    ).status_code == 204
    _problem(api.post("/api/v1/auth/refresh", json={"refresh_token": ada.refresh_token}), 401)
    _problem(api.post("/api/v1/auth/logout", json={"refresh_token": "nope"}), 401)
    _problem(api.post("/api/v1/auth/logout"), 401)


def test_concurrent_refreshes_with_one_token_cannot_both_win(api):
    ada = api.new_user()
    pool = eventlet.GreenPool(6)
    statuses = list(pool.imap(
        lambda _: api.post("/api/v1/auth/refresh",
                           json={"refresh_token": ada.refresh_token}).status_code, range(6)))
    assert statuses.count(200) <= 1, statuses
    assert set(statuses) <= {200, 401}


def test_password_change_revokes_every_session(api):
    ada = api.new_user()
    other_session = api.post("/api/v1/auth/login",
                             json={"email": ada.email, "password": ada.password}).json()
    wrong = api.post("/api/v1/me/password", user=ada, json={
        "current_password": "not my password at all", "new_password": "another long passphrase"})
    assert _problem(wrong, 400)["errors"] == {"current_password": ["incorrect"]}
    weak = api.post("/api/v1/me/password", user=ada, json={
        "current_password": ada.password, "new_password": "password1234"})
    assert "new_password" in _problem(weak, 400)["errors"]
    changed = api.post("/api/v1/me/password", user=ada, json={
        "current_password": ada.password, "new_password": "another long passphrase"})
    assert changed.status_code == 204, changed.text
    _problem(api.post("/api/v1/auth/refresh",
                      json={"refresh_token": other_session["refresh_token"]}), 401)
    wait_for(lambda: api.get("/api/v1/me", token=other_session["access_token"]).status_code == 401,
             message="sessions revoked by the password change")
    assert api.get("/api/v1/me", user=ada).status_code == 401
    _problem(api.post("/api/v1/auth/login", json={"email": ada.email, "password": ada.password}),
             401)
    ada.password = "another long passphrase"
    api.login(ada)




def test_concurrent_registrations_of_one_address_create_one_account(api):
    local = api.unique_email("race").split("@")[0]
    variants = [f"{local}@e2e.test", f"{local.upper()}@E2E.TEST", f"{local}@E2E.test"] * 4

    def register(email):
        return api.post("/api/v1/auth/register", json={
            "email": email, "password": PASSWORD, "display_name": "Racer"}).status_code

    statuses = list(eventlet.GreenPool(len(variants)).imap(register, variants))
    assert statuses == [202] * len(variants), statuses  # alike, taken address or not
    accounts = [api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
                for email in set(variants)]
    assert len({a.json()["user_id"] for a in accounts}) == 1


def test_password_policy_is_enforced(api):
    for password, reason in [("short", "characters"), ("Password2024!", "too easy to guess"),
                             ("aaaaaaaaaaaaaaaa", 'Repeats like "aaa"')]:
        response = api.post("/api/v1/auth/register", json={
            "email": api.unique_email(), "password": password, "display_name": "Weak"})
        body = _problem(response, 400)
        assert any(reason in message for message in body["errors_i18n"]["en"]["password"]), body
    assert api.post("/api/v1/auth/register", json={
        "email": api.unique_email(), "password": "correct horse battery staple",
        "display_name": "Passphrase"}).status_code == 202


def test_wrong_passwords_are_throttled_per_address_and_account(api):
    ada = api.register()
    client = {"X-Forwarded-For": "198.51.100.7"}
    for _ in range(5):
        _problem(api.post("/api/v1/auth/login", headers=client,
                          json={"email": ada.email, "password": "wrong wrong wrong"}), 401)
    throttled = api.post("/api/v1/auth/login", headers=client,
                         json={"email": ada.email, "password": "wrong wrong wrong"})
    body = _problem(throttled, 429)
    assert int(throttled.headers["Retry-After"]) > 0 and body["retry_after"] > 0
    # even the right password waits from that address (the pair address+account is throttled);
    # from another address it works: a guesser cannot lock the member out
    _problem(api.post("/api/v1/auth/login", headers=client,
                      json={"email": ada.email, "password": ada.password}), 429)
    api.login(ada, headers={"X-Forwarded-For": "198.51.100.8"})
    # other accounts are not affected
    api.login(api.register(), headers={"X-Forwarded-For": "198.51.100.9"})


def test_wrong_passwords_are_throttled_per_client_address(api):
    client = {"X-Forwarded-For": "203.0.113.50"}
    for _ in range(10):  # AGORA_LOGIN_ADDRESS_LIMIT=10 in the e2e platform
        _problem(api.post("/api/v1/auth/login", headers=client, json={
            "email": api.unique_email("guess"), "password": "guessing guessing"}), 401)
    _problem(api.post("/api/v1/auth/login", headers=client, json={
        "email": api.unique_email("guess"), "password": "guessing guessing"}), 429)
    ada = api.register()
    _problem(api.post("/api/v1/auth/login", headers=client,
                      json={"email": ada.email, "password": ada.password}), 429)
    api.login(ada, headers={"X-Forwarded-For": "203.0.113.51"})


def test_failed_logins_are_audited(platform, api, mongo_client):
    ada = api.register()
    api.post("/api/v1/auth/login", headers={"X-Forwarded-For": "192.0.2.77"},
             json={"email": ada.email, "password": "wrong wrong wrong"})
    audit = mongo_client[f"{platform.db_prefix}_identity"].login_audit
    entry = wait_for(lambda: audit.find_one({"user_id": ada.id, "outcome": "bad_credentials"}))
    # the client address is sealed with the member's key (crypto-shredding), never in clear
    keys = SubjectKeys.in_database(mongo_client[f"{platform.db_prefix}_{KEYS_SERVICE}"])
    assert "192.0.2.77" not in json.dumps(entry, default=str)
    assert keys.unseal(entry["client"], "identity.login_audit.client") == "192.0.2.77"
    assert entry["correlation_id"]


# -- tokens the gateway must refuse --------------------------------------------------------

def _claims(user_id, **overrides):
    now = int(time.time())
    claims = {"iss": "agora-identity", "aud": "agora-api", "sub": user_id, "iat": now,
              "exp": now + 600, "roles": ["member", "admin"], "sid": "s" * 32}
    claims.update(overrides)
    return claims


def _real_key(platform):
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(
        (platform.key_dir / "jwt-private.pem").read_bytes(), password=None)


def test_control_a_token_signed_with_the_real_key_works(platform, api):
    ada = api.register()
    token = jwt.encode(_claims(ada.id, roles=["member"]), _real_key(platform), algorithm="EdDSA")
    assert api.get("/api/v1/me", token=token).status_code == 200


@pytest.mark.parametrize("kind", ["forged", "expired", "wrong_audience", "wrong_issuer",
                                  "alg_none", "garbage", "no_exp"])
def test_bad_tokens_are_401(platform, api, kind):
    ada = api.register()
    key = _real_key(platform)
    token = {
        "forged": lambda: jwt.encode(_claims(ada.id), Ed25519PrivateKey.generate(),
                                     algorithm="EdDSA"),
        "expired": lambda: jwt.encode(_claims(ada.id, iat=int(time.time()) - 7200,
                                              exp=int(time.time()) - 3600), key,
                                      algorithm="EdDSA"),
        "wrong_audience": lambda: jwt.encode(_claims(ada.id, aud="another-api"), key,
                                             algorithm="EdDSA"),
        "wrong_issuer": lambda: jwt.encode(_claims(ada.id, iss="evil"), key, algorithm="EdDSA"),
        "alg_none": lambda: jwt.encode(_claims(ada.id), None, algorithm="none"),
        "garbage": lambda: "eyJhbGciOiJFZERTQSJ9.e30.AAAA",
        "no_exp": lambda: jwt.encode({k: v for k, v in _claims(ada.id).items() if k != "exp"},
                                     key, algorithm="EdDSA"),
    }[kind]()
    body = _problem(api.get("/api/v1/me", token=token), 401)
    # a client refreshes on the reason, never on the detail (in the reader's language)
    assert (body.get("reason") == "token_expired") == (kind == "expired"), body
    _problem(api.put(f"/api/v1/users/{ada.id}/roles", token=token, json={"roles": ["admin"]}),
             401)


def test_missing_or_malformed_authorization_is_401(api):
    _problem(api.get("/api/v1/me"), 401)
    _problem(api.get("/api/v1/me", headers={"Authorization": "Basic Zm9vOmJhcg=="}), 401)
    _problem(api.get("/api/v1/me", headers={"Authorization": "Bearer"}), 401)
