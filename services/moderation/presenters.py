"""What moderation's RPCs return, shaped from its read models (items, clocks, the staff trail,
member notes, contributions and flags)."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from . import detector, domain, sla

HEADLINE_CHARACTERS = 120  # an item's name in the queue's list (the page shortens it further)


def present_item(doc: dict[str, Any], now: float, targets: dict[str, Any],
                 policy: dict[str, Any] | None = None,
                 contributions: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """`contributions`: the `targets` documents of the item's contribution and thread, by id
    (what is public of them now); without, the item says nothing of them."""
    out = {key: doc.get(key) for key in (
        "review", "target_type", "target_id", "post_id", "revision", "author_id", "state",
        "reasons", "policy_rules", "detector_kinds", "flag_count", "held_at", "decided_at",
        "decided_by", "withdrawn_because", "held_by", "taken_at", "undoes")}
    out["id"] = doc["_id"]
    out["flags"] = doc.get("flags") or {}
    out["suggested_reason_code"] = domain.suggested_rejection(doc)
    if contributions is not None:
        target = contributions.get(doc.get("target_id")) or {}
        thread = contributions.get(doc.get("post_id")) or {}
        out["target_state"] = target.get("state")
        out["thread"] = {"id": doc.get("post_id"), "title": thread.get("title"),
                         "state": thread.get("state")}
    if doc.get("review") == "flags":
        out["flaggers"] = flaggers(doc)
        out["flag_count"] = out["flag_count"] or doc.get("flags_total") or 0
    if doc.get("held_ts"):
        out["waiting_seconds"] = round(now - doc["held_ts"] / 1e6, 1)
    if doc.get("state") in domain.WAITING:
        out["content"] = doc.get("content")
        out["proposal"] = doc.get("proposal")
        out["findings"] = domain.findings(doc.get("content"))
        out["headline"] = headline(doc.get("content"), doc.get("proposal"))
        if doc.get("held_ts"):
            # a held contribution keeps its member waiting like an unanswered question: the
            # site channel's response-time target is the CMs' target for the queue
            reading = sla.read_clock(targets, "site", None, sla.from_micros(doc["held_ts"]),
                                     datetime.fromtimestamp(now, tz=UTC))
            out["target_seconds"] = reading.target_seconds
            out["due_at"] = reading.due_at.isoformat() if reading.due_at else None
            out["breached"] = reading.breached
            if doc.get("review") == "flags":  # the flags queue has its own target (policy)
                flags = sla.flags_deadline(doc["held_ts"], (policy or domain.DEFAULT_POLICY).get(
                    "flags_target_hours") or domain.DEFAULT_POLICY["flags_target_hours"], now)
                out.update(target_seconds=flags.target_seconds, breached=flags.overdue,
                           overdue=flags.overdue, due_at=flags.due_at.isoformat())
    return out


def flaggers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The round's flaggers, each with their own words when they gave some (`details`): words
    of an earlier round (applied after its decision closed it) are not this round's. An item
    whose round is not recorded (flagged before rounds were: until its next flag) takes them."""
    current = doc.get("round")
    words = {e["flagger_id"]: e["details"] for e in doc.get("explanations") or []
             if current is None or e.get("round") == current}
    return [{**f, "details": words[f["id"]]} if f.get("id") in words else f
            for f in doc.get("flaggers") or []]


def headline(content: dict[str, Any] | None, proposal: dict[str, Any] | None) -> str | None:
    """An item's name in the queue's list: its title, else its text's first line — as the
    detector masks them (its proposal; else masked here), never the confidential data a list
    would show to every CM passing by. The original stays in `content` for the item's view."""
    content = content or {}
    if not (content.get("title") or content.get("body")):
        return None
    masked = proposal if proposal and proposal.get("body") is not None else {
        "title": detector.mask(content["title"]) if content.get("title") else None,
        "body": detector.mask(content.get("body") or "")}
    line = masked.get("title") or next(
        (line.strip() for line in (masked.get("body") or "").splitlines() if line.strip()), "")
    return line[:HEADLINE_CHARACTERS] or None


def present_clock(doc: dict[str, Any], reading: sla.ClockReading) -> dict[str, Any]:
    return {"clock_id": doc["_id"], "post_id": None if doc.get("conversation_id") else doc["_id"],
            "conversation_id": doc.get("conversation_id"), "category": doc.get("category"),
            "channel": doc.get("channel", "site"), "published_at": doc["published_at"],
            "waiting_seconds": reading.waited_seconds, "target_seconds": reading.target_seconds,
            "business_hours": reading.business_hours,
            "due_at": reading.due_at.isoformat() if reading.due_at else None,
            "breached": bool(doc.get("breached")) or reading.breached}


def present_audit(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["_id"], **{key: doc.get(key) for key in (
        "at", "actor_id", "action", "target_type", "target_id", "item_id", "before", "after",
        "details", "correlation_id")}}


EXCERPT_CHARACTERS = 200


def present_contribution(doc: dict[str, Any]) -> dict[str, Any]:
    body = doc.get("body") or ""
    return {"target_type": doc.get("target_type"), "id": doc["_id"],
            "post_id": doc.get("post_id"), "kind": doc.get("kind"), "state": doc.get("state"),
            "title": doc.get("title"), "excerpt": body[:EXCERPT_CHARACTERS],
            "submitted_at": doc.get("submitted_at")}


def present_flag(doc: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    """A flag, with what its contribution is now: state, and title or start of its text."""
    return {"id": doc["_id"], **{key: doc.get(key) for key in (
        "item_id", "target_type", "target_id", "post_id", "author_id", "flagger_id", "reason",
        "trusted", "at")}, "target_state": target.get("state"),
        "target_title": target.get("title") or (target.get("body") or "")[:EXCERPT_CHARACTERS]}


def present_own_flag(doc: dict[str, Any]) -> dict[str, Any]:
    """A flag as its flagger's own data (their export): what they flagged, why, in their words,
    when — nothing of anyone else (other flaggers, the author) nor of staff's assessment."""
    return {key: doc.get(key) for key in ("target_type", "target_id", "post_id", "reason",
                                          "details", "at")}


def present_note(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["_id"], "member_id": doc["member_id"], "note": doc["note"],
            "at": doc["at"], "by": doc.get("by")}

