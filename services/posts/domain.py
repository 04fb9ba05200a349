"""Posts: pure rules. State = fold(events); commands + state -> new events. No I/O.

A *contribution* is a post or a reply: both have the same moderation lifecycle

    submitted ──(moderation)──> published ──> edited (new revision, after moderation) ...
        │                          │ └──> hidden (flags) ──> restored | redacted | rejected
        └──> rejected              └──> deleted (tombstone; by the author or a CM)

and differ only in their event names (``posts.post_*`` / ``posts.reply_*``) and references.
Every text goes through moderation, first version and edits alike: the command appends the
text to a private content stream (``<id>.r<revision>``) and a text-less ``*_submitted`` /
``*_edit_submitted`` to the contribution's public stream; moderation's verdict comes back as an
event, and `on_review` turns it into ``*_published`` / ``*_edited`` / ``*_redacted`` /
``*_rejected``.

Object-level authorization lives here: `Forbidden` when the actor may not act on this object,
`Unprocessable` when the object's state does not allow it (a reply to a locked thread).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from services.moderation.detector import refuse_confidential
from services.shared import actors
from services.shared.actors import (
    STAFF_ROLES,
    Actor,
    is_moderator,
    is_staff,
    require_admin,
    require_moderator,
    roles,
)
from services.shared.commands import fresh_uuid
from services.shared.envelope import Envelope, NewEvent
from services.shared.errors import Conflict, Forbidden, InvalidInput, NotFound, Unprocessable
from services.shared.members import handle, mention_spans, unlink_spans

from .schemas import IDEA_STATUSES

IDEA_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "submitted": ("under_review", "declined", "already_exists"),
    "under_review": ("planned", "declined", "already_exists"),
    "planned": ("delivered", "declined"),
    "delivered": (),
    "declined": ("under_review",),  # a CM may reopen a declined idea
    "already_exists": (),
}
assert set(IDEA_TRANSITIONS) == set(IDEA_STATUSES)

VISIBLE = "published"


def new_post_id() -> str:
    return "p" + fresh_uuid("post").hex[:20]  # the same on a retry of the same command


def new_reply_id() -> str:
    return "r" + fresh_uuid("reply").hex[:20]


def content_stream(target_id: str, revision: int) -> str:
    return f"{target_id}.r{revision}"


def vote_stream(target_id: str, voter_id: str) -> str:
    return f"vote.{target_id}.{voter_id}"


# --- actors -----------------------------------------------------------------------------------

def require_member(actor: Actor | None) -> Actor:
    """Posts' rules have always answered a signed-out caller with 403 "sign in to do this"."""
    return actors.require_member(actor, "sign_in_to_do_this", Forbidden)


STAFF_ROLE_SHOWN = ("community_manager", "advisor", "admin")  # the first one held is shown


def staff_role(actor: Actor | None) -> str | None:
    """Which staff role a contribution is written in (None for a member): shown on answers."""
    held = roles(actor)
    return next((role for role in STAFF_ROLE_SHOWN if role in held), None)


# --- state ------------------------------------------------------------------------------------

@dataclass
class Contribution:
    """A post or a reply, folded from its public stream."""

    id: str = ""
    target_type: str = ""  # "post" | "reply"
    author_id: str = ""
    kind: str = ""  # post kind, or reply kind (answer | comment)
    category: str = ""
    tags: list[str] = field(default_factory=list)
    post_id: str = ""  # the post itself, or the reply's post
    post_author_id: str = ""  # replies
    post_kind: str = ""  # replies
    official: bool = False
    state: str = "new"  # new | pending | published | hidden | rejected | deleted
    last_revision: int = 0
    published_revision: int = 0
    title: str | None = None
    body: str = ""
    redacted: bool = False
    decided: set[int] = field(default_factory=set)  # revisions moderation has ruled on
    refused_revision: int = 0  # the last revision moderation refused (a text or an edit)
    # rev -> category/tags announced (the tags: published ones since content_submitted v2)
    pending_meta: dict[int, dict[str, Any]] = field(default_factory=dict)
    # posts only
    idea_status: str | None = None
    merged_into: str | None = None
    accepted_reply_id: str | None = None
    featured: bool = False
    pin_position: int | None = None
    pinned_until: str | None = None
    locked: bool = False

    @property
    def exists(self) -> bool:
        return self.state != "new"

    @property
    def visible(self) -> bool:
        return self.state == VISIBLE

    @property
    def prefix(self) -> str:
        return f"posts.{self.target_type}_"

    @property
    def refused_last(self) -> bool:
        """A person refused its latest decided revision (none published since): the next one
        is sent again after a refusal, and a person reads it (`sent_again`)."""
        return self.refused_revision > self.published_revision


def fold(events: Iterable[Envelope]) -> Contribution:
    state = Contribution()
    for event in events:
        _apply(state, event)
    return state


