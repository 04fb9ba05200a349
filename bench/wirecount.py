"""Count round trips from the outside: TCP proxies that read the MongoDB and AMQP wire protocols.

Processes pointed at a proxy instead of the real server are unchanged (no listener, no metric in
their code); the proxy forwards every byte both ways and, from what clients send, counts:

- `MongoProxy`: every command message (OP_MSG, or a legacy OP_QUERY) by database, command and
  collection — `find`, `insert`, `update`, `getMore`... each one a round trip to the database;
  the drivers' own monitoring (`hello`, `isMaster`, `ping`, `endSessions`) apart;
- `AmqpProxy`: every `basic.publish` by exchange and routing key — an RPC request (`nameko-rpc`,
  routing key `<service>.<method>`), its reply (`nameko-rpc`, routing key the caller's reply
  queue), an event (`<service>.events`), a retry or dead letter; and every command (method
  frame) a client sends by name (`methods()`: `basic.ack`, `channel.open`, `queue.declare`...),
  which shows connections, channels or declarations opened per message.

Example::

    proxy = MongoProxy("127.0.0.1", 27017).start()   # proxy.port: a free port
    ... MONGO_URI=mongodb://127.0.0.1:<proxy.port> ...
    before = proxy.snapshot()
    ...
    proxy.snapshot() - before                        # Counter({(db, command, collection): n})
"""
from __future__ import annotations

import contextlib
import importlib
import struct
import time
from collections import Counter

import bson


def _unpatched(name: str):
    """The standard module, even in a process eventlet monkey-patched (the test run, bench
    feeds): the proxy runs on OS threads and blocking sockets the green hub never sees, so its
    pumps neither wait on the hub nor leave it listeners on file descriptors that get reused."""
    try:
        from eventlet import patcher
    except ImportError:
        return importlib.import_module(name)
    return patcher.original(name)


socket = _unpatched("socket")
threading = _unpatched("threading")

MONITORING_COMMANDS = frozenset({"hello", "ismaster", "isMaster", "ping", "endSessions",
                                 "buildInfo", "buildinfo", "saslStart", "saslContinue"})
OP_QUERY, OP_MSG = 2004, 2013
AMQP_HEADER = b"AMQP\x00\x00\x09\x01"
BASIC_PUBLISH = (60, 40)
# The AMQP 0-9-1 methods a client sends, by (class id, method id).
AMQP_CLIENT_METHODS = {
    (10, 11): "connection.start-ok", (10, 21): "connection.secure-ok",
    (10, 31): "connection.tune-ok", (10, 40): "connection.open", (10, 50): "connection.close",
    (10, 51): "connection.close-ok", (20, 10): "channel.open", (20, 20): "channel.flow",
    (20, 21): "channel.flow-ok", (20, 40): "channel.close", (20, 41): "channel.close-ok",
    (40, 10): "exchange.declare", (40, 20): "exchange.delete", (40, 30): "exchange.bind",
    (40, 40): "exchange.unbind", (50, 10): "queue.declare", (50, 20): "queue.bind",
    (50, 30): "queue.purge", (50, 40): "queue.delete", (50, 50): "queue.unbind",
    (60, 10): "basic.qos", (60, 20): "basic.consume", (60, 30): "basic.cancel",
    (60, 40): "basic.publish", (60, 70): "basic.get", (60, 80): "basic.ack",
    (60, 90): "basic.reject", (60, 100): "basic.recover-async", (60, 110): "basic.recover",
    (60, 120): "basic.nack", (85, 10): "confirm.select", (90, 10): "tx.select",
    (90, 20): "tx.commit", (90, 30): "tx.rollback",
}


