"""Identity's read model: `users` (profile, roles, verification, advisor, e-mail), from events.

Only identity reads it (other services keep their own copy of what they need from the public
events). Handlers are idempotent (`$set`, `$addToSet`, `$pull`, upserts), so a re-applied event
changes nothing. Rebuild with `agora replay identity`.

The account collections that are *not* projections (they hold secrets or counters that must
never travel as events) get their indexes from `ensure_indexes(db)`, which `agora migrate` and
the service call: see services/identity/accounts.py.
"""
from __future__ import annotations

import contextlib
from datetime import datetime

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from services.shared.envelope import Envelope
from services.shared.members import ADVISOR_ABSENCE_SET
from services.shared.periods import micros
from services.shared.projections import Projection, ReadModels, update_versioned

from . import domain


def _indexes(rm: ReadModels) -> None:
    rm["users"].create_index([("advisor.advisor_id", ASCENDING)], name="by_advisor")
    # staff look members up by the start of their name (accents and case ignored), in pages
    rm["users"].create_index([("name_key", ASCENDING), ("_id", ASCENDING)], name="by_name")
    # the current staff's names, which a member's new name may not look like (names.py)
    rm["users"].create_index([("roles", ASCENDING)], name="by_role")
    # members and new members over a period (the console's community health)
    rm["users"].create_index([("joined_ts", ASCENDING)], name="by_joining")


USERS = Projection("users", service="identity", collections=["users"], indexes=_indexes)
PROJECTION = USERS


def _unless_erased(rm: ReadModels, user_id: str, update: dict) -> None:
    """Apply a PII-carrying update only to an account that is not erased, so a replay (or a late
    redelivery) of an earlier event never brings an erased member's e-mail or name back. On an
    erased account the upsert meets the existing `_id` and is refused: nothing changes."""
    with contextlib.suppress(DuplicateKeyError):
        rm["users"].update_one({"_id": user_id, "erased": {"$ne": True}}, update, upsert=True)


@USERS.on(domain.REGISTERED)
def _registered(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    _unless_erased(rm, p["user_id"], {
        "$set": {"display_name": p["display_name"], "customer": p["customer"],
                 "joined_at": p["joined_at"], "name_key": domain.name_key(p["display_name"]),
                 "joined_ts": micros(datetime.fromisoformat(p["joined_at"]))},
        "$setOnInsert": {"bio": "", "verified_customer": False, "advisor": None},
        "$addToSet": {"roles": {"$each": p["roles"]}},
    })


@USERS.on(domain.CONTACT_CHANGED)
def _contact(rm: ReadModels, event: Envelope) -> None:
    """A new address is nobody's proved address yet (verification.py); versioned, so that a
    late redelivery of the registration's address does not undo a later verification."""
    _unless_erased(rm, event.payload["user_id"], {"$set": {"email": event.payload["email"]}})
    rm["users"].update_one({"_id": event.payload["user_id"], "$or": [
        {"email_verified_version": {"$exists": False}},
        {"email_verified_version": {"$lt": event.stream_version}}]},
        {"$set": {"email_verified": False}})


@USERS.on(domain.EMAIL_VERIFIED)
def _email_verified(rm: ReadModels, event: Envelope) -> None:
    rm["users"].update_one({"_id": event.payload["user_id"]}, {"$set": {
        "email_verified": True, "email_verified_version": event.stream_version}})


@USERS.on(domain.PROFILE_UPDATED)
def _profile(rm: ReadModels, event: Envelope) -> None:
    changes = {k: v for k, v in event.payload.items()
               if k in ("display_name", "bio", "language")}
    if "display_name" in changes:
        changes["name_key"] = domain.name_key(changes["display_name"])
    if changes:
        _unless_erased(rm, event.payload["user_id"], {"$set": changes})


@USERS.on(domain.USER_ERASED)
def _erased(rm: ReadModels, event: Envelope) -> None:
    """The tombstone blanks every PII field for good (see `_unless_erased`)."""
    rm["users"].update_one({"_id": event.payload["user_id"]}, {
        "$set": {"display_name": domain.FORMER_MEMBER, "bio": "", "erased": True,
                 "erased_at": event.payload["erased_at"], "advisor": None},
        "$unset": {"email": "", "name_key": ""},
    }, upsert=True)


@USERS.on(domain.ROLE_GRANTED)
def _granted(rm: ReadModels, event: Envelope) -> None:
    rm["users"].update_one({"_id": event.payload["user_id"]},
                           {"$addToSet": {"roles": event.payload["role"]}}, upsert=True)


@USERS.on(domain.ROLE_REVOKED)
def _revoked(rm: ReadModels, event: Envelope) -> None:
    rm["users"].update_one({"_id": event.payload["user_id"]},
                           {"$pull": {"roles": event.payload["role"]}}, upsert=True)


@USERS.on(domain.USER_VERIFIED)
def _verified(rm: ReadModels, event: Envelope) -> None:
    rm["users"].update_one({"_id": event.payload["user_id"]},
                           {"$set": {"verified_customer": True, "customer": True}}, upsert=True)


@USERS.on(domain.VERIFICATION_WITHDRAWN)
def _unverified(rm: ReadModels, event: Envelope) -> None:
    rm["users"].update_one({"_id": event.payload["user_id"]},
                           {"$set": {"verified_customer": False}}, upsert=True)


@USERS.on(domain.ADVISOR_ASSIGNED)
def _advisor(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    rm["users"].update_one({"_id": p["user_id"]}, {"$set": {
        "advisor": {"advisor_id": p["advisor_id"], "branch": p["branch"],
                    "assigned_at": event.occurred_at},
        "customer": True,
    }}, upsert=True)


@USERS.on(ADVISOR_ABSENCE_SET)
def _absence(rm: ReadModels, event: Envelope) -> None:
    """The advisor's absence (absence.py), for their customers' advisor card; versioned, so a
    late redelivery of an earlier declaration does not undo a later return."""
    p = event.payload
    update_versioned(rm["users"], p["advisor_id"], event, {"$set": {
        "absence": {"backup_id": p["backup_id"], "until": p["until"]} if p["until"] else None,
    }}, upsert=False, field="absence_version")  # the account exists (registered first)


def ensure_indexes(db) -> None:
    from .accounts import ensure_indexes as accounts_indexes

    accounts_indexes(db)
