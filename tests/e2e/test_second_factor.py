"""The TOTP second factor through the gateway (issue 9, item 9): the login contract a web site
implements, staff enrolment at first login, members turning it on and off, recovery codes,
throttled codes, step-up for role and advisor changes, the admin reset of a lost device."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from services.devtools.gateway_client import TotpDevice

from ..conftest import wait_for
from .conftest import PASSWORD, User
from .steps import ok, problem


def _login(api, user: User, **extra):
    return api.post("/api/v1/auth/login", headers={"X-Forwarded-For": user.address},
                    json={"email": user.email, "password": user.password, **extra})


def _answer(api, user: User, challenge: str, code: str):
    return api.post("/api/v1/auth/login/mfa", headers={"X-Forwarded-For": user.address},
                    json={"challenge": challenge, "code": code})


def test_a_staff_login_enrols_then_asks_for_a_code_every_time(platform, api):
    advisor = api.register()
    api.grant(platform.admin, advisor, "advisor")
    first = ok(_login(api, advisor))
    assert set(first) == {"mfa_setup_required", "challenge", "expires_in"}, first
    assert first["mfa_setup_required"] is True and first["expires_in"] == 300
    enrolment = ok(api.post("/api/v1/auth/mfa/enroll", json={"challenge": first["challenge"]}))
    assert enrolment["otpauth_uri"].startswith("otpauth://totp/Agora:")
    assert len(enrolment["recovery_codes"]) == 10
    device = TotpDevice(enrolment["secret"], list(enrolment["recovery_codes"]))
    problem(_answer(api, advisor, first["challenge"], "000000"), 401)
    used = device.next_code()
    tokens = ok(_answer(api, advisor, first["challenge"], used))
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"]
    assert ok(api.get("/api/v1/me", token=tokens["access_token"]))["roles"] == [
        "member", "advisor"]
    problem(_answer(api, advisor, first["challenge"], used), 401)  # a challenge works once

    second = ok(_login(api, advisor))
    assert set(second) == {"mfa_required", "challenge", "expires_in"}, second
    assert second["mfa_required"] is True and "access_token" not in second
    problem(_answer(api, advisor, second["challenge"], used), 401)  # a code works once
    recovery = enrolment["recovery_codes"][0]
    ok(_answer(api, advisor, second["challenge"], recovery))
    third = ok(_login(api, advisor))
    problem(_answer(api, advisor, third["challenge"], recovery), 401)  # and so does a recovery code
    status = ok(api.get("/api/v1/me/mfa", token=tokens["access_token"]))
    assert status == {"enabled": True, "required": True, "enabled_at": status["enabled_at"],
                      "recovery_codes_left": 9}
    # ISO 8601, as every other timestamp of the API (attacker review s25, F10: not str())
    enabled_at = datetime.fromisoformat(status["enabled_at"])
    assert "T" in status["enabled_at"] and enabled_at.utcoffset() == timedelta(0)
    # staff cannot turn it off
    problem(api.delete("/api/v1/me/mfa", token=tokens["access_token"],
                       json={"password": PASSWORD, "code": device.current_code()}), 403)


def test_a_member_turns_the_second_factor_on_and_off(api):
    ada = api.new_user()
    assert ok(api.get("/api/v1/me/mfa", user=ada))["enabled"] is False
    enrolment = ok(api.post("/api/v1/me/mfa", user=ada), 201)
    device = TotpDevice(enrolment["secret"])
    ok(_login(api, ada))  # not on until confirmed: tokens at once
    problem(api.post("/api/v1/me/mfa/confirm", user=ada, json={"code": "123456"}), 400)
    assert ok(api.post("/api/v1/me/mfa/confirm", user=ada,
                       json={"code": device.next_code()}))["enabled"] is True
    asked = ok(_login(api, ada))
    assert asked["mfa_required"] is True and "access_token" not in asked
    ok(_answer(api, ada, asked["challenge"], device.next_code()))
    problem(api.delete("/api/v1/me/mfa", user=ada,
                       json={"password": "wrong wrong wrong", "code": "000000"}), 400)
    assert api.delete("/api/v1/me/mfa", user=ada, json={
        "password": PASSWORD, "code": device.current_code()}).status_code == 204
    assert "access_token" in ok(_login(api, ada))


def test_wrong_codes_are_throttled(api):
    ada = api.new_user()
    device = TotpDevice(ok(api.post("/api/v1/me/mfa", user=ada), 201)["secret"])
    ok(api.post("/api/v1/me/mfa/confirm", user=ada, json={"code": device.next_code()}))
    for _ in range(5):
        challenge = ok(_login(api, ada))["challenge"]
        problem(_answer(api, ada, challenge, "000000"), 401)
    challenge = ok(_login(api, ada))["challenge"]
    throttled = _answer(api, ada, challenge, device.next_code())  # even the right one waits
    assert problem(throttled, 429)["retry_after"] > 0
    assert int(throttled.headers["Retry-After"]) > 0


def _own_admin(platform, api) -> User:
    """An admin of this test only (wrong codes would throttle the shared one)."""
    email = api.unique_email("admin")
    result = platform.agora("create-admin", "--email", email, "--name", "Step Up",
                            env={"AGORA_ADMIN_PASSWORD": PASSWORD})
    assert result.returncode == 0, result.stderr
    user_id = result.stdout.split("(user ")[1].split(")")[0]
    return api.login(User(id=user_id, email=email, password=PASSWORD, display_name="Step Up"))


def test_role_and_advisor_changes_need_a_fresh_second_factor(platform, api, mongo_client):
    admin = _own_admin(platform, api)  # its session just proved its second factor
    someone = api.register()
    body = {"roles": ["community_manager"]}
    path = f"/api/v1/users/{someone.id}/roles"
    assert api.send("PUT", path, token=admin.access_token, json=body).status_code == 200
    # the same session, its second factor 10 minutes old: a code is needed now
    sessions = mongo_client[f"{platform.db_prefix}_identity"].sessions
    claims = jwt.decode(admin.access_token, options={"verify_signature": False})
    sessions.update_one({"_id": claims["sid"]}, {"$set": {
        "second_factor_at": datetime.now(UTC) - timedelta(minutes=10)}})
    refused = problem(api.send("PUT", path, token=admin.access_token, json={"roles": []}), 403)
    assert "X-Agora-TOTP" in refused["errors"]
    problem(api.send("PUT", path, token=admin.access_token, json={"roles": []},
                     headers={"X-Agora-TOTP": "000000"}), 403)
    ok(api.send("PUT", path, token=admin.access_token, json={"roles": []},
                headers={"X-Agora-TOTP": admin.device.current_code()}))
    # fresh again for the next changes of this session, advisor assignments included
    advisor, customer = api.register(), api.register(customer=True)
    ok(api.send("PUT", f"/api/v1/users/{advisor.id}/roles", token=admin.access_token,
                json={"roles": ["advisor"]}))
    ok(api.send("PUT", f"/api/v1/users/{customer.id}/advisor", token=admin.access_token,
                json={"advisor_id": advisor.id, "branch": "Lyon"}))


def test_a_session_from_before_a_staff_role_cannot_be_refreshed_into_staff_powers(platform,
                                                                                   api):
    member = api.new_user()
    ok(api.put(f"/api/v1/users/{member.id}/roles", user=platform.admin,
               json={"roles": ["community_manager"]}))
    refused = api.post("/api/v1/auth/refresh", json={"refresh_token": member.refresh_token})
    assert "second facteur" in problem(refused, 401)["detail"]  # anonymous: French


def test_an_admin_resets_a_lost_device_and_the_staff_member_enrols_again(platform, api,
                                                                        mongo_client):
    admin, cm = platform.admin, api.new_user()
    api.grant(admin, cm, "community_manager")  # logs in again: enrolled
    secret = cm.device.secret
    problem(api.delete(f"/api/v1/users/{cm.id}/mfa", user=cm), 403)
    problem(api.delete(f"/api/v1/users/{admin.id}/mfa", user=admin), 422)
    assert ok(api.delete(f"/api/v1/users/{cm.id}/mfa", user=admin)) == {
        "user_id": cm.id, "second_factor": "reset"}
    wait_for(lambda: api.get("/api/v1/me", user=cm).status_code == 401,
             message="the staff member's sessions are revoked")
    assert ok(_login(api, cm))["mfa_setup_required"] is True
    # the reset is on the record (private event, actor = the admin); no secret in any event
    events = mongo_client[f"{platform.db_prefix}_identity"].events
    commits = list(events.find({"stream_id": f"account-{cm.id}"}))
    assert any(e["type"] == "identity.mfa_disabled" and e["payload"]["reason"] == "admin_reset"
               and e["actor"] == admin.id for commit in commits for e in commit["events"])
    assert secret not in str(list(events.find({})))
    # ...and in the staff audit trail, beside roles and badges (the id only, on identity.events)
    entries = wait_for(lambda: ok(api.get("/api/v1/moderation/audit", user=admin, params={
        "target_id": cm.id, "action": "reset_second_factor"}))["items"], timeout=20,
        message="the reset in the staff audit trail")
    assert entries[0]["actor_id"] == admin.id and entries[0]["target_type"] == "user"
    stored = mongo_client[f"{platform.db_prefix}_identity"].mfa.find_one({"_id": admin.id})
    assert stored and admin.device.secret not in str(stored)  # encrypted at rest


def test_a_secret_the_servers_key_cannot_open_is_an_operators_problem_said_as_such(
        platform, api, mongo_client):
    """A staff member's TOTP secret sealed with another key (the key file or Secret replaced or
    lost, a database restored beside another installation's keys) answered 502 "a bug in the
    service", and only identity's log said why. It is a 503 now, and the gateway's own log line
    names the cause for the SRE who follows the runbook from the 5xx alert."""
    from services.identity import mfa

    advisor = api.register()
    api.grant(platform.admin, advisor, "advisor")
    first = ok(_login(api, advisor))
    enrolment = ok(api.post("/api/v1/auth/mfa/enroll", json={"challenge": first["challenge"]}))
    device = TotpDevice(enrolment["secret"], list(enrolment["recovery_codes"]))
    ok(_answer(api, advisor, first["challenge"], device.next_code()))
    elsewhere = mfa.SecretBox(mfa.SecretBox.generate_key()).seal(enrolment["secret"])
    mongo_client[f"{platform.db_prefix}_identity"].mfa.update_one(
        {"_id": advisor.id}, {"$set": {"secret": elsewhere}})

    second = ok(_login(api, advisor))
    refused = problem(_answer(api, advisor, second["challenge"], device.next_code()), 503)
    assert "AGORA_MFA_KEY" not in str(refused)  # the client is told to retry, not the key
    wait_for(lambda: "503 (Misconfigured)" in platform.processes["gateway"].tail(200)
             and "AGORA_MFA_KEY" in platform.processes["gateway"].tail(200),
             timeout=10, message="the gateway's log names the cause")
