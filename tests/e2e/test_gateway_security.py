"""Security properties of the gateway seen from outside: ids of another kind never reach a
store, responses are not cached and not sniffed, probes never look at credentials."""
from __future__ import annotations

import json
import uuid

import pytest

from services.shared import ids

from ..conftest import wait_for
from .steps import ok, problem, staff, submit, visible


@pytest.fixture(scope="module")
def published_post(platform):
    api = platform.api
    author = api.new_user()
    post = submit(api, author, title="Is my savings account taxed?",
                  body="I would like to know how interest is taxed.")
    visible(api, post["id"])
    reply = ok(api.post(f"/api/v1/posts/{post['id']}/replies", user=author,
                        json={"body": "Same question for a joint account."}), 201)
    wait_for(lambda: api.get(f"/api/v1/replies/{reply['id']}").status_code == 200,
             timeout=20, message="reply published")
    return post["id"], reply["id"], author


def test_ids_naming_another_stream_are_404_never_502(platform, api, published_post):
    post_id, reply_id, author = published_post
    voter, cm = api.new_user(), staff(platform)
    other_kinds = [f"{post_id}.r1", f"{post_id}.flags", f"vote.{post_id}.{voter.id}",
                   f"{reply_id}.r1", f"user-{author.id}", f"conv-{uuid.uuid4().hex}",
                   post_id.upper(), f"{post_id}x", "policy", f"member.{author.id}"]
    for wrong in other_kinds:
        for method, path, user, body in [
                ("PUT", f"/api/v1/posts/{wrong}/vote", voter, None),
                ("PUT", f"/api/v1/replies/{wrong}/vote", voter, None),
                ("GET", f"/api/v1/posts/{wrong}", None, None),
                ("GET", f"/api/v1/replies/{wrong}/history", None, None),
                ("POST", f"/api/v1/posts/{wrong}/replies", voter, {"body": "hello there"}),
                ("POST", f"/api/v1/posts/{wrong}/flags", voter, {"reason": "spam"}),
                ("POST", f"/api/v1/replies/{wrong}/flags", voter, {"reason": "spam"}),
                ("PUT", f"/api/v1/me/watching/{wrong}", voter, None),
                ("PUT", f"/api/v1/me/following/{wrong}", voter, None),
                ("GET", f"/api/v1/users/{wrong}", None, None),
                ("GET", f"/api/v1/users/{wrong}/activity", None, None),
                ("GET", f"/api/v1/conversations/{wrong}", voter, None),
                ("POST", f"/api/v1/posts/{post_id}/merge-into/{wrong}", cm, None),
                ("PUT", f"/api/v1/users/{wrong}/roles", platform.admin, {"roles": []}),
                ("GET", f"/api/v1/moderation/members/{wrong}/notes", cm, None),
                ("POST", f"/api/v1/moderation/items/{wrong}/decision", cm,
                 {"decision": "approve"})]:
            if "/moderation/items/" in path and ids.MODERATION_ITEM.matches(wrong):
                continue  # `<post>.r1` is what a review item is called
            response = api.request(method, path, user=user, json=body)
            problem(response, 404)
    # the real ones still work, and a moderation item id is exactly `<target>.r<n>|.flags`
    ok(api.put(f"/api/v1/posts/{post_id}/vote", user=voter))
    ok(api.put(f"/api/v1/replies/{reply_id}/vote", user=voter))
    problem(api.get(f"/api/v1/moderation/items/{post_id}.r1", user=cm), 404)  # approved: gone
    problem(api.put(f"/api/v1/users/{author.id}/advisor", user=platform.admin,
                    json={"advisor_id": f"user-{cm.id}", "branch": "Lyon"}), 400)


def test_openapi_documents_the_shape_of_every_path_id(api):
    document = ok(api.get("/api/v1/openapi.json"))
    for path, operations in document["paths"].items():
        for operation in operations.values():
            for parameter in operation["parameters"]:
                if parameter["in"] == "path":
                    assert parameter["schema"].get("pattern"), (path, parameter)


# -- headers ------------------------------------------------------------------------------------

