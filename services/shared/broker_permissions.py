"""Who may do what on the broker: one RabbitMQ user per process, with only what it needs.

The single definition of the broker's users and their permissions (configure, write, read
regular expressions on exchange and queue names, RabbitMQ's access control), used by
k8s/scripts/create-secrets.py (the dev broker's definitions), checked against the production
manifests (tests/k8s) and exercised on a real broker by the end-to-end tests
(tests/e2e/test_broker_permissions.py). Standard library only: the secrets script imports it.

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

Bank systems get one read-only user: they declare and bind their own queues named `bank.*` and
read every public `*.events` exchange — never a `*.private` one, never a write to Agora's.

Example::

    >>> permissions_for("feeds")["read"].startswith("^(")
    True
"""
from __future__ import annotations

import re

SERVICES = ("identity", "posts", "moderation", "feeds", "notifications", "conversations")
GATEWAY = "gateway"
BANK_READER = "bank-reader"
USERS = (GATEWAY, *SERVICES, BANK_READER)

# The exchanges each process binds queues to (its reliable_handler subscriptions, own included).
# tests/unit/test_broker_permissions.py checks this table against the code.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "identity": ("identity.events", "identity.private"),
    "posts": ("posts.events", "posts.private", "conversations.events", "moderation.events"),
    "moderation": ("moderation.events", "posts.events", "posts.private", "identity.events",
                   "conversations.events"),
    "feeds": ("feeds.events", "identity.events", "posts.events"),
    "notifications": ("notifications.private", "posts.events", "moderation.events",
                      "conversations.events", "feeds.events", "identity.events",
                      "identity.private"),
    "conversations": ("conversations.events", "identity.events", "identity.private",
                      "posts.events"),
    "gateway": ("identity.private",),
}


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
    else:
        rpc = rf"rpc-{name}"                   # the RPC server's queue
        own = [rf"{name}\.events", rf"{name}\.private"]
    return {
        "configure": _any("nameko-rpc", rpc, *own, handlers, dead_letters,
                          *[e for e in subscribed if e not in own]),
        "write": _any(r"amq\.default", "nameko-rpc", rpc, *own, handlers, dead_letters),
        "read": _any("nameko-rpc", rpc, handlers, dead_letters, *subscribed),
    }


def all_permissions() -> dict[str, dict[str, str]]:
    """{broker username: permissions} for every user."""
    return {username(user): permissions_for(user) for user in USERS}
