import dataclasses

import pytest
from marshmallow import Schema, fields

from services.shared.envelope import CommandContext, Envelope, InvalidEnvelope, NewEvent
from services.shared.errors import InvalidInput
from services.shared.event_store import Commit, in_memory_event_store
from services.shared.payloads import PayloadRegistry, UnknownEventType

pytestmark = pytest.mark.unit


@pytest.fixture
def registry():
    registry = PayloadRegistry()

    @registry.register("demo.named", version=1)
    class V1(Schema):
        name = fields.String(required=True)

    @registry.register("demo.named", version=2)
    class V2(Schema):
        name = fields.String(required=True)
        language = fields.String(required=True)

    @registry.register("demo.named", version=3)
    class V3(Schema):
        display_name = fields.String(required=True)
        language = fields.String(required=True)

    @registry.upcaster("demo.named", from_version=1)
    def one_to_two(payload):
        return {**payload, "language": "fr"}

    @registry.upcaster("demo.named", from_version=2)
    def two_to_three(payload):
        return {"display_name": payload["name"], "language": payload["language"]}

    @registry.register("demo.whispered", private=True)
    class Whispered(Schema):
        ref = fields.String(required=True)

    return registry


def test_upcasts_through_every_version(registry):
    assert registry.upcast("demo.named", 1, {"name": "Ana"}) == (
        3, {"display_name": "Ana", "language": "fr"})
    assert registry.upcast("demo.named", 3, {"display_name": "A", "language": "en"}) == (
        3, {"display_name": "A", "language": "en"})


def test_serialize_writes_latest_version_and_rejects_bad_payloads(registry):
    assert registry.serialize("demo.named", {"display_name": "A", "language": "en"}) == (
        3, {"display_name": "A", "language": "en"})
    with pytest.raises(InvalidInput) as raised:
        registry.serialize("demo.named", {"display_name": "A", "colour": "red"})
    assert "language" in raised.value.details["fields"]
    assert "colour" in raised.value.details["fields"]


def test_unknown_types_are_refused_on_write_and_passed_through_on_read(registry):
    with pytest.raises(UnknownEventType):
        registry.serialize("demo.nothing", {})
    assert registry.upcast("other.thing", 4, {"x": 1}) == (4, {"x": 1})


def test_private_flag(registry):
    assert registry.is_private("demo.whispered")
    assert not registry.is_private("demo.named")


def test_missing_upcaster_is_an_error(registry):
    registry.register("demo.gap", version=1)(type("G1", (Schema,), {}))
    registry.register("demo.gap", version=2)(type("G2", (Schema,), {}))
    with pytest.raises(UnknownEventType):
        registry.upcast("demo.gap", 1, {})


def test_envelope_round_trip_and_validation():
    context = CommandContext(actor="u1", correlation_id="req-1")
    envelope = Envelope.new(NewEvent("posts.post_submitted", {"a": 1}), stream_id="post-1",
                            stream_version=1, context=context)
    assert Envelope.from_dict(envelope.to_dict()) == envelope
    assert envelope.source_service == "posts"
    follow_up = context.caused_by(envelope)
    assert follow_up.causation_id == envelope.id and follow_up.correlation_id == "req-1"
    for broken in ({}, {**envelope.to_dict(), "stream_version": 0},
                   {**envelope.to_dict(), "type": "no-dot"}, "text", None):
        with pytest.raises(InvalidEnvelope):
            Envelope.from_dict(broken)


def test_an_envelope_is_parsed_as_its_schema_would_whatever_the_input():
    """The field-by-field check of well-formed envelopes and the schema agree on every input:
    the same envelope, or an InvalidEnvelope with the schema's messages."""
    from services.shared.envelope import _ENVELOPE_SCHEMA

    good = Envelope.new(NewEvent("posts.post_submitted", {"a": 1}), stream_id="post-1",
                        stream_version=1, context=CommandContext(actor="u1")).to_dict()
    variants = [good, {**good, "newer_field": 1}, {**good, "actor": None},
                {k: v for k, v in good.items() if k not in ("actor", "causation_id")}]
    for name, values in {
            "id": ["", "x" * 64, "x" * 65, 7, None, b"e1"],
            "type": ["posts.x1", "posts.X", "posts", "posts.x\n", 3],
            "schema_version": [0, 2, "2", 2.0, True, None],
            "stream_id": ["", "s" * 200, "s" * 201, 1],
            "stream_version": [0, -1, 3, "3", 3.5, False],
            "occurred_at": ["", 5, None],
            "actor": ["u2", 5, ""], "correlation_id": [None, 5], "causation_id": ["c", []],
            "payload": [{}, [], "p", None, {"nested": {"x": [1]}}]}.items():
        variants += [{**good, name: value} for value in values]
        variants.append({k: v for k, v in good.items() if k != name})
    for data in variants:
        try:
            expected = Envelope(**_ENVELOPE_SCHEMA.load(data))
        except Exception:
            with pytest.raises(InvalidEnvelope):
                Envelope.from_dict(data)
            continue
        parsed = Envelope.from_dict(data)
        assert parsed == expected, data
        assert parsed.payload is not data["payload"]  # a copy, as the schema's


