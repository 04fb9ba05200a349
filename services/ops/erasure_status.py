"""What a DPO shows to prove an erasure: `agora erasure status <member-id>`.

An erasure is proved by three facts, read from the databases (never from a service's memory):

1. the member's key is gone from the key store (`subject_keys`: a tombstone with
   `shredded_at`, no key) — every sealed copy of their personal data, in any log, queue or
   backup made after sealing, no longer opens;
2. identity's log holds the tombstone `identity.user_erased` (when, for the record);
3. no event of the member's identity streams, in any service's log (identity's own and the
   copies other services recorded), still holds a personal field *in clear* — a value written
   before sealing existed would survive the key's deletion.

The report counts, per service, the personal values it found sealed and in clear; it names no
value. Reading raw commit documents (not through the event store, which would unseal them) is
the point: the report is about what is stored.

Example::

    report = erasure_report(databases, keys, "u1")
    report["erased"]   # True once the key is shredded, the tombstone logged, nothing in clear
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.shared.shredding import ERASURE_EVENT, PERSONAL_FIELDS, SUBJECT_KEYS, is_sealed

IDENTITY = "identity"


def identity_streams(service: str, member_id: str) -> list[str]:
    """The member's identity streams as `service` stores them (copies are prefixed with their
    source service).

    >>> identity_streams("feeds", "u1")
    ['identity:user-u1', 'identity:account-u1']
    """
    own = [f"user-{member_id}", f"account-{member_id}"]
    return own if service == IDENTITY else [f"{IDENTITY}:{stream}" for stream in own]


def count_personal_values(commits: Iterable[Mapping[str, Any]], member_id: str
                          ) -> dict[str, int]:
    """Personal fields of the member's events in stored commit documents: how many are sealed,
    how many are in clear (None values hold nothing and are not counted).

    >>> sealed = {"sealed": "v1", "subject": "u1", "nonce": "n", "data": "d"}
    >>> commits = [{"events": [
    ...     {"type": "identity.user_registered", "payload": {"user_id": "u1",
    ...                                                      "display_name": sealed}},
    ...     {"type": "identity.profile_updated", "payload": {"user_id": "u1",
    ...                                                      "display_name": "Ada", "bio": None}}]}]
    >>> count_personal_values(commits, "u1")
    {'sealed': 1, 'clear': 1}
    """
    counts = {"sealed": 0, "clear": 0}
    for commit in commits:
        for event in commit.get("events") or []:
            personal = PERSONAL_FIELDS.get(event.get("type"))
            payload = event.get("payload") or {}
            if personal is None or payload.get(personal.subject) != member_id:
                continue
            for name in personal.fields:
                value = payload.get(name)
                if value is not None:
                    counts["sealed" if is_sealed(value) else "clear"] += 1
    return counts


def key_state(keys_database, member_id: str) -> dict[str, Any]:
    """`shredded` (with when), `present`, or `absent` (never created)."""
    document = keys_database[SUBJECT_KEYS].find_one({"_id": member_id},
                                                    {"shredded_at": 1, "created_at": 1})
    if document is None:
        return {"state": "absent"}
    if "shredded_at" in document:
        return {"state": "shredded", "shredded_at": _iso(document["shredded_at"])}
    return {"state": "present", "created_at": _iso(document.get("created_at"))}


def erasure_report(databases: Mapping[str, Any], keys_database, member_id: str
                   ) -> dict[str, Any]:
    """The report for one member. `databases`: service name -> its pymongo Database."""
    key = key_state(keys_database, member_id)
    tombstone = None
    known = key["state"] != "absent"
    logs: dict[str, dict[str, int]] = {}
    for service, database in databases.items():
        commits = list(database["events"].find(
            {"stream_id": {"$in": identity_streams(service, member_id)}},
            {"events.type": 1, "events.payload": 1, "events.occurred_at": 1}))
        known = known or (service == IDENTITY and bool(commits))
        logs[service] = count_personal_values(commits, member_id)
        if service == IDENTITY:
            tombstone = next((event.get("payload", {}).get("erased_at")
                              for commit in commits for event in commit.get("events") or []
                              if event.get("type") == ERASURE_EVENT), None)
    clear = sum(counts["clear"] for counts in logs.values())
    # `member_known`: identity ever had the member (a key, or events): else the id is mistyped
    return {"member_id": member_id, "member_known": known, "key": key,
            "tombstone": {"erased_at": tombstone},
            "event_logs": logs, "personal_values_in_clear": clear,
            "erased": key["state"] == "shredded" and tombstone is not None and clear == 0}


def reapply_erasures(identity_database, keys: Any, batch: int = 500) -> list[str]:
    """After the key store was restored from a backup: shred again the key of every member
    whose tombstone is in identity's log (the log is the truth; a backup taken before their
    erasure brought their key back). Idempotent; returns the members shredded again.

    Reads the key store's live keys in batches and looks their tombstones up by stream (the
    log's (stream_id, version) index), never by scanning the log.
    """
    shredded: list[str] = []
    cursor = keys.collection.find({"key": {"$exists": True}}, {"_id": 1}).sort("_id", 1)
    subjects = [document["_id"] for document in cursor]
    for start in range(0, len(subjects), batch):
        streams = [f"user-{subject}" for subject in subjects[start:start + batch]]
        for commit in identity_database["events"].find(
                {"stream_id": {"$in": streams}, "events.type": ERASURE_EVENT},
                {"stream_id": 1}):
            subject = commit["stream_id"].removeprefix("user-")
            keys.shred(subject)
            shredded.append(subject)
    return shredded


def _iso(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else value
