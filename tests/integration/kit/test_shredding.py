"""Crypto-shredding against the real MongoDB-protocol server: the key store (created on first use,
shredded for good, one key per subject), sealed values (tampering, another subject or field, a
shredded key), and the event store sealing personal fields when it writes and unsealing them when
it reads — the raw collection holds no plaintext, and after shredding every read gives the
placeholders instead of failing."""
import base64
import json

import pytest
from pymongo import MongoClient, monitoring

from services.shared.envelope import CommandContext, Envelope, NewEvent, new_id
from services.shared.event_store import EventStore
from services.shared.payloads import REGISTRY
from services.shared.shredding import (
    PERSONAL_FIELDS,
    SealBroken,
    SubjectKeys,
    is_sealed,
    new_key_cache,
    seal_payload,
    unseal_envelope,
)

from ...conftest import MONGO_URI
from . import sample  # noqa: F401 - registers ledger.holder_named (personal: sealed)

pytestmark = pytest.mark.integration
CONTEXT = CommandContext(actor="user-1", correlation_id="req-1")
HOLDER_NAMED = "ledger.holder_named"
EMAIL = "ada.lovelace@example.org"
NAME = "Ada Lovelace"




@pytest.fixture
def keys(mongo_client, db_prefix):
    return SubjectKeys.in_database(mongo_client[f"{db_prefix}_keys"])


@pytest.fixture
def store(mongo_client, db_prefix):
    store = EventStore(mongo_client[f"{db_prefix}_ledger"], "ledger")
    store.ensure_indexes()
    return store


def named(holder="h1", name=NAME, email=EMAIL, handles=("@ada",)):
    return NewEvent(HOLDER_NAMED, {"holder_id": holder, "name": name, "email": email,
                                   "handles": list(handles)})


# -- the key store and sealed values: a contract every key-store backend must pass ----------------

class SubjectKeysContract:
    """A backend provides `keys` (a fresh store) and `other_process(cache_seconds)` (the same
    store as another process sees it: its own cache)."""

    def test_a_key_is_created_on_first_use_and_found_again_by_another_process(
            self, keys, other_process):
        subject = f"u-{new_id()}"
        assert keys.existing_key(subject) is None  # looking does not create
        key = keys.key_for(subject)
        assert len(key) == 32 and keys.key_for(subject) == key
        assert other_process().existing_key(subject) == key
        assert other_process().key_for(subject) == key  # never a second key for a subject
        assert keys.key_for(f"u-{new_id()}") != key  # one key per subject

    def test_seal_and_unseal_round_trip_any_json_value(self, keys):
        for value in (EMAIL, ["@ada", "ada@mastodon"], {"city": "Lyon"}, 42):
            sealed = keys.seal("u1", value, context="demo.thing.field")
            assert is_sealed(sealed) and json.dumps(sealed)  # small and JSON-able
            assert set(sealed) == {"sealed", "subject", "nonce", "data"}
            assert (EMAIL not in json.dumps(sealed)) and sealed["subject"] == "u1"
            assert keys.unseal(sealed, context="demo.thing.field") == value
        first, second = (keys.seal("u1", EMAIL, "demo.thing.field") for _ in range(2))
        assert first["nonce"] != second["nonce"] and first["data"] != second["data"]

    def test_a_tampered_value_does_not_open(self, keys):
        sealed = keys.seal("u1", EMAIL, context="demo.thing.email")
        data = bytearray(base64.b64decode(sealed["data"]))
        data[0] ^= 1
        tampered = {**sealed, "data": base64.b64encode(bytes(data)).decode()}
        with pytest.raises(SealBroken):
            keys.unseal(tampered, context="demo.thing.email")
        with pytest.raises(SealBroken):
            keys.unseal({**sealed, "nonce": "not base64!"}, context="demo.thing.email")

    def test_a_value_moved_to_another_subject_or_field_does_not_open(self, keys):
        keys.key_for("u2")
        sealed = keys.seal("u1", EMAIL, context="demo.thing.email")
        with pytest.raises(SealBroken):
            keys.unseal({**sealed, "subject": "u2"}, context="demo.thing.email")
        with pytest.raises(SealBroken):
            keys.unseal(sealed, context="demo.thing.display_name")

    def test_after_shredding_every_copy_gives_the_placeholder_and_no_new_key_is_made(
            self, keys, other_process):
        subject = f"u-{new_id()}"
        sealed = keys.seal(subject, EMAIL, context="demo.thing.email")
        keys.shred(subject)
        keys.shred(subject)  # idempotent
        assert keys.unseal(sealed, context="demo.thing.email") is None
        assert keys.unseal(sealed, context="demo.thing.email", placeholder="gone") == "gone"
        assert keys.is_shredded(subject) and keys.key_for(subject) is None
        assert other_process().key_for(subject) is None  # nor in a process that never knew it
        # a write after erasure stores nothing of the value
        late = keys.seal(subject, EMAIL, context="demo.thing.email")
        assert late == {"sealed": "v1", "subject": subject, "erased": True}
        assert keys.unseal(late, context="demo.thing.email", placeholder="gone") == "gone"

    def test_other_processes_stop_decrypting_when_their_cache_expires_or_they_see_the_erasure(
            self, keys, other_process):
        subject = f"u-{new_id()}"
        sealed = keys.seal(subject, EMAIL, context="demo.thing.email")
        expiring = other_process(cache_seconds=0)  # a cache that has expired
        caching = other_process(cache_seconds=3600)  # not yet expired
        for process in (expiring, caching):
            assert process.unseal(sealed, context="demo.thing.email") == EMAIL
        keys.shred(subject)  # in a third process
        assert keys.unseal(sealed, context="demo.thing.email") is None
        assert expiring.unseal(sealed, context="demo.thing.email") is None
        assert caching.unseal(sealed, context="demo.thing.email") == EMAIL  # until it expires...
        caching.forget(subject)  # ...or the process sees identity.user_erased
        assert caching.unseal(sealed, context="demo.thing.email") is None

    def test_a_lost_key_loses_only_its_own_subject(self, keys, other_process):
        lost, kept = f"u-{new_id()}", f"u-{new_id()}"
        sealed = {subject: keys.seal(subject, EMAIL, "demo.thing.email") for subject in (lost,
                                                                                        kept)}
        self.lose(keys, lost)
        reader = other_process()
        assert reader.unseal(sealed[lost], "demo.thing.email", placeholder="?") == "?"
        assert reader.unseal(sealed[kept], "demo.thing.email") == EMAIL


