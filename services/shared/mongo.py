"""MongoDB access: one MongoClient per process, one database per service.

PyMongo clients are thread-safe connection pools meant to live as long as the process. Under
nameko several extensions of one process need the database (the service's storage, the outbox
relay, the reliable consumer's dedupe records), so they share one client through
`shared_client`, reference-counted and closed when the last user stops.

Example (in a service)::

    class PostsService:
        name = "posts"
        db = MongoDatabase()          # a pymongo Database named "<prefix>_posts"

        @rpc
        def count(self):
            return self.db.posts.count_documents({})
"""
from __future__ import annotations

import threading
from typing import Any

from nameko.extensions import DependencyProvider
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database

from .query_shapes import recorder_from_environment

DEFAULT_MONGO_URI = "mongodb://127.0.0.1:27017"

_lock = threading.Lock()
_clients: dict[str, tuple[MongoClient, int]] = {}
# Past this many names, a database's kept collections are forgotten (a replay's shadow
# collections have names of their own per rebuild): memory stays bounded.
KEPT_COLLECTIONS = 1000


class KeptCollections(Database):
    """A `Database` whose `db[name]` and `db.name` give the same `Collection` every time.

    pymongo builds a new `Collection` per access (its codec options, read preference, write and
    read concerns copied and checked: ~10 µs), and read models, recorders and outboxes ask for
    theirs on every command, some 150 times a post across the platform (py-spy: 1.9 ms of the
    services' ~60 ms of Python a post). A `Collection` holds only those settings and is safe
    to share between threads; one built with other options (`get_collection`, `with_options`)
    is built anew, as before."""

    def __init__(self, client: MongoClient, name: str) -> None:
        super().__init__(client, name)
        self._kept: dict[str, Collection] = {}

    def __getitem__(self, name: str) -> Collection:
        kept = self._kept.get(name)
        if kept is None:
            if len(self._kept) >= KEPT_COLLECTIONS:
                self._kept.clear()
            kept = self._kept[name] = super().__getitem__(name)
        return kept


class KeptDatabases(MongoClient):
    """A `MongoClient` whose `client[name]` and `client.name` give the same `KeptCollections`
    every time (the process's databases are a handful)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._kept: dict[str, KeptCollections] = {}
        super().__init__(*args, **kwargs)

    def __getitem__(self, name: str) -> KeptCollections:
        kept = self._kept.get(name)
        if kept is None:
            kept = self._kept[name] = KeptCollections(self, name)
        return kept


def shared_client(uri: str) -> MongoClient:
    """The process's client for `uri` (created on first use); pair with `release_client`."""
    with _lock:
        client, users = _clients.get(uri, (None, 0))
        if client is None:
            # Short server selection: a dead database must surface as a clear error (and a
            # failing readiness probe) within seconds, not after pymongo's default 30 s.
            timeouts = {} if "TimeoutMS" in uri else {"serverSelectionTimeoutMS": 5000,
                                                        "connectTimeoutMS": 5000}
            # AGORA_QUERY_SHAPES_DIR set: record this process's query shapes (the index check)
            client = KeptDatabases(uri, tz_aware=True, event_listeners=recorder_from_environment(),
                                 **timeouts)
        _clients[uri] = (client, users + 1)
        return client


def release_client(uri: str) -> None:
    with _lock:
        client, users = _clients.get(uri, (None, 0))
        if client is None:
            return
        if users <= 1:
            del _clients[uri]
            client.close()
        else:
            _clients[uri] = (client, users - 1)


def drop_index(collection: Collection, name: str) -> None:
    """Drop an index an upgrade replaced, if it is still there (`agora migrate` and every
    start run the declarations again: this must be a no-op the second time)."""
    if name in collection.index_information():
        collection.drop_index(name)


def database_name(config: dict[str, Any], service_name: str) -> str:
    """`<MONGO_DB_PREFIX>_<service>`: each service owns exactly one database."""
    return f"{config.get('MONGO_DB_PREFIX') or 'agora'}_{service_name}"


def mongo_uri(config: dict[str, Any]) -> str:
    return config.get("MONGO_URI") or DEFAULT_MONGO_URI


class MongoDatabase(DependencyProvider):
    """Injects the service's own pymongo `Database`."""

    def setup(self) -> None:
        self.uri = mongo_uri(self.container.config)
        self.client = shared_client(self.uri)
        self.database: Database = self.client[
            database_name(self.container.config, self.container.service_name)
        ]

    def stop(self) -> None:
        release_client(self.uri)

    def kill(self) -> None:
        release_client(self.uri)

    def get_dependency(self, worker_ctx) -> Database:
        return self.database
