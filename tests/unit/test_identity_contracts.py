"""Contracts of identity with its consumers (pure): the views the service returns fit the
gateway's response schemas (a key missing there would be silently dropped), public payloads carry
no e-mail or secret, and docs/asyncapi.yaml documents every identity event on its exchange."""
from pathlib import Path

import pytest
import yaml

from gateway.routes import identity as routes
from services.identity import domain, schemas  # noqa: F401 - registers the payloads
from services.identity.projections import advisor_view, private_profile, public_profile
from services.shared.payloads import REGISTRY

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
USER = {"_id": "u1", "display_name": "Ada", "bio": "b", "roles": ["member", "advisor"],
        "verified_customer": True, "customer": True, "joined_at": "t", "email": "a@b.example",
        "advisor": {"advisor_id": "a1", "branch": "Lyon", "assigned_at": "t"}}
ADVISOR = {"_id": "a1", "display_name": "Al", "roles": ["member", "advisor"], "joined_at": "t"}


def _keys(schema_cls) -> set[str]:
    return set(schema_cls().fields)


def test_views_fit_the_gateway_response_schemas():
    public = public_profile(USER)
    assert set(public) == _keys(routes.PublicProfile)
    private = private_profile(USER, ADVISOR)
    assert set(private) == _keys(routes.PrivateProfile)
    assert set(private["advisor"]) == _keys(routes.AdvisorAssignment)
    assert set(advisor_view(USER["advisor"], ADVISOR)) == _keys(routes.AdvisorAssignment)
    assert set(routes.PrivateProfile().dump(private)) == set(private)
    assert public["badges"] == ["bank_advisor", "verified_customer"]
    assert "email" not in public


def test_public_payloads_carry_no_contact_or_secret():
    identity_types = [t for t in REGISTRY.event_types() if t.startswith("identity.")]
    assert len(identity_types) == 14
    for event_type in identity_types:
        names = " ".join(REGISTRY.schema(event_type).fields)
        if not REGISTRY.is_private(event_type):
            for word in ("email", "password", "hash", "token", "secret"):
                assert word not in names, (event_type, word)
    for private in (domain.CONTACT_CHANGED, domain.PASSWORD_CHANGED, domain.SESSIONS_REVOKED):
        assert REGISTRY.is_private(private)


def test_asyncapi_documents_every_identity_event():
    document = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text())
    assert document["asyncapi"].startswith("2.6")
    for event_type in [t for t in REGISTRY.event_types() if t.startswith("identity.")]:
        channel = document["channels"][event_type]
        expected = "identity.private" if REGISTRY.is_private(event_type) else "identity.events"
        assert channel["bindings"]["amqp"]["exchange"]["name"] == expected, event_type
        message = document["components"]["messages"][event_type]
        payload = message["payload"]["allOf"][1]["properties"]["payload"]
        schema = REGISTRY.schema(event_type)
        assert set(payload["properties"]) == set(schema.fields), event_type
        assert set(payload["required"]) == {n for n, f in schema.fields.items() if f.required}
        assert message["payload"]["allOf"][1]["properties"]["schema_version"]["const"] == \
            REGISTRY.latest_version(event_type)


def test_the_export_fits_its_response_schema_and_holds_no_token_material():
    from datetime import UTC, datetime

    from services.identity.projections import login_view, session_view

    at = datetime(2026, 1, 2, tzinfo=UTC)
    session = session_view({"_id": "s1", "user_id": "u1", "client": "10.0.0.1", "created_at": at,
                            "refreshed_at": at, "expires_at": at, "revoked_at": None})
    login = login_view({"at": at, "outcome": "success", "client": "10.0.0.1",
                        "email": "a@b.example", "session_id": "s1"})
    assert set(session) == _keys(routes.ExportSession)
    assert set(login) == _keys(routes.ExportLogin)
    assert session["created_at"] == at.isoformat() and login["action"] == "login"
    export = {"profile": private_profile(USER, ADVISOR), "sessions": [session],
              "logins": [login], "exported_at": at.isoformat()}
    assert set(export) == _keys(routes.DataExport)
    dumped = str(routes.DataExport().dump(export))
    for word in ("hash", "token", "password"):
        assert word not in dumped


def test_the_tombstone_is_public_and_carries_no_pii():
    assert not REGISTRY.is_private(domain.USER_ERASED)
    assert set(REGISTRY.schema(domain.USER_ERASED).fields) == {"user_id", "erased_at"}