def _apply(s: Contribution, event: Envelope) -> None:
    p = event.payload
    name = event.type.split(".", 1)[1]
    target_type, _, fact = name.partition("_")
    if target_type in ("post", "reply"):
        s.target_type = target_type
    if fact == "submitted":
        s.id = p.get("post_id") if target_type == "post" else p["reply_id"]
        s.author_id, s.kind = p["author_id"], p["kind"]
        s.post_id = p["post_id"]
        s.category, s.tags = p.get("category", ""), list(p.get("tags", []))
        s.post_author_id = p.get("post_author_id", p["author_id"])
        s.post_kind = p.get("post_kind", p["kind"])
        s.official = bool(p.get("official", False))
        s.state, s.last_revision = "pending", p["revision"]
        s.pending_meta[p["revision"]] = {"category": s.category, "tags": s.tags}
        if s.kind == "idea":
            s.idea_status = "submitted"
    elif fact in ("resubmitted", "corrected"):  # a never published text corrected (after
        # a refusal, or while it waited)
        s.state, s.last_revision = "pending", max(s.last_revision, p["revision"])
        if "category" in p:
            s.category, s.tags = p["category"], list(p["tags"])
        s.pending_meta[p["revision"]] = {"category": s.category, "tags": list(s.tags)}
    elif fact == "edit_submitted":
        s.last_revision = max(s.last_revision, p["revision"])
        s.pending_meta[p["revision"]] = {"category": p.get("category", s.category),
                                         "tags": list(p.get("tags", s.tags))}
    elif fact in ("published", "edited", "redacted"):
        s.decided.add(p["revision"])
        s.published_revision = max(s.published_revision, p["revision"])
        s.title, s.body, s.redacted = p.get("title"), p["body"], p["redacted"]
        s.official = p.get("official", s.official)
        if "category" in p:
            s.category, s.tags = p["category"], list(p["tags"])
        if (fact == "published" and s.state == "pending") or (
                fact == "redacted" and s.state == "hidden"):
            s.state = VISIBLE  # an approved edit does not un-hide a flagged contribution
    elif fact == "rejected":
        s.decided.add(p["revision"])
        s.state = "rejected"
        s.refused_revision = max(s.refused_revision, p["revision"])
    elif fact == "edit_rejected":
        s.decided.add(p["revision"])
        s.refused_revision = max(s.refused_revision, p["revision"])
    elif fact == "hidden":
        s.state = "hidden"
    elif fact == "restored":
        s.state = VISIBLE
    elif fact == "deleted":
        s.state = "deleted"
    elif name == "answer_accepted":
        s.accepted_reply_id = p["reply_id"]
    elif name == "idea_status_changed":
        s.idea_status = p["to_status"]
    elif name == "idea_merged":
        s.merged_into, s.idea_status = p["into_id"], "already_exists"
    elif name in ("post_featured", "post_unfeatured"):
        s.featured = name == "post_featured"
        s.pin_position, s.pinned_until = p.get("position"), p.get("pinned_until")
    elif name in ("post_locked", "post_unlocked"):
        s.locked = name == "post_locked"


@dataclass
class VoteState:
    voted: bool = False


def fold_vote(events: Iterable[Envelope]) -> VoteState:
    state = VoteState()
    for event in events:
        state.voted = event.type.endswith("_voted")
    return state


# --- payload references -----------------------------------------------------------------------

def post_ref(s: Contribution) -> dict[str, Any]:
    return {"post_id": s.id, "author_id": s.author_id, "kind": s.kind, "category": s.category,
            "tags": list(s.tags)}


def reply_ref(s: Contribution) -> dict[str, Any]:
    return {"reply_id": s.id, "post_id": s.post_id, "post_author_id": s.post_author_id,
            "post_kind": s.post_kind, "author_id": s.author_id, "kind": s.kind,
            "official": s.official}


def ref(s: Contribution) -> dict[str, Any]:
    return post_ref(s) if s.target_type == "post" else reply_ref(s)


def _event(s: Contribution, fact: str, **extra: Any) -> NewEvent:
    return NewEvent(s.prefix + fact, {**ref(s), **extra})


# --- submitting -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Submission:
    """What a submit/edit command appends: the private text, then the public announcement."""

    target_id: str
    revision: int
    content: list[NewEvent]  # -> content stream <target>.r<revision> (private)
    public: list[NewEvent]  # -> the contribution's own stream (public)


def _content(s: Contribution, revision: int, submitter: Actor, title: str | None, body: str,
             category: str, tags: list[str] | None = None, sent_again: bool = False
             ) -> NewEvent:
    """The private text of a revision: title, body and a post's tags, which moderation reviews
    together (a tag can hold part of an account number as a body can). `sent_again`: the
    revision after one moderation refused (a text never published, or an edit), sent again:
    a person reads it (the detector alone cannot tell an insult or spam reworded)."""
    return NewEvent("posts.content_submitted", {
        "target_type": s.target_type, "target_id": s.id, "post_id": s.post_id,
        "revision": revision, "author_id": s.author_id, "submitted_by": submitter["id"],
        "submitter_roles": sorted(roles(submitter)), "kind": s.kind, "category": category,
        "title": title, "body": body,
        "tags": list(tags or []) if s.target_type == "post" else None,
        **({"sent_again": True} if sent_again else {}),
    })


