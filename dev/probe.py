"""Readiness probes for dev/stack.sh (run with the project venv's python: needs pika and pymongo).

    probe.py amqp  URI  [--timeout S] [--pid PID]   a real AMQP connection + channel (pika)
    probe.py mongo URI  [--timeout S] [--pid PID]   pymongo `ping`; prints the server's wire version
    probe.py http  URL  [--timeout S] [--pid PID]   HTTP GET answers 200 (basic auth from the URL)
    probe.py mgmt-uri AMQP_URI [PORT]               print the management URI matching an AMQP URI

Waiting probes retry until the timeout (default: one attempt) and stop early, with exit code 3,
when the process --pid is gone. Exit codes: 0 ready, 1 not ready in time, 2 usage, 3 process died.
"""

from __future__ import annotations

import argparse
import base64
import logging
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ATTEMPT_SECONDS = 3.0
PAUSE_SECONDS = 0.5


def process_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def try_amqp(uri: str) -> str:
    import pika

    if uri.startswith("pyamqp://"):  # kombu/nameko spelling of the same thing
        uri = "amqp://" + uri[len("pyamqp://") :]
    params = pika.URLParameters(uri)
    params.socket_timeout = ATTEMPT_SECONDS
    params.blocked_connection_timeout = ATTEMPT_SECONDS
    params.connection_attempts = 1
    params.stack_timeout = ATTEMPT_SECONDS + 2
    connection = pika.BlockingConnection(params)
    try:
        connection.channel().close()
        props = connection._impl.server_properties or {}
        version = props.get("version", b"")
        version = version.decode() if isinstance(version, bytes) else str(version)
        return f"AMQP broker {version or '(unknown version)'}"
    finally:
        connection.close()


def try_mongo(uri: str) -> str:
    import pymongo

    ms = int(ATTEMPT_SECONDS * 1000)
    client = pymongo.MongoClient(
        uri,
        serverSelectionTimeoutMS=ms,
        connectTimeoutMS=ms,
        socketTimeoutMS=ms,
        appname="agora-probe",
    )
    try:
        client.admin.command("ping")
        hello = client.admin.command("ismaster")
        try:
            version = client.server_info().get("version", "?")
        except Exception:
            version = "?"
        wire = f"{hello.get('minWireVersion')}..{hello.get('maxWireVersion')}"
        return f"MongoDB-compatible server {version}, wire versions {wire}"
    finally:
        client.close()


def try_http(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    request = urllib.request.Request(urllib.parse.urlunsplit(parts._replace(netloc=netloc)))
    if parts.username is not None:
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=ATTEMPT_SECONDS) as response:
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        return f"HTTP {response.status}"


def wait(check, target: str, timeout: float, pid: int | None) -> int:
    deadline = time.monotonic() + timeout
    last_error = "no attempt made"
    while True:
        if pid is not None and not process_alive(pid):
            print(f"process {pid} exited while waiting for {redact(target)}", file=sys.stderr)
            return 3
        try:
            print(check(target))
            return 0
        except Exception as exc:
            last_error = f"{type(exc).__name__}: {exc}".strip()
        if time.monotonic() + PAUSE_SECONDS >= deadline:
            print(f"{redact(target)} not ready: {last_error}", file=sys.stderr)
            return 1
        time.sleep(PAUSE_SECONDS)


def redact(uri: str) -> str:
    parts = urllib.parse.urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def management_uri(amqp_uri: str, port: int) -> str:
    parts = urllib.parse.urlsplit(amqp_uri)
    scheme = "https" if parts.scheme == "amqps" else "http"
    userinfo = ""
    if parts.username is not None:
        userinfo = (
            parts.username + (f":{parts.password}" if parts.password is not None else "") + "@"
        )
    else:
        userinfo = "guest:guest@"
    host = parts.hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{userinfo}{host}:{port}"


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.CRITICAL)  # pika/pymongo chatter on failed attempts
    parser = argparse.ArgumentParser(prog="probe.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("amqp", "mongo", "http"):
        p = sub.add_parser(name)
        p.add_argument("target")
        p.add_argument("--timeout", type=float, default=0.0)
        p.add_argument("--pid", type=int)
    p = sub.add_parser("mgmt-uri")
    p.add_argument("amqp_uri")
    p.add_argument("port", type=int, nargs="?", default=15672)
    args = parser.parse_args(argv)

    if args.command == "mgmt-uri":
        print(management_uri(args.amqp_uri, args.port))
        return 0
    check = {"amqp": try_amqp, "mongo": try_mongo, "http": try_http}[args.command]
    return wait(check, args.target, args.timeout, args.pid)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main(sys.argv[1:]))
