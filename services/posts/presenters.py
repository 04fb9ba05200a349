"""Read-model documents -> what clients see (JSON-safe dicts), per viewer.

Others see a contribution only once published. Its author also sees its review state (pending,
held and why, rejected with the reason) and the text they submitted while it waits (the draft);
CMs see the review state too, but review the text itself in the moderation queue.
"""
from __future__ import annotations

from typing import Any

from services.moderation.detector import confidential_fields
from services.moderation.domain import flags_item_id, review_item_id
from services.shared import i18n
from services.shared.actors import Actor, is_moderator
from services.shared.members import summary

from .markdown import excerpt, link_mentions, render
from .schemas import by_another


def _review(doc: dict[str, Any], revision: int) -> dict[str, Any] | None:
    review = (doc.get("reviews") or {}).get(f"r{revision}")
    rejection = doc.get("rejection") or {}
    if rejection.get("revision") == revision and (doc.get("state") == "rejected"
                                                  or (doc.get("pending_edit") or {}).get(
                                                      "state") == "rejected"):
        return {"state": "rejected", "reason_code": rejection.get("reason_code"),
                "reason": rejection.get("reason")}
    if review:
        return {"state": review["state"], "reasons": review.get("reasons", [])}
    return {"state": "pending"}


def _text(doc: dict[str, Any], full: bool, with_title: bool,
          mentioned: dict[str, str] | None = None) -> dict[str, Any]:
    """`mentioned`: the body's @mentions of members (as written -> id), linked in `body_html`."""
    out: dict[str, Any] = {}
    if with_title:
        out["title"] = doc.get("title")
    body = doc.get("body") or ""
    if full:
        out.update(body=body, body_html=link_mentions(render(body), mentioned))
    else:
        out["excerpt"] = excerpt(body)
    out["redacted"] = bool(doc.get("redacted"))
    if out["redacted"]:
        out["redaction_mark"] = i18n.text("en", "mark.redacted")  # the gateway translates
    return out


def post(doc: dict[str, Any], actor: Actor | None, *, full: bool = True,
         draft: dict[str, Any] | None = None, my_vote: bool | None = None,
         authors: dict[str, dict[str, Any]] | None = None,
         mentioned: dict[str, str] | None = None) -> dict[str, Any]:
    state = doc.get("state")
    base = {"id": doc["_id"], "kind": doc.get("kind"), "state": state}
    if state == "deleted":
        return {**base, "deleted": True, "deleted_at": doc.get("deleted_at")}
    out: dict[str, Any] = {
        **base, "author_id": doc.get("author_id"), "author": _author(doc, authors),
        "category": doc.get("category"),
        "tags": doc.get("tags", []), "official": bool(doc.get("official")),
        "staff_role": doc.get("staff_role"),
        "created_at": doc.get("created_at"), "published_at": doc.get("published_at"),
        "edited_at": doc.get("edited_at"), "revision": doc.get("revision"),
        "votes": doc.get("votes", 0), "reply_count": doc.get("reply_count", 0),
        "answer_count": doc.get("answer_count", 0),
        "featured": bool(doc.get("featured")), "locked": bool(doc.get("locked")),
        "pinned": bool(doc.get("pinned")),
        "handled_privately": bool(doc.get("handled_privately")),
    }
    if doc.get("featured"):
        out.update(pin_position=doc.get("pin_position"), pinned_until=doc.get("pinned_until"))
    if state in ("published", "hidden"):
        out.update(_text(doc, full, with_title=True, mentioned=mentioned))
    if doc.get("kind") == "question":
        out["accepted_reply_id"] = doc.get("accepted_reply_id")
        out["has_official_answer"] = bool(doc.get("official_answer_count"))
    if doc.get("kind") == "idea":
        out.update(status=doc.get("idea_status"), status_note=doc.get("status_note"),
                   merged_into=doc.get("merged_into"), merged_from=doc.get("merged_from", []))
        if doc.get("merged_into"):  # the duplicate's page says where its votes went
            out.update(merged_into_link=f"/api/v1/posts/{doc['merged_into']}",
                       merged_at=doc.get("merged_at"))
        if full:
            out["status_history"] = doc.get("status_history", [])
    if my_vote is not None:
        out["my_vote"] = my_vote
    _owner_view(out, doc, actor, draft, with_title=True)
    return out


