"""docs/asyncapi.yaml is a contract bank systems generate validators from: it states the
versioning rule Agora follows (optional fields and enum values added within a version, a new
`schema_version` for anything else), and a validator made from it accepts a message that
carries a field added later — the way today's messages reach a system built on an older copy."""
import jsonschema

from .contracts import asyncapi, closed_objects


def _validator(document, event_type):
    """The message's payload schema, with the document's components to resolve against."""
    return jsonschema.Draft202012Validator(
        {**document, "$ref": f"#/components/messages/{event_type}/payload"})


def test_no_schema_forbids_properties_it_does_not_name():
    document = asyncapi()
    assert closed_objects(document["components"], "components") == []


def test_a_message_with_a_field_added_later_is_still_valid():
    document = asyncapi()
    message = {
        "id": "e" * 32, "type": "conversations.message_posted", "schema_version": 1,
        "stream_id": "conversation-c1", "stream_version": 2,
        "occurred_at": "2026-12-06T18:00:00Z", "actor": "u1",
        "correlation_id": None, "causation_id": None,
        "payload": {"conversation_id": "c1", "message_id": "m1", "author_id": "u1",
                    "participant_ids": ["u1", "a1"],
                    "a_field_of_a_later_release": {"any": "shape"}},
        "an_envelope_field_of_a_later_release": True,
    }
    validator = _validator(document, "conversations.message_posted")
    assert list(validator.iter_errors(message)) == []
    # and the validator does check: a required field missing is still an error
    del message["payload"]["author_id"]
    assert [error.message for error in validator.iter_errors(message)] == [
        "'author_id' is a required property"]


def test_the_versioning_rule_and_both_virtual_hosts_are_stated():
    document = asyncapi()
    description = " ".join(document["info"]["description"].split())
    assert "new fields come with a new version" not in description
    assert "Agora may add optional payload fields and new enum values" in description
    assert "Consumers must ignore fields they do not know" in description
    assert ("when one of its payload fields is removed or renamed, changes type or meaning, or "
            "becomes required") in description
    # the changelog names the current version (each minor step says what it added)
    assert "Changelog" in description and \
        f"- {document['info']['version']}:" in document["info"]["description"]
    servers = document["servers"]
    assert "virtual host `/`" in servers["local"]["description"]
    assert "virtual host `agora`" in " ".join(servers["kubernetes"]["description"].split())
    assert "x-dead-letter-exchange" in description  # what a rejected message becomes