def submit_post(actor: Actor | None, data: dict[str, Any], post_id: str,
                staff_only: bool = False) -> Submission:
    """`data` is validated input (PostCreateSchema); `staff_only`: its category's setting."""
    actor = require_member(actor)
    if data["kind"] == "article" and not is_moderator(actor):
        raise Forbidden("only community managers and admins publish articles")
    _may_file_under(actor, data["category"], staff_only)
    # the announcement is public: it names no tag before moderation released them
    s = Contribution(id=post_id, target_type="post", author_id=actor["id"], kind=data["kind"],
                     category=data["category"], post_id=post_id, official=is_staff(actor))
    return Submission(post_id, 1,
                      [_content(s, 1, actor, data["title"], data["body"], s.category,
                                data.get("tags"))],
                      [_event(s, "submitted", revision=1, staff_role=staff_role(actor))])


def submit_reply(actor: Actor | None, post: Contribution, data: dict[str, Any],
                 reply_id: str) -> Submission:
    actor = require_member(actor)
    _must_exist(post)
    _must_be_readable(actor, post)
    _must_be_visible(post, "reply_to")
    if post.locked:
        raise Unprocessable("this thread is locked: no new replies")
    if post.merged_into:
        raise Unprocessable("this idea was merged into another one; reply there",
                            {"merged_into": post.merged_into})
    s = Contribution(id=reply_id, target_type="reply", author_id=actor["id"],
                     kind="answer" if post.kind == "question" else "comment",
                     category=post.category, post_id=post.id, post_author_id=post.author_id,
                     post_kind=post.kind, official=is_staff(actor))
    return Submission(reply_id, 1, [_content(s, 1, actor, None, data["body"], post.category)],
                      [_event(s, "submitted", revision=1, staff_role=staff_role(actor))])


def submit_edit(actor: Actor | None, s: Contribution, data: dict[str, Any],
                thread_locked: bool = False, returned_tags: list[str] = (),
                staff_only: bool = False) -> Submission:
    """A new revision of a published post or reply (the author, or a CM). `thread_locked`: the
    post is locked (for a reply: its post) — a frozen thread is edited by CMs only.
    `returned_tags`: a never published post's tags unless `data` names others (`_resubmit`):
    a rejected one's as given back, a waiting one's as submitted.
    `staff_only`: the setting of the category `data` moves the post to, if it names one.

    A text never published is not edited but submitted again, whole (`_resubmit`): after a
    refusal (its author or a CM), or while it waits (`correcting`: its author only — a CM
    has the moderation queue to redact it)."""
    actor = require_member(actor)
    _must_exist(s)
    _must_be_readable(actor, s)
    if actor["id"] != s.author_id and not is_moderator(actor):
        raise Forbidden.from_catalogue("author_or_moderator_edits",
                                       terms={"thing": f"noun.{s.target_type}"})
    _must_not_be_frozen(actor, thread_locked, "edited")
    if data.get("category", s.category) != s.category:  # a post stays where staff let it be
        _may_file_under(actor, data["category"], staff_only)
    if (s.state == "rejected" and s.published_revision == 0) or correcting(actor, s):
        return _resubmit(actor, s, data, list(returned_tags))
    if s.state not in (VISIBLE, "hidden"):
        raise Unprocessable.from_catalogue("cannot_edit_in_state", {"state": s.state},
                                           terms={"state": f"content_state.{s.state}",
                                                  "thing": f"noun.{s.target_type}"})
    if not data:
        raise InvalidInput("nothing to change",
                           {"fields": {"_schema": ["give at least one field"]}})
    revision = s.last_revision + 1
    title = data.get("title", s.title) if s.target_type == "post" else None
    body = data.get("body", s.body)
    category = data.get("category", s.category)
    meta = {"category": category} if s.target_type == "post" else {}  # tags: the published
    public = NewEvent(s.prefix + "edit_submitted",
                      {**ref(s), **meta, "revision": revision, "editor_id": actor["id"]})
    return Submission(s.id, revision, [_content(s, revision, actor, title, body, category,
                                                data.get("tags", s.tags),
                                                sent_again=s.refused_last)], [public])


def correcting(actor: Actor, s: Contribution) -> bool:
    """Its author corrects a text never published that still waits for moderation (being
    checked, or held): e.g. to take out the IBAN the detector held it for."""
    return s.state == "pending" and s.published_revision == 0 and actor["id"] == s.author_id