def reply(doc: dict[str, Any], actor: Actor | None, *,
          draft: dict[str, Any] | None = None, my_vote: bool | None = None,
          authors: dict[str, dict[str, Any]] | None = None,
          mentioned: dict[str, str] | None = None) -> dict[str, Any]:
    state = doc.get("state")
    base = {"id": doc["_id"], "post_id": doc.get("post_id"), "kind": doc.get("kind"),
            "state": state}
    if state == "deleted":
        return {**base, "deleted": True, "deleted_at": doc.get("deleted_at")}
    out: dict[str, Any] = {
        **base, "author_id": doc.get("author_id"), "author": _author(doc, authors),
        "official": bool(doc.get("official")), "staff_role": doc.get("staff_role"),
        "accepted": bool(doc.get("accepted")), "votes": doc.get("votes", 0),
        "created_at": doc.get("created_at"), "published_at": doc.get("published_at"),
        "edited_at": doc.get("edited_at"), "revision": doc.get("revision"),
    }
    if state in ("published", "hidden"):
        out.update(_text(doc, True, with_title=False, mentioned=mentioned))
    if my_vote is not None:
        out["my_vote"] = my_vote
    _owner_view(out, doc, actor, draft, with_title=False)
    return out


def _author(doc: dict[str, Any], authors: dict[str, dict[str, Any]] | None
            ) -> dict[str, Any] | None:
    author_id = doc.get("author_id")
    if not author_id:
        return None
    return (authors or {}).get(author_id) or summary(author_id, None)


def _owner_view(out: dict[str, Any], doc: dict[str, Any], actor: Actor | None,
                draft: dict[str, Any] | None, with_title: bool) -> None:
    """Review state for the author and CMs; the waiting text for the author only."""
    is_author = bool(actor) and actor.get("id") == doc.get("author_id")
    if not (is_author or is_moderator(actor)):
        return
    state = doc.get("state")
    if state == "pending":
        out["review"] = _review(doc, doc.get("submitted_revision") or 1)
    elif state == "rejected":
        out["review"] = _review(doc, (doc.get("rejection") or {}).get("revision") or 1)
    elif state == "hidden":  # out of public view while the CMs review it (flags, or a CM's hold)
        out["review"] = {"state": "held",
                         "reasons": (doc.get("flags_hold") or {}).get("reasons") or ["flags"]}
        if is_moderator(actor):
            out["review"]["item_id"] = flags_item_id(doc["_id"])
    edit = doc.get("pending_edit")
    # a CM's edit waiting for review is the CMs' to follow, not its author's (told once published)
    by_author = not by_another(doc.get("author_id"), (edit or {}).get("editor_id"))
    if edit and state in ("published", "hidden") and (by_author or is_moderator(actor)):
        out["pending_edit"] = {"revision": edit["revision"], "by_author": by_author,
                               **_review({**doc, "pending_edit": edit}, edit["revision"])}
    if is_moderator(actor):
        _queue_items(out, doc)
    # a draft at or below the revision the document shows is over (its publication deletes it
    # just after writing the document); a document that shows no text shows its draft
    over = state in ("published", "hidden") and draft is not None and \
        draft["revision"] <= (doc.get("revision") or 0)
    if is_author and draft is not None and not over:
        out["draft"] = {"revision": draft["revision"], "body": draft["body"],
                        **({"title": draft.get("title"), "tags": draft.get("tags") or [],
                            "category": draft.get("category")} if with_title else {})}
        if draft.get("returned"):  # rejected: given back to correct (PATCH to resubmit)
            out["draft"].update(returned=True, masked=bool(draft.get("masked")))


def _queue_items(out: dict[str, Any], doc: dict[str, Any]) -> None:
    """For a CM, the moderation item where a held text is decided (its revision's content
    review): the thread links to it rather than leaving them to search the queue."""
    for key, revision in (("review", doc.get("submitted_revision") or 1),
                          ("pending_edit", (doc.get("pending_edit") or {}).get("revision"))):
        review = out.get(key)
        # (a hidden one names its flags item already: that is where it is decided)
        if review and review.get("state") == "held" and revision and "item_id" not in review:
            review["item_id"] = review_item_id(doc["_id"], revision)


def history_entry(doc: dict[str, Any]) -> dict[str, Any]:
    out = {"revision": doc["revision"], "title": doc.get("title"), "body": doc["body"],
           "body_html": render(doc["body"]), "redacted": bool(doc.get("redacted")),
           "at": doc.get("at"), "editor_id": doc.get("editor_id")}
    if out["redacted"]:
        out["redaction_mark"] = i18n.text("en", "mark.redacted")  # the gateway translates
    return out


def preview(body: str) -> dict[str, Any]:
    """A text being written, as it will read once published, and the kinds of confidential data
    that would hold it for the community managers (never the values: the author has them)."""
    return {"body_html": render(body), "confidential": confidential_fields({"body": body}).get(
        "body", [])}


def category(doc: dict[str, Any]) -> dict[str, Any]:
    return {"slug": doc["_id"], "name": doc.get("name"), "description": doc.get("description"),
            "position": doc.get("position"), "archived": bool(doc.get("archived")),
            "staff_only": bool(doc.get("staff_only"))}