class TestMongoSubjectKeys(SubjectKeysContract):
    @pytest.fixture
    def keys(self, mongo_client, db_prefix):
        return SubjectKeys.in_database(mongo_client[f"{db_prefix}_keys"])

    @pytest.fixture
    def other_process(self, keys):
        return lambda cache_seconds=None: SubjectKeys(keys.collection, cache_seconds,
                                                         cache=new_key_cache())

    @staticmethod
    def lose(keys, subject):
        keys.collection.delete_one({"_id": subject})  # e.g. a restore that missed it

    def test_one_document_per_subject_and_a_tombstone_without_key(self, keys):
        subject = f"u-{new_id()}"
        keys.key_for(subject)
        assert keys.collection.count_documents({"_id": subject}) == 1
        keys.shred(subject)
        document = keys.collection.find_one({"_id": subject})
        assert "key" not in document and "shredded_at" in document


def test_a_plain_value_written_before_sealing_passes_through(keys):
    assert keys.unseal(EMAIL, context="demo.thing.email") == EMAIL
    envelope = Envelope.new(named(), stream_id="h1", stream_version=1, context=CONTEXT)
    assert unseal_envelope(keys, envelope) is envelope


# -- the event store ---------------------------------------------------------------------------

def test_personal_fields_are_sealed_in_the_log_and_plain_for_readers(store, mongo_client,
                                                                      db_prefix):
    store.append("h1", 0, [named("h1")], CONTEXT)
    raw = json.dumps(list(store.events.find({}, {"_id": 0, "recorded_at": 0})))
    assert EMAIL not in raw and NAME not in raw and "@ada" not in raw
    [stored] = store.events.find_one({"stream_id": "h1"})["events"]
    assert all(is_sealed(stored["payload"][name]) for name in ("name", "email", "handles"))
    assert stored["payload"]["holder_id"] == "h1"  # the subject stays readable
    [event] = store.load("h1")
    assert event.payload == {"holder_id": "h1", "name": NAME, "email": EMAIL,
                             "handles": ["@ada"]}
    [commit] = list(store.read_all())
    assert commit.events[0].payload["name"] == NAME
    # what the outbox relay publishes is what is stored: sealed
    [pending] = store.pending_documents()
    assert EMAIL not in json.dumps(pending["events"])


def test_after_shredding_the_log_still_loads_and_replays_with_placeholders(store):
    store.append("h2", 0, [named("h2"), named("h2", name="Ada L.", email=None, handles=())],
                 CONTEXT)
    store.append("h3", 0, [named("h3", name="Grace Hopper", email="grace@example.org")],
                 CONTEXT)
    store.keys.shred("h2")
    first, second = store.load("h2")
    assert first.payload == {"holder_id": "h2", "name": "Former holder", "email": None,
                             "handles": []}
    assert second.payload["name"] == "Former holder" and second.payload["email"] is None
    assert store.load("h3")[0].payload["name"] == "Grace Hopper"  # only that subject
    names = [event.payload["name"] for commit in store.read_all() for event in commit.events]
    assert names == ["Former holder", "Former holder", "Grace Hopper"]


