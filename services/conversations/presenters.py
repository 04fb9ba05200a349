"""What conversations' RPCs return, shaped from its read models and the stored texts (a
subject or a body is passed in: presenters never read private content themselves)."""
from __future__ import annotations

from typing import Any

from . import domain

CUSTOMER_CONVERSATION_FIELDS = ("id", "subject", "origin", "channel", "post_id", "created_at",
                                "last_message_at", "message_count", "waiting_for_staff",
                                "waiting_since")


def summary(doc: dict[str, Any], subject: str | None,
            authors: dict[str, dict[str, Any]], reader_id: str | None = None) -> dict[str, Any]:
    """`reader_id`: who reads it. Its customer is not told that staff marked it handled (no
    reply needed: staff's bookkeeping): to them it waits as before, `handled` is null."""
    handled = doc.get("handled") if reader_id != doc.get("member_id") else None
    customers_view = doc.get("handled") and not handled
    return {"id": doc["_id"], "subject": subject, "member_id": doc.get("member_id"),
            # the member the conversation is with (its author), as a public summary
            "author": authors.get(doc.get("member_id")),
            "participant_ids": doc.get("participant_ids", []),
            # the member's advisor among them (who never leaves it; the others may)
            "advisor_id": doc.get("advisor_id"),
            "queue": doc.get("pool") == domain.STAFF_POOL,
            "origin": doc.get("origin"), "post_id": doc.get("post_id"),
            "channel": doc.get("channel"), "created_at": doc.get("created_at"),
            "last_message_at": doc.get("last_message_at"),
            "message_count": doc.get("message_count", 0),
            "closed": bool(doc.get("closed")),
            # the member wrote last: staff owe an answer (the console's unread marker) —
            # unless it is closed (its member erased their account): nobody can answer — or
            # staff marked it handled since (no reply needed)
            "waiting_for_staff": bool(doc.get("member_id")) and not doc.get("closed")
            and doc.get("last_author_id") == doc.get("member_id") and not handled,
            # since when (its member's first message after staff last wrote)
            "waiting_since": doc["handled"].get("waiting_since") if customers_view
            else doc.get("waiting_since"),
            # staff marked it handled, no reply needed: who and when (staff readers only)
            "handled": {"by": handled["by"], "at": handled["at"]} if handled else None}


def message(index: dict[str, Any], text: dict[str, Any] | None,
            authors: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"id": index["_id"], "author_id": index.get("author_id"),
            "author": authors.get(index.get("author_id")),
            "body": (text or {}).get("body"), "channel": index.get("channel"),
            "created_at": index.get("created_at")}


def customer_conversation(conversation: dict[str, Any], subject: str | None,
                          authors: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """An open conversation in the advisor's list of customers (the customer is its member)."""
    return {key: value for key, value in summary(conversation, subject, authors).items()
            if key in CUSTOMER_CONVERSATION_FIELDS}


def activity(doc: dict[str, Any], titles: dict[str, str]) -> dict[str, Any]:
    """A customer's recent public contribution; its title is its post's current one."""
    return {"type": doc["type"], "id": doc["_id"], "post_id": doc["post_id"],
            "kind": doc.get("kind"), "title": titles.get(doc["post_id"]), "at": doc.get("at")}


def timeline_message(index: dict[str, Any], conversation: dict[str, Any],
                     text: dict[str, Any] | None, subject: str | None,
                     authors: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A message on a customer's timeline: its channel is its conversation's (a social case or
    a private conversation), `social_channel` the network a mention came from."""
    return {**message(index, text, authors), "type": "message", "at": index.get("created_at"),
            "conversation_id": index["conversation_id"], "subject": subject,
            "channel": "social" if conversation.get("origin") == "social" else "private",
            "social_channel": index.get("channel")}


def note(index: dict[str, Any], body: str | None,
         authors: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A staff's internal note (staff readers only: never in a conversation's messages)."""
    return {"id": index["_id"], "conversation_id": index.get("conversation_id"),
            "author_id": index.get("author_id"), "author": authors.get(index.get("author_id")),
            "body": body, "created_at": index.get("created_at")}