def _resubmit(actor: Actor, s: Contribution, data: dict[str, Any],
              returned_tags: list[str]) -> Submission:
    """A text never published, submitted again whole as a new revision (``*_resubmitted``
    after a refusal, ``*_corrected`` while it waits; no public ``*_edit_submitted``, which
    tells of a published text's edit), reviewed like a
    first submission:

    - Moderation rejected it before anyone saw it: its author (or a CM) corrects it, and a
      person reads it again (`sent_again`: a person refused it, the detector alone must not
      publish it, whatever changed); its tags unless given are those given back with it
      (`returned_tags`, masked as its draft). (A contribution removed after it was published
      stays removed: its author writes a new one.)
    - It still waits (`correcting`): its author's correction replaces the waiting revision
      (`replaces_revision`), which is never published after it (`on_review`) and leaves the
      CMs' queue (moderation withdraws it): the CMs review the latest version only. Every hold
      reason that still applies holds the new one as it held the old: the detector reads it
      again; the pre-moderation rules are the same policy's (a new member, a premoderated
      category: a person must read it, and will); `sent_again` stays while a person refused
      it last (`refused_last`). A reason that is gone releases it, as it would have released a
      first text written so: a text held only because the detector found an IBAN, corrected
      without it, is published at once — nobody was asked to read it, only to mask the IBAN,
      which is gone. Its tags unless given are the waiting revision's (`returned_tags`)."""
    missing = [name for name in (("title", "body") if s.target_type == "post" else ("body",))
               if not data.get(name)]
    if missing:
        raise InvalidInput("a text never published is submitted again whole",
                           {"fields": {name: ["required to resubmit"] for name in missing}})
    revision = s.last_revision + 1
    category = data.get("category", s.category)
    meta = {"category": category} if s.target_type == "post" else {}  # tags: none published
    # still waiting: a correction of the waiting revision (its own event: `*_resubmitted`
    # tells bank systems of a second chance after a refusal, held for a person)
    fact, replaces = ("corrected", {"replaces_revision": s.last_revision}) \
        if s.state == "pending" else ("resubmitted", {})
    public = NewEvent(s.prefix + fact, {**ref(s), **meta, "revision": revision,
                                        "editor_id": actor["id"], **replaces})
    return Submission(s.id, revision, [_content(s, revision, actor, data.get("title"),
                                                data["body"], category,
                                                data.get("tags", returned_tags),
                                                sent_again=s.refused_last)], [public])


# --- moderation verdicts ----------------------------------------------------------------------

def on_review(s: Contribution, verdict: str, review: str, revision: int, *,
              content: dict[str, Any] | None = None, title: str | None = None,
              body: str | None = None, reason_code: str | None = None,
              editor_id: str | None = None, tags: list[str] | None = None) -> list[NewEvent]:
    """Turn a moderation verdict into this contribution's events (idempotent: a verdict already
    applied, or one about a deleted contribution, yields nothing).

    verdict: held | approved | rejected | redacted; review: content (a submitted revision) or
    flags (the visible text, after members' flags); `content`: the submitted revision's
    content_submitted payload (approvals); `title`/`body`/`tags`: the redacted text (`tags`
    None: a reply, or a redaction from before tags were reviewed).
    """
    if not s.exists or s.state == "deleted":
        return []
    if review == "flags":
        return _on_flags_review(s, verdict, title, body, reason_code, tags)
    if verdict == "held" or revision in s.decided or revision <= s.published_revision:
        return []  # held: nothing public changes; otherwise already ruled on or superseded
    if s.published_revision == 0 and revision < s.last_revision:
        return []  # a waiting text its author corrected since: the newer revision is decided
    first = s.published_revision == 0 and s.state == "pending"
    if s.state == "rejected":
        return []
    meta = s.pending_meta.get(revision, {"category": s.category, "tags": s.tags})
    if verdict == "rejected":
        return [_event(s, "rejected" if first else "edit_rejected", revision=revision,
                       reason_code=reason_code or "other")]
    if verdict == "approved":
        if content is None:
            raise ValueError(f"approval of {s.id} r{revision} needs its content")
        title, body, redacted = content.get("title"), content["body"], False
    elif verdict == "redacted":
        redacted = True
    else:
        raise ValueError(f"unknown verdict {verdict!r}")
    editor_id = editor_id or (content or {}).get("submitted_by")
    released = _released_tags(meta["tags"], content, tags)
    s2 = replace(s, category=meta["category"], tags=released) if s.target_type == "post" else s
    extra: dict[str, Any] = {"revision": revision, "body": body, "redacted": redacted}
    if s.target_type == "post":
        # a post is official when bank staff wrote it (the first submission says who did)
        official = s.official or bool(first and content and set(
            content.get("submitter_roles") or []) & STAFF_ROLES)
        extra.update(title=title, official=official)
    if first:
        return [_event(s2, "published", **extra)]
    return [_event(s2, "edited", editor_id=editor_id or s.author_id, **extra)]


def _released_tags(announced: list[str], content: dict[str, Any] | None,
                   redacted: list[str] | None) -> list[str]:
    """The tags a verdict publishes, each once: the redaction's, else those submitted with the
    text (before content_submitted v2: those of the public announcement)."""
    submitted = (content or {}).get("tags")
    chosen = redacted if redacted is not None else submitted if submitted is not None \
        else announced
    return list(dict.fromkeys(chosen))


