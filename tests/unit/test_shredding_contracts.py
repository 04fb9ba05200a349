"""Crypto-shredding without infrastructure: sealing and opening with the in-memory key store
(tampering, another member or field, a shredded key, payloads and envelopes); every event type
with personal fields names a subject and fields its registered schema has, and
docs/asyncapi.yaml marks exactly those fields sealed."""
import base64
import json

import pytest

from services.conversations import schemas as _conversations  # noqa: F401 - registers payloads
from services.identity import schemas as _identity  # noqa: F401
from services.moderation import schemas as _moderation  # noqa: F401
from services.shared.envelope import CommandContext, Envelope, NewEvent
from services.shared.payloads import REGISTRY
from services.shared.shredding import (
    ERASED_DISPLAY_NAME,
    PERSONAL_FIELDS,
    InMemoryKeys,
    SealBroken,
    is_sealed,
    keys_database_name,
    seal_payload,
    unseal_envelope,
)

from .contracts import assert_documented, asyncapi

pytestmark = pytest.mark.unit
AGORA_TYPES = sorted(t for t in PERSONAL_FIELDS if REGISTRY.knows(t) and not t.startswith(
    ("demo.", "ledger.", "bench")))


def test_the_personal_fields_of_identity_and_moderation_are_declared():
    assert set(AGORA_TYPES) >= {"identity.user_registered", "identity.profile_updated",
                                "identity.contact_changed", "moderation.member_noted"}
    assert PERSONAL_FIELDS["identity.user_registered"].fields == {
        "display_name": ERASED_DISPLAY_NAME}
    assert set(PERSONAL_FIELDS["identity.profile_updated"].fields) == {"display_name", "bio"}


@pytest.mark.parametrize("event_type", AGORA_TYPES)
def test_a_declaration_fits_its_schema_and_its_documentation(event_type):
    personal = PERSONAL_FIELDS[event_type]
    schema_fields = REGISTRY.schema(event_type).fields
    assert personal.subject in schema_fields and personal.subject not in personal.fields
    assert set(personal.fields) <= set(schema_fields)
    assert_documented(asyncapi(), event_type)


def test_sealed_values_are_told_apart_from_plain_ones():
    assert is_sealed({"sealed": "v1", "subject": "u1", "nonce": "n", "data": "d"})
    assert is_sealed({"sealed": "v1", "subject": "u1", "erased": True})
    for plain in ("Ada", None, ["v1"], {"sealed": "v2", "subject": "u1"}, {"sealed": "v1"}):
        assert not is_sealed(plain)


def test_the_key_store_lives_beside_the_services_databases():
    assert keys_database_name("agora_identity", "identity") == "agora_keys"
    assert keys_database_name("t9_3_feeds", "feeds") == "t9_3_keys"
    assert keys_database_name("scratch", "ledger") == "scratch_keys"


CONTEXT = "identity.profile_updated.bio"


def test_a_sealed_value_opens_with_its_members_key_only_in_its_place():
    keys = InMemoryKeys()
    sealed = keys.seal("u1", "likes engines", CONTEXT)
    assert "likes engines" not in json.dumps(sealed)
    assert keys.unseal(sealed, CONTEXT) == "likes engines"
    keys.key_for("u2")
    with pytest.raises(SealBroken):  # moved to another member
        keys.unseal({**sealed, "subject": "u2"}, CONTEXT)
    with pytest.raises(SealBroken):  # moved to another field
        keys.unseal(sealed, "identity.profile_updated.display_name")
    data = bytearray(base64.b64decode(sealed["data"]))
    data[3] ^= 0x40
    with pytest.raises(SealBroken):  # altered
        keys.unseal({**sealed, "data": base64.b64encode(bytes(data)).decode()}, CONTEXT)


def test_once_shredded_every_copy_opens_to_the_placeholder():
    keys = InMemoryKeys()
    copies = [keys.seal("u1", "likes engines", CONTEXT) for _ in range(3)]
    keys.shred("u1")
    assert [keys.unseal(copy, CONTEXT, placeholder="") for copy in copies] == ["", "", ""]
    assert keys.seal("u1", "again", CONTEXT) == {"sealed": "v1", "subject": "u1", "erased": True}
    assert keys.key_for("u1") is None and keys.is_shredded("u1")


def test_an_envelope_is_sealed_and_opened_field_by_field():
    keys = InMemoryKeys()
    envelope = Envelope.new(NewEvent("identity.profile_updated", {
        "user_id": "u1", "display_name": "Ada", "bio": "likes engines", "language": "en"}),
        stream_id="user-u1", stream_version=2, context=CommandContext())
    sealed = envelope.with_payload(seal_payload(keys, envelope.type, envelope.payload), 2)
    assert [name for name, value in sealed.payload.items() if is_sealed(value)] == [
        "display_name", "bio"]
    assert sealed.payload["user_id"] == "u1" and sealed.payload["language"] == "en"
    assert unseal_envelope(keys, sealed).payload == envelope.payload
    keys.shred("u1")
    assert unseal_envelope(keys, sealed).payload == {
        "user_id": "u1", "display_name": ERASED_DISPLAY_NAME, "bio": "", "language": "en"}
    assert unseal_envelope(keys, envelope) is envelope  # plain (older) values pass through