class _KeyReads(monitoring.CommandListener):
    """The commands sent to the key store's collection, and their filters."""

    def __init__(self, keys_collection: str):
        self.collection, self.commands = keys_collection, []

    def started(self, event):
        if event.command.get(event.command_name) == self.collection:
            self.commands.append((event.command_name, event.command.get("filter")))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def test_a_replay_s_read_of_the_log_reads_the_keys_it_needs_a_batch_at_a_time(store):
    """`read_all` (what `agora replay` reads) opens the sealed fields of 45 holders, read by a
    process that has no key cached yet: their keys come in one query per batch of commits, not
    one per holder met (45 round trips before) — and every value opens as `load` opens it, a
    shredded holder's as its placeholder, a holder whose key is lost as its own."""
    for n in range(45):
        store.append(f"h{n}", 0, [named(f"h{n}", name=f"Holder {n}")], CONTEXT)
    store.keys.shred("h3")
    store.keys.collection.delete_one({"_id": "h4"})  # lost: its values give the placeholder
    reads = _KeyReads(store.keys.collection.name)
    client = MongoClient(MONGO_URI, tz_aware=True, event_listeners=[reads])
    try:
        keys = SubjectKeys(client[store.keys.collection.database.name][store.keys.collection.name],
                           cache=new_key_cache())  # a new process's: nothing cached
        reader = EventStore(client[store.db.name], "ledger", keys=keys)
        names = [event.payload["name"] for commit in reader.read_all(batch_size=20)
                 for event in commit.events]
    finally:
        client.close()
    expected = [f"Holder {n}" for n in range(45)]
    expected[3] = expected[4] = "Former holder"
    assert names == expected
    batches = [(name, looked_up) for name, looked_up in reads.commands
               if name == "find" and "$in" in looked_up["_id"]]
    assert len(batches) == 3  # 20, 20 and 5 commits
    # and the lost key, looked for by each of its three sealed fields (a lost key is not cached)
    assert [c for c in reads.commands if c not in batches] == [("find", {"_id": "h4"})] * 3
    assert [event.payload["name"] for event in store.load("h5")] == ["Holder 5"]


def test_a_received_event_is_sealed_again_in_the_consumers_log(store, keys):
    envelope = Envelope.new(named("h4"), stream_id="h4", stream_version=1, context=CONTEXT)
    sealed_on_the_wire = envelope.with_payload(
        seal_payload(keys, HOLDER_NAMED, envelope.payload), 1)
    received = unseal_envelope(keys, sealed_on_the_wire)  # what the reliable consumer hands over
    assert received.payload["email"] == EMAIL
    assert store.record_received(received)
    assert EMAIL not in json.dumps(store.events.find_one({"_id": envelope.id})["events"])
    assert store.load("ledger:h4")[0].payload["email"] == EMAIL


def test_events_written_before_sealing_still_load(store):
    envelope = Envelope.new(named("h5"), stream_id="h5", stream_version=1, context=CONTEXT)
    store.events.insert_one({"_id": new_id(), "stream_id": "h5", "version": 1, "last_version": 1,
                             "position": 10_000, "events": [envelope.to_dict()],
                             "recorded_at": envelope.occurred_at, "received": False})
    assert store.load("h5")[0].payload["name"] == NAME


def test_older_commits_are_sealed_in_place_once(store):
    older = Envelope.new(named("h6"), stream_id="h6", stream_version=1, context=CONTEXT)
    store.events.insert_one({"_id": new_id(), "stream_id": "h6", "version": 1, "last_version": 1,
                             "position": 20_000, "events": [older.to_dict()],
                             "recorded_at": older.occurred_at, "received": False})
    store.append("h7", 0, [named("h7")], CONTEXT)  # sealed already
    store.append("acc-1", 0, [NewEvent("ledger.deposited", {"cents": 1, "currency": "EUR"})],
                 CONTEXT)  # nothing personal
    assert EMAIL in json.dumps(list(store.events.find({}, {"events": 1})))
    assert store.seal_existing() == 1
    assert EMAIL not in json.dumps(list(store.events.find({}, {"events": 1})))
    [event] = store.load("h6")
    assert (event.id, event.payload["email"], event.stream_version) == (older.id, EMAIL, 1)
    assert store.seal_existing() == 0  # idempotent
    store.keys.shred("h6")
    assert store.load("h6")[0].payload["name"] == "Former holder"


def test_personal_fields_are_declared_for_registered_event_types():
    from services.conversations import schemas as _conversations  # noqa: F401
    from services.identity import schemas as _identity  # noqa: F401
    from services.moderation import schemas as _moderation  # noqa: F401

    for event_type, personal in PERSONAL_FIELDS.items():
        if event_type.startswith("demo."):
            continue  # the docstring's example
        schema_fields = REGISTRY.schema(event_type).fields
        assert personal.subject in schema_fields, event_type
        assert set(personal.fields) <= set(schema_fields), event_type
    assert {"identity.user_registered", "identity.profile_updated",
            "identity.contact_changed"} <= set(PERSONAL_FIELDS)