def test_tokens_and_personal_data_are_never_cached_and_nothing_is_sniffed(platform, api):
    user = api.register()
    login = api.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    assert login.status_code == 200
    api.login(user)
    answers = {
        "login": login,
        "refresh": api.post("/api/v1/auth/refresh",
                            json={"refresh_token": user.refresh_token}),
        "me": api.get("/api/v1/me", user=user),
        "export": api.get("/api/v1/me/export", user=user),
        "profile (authenticated)": api.get(f"/api/v1/users/{user.id}", user=user),
        "public list": api.get("/api/v1/posts"),
        "problem": api.get("/api/v1/posts/p0000000000000000000a"),
        "unknown path": api.get("/api/v1/nowhere"),
        "preflight": api.request("OPTIONS", "/api/v1/posts",
                                 headers={"Origin": "http://elsewhere.test",
                                          "Access-Control-Request-Method": "POST"}),
        "healthz": api.get("/healthz"),
    }
    for name, response in answers.items():
        assert response.headers.get("X-Content-Type-Options") == "nosniff", name
        assert response.headers.get("Cache-Control") == "no-store", name


def test_probes_never_look_at_credentials_and_public_routes_refuse_a_bad_token(api):
    forged = {"Authorization": "Bearer not.a.token"}
    for probe in ("/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"):
        assert api.get(probe, headers=forged).status_code == 200, probe
    refused = api.get("/api/v1/posts", headers=forged)
    problem(refused, 401)
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.get("/api/v1/posts").status_code == 200  # without a token: the anonymous view
    document = ok(api.get("/api/v1/openapi.json"))
    listing = document["paths"]["/api/v1/posts"]["get"]
    assert "refresh it" in listing["responses"]["401"]["description"]
    health = document["paths"]["/healthz"]["get"]
    assert health["security"] == [] and "401" not in health["responses"]


# -- security events and the staff trail ----------------------------------------------------

def security_lines(platform, request_id):
    lines = []
    for line in platform.processes["gateway"].log_path.read_text(errors="replace").splitlines():
        if request_id in line and '"agora.security"' in line:
            lines.append(json.loads(line))
    return lines


def test_refused_requests_are_security_events_without_secrets(platform, api):
    member = api.new_user()
    cases = [
        ("forged token", "GET", "/api/v1/me", {"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."},
         None, 401, "authentication_failed", None),
        ("wrong password", "POST", "/api/v1/auth/login", {},
         {"email": member.email, "password": "not-my-password-42"}, 401,
         "authentication_failed", None),
        ("member on an admin route", "PUT", f"/api/v1/users/{member.id}/roles",
         member.headers, {"roles": ["admin"]}, 403, "authorization_failed", member.id),
    ]
    for name, method, path, headers, body, status, kind, actor_id in cases:
        request_id = f"sec-{uuid.uuid4().hex}"
        response = api.request(method, path, json=body,
                               headers={**headers, "X-Request-ID": request_id})
        assert response.status_code == status, (name, response.text)
        [line] = wait_for(lambda rid=request_id: security_lines(platform, rid), timeout=10,
                          message=f"security event for {name}")
        assert line["security_event"] == kind and line["status"] == status, name
        assert line["actor_id"] == actor_id and line["client"] and line["reason"], name
        assert line["method"] == method and line["route"].startswith("/api/v1/"), name
        text = json.dumps(line)
        for secret in ("eyJhbGciOiJub25lIn0", "not-my-password-42", member.access_token):
            assert secret not in text, name


def test_privileged_changes_by_admins_are_in_the_staff_audit_trail(platform, api):
    admin, cm = platform.admin, staff(platform)
    customer, advisor = api.new_user(customer=True), api.new_user()
    api.grant(admin, advisor, "advisor")
    ok(api.put(f"/api/v1/users/{customer.id}/verification", user=admin,
               json={"verified_customer": True}))
    ok(api.put(f"/api/v1/users/{customer.id}/advisor", user=admin,
               json={"advisor_id": advisor.id, "branch": "Lille Grand-Place"}))

    def trail(user, target):
        return ok(api.get("/api/v1/moderation/audit", user=user,
                          params={"target_id": target}))["items"]
    entries = wait_for(lambda: len(trail(admin, customer.id)) >= 2 and trail(admin, customer.id),
                       timeout=20, message="customer changes in the trail")
    assert {(e["action"], e["actor_id"]) for e in entries} >= {
        ("grant_badge", admin.id), ("assign_advisor", admin.id)}
    assign = next(e for e in entries if e["action"] == "assign_advisor")
    assert assign["target_type"] == "user" and assign["after"] == {
        "advisor_id": advisor.id, "branch": "Lille Grand-Place"}
    granted = wait_for(lambda: trail(cm, advisor.id), timeout=20, message="role in the trail")
    assert [(e["action"], e["actor_id"], e["after"]) for e in granted] == [
        ("grant_role", admin.id, {"role": "advisor"})]
    problem(api.get("/api/v1/moderation/audit", user=customer), 403)
