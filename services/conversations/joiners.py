"""What decides whether someone may be brought into a conversation (`domain.may_join`), read
where conversations keeps it: their roles now (`members`) and whether their account was erased
— erasure leaves the roles in `members`, its tombstone is in the member summaries. One read for
the two ways in: a colleague's invitation (service.add_participant) and an absence's backup
(absence.backups)."""
from __future__ import annotations

from typing import Any

from services.shared import members


def joiner(views: Any, user_id: str) -> tuple[list[str], bool]:
    """`user_id`'s roles as conversations knows them, and whether their account was erased."""
    member = views["members"].find_one({"_id": user_id}, {"roles": 1}) or {}
    return member.get("roles") or [], members.is_erased(views, user_id)