def test_violated_index_is_read_from_mongodb_and_stand_in_errors():
    from pymongo.errors import DuplicateKeyError

    from services.shared.event_store import violated_index

    stand_in = DuplicateKeyError("E11000", 11000, {
        "errmsg": "E11000 duplicate key error collection: db.events index: position_unique "
                  "dup key: { position: 1 }"})
    mongodb = DuplicateKeyError("E11000", 11000, {
        "errmsg": "E11000 duplicate key error collection: db.events index: "
                  "stream_version_unique dup key: { stream_id: \"s\", version: 1 }",
        "keyPattern": {"stream_id": 1, "version": 1}})
    assert violated_index(stand_in) == "position_unique"
    assert violated_index(mongodb) == "stream_version_unique"


def test_an_envelopes_header_is_its_dict_without_the_payload():
    envelope = Envelope.new(NewEvent("demo.named", {"name": "x", "tags": ["a", {"b": 1}]}),
                            stream_id="s-1", stream_version=3,
                            context=CommandContext(actor="u1", correlation_id="r1"))
    whole = envelope.to_dict()
    assert {**envelope.header(), "payload": whole["payload"]} == whole
    assert list(envelope.header()) == [name for name in whole if name != "payload"]


@pytest.mark.parametrize("event_type, payload", [
    ("identity.user_registered", {"user_id": "u1", "display_name": "Ada", "roles": ["member"]}),
    ("posts.post_submitted", {"post_id": "p1", "title": "Card", "tags": ["a", "b"]}),
])
def test_the_event_store_writes_what_it_wrote_with_a_copied_envelope(event_type, payload):
    """A stored event is the envelope's fields and its payload as `seal_payload` makes it —
    what `to_dict` and a replaced payload made before, without the deep copy thrown away."""
    from services.shared.event_store import in_memory_event_store
    from services.shared.shredding import seal_payload, unseal_payload

    store = in_memory_event_store()
    envelope = Envelope.new(NewEvent(event_type, payload), stream_id="s-1", stream_version=1,
                            context=CommandContext(actor="u1"))
    stored = store._sealed(envelope)
    before = envelope.to_dict()
    before["payload"] = seal_payload(store.keys, event_type, envelope.payload)
    assert list(stored) == list(before)
    assert {**stored, "payload": None} == {**before, "payload": None}
    assert unseal_payload(store.keys, event_type, stored["payload"]) == payload
    assert envelope.payload == payload  # the envelope's own payload untouched


def test_an_envelope_read_from_the_store_is_the_one_its_fields_make():
    """`Envelope.stored` builds what `Envelope(**fields)` builds (without its per-field
    `__setattr__`), and leaves anything that is not a whole stored event to `__init__`."""
    envelope = Envelope.new(NewEvent("demo.named", {"name": "x", "tags": ["a"]}),
                            stream_id="s-1", stream_version=3, context=CommandContext(actor="u1"))
    fields = envelope.to_dict()
    stored = Envelope.stored(fields)
    assert stored == Envelope(**fields) == envelope and type(stored) is Envelope
    assert stored.to_dict() == fields and stored.payload is fields["payload"]
    with pytest.raises(AttributeError):  # still frozen
        stored.type = "demo.renamed"
    missing = {name: value for name, value in fields.items() if name != "actor"}
    for wrong in (missing, {**fields, "newer": 1}):
        with pytest.raises(TypeError):
            Envelope.stored(wrong)


def test_a_commit_read_from_the_log_is_the_one_its_fields_make(registry):
    """`Commit.read` builds what `Commit(...)` builds (without its per-field `__setattr__`):
    equal, frozen, never `written_now` — what the log gives back for every commit a replay
    reads."""
    store = in_memory_event_store("demo", registry)
    written = store.append("s-1", 0, [NewEvent("demo.named", {"display_name": "x",
                                                               "language": "fr"})],
                           CommandContext(actor="u1"))
    [read] = store.read_all()
    assert type(read) is Commit and read == dataclasses.replace(written, written_now=False)
    assert not read.written_now and read.last_version == 1 and not read.received
    with pytest.raises(dataclasses.FrozenInstanceError):
        read.position = 2
    fields = {name: getattr(written, name) for name in (
        "id", "stream_id", "version", "position", "events", "recorded_at", "received")}
    assert Commit.read(**fields) == Commit(**fields) == read
