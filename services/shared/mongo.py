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

import functools
import threading
import time
from collections import abc
from typing import Any

from bson import ObjectId
from nameko.extensions import DependencyProvider
from pymongo import MongoClient, ReadPreference, common
from pymongo.collection import Collection, ReturnDocument
from pymongo.database import Database
from pymongo.errors import ConnectionFailure, NotPrimaryError
from pymongo.helpers_shared import _check_write_command_response, _fields_list_to_dict
from pymongo.monitoring import ConnectionClosedReason
from pymongo.operations import _Op
from pymongo.results import InsertOneResult, UpdateResult
from pymongo.server_selectors import writable_server_selector
from pymongo.synchronous.mongo_client import _MongoClientErrorHandler

from .query_shapes import recorder_from_environment

DEFAULT_MONGO_URI = "mongodb://127.0.0.1:27017"

_lock = threading.Lock()
_clients: dict[str, tuple[MongoClient, int]] = {}
# Past this many names, a database's kept collections are forgotten (a replay's shadow
# collections have names of their own per rebuild): memory stays bounded.
KEPT_COLLECTIONS = 1000


class LeanCollection(Collection):
    """A `Collection` whose commonest commands — `find_one`, `insert_one`, `update_one`,
    `update_many`, `find_one_and_update` with no other option than a projection, an upsert or
    the returned document — go straight to a connection, where pymongo's retry and session
    layers would decide nothing.

    pymongo wraps every command in a timeout scope, a retry loop, an implicit session, a server
    selection and a pool checkout (~400 Python calls a command; py-spy: ~40 % of a post's
    Python in the services is under pymongo's entry points). Against a server without sessions
    (the local stand-in, a standalone mongod) pymongo sends no session and never retries a
    write, so here the command is the same document on one of pymongo's own authenticated
    connections (`_HeldConnections`: a few kept between commands), under pymongo's handler of
    network and "not primary" errors (`_MongoClientErrorHandler`: the server marked unknown,
    the pool cleared), its reply checked by pymongo's own checks (`DuplicateKeyError`,
    `WriteError`, `OperationFailure` alike). A read that fails with a network or "not primary"
    error is sent once more the full way, as pymongo's retryable read is. Where the server
    supports sessions (a replica set: retryable writes and their transaction numbers), and
    for any other option, a non-primary read preference or a read concern, pymongo's full path
    is taken as before (docs/architecture.md, "A new post's cascade, ...")."""

    def find_one(self, filter: Any = None, *args: Any, **kwargs: Any) -> Any:
        if len(args) > 1 or set(kwargs) - {"projection"} or (args and kwargs):
            return super().find_one(filter, *args, **kwargs)
        projection = args[0] if args else kwargs.get("projection")
        if filter is not None and not isinstance(filter, abc.Mapping):
            filter = {"_id": filter}
        command: dict[str, Any] = {"find": self.name, "filter": filter or {}}
        if projection is not None:
            command["projection"] = _fields_list_to_dict(projection, "projection")
        command.update(limit=1, singleBatch=True)
        try:
            reply = self._lean_command(command, _Op.FIND)
        except (ConnectionFailure, NotPrimaryError):
            reply = None  # pymongo retries a read once: the full way does
        if reply is None:
            return super().find_one(filter, projection=projection)
        batch = reply["cursor"]["firstBatch"]
        return batch[0] if batch else None

    def insert_one(self, document: Any, *args: Any, **kwargs: Any) -> InsertOneResult:
        if args or kwargs or not isinstance(document, dict):
            return super().insert_one(document, *args, **kwargs)
        if "_id" not in document:
            document["_id"] = ObjectId()
        reply = self._lean_command(
            {"insert": self.name, "ordered": True, "documents": [document]}, _Op.INSERT)
        if reply is None:
            return super().insert_one(document)
        _check_write_command_response(reply)
        return InsertOneResult(document["_id"], True)

    def update_one(self, filter: Any, update: Any, upsert: bool = False, *args: Any,
                   **kwargs: Any) -> UpdateResult:
        if args or kwargs:
            return super().update_one(filter, update, upsert, *args, **kwargs)
        result = self._lean_update(filter, update, upsert, multi=False)
        return super().update_one(filter, update, upsert) if result is None else result

    def update_many(self, filter: Any, update: Any, upsert: bool = False, *args: Any,
                    **kwargs: Any) -> UpdateResult:
        if args or kwargs:
            return super().update_many(filter, update, upsert, *args, **kwargs)
        result = self._lean_update(filter, update, upsert, multi=True)
        return super().update_many(filter, update, upsert) if result is None else result

    def _lean_update(self, filter: Any, update: Any, upsert: bool, multi: bool
                     ) -> UpdateResult | None:
        common.validate_is_mapping("filter", filter)
        common.validate_ok_for_update(update)
        common.validate_boolean("upsert", upsert)
        reply = self._lean_command({"update": self.name, "ordered": True, "updates": [
            {"q": filter, "u": update, "multi": multi, "upsert": upsert}]}, _Op.UPDATE)
        if reply is None:
            return None
        _check_write_command_response(reply)
        # what pymongo's `_update` adds to the reply (`UpdateResult.upserted_id` reads it)
        result = dict(reply)
        result["updatedExisting"] = bool(result.get("n")) and "upserted" not in result
        if "upserted" in result:
            result["upserted"] = result["upserted"][0]["_id"]
        return UpdateResult(result, True)

    def find_one_and_update(self, filter: Any, update: Any, projection: Any = None,
                            *args: Any, upsert: bool = False,
                            return_document: bool = ReturnDocument.BEFORE, **kwargs: Any
                            ) -> Any:
        if args or kwargs or not isinstance(return_document, bool):
            return super().find_one_and_update(filter, update, projection, *args, upsert=upsert,
                                               return_document=return_document, **kwargs)
        common.validate_is_mapping("filter", filter)
        common.validate_ok_for_update(update)
        common.validate_boolean("upsert", upsert)
        command: dict[str, Any] = {"findAndModify": self.name, "query": filter,
                                   "new": return_document, "update": update}
        if projection is not None:
            command["fields"] = _fields_list_to_dict(projection, "projection")
        command["upsert"] = upsert
        reply = self._lean_command(command, _Op.FIND_AND_MODIFY)
        if reply is None:
            return super().find_one_and_update(filter, update, projection, upsert=upsert,
                                               return_document=return_document)
        _check_write_command_response(reply)
        return reply.get("value")

    @functools.cached_property
    def _plain(self) -> bool:
        """Primary reads, the server's read concern, acknowledged writes, no client-side
        encryption: nothing of pymongo's per-command options to apply (a `Collection`'s
        settings never change)."""
        return (self.read_preference == ReadPreference.PRIMARY and self.read_concern.level is None
                and self.write_concern.acknowledged
                and self.database.client._encrypter is None)

    def _lean_command(self, command: dict[str, Any], operation: str) -> dict[str, Any] | None:
        """The command's reply, sent on a connection this process holds for its lean commands;
        None when pymongo's full path is the one to take (options, or a server with sessions:
        see the class)."""
        if not self._plain:
            return None
        client = self.database.client
        server = client.held.server(client, operation)
        if server.description.logical_session_timeout_minutes is not None:
            return None
        write = operation != _Op.FIND
        with _MongoClientErrorHandler(client, server, None) as errors:
            conn = client.held.take(server.pool, errors)
            errors.contribute_socket(conn)
            try:
                reply = conn.command(self.database.name, command,
                                     codec_options=self.codec_options,
                                     write_concern=self.write_concern if write else None,
                                     client=client)
            except BaseException:
                client.held.give_back(server.pool, conn)
                raise
        client.held.give_back(server.pool, conn)
        return reply