class _Proxy:
    """Accepts on a free local port, forwards each connection to (host, port), and hands every
    byte a client sends to its own parser (one per connection), which counts what it reads."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.counts: Counter = Counter()
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closed = False

    def start(self):
        self._listener.listen(256)
        threading.Thread(target=self._accept, daemon=True, name="wirecount-accept").start()
        return self

    def stop(self) -> None:
        self._closed = True
        self._listener.close()

    def snapshot(self) -> Counter:
        with self._lock:
            return Counter(self.counts)

    def count(self, key: tuple) -> None:
        with self._lock:
            self.counts[key] += 1

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            parser = self.parser()
            threading.Thread(target=self._pump, args=(client, server, parser),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, self.reply_parser(parser)),
                             daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, parser) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if parser is not None:
                    parser.feed(data)
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def parser(self):
        raise NotImplementedError

    def reply_parser(self, parser):
        """What reads the server's bytes on the connection whose client bytes `parser` reads
        (None: they are only forwarded)."""
        return None


class _Framed:
    """Buffers a byte stream and hands each complete frame to `on_frame`."""

    def __init__(self, on_frame, frame_length) -> None:
        self.buffer = bytearray()
        self.on_frame = on_frame
        self.frame_length = frame_length  # buffer -> length of the first frame, or None

    def feed(self, data: bytes) -> None:
        self.buffer += data
        while (length := self.frame_length(self.buffer)) is not None \
                and len(self.buffer) >= length:
            frame = bytes(self.buffer[:length])
            del self.buffer[:length]
            self.on_frame(frame)


# -- MongoDB ------------------------------------------------------------------------------------

def mongo_command(message: bytes) -> tuple[str, str, str] | None:
    """(database, command, collection) of one client message (OP_MSG or OP_QUERY), or None."""
    op_code = struct.unpack_from("<i", message, 12)[0]
    if op_code == OP_MSG:
        offset = 20  # header (16) + flag bits (4)
        while offset < len(message):
            kind = message[offset]
            if kind == 0:
                size = struct.unpack_from("<i", message, offset + 1)[0]
                body = bson.decode(message[offset + 1:offset + 1 + size])
                break
            size = struct.unpack_from("<i", message, offset + 1)[0]  # kind 1: a sequence
            offset += 1 + size
        else:
            return None
        name = next(iter(body))
        collection = body[name] if isinstance(body[name], str) else ""
        if name == "getMore":
            collection = body.get("collection", "")
        return body.get("$db", ""), name, collection
    if op_code == OP_QUERY:  # the legacy handshake
        end = message.index(b"\x00", 20)
        full_name = message[20:end].decode()
        start = end + 1 + 8  # skip, return
        size = struct.unpack_from("<i", message, start)[0]
        body = bson.decode(message[start:start + size])
        name = next(iter(body), "")
        return full_name.split(".")[0], name, ""
    return None


class MongoProxy(_Proxy):
    """Counts (database, command, collection) of every command; `monitoring` ones apart."""

    def parser(self):
        def on_message(message: bytes) -> None:
            command = mongo_command(message)
            if command is not None:
                self.count(command)

        return _Framed(on_message, lambda buffer: struct.unpack_from("<i", buffer, 0)[0]
                       if len(buffer) >= 4 else None)


def mongo_sections(message: bytes) -> tuple[dict, dict[str, list[dict]]] | None:
    """The body of an OP_MSG and its document sequences (pymongo sends a bulk write's
    `documents`, `updates` or `deletes` as one), or None for another kind of message."""
    if struct.unpack_from("<i", message, 12)[0] != OP_MSG:
        return None
    body: dict = {}
    sequences: dict[str, list[dict]] = {}
    offset = 20
    while offset < len(message):
        kind, size = message[offset], struct.unpack_from("<i", message, offset + 1)[0]
        if kind == 0:
            body = bson.decode(message[offset + 1:offset + 1 + size])
        else:
            end = message.index(b"\x00", offset + 5)
            name = message[offset + 5:end].decode()
            sequences[name] = bson.decode_all(message[end + 1:offset + 1 + size])
        offset += 1 + size
    return body, sequences


def filter_shape(query) -> str:
    """A filter's fields and operators, never its values: `{"a": 1, "b": {"$gt": 2}}` ->
    `a,b$gt`; `$or`/`$and` clauses in brackets."""
    if not isinstance(query, dict):
        return ""
    parts = []
    for key, value in query.items():
        if key in ("$or", "$and", "$nor") and isinstance(value, list):
            parts.append(key + "[" + "|".join(filter_shape(clause) for clause in value) + "]")
        elif isinstance(value, dict) and value and all(k.startswith("$") for k in value):
            parts.append(key + "".join(sorted(value)))
        else:
            parts.append(key)
    return ",".join(parts)


def command_shape(message: bytes) -> tuple[str, str, str, str] | None:
    """(database, command, collection, shape) of one client command: the filter's fields and
    operators, the sort, whether limited, an update's operators, an aggregate's stages."""
    sections = mongo_sections(message)
    if sections is None:
        return None
    body, sequences = sections
    if not body:
        return None
    name = next(iter(body))
    collection = body[name] if isinstance(body[name], str) else body.get("collection", "")
    detail = ""
    if name in ("find", "count", "distinct"):
        detail = filter_shape(body.get("filter", body.get("query")))
        if body.get("sort"):
            detail += " sort " + ",".join(f"{k}{'-' if v == -1 else ''}"
                                          for k, v in body["sort"].items())
        if body.get("limit"):
            detail += " limit"
    elif name in ("update", "delete"):
        statements = body.get(name + "s") or sequences.get(name + "s") or [{}]
        detail = filter_shape(statements[0].get("q"))
        update = statements[0].get("u")
        if isinstance(update, dict):
            detail += " " + "".join(sorted(k for k in update if k.startswith("$")))
        elif isinstance(update, list):
            detail += " pipeline"
        if len(statements) > 1:
            detail += " bulk"
    elif name == "findAndModify":
        detail = filter_shape(body.get("query"))
        if body.get("sort"):
            detail += " sort " + ",".join(body["sort"])
        update = body.get("update")
        if isinstance(update, dict):
            detail += " " + "".join(sorted(k for k in update if k.startswith("$")))
    elif name == "aggregate":
        stages = body.get("pipeline") or []
        detail = " ".join(next(iter(stage), "") + (
            "(" + filter_shape(stage["$match"]) + ")" if "$match" in stage else "")
            for stage in stages)
    elif name == "insert":
        documents = body.get("documents") or sequences.get("documents") or []
        detail = "bulk" if len(documents) > 1 else ""
    return body.get("$db", ""), name, collection, detail


class MongoTimer(_Proxy):
    """Times every command from its request to its reply, by shape (`command_shape`): the
    server's time plus the network's, measured outside the processes. `snapshot()` gives
    shape -> [commands, seconds, reply bytes]."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(host, port)
        self.timings: dict[tuple, list[float]] = {}

    def snapshot(self) -> dict[tuple, list[float]]:
        with self._lock:
            return {shape: list(values) for shape, values in self.timings.items()}

    def parser(self):
        pending: dict[int, tuple[tuple, float]] = {}

        def on_message(message: bytes) -> None:
            shape = command_shape(message)
            if shape is not None and shape[1] not in MONITORING_COMMANDS:
                request_id = struct.unpack_from("<i", message, 4)[0]
                pending[request_id] = (shape, time.perf_counter())

        framed = _Framed(on_message, _message_length)
        framed.pending = pending
        return framed

    def reply_parser(self, parser):
        pending = parser.pending

        def on_reply(message: bytes) -> None:
            sent = pending.pop(struct.unpack_from("<i", message, 8)[0], None)
            if sent is None:
                return
            shape, started = sent
            with self._lock:
                values = self.timings.setdefault(shape, [0, 0.0, 0])
                values[0] += 1
                values[1] += time.perf_counter() - started
                values[2] += len(message)

        return _Framed(on_reply, _message_length)


