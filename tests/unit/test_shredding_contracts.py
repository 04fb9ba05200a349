"""Crypto-shredding's declarations (pure): every event type with personal fields names a subject
and fields its registered schema has, and docs/asyncapi.yaml marks exactly those fields sealed."""
import pytest

from services.conversations import schemas as _conversations  # noqa: F401 - registers payloads
from services.identity import schemas as _identity  # noqa: F401
from services.moderation import schemas as _moderation  # noqa: F401
from services.shared.payloads import REGISTRY
from services.shared.shredding import (
    ERASED_DISPLAY_NAME,
    PERSONAL_FIELDS,
    is_sealed,
    keys_database_name,
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
