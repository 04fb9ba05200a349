"""A tiny event-sourced service and a consumer, used to test the shared kit end to end.

`ledger` appends `ledger.deposited` events and projects balances; `audit` consumes them with the
reliable handler, failing on purpose for some amounts so retries and dead letters can be seen.
"""
from __future__ import annotations

import json
import time

import eventlet
from marshmallow import Schema, fields
from nameko.rpc import rpc
from nameko.web.handlers import http

from services.shared.consumer import reliable_handler
from services.shared.envelope import CommandContext, Envelope, NewEvent
from services.shared.errors import EXPECTED_ERRORS
from services.shared.event_store_provider import EventStoreProvider
from services.shared.mongo import MongoDatabase
from services.shared.observability import HealthEndpoints
from services.shared.payloads import REGISTRY
from services.shared.projections import (
    Projection,
    ReadModels,
    ReadModelsProvider,
    update_once,
)
from services.shared.shredding import declare_personal


@REGISTRY.register("ledger.deposited", version=1)
class DepositedV1(Schema):
    cents = fields.Integer(required=True)


@REGISTRY.register("ledger.deposited", version=2)
class DepositedV2(Schema):
    cents = fields.Integer(required=True)
    currency = fields.String(required=True)


@REGISTRY.upcaster("ledger.deposited", from_version=1)
def _deposited_v1_to_v2(payload):
    return {**payload, "currency": "EUR"}


@REGISTRY.register("ledger.holder_named", version=1)
class HolderNamedV1(Schema):
    """An account holder's name and contacts: personal data of `holder_id` (sealed)."""

    holder_id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(load_default=None, allow_none=True)
    handles = fields.List(fields.String(), load_default=list)


declare_personal("ledger.holder_named", "holder_id",
                 {"name": "Former holder", "email": None, "handles": []})


@REGISTRY.register("ledger.secret_noted", version=1, private=True)
class SecretNotedV1(Schema):
    note_id = fields.String(required=True)


BALANCES = Projection("balances", service="ledger", collections=["balances"])


@BALANCES.on("ledger.deposited")
def _deposited(rm: ReadModels, event: Envelope) -> None:
    update_once(rm["balances"], event.stream_id, event, {"$inc": {"cents": event.payload["cents"]}})


PROJECTION = BALANCES

# What a receiving service keeps from ledger's events: the same balances, from its own log.
RECEIVED_BALANCES = Projection("received_balances", service="branch", collections=["balances"])
RECEIVED_BALANCES.on("ledger.deposited")(_deposited)


def deposit(store, account, cents):
    """Append one `ledger.deposited` commit to `account` straight into an EventStore (no service):
    how the projection and replay tests write a log."""
    return store.append(account, store.stream_version(account),
                        [NewEvent("ledger.deposited", {"cents": cents, "currency": "EUR"})],
                        CommandContext())


class LedgerService(HealthEndpoints):
    name = "ledger"
    store = EventStoreProvider()
    views = ReadModelsProvider(BALANCES)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def deposit(self, account: str, cents: int, expected_version: int | None = None):
        version = self.store.stream_version(account) if expected_version is None \
            else expected_version
        commit = self.store.append(account, version, [
            NewEvent("ledger.deposited", {"cents": cents, "currency": "EUR"})],
            CommandContext(actor="tester", correlation_id=self.correlation))
        self.views.apply_commit(commit)
        return commit.position

    @rpc
    def deposit_cursor_after_reply(self, account: str, cents: int) -> dict:
        """`deposit` whose inline apply moves the cursor after the reply; answers with what
        the caller could read then: the balance, and the cursor as the RPC leaves it."""
        commit = self.store.append(account, self.store.stream_version(account), [
            NewEvent("ledger.deposited", {"cents": cents, "currency": "EUR"})], CommandContext())
        self.views.apply_commit(commit, cursor_after_reply=True)
        cursor = self.views[BALANCES.cursors].find_one({"_id": account}) or {}
        return {"event_id": commit.events[0].id, "balance": self.balance(account),
                "cursor": cursor.get("version", 0)}

    @rpc
    def deposit_and_watch(self, account: str, cents: int, seconds: float) -> bool:
        """Deposit, then watch the commit for `seconds` before answering: True if the outbox
        relay published it while this RPC was still running."""
        commit = self.store.append(account, self.store.stream_version(account), [
            NewEvent("ledger.deposited", {"cents": cents, "currency": "EUR"})], CommandContext())
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.store.events.find_one({"_id": commit.id}, {"pending": 1}).get("pending"):
                return True
            eventlet.sleep(0.05)  # ok: the RPC's own work going on, not a synchronisation
        return False

    @rpc
    def note_secret(self, account: str):
        self.store.append(account, self.store.stream_version(account),
                          [NewEvent("ledger.secret_noted", {"note_id": "n1"})], CommandContext())

    @rpc
    def balance(self, account: str):
        document = self.views["balances"].find_one({"_id": account})
        return None if document is None else document["cents"]

    @http("POST", "/deposit/<account>/<int:cents>")
    def deposit_http(self, request, account, cents):
        return json.dumps({"position": self.deposit(account, cents)})

    @reliable_handler("ledger", "ledger.deposited")
    def project_own(self, event: Envelope):
        self.views.apply(event)


