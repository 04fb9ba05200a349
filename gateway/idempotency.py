"""`Idempotency-Key` on POST: a retried request gets the first answer, nothing is done twice.

Keys live in the gateway's own database (`<prefix>_gateway.idempotency_keys`), one document per
(caller, key, method, path) — the caller is the user of the access token, or the client address
for anonymous routes — with a hash of the JSON body:

1. **claim** the key with a plain insert (unique `_id`): of two concurrent duplicates exactly one
   insert succeeds and runs the request;
2. the loser reads the document: a different body hash -> 422; a stored answer -> replayed as is
   (header `Idempotent-Replayed: true`); still running -> it polls until the first finishes
   (then replays) or gives up after `wait_seconds` with 409 (retry later);
3. the winner stores the answer (status < 500, except 400 and 429) or, when nothing was decided
   (5xx, timeout, an invalid request, a throttled one), deletes its claim so a retry runs
   again. A claim left by a crashed gateway expires after `stale_seconds` and is taken over:
   by default the RPC timeout plus a margin, since a live gateway settles every claim within
   its RPC timeout — and a takeover is safe because the service records the key with the
   effect (services/shared/commands.py).

Documents expire after `ttl_hours` (TTL index on `expires_at`). A member's keys carry their id
(`owner`): the saved answers hold what the member sent and got back (their name in a post's
byline, a message they wrote), so their erasure (`identity.user_erased`) deletes them at once
rather than a day later (`forget_owner`).
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import eventlet
from nameko.extensions import DependencyProvider
from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError
from werkzeug.wrappers import Response

from services.shared.envelope import utc_now
from services.shared.errors import Conflict, Unprocessable
from services.shared.mongo import database_name, mongo_uri, release_client, shared_client

from .settings import Settings

COLLECTION = "idempotency_keys"
REPLAYED_HEADER = "Idempotent-Replayed"
STALE_MARGIN_SECONDS = 5  # a claim older than the RPC timeout + this was left by a dead gateway
_KEPT_HEADERS = ("Location", "Content-Type")


@dataclass
class Outcome:
    id: str
    claimed: bool
    claimed_at: Any = None
    stored: dict[str, Any] = field(default_factory=dict)

    def response(self) -> Response:
        headers = dict(self.stored.get("headers") or {})
        headers[REPLAYED_HEADER] = "true"
        return Response(self.stored.get("body") or "", status=self.stored["status"],
                        headers=headers)


class IdempotencyStore:
    def __init__(self, collection: Collection, ttl_hours: float = 24, wait_seconds: float = 10,
                 stale_seconds: float = 60):
        self.collection = collection
        self.ttl = timedelta(hours=ttl_hours)
        self.wait_seconds = wait_seconds
        self.stale = timedelta(seconds=stale_seconds)

    def ensure_indexes(self) -> None:
        self.collection.create_index("expires_at", expireAfterSeconds=0, name="expires_at_ttl")
        self.collection.create_index("owner", name="owner", sparse=True)

    @staticmethod
    def key_id(scope: str, key: str, method: str, path: str) -> str:
        return hashlib.sha256("\n".join((scope, method, path, key)).encode()).hexdigest()

    def begin(self, scope: str, key: str, method: str, path: str, body_hash: str) -> Outcome:
        doc_id = self.key_id(scope, key, method, path)
        deadline = time.monotonic() + self.wait_seconds
        while True:
            now = utc_now()
            try:
                self.collection.insert_one({
                    "_id": doc_id, "state": "running", "body_hash": body_hash,
                    "claimed_at": now, "expires_at": now + self.ttl,
                    "method": method, "path": path, **_owner(scope),
                })
                return Outcome(doc_id, claimed=True, claimed_at=now)
            except DuplicateKeyError:
                pass
            existing = self.collection.find_one({"_id": doc_id})
            if existing is None:
                continue  # released between our insert and read: claim again
            if existing["body_hash"] != body_hash:
                raise Unprocessable(
                    "this Idempotency-Key was used with a different request body",
                    {"fields": {"Idempotency-Key": ["already used with a different body"]}})
            if existing["state"] == "done":
                return Outcome(doc_id, claimed=False, stored=existing["response"])
            if existing["claimed_at"] < now - self.stale:
                taken = self.collection.find_one_and_update(
                    {"_id": doc_id, "state": "running", "claimed_at": existing["claimed_at"]},
                    {"$set": {"claimed_at": now}}, return_document=ReturnDocument.AFTER)
                if taken is not None:
                    return Outcome(doc_id, claimed=True, claimed_at=now)
            if time.monotonic() > deadline:
                raise Conflict("a request with this Idempotency-Key is still in progress; "
                               "retry later")
            eventlet.sleep(0.05)

    def complete(self, outcome: Outcome, response: Response) -> None:
        stored = {
            "status": response.status_code,
            "body": response.get_data(as_text=True),
            "headers": {name: response.headers[name] for name in _KEPT_HEADERS
                        if name in response.headers},
        }
        self.collection.update_one({"_id": outcome.id, "claimed_at": outcome.claimed_at},
                                   {"$set": {"state": "done", "response": stored}})

    def forget_owner(self, user_id: str) -> int:
        """Erasure: every key of the member goes, with the answers saved for it."""
        return self.collection.delete_many({"owner": user_id}).deleted_count

    def release(self, outcome: Outcome) -> None:
        self.collection.delete_one({"_id": outcome.id, "state": "running",
                                    "claimed_at": outcome.claimed_at})


def _owner(scope: str) -> dict[str, str]:
    """The member a key belongs to (`user:<id>` scopes); anonymous keys (`client:<address>`:
    registrations, logins) answer without personal data and belong to nobody."""
    kind, _, subject = scope.partition(":")
    return {"owner": subject} if kind == "user" else {}


class IdempotencyProvider(DependencyProvider):
    def setup(self) -> None:
        config = self.container.config
        settings = (config.get("GATEWAY", {}) or {}).get("idempotency", {}) or {}
        self.uri = mongo_uri(config)
        db = shared_client(self.uri)[database_name(config, self.container.service_name)]
        self.store = IdempotencyStore(
            db[COLLECTION],
            ttl_hours=float(settings.get("ttl_hours") or 24),
            wait_seconds=float(settings.get("wait_seconds") or 10),
            stale_seconds=float(settings.get("stale_seconds")
                                or Settings.from_config(config).rpc_timeout_seconds
                                + STALE_MARGIN_SECONDS),
        )
        self.store.ensure_indexes()

    def stop(self) -> None:
        release_client(self.uri)

    def get_dependency(self, worker_ctx) -> IdempotencyStore:
        return self.store


class RpcContextProvider(DependencyProvider):
    """The request worker's context data, which nameko sends with every RPC the request makes:
    where the gateway puts the command's scoped key and deadline (services/shared/commands.py)."""

    def get_dependency(self, worker_ctx) -> dict[str, Any]:
        return worker_ctx.data