def _on_flags_review(s: Contribution, verdict: str, title: str | None, body: str | None,
                     reason_code: str | None, tags: list[str] | None) -> list[NewEvent]:
    if verdict == "held":
        return [_event(s, "hidden", reason="flags")] if s.state == VISIBLE else []
    if s.state != "hidden":
        return []  # restored, removed or redacted already (or never hidden)
    if verdict == "approved":
        return [_event(s, "restored")]
    if verdict == "rejected":
        return [_event(s, "rejected", revision=s.published_revision,
                       reason_code=reason_code or "other")]
    extra: dict[str, Any] = {"revision": s.published_revision, "body": body, "redacted": True}
    if s.target_type == "post":
        extra.update(title=title if title is not None else s.title, official=s.official)
        s = replace(s, tags=_released_tags(s.tags, None, tags))
    return [_event(s, "redacted", **extra)]


# --- other commands ---------------------------------------------------------------------------

def delete(actor: Actor | None, s: Contribution) -> list[NewEvent]:
    actor = require_member(actor)
    _must_exist(s)
    _must_be_readable(actor, s)
    if actor["id"] != s.author_id and not is_moderator(actor):
        raise Forbidden.from_catalogue("author_or_moderator_deletes",
                                       terms={"thing": f"noun.{s.target_type}"})
    if s.state == "deleted":
        return []
    return [_event(s, "deleted", deleted_by=actor["id"], by_staff=actor["id"] != s.author_id)]


def accept_answer(actor: Actor | None, post: Contribution, reply: Contribution
                  ) -> list[NewEvent]:
    actor = require_member(actor)
    _must_exist(post)
    _must_be_readable(actor, post)
    if actor["id"] != post.author_id and not is_moderator(actor):
        raise Forbidden("only the question's author or a community manager can accept an answer")
    _must_not_be_frozen(actor, post.locked, "changed")
    if post.kind != "question":
        raise Unprocessable("only questions have accepted answers", {"kind": post.kind})
    _must_be_visible(post, "accept_answer_on")
    if not reply.exists or reply.post_id != post.id or not can_read(actor, reply):
        raise NotFound("no such reply on this question", {"reply_id": reply.id})
    if not reply.visible:
        raise Unprocessable("only a published answer can be accepted", {"state": reply.state})
    if post.accepted_reply_id == reply.id:
        return []
    return [NewEvent("posts.answer_accepted", {
        **post_ref(post), "reply_id": reply.id, "reply_author_id": reply.author_id,
        "previous_reply_id": post.accepted_reply_id, "accepted_by": actor["id"]})]


def change_idea_status(actor: Actor | None, post: Contribution, to_status: str, note: str,
                       release: str | None = None) -> list[NewEvent]:
    actor = require_moderator(actor, "change_idea_status")
    _must_be_idea(post)
    _must_be_visible(post, "change_status_of")
    if post.merged_into:
        raise Unprocessable("a merged idea keeps the status of its target",
                            {"merged_into": post.merged_into})
    current = post.idea_status or "submitted"
    if to_status == current:
        raise Unprocessable.from_catalogue("idea_already_in_status", {"status": current},
                                           terms={"status": f"idea_status.{current}"})
    if to_status not in IDEA_TRANSITIONS[current]:
        raise Unprocessable.from_catalogue(
            "idea_transition", {"status": current, "allowed": list(IDEA_TRANSITIONS[current])},
            terms={"current": f"idea_status.{current}", "wanted": f"idea_status.{to_status}"})
    # Published as typed, to every voter and follower: no moderation queue holds it, so it is
    # refused instead (the CM rewrites it).
    refuse_confidential({"note": note, "release": release})
    return [NewEvent("posts.idea_status_changed", {
        **post_ref(post), "from_status": current, "to_status": to_status, "note": note,
        "release": release, "changed_by": actor["id"]})]


def check_merge(actor: Actor | None, source: Contribution, target: Contribution) -> Actor:
    """What a merge requires, also before it (the CMs' preview): a CM, two visible ideas, the
    source not merged yet and the target not merged itself."""
    actor = require_moderator(actor, "merge_ideas")
    _must_be_idea(source)
    _must_be_idea(target)
    if source.id == target.id:
        raise Unprocessable("an idea cannot be merged into itself")
    if source.merged_into:
        raise Unprocessable("this idea is already merged", {"merged_into": source.merged_into})
    if target.merged_into:
        raise Unprocessable("the target idea is itself merged; merge into its target",
                            {"merged_into": target.merged_into})
    _must_be_visible(source, "merge")
    _must_be_visible(target, "merge_into")
    return actor


def merge_idea(actor: Actor | None, source: Contribution, target: Contribution
               ) -> list[NewEvent]:
    if source.merged_into and source.merged_into == target.id:
        require_moderator(actor, "merge_ideas")
        return []  # idempotent retry
    actor = check_merge(actor, source, target)
    return [NewEvent("posts.idea_merged", {
        **post_ref(source), "into_id": target.id, "into_author_id": target.author_id,
        "from_status": source.idea_status or "submitted", "merged_by": actor["id"]})]


