"""A bank system (the CRM, with its service credential) finds the Agora id of a customer it knows
by e-mail — `GET /users?email=` as the staff do, same answer, audited the same way under
`service:<name>`, never keeping the address — then uses that id to verify the customer. A
member's own token stays refused."""
from __future__ import annotations

import uuid

from ..conftest import ROOT
from .steps import ok, problem

CLIENT = "203.0.113.41"  # the CRM's address, as the gateway's proxy hop reports it


def test_a_bank_system_finds_its_customer_by_email_and_each_lookup_is_audited(
        platform, api, mongo_client):
    admin, member = platform.admin, api.new_user()
    customer = platform.verify_email(api.new_user(customer=True))
    identity_db = mongo_client[f"{platform.db_prefix}_identity"]

    def lookup(email):
        request_id = f"crm-lookup-{uuid.uuid4().hex}"
        headers = {**platform.service_key, "X-Request-ID": request_id,
                   "X-Forwarded-For": CLIENT}
        return ok(api.get("/api/v1/users", params={"email": email}, headers=headers)), \
            request_id

    # found: the address as the CRM holds it (case, spaces), the same answer the staff get
    found, found_request = lookup(f" {customer.email.upper()}  ")
    assert [(m["id"], m["email"], m["customer"]) for m in found["items"]] == [
        (customer.id, customer.email, True)]
    assert found == ok(api.get("/api/v1/users", params={"email": customer.email}, user=admin))
    # not found: the same shape, no item
    missing, missing_request = lookup(f"nobody-{uuid.uuid4().hex[:8]}@e2e.test")
    assert missing["items"] == [] and set(missing) == set(found)

    # the id it needed: the CRM confirms the customer's badge
    verified = ok(api.put(f"/api/v1/users/{found['items'][0]['id']}/verification",
                          headers=platform.service_key, json={"verified_customer": True}))
    assert verified["badges"] == ["verified_customer"]

    # audited as a privileged read: who (the service's name), which member, never the address
    reads = {r["correlation_id"]: r for r in identity_db["privileged_reads"].find(
        {"correlation_id": {"$in": [found_request, missing_request]}})}
    assert {key: (r["actor_id"], r["actor_roles"], r["action"], r["found_user_id"])
            for key, r in reads.items()} == {
        found_request: ("service:crm", ["service"], "user_by_email", customer.id),
        missing_request: ("service:crm", ["service"], "user_by_email", None)}
    assert not any(customer.email in str(r).lower() or "nobody-" in str(r) for r in
                   reads.values())
    # the caller's address is sealed, never kept in clear
    assert all(r["client"]["subject"] == "service:crm" and CLIENT not in str(r)
               for r in reads.values())

    # members are refused, in their language; a wrong or missing credential is a 401
    refused = problem(api.get("/api/v1/users", params={"email": customer.email}, user=member),
                      403)
    assert "systèmes de la banque" in refused["detail"]
    problem(api.get("/api/v1/users", params={"email": customer.email},
                    headers={"X-Agora-Service-Key": "crm:wrong"}), 401)
    problem(api.get("/api/v1/users", params={"email": customer.email}), 401)
    assert identity_db["privileged_reads"].count_documents({"actor_id": member.id}) == 0


def test_the_readme_links_a_customer_with_the_demo_credential(platform, api):
    """As the README's bank-system sections do it, with the credential `make up` prints."""
    customer = platform.verify_email(api.new_user(customer=True))
    key = {"X-Agora-Service-Key": platform.demo_service_key}
    found = ok(api.get("/api/v1/users", params={"email": customer.email}, headers=key))
    assert [m["id"] for m in found["items"]] == [customer.id]

    readme = (ROOT / "README.md").read_text()
    intake = readme[readme.index("### A bank system: the social-listening intake"):]
    assert '"$B/users?email=member2@demo.agora" -H "X-Agora-Service-Key: $KEY"' in intake
    assert "/auth/login" not in intake.split("```")[1]  # no member's password needed
    section = readme[readme.index("### A bank system: linking customers"):]
    assert "**Initial load, then follow.**" in section and "$B/users/$M2_ID/verification" in section
