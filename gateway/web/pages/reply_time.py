"""When the bank usually answers a private conversation, as the member's private pages say it
(findings 38 §6): « Réponse habituelle sous 8 h ». The figure is the private conversations'
response-time target — the one staff's clocks count against — read with the member's own actor
through `moderation.private_reply_target`, which hands a member that target only (the other
channels, the calendar and every clock stay staff's)."""
from __future__ import annotations

from typing import Any

from ..page import PageCall, Spare


def asking(moderation, call: PageCall) -> Spare:
    """Asked alongside the page's own reads; a page without the answer just omits the line."""
    return Spare(moderation.private_reply_target, call.actor)


def usual_reply(call: PageCall, reading: Spare) -> str | None:
    """The line in the reader's language, or None (moderation away or slow): continuous time
    as a clock reads it (« 8 h », « 3 jours »), opening hours as such (« 1 jour ouvré »,
    « 4 h (heures ouvrées) »)."""
    target: dict[str, Any] | None = reading.answer()
    if not target or not target.get("target_seconds"):
        return None
    if target.get("working_days"):
        return call.t("messages.usual_reply", duration=call.t(
            "messages.reply_working_days", count=target["working_days"]))
    shown = _duration(call, int(target["target_seconds"]))
    return call.t("messages.usual_reply_working" if target.get("business_hours")
                  else "messages.usual_reply", duration=shown)


def _duration(call: PageCall, seconds: int) -> str:
    """Minutes, hours (« 8 h », « 3 h 30 ») under two days, else whole days — a promise to a
    customer reads best without the console's « 8 h 00 »."""
    if seconds < 3600:
        return call.t("messages.reply_minutes", count=max(1, seconds // 60))
    if seconds < 48 * 3600:
        hours, minutes = divmod(seconds // 60, 60)
        return call.t("messages.reply_hours", hours=hours) if not minutes else call.t(
            "messages.reply_hours_minutes", hours=hours, minutes=f"{minutes:02d}")
    return call.t("messages.reply_days", count=seconds // 86400)
