"""Advisors' absences (identity's `identity.advisor_absence_set`) and the rule they bring: a
customer writing to an advisor who is away brings the advisor's backup into the conversation.

Read model ``absences``: advisor id -> the backup and the day they are back (`until`, an ISO
date; null: back early), versioned by the advisor's `user-<id>` stream, so a re-delivered or
late older declaration never undoes a newer one (applied once in effect).

The rule (`post_with_cover`, `start_with_cover`) is pure: the service reads who covers for whom
(`backups`) before deciding, and the backup joins in the same command as the customer's
message (`participant_added`, `added_by: "absence"`), before it, so that the message's
participants — its notices, moderation's staff list and breach alerts — include them. One
command, one effect per idempotency key: a retried message adds nobody. The backup joins only
if still staff with an account when the customer writes (`domain.may_join`, the manual add's
rule), and not again in a conversation they left after this absence brought them in. Once the
absence ends nobody more is brought in; a backup already there stays until they leave.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from services.shared.bank_days import bank_today
from services.shared.envelope import Envelope, NewEvent
from services.shared.members import ADVISOR_ABSENCE_SET
from services.shared.projections import Projection, ReadModels, update_versioned

from . import domain
from .domain import ADDED_BY_ABSENCE  # `participant_added.added_by` when the rule brought them
from .joiners import joiner

COLLECTION = "absences"


def track_absences(views: Projection) -> None:
    """Keep ``absences`` in `views` (projections.py calls it, as `track_member_summaries`)."""

    @views.on(ADVISOR_ABSENCE_SET)
    def _absence_set(rm: ReadModels, event: Envelope) -> None:
        p = event.payload
        update_versioned(rm[COLLECTION], p["advisor_id"], event, {"$set": {
            "backup_id": p.get("backup_id"), "until": p.get("until"),
            "since": event.occurred_at}})  # a backup who left since is not brought back


def backups(views: Any, advisor_id: str | None, now: datetime) -> dict[str, dict[str, str]]:
    """`{advisor_id: {"id": backup_id, "since": when declared}}` when that advisor is away
    today (`until` still ahead, in the bank's days, as identity says it) and their backup may
    still join — staff *now*, account not erased (`domain.may_join`, the manual add's rule: an
    absence lasts up to 90 days, roles are checked when deciding, not when it was declared) —
    else empty."""
    if not advisor_id:
        return {}
    found = views[COLLECTION].find_one({"_id": advisor_id}) or {}
    until, backup_id = found.get("until"), found.get("backup_id")
    if not until or not backup_id or until <= bank_today(now).isoformat():
        return {}
    if not domain.may_join(*joiner(views, backup_id)):
        return {}
    return {advisor_id: {"id": backup_id, "since": found.get("since") or ""}}


def cover(actor: dict[str, Any], s: domain.Conversation, away: dict[str, dict[str, str]]
          ) -> list[NewEvent]:
    """The backup joins when the *customer* writes and their seated advisor is away, unless
    already there (staff writing bring nobody: they are answering), or unless they left this
    conversation after this absence brought them in: leaving is their choice, the same
    absence does not undo it (a later declaration may bring them again)."""
    backup = away.get(s.advisor_id or "") or {}
    backup_id = backup.get("id")
    if not backup_id or actor.get("id") != s.member_id or backup_id in s.participants \
            or backup_id == s.member_id \
            or s.cover_left.get(backup_id, "") > backup.get("since", ""):
        return []
    return [domain.joined(s, backup_id, ADDED_BY_ABSENCE)]  # the one shape of that event


def post_with_cover(actor: dict[str, Any], s: domain.Conversation, message_id: str,
                    closed: bool, away: dict[str, dict[str, str]]) -> list[NewEvent]:
    """`domain.post_message`, the backup brought in first when the rule says so."""
    joined = [] if closed or message_id in s.message_ids else cover(actor, s, away)
    return joined + domain.post_message(actor, s, message_id, closed)


def start_with_cover(actor: dict[str, Any], conversation_id: str, message_id: str,
                     advisor_id: str | None, away: dict[str, dict[str, str]]) -> list[NewEvent]:
    """`domain.start`; when the advisor it seats is away, their backup joins between the start
    and the first message (which then names them among its participants)."""
    events = domain.start(actor, conversation_id, message_id, advisor_id)
    started = events[0].payload
    s = domain.Conversation(id=conversation_id, version=1, member_id=started["member_id"],
                            participants=list(started["participant_ids"]),
                            pool=started.get("pool"), advisor_id=started.get("advisor_id"))
    joined = cover(actor, s, away)
    if not joined:
        return events
    return [events[0], *joined, domain.posted(s, message_id, actor["id"])]
