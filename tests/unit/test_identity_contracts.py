"""Contracts of identity with its consumers (pure): the views the service returns fit the
gateway's response schemas (a key missing there would be silently dropped), public payloads carry
no e-mail or secret, and docs/asyncapi.yaml documents every identity event on its exchange."""

import pytest

from gateway.routes import identity as routes
from gateway.routes.export import IdentityExport
from services.identity import domain, schemas  # noqa: F401 - registers the payloads
from services.identity.presenters import advisor_view, private_profile, public_profile
from services.shared.payloads import REGISTRY

from .contracts import assert_documented, asyncapi, schema_keys

pytestmark = pytest.mark.unit

USER = {"_id": "u1", "display_name": "Ada", "bio": "b", "roles": ["member", "advisor"],
        "verified_customer": True, "customer": True, "joined_at": "t", "email": "a@b.example",
        "advisor": {"advisor_id": "a1", "branch": "Lyon", "assigned_at": "t"}}
ADVISOR = {"_id": "a1", "display_name": "Al", "roles": ["member", "advisor"], "joined_at": "t"}


def test_views_fit_the_gateway_response_schemas():
    public = public_profile(USER)
    assert set(public) == schema_keys(routes.PublicProfile)
    private = private_profile(USER, ADVISOR)
    assert set(private) == schema_keys(routes.PrivateProfile)
    assert set(private["advisor"]) == schema_keys(routes.AdvisorAssignment)
    assert set(advisor_view(USER["advisor"], ADVISOR)) == schema_keys(routes.AdvisorAssignment)
    assert set(routes.PrivateProfile().dump(private)) == set(private)
    assert public["badges"] == ["bank_advisor", "verified_customer"]
    assert "email" not in public


def test_public_payloads_carry_no_contact_or_secret():
    identity_types = [t for t in REGISTRY.event_types() if t.startswith("identity.")]
    assert len(identity_types) == 20
    for event_type in identity_types:
        names = " ".join(REGISTRY.schema(event_type).fields)
        if not REGISTRY.is_private(event_type):
            for word in ("email", "password", "hash", "token", "secret"):
                assert word not in names, (event_type, word)
    for private in (domain.CONTACT_CHANGED, domain.PASSWORD_CHANGED, domain.SESSIONS_REVOKED,
                    domain.PASSWORD_RESET_REQUESTED, domain.RECOVERY_CODE_USED,
                    domain.EMAIL_VERIFICATION_REQUESTED, domain.EMAIL_VERIFIED):
        assert REGISTRY.is_private(private)


def test_asyncapi_documents_every_identity_event():
    document = asyncapi()
    assert document["asyncapi"].startswith("2.6")
    for event_type in [t for t in REGISTRY.event_types() if t.startswith("identity.")]:
        assert_documented(document, event_type)


def test_the_export_fits_its_response_schema_and_holds_no_token_material():
    from datetime import UTC, datetime

    from services.identity.presenters import login_view, session_view

    at = datetime(2026, 1, 2, tzinfo=UTC)
    session = session_view({"_id": "s1", "user_id": "u1", "client": "10.0.0.1", "created_at": at,
                            "refreshed_at": at, "expires_at": at, "revoked_at": None})
    login = login_view({"at": at, "outcome": "success", "client": "10.0.0.1",
                        "email": "a@b.example", "session_id": "s1"})
    assert set(session) == schema_keys(routes.ExportSession)
    assert set(login) == schema_keys(routes.ExportLogin)
    assert session["created_at"] == at.isoformat() and login["action"] == "login"
    export = {"profile": private_profile(USER, ADVISOR), "sessions": [session],
              "logins": [login]}
    assert set(export) == schema_keys(IdentityExport)
    dumped = str(IdentityExport().dump(export))
    for word in ("hash", "token", "password"):
        assert word not in dumped


def test_the_tombstone_is_public_and_carries_no_pii():
    assert not REGISTRY.is_private(domain.USER_ERASED)
    assert set(REGISTRY.schema(domain.USER_ERASED).fields) == {"user_id", "erased_at"}