class AuditService(HealthEndpoints):
    """Consumes ledger events; fails on purpose: 13 cents while a fuse is set, 7 cents once."""

    name = "audit"
    db = MongoDatabase()

    @reliable_handler("ledger", "ledger.deposited")
    def on_deposited(self, event: Envelope):
        cents = event.payload["cents"]
        slow = self.db.fuses.find_one({"_id": "slow"})
        if slow:
            eventlet.sleep(slow["seconds"])  # ok: simulated work to cut mid-way
        tries = self.db.tries.find_one_and_update(
            {"_id": event.id}, {"$inc": {"n": 1}}, upsert=True, return_document=True)["n"]
        if cents == 13 and self.db.fuses.find_one({"_id": "thirteen"}):
            raise ValueError("thirteen is unlucky")
        if cents == 7 and tries < 2:
            raise RuntimeError("transient failure")
        self.db.seen.update_one({"_id": event.id},
                                {"$set": {"cents": cents, "currency": event.payload["currency"],
                                          "correlation_id": event.correlation_id}},
                                upsert=True)
        self.db.applications.insert_one({"event_id": event.id})


class BranchService(HealthEndpoints):
    """Receives ledger's events as every Agora service receives another's: recorded in its own
    log, then projected; the handler dedupes by itself (no claim: `idempotent=True`)."""

    name = "branch"
    views = ReadModelsProvider(RECEIVED_BALANCES)

    @reliable_handler("ledger", "ledger.deposited", idempotent=True)
    def on_deposited(self, event: Envelope):
        self.views.record_and_apply(event)


# The same, for a consumer that takes its deliveries in batches; an event of 13 cents is poison
# (its handler always fails), and every run of the handler is counted (`runs`, not guarded).
BATCHED_BALANCES = Projection("batched_balances", service="batchbranch",
                              collections=["balances", "runs"])


@BATCHED_BALANCES.on("ledger.deposited")
def _deposited_in_batch(rm: ReadModels, event: Envelope) -> None:
    rm["runs"].update_one({"_id": event.id}, {"$inc": {"n": 1}}, upsert=True)
    if event.payload["cents"] == 13:
        raise ValueError("thirteen is unlucky")
    _deposited(rm, event)


class BatchBranchService(HealthEndpoints):
    """BranchService with a batch handler: what waits in its queue, recorded and applied
    together; each call's size is kept in `batches`."""

    name = "batchbranch"
    views = ReadModelsProvider(BATCHED_BALANCES)
    db = MongoDatabase()

    @reliable_handler("ledger", "ledger.deposited", idempotent=True, batch=True)
    def on_deposited(self, events: list[Envelope]):
        self.db.batches.insert_one({"size": len(events)})
        self.views.record_and_apply_all(events)


class HoldersService(HealthEndpoints):
    """Keeps what it receives about account holders (to see what a consumer's handler gets from
    sealed events), and hears erasures as every Agora service does."""

    name = "holders"
    db = MongoDatabase()

    @reliable_handler("ledger", "ledger.holder_named")
    def on_holder_named(self, event: Envelope):
        self.db.seen.insert_one({"_id": event.id, **event.payload})

    @reliable_handler("identity", "identity.user_erased")
    def on_user_erased(self, event: Envelope):
        self.db.erasures.insert_one({"_id": event.id, "user_id": event.payload["user_id"]})