def feature(actor: Actor | None, post: Contribution, position: int | None,
            pinned_until: str | None, now: str) -> list[NewEvent]:
    """Feature a post and pin it at the top of the lists it matches (CMs): in `position` order
    (1 first; unnumbered ones after, most recently featured first) until `pinned_until` (an
    ISO 8601 UTC instant; None: until unfeatured). Re-featuring with other pin settings
    changes them; the same ones are a no-op."""
    actor = require_moderator(actor, "feature_or_lock")
    _must_be_visible(post, "feature")
    if pinned_until is not None and datetime.fromisoformat(pinned_until) <= \
            datetime.fromisoformat(now):
        raise InvalidInput("the pin must end in the future",
                           {"fields": {"pinned_until": ["in the past"]}})
    if post.featured and (post.pin_position, post.pinned_until) == (position, pinned_until):
        return []
    return [NewEvent("posts.post_featured", {**post_ref(post), "by": actor["id"],
                                             "position": position,
                                             "pinned_until": pinned_until})]


def set_flag(actor: Actor | None, post: Contribution, flag: str, on: bool) -> list[NewEvent]:
    """Feature/unfeature (`featured`), lock/unlock (`locked`) a post: CMs; idempotent."""
    if flag not in ("featured", "locked"):
        raise ValueError(flag)
    actor = require_moderator(actor, "feature_or_lock")
    _must_exist(post)
    if getattr(post, flag) == on:
        return []
    if on:
        _must_be_visible(post, "feature" if flag == "featured" else "lock")
    fact = f"post_{'' if on else 'un'}{flag}"
    return [NewEvent(f"posts.{fact}", {**post_ref(post), "by": actor["id"]})]


def counts_its_authors_vote(target: Contribution) -> bool:
    """The own-vote rule: an idea's vote says "I want this", and its author does — idea
    portals count it from the start, so an idea starts with its author's vote (`author_vote`).
    Elsewhere a vote says "others found this useful": nobody votes for their own question,
    discussion, article or reply."""
    return target.target_type == "post" and target.kind == "idea"


def vote(actor: Actor | None, target: Contribution, current: VoteState, on: bool,
         thread_locked: bool = False) -> list[NewEvent]:
    """PUT (on) / DELETE (off) a vote: idempotent, one per member and target. A locked thread
    keeps the counts it had when it was locked (nobody votes or withdraws a vote). An idea's
    author may withdraw their automatic vote and give it again; other authors cannot vote for
    their own contribution (`counts_its_authors_vote`)."""
    actor = require_member(actor)
    _must_exist(target)
    _must_be_readable(actor, target)
    if current.voted == on:
        return []
    if thread_locked:
        raise Unprocessable("this thread is locked: its votes are frozen", {"locked": True})
    if on:
        _must_be_visible(target, "vote_on")
        if target.merged_into:
            raise Unprocessable("this idea was merged; vote on its target",
                                {"merged_into": target.merged_into})
        if actor["id"] == target.author_id and not counts_its_authors_vote(target):
            # the idea exception is worth saying on a post, it means nothing on a reply
            raise Unprocessable.from_catalogue(
                "vote_own" if target.target_type == "post" else "vote_own_reply", {"own": True})
    return [vote_event(target, actor["id"], on)]


def author_vote(idea: Contribution, vote_history: list[Envelope]) -> list[NewEvent]:
    """An idea starts with its author's vote, cast when it is first published (`vote_history`:
    the author's vote stream on it). Once: an author who withdrew it is not counted again,
    whatever is replayed or re-delivered."""
    if (not counts_its_authors_vote(idea) or idea.state != VISIBLE or idea.merged_into
            or vote_history):
        return []
    return [vote_event(idea, idea.author_id, True, by_author=True)]


def vote_event(target: Contribution, voter_id: str, on: bool, *, merged_from: str | None = None,
               merged_into: str | None = None, by_author: bool = False) -> NewEvent:
    fact = "voted" if on else "unvoted"
    if target.target_type == "post":
        reason = "merged" if (merged_from or merged_into) else (
            "author" if by_author else "member")
        return NewEvent(f"posts.post_{fact}", {
            "post_id": target.id, "post_author_id": target.author_id, "kind": target.kind,
            "voter_id": voter_id, "reason": reason,
            "merged_from": merged_from, "merged_into": merged_into})
    return NewEvent(f"posts.reply_{fact}", {
        "reply_id": target.id, "post_id": target.post_id, "reply_author_id": target.author_id,
        "voter_id": voter_id})


def move_vote(source: Contribution, target: Contribution, source_vote: VoteState,
              target_vote: VoteState, voter_id: str) -> tuple[list[NewEvent], list[NewEvent]]:
    """One voter's part of a merge: (events for the source vote stream, for the target's)."""
    leave = [vote_event(source, voter_id, False, merged_into=target.id)] \
        if source_vote.voted else []
    join = [vote_event(target, voter_id, True, merged_from=source.id)] \
        if source_vote.voted and not target_vote.voted else []
    return leave, join


