"""What another bank system sees: a pika consumer bound to the identity exchange, as a CRM would.
Personal fields arrive sealed with the member's key (crypto-shredding): a bank system reads the
public facts, Agora's own consumers open the rest through the kit."""
import json
import uuid

import pytest

from services.shared.envelope import Envelope
from services.shared.shredding import SubjectKeys, is_sealed, unseal_envelope

from ..conftest import wait_for
from .clients import Subscriber
from .conftest import PASSWORD


@pytest.fixture
def crm(platform):
    subscriber = Subscriber(platform.amqp_uri, "identity.events")
    yield subscriber
    subscriber.close()


@pytest.fixture
def private(platform):
    subscriber = Subscriber(platform.amqp_uri, "identity.private")
    yield subscriber
    subscriber.close()


def member_keys(platform, mongo_client) -> SubjectKeys:
    return SubjectKeys.in_database(mongo_client[f"{platform.db_prefix}_keys"])


def test_an_external_consumer_receives_user_registered(api, crm):
    email = api.unique_email("crm")
    request_id = "crm-test-" + uuid.uuid4().hex[:8]
    response = api.post("/api/v1/auth/register", headers={"X-Request-ID": request_id}, json={
        "email": email, "password": PASSWORD, "display_name": "Grace Hopper", "customer": True})
    assert response.status_code == 202
    user_id = api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}
                       ).json()["user_id"]
    _, properties, envelope = wait_for(
        lambda: crm.find(lambda item: item[2]["payload"].get("user_id") == user_id
                         and item[0] == "identity.user_registered"),
        message="identity.user_registered on identity.events")
    assert envelope["type"] == "identity.user_registered"
    assert is_sealed(envelope["payload"]["display_name"])  # personal: not readable outside
    assert "Grace Hopper" not in json.dumps(envelope)
    assert envelope["payload"]["customer"] is True
    assert envelope["stream_id"] == f"user-{user_id}" and envelope["stream_version"] == 1
    assert envelope["correlation_id"] == request_id  # the gateway's request id, end to end
    assert properties.message_id == envelope["id"] and properties.delivery_mode == 2
    assert properties.content_type == "application/json"


def test_public_events_carry_no_email_or_password_material(api, crm, private, platform,
                                                           mongo_client):
    ada = api.new_user(customer=True)
    api.patch("/api/v1/me", user=ada, json={"bio": "hello"})
    api.post("/api/v1/me/password", user=ada, json={
        "current_password": ada.password, "new_password": "a different long passphrase"})
    wait_for(lambda: private.find(lambda item: item[0] == "identity.sessions_revoked"
                                  and item[2]["payload"]["user_id"] == ada.id),
             message="private session event")
    public = [item for item in crm.drain() if item[2]["payload"].get("user_id") == ada.id]
    assert {key for key, _, _ in public} >= {"identity.user_registered",
                                             "identity.profile_updated"}
    # every stream on the public exchange is complete: no version gap left by private facts
    versions = sorted(e["stream_version"] for _, _, e in public
                      if e["stream_id"] == f"user-{ada.id}")
    assert versions == list(range(1, len(versions) + 1)) and len(versions) >= 2
    assert {e["stream_id"] for _, _, e in public} == {f"user-{ada.id}"}
    text = json.dumps([envelope for _, _, envelope in public]).lower()
    assert ada.email.lower() not in text
    for secret_word in ("password", "hash", "argon", "token", ada.password):
        assert secret_word not in text.replace("identity.password_changed", "")
    assert not any(key in ("identity.contact_changed", "identity.password_changed",
                           "identity.sessions_revoked") for key, _, _ in public)
    contact = private.find(lambda item: item[0] == "identity.contact_changed"
                           and item[2]["payload"]["user_id"] == ada.id)
    assert ada.email not in json.dumps(contact[2])  # sealed on the private exchange too
    opened = unseal_envelope(member_keys(platform, mongo_client), Envelope.from_dict(contact[2]))
    assert opened.payload["email"] == ada.email
