"""An advisor's absence with an automatic backup (`PUT|GET|DELETE /api/v1/me/absence`).

An advisor going away names a colleague (by their verified address, as the console's
« Inviter un·e collègue » form does) and the day they are back (`until`). While `until` is in
the future, conversations adds the backup to a conversation as soon as one of the advisor's
customers writes in it (services/conversations/absence.py): customers no longer wait for an
invitation nobody sends.

One event on the advisor's public `user-<id>` stream, `identity.advisor_absence_set`
(ids and a date: nothing confidential); `until: null` (and `backup_id: null`) says the advisor
is back early. Its stream version orders the absences of one advisor for every consumer.
Pure rules here (`now` is passed in); the lookups are the service's.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from services.shared.actors import ADVISOR, STAFF_ROLES, holds_any, roles, still_staff
from services.shared.bank_days import bank_today
from services.shared.envelope import Envelope, NewEvent
from services.shared.errors import Forbidden, Unprocessable
from services.shared.members import ADVISOR_ABSENCE_SET

MAX_DAYS = 90  # an absence longer than a quarter is a reassignment, not a cover


def require_advisor(actor: dict[str, Any]) -> None:
    """Only advisors have customers to hand over (403 for anyone else, members included)."""
    if ADVISOR not in roles(actor):
        raise Forbidden.from_catalogue("absence_advisors_only")


def current(history: Iterable[Envelope]) -> dict[str, Any] | None:
    """The last absence declared on the stream (None: none, or back early)."""
    found: dict[str, Any] | None = None
    for event in history:
        if event.type == ADVISOR_ABSENCE_SET:
            p = event.payload
            found = {"backup_id": p["backup_id"], "until": p["until"]} if p.get("until") \
                else None
    return found


def away(absence: dict[str, Any] | None, now: datetime) -> bool:
    """`until` is the day the advisor is back: away while it is still ahead (the bank's days,
    `bank_today`: back on the 8th means covered until midnight in Paris, not 01:00)."""
    return bool(absence and absence.get("until")) \
        and absence["until"] > bank_today(now).isoformat()


def check_until(until: date, now: datetime) -> str:
    """Tomorrow at the earliest, at most `MAX_DAYS` ahead, in the bank's days (422 on the field
    otherwise)."""
    today = bank_today(now)
    if until <= today:
        raise Unprocessable.from_catalogue("absence_until_past", {"fields": {"until": [
            "choose a future date"]}})
    if until > today + timedelta(days=MAX_DAYS):
        raise Unprocessable.from_catalogue("absence_until_far", {"fields": {"until": [
            f"at most {MAX_DAYS} days ahead"]}}, days=MAX_DAYS)
    return until.isoformat()


def check_backup(advisor_id: str, backup: dict[str, Any] | None) -> str:
    """The backup is a colleague: staff with a verified address. Nobody's address and a
    member's who is not staff get one and the same refusal (the form tells no advisor who has
    an account); naming oneself is refused on its own (it covers nothing)."""
    if not backup or not holds_any(backup.get("roles") or (), STAFF_ROLES):
        raise Unprocessable.from_catalogue("no_such_colleague", {"fields": {"backup_email": [
            "no bank staff member has this verified address"]}})
    if backup["_id"] == advisor_id:
        raise Unprocessable.from_catalogue("absence_backup_self", {"fields": {"backup_email": [
            "name a colleague, not yourself"]}})
    return backup["_id"]


def may_cover(backup: dict[str, Any]) -> bool:
    """Whether the declared backup still covers: staff now (an absence lasts up to 90 days;
    conversations checks the same when the customer writes: its `domain.may_join`)."""
    return still_staff(backup.get("roles"), bool(backup.get("erased")))


def set_absence(history: Iterable[Envelope], advisor_id: str, backup_id: str,
                until: str) -> list[NewEvent]:
    """Declare (or change) the absence; the same one again is no new fact (a retried PUT)."""
    if current(history) == {"backup_id": backup_id, "until": until}:
        return []
    return [NewEvent(ADVISOR_ABSENCE_SET, {"advisor_id": advisor_id, "backup_id": backup_id,
                                           "until": until})]


def end_absence(history: Iterable[Envelope], advisor_id: str) -> list[NewEvent]:
    """Back early: `until: null`. Nothing when no absence is declared (DELETE twice)."""
    if current(history) is None:
        return []
    return [NewEvent(ADVISOR_ABSENCE_SET, {"advisor_id": advisor_id, "backup_id": None,
                                           "until": None})]


def absence_view(absence: dict[str, Any] | None, backup: dict[str, Any] | None,
                 now: datetime) -> dict[str, Any]:
    """What the advisor reads back: none (`until: null`) once the day is past."""
    if not away(absence, now):
        return {"until": None, "backup_id": None, "backup": None}
    return {"until": absence["until"], "backup_id": absence["backup_id"],
            "backup": {"id": absence["backup_id"],
                       "display_name": (backup or {}).get("display_name"),
                       "email": (backup or {}).get("email")}}