# --- visibility -------------------------------------------------------------------------------

def can_read(actor: Actor | None, s: Contribution | dict[str, Any]) -> bool:
    """Others see a contribution once published; its author and CMs see it in every state."""
    state = s["state"] if isinstance(s, dict) else s.state
    author = s["author_id"] if isinstance(s, dict) else s.author_id
    if state in (VISIBLE, "deleted"):
        return True
    return bool(actor) and (actor.get("id") == author or is_moderator(actor))


def hidden_for_review(s: Contribution | dict[str, Any]) -> bool:
    """Public once and out of public view now while the community team reviews it (flags, or a
    CM: from its thread, or undoing a decision) — `hidden` is only reached from published, and
    it may be published again. What its address may tell a reader who cannot read it; a text
    never published or refused stays unknown to them (`_must_be_readable`)."""
    return (s["state"] if isinstance(s, dict) else s.state) == "hidden"


def _must_exist(s: Contribution) -> None:
    if not s.exists:
        raise NotFound.from_catalogue(f"no_such_{s.target_type or 'post'}", {"id": s.id})


def _must_be_readable(actor: Actor | None, s: Contribution) -> None:
    """Whoever may not read it (`can_read`: a held, pending or rejected text of someone else)
    gets the very 404 its GET answers: a 403 "only its author..." or a 422 "pending moderation"
    would tell them it exists, and that it was held."""
    if not can_read(actor, s):
        raise NotFound.from_catalogue(f"no_such_{s.target_type or 'post'}", {"id": s.id})


def may_post_in(actor: Actor | None, staff_only: bool) -> bool:
    """Whether `actor` may file a post under a category: a staff-only one (the community
    team's announcements) takes posts from community managers and admins only — a member's
    post there would read as the bank's word."""
    return not staff_only or is_moderator(actor)


def _may_file_under(actor: Actor, slug: str, staff_only: bool) -> None:
    if not may_post_in(actor, staff_only):
        raise Forbidden.from_catalogue("category_staff_only", {"fields": {"category": [
            f"only community managers and admins post in the category {slug!r}"]}}, slug=slug)


def _must_be_visible(s: Contribution, action: str) -> None:
    """`action`: a key of the catalogue's `action` section (the refusal names it)."""
    _must_exist(s)
    if not s.visible:
        raise Unprocessable.from_catalogue(
            "cannot_act_in_state", {"state": s.state},
            terms={"action": f"action.{action}", "state": f"content_state.{s.state}",
                   "thing": f"noun.{s.target_type}"})


def _must_not_be_frozen(actor: Actor, thread_locked: bool, what: str) -> None:
    """A locked thread is frozen: nothing in it is added, edited or voted on by members;
    CMs may still edit (to correct or redact) and anyone may still delete their own text."""
    if thread_locked and not is_moderator(actor):
        raise Unprocessable.from_catalogue(f"thread_locked_{what}", {"locked": True})


def _must_be_idea(s: Contribution) -> None:
    _must_exist(s)
    if s.kind != "idea":
        raise Unprocessable("only ideas have a status workflow and can be merged",
                            {"kind": s.kind})


# --- categories (a list admins manage) ----------------------------------------------------------

def category_stream(slug: str) -> str:
    return f"category.{slug}"


def fold_category(events: Iterable[Envelope]) -> dict[str, Any] | None:
    """A category's current state (each event carries the whole of it), None if none."""
    state = None
    for event in events:
        if event.type in ("posts.category_created", "posts.category_updated"):
            state = {key: event.payload[key] for key in CATEGORY_FIELDS} | {
                "archived": bool(state and state["archived"])}
        elif state is not None and event.type in (CATEGORY_ARCHIVED, CATEGORY_RESTORED):
            state["archived"] = event.type == CATEGORY_ARCHIVED
    return state


# the whole state each created/updated event carries
CATEGORY_FIELDS = ("slug", "name", "description", "position", "staff_only")
CATEGORY_ARCHIVED, CATEGORY_RESTORED = "posts.category_archived", "posts.category_restored"


def create_category(actor: Actor | None, current: dict[str, Any] | None, slug: str,
                    data: dict[str, Any], next_position: int) -> list[NewEvent]:
    """`data` is validated input (CategoryCreateSchema); `slug` derived or given."""
    actor = require_admin(actor, "create_categories")
    if not slug:
        raise InvalidInput("no slug can be derived from this name: give one",
                           {"fields": {"slug": ["required when the French name has no "
                                                "Latin letter or digit"]}})
    if current is not None:
        if all(current[k] == data[k] for k in ("name", "description", "staff_only")):
            return []  # the same creation again: nothing to do
        raise Conflict.from_catalogue("category_exists", {"slug": slug}, slug=slug)
    return [NewEvent("posts.category_created", {
        "slug": slug, "name": data["name"], "description": data["description"],
        "position": data.get("position", next_position), "staff_only": data["staff_only"],
        "by": actor["id"]})]


