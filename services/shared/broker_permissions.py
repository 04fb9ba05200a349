"""Who may do what on the broker: one RabbitMQ user per process, with only what it needs.

The single definition of the broker's users and their permissions (configure, write, read
regular expressions on exchange and queue names, RabbitMQ's access control), used by
k8s/scripts/create-secrets.py (the dev broker's definitions), checked against the production
manifests (tests/k8s) and exercised on a real broker by the end-to-end tests
(tests/e2e/test_broker_permissions.py). Standard library only: the secrets script imports
it, and `make up` runs it (`provision`) to give the local stack the same users.

What a service `S` needs, from the code (services/shared/consumer.py, outbox.py, nameko):

- its RPC queue `rpc-S` on the `nameko-rpc` exchange (declare, bind, consume; answers are
  published to `nameko-rpc`); the gateway instead has reply queues `rpc.reply-gateway-<uuid>`;
- its exchanges `S.events` / `S.private` (the outbox relay declares and publishes);
- its handler queues `evt-<source>-<type>--S.<method>` and their `.retry.<ms>` delay queues,
  bound to the exchanges it subscribes to (declaring a queue re-declares its exchange, hence
  `configure` and `read` on those), and `S.dead-letters`;
- `write` on `amq.default`: retries and dead letters are moved through the default exchange.
  RabbitMQ checks `write` on the exchange only, so this lets a service publish into any queue
  by name — a limit of RabbitMQ's model, stated in docs/security.md.

The gateway's live channel (gateway/live.py) adds one queue per replica, `gateway.live.<...>`
(exclusive, auto-delete), bound to `LIVE_EXCHANGES`; notifications publishes live signals on
its own `notifications.live` (services/shared/live.py).

Bank systems get one read-only user: they declare and bind their own queues named `bank.*` and
read every public `*.events` exchange — never a `*.private` one, never a write to Agora's.

Example::

    >>> permissions_for("feeds")["read"].startswith("^(")
    True
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

SERVICES = ("identity", "posts", "moderation", "feeds", "notifications", "conversations")
GATEWAY = "gateway"
BANK_READER = "bank-reader"
USERS = (GATEWAY, *SERVICES, BANK_READER)

# The exchanges each process binds queues to (its reliable_handler subscriptions, own included).
# tests/unit/test_broker_permissions.py checks this table against the code.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "identity": ("identity.events", "identity.private"),
    "posts": ("posts.events", "posts.private", "conversations.events", "moderation.events",
              "identity.events"),
    "moderation": ("moderation.events", "moderation.private", "posts.events", "posts.private",
                   "identity.events", "conversations.events"),
    "feeds": ("feeds.events", "identity.events", "posts.events"),
    "notifications": ("notifications.private", "posts.events", "moderation.events",
                      "conversations.events", "feeds.events", "identity.events",
                      "identity.private"),
    "conversations": ("conversations.events", "conversations.private", "identity.events",
                      "identity.private", "posts.events"),
    "gateway": ("identity.private", "identity.events"),
}

# The exchanges the gateway's live-channel queues bind to (gateway/live.py SUBSCRIPTIONS), and
# the services that publish live signals on `<service>.live` (services/shared/live.py).
LIVE_EXCHANGES = ("notifications.live", "notifications.private", "conversations.events")
LIVE_PUBLISHERS = ("notifications",)


def username(user: str) -> str:
    """The broker user of a process: `agora-posts`, `agora-gateway`, `agora-bank-reader`."""
    return f"agora-{user}"


def _any(*alternatives: str) -> str:
    return "^(" + "|".join(alternatives) + ")$"


def permissions_for(user: str) -> dict[str, str]:
    """RabbitMQ permissions (configure, write, read) of one user of `USERS`."""
    if user == BANK_READER:
        return {"configure": _any(r"bank\..+"), "write": _any(r"bank\..+"),
                "read": _any(r"bank\..+", r"[a-z]+\.events")}
    if user not in SUBSCRIPTIONS:
        raise KeyError(f"no broker user for {user!r}; one of {USERS}")
    subscribed = [re.escape(exchange) for exchange in SUBSCRIPTIONS[user]]
    name = re.escape(user)
    handlers = rf"evt-.+--{name}\..+"          # handler queues and their retry queues
    dead_letters = rf"{name}\.dead-letters"
    if user == GATEWAY:
        rpc = rf"rpc\.reply-{name}-.+"         # the RPC client's reply queues
        own: list[str] = []
        handlers += rf"|{name}\.live\..+"     # the live channel's queue per replica
        subscribed += [re.escape(exchange) for exchange in LIVE_EXCHANGES
                       if exchange not in SUBSCRIPTIONS[user]]
    else:
        rpc = rf"rpc-{name}"                   # the RPC server's queue
        own = [rf"{name}\.events", rf"{name}\.private"]
        if user in LIVE_PUBLISHERS:
            own.append(rf"{name}\.live")
    return {
        "configure": _any("nameko-rpc", rpc, *own, handlers, dead_letters,
                          *[e for e in subscribed if e not in own]),
        "write": _any(r"amq\.default", "nameko-rpc", rpc, *own, handlers, dead_letters),
        "read": _any("nameko-rpc", rpc, handlers, dead_letters, *subscribed),
    }


def all_permissions() -> dict[str, dict[str, str]]:
    """{broker username: permissions} for every user."""
    return {username(user): permissions_for(user) for user in USERS}


# -- the local stack: the same users on a development broker -------------------------------------

def provision(amqp_uri: str, management_uri: str, state_file: Path,
              prefix: str = "") -> dict[str, str]:
    """Create (or update) every user of `USERS` with its permissions on the vhost of `amqp_uri`,
    through the RabbitMQ management API (an administrator's `management_uri`), and return
    {user: its AMQP URI}. Passwords are made once and kept in `state_file` (owner-only), so a
    second run changes nothing for processes already connected. `prefix` keeps user names apart
    on a broker several checkouts share (the tests use one per run).

    Used by `make up` (dev/platform.sh) and by tests/e2e/test_broker_permissions.py.
    """
    parts = urllib.parse.urlsplit(amqp_uri)
    vhost = urllib.parse.unquote(parts.path[1:]) or "/"
    passwords = json.loads(state_file.read_text()) if state_file.exists() else {}
    uris = {}
    for user in USERS:
        name = prefix + username(user)
        passwords.setdefault(name, secrets.token_hex(16))
        _manage(management_uri, "PUT", f"/api/users/{_q(name)}",
                {"password": passwords[name], "tags": ""})
        _manage(management_uri, "PUT", f"/api/permissions/{_q(vhost)}/{_q(name)}",
                permissions_for(user))
        netloc = f"{_q(name)}:{passwords[name]}@{parts.hostname}" + (
            f":{parts.port}" if parts.port else "")
        uris[user] = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    state_file.parent.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(state_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        json.dump(passwords, out)
    return uris


def remove(management_uri: str, state_file: Path) -> None:
    """Delete the users `provision` made (those named in `state_file`) and the file."""
    if not state_file.exists():
        return
    for name in json.loads(state_file.read_text()):
        _manage(management_uri, "DELETE", f"/api/users/{_q(name)}", None)
    state_file.unlink()


def _q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _manage(management_uri: str, method: str, path: str, body) -> None:
    parts = urllib.parse.urlsplit(management_uri)
    base = urllib.parse.urlunsplit((parts.scheme, parts.hostname + (
        f":{parts.port}" if parts.port else ""), parts.path.rstrip("/"), "", ""))
    request = urllib.request.Request(base + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    login = f"{urllib.parse.unquote(parts.username or 'guest')}:" \
            f"{urllib.parse.unquote(parts.password or 'guest')}"
    request.add_header("Authorization", "Basic " + base64.b64encode(login.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10):
            pass
    except urllib.error.HTTPError as error:
        if not (method == "DELETE" and error.code == 404):
            raise


def main(argv: list[str] | None = None) -> int:
    """`python -m services.shared.broker_permissions provision --state FILE`: print one
    `<process> <amqp uri>` line per process (AMQP_URI and RABBIT_MANAGEMENT_URI from the
    environment); `remove --state FILE` deletes them."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("action", choices=["provision", "remove"])
    parser.add_argument("--state", required=True, type=Path)
    args = parser.parse_args(argv)
    management = os.environ.get("RABBIT_MANAGEMENT_URI", "http://guest:guest@127.0.0.1:15672")
    if args.action == "remove":
        remove(management, args.state)
        return 0
    uris = provision(os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
                     management, args.state)
    for user, uri in uris.items():
        if user != BANK_READER:
            print(user, uri)
    return 0


if __name__ == "__main__":
    sys.exit(main())
