"""Checks shared by the contract tests (test_*_contracts): what a presenter produces must be
declared in the gateway's response schema (or the gateway would silently drop it), and every
event type must be documented in docs/asyncapi.yaml as its registered schema says (its personal
fields marked as sealed)."""
from pathlib import Path
from typing import Any

import yaml

from services.shared.payloads import REGISTRY
from services.shared.shredding import PERSONAL_FIELDS

ROOT = Path(__file__).resolve().parents[2]


def schema_keys(schema_cls) -> set[str]:
    return {field.data_key or name for name, field in schema_cls().fields.items()}


def assert_declared(output: dict, schema_cls) -> None:
    assert set(output) <= schema_keys(schema_cls), set(output) - schema_keys(schema_cls)
    for name, field in schema_cls().fields.items():
        nested = getattr(field, "nested", None) or getattr(getattr(field, "inner", None),
                                                           "nested", None)
        value = output.get(field.data_key or name)
        if nested is not None and isinstance(nested, type) and value:
            for item in value if isinstance(value, list) else [value]:
                assert_declared(item, nested)


def asyncapi() -> dict[str, Any]:
    """docs/asyncapi.yaml, parsed."""
    return yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text())


def assert_documented(document: dict[str, Any], event_type: str) -> None:
    """`event_type` is on the channel of the exchange its privacy says (`<service>.private` or
    `<service>.events`), under its own operationId, with exactly the payload fields of its
    registered schema (the required ones marked) and its latest schema version."""
    service = event_type.split(".")[0]
    channel = document["channels"][event_type]
    # one operation per channel, named after it: AsyncAPI requires operationIds to be unique
    # (parsers and code generators refuse the whole document otherwise)
    assert channel["subscribe"]["operationId"] == f"on_{event_type.replace('.', '_')}", event_type
    exchange = channel["bindings"]["amqp"]["exchange"]["name"]
    assert exchange == (f"{service}.private" if REGISTRY.is_private(event_type)
                        else f"{service}.events"), event_type
    body = document["components"]["messages"][event_type]["payload"]["allOf"][1]["properties"]
    schema = REGISTRY.schema(event_type)
    assert set(body["payload"]["properties"]) == set(schema.fields), event_type
    # optional fields are added within a version (the contract's versioning rule): a consumer
    # validating against this copy must accept the next one's messages
    assert not closed_objects(body["payload"]), (event_type, closed_objects(body["payload"]))
    assert set(body["payload"]["required"]) == {
        name for name, field in schema.fields.items() if field.required}, event_type
    assert body["schema_version"]["const"] == REGISTRY.latest_version(event_type), event_type
    # the fields sealed with a member's key (crypto-shredding) are marked, and only those
    personal = PERSONAL_FIELDS.get(event_type)
    marked = {name for name, field in body["payload"]["properties"].items()
              if field.get("x-agora-sealed")}
    assert marked == set(personal.fields if personal else ()), event_type
    for name in marked:
        assert {"$ref": "#/components/schemas/SealedValue"} in body["payload"]["properties"][
            name]["oneOf"], (event_type, name)


def closed_objects(schema: Any, path: str = "payload") -> list[str]:
    """Where a schema forbids properties it does not name (`additionalProperties: false`)."""
    if isinstance(schema, list):
        return [found for n, item in enumerate(schema)
                for found in closed_objects(item, f"{path}[{n}]")]
    if not isinstance(schema, dict):
        return []
    here = [path] if schema.get("additionalProperties") is False else []
    return here + [found for key, value in schema.items()
                   for found in closed_objects(value, f"{path}.{key}")]
