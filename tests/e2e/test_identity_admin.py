"""Roles, badges, advisors and verification: who may do what, through the gateway."""
from services.devtools import demo_seed
from services.devtools.gateway_client import TotpDevice
from services.identity.domain import REGISTRATION_ATTEMPTED

from .conftest import PASSWORD


def _status(response, status):
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def test_a_member_calling_admin_routes_is_403(api):
    ada, bob = api.new_user(), api.new_user()
    _status(api.put(f"/api/v1/users/{bob.id}/roles", user=ada, json={"roles": ["admin"]}), 403)
    _status(api.put(f"/api/v1/users/{ada.id}/roles", user=ada, json={"roles": ["admin"]}), 403)
    _status(api.put(f"/api/v1/users/{bob.id}/verification", user=ada,
                    json={"verified_customer": True}), 403)
    _status(api.put(f"/api/v1/users/{bob.id}/advisor", user=ada,
                    json={"advisor_id": ada.id, "branch": "Lyon"}), 403)
    assert "admin" not in api.get("/api/v1/me", user=ada).json()["roles"]


def test_create_admin_from_the_command_line(platform, api):
    email = api.unique_email("cli-admin")
    weak = platform.agora("create-admin", "--email", email, "--name", "Weak Admin",
                          input="password\n")
    assert weak.returncode != 0 and "password" in weak.stderr
    created = platform.agora("create-admin", "--email", email, "--name", "Cli Admin",
                             input=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    again = platform.agora("create-admin", "--email", email, "--name", "Cli Admin",
                           input=PASSWORD + "\n")
    assert again.returncode == 0 and "already exists" in again.stdout
    first = api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
    assert first["mfa_setup_required"] is True and "access_token" not in first  # staff: TOTP
    response, _ = api.log_in(email, PASSWORD)  # enrols, then answers with the first code
    tokens = response.json()
    me = api.get("/api/v1/me", token=tokens["access_token"]).json()
    assert me["roles"] == ["member", "admin"]


def test_admin_grants_roles_and_the_advisor_badge_follows(platform, api):
    admin, advisor = platform.admin, api.new_user(display_name="Alice Arnaud")
    profile = _status(api.put(f"/api/v1/users/{advisor.id}/roles", user=admin,
                              json={"roles": ["advisor"]}), 200)
    assert profile["roles"] == ["member", "advisor"] and profile["badges"] == ["bank_advisor"]
    assert api.get(f"/api/v1/users/{advisor.id}").json()["badges"] == ["bank_advisor"]
    api.login(advisor)
    assert "advisor" in api.get("/api/v1/me", user=advisor).json()["roles"]
    # unknown roles and taking one's own admin role away are refused
    _status(api.put(f"/api/v1/users/{advisor.id}/roles", user=admin, json={"roles": ["god"]}),
            400)
    _status(api.put(f"/api/v1/users/{admin.id}/roles", user=admin, json={"roles": []}), 422)
    _status(api.put("/api/v1/users/nobody/roles", user=admin, json={"roles": []}), 404)


def test_revoking_a_role_ends_the_sessions_that_carry_it(platform, api):
    from ..conftest import wait_for

    admin, cm = platform.admin, api.new_user()
    api.grant(admin, cm, "community_manager")
    _status(api.put(f"/api/v1/users/{cm.id}/roles", user=admin, json={"roles": []}), 200)
    wait_for(lambda: api.get("/api/v1/me", user=cm).status_code == 401,
             message="token with the revoked role refused")
    api.login(cm)
    assert api.get("/api/v1/me", user=cm).json()["roles"] == ["member"]


def test_advisor_assignment_by_admin_and_by_bank_system(platform, api):
    admin = platform.admin
    advisor = api.new_staff(admin, "advisor", display_name="Bernard Advisor")
    customer = api.new_user(customer=True)
    prospect = api.new_user(customer=False)

    _status(api.get("/api/v1/me/advisor", user=customer), 404)
    assigned = _status(api.put(f"/api/v1/users/{customer.id}/advisor", user=admin,
                               json={"advisor_id": advisor.id, "branch": "Paris Opéra"}), 200)
    assert assigned["advisor"]["id"] == advisor.id and assigned["branch"] == "Paris Opéra"
    mine = _status(api.get("/api/v1/me/advisor", user=customer), 200)
    assert mine["advisor"]["display_name"] == "Bernard Advisor"
    assert mine["advisor"]["badges"] == ["bank_advisor"] and mine["branch"] == "Paris Opéra"
    assert api.get("/api/v1/me", user=customer).json()["advisor"]["advisor"]["id"] == advisor.id

    # rules: the advisor must be an advisor, the person a customer
    _status(api.put(f"/api/v1/users/{customer.id}/advisor", user=admin,
                    json={"advisor_id": prospect.id, "branch": "Lyon"}), 422)
    _status(api.put(f"/api/v1/users/{prospect.id}/advisor", user=admin,
                    json={"advisor_id": advisor.id, "branch": "Lyon"}), 422)

    # a bank system with its service credential (no user token)
    other = api.new_user(customer=True)
    _status(api.put(f"/api/v1/users/{other.id}/advisor", headers=platform.service_key,
                    json={"advisor_id": advisor.id, "branch": "Lille"}), 200)
    assert api.get("/api/v1/me/advisor", user=other).json()["branch"] == "Lille"
    _status(api.put(f"/api/v1/users/{other.id}/advisor",
                    headers={"X-Agora-Service-Key": "crm:wrong"},
                    json={"advisor_id": advisor.id, "branch": "Lille"}), 401)
    # a service credential opens only the routes that allow it
    _status(api.put(f"/api/v1/users/{other.id}/roles", headers=platform.service_key,
                    json={"roles": ["admin"]}), 403)


def test_verified_customer_badge(platform, api):
    member = api.new_user(customer=True)
    assert api.get(f"/api/v1/users/{member.id}").json()["badges"] == []
    verified = _status(api.put(f"/api/v1/users/{member.id}/verification",
                               headers=platform.service_key, json={"verified_customer": True}),
                       200)
    assert verified["badges"] == ["verified_customer"]
    me = api.get("/api/v1/me", user=member).json()
    assert me["verified_customer"] is True and me["customer"] is True
    _status(api.put(f"/api/v1/users/{member.id}/verification", user=platform.admin,
                    json={"verified_customer": False}), 200)
    assert api.get(f"/api/v1/users/{member.id}").json()["badges"] == []


def test_seed_demo_is_idempotent_and_assigns_member1_to_advisor1(platform, api, mongo_client):
    identity = mongo_client[f"{platform.db_prefix}_identity"]

    def what_a_rerun_must_not_add():
        """Registration attempts (counted against the address: 429 past the limit), the
        security notices a registration of a taken address sends its owner, and wrong
        second-factor codes (a used time step is one; five lock a staff account's logins)."""
        return (identity.registration_attempts.count_documents({}),
                identity.events.count_documents({"events.type": REGISTRATION_ATTEMPTED}),
                identity.mfa_failures.count_documents({}))

    counts = []
    for _ in range(3):  # `make up`, again and again, seconds apart
        result = platform.agora("seed-demo", "--gateway", platform.base_url, timeout=180)
        assert result.returncode == 0, result.stdout + result.stderr
        counts.append(what_a_rerun_must_not_add())
    assert counts[2] == counts[1] == counts[0]
    member1 = api.post("/api/v1/auth/login", json={"email": "member1@demo.agora",
                                                   "password": "agora-demo-2026"}).json()
    advisor = api.get("/api/v1/me/advisor", token=member1["access_token"]).json()
    assert advisor["advisor"]["badges"] == ["bank_advisor"]
    # demo staff log in with the printed local demo TOTP secret
    asked = api.post("/api/v1/auth/login", json={"email": "admin@demo.agora",
                                                 "password": "agora-demo-2026"}).json()
    assert asked["mfa_required"] is True and "access_token" not in asked
    response, _ = api.log_in("admin@demo.agora", "agora-demo-2026",
                             TotpDevice(demo_seed.DEMO_TOTP_SECRET))
    admin = response.json()
    assert "admin" in api.get("/api/v1/me", token=admin["access_token"]).json()["roles"]
    refused = platform.agora("seed-demo", "--gateway", platform.base_url,
                             env={"AGORA_ENVIRONMENT": "production"})
    assert refused.returncode == 2


def test_a_role_change_tells_the_member_why_they_are_signed_out(platform, api):
    """An admin taking a role away ends the member's sessions (identity's reason
    `roles_changed`): the API's 401 and the site's notice say so, in the member's language."""
    import requests

    from ..conftest import wait_for

    admin = platform.admin
    french, english = api.new_user(), api.new_user()
    assert _status(api.patch("/api/v1/me", user=english, json={"language": "en"}), 200)
    for user in (french, english):
        api.grant(admin, user, "advisor")  # signs in again: the token carries the language
    tokens = {user.id: (user.access_token, user.refresh_token) for user in (french, english)}
    for user in (french, english):
        _status(api.put(f"/api/v1/users/{user.id}/roles", user=admin, json={"roles": []}), 200)

    for user, detail in ((french, "vos rôles ont changé : reconnectez-vous"),
                         (english, "your roles changed: sign in again")):
        access, refresh = tokens[user.id]

        def refused_with(access=access):
            response = api.send("GET", "/api/v1/me", token=access)
            return response.status_code == 401 and response.json()

        refused = wait_for(refused_with, timeout=20,
                           message="the access token of the changed roles refused")
        assert (refused["reason"], refused["detail"]) == ("roles_changed", detail)
        # the refresh token says it too (anonymous: the request's language)
        again = api.send("POST", "/api/v1/auth/refresh", json={"refresh_token": refresh},
                         headers={"Accept-Language": "en"})
        assert again.status_code == 401, again.text
        assert (again.json()["reason"], again.json()["detail"]) == (
            "roles_changed", "your roles changed: sign in again")

    # the site: a page opened with the revoked access cookie (in the member's language, which
    # the ended session still tells), and the session's refresh
    access, refresh = tokens[english.id]
    page = requests.get(api.base_url + "/", cookies={"agora_at": access}, timeout=30)
    assert page.status_code == 200
    assert "You were signed out because your roles changed" in page.text
    access, refresh = tokens[french.id]
    refreshed = requests.post(api.base_url + "/session/refresh", cookies={"agora_rt": refresh},
                              timeout=30)
    assert refreshed.status_code == 401 and refreshed.cookies.get("agora_notice") == \
        "roles_changed"
    page = requests.get(api.base_url + "/", cookies={"agora_notice": "roles_changed"},
                        headers={"Accept-Language": "fr"}, timeout=30)
    assert "Vous avez été déconnecté·e car vos rôles ont changé" in page.text
