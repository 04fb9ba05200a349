"""Moderation's abuse counters (not events: nobody replays a rate limit), in its own database.

- `flag_throttle`: flags per account and per client address (`Throttle`, the same sliding
  windows as identity's login and registration limits) -> 429 with Retry-After;
- `flag_hides`: when a round of flags hid a contribution, one moment per trusted flagger of the
  round; a flagger with `mass_hide_limit` of them within a day is a mass hider, whose next
  hiding round goes to the CMs instead (domain.flag);
- `flag_sources`: the client address of each flag of a round, so that flaggers sharing an
  address are not trusted (domain.is_trusted). Kept `FLAG_SOURCES_KEPT`, then expired.

Configured from `AGORA` in config.yaml (`flag_account_limit`, `flag_address_limit`,
`flag_window_seconds`, `mass_hide_limit`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from nameko.extensions import DependencyProvider
from pymongo import ASCENDING
from pymongo.database import Database

from services.shared.mongo import database_name, mongo_uri, release_client, shared_client
from services.shared.throttle import Throttle, ThrottlePolicy

FLAG_SOURCES_KEPT = timedelta(days=30)
HIDES_WINDOW = timedelta(days=1)


@dataclass
class FlagGuard:
    db: Database
    flags: Throttle
    hides: Throttle

    def ensure_indexes(self) -> None:
        self.flags.ensure_indexes()
        self.hides.ensure_indexes()
        sources = self.db.flag_sources
        sources.create_index([("item_id", ASCENDING), ("round", ASCENDING),
                              ("client", ASCENDING)], name="item_round_client")
        sources.create_index("at", expireAfterSeconds=int(FLAG_SOURCES_KEPT.total_seconds()),
                             name="at_ttl")

    @staticmethod
    def flag_keys(flagger_id: str, client: str | None) -> dict[str, str]:
        keys = {"account": f"flagger:{flagger_id}"}
        if client:
            keys["address"] = f"address:{client}"
        return keys

    def shares_address(self, item_id: str, round_: int, flagger_id: str,
                       client: str | None) -> bool:
        if not client:
            return False
        return self.db.flag_sources.find_one({"item_id": item_id, "round": round_,
                                              "client": client,
                                              "flagger_id": {"$ne": flagger_id}}) is not None

    def record_source(self, item_id: str, round_: int, flagger_id: str, client: str | None,
                      now: datetime) -> None:
        if client:
            self.db.flag_sources.update_one(
                {"_id": f"{item_id}|{round_}|{flagger_id}"},
                {"$setOnInsert": {"item_id": item_id, "round": round_, "client": client,
                                  "flagger_id": flagger_id, "at": now}}, upsert=True)

    def mass_hiders(self, flagger_ids: set[str], now: datetime) -> set[str]:
        return {flagger for flagger in flagger_ids
                if self.hides.wait({"hider": f"hider:{flagger}"}, now) is not None}

    def record_hide(self, flagger_ids: set[str], now: datetime) -> None:
        for flagger in flagger_ids:
            self.hides.record({"hider": f"hider:{flagger}"}, now)


def build_guard(config: dict[str, Any], db: Database) -> FlagGuard:
    settings = config.get("AGORA", {}) or {}
    window = timedelta(seconds=float(settings.get("flag_window_seconds") or 3600))
    flags = Throttle(db.flag_throttle, {
        "account": ThrottlePolicy(int(settings.get("flag_account_limit") or 20), window),
        "address": ThrottlePolicy(int(settings.get("flag_address_limit") or 60), window),
    })
    hides = Throttle(db.flag_hides, {
        "hider": ThrottlePolicy(int(settings.get("mass_hide_limit") or 5), HIDES_WINDOW)})
    return FlagGuard(db, flags, hides)


class FlagGuardProvider(DependencyProvider):
    def setup(self) -> None:
        config = self.container.config
        self.uri = mongo_uri(config)
        db = shared_client(self.uri)[database_name(config, self.container.service_name)]
        self.guard = build_guard(config, db)
        self.guard.ensure_indexes()

    def stop(self) -> None:
        release_client(self.uri)

    def get_dependency(self, worker_ctx) -> FlagGuard:
        return self.guard