def _message_length(buffer: bytearray) -> int | None:
    return struct.unpack_from("<i", buffer, 0)[0] if len(buffer) >= 4 else None


def database_round_trips(counts: Counter) -> Counter:
    """The counts without the drivers' own monitoring."""
    return Counter({key: n for key, n in counts.items() if key[1] not in MONITORING_COMMANDS})


# -- AMQP 0-9-1 ---------------------------------------------------------------------------------

def amqp_method(frame: bytes) -> str | None:
    """The name of the method when `frame` is a method frame (`basic.ack`), else None."""
    if frame[0] != 1:
        return None
    class_id, method_id = struct.unpack_from(">HH", frame, 7)
    return AMQP_CLIENT_METHODS.get((class_id, method_id), f"{class_id}.{method_id}")


def amqp_publish(frame: bytes) -> tuple[str, str] | None:
    """(exchange, routing key) when `frame` is a basic.publish method frame, else None."""
    if frame[0] != 1:  # a method frame
        return None
    class_id, method_id = struct.unpack_from(">HH", frame, 7)
    if (class_id, method_id) != BASIC_PUBLISH:
        return None
    offset = 7 + 4 + 2  # class, method, reserved short
    exchange_length = frame[offset]
    exchange = frame[offset + 1:offset + 1 + exchange_length].decode()
    offset += 1 + exchange_length
    key_length = frame[offset]
    routing_key = frame[offset + 1:offset + 1 + key_length].decode()
    return exchange, routing_key


class AmqpProxy(_Proxy):
    """Counts (exchange, routing key) of every basic.publish a client sends, and every method
    a client sends by name (`methods()`)."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(host, port)
        self._methods: Counter = Counter()

    def methods(self) -> Counter:
        """method name -> how many clients sent so far."""
        with self._lock:
            return Counter(self._methods)

    def parser(self):
        state = {"header": False}

        def frame_length(buffer: bytearray) -> int | None:
            if not state["header"]:
                return len(AMQP_HEADER) if len(buffer) >= len(AMQP_HEADER) else None
            if len(buffer) < 7:
                return None
            return 7 + struct.unpack_from(">I", buffer, 3)[0] + 1  # header, payload, frame end

        def on_frame(frame: bytes) -> None:
            if not state["header"]:
                state["header"] = True
                return
            method = amqp_method(frame)
            if method is None:
                return
            with self._lock:
                self._methods[method] += 1
            publish = amqp_publish(frame)
            if publish is not None:
                self.count(publish)

        return _Framed(on_frame, frame_length)
