"""gateway/dumping.py answers exactly what marshmallow's dump answers, for every response schema
of the API, on full, partial, null and over-full dicts (what services send back)."""
from __future__ import annotations

import datetime
import itertools

import pytest
from marshmallow import Schema, fields, post_dump

from gateway import dumping
from gateway.calls import READER_LANGUAGE
from gateway.http import routes_of
from gateway.service import GatewayService

pytestmark = pytest.mark.unit

_counter = itertools.count()


def sample(schema: Schema, variant: str, depth: int = 0) -> dict:
    """A dict for `schema`: every declared field ("full"), none ("empty"), every one None
    ("nulls"), every other one ("partial") — with undeclared keys too."""
    out = {"undeclared": "never answered", "items_count": 3}
    for n, (name, field) in enumerate(schema.dump_fields.items()):
        key = field.attribute or name
        if variant == "empty" or (variant == "partial" and n % 2):
            continue
        out[key] = None if variant == "nulls" else value(field, depth)
    return out


def value(field: fields.Field, depth: int):
    n = next(_counter)
    if isinstance(field, fields.Nested):
        if depth > 3:
            return None
        one = sample(field.schema, "full" if n % 3 else "partial", depth + 1)
        return [one, sample(field.schema, "nulls", depth + 1)] if field.many else one
    if isinstance(field, fields.List):
        return [value(field.inner, depth), value(field.inner, depth)]
    if isinstance(field, fields.Boolean):
        return (True, False, 1, 0, "yes")[n % 5]
    if isinstance(field, fields.Integer):
        return (n, str(n), 2.0)[n % 3]
    if isinstance(field, fields.Float):
        return (n / 3, n)[n % 2]
    if isinstance(field, fields.DateTime):
        return datetime.datetime(2026, 12, 2, 1, 2, 3, tzinfo=datetime.UTC)
    if isinstance(field, fields.Dict):
        return {"fr": f"texte {n}", "en": f"text {n}"}
    if isinstance(field, fields.String):
        return (f"text {n}", n, "")[n % 3]
    return {"raw": n}


def outcome(dump, schema: Schema, document, **options):
    """What a dump gives: its result, or the error it raises (a missing `items` key makes
    marshmallow read the dict's method `items`: both must fail alike)."""
    try:
        return dump(schema, document, **options)
    except Exception as error:  # the comparison is the point
        return type(error)


def response_schemas() -> list[tuple[str, Schema]]:
    return [(f"{spec.method} {spec.path}", spec.response) for spec in routes_of(GatewayService)
            if spec.response is not None]


@pytest.mark.parametrize("variant", ["full", "partial", "nulls", "empty"])
def test_every_response_schema_dumps_the_same(variant):
    token = READER_LANGUAGE.set("fr")
    try:
        schemas = response_schemas()
        assert len(schemas) > 50  # the API's routes were found
        for route, schema in schemas:
            document = sample(schema, variant)
            assert outcome(dumping.dump, schema, document) == \
                outcome(Schema.dump, schema, document), route
            assert outcome(dumping.dump, schema, [document, document], many=True) == \
                outcome(Schema.dump, schema, [document, document], many=True), route
    finally:
        READER_LANGUAGE.reset(token)


def test_what_it_cannot_do_the_same_way_goes_to_marshmallow():
    class Hooked(Schema):
        name = fields.String()

        @post_dump
        def shout(self, data, **kwargs):
            return {**data, "name": data["name"].upper()}

    class Odd(Schema):
        method = fields.Method("computed")
        renamed = fields.String(attribute="inner.name")
        defaulted = fields.String(dump_default="fallback")
        items = fields.String()  # missing from a dict: marshmallow reads dict.items

        def computed(self, obj):
            return "computed"

    class Thing:
        name = "object"

    assert dumping.dump(Hooked(), {"name": "ada"}) == {"name": "ADA"}
    odd = {"inner": {"name": "nested"}}
    assert dumping.dump(Odd(), odd) == Odd().dump(odd)
    assert dumping.dump(Odd(), odd)["defaulted"] == "fallback"
    assert dumping.dump(Hooked(), Thing()) == {"name": "OBJECT"}  # not a dict


def test_lists_of_nested_keep_their_nulls():
    class Inner(Schema):
        a = fields.Integer()

    class Outer(Schema):
        rows = fields.List(fields.Nested(Inner))
        one = fields.Nested(Inner, allow_none=True)

    document = {"rows": [{"a": "1"}, None, {"a": 2, "b": 3}], "one": None}
    assert dumping.dump(Outer(), document) == Outer().dump(document) == {
        "rows": [{"a": 1}, None, {"a": 2}], "one": None}
