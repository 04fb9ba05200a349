"""Crypto-shredding: personal data sealed with a key per data subject; erasure deletes the key.

An event log is append-only and copies of events live in other services' logs, in queues and in
backups: none of them can be rewritten. So the personal fields of events (and of any stored copy
that needs it) are *sealed* — encrypted with AES-256-GCM under a key that belongs to one data
subject (a member) — and erasure *shreds* the subject's key. Every sealed copy, wherever it is,
becomes unreadable at once, and what reads it gets a defined placeholder instead (the erased
display name, an empty bio, None), never an exception: replays keep working.

Three parts:

- `SubjectKeys`: the key store. One document per subject in the collection `subject_keys` of a
  database of its own (`<prefix>_keys`, next to the services' databases; in production it can be
  a separate database or a KMS behind the same methods). A key is created on first use;
  `shred(subject)` deletes it and leaves a tombstone, so no later write can create a new key for
  an erased subject. Keys are cached per process for at most `KEY_CACHE_SECONDS`; erasure
  handlers drop the cached key at once (`forget`).
- `seal` / `unseal` (methods of `SubjectKeys`): one value <-> a small JSON-able dict
  ``{"sealed": "v1", "subject": "u1", "nonce": "...", "data": "..."}`` (base64), whose
  associated data binds it to the subject and to where it belongs (`context`, for events
  ``"<event type>.<field>"``): a sealed value moved to another subject or field does not open.
- `PERSONAL_FIELDS`: which payload fields of which event types are personal, and which payload
  field names their subject — declared once, here. `seal_payload` / `unseal_payload` /
  `unseal_envelope` apply it; the event store seals when it writes and unseals when it reads, the
  reliable consumer unseals what it receives, so service code keeps reading
  ``payload["display_name"]``. Values written before sealing existed (plain) pass through.

Example::

    keys = SubjectKeys.in_database(client["agora_keys"])
    sealed = keys.seal("u1", "ada@example.org", context="identity.contact_changed.email")
    keys.unseal(sealed, context="identity.contact_changed.email")   # 'ada@example.org'
    keys.shred("u1")
    keys.unseal(sealed, context="identity.contact_changed.email")   # None (the placeholder)
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bson.binary import Binary
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from .envelope import Envelope, utc_now
from .expiring import ExpiringCache

SEALED_V1 = "v1"
KEYS_SERVICE = "keys"  # the key store's database: `<prefix>_keys`
SUBJECT_KEYS = "subject_keys"
LOOKUP_SECRETS = "lookup_secrets"  # beside the keys: the secrets of services' `LookupHash`es
KEY_BYTES = 32  # AES-256
# GCM's standard nonce, random per value: NIST allows 2^32 random nonces per key, far beyond
# what one member's key ever seals
NONCE_BYTES = 12
# How long a process may keep using a key it read, after another process shredded it (the
# process that shreds, and every consumer of identity.user_erased, drop it at once).
KEY_CACHE_SECONDS = float(os.environ.get("AGORA_KEY_CACHE_SECONDS", "60"))
KEY_CACHE_ENTRIES = 100_000  # past this, the oldest cached key goes: memory stays bounded
ERASURE_EVENT = "identity.user_erased"
# An erased member's name, the same for every reader and language: summaries are computed once
# per author and cached in read models, and a replay must give the same text whoever asks (also
# what a shredded display name unseals to; services/shared/members.py shows it).
ERASED_DISPLAY_NAME = "Ancien membre · Former member"


class SealBroken(ValueError):
    """A sealed value that does not open with its subject's key: altered, or moved to another
    subject or field. Not the same as a shredded key (which gives the placeholder)."""


def is_sealed(value: Any) -> bool:
    """True for a value `seal` produced (plain values written before sealing are not).

    >>> is_sealed({"sealed": "v1", "subject": "u1", "nonce": "", "data": ""}), is_sealed("Ada")
    (True, False)
    """
    return isinstance(value, dict) and value.get("sealed") == SEALED_V1 and "subject" in value


def keys_database_name(service_database: str, service: str) -> str:
    """The key store's database beside a service's `<prefix>_<service>` database.

    >>> keys_database_name("run42_identity", "identity")
    'run42_keys'
    """
    suffix = f"_{service}"
    if service_database.endswith(suffix):
        return f"{service_database[: -len(suffix)]}_{KEYS_SERVICE}"
    return f"{service_database}_{KEYS_SERVICE}"


@dataclass(frozen=True)
class _Key:
    raw: bytes  # b"" once shredded
    cipher: AESGCM | None  # built once per key: its set-up costs more than a small decryption


_SHREDDED = _Key(b"", None)  # irreversible, yet cached like a key: the tombstone says it again
_NO_KEY = _Key(b"", None)  # lost, or never made: not cached


class SubjectKeys:
    """The per-subject key store, with a process-wide cache (shared by every instance that uses
    the same key database, so the many short-lived stores of a process agree)."""

    _caches: ClassVar[dict[str, ExpiringCache]] = {}
    _lookups: ClassVar[dict[str, LookupHash]] = {}
    _caches_lock = threading.Lock()

    def __init__(self, collection: Collection, cache_seconds: float | None = None,
                 cache: ExpiringCache | None = None):
        """`cache_seconds` shortens how long this store trusts a cached key (never beyond the
        cache's own bound); `cache` is another cache than the process's (a test's "other
        process")."""
        self.collection = collection
        self.cache_seconds = KEY_CACHE_SECONDS if cache_seconds is None else cache_seconds
        if cache is None:  # the process-wide cache of this key store
            name = f"{collection.database.name}.{collection.name}"
            with self._caches_lock:
                cache = self._caches.setdefault(name, new_key_cache())
        self._cache = cache

    @classmethod
    def in_database(cls, database: Database, cache_seconds: float | None = None) -> SubjectKeys:
        return cls(database[SUBJECT_KEYS], cache_seconds)

    @classmethod
    def beside(cls, service_database: Database, service: str) -> SubjectKeys:
        """The key store next to a service's database (same client, `<prefix>_keys`)."""
        name = keys_database_name(service_database.name, service)
        return cls.in_database(service_database.client[name])

    # -- keys --------------------------------------------------------------------------------

    def key_for(self, subject: str) -> bytes | None:
        """The subject's key, created on first use; None once it was shredded."""
        return self._key(subject, create=True).raw or None

    def existing_key(self, subject: str) -> bytes | None:
        """The subject's key if it exists (never creates one); None if absent or shredded."""
        return self._key(subject, create=False).raw or None

    def is_shredded(self, subject: str) -> bool:
        document = self.collection.find_one({"_id": subject}, {"shredded_at": 1})
        return document is not None and "shredded_at" in document

    def shred(self, subject: str) -> None:
        """Delete the subject's key for good (idempotent). The tombstone that stays holds no
        key: a later write for this subject is sealed as erased, never under a fresh key."""
        self.collection.update_one({"_id": subject}, {"$unset": {"key": ""},
                                                      "$min": {"shredded_at": utc_now()}},
                                   upsert=True)
        self._cache.put(subject, _SHREDDED)

    def forget(self, subject: str) -> None:
        """Drop this process's cached key (an erasure seen on the bus)."""
        self._cache.forget(subject)

    def lookup_hash(self, purpose: str) -> LookupHash:
        """A `LookupHash` whose secret lives in the key store (collection `lookup_secrets`,
        created on first use, the same for every process): for a service that has no secret
        of its own to derive one from. Kept with the keys, so a backup of a read model holds
        hashes that say nothing without the key store's (short-lived) backups."""
        secrets = self.collection.database[LOOKUP_SECRETS]
        name = f"{secrets.database.name}.{purpose}"
        if name in self._lookups:  # a secret never changes: cached for the process's life
            return self._lookups[name]
        document = secrets.find_one({"_id": purpose})
        if document is None:
            with contextlib.suppress(DuplicateKeyError):  # made concurrently: use what won
                secrets.insert_one({"_id": purpose, "secret": Binary(os.urandom(KEY_BYTES)),
                                    "created_at": utc_now()})
            document = secrets.find_one({"_id": purpose}) or {}
        lookup = self._lookups[name] = LookupHash(bytes(document["secret"]), purpose)
        return lookup

    # -- values ------------------------------------------------------------------------------

    def seal(self, subject: str, value: Any, context: str) -> dict[str, Any]:
        """Encrypt a JSON-able `value` under `subject`'s key, bound to `context`.

        A subject already shredded gets ``{"sealed": "v1", "subject": ..., "erased": True}``:
        nothing is stored, and unsealing it gives the placeholder.
        """
        cipher = self._key(subject, create=True).cipher
        if cipher is None:
            return {"sealed": SEALED_V1, "subject": subject, "erased": True}
        nonce = os.urandom(NONCE_BYTES)
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        data = cipher.encrypt(nonce, plain, _associated_data(subject, context))
        return {"sealed": SEALED_V1, "subject": subject, "nonce": _b64(nonce), "data": _b64(data)}

    def unseal(self, sealed: Any, context: str, placeholder: Any = None) -> Any:
        """The value `seal` sealed; `placeholder` when the subject's key was shredded (or is
        lost); a plain (never sealed) value as it is. Raises `SealBroken` if the value was
        altered or does not belong to `context`."""
        if not is_sealed(sealed):
            return sealed
        subject = str(sealed["subject"])
        if sealed.get("erased"):
            return placeholder
        cipher = self._key(subject, create=False).cipher
        if cipher is None:
            return placeholder
        try:
            plain = cipher.decrypt(_unb64(sealed["nonce"]), _unb64(sealed["data"]),
                                   _associated_data(subject, context))
        except (InvalidTag, KeyError, ValueError, TypeError) as error:
            raise SealBroken(f"a sealed value of {subject} does not open in {context}") from error
        return json.loads(plain)

    def prefetch(self, subjects: Iterable[str]) -> None:
        """The keys of those `subjects` not cached yet, read in one query and cached (a subject
        without a key is left to `_key`, as before). Why: a replay unseals the personal fields
        of every member's events, and each member first met cost a round trip of its own — on
        `bench replay`'s log of 100 members, 40-50 ms before the first 500 commits were read,
        and one query per member on a log of thousands of them."""
        wanted = [subject for subject in set(subjects) if self._cache.get(subject) is None]
        if wanted:
            for document in self.collection.find({"_id": {"$in": wanted}}):
                self._remember(document["_id"], document)

    # -- cache -------------------------------------------------------------------------------

    def _key(self, subject: str, create: bool) -> _Key:
        cached = self._cache.get(subject)
        if cached is not None:
            return cached
        document = self.collection.find_one({"_id": subject})
        if document is None:
            if not create:
                return _NO_KEY
            document = {"_id": subject, "key": Binary(AESGCM.generate_key(KEY_BYTES * 8)),
                        "created_at": utc_now()}
            try:
                self.collection.insert_one(document)
            except DuplicateKeyError:  # created (or shredded) concurrently: use what won
                document = self.collection.find_one({"_id": subject}) or {}
        return self._remember(subject, document)

    def _remember(self, subject: str, document: Mapping[str, Any]) -> _Key:
        if "shredded_at" in document or not document.get("key"):
            key = _SHREDDED
        else:
            raw = bytes(document["key"])
            key = _Key(raw, AESGCM(raw))
        self._cache.put(subject, key, ttl_seconds=self.cache_seconds)
        return key


def new_key_cache() -> ExpiringCache:
    """A cache of subjects' keys as one process keeps them: `KEY_CACHE_ENTRIES` at most, each
    for the `cache_seconds` of the store that put it (`KEY_CACHE_SECONDS` by default; 0 keeps
    nothing, so the cache's own bound is at least a second)."""
    return ExpiringCache(ttl_seconds=max(KEY_CACHE_SECONDS, 1.0), max_entries=KEY_CACHE_ENTRIES)


def _associated_data(subject: str, context: str) -> bytes:
    # NUL-separated: ids and contexts never hold a NUL, so two different pairs never give the
    # same bytes (and it costs less than a JSON encoding, once per value)
    return f"{SEALED_V1}\0{subject}\0{context}".encode()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: Any) -> bytes:
    return base64.b64decode(str(text), validate=True)


# -- which fields are personal -------------------------------------------------------------------

@dataclass(frozen=True)
class PersonalFields:
    """The personal fields of one event type: field -> placeholder after erasure, and the
    payload field naming the data subject."""

    subject: str
    fields: dict[str, Any] = field(default_factory=dict)


PERSONAL_FIELDS: dict[str, PersonalFields] = {}


def declare_personal(event_type: str, subject: str, fields: Mapping[str, Any]) -> None:
    """Declare that `fields` of `event_type` payloads are personal data of the member named by
    the payload field `subject`; each maps to what readers get once the key is shredded.

    >>> declare_personal("demo.note_taken", subject="member_id", fields={"note": None})
    >>> PERSONAL_FIELDS["demo.note_taken"].fields
    {'note': None}
    """
    PERSONAL_FIELDS[event_type] = PersonalFields(subject, dict(fields))


_PROFILE = {"display_name": ERASED_DISPLAY_NAME, "bio": ""}
declare_personal("identity.user_registered", "user_id", {"display_name": ERASED_DISPLAY_NAME})
declare_personal("identity.profile_updated", "user_id", _PROFILE)
declare_personal("identity.contact_changed", "user_id", {"email": None})
# a password-reset link's token: sealed in every log and on the exchange (its hash is all
# identity keeps); shredded with the member, as it expires anyway
declare_personal("identity.password_reset_requested", "user_id", {"token": None})
declare_personal("identity.email_verification_requested", "user_id", {"token": None})
declare_personal("moderation.member_noted", "member_id", {"note": ""})
declare_personal("moderation.flag_explained", "flagger_id", {"details": ""})


def event_context(event_type: str, field_name: str) -> str:
    return f"{event_type}.{field_name}"


def seal_payload(keys: SubjectKeys, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with its declared personal fields sealed (already sealed ones kept)."""
    personal = PERSONAL_FIELDS.get(event_type)
    if personal is None:
        return payload
    subject = payload.get(personal.subject)
    if not subject:
        return payload
    sealed = dict(payload)
    for name in personal.fields:
        value = payload.get(name)
        if value is not None and not is_sealed(value):
            sealed[name] = keys.seal(str(subject), value, event_context(event_type, name))
    return sealed


def unseal_payload(keys: SubjectKeys, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with every sealed value opened (or its placeholder, once shredded)."""
    for value in payload.values():  # a loop, not `any(is_sealed(...))`: a call per value
        # was most of reading a stored event's envelope, and a sealed value is a dict
        if isinstance(value, dict) and is_sealed(value):
            break
    else:
        return payload
    personal = PERSONAL_FIELDS.get(event_type)
    placeholders = personal.fields if personal is not None else {}
    return {name: keys.unseal(value, event_context(event_type, name), placeholders.get(name))
            if is_sealed(value) else value for name, value in payload.items()}


def subjects_sealed_in(events: Iterable[Mapping[str, Any]]) -> set[str]:
    """The data subjects whose keys open the sealed personal fields of stored events (as the
    log holds them: `type` and `payload`), for `SubjectKeys.prefetch`. Only declared fields are
    looked at (`seal_payload` seals no other): a sealed value found elsewhere is still opened,
    its key read when it is met."""
    subjects: set[str] = set()
    for event in events:
        personal = PERSONAL_FIELDS.get(event.get("type"))
        if personal is None:
            continue
        payload = event.get("payload") or {}
        for name in personal.fields:
            value = payload.get(name)
            if is_sealed(value) and not value.get("erased"):
                subjects.add(str(value["subject"]))
    return subjects


def unseal_envelope(keys: SubjectKeys, envelope: Envelope) -> Envelope:
    """The envelope with its payload unsealed (the same object when nothing is sealed)."""
    payload = unseal_payload(keys, envelope.type, envelope.payload)
    if payload is envelope.payload:
        return envelope
    return envelope.with_payload(payload, envelope.schema_version)


def erased_subject(envelope: Envelope) -> str | None:
    """The member an erasure event is about (None for any other event)."""
    if envelope.type != ERASURE_EVENT:
        return None
    return envelope.payload.get("user_id")


class LookupHash:
    """A keyed hash (HMAC-SHA256) of a personal value, for finding records by it without
    storing it: an e-mail or client address that throttling, erasure or the login audit must
    match. Never a bare SHA-256: the addresses of a bank's customers are a small, guessable set,
    and hashing a list of them would reverse every bare hash in a backup; without the service's
    secret these hashes say nothing. The HMAC key is derived (HKDF) from a secret the service
    already keeps out of its database (identity: its TOTP-secret key), one key per `purpose`,
    so no new secret has to be deployed; replacing that secret makes the old hashes match
    nothing (throttling windows start afresh, old audit lines are no longer found by address).

    >>> lookup, other = LookupHash(b"secret", "demo.address"), LookupHash(b"other", "demo.address")
    >>> lookup("ada@example.org") == lookup("ada@example.org") != other("ada@example.org")
    True
    """

    def __init__(self, secret: bytes, purpose: str):
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                         info=f"agora lookup hash: {purpose}".encode()).derive(secret)

    def __call__(self, value: str) -> str:
        return hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()


class InMemoryKeys(SubjectKeys):
    """The key store in this process's memory (the in-memory event store's; unit tests): the
    same sealing, the keys in a dict instead of a collection."""

    def __init__(self) -> None:  # no collection, no cache: the dict is both
        self.keys: dict[str, _Key] = {}

    def _key(self, subject: str, create: bool) -> _Key:
        key = self.keys.get(subject)
        if key is None:
            if not create:
                return _NO_KEY
            raw = AESGCM.generate_key(KEY_BYTES * 8)
            key = self.keys[subject] = _Key(raw, AESGCM(raw))
        return key

    def is_shredded(self, subject: str) -> bool:
        return self.keys.get(subject) is _SHREDDED

    def prefetch(self, subjects: Iterable[str]) -> None:
        """Nothing to read ahead: the dict is the store."""

    def shred(self, subject: str) -> None:
        self.keys[subject] = _SHREDDED

    def forget(self, subject: str) -> None:
        """Nothing cached: the dict is the store."""