def update_category(actor: Actor | None, current: dict[str, Any] | None, slug: str,
                    data: dict[str, Any]) -> list[NewEvent]:
    actor = require_admin(actor, "change_categories")
    if current is None:
        raise NotFound.from_catalogue("no_such_category", {"slug": slug}, slug=slug)
    changed = {**current, **data}
    if changed == current:
        return []
    return [NewEvent("posts.category_updated", {**{key: changed[key] for key in CATEGORY_FIELDS},
                                                "by": actor["id"]})]


def archive_category(actor: Actor | None, current: dict[str, Any] | None, slug: str,
                     archived: bool) -> list[NewEvent]:
    """Archive a category (its posts keep it; new posts may not name it) or bring it back
    (admins); idempotent."""
    actor = require_admin(actor, "change_categories")
    if current is None:
        raise NotFound.from_catalogue("no_such_category", {"slug": slug}, slug=slug)
    if current["archived"] == archived:
        return []
    return [NewEvent(CATEGORY_ARCHIVED if archived else CATEGORY_RESTORED,
                     {"slug": slug, "by": actor["id"]})]


# --- an erased member's mentions ------------------------------------------------------------

MENTIONS_UNLINKED = "posts.mentions_unlinked"


def erasure_stream(member_id: str) -> str:
    """The stream of what posts did for one member's erasure (one commit: done once)."""
    return f"erasure-{member_id}"


def mention_tokens(member_id: str, display_name: str | None) -> list[str]:
    """How a text may @mention the member: their id, and the handle of their name while it is
    still known."""
    return [member_id, *([handle(display_name)] if display_name else [])]


def unlink_mentions(member_id: str, tokens: list[str],
                    revisions: Iterable[dict[str, Any]]) -> list[NewEvent]:
    """The published revisions (`target_type`, `target_id`, `post_id`, `revision`, `title`,
    `body`) that @mention the erased member, with those mentions replaced: nothing when nobody
    mentioned them."""
    texts = []
    for revision in revisions:
        title_spans = mention_spans(revision.get("title"), tokens)
        body_spans = mention_spans(revision.get("body"), tokens)
        if title_spans or body_spans:
            texts.append({key: revision[key] for key in (
                "target_type", "target_id", "post_id", "revision")}
                | {"title": unlink_spans(revision.get("title"), title_spans),
                   "body": unlink_spans(revision.get("body"), body_spans)})
    return [NewEvent(MENTIONS_UNLINKED, {"member_id": member_id, "texts": texts})] \
        if texts else []


# -- community health ---------------------------------------------------------------------

TOP_CONTRIBUTORS = 5


def community_figures(posts: list[dict[str, Any]], replies: list[dict[str, Any]],
                      kinds: tuple[str, ...], idea_statuses: tuple[str, ...]) -> dict[str, Any]:
    """What was published in a period, from the posts and replies published within it (each
    with kind, author_id, and for posts idea_status and reply_count): contributions by kind,
    ideas by status, the share of questions that got at least one reply, the top contributors
    (most posts and replies; ties by id, so the order is stable).

    >>> figures = community_figures(
    ...     [{"kind": "question", "author_id": "a", "reply_count": 1},
    ...      {"kind": "question", "author_id": "b", "reply_count": 0},
    ...      {"kind": "idea", "author_id": "a", "idea_status": "planned"}],
    ...     [{"author_id": "b"}], ("question", "idea"), ("submitted", "planned"))
    >>> figures["posts_by_kind"], figures["ideas_by_status"], figures["answer_rate"]
    ({'question': 2, 'idea': 1}, {'submitted': 0, 'planned': 1}, 0.5)
    >>> figures["top_contributors"]
    [{'member_id': 'a', 'contributions': 2}, {'member_id': 'b', 'contributions': 2}]
    """
    by_kind = Counter(post.get("kind") for post in posts)
    statuses = Counter(post.get("idea_status") or "submitted" for post in posts
                       if post.get("kind") == "idea")
    questions = [post for post in posts if post.get("kind") == "question"]
    answered = sum(1 for post in questions if (post.get("reply_count") or 0) > 0)
    authors = Counter(item["author_id"] for item in [*posts, *replies] if item.get("author_id"))
    top = sorted(authors.items(), key=lambda pair: (-pair[1], pair[0]))[:TOP_CONTRIBUTORS]
    return {"contributions": len(posts) + len(replies), "replies": len(replies),
            "posts_by_kind": {kind: by_kind.get(kind, 0) for kind in kinds},
            "ideas_by_status": {status: statuses.get(status, 0) for status in idea_statuses},
            "questions": len(questions), "answered_questions": answered,
            "answer_rate": answered / len(questions) if questions else None,
            "top_contributors": [{"member_id": member_id, "contributions": count}
                                 for member_id, count in top]}
