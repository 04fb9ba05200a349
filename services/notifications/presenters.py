"""What notifications' RPCs return: an inbox entry as the member reads it (text and link in
their language, who acted as a public summary, never a confidential title)."""
from __future__ import annotations

from typing import Any

from . import domain


def present(doc: dict[str, Any], base_url: str, language: str | None = None,
            authors: dict[str, dict[str, Any]] | None = None,
            staff: bool | None = None) -> dict[str, Any]:
    """`staff`: whether the reader holds a staff role now (`domain.link`)."""
    out = {key: doc.get(key) for key in (
        "type", "read", "at", "actor_id", "actor_name", "post_id", "reply_id", "conversation_id",
        "kind", "title", "status", "reason", "decision", "merged_into", "channel")}
    # who acted, as a public summary; None for a decision of the community team
    out["author"] = None if doc.get("by_team") else (authors or {}).get(doc.get("actor_id"))
    if doc.get("type") in domain.CONFIDENTIAL:
        out["title"] = None
    out.update(id=doc["_id"], text=domain.render(doc, language),
               link=domain.link(base_url, doc, staff),
               email=(doc.get("channels") or {}).get("email"),
               push=bool((doc.get("channels") or {}).get("push")))
    return out