class _HeldConnections:
    """The server lean commands go to, and connections kept out of pymongo's pool between
    them, a few per pool.

    The server is selected again only when pymongo's view of the deployment changed (its
    topology description is replaced on every change: a server found down, a new primary);
    selecting takes the topology's lock every time.

    A checkout and a check-in take and give eventlet's green locks some ten times (~90 of a
    command's ~220 Python calls on the lean path). Green threads switch only when they wait,
    so a list is enough to hand a connection from one command to the next. The pool still
    counts them as in use (at most HELD per pool: pymongo's own path keeps the rest of
    `maxPoolSize`); one that is closed, of an older generation (the pool was cleared after an
    error) or idle for a second and found dead by the pool's own check goes back to the pool,
    which discards it."""

    HELD = 8

    def __init__(self) -> None:
        self._free: dict[Any, list[Any]] = {}
        self._selected: tuple[Any, Any] = (None, None)  # (topology description, server)

    def server(self, client: MongoClient, operation: str) -> Any:
        topology = client._get_topology()
        description, server = self._selected
        if topology.description is not description:
            description = topology.description
            server = client._select_server(writable_server_selector, None, operation)
            if topology.description is description:  # nothing changed while it was selected
                self._selected = (description, server)
        return server

    def take(self, pool: Any, errors: Any) -> Any:
        free = self._free.get(pool)
        while free:
            conn = free.pop()
            if conn.idle_time_seconds() > 1 and not conn.closed and conn.conn_closed():
                conn.close_conn(ConnectionClosedReason.ERROR)  # as the pool's own check does
            if conn.closed or pool.stale_generation(conn.generation, conn.service_id):
                pool.checkin(conn)  # which discards it
                continue
            return conn
        return pool._get_conn(time.monotonic(), handler=errors)

    def give_all_back(self) -> None:
        for pool, free in self._free.items():
            while free:
                pool.checkin(free.pop())

    def give_back(self, pool: Any, conn: Any) -> None:
        free = self._free.setdefault(pool, [])
        if conn.closed or pool.closed or len(free) >= self.HELD:
            pool.checkin(conn)
        else:
            conn.update_last_checkin_time()
            free.append(conn)


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
            kept = self._kept[name] = LeanCollection(self, name)
        return kept


class KeptDatabases(MongoClient):
    """A `MongoClient` whose `client[name]` and `client.name` give the same `KeptCollections`
    every time (the process's databases are a handful)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._kept: dict[str, KeptCollections] = {}
        self.held = _HeldConnections()
        super().__init__(*args, **kwargs)

    def close(self) -> None:
        self.held.give_all_back()
        super().close()

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
