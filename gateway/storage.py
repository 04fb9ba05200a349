"""The gateway's own collections (`<prefix>_gateway`) and their indexes, for `agora migrate`.

The gateway keeps no event log: idempotency keys (`idempotency.py`) and revoked sessions
(`auth.py`). Both expire, so each has a TTL index on `expires_at`, which also serves the
gateway's only non-`_id` query: the revocations still in force, polled every second.
"""
from __future__ import annotations

from pymongo.database import Database

from .auth import REVOCATIONS
from .idempotency import COLLECTION as IDEMPOTENCY_KEYS
from .idempotency import IdempotencyStore


def ensure_indexes(db: Database) -> None:
    IdempotencyStore(db[IDEMPOTENCY_KEYS]).ensure_indexes()
    # a revocation outlives every access token of its session by nothing: then it can go
    db[REVOCATIONS].create_index("expires_at", expireAfterSeconds=0, name="expires_at_ttl")
